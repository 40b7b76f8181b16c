package org.fieldgrid

import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import javax.imageio.ImageIO
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.fieldgrid.ffi.ApiException
import org.fieldgrid.ffi.FixInput
import org.fieldgrid.ffi.HouseholdFilter
import org.fieldgrid.ffi.NewIncident
import org.fieldgrid.ffi.JointPartInput
import org.fieldgrid.ffi.ProviderInfo
import org.fieldgrid.ffi.Step
import org.fieldgrid.ffi.StepKind
import org.fieldgrid.ffi.UrgeWay
import org.fieldgrid.ffi.RegistrationStatus
import org.fieldgrid.ffi.TravelModeInfo
import org.fieldgrid.ffi.VisitInput
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.FixMethodOrder
import org.junit.Test
import org.junit.runners.MethodSorters

/**
 * The Kotlin layer on a real JVM, over the real native library, against a real
 * fieldgrid-server (started by bindings/tests/run-foreign.sh): a grid worker runs a
 * patrol, reports an incident with a camera photo, edits a household, and syncs;
 * a grid chief's phone receives it all.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
class FieldGridClientTest {
    companion object {
        val url: String = System.getenv("FIELDGRID_URL") ?: error("FIELDGRID_URL not set")
        val admin: String = System.getenv("FIELDGRID_ADMIN_TOKEN") ?: error("FIELDGRID_ADMIN_TOKEN not set")
        const val GRID = "320722104202001"
        val dir = Files.createTempDirectory("fieldgrid-kt").toString()
        val key = "kotlin-test-key-0123456789abcdef".toByteArray()
        var household = ""
        var incident = ""
        var patrol = ""

        fun idNumber(n: Int): String {
            val body = "3207221985071%04d".format(n)
            val w = intArrayOf(7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
            val sum = body.mapIndexed { i, c -> (c - '0') * w[i] }.sum()
            return body + "10X98765432"[sum % 11]
        }

        fun approve(registration: String, staff: String) {
            val request = HttpRequest.newBuilder(URI("$url/v1/admin/registrations/$registration/approve"))
                .header("Authorization", "Bearer $admin")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""{"staff_id":"$staff"}"""))
                .build()
            val status = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode()
            assertEquals(204, status)
        }

        /** A real JPEG, as the camera would hand it over. */
        fun cameraJpeg(): ByteArray {
            val img = BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB)
            for (y in 0 until 480) for (x in 0 until 640) img.setRGB(x, y, (x % 256 shl 16) or (y % 256 shl 8) or 80)
            return ByteArrayOutputStream().also { ImageIO.write(img, "jpg", it) }.toByteArray()
        }

        suspend fun enrol(client: FieldGridClient, name: String, staff: String, n: Int): String {
            val reg = client.register(name, idNumber(n), "1390518%04d".format(n))
            approve(reg.registrationId, staff)
            val status = client.registrationStatus(reg)
            assertEquals(RegistrationStatus.Approved(staff), status)
            client.signIn(staff)
            return reg.token
        }

        var workerToken = ""
    }

    @Test
    fun a_wrongKeyIsRefused() = runBlocking {
        val path = "$dir/worker.sqlite"
        FieldGridClient.open(path, key, url).close()
        try {
            FieldGridClient.open(path, "not-the-key-0123456789abcdef!!!!".toByteArray(), url)
            fail("a wrong key opened the store")
        } catch (e: ApiException.WrongKey) {
            assertTrue(e.message!!.contains("key"))
        }
    }

    @Test
    fun b_workerPatrolsReportsEditsAndSyncs() = runBlocking {
        FieldGridClient.open("$dir/worker.sqlite", key, url).use { c ->
            val worker = "worker-$GRID"
            workerToken = enrol(c, "kt-worker", worker, 1)
            c.sync(workerToken)
            assertTrue(c.myGrids(worker).any { it.code == GRID })

            // A patrol: the location service's fixes go through the batcher.
            patrol = c.startPatrol(GRID, "日常巡查", TravelModeInfo.WALKING)
            val batcher = FixBatcher(c, patrol, maxFixes = 50)
            val t0 = System.currentTimeMillis() - 300_000
            for (i in 0 until 240) {
                batcher.add(FixInput(t0 + i * 1000L, 34.5800 + i * 0.00001, 118.7700, 6f, null, 1.3f, 0f, ProviderInfo.FUSED, false))
            }
            batcher.flush()
            assertEquals(240uL, batcher.ingested.accepted)
            assertEquals(240uL, c.stopPatrol(patrol).fixes)

            // An incident with a camera photo.
            val photo = c.addPhoto(cameraJpeg())
            incident = c.report(NewIncident(GRID, "fire.passage.blocked", "楼道堆放杂物堵塞消防通道", 34.5801, 118.7701, listOf(photo.hash)))
            assertEquals("reported", c.core.incident(incident).stage)

            // A household: a draft, a refused value, a good one, a visit.
            val out = c.newHousehold(GRID, listOf(answer("basic.head_name", "孙立平"), answer("basic.address", "安峰镇河东村1组3号"), answer("basic.member_count", 5L)))
            household = out.id
            assertTrue(out.problems.isNotEmpty() && out.problems.none { it.invalid })
            try {
                c.save(household, listOf(answer("basic.member_count", "五")))
                fail("text was saved into a number")
            } catch (e: ApiException.InvalidFields) {
                assertEquals(listOf("basic.member_count"), e.problems.map { it.field })
            }
            c.save(household, listOf(answer("income.wages", 36000L), answer("safety.smoke_alarm", true)))
            assertEquals("孙立平", c.household(household).answers.text("basic.head_name"))
            c.visit(household, VisitInput("safety_check", "检查烟感", null, null, listOf(photo.hash), true))
            assertEquals(household, c.openDoorPlate(c.core.doorPlatePayload(household)))
            assertTrue(c.households(HouseholdFilter(listOf(GRID), listOf("income.low_income=yes"), false, null, 0u, 0u)).any { it.id == household })

            // Sync as a Flow of progress; the status flow empties.
            assertTrue(c.syncStatus.value.pendingRecords > 0uL)
            val rounds = c.syncProgress(workerToken).toList()
            assertTrue("progress after each round", rounds.isNotEmpty())
            assertTrue(rounds.sumOf { it.pushed } >= 3uL)
            val s = c.syncStatus.value
            assertEquals(listOf(0uL, 0uL, 0uL), listOf(s.pendingRecords, s.pendingTrackChunks, s.pendingPhotos))
        }
    }

    @Test
    fun c_aChiefPhoneReceivesItAll() = runBlocking {
        FieldGridClient.open("$dir/chief.sqlite", null, url).use { c ->
            val token = enrol(c, "kt-chief", "chief-$GRID", 2)
            c.sync(token)
            val h = c.household(household)
            assertEquals("孙立平", h.headName)
            assertEquals(1u, h.visits)
            assertEquals("fire.passage.blocked", c.core.incident(incident).category)
            val picked = c.core.searchCategories("tdds", 3u).first()
            assertEquals("fire.passage.blocked", picked.code)
            assertEquals("消防安全 › 消防通道 › 通道堵塞", picked.path)
            assertEquals("较大", picked.grade)
            // The queue carries what a screen shows, in Chinese, next to the codes.
            val queued = c.core.incidentQueue(false).first { it.id == incident }
            assertEquals(listOf("通道堵塞", "待受理", "grid_worker", "网格员上报"),
                listOf(queued.categoryName, queued.stageName, queued.channel, queued.channelName))
            assertEquals(household, c.findResidents("孙立平").first { it.kind == "household" }.id)
        }
    }

    @Test
    fun d_syncErrorsAreTyped() = runBlocking {
        FieldGridClient.open("$dir/other.sqlite", null, "http://127.0.0.1:9").use { c ->
            try {
                c.sync("token")
                fail("synced with no server")
            } catch (e: ApiException.Offline) {
                assertTrue(c.syncStatus.value.lastError != null)
            }
            try {
                c.syncProgress("token").toList()
                fail("a failed sync completed its flow")
            } catch (e: ApiException.Offline) {
            }
        }
        FieldGridClient.open("$dir/other2.sqlite", null, url).use { c ->
            try {
                c.sync("not-a-token")
                fail("synced with a bad token")
            } catch (e: ApiException.NotAuthorized) {
            }
        }
    }

    @Test
    fun e_tasksAndTypedStepsThroughTheLoop() = runBlocking {
        val sup = FieldGridClient.open("$dir/sup.sqlite", null, url)
        val lead = FieldGridClient.open("$dir/lead.sqlite", null, url)
        val joint = FieldGridClient.open("$dir/joint.sqlite", null, url)
        val watcher = FieldGridClient.open("$dir/watcher.sqlite", null, url)
        val supToken = enrol(sup, "kt-sup", "sup-anfeng", 3)
        val leadToken = enrol(lead, "kt-lead", "handler-zhifa", 4)
        val jointToken = enrol(joint, "kt-joint", "handler-shichang", 5)
        val watcherToken = enrol(watcher, "kt-watcher", "handler-zongzhi", 6)
        // The report screen's picker and place, through the library layer.
        assertEquals("fire.passage.blocked", sup.categories("tdds").first().code)
        assertTrue("no grid outside the county", sup.gridsAt(30.0, 110.0).isEmpty())
        // A new report from the worker's phone reaches the command centre as news.
        sup.sync(supToken)
        val incident = FieldGridClient.open("$dir/worker.sqlite", key, url).use { w ->
            w.signIn("worker-$GRID")
            val id = w.report(NewIncident(GRID, "fire.passage.blocked", "三楼楼道堆放电动车", null, null, emptyList()))
            w.sync(workerToken)
            id
        }
        assertTrue(sup.syncIfNews(supToken))
        val accept = sup.myTasks().first { it.incident.id == incident }
        assertEquals("待受理", accept.kindName)
        sup.take(incident, Step.Accept(""))
        val due = System.currentTimeMillis() / 1000 + 86_400
        val dispatched = sup.take(incident, Step.Dispatch("320722104000-zhifa",
            listOf(JointPartInput("320722104000-shichang", "清理楼道杂物", due)), "320722104000-zongzhi", ""))
        assertEquals("dispatched", dispatched.stage)
        sup.sync(supToken)
        for ((c, t) in listOf(lead to leadToken, joint to jointToken, watcher to watcherToken)) {
            assertTrue(c.checkNews(t).count > 0uL)
            assertTrue(c.syncIfNews(t))
        }
        val part = joint.myTasks().first { it.incident.id == incident }
        assertEquals(listOf("联办", "市场监管平台", "清理楼道杂物", "待办理"),
            listOf(part.kindName, part.unitName, part.partTask, part.partStatusName))
        assertEquals(listOf(StepKind.PART_START, StepKind.PART_FINISH, StepKind.PART_RETURN), part.steps.map { it.kind })
        // Urged by the supervising unit: the joint unit's phone shows it first.
        watcher.take(incident, Step.Urge("320722104000-shichang", UrgeWay.PHONE, "请今日清理", due))
        watcher.sync(watcherToken)
        assertTrue(joint.syncIfNews(jointToken))
        // Urged tasks come first (the demo county's centres urge cases of their own).
        val tasks = joint.myTasks()
        val urged = tasks.first { it.incident.id == incident }
        assertTrue(urged.urgedAt != null)
        val firstCalm = tasks.indexOfFirst { it.urgedAt == null }.let { if (it < 0) tasks.size else it }
        assertTrue("urged tasks first", tasks.indexOf(urged) < firstCalm)
        joint.take(incident, Step.PartFinish("320722104000-shichang", "杂物已清理"))
        assertEquals(listOf("已完成"), joint.parts(incident).map { it.statusName })
        joint.sync(jointToken)
        lead.syncIfNews(leadToken)
        assertEquals("主办", lead.myTasks().first { it.incident.id == incident }.kindName)
        lead.take(incident, Step.StartHandling)
        val handled = lead.take(incident, Step.Finish("通道已畅通"))
        assertEquals(listOf("handled", 0u), listOf(handled.stage, handled.conflicts))
        assertEquals(0uL, lead.sync(leadToken).rejected)
        for (c in listOf(sup, lead, joint, watcher)) c.close()
    }

    @Test
    fun f_ownScorecardOnlineAndOffline() = runBlocking {
        val card = FieldGridClient.open("$dir/worker.sqlite", key, url).use { c ->
            c.signIn("worker-$GRID")
            val card = c.myScorecard(workerToken)
            assertTrue(card.periodLabel, card.periodLabel.endsWith("月"))
            assertEquals(listOf("巡查时长", "巡查天数"), card.items.take(2).map { it.name })
            val visits = card.items.first { it.metric == "visits" }
            assertTrue("$visits", visits.records >= 1u && visits.valueText.endsWith("次"))
            assertEquals(card.pointsEarned + card.pointsAdjusted, card.pointsTotal, 0.001)
            assertEquals(card, c.cachedScorecard())
            card
        }
        // No signal: the fetch fails as offline, the kept card still reads.
        FieldGridClient.open("$dir/worker.sqlite", key, "http://127.0.0.1:9").use { off ->
            off.signIn("worker-$GRID")
            try {
                off.myScorecard(workerToken)
                fail("fetched with no server")
            } catch (e: ApiException.Offline) {
            }
            assertEquals(card, off.cachedScorecard(card.period))
        }
    }

    @Test
    fun g_knowledgeBaseOffline() = runBlocking {
        FieldGridClient.open("$dir/worker.sqlite", key, url).use { c ->
            c.signIn("worker-$GRID")
            c.sync(workerToken)
            val status = c.knowledgeStatus()
            assertEquals(5100uL to 196uL, status.entries to status.tasks)
        }
        // No signal: everything reads from the phone.
        FieldGridClient.open("$dir/worker.sqlite", key, "http://127.0.0.1:9").use { off ->
            off.signIn("worker-$GRID")
            val hits = off.searchKnowledge("宅基地", limit = 10)
            assertTrue("$hits", hits.isNotEmpty() && hits.first().inTitle && hits.first().entry.title.contains("宅基地"))
            val entry = off.knowledgeEntry(hits.first().entry.id)!!
            assertTrue(entry.blocks.isNotEmpty())
            assertEquals("东海县自然资源和规划局", entry.entry.department)
            val guidance = off.knowledgeGuidance("dispute.neighbour")
            assertTrue("$guidance", guidance.any { it.title == "农村宅基地申请办理指南" })
            val mine = off.myGridTasks()
            assertTrue("${mine.size}", mine.size > 100 && mine.all { "专职网格员" in it.roles })
            assertTrue(off.knowledgeDepartments().any { it.name == "东海县民政局" })
            assertEquals(null, off.knowledgeEntry("ZS999999"))
        }
    }
}
