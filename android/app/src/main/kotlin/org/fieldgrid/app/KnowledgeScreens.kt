package org.fieldgrid.app

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.LazyRow
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.FilterChip
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Tab
import androidx.compose.material3.TabRow
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.text.AnnotatedString
import androidx.compose.ui.text.SpanStyle
import androidx.compose.ui.text.buildAnnotatedString
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.style.TextDecoration
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import org.fieldgrid.FieldGridClient
import org.fieldgrid.ffi.GridTaskInfo
import org.fieldgrid.ffi.KnowledgeEntryDetail
import org.fieldgrid.ffi.KnowledgeEntryInfo
import org.fieldgrid.ffi.KnowledgeHitInfo
import org.fieldgrid.ffi.NameCountInfo

/** A passage with the query's words in bold. */
private fun marked(hit: KnowledgeHitInfo): AnnotatedString = buildAnnotatedString {
    val text = hit.passage
    val cps = text.codePoints().toArray()
    var at = 0
    for (m in hit.marks) {
        val start = m.start.toInt().coerceIn(at, cps.size)
        val end = m.end.toInt().coerceIn(start, cps.size)
        append(String(cps, at, start - at))
        pushStyle(SpanStyle(fontWeight = FontWeight.Bold, color = Color(0xFFC62828)))
        append(String(cps, start, end - start))
        pop()
        at = end
    }
    append(String(cps, at, cps.size - at))
}

/**
 * 知识库 and 网格事项, offline: a search box over every entry (title and tag
 * matches first, with the passage), browsing by department, and the signed-in
 * person's grid tasks. Tapping an entry opens it ([KnowledgeEntryScreen]).
 */
@Composable
fun KnowledgeScreen(client: FieldGridClient, open: (String) -> Unit) {
    var tab by remember { mutableStateOf(0) }
    Column(Modifier.padding(8.dp)) {
        TabRow(selectedTabIndex = tab) {
            listOf("知识库", "我的网格事项").forEachIndexed { i, label ->
                Tab(selected = tab == i, onClick = { tab = i }, text = { Text(label) })
            }
        }
        if (tab == 0) KnowledgeSearch(client, open) else MyGridTasks(client, open)
    }
}

@Composable
private fun KnowledgeSearch(client: FieldGridClient, open: (String) -> Unit) {
    var query by remember { mutableStateOf("") }
    var department by remember { mutableStateOf<String?>(null) }
    val departments = remember { mutableStateListOf<NameCountInfo>() }
    val hits = remember { mutableStateListOf<KnowledgeHitInfo>() }
    val browse = remember { mutableStateListOf<KnowledgeEntryInfo>() }
    var status by remember { mutableStateOf("") }
    LaunchedEffect(Unit) {
        departments.clear(); departments.addAll(client.knowledgeDepartments())
        val s = client.knowledgeStatus()
        status = when {
            s.version == null && s.downloadingTo != null -> "知识库下载中（${s.downloadFetched}/${s.downloadTotal}），请稍候同步"
            s.version == null -> "知识库尚未下载，请先同步"
            s.downloadingTo != null -> "第 ${s.version} 版 · ${s.entries} 条（新版本下载中）"
            else -> "第 ${s.version} 版 · ${s.entries} 条"
        }
    }
    LaunchedEffect(query, department) {
        hits.clear(); browse.clear()
        if (query.isNotBlank()) hits.addAll(client.searchKnowledge(query, department))
        else if (department != null) browse.addAll(client.knowledgeEntries(department, limit = 200))
    }
    Column {
        Text(status, fontSize = 12.sp)
        OutlinedTextField(query, { query = it }, Modifier.fillMaxWidth(), label = { Text("搜索：如 低保、残疾人证、宅基地") })
        LazyRow {
            items(departments) { d ->
                FilterChip(selected = department == d.name,
                    onClick = { department = if (department == d.name) null else d.name },
                    label = { Text("${d.name}（${d.count}）") })
            }
        }
        LazyColumn {
            items(hits) { h ->
                Column(Modifier.fillMaxWidth().clickable { open(h.entry.id) }.padding(vertical = 6.dp)) {
                    Text(h.entry.title, fontWeight = FontWeight.Bold)
                    Text("${h.entry.kindName} · ${h.entry.department}", fontSize = 12.sp)
                    Text(marked(h), fontSize = 13.sp)
                }
            }
            items(browse) { e ->
                Column(Modifier.fillMaxWidth().clickable { open(e.id) }.padding(vertical = 6.dp)) {
                    Text(e.title, fontWeight = FontWeight.Bold)
                    Text("${e.kindName} · ${e.tags.joinToString("、")}", fontSize = 12.sp)
                }
            }
        }
        if (query.isNotBlank() && hits.isEmpty()) Text("没有找到相关条目")
    }
}

@Composable
private fun MyGridTasks(client: FieldGridClient, open: (String) -> Unit) {
    val tasks = remember { mutableStateListOf<GridTaskInfo>() }
    LaunchedEffect(Unit) { tasks.clear(); tasks.addAll(client.myGridTasks()) }
    if (tasks.isEmpty()) Text("暂无适用于您的网格事项（请先同步）")
    LazyColumn {
        items(tasks) { t ->
            Column(Modifier.fillMaxWidth().padding(vertical = 6.dp)) {
                Row {
                    Text(t.name, fontWeight = FontWeight.Bold, modifier = Modifier.weight(1f))
                    Text(t.frequencyName)
                }
                Text("${t.department} · ${t.forms.joinToString("、")}", fontSize = 12.sp)
                Text(t.duty, fontSize = 13.sp)
                t.basisId?.let { id ->
                    TextButton(onClick = { open(id) }) { Text("依据：${t.basisTitle ?: id}") }
                }
            }
        }
    }
}

/** One entry: its facts, its text with headings, lists and links, and the tasks citing it. */
@Composable
fun KnowledgeEntryScreen(client: FieldGridClient, id: String, open: (String) -> Unit) {
    var detail by remember { mutableStateOf<KnowledgeEntryDetail?>(null) }
    var missing by remember { mutableStateOf(false) }
    LaunchedEffect(id) {
        detail = client.knowledgeEntry(id)
        missing = detail == null
    }
    if (missing) { Text("该条目已废止或尚未同步", Modifier.padding(16.dp)); return }
    val d = detail ?: return
    LazyColumn(Modifier.padding(16.dp)) {
        item {
            Text(d.entry.title, fontSize = 20.sp, fontWeight = FontWeight.Bold)
            Text("${d.entry.kindName} · ${d.entry.department}", fontSize = 12.sp)
            if (!d.inForce) Text("已不在有效期内（${d.validFrom ?: "不限"} 至 ${d.validTo ?: "不限"}）", color = Color(0xFFC62828))
            if (d.categories.isNotEmpty()) Text("适用事件：${d.categories.joinToString("、")}", fontSize = 12.sp)
        }
        items(d.blocks) { b ->
            val line = buildAnnotatedString {
                if (b.kind == "item") append("• ")
                b.spans.forEach { s ->
                    when {
                        s.link == null -> append(s.text)
                        s.broken -> { pushStyle(SpanStyle(textDecoration = TextDecoration.LineThrough)); append(s.text); pop() }
                        else -> { pushStyle(SpanStyle(color = Color(0xFF1565C0))); append(s.text); pop() }
                    }
                }
            }
            val link = b.spans.firstOrNull { it.link != null && !it.broken }?.link
            Text(line,
                fontWeight = if (b.kind == "heading") FontWeight.Bold else FontWeight.Normal,
                fontSize = if (b.kind == "heading") 16.sp else 14.sp,
                modifier = Modifier.padding(vertical = 3.dp).let { m -> link?.let { l -> m.clickable { open(l) } } ?: m })
        }
        item {
            d.tasks.forEach { t -> Text("网格事项：${t.name}", fontSize = 12.sp) }
            Text("第 ${d.version} 版 · ${d.author}", fontSize = 12.sp)
        }
    }
}

/** 办理指引: the entries for an incident's category, from the report and handling screens. */
@Composable
fun GuidanceList(client: FieldGridClient, category: String, open: (String) -> Unit) {
    val entries = remember(category) { mutableStateListOf<KnowledgeEntryInfo>() }
    LaunchedEffect(category) { entries.clear(); entries.addAll(client.knowledgeGuidance(category).take(5)) }
    if (entries.isEmpty()) return
    Column(Modifier.padding(vertical = 4.dp)) {
        Text("办理指引", fontWeight = FontWeight.Bold)
        entries.forEach { e ->
            TextButton(onClick = { open(e.id) }) { Text("${e.kindName}：${e.title}") }
        }
    }
}
