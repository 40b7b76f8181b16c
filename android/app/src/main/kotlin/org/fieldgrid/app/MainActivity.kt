package org.fieldgrid.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.rememberNavController
import org.fieldgrid.FieldGridClient

/** One activity; screens are Compose destinations. */
class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val app = application as FieldGridApp
        setContent {
            MaterialTheme {
                var client by remember { mutableStateOf<FieldGridClient?>(null) }
                LaunchedEffect(Unit) { client = app.client.await() }
                val c = client
                if (c == null) Text("正在打开数据…") else AppScreens(c, app.session)
            }
        }
    }
}

@Composable
fun AppScreens(client: FieldGridClient, session: Session) {
    val nav = rememberNavController()
    var signedIn by remember { mutableStateOf(session.staffId != null) }
    if (!signedIn) {
        SignInScreen(client, session) { signedIn = true }
        return
    }
    val context = androidx.compose.ui.platform.LocalContext.current
    LaunchedEffect(session.staffId) {
        session.staffId?.let { client.signIn(it) }
        // The background news check, and one now that the app is in front.
        NewsWorker.schedule(context)
        session.token?.let { runCatching { client.syncIfNews(it) } }
    }
    var openTask by remember { mutableStateOf<org.fieldgrid.ffi.TaskEntry?>(null) }
    val tabs = listOf("tasks" to "任务", "patrol" to "巡查", "incident" to "上报", "households" to "入户", "knowledge" to "知识库", "score" to "考核", "sync" to "同步")
    Scaffold(bottomBar = {
        NavigationBar {
            tabs.forEach { (route, label) ->
                NavigationBarItem(selected = false, onClick = { nav.navigate(route) }, icon = {}, label = { Text(label) })
            }
        }
    }) { padding ->
        NavHost(nav, startDestination = "tasks", modifier = Modifier.padding(padding)) {
            composable("tasks") { TasksScreen(client) { openTask = it; nav.navigate("task") } }
            composable("task") { openTask?.let { t -> TaskIncidentScreen(client, t, { nav.navigate("entry/$it") }) { nav.popBackStack() } } }
            composable("grids") { GridsScreen(client, session.staffId!!) }
            composable("patrol") { PatrolScreen(client, session.staffId!!) }
            composable("incident") { IncidentScreen(client, session.staffId!!) { nav.navigate("entry/$it") } }
            composable("knowledge") { KnowledgeScreen(client) { nav.navigate("entry/$it") } }
            composable("entry/{id}") { KnowledgeEntryScreen(client, it.arguments?.getString("id")!!) { id -> nav.navigate("entry/$id") } }
            composable("households") { HouseholdsScreen(client, session.staffId!!) { nav.navigate("household/$it") } }
            composable("household/{id}") { HouseholdFormScreen(client, it.arguments?.getString("id")!!) }
            composable("score") { ScorecardScreen(client, session) }
            composable("sync") { SyncScreen(client, session) }
        }
    }
}
