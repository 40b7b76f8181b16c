package org.fieldgrid.app

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.FilterChip
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import org.fieldgrid.FieldGridClient
import org.fieldgrid.ffi.ApiException
import org.fieldgrid.ffi.ScorecardInfo
import java.time.LocalDate
import java.time.ZoneId

/** This month and the one before, as period codes (`2026-11`). */
private fun months(): List<Pair<String, String>> {
    val today = LocalDate.now(ZoneId.of("Asia/Shanghai"))
    val last = today.minusMonths(1)
    return listOf("%d-%02d".format(today.year, today.monthValue) to "本月",
        "%d-%02d".format(last.year, last.monthValue) to "上月")
}

/**
 * 我的考核: the worker's own scorecard and points (以奖代补) for this or last
 * month, from [FieldGridClient.myScorecard]; with no signal, the card kept from
 * the last fetch ([FieldGridClient.cachedScorecard]) and a note saying so.
 */
@Composable
fun ScorecardScreen(client: FieldGridClient, session: Session) {
    var period by remember { mutableStateOf(months().first().first) }
    var card by remember { mutableStateOf<ScorecardInfo?>(null) }
    var note by remember { mutableStateOf<String?>(null) }
    LaunchedEffect(period) {
        note = null
        card = try {
            client.myScorecard(session.token!!, period)
        } catch (e: ApiException.Offline) {
            note = "无网络，显示上次获取的结果"
            client.cachedScorecard(period)
        } catch (e: ApiException) {
            note = e.message
            client.cachedScorecard(period)
        }
    }
    Column(Modifier.padding(16.dp)) {
        Row {
            months().forEach { (code, label) ->
                FilterChip(selected = period == code, onClick = { period = code }, label = { Text(label) })
            }
        }
        note?.let { Text(it) }
        val c = card
        if (c == null) {
            Text("暂无考核结果")
            return@Column
        }
        Text(c.periodLabel, fontWeight = FontWeight.Bold)
        Text("总分 %.2f".format(c.total), fontSize = 28.sp, fontWeight = FontWeight.Bold)
        Text("积分 %.1f（记录所得 %.1f，调整 %.1f）".format(c.pointsTotal, c.pointsEarned, c.pointsAdjusted))
        LazyColumn {
            items(c.items) { i ->
                Column(Modifier.fillMaxWidth().padding(vertical = 6.dp)) {
                    Row {
                        Text(i.name, fontWeight = FontWeight.Bold, modifier = Modifier.weight(1f))
                        Text(i.score?.let { "%.2f 分".format(it) } ?: "不计")
                    }
                    Text("实际 ${i.valueText} · 目标 ${i.targetText}")
                    Text(i.explain, fontSize = 12.sp)
                }
            }
            items(c.adjustments) { a ->
                Text("积分调整 %+.1f：%s（%s）".format(a.points, a.reason, a.byName))
            }
        }
    }
}
