package org.fieldgrid.app

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Checkbox
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.ScrollableTabRow
import androidx.compose.material3.Tab
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateMapOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.launch
import org.fieldgrid.FieldGridClient
import org.fieldgrid.ffi.ApiException
import org.fieldgrid.ffi.FieldEntry
import org.fieldgrid.ffi.FieldProblemInfo
import org.fieldgrid.ffi.FieldValueInfo
import org.fieldgrid.ffi.FormKind
import org.fieldgrid.ffi.VisitInput
import org.json.JSONObject

/**
 * A household's record by modules (tabs), rendered from the form definition the
 * core hands over as JSON: text and number fields, yes/no, choices; problems
 * under their fields; save as draft, mark complete, record a visit.
 */
@Composable
fun HouseholdFormScreen(client: FieldGridClient, householdId: String) {
    val scope = rememberCoroutineScope()
    var form by remember { mutableStateOf<JSONObject?>(null) }
    var module by remember { mutableStateOf(0) }
    val edits = remember { mutableStateMapOf<String, FieldValueInfo?>() }
    val saved = remember { mutableStateMapOf<String, FieldValueInfo?>() }
    var problems by remember { mutableStateOf<List<FieldProblemInfo>>(emptyList()) }
    var message by remember { mutableStateOf("") }
    LaunchedEffect(householdId) {
        form = JSONObject(client.formJson(FormKind.HOUSEHOLD))
        client.household(householdId).answers.forEach { saved[it.key] = it.value }
        problems = client.core.problems(householdId)
    }
    val f = form ?: return
    val modules = f.getJSONArray("modules")
    Column {
        ScrollableTabRow(selectedTabIndex = module) {
            for (i in 0 until modules.length()) {
                val label = modules.getJSONObject(i).getJSONObject("label").getString("zh")
                Tab(selected = module == i, onClick = { module = i }, text = { Text(label) })
            }
        }
        val m = modules.getJSONObject(module)
        val fields = buildList {
            val sections = m.getJSONArray("sections")
            for (s in 0 until sections.length()) {
                val list = sections.getJSONObject(s).getJSONArray("fields")
                for (i in 0 until list.length()) add(list.getJSONObject(i))
            }
        }
        LazyColumn(Modifier.weight(1f).padding(horizontal = 16.dp)) {
            items(fields) { field ->
                val key = "${m.getString("code")}.${field.getString("code")}"
                val label = field.getJSONObject("label").getString("zh") + if (field.optBoolean("required")) " *" else ""
                val current = if (edits.containsKey(key)) edits[key] else saved[key]
                val calculated = field.has("calculate")
                when (field.getString("type")) {
                    "yes_no" -> Column {
                        Text(label)
                        Checkbox(
                            checked = (current as? FieldValueInfo.Bool)?.value == true,
                            enabled = !calculated,
                            onCheckedChange = { edits[key] = FieldValueInfo.Bool(it) },
                        )
                    }
                    "integer", "decimal", "text", "date", "phone", "id_card", "single" -> OutlinedTextField(
                        value = current.display(),
                        enabled = !calculated,
                        onValueChange = { edits[key] = parse(field.getString("type"), it) },
                        label = { Text(label) },
                    )
                    else -> Text("$label：${current.display()}")
                }
                problems.forField(key).forEach { Text("⚠ ${it.message}") }
            }
        }
        Button(onClick = {
            scope.launch {
                message = try {
                    val out = client.save(householdId, edits.map { (k, v) -> FieldEntry(k, v) })
                    edits.forEach { (k, v) -> saved[k] = v }
                    edits.clear()
                    problems = out.problems
                    if (out.problems.isEmpty()) "已保存" else "已保存草稿（${out.problems.size} 项待完善）"
                } catch (e: ApiException.InvalidFields) {
                    problems = e.problems
                    "有 ${e.problems.size} 项填写有误，未保存"
                }
            }
        }) { Text("保存") }
        Button(onClick = {
            scope.launch {
                message = try {
                    client.core.markComplete(householdId)
                    "已标记为完整"
                } catch (e: ApiException.Incomplete) {
                    problems = e.problems
                    "还有 ${e.problems.size} 项待完善"
                }
            }
        }) { Text("完成") }
        Button(onClick = {
            scope.launch {
                client.visit(householdId, VisitInput("routine", "入户走访", null, null, emptyList(), false))
                message = "已记录走访"
            }
        }) { Text("记录走访") }
        Text(message)
    }
}

private fun FieldValueInfo?.display(): String = when (this) {
    null -> ""
    is FieldValueInfo.Text -> value
    is FieldValueInfo.Int -> value.toString()
    is FieldValueInfo.Decimal -> value.toString()
    is FieldValueInfo.Bool -> if (value) "是" else "否"
    is FieldValueInfo.Choices -> codes.joinToString("、")
    is FieldValueInfo.Point -> "%.5f, %.5f".format(lat, lon)
    is FieldValueInfo.Rows -> json
}

/** What the user typed, as the field's type; the core checks it on save. */
private fun parse(type: String, text: String): FieldValueInfo? = when {
    text.isBlank() -> null
    type == "integer" -> text.toLongOrNull()?.let { FieldValueInfo.Int(it) } ?: FieldValueInfo.Text(text)
    type == "decimal" -> text.toDoubleOrNull()?.let { FieldValueInfo.Decimal(it) } ?: FieldValueInfo.Text(text)
    else -> FieldValueInfo.Text(text)
}
