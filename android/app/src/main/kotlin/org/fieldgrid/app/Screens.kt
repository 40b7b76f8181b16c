package org.fieldgrid.app

import android.content.Context
import android.graphics.Bitmap
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.unit.dp
import java.io.ByteArrayOutputStream
import kotlinx.coroutines.launch
import org.fieldgrid.FieldGridClient
import org.fieldgrid.answer
import org.fieldgrid.ffi.ApiException
import org.fieldgrid.ffi.CategoryChoice
import org.fieldgrid.ffi.FieldProblemInfo
import org.fieldgrid.ffi.GridInfo
import org.fieldgrid.ffi.HouseholdFilter
import org.fieldgrid.ffi.HouseholdRow
import org.fieldgrid.ffi.NewIncident
import org.fieldgrid.ffi.RegistrationInfo
import org.fieldgrid.ffi.RegistrationStatus
import org.fieldgrid.ffi.SyncProgressInfo
import org.fieldgrid.ffi.TravelModeInfo

/** Registration with ID-card number and phone, then waiting for approval. */
@Composable
fun SignInScreen(client: FieldGridClient, session: Session, done: () -> Unit) {
    val scope = rememberCoroutineScope()
    var name by remember { mutableStateOf("") }
    var idNumber by remember { mutableStateOf("") }
    var phone by remember { mutableStateOf("") }
    var message by remember { mutableStateOf("") }
    Column(Modifier.padding(16.dp)) {
        Text("注册本机（需管理员审核）")
        OutlinedTextField(name, { name = it }, label = { Text("姓名") })
        OutlinedTextField(idNumber, { idNumber = it }, label = { Text("身份证号") })
        OutlinedTextField(phone, { phone = it }, label = { Text("手机号") })
        Button(onClick = {
            scope.launch {
                message = try {
                    val reg = client.register(name, idNumber, phone)
                    session.token = reg.token
                    session.registrationId = reg.registrationId
                    "已提交，请等待审核"
                } catch (e: ApiException) {
                    e.message ?: "提交失败"
                }
            }
        }) { Text("提交注册") }
        Button(onClick = {
            scope.launch {
                val reg = RegistrationInfo(session.registrationId ?: return@launch, session.token ?: return@launch)
                when (val s = client.registrationStatus(reg)) {
                    is RegistrationStatus.Approved -> {
                        session.staffId = s.staffId
                        client.signIn(s.staffId)
                        done()
                    }
                    is RegistrationStatus.Rejected -> message = "未通过：${s.reason}"
                    RegistrationStatus.Pending -> message = "仍在审核中"
                }
            }
        }) { Text("查看审核结果") }
        Text(message)
    }
}

@Composable
fun GridsScreen(client: FieldGridClient, staffId: String) {
    val grids = remember { mutableStateListOf<GridInfo>() }
    LaunchedEffect(staffId) { grids.clear(); grids.addAll(client.myGrids(staffId)) }
    LazyColumn(Modifier.padding(16.dp)) {
        item { Text("我的网格") }
        items(grids) { g -> Text("${g.name}（${g.code}）", Modifier.padding(vertical = 8.dp)) }
    }
}

/** Start and stop a patrol; fixes come from [PatrolService]. */
@Composable
fun PatrolScreen(client: FieldGridClient, staffId: String) {
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    var patrol by remember { mutableStateOf<String?>(null) }
    var summary by remember { mutableStateOf("") }
    Column(Modifier.padding(16.dp)) {
        if (patrol == null) {
            Button(onClick = {
                scope.launch {
                    val grid = client.myGrids(staffId).firstOrNull()?.code ?: return@launch
                    val id = client.startPatrol(grid, "日常巡查", TravelModeInfo.WALKING)
                    patrol = id
                    PatrolService.start(context, id)
                }
            }) { Text("开始巡查") }
        } else {
            Button(onClick = {
                scope.launch {
                    PatrolService.stop(context)
                    val s = client.stopPatrol(patrol!!)
                    summary = "已结束：${s.fixes} 个定位点"
                    patrol = null
                }
            }) { Text("结束巡查") }
        }
        Text(summary)
    }
}

/**
 * Report an incident: the category from the catalogue's picker (Chinese name or
 * pinyin initials, e.g. 噪音 or zyrm), the place from the phone's position (the
 * grid it falls in, shown by name; the worker's own grids when there is no fix),
 * and camera photos.
 */
@Composable
fun IncidentScreen(client: FieldGridClient, staffId: String, openEntry: (String) -> Unit) {
    val scope = rememberCoroutineScope()
    val context = LocalContext.current
    var description by remember { mutableStateOf("") }
    var query by remember { mutableStateOf("") }
    val choices = remember { mutableStateListOf<CategoryChoice>() }
    var category by remember { mutableStateOf<CategoryChoice?>(null) }
    var place by remember { mutableStateOf<Pair<Double, Double>?>(null) }
    val grids = remember { mutableStateListOf<GridInfo>() }
    var grid by remember { mutableStateOf<GridInfo?>(null) }
    val photos = remember { mutableStateListOf<String>() }
    var message by remember { mutableStateOf("") }
    val camera = rememberLauncherForActivityResult(ActivityResultContracts.TakePicturePreview()) { bitmap: Bitmap? ->
        bitmap ?: return@rememberLauncherForActivityResult
        val jpeg = ByteArrayOutputStream().also { bitmap.compress(Bitmap.CompressFormat.JPEG, 92, it) }.toByteArray()
        scope.launch { photos.add(client.addPhoto(jpeg).hash) }
    }
    LaunchedEffect(query) { choices.clear(); choices.addAll(client.categories(query)) }
    LaunchedEffect(Unit) {
        place = currentPosition(context)
        grids.clear()
        grids.addAll(place?.let { (lat, lon) -> client.gridsAt(lat, lon) }?.takeIf { it.isNotEmpty() } ?: client.myGrids(staffId))
        grid = grids.firstOrNull()
    }
    Column(Modifier.padding(16.dp)) {
        OutlinedTextField(query, { query = it }, label = { Text("事件类别（输入名称或拼音首字母）") })
        category?.let { Text("已选：${it.path}" + (it.grade?.let { g -> "（$g）" } ?: "")) }
        category?.let { GuidanceList(client, it.code, openEntry) }
        LazyColumn(Modifier.padding(vertical = 4.dp)) {
            items(choices.take(6)) { c ->
                Text(c.path, Modifier.fillMaxWidth().clickable { category = c; query = c.name }.padding(vertical = 6.dp))
            }
        }
        Text(place?.let { "位置：%.5f, %.5f".format(it.first, it.second) } ?: "未定位：请选择网格")
        Row { grids.forEach { g -> Button(onClick = { grid = g }, Modifier.padding(end = 4.dp)) { Text((if (g == grid) "✓ " else "") + g.name) } } }
        OutlinedTextField(description, { description = it }, label = { Text("事件描述") })
        Button(onClick = { camera.launch(null) }) { Text("拍照（${photos.size}）") }
        Button(onClick = {
            scope.launch {
                val c = category ?: run { message = "请先选择事件类别"; return@launch }
                val g = grid ?: run { message = "请选择网格"; return@launch }
                message = try {
                    client.report(NewIncident(g.code, c.code, description, place?.first, place?.second, photos.toList()))
                    photos.clear()
                    "已上报，联网后自动同步"
                } catch (e: ApiException) {
                    e.message ?: "上报失败"
                }
            }
        }) { Text("上报") }
        Text(message)
    }
}

/** The phone's current position from the fused provider, or null without permission or a fix. */
@android.annotation.SuppressLint("MissingPermission")
suspend fun currentPosition(context: Context): Pair<Double, Double>? = try {
    val fused = com.google.android.gms.location.LocationServices.getFusedLocationProviderClient(context)
    val task = fused.getCurrentLocation(com.google.android.gms.location.Priority.PRIORITY_HIGH_ACCURACY, null)
    kotlinx.coroutines.suspendCancellableCoroutine { cont ->
        task.addOnSuccessListener { loc -> cont.resumeWith(Result.success(loc?.let { it.latitude to it.longitude })) }
        task.addOnFailureListener { cont.resumeWith(Result.success(null)) }
    }
} catch (e: SecurityException) {
    null
}

/** Households of my grids: search, problems filter, door-plate scanner. */
@Composable
fun HouseholdsScreen(client: FieldGridClient, staffId: String, open: (String) -> Unit) {
    val scope = rememberCoroutineScope()
    var query by remember { mutableStateOf("") }
    var onlyProblems by remember { mutableStateOf(false) }
    val rows = remember { mutableStateListOf<HouseholdRow>() }
    var scanning by remember { mutableStateOf(false) }
    var message by remember { mutableStateOf("") }
    LaunchedEffect(onlyProblems) {
        val grids = client.myGrids(staffId).map { it.code }
        rows.clear()
        rows.addAll(client.households(HouseholdFilter(grids, emptyList(), onlyProblems, null, 200u, 0u)))
    }
    if (scanning) {
        DoorPlateScanner { payload ->
            scanning = false
            scope.launch {
                try {
                    open(client.openDoorPlate(payload))
                } catch (e: ApiException) {
                    message = e.message ?: "无法识别门牌"
                }
            }
        }
        return
    }
    Column(Modifier.padding(16.dp)) {
        Row {
            OutlinedTextField(query, { query = it }, label = { Text("姓名/身份证/电话/地址") })
            Button(onClick = {
                scope.launch {
                    val hits = client.findResidents(query)
                    hits.firstOrNull { it.kind == "household" }?.let { open(it.id) } ?: run { message = "未找到" }
                }
            }) { Text("查找") }
        }
        Row {
            Button(onClick = { scanning = true }) { Text("扫门牌") }
            Button(onClick = { onlyProblems = !onlyProblems }) { Text(if (onlyProblems) "全部" else "待完善") }
        }
        Text(message)
        LazyColumn {
            items(rows) { h ->
                Text(
                    "${h.headName} · ${h.address}" + if (h.problems > 0u) "（${h.problems} 项待完善）" else "",
                    Modifier.fillMaxWidth().clickable { open(h.id) }.padding(vertical = 8.dp),
                )
            }
        }
    }
}

/** The sync screen: pending counts (a StateFlow) and a sync with live progress. */
@Composable
fun SyncScreen(client: FieldGridClient, session: Session) {
    val scope = rememberCoroutineScope()
    val status by client.syncStatus.collectAsState()
    var progress by remember { mutableStateOf<SyncProgressInfo?>(null) }
    var running by remember { mutableStateOf(false) }
    var error by remember { mutableStateOf<String?>(null) }
    Column(Modifier.padding(16.dp)) {
        Text("待上传：${status.pendingRecords} 条记录，${status.pendingTrackChunks} 段轨迹，${status.pendingPhotos} 张照片")
        status.lastError?.let { Text("上次同步失败：$it") }
        if (running) LinearProgressIndicator(Modifier.fillMaxWidth())
        progress?.let { Text("已上传 ${it.pushed}，已下载 ${it.pulled}，第 ${it.rounds} 轮") }
        Button(enabled = !running, onClick = {
            val token = session.token ?: return@Button
            scope.launch {
                running = true
                error = null
                try {
                    client.syncProgress(token).collect { progress = it }
                } catch (e: ApiException.DeviceRevoked) {
                    error = "本机已被停用，数据已清除"
                    session.staffId = null
                } catch (e: ApiException) {
                    error = e.message
                } finally {
                    running = false
                }
            }
        }) { Text("立即同步") }
        error?.let { Text(it) }
    }
}

/** Shows problems next to their fields. */
fun List<FieldProblemInfo>.forField(key: String) = filter { it.field == key || it.field.startsWith("$key[") }

/** Dates shown to users in China time. */
fun Context.formatTime(unixSeconds: Long): String =
    java.text.SimpleDateFormat("yyyy-MM-dd HH:mm", java.util.Locale.CHINA).format(java.util.Date(unixSeconds * 1000))
