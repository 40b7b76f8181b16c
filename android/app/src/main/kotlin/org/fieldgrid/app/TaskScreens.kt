package org.fieldgrid.app

import androidx.compose.foundation.background
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.launch
import org.fieldgrid.FieldGridClient
import org.fieldgrid.ffi.ApiException
import org.fieldgrid.ffi.FollowUpAnswer
import org.fieldgrid.ffi.IncidentSummary
import org.fieldgrid.ffi.PartEntry
import org.fieldgrid.ffi.Step
import org.fieldgrid.ffi.StepKind
import org.fieldgrid.ffi.StepOffer
import org.fieldgrid.ffi.TaskEntry
import org.fieldgrid.ffi.UrgeWay

/** The colour of a queue colour code, for the list's left edge. */
private fun colourOf(code: String) = when (code) {
    "overdue" -> Color(0xFFD32F2F)
    "warning" -> Color(0xFFF9A825)
    "done" -> Color(0xFF9E9E9E)
    else -> Color(0xFF2E7D32)
}

/**
 * 我的任务: the signed-in person's incidents (主办, 联办, 督办, 待核查, the
 * command centre's lists), urged ones first and marked, from [FieldGridClient.myTasks].
 * Refreshed after every sync (the background [NewsWorker] syncs when there is news).
 */
@Composable
fun TasksScreen(client: FieldGridClient, open: (TaskEntry) -> Unit) {
    val tasks = remember { mutableStateListOf<TaskEntry>() }
    val status = client.syncStatus
    LaunchedEffect(status.value.lastSuccess) { tasks.clear(); tasks.addAll(client.myTasks()) }
    LazyColumn(Modifier.padding(16.dp)) {
        item { Text("我的任务（${tasks.size}）", fontWeight = FontWeight.Bold) }
        if (tasks.isEmpty()) item { Text("暂无待办任务", Modifier.padding(vertical = 16.dp)) }
        items(tasks) { t ->
            val i = t.incident
            Row(Modifier.fillMaxWidth().clickable { open(t) }.padding(vertical = 8.dp)) {
                Text(" ", Modifier.background(colourOf(i.colour)).padding(horizontal = 3.dp))
                Column(Modifier.padding(start = 8.dp)) {
                    if (t.urgedAt != null) Text("⚑ 已被催办，请尽快办理", color = Color(0xFFD32F2F), fontWeight = FontWeight.Bold)
                    Text("${t.kindName} · ${i.categoryName}", fontWeight = FontWeight.Bold)
                    Text("${i.stageName}" + (t.unitName?.let { " · $it" } ?: "") + (i.assigneeName?.let { " · 主办：$it" } ?: ""))
                    t.partTask?.let { Text("联办任务：$it（${t.partStatusName}）") }
                    (t.partDue ?: i.due)?.let { Text("期限：${LocalContext.current.formatTime(it)}") }
                }
            }
        }
    }
}

/** What a step needs typed in before it is taken. */
private data class Pending(val offer: StepOffer, val task: TaskEntry)

/**
 * One incident of the task list with the steps the person may take there: a
 * button per [StepOffer]; steps that need a reason or an answer ask for it in a
 * dialog; the step goes through [FieldGridClient.take] (typed, no stage names)
 * and syncs with the next sync.
 */
@Composable
fun TaskIncidentScreen(client: FieldGridClient, task: TaskEntry, openEntry: (String) -> Unit, back: () -> Unit) {
    val scope = rememberCoroutineScope()
    var summary by remember { mutableStateOf<IncidentSummary?>(null) }
    val parts = remember { mutableStateListOf<PartEntry>() }
    var pending by remember { mutableStateOf<Pending?>(null) }
    var message by remember { mutableStateOf("") }
    val id = task.incident.id
    LaunchedEffect(id) {
        summary = client.core.incident(id)
        parts.clear(); parts.addAll(client.parts(id))
    }
    Column(Modifier.padding(16.dp)) {
        Text("${task.incident.categoryName} · ${task.incident.stageName}", fontWeight = FontWeight.Bold)
        summary?.let { Text(it.description) }
        // What the knowledge base says about handling this kind of case.
        GuidanceList(client, task.incident.category, openEntry)
        task.incident.assigneeName?.let { Text("主办单位：$it") }
        parts.forEach { p -> Text("联办：${p.unit} · ${p.task} · ${p.statusName}") }
        if (task.urgedAt != null) Text("⚑ 已被催办", color = Color(0xFFD32F2F))
        task.steps.filter { it.kind != StepKind.DISPATCH }.forEach { offer ->
            Button(onClick = {
                if (offer.kind == StepKind.START_HANDLING || offer.kind == StepKind.PART_START) {
                    scope.launch { message = take(client, id, stepFor(offer.kind, task, "", null)); back() }
                } else {
                    pending = Pending(offer, task)
                }
            }, Modifier.padding(top = 8.dp)) { Text(offer.name) }
        }
        if (task.steps.any { it.kind == StepKind.DISPATCH }) Text("派遣请在指挥中心电脑端办理（可选联办、督办单位）")
        Text(message)
    }
    pending?.let { p ->
        var note by remember { mutableStateOf("") }
        var answer by remember { mutableStateOf<FollowUpAnswer?>(null) }
        AlertDialog(
            onDismissRequest = { pending = null },
            title = { Text(p.offer.name) },
            text = {
                Column {
                    if (p.offer.kind == StepKind.FOLLOW_UP) {
                        listOf(FollowUpAnswer.SATISFIED to "满意", FollowUpAnswer.BASIC to "基本满意",
                            FollowUpAnswer.UNSATISFIED to "不满意", FollowUpAnswer.UNREACHABLE to "无法联系").forEach { (a, label) ->
                            FilterChip(selected = answer == a, onClick = { answer = a }, label = { Text(label) })
                        }
                    }
                    OutlinedTextField(note, { note = it }, label = { Text("说明（必填）") })
                }
            },
            confirmButton = {
                TextButton(onClick = {
                    scope.launch {
                        message = take(client, id, stepFor(p.offer.kind, p.task, note, answer))
                        pending = null
                        back()
                    }
                }) { Text("提交") }
            },
            dismissButton = { TextButton(onClick = { pending = null }) { Text("取消") } },
        )
    }
}

/** The typed step for a button, with the task's unit where the step names one. */
private fun stepFor(kind: StepKind, task: TaskEntry, note: String, answer: FollowUpAnswer?): Step {
    val unit = task.unit ?: ""
    return when (kind) {
        StepKind.ACCEPT -> Step.Accept(note)
        StepKind.REJECT -> Step.Reject(note)
        StepKind.ESCALATE -> Step.Escalate(note)
        StepKind.START_HANDLING -> Step.StartHandling
        StepKind.RETURN -> Step.Return(note)
        StepKind.FINISH -> Step.Finish(note)
        StepKind.PART_START -> Step.PartStart(unit)
        StepKind.PART_FINISH -> Step.PartFinish(unit, note)
        StepKind.PART_RETURN -> Step.PartReturn(unit, note)
        StepKind.PART_REDO -> Step.PartRedo(unit, note)
        StepKind.PART_RELEASE -> Step.PartRelease(unit, note)
        StepKind.URGE -> Step.Urge(task.incident.assignee ?: unit, UrgeWay.ONLINE, note, null)
        StepKind.VERIFY -> Step.Verify(note)
        StepKind.REOPEN -> Step.Reopen(note)
        StepKind.CLOSE -> Step.Close(note)
        StepKind.FOLLOW_UP -> Step.FollowUp(answer ?: FollowUpAnswer.UNREACHABLE, note)
        StepKind.REPROCESS -> Step.Reprocess(note)
        StepKind.RESOLVE_ON_SPOT -> Step.ResolveOnSpot(note)
        StepKind.DISPATCH -> error("dispatch is taken on the command centre's pages")
    }
}

private suspend fun take(client: FieldGridClient, id: String, step: Step): String = try {
    val after = client.take(id, step)
    if (after.conflicts > 0u) "已记录，但与他人的操作冲突，请联系指挥中心" else "已提交，联网后自动同步"
} catch (e: ApiException) {
    e.message ?: "提交失败"
}
