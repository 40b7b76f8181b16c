package org.fieldgrid

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.fieldgrid.ffi.ApiException
import org.fieldgrid.ffi.FieldEntry
import org.fieldgrid.ffi.FieldGrid
import org.fieldgrid.ffi.FixInput
import org.fieldgrid.ffi.FormKind
import org.fieldgrid.ffi.GridInfo
import org.fieldgrid.ffi.HouseholdDetail
import org.fieldgrid.ffi.HouseholdFilter
import org.fieldgrid.ffi.HouseholdRow
import org.fieldgrid.ffi.CategoryChoice
import org.fieldgrid.ffi.IncidentSummary
import org.fieldgrid.ffi.GridTaskInfo
import org.fieldgrid.ffi.KnowledgeEntryDetail
import org.fieldgrid.ffi.KnowledgeEntryInfo
import org.fieldgrid.ffi.KnowledgeHitInfo
import org.fieldgrid.ffi.KnowledgeStatusInfo
import org.fieldgrid.ffi.NameCountInfo
import org.fieldgrid.ffi.NewsInfo
import org.fieldgrid.ffi.ScorecardInfo
import org.fieldgrid.ffi.PartEntry
import org.fieldgrid.ffi.Step
import org.fieldgrid.ffi.TaskEntry
import org.fieldgrid.ffi.IngestSummary
import org.fieldgrid.ffi.NewIncident
import org.fieldgrid.ffi.PatrolSummary
import org.fieldgrid.ffi.PhotoSummary
import org.fieldgrid.ffi.RegistrationInfo
import org.fieldgrid.ffi.RegistrationStatus
import org.fieldgrid.ffi.SaveOutcome
import org.fieldgrid.ffi.SearchResult
import org.fieldgrid.ffi.SyncListener
import org.fieldgrid.ffi.SyncProgressInfo
import org.fieldgrid.ffi.SyncStatusInfo
import org.fieldgrid.ffi.TravelModeInfo
import org.fieldgrid.ffi.VisitInput
import org.fieldgrid.ffi.VisitRow

/**
 * The app's entry point to the Fieldgrid core: every call is a suspend function
 * that runs off the caller's thread (the UI thread never waits on SQLite or the
 * network), sync progress is a [Flow], and the sync status a [StateFlow] screens
 * observe.
 *
 * Errors are the generated [ApiException] subclasses (`WrongKey`, `InvalidFields`,
 * `Offline`, `NotAuthorized`, `DeviceRevoked`, ...), thrown from the suspend call.
 */
class FieldGridClient(
    /** The native store handle (see [open]). */
    val core: FieldGrid,
    /** The sync server, e.g. `https://fieldgrid.example.gov.cn`. */
    val serverUrl: String,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) : AutoCloseable {
    private val status = MutableStateFlow(core.syncStatus())

    /** Pending records, track chunks and photos, and the last sync's outcome. */
    val syncStatus: StateFlow<SyncStatusInfo> = status.asStateFlow()

    companion object {
        /**
         * Opens the store at [path], encrypted with [key] (from the Android Keystore)
         * when given. A wrong key throws [ApiException.WrongKey].
         */
        suspend fun open(
            path: String,
            key: ByteArray?,
            serverUrl: String,
            io: CoroutineDispatcher = Dispatchers.IO,
        ): FieldGridClient = withContext(io) { FieldGridClient(FieldGrid.open(path, key), serverUrl, io) }
    }

    private suspend fun <T> onIo(block: () -> T): T = withContext(io) { block() }

    private suspend fun <T> changing(block: () -> T): T =
        withContext(io) { block().also { status.value = core.syncStatus() } }

    // --- accounts -----------------------------------------------------------------

    /** Registers this phone; keep the returned token in the Keystore. */
    suspend fun register(name: String, idNumber: String, phone: String): RegistrationInfo =
        core.register(serverUrl, name, idNumber, phone)

    /** Where a registration stands. */
    suspend fun registrationStatus(reg: RegistrationInfo): RegistrationStatus =
        core.registrationStatus(serverUrl, reg.token, reg.registrationId)

    /** Makes [staffId] the author of every following change. */
    suspend fun signIn(staffId: String) = onIo { core.signIn(staffId) }

    /** The grids the signed-in person works in. */
    suspend fun myGrids(staffId: String): List<GridInfo> = onIo { core.gridsOf(staffId) }

    // --- patrols ------------------------------------------------------------------

    /** Starts a patrol; returns its id. */
    suspend fun startPatrol(grid: String, purpose: String, mode: TravelModeInfo): String =
        changing { core.startPatrol(grid, purpose, mode) }

    /** Stores a batch of fixes in one call (see [FixBatcher]). */
    suspend fun ingest(patrolId: String, fixes: List<FixInput>): IngestSummary =
        onIo { core.ingestFixes(patrolId, fixes) }

    /** Stops a patrol. */
    suspend fun stopPatrol(patrolId: String): PatrolSummary = changing { core.stopPatrol(patrolId) }

    // --- incidents and photos -----------------------------------------------------

    /** Processes and stores a camera photo. */
    suspend fun addPhoto(jpeg: ByteArray): PhotoSummary = core.addPhoto(jpeg)

    /** The category picker: Chinese names or pinyin initials, best first. */
    suspend fun categories(query: String, limit: Int = 20): List<CategoryChoice> =
        onIo { core.searchCategories(query, limit.toUInt()) }

    /** The grids a position falls in, the most specific first (the report screen's place). */
    suspend fun gridsAt(lat: Double, lon: Double): List<GridInfo> = onIo { core.gridsAt(lat, lon) }

    /** Reports an incident (its photos added first with [addPhoto]). */
    suspend fun report(incident: NewIncident): String = changing { core.reportIncident(incident) }

    /**
     * The signed-in person's tasks (主办, 联办, 督办, 待核查, 待回访...), urged ones
     * first: the incident list screen.
     */
    suspend fun myTasks(): List<TaskEntry> = onIo { core.myTasks() }

    /**
     * Takes a typed [Step] (dispatch, a joint part's finish, an urge, a follow-up
     * call...) in the first role the person holds that allows it: the incident
     * screen's buttons, from [TaskEntry.steps].
     */
    suspend fun take(id: String, step: Step): IncidentSummary = changing { core.takeStep(id, step) }

    /** The joint units' parts of an incident. */
    suspend fun parts(id: String): List<PartEntry> = onIo { core.incidentParts(id) }

    /** Moves an incident along as the signed-in user acting in [role]. */
    suspend fun step(id: String, to: String, role: String, note: String, assignee: String? = null): IncidentSummary =
        changing { core.incidentStep(id, to, role, note, assignee) }

    // --- households and persons ---------------------------------------------------

    /** The form in force (JSON) for the form screens. */
    suspend fun formJson(kind: FormKind): String = onIo { core.formJson(kind) }

    /** Creates a household through the form. */
    suspend fun newHousehold(grid: String, answers: List<FieldEntry>): SaveOutcome =
        changing { core.newHousehold(grid, answers) }

    /** Saves answers; wrong values throw [ApiException.InvalidFields]. */
    suspend fun save(recordId: String, answers: List<FieldEntry>): SaveOutcome =
        changing { core.saveFields(recordId, answers) }

    /** A household with its answers. */
    suspend fun household(id: String): HouseholdDetail = onIo { core.household(id) }

    /** The household list. */
    suspend fun households(filter: HouseholdFilter): List<HouseholdRow> = onIo { core.listHouseholds(filter) }

    /** The search box: ID-card or phone numbers exactly, else names and addresses. */
    suspend fun findResidents(text: String, grids: List<String> = emptyList()): List<SearchResult> =
        onIo { core.findResidents(text, grids, 50u) }

    /** Records a visit. */
    suspend fun visit(householdId: String, visit: VisitInput): VisitRow = changing { core.recordVisit(householdId, visit) }

    /** Opens a scanned door plate. */
    suspend fun openDoorPlate(payload: String): String = onIo { core.resolveDoorPlate(payload) }

    // --- sync ---------------------------------------------------------------------

    /** One sync, to the end; returns the totals. [syncStatus] follows. */
    suspend fun sync(token: String): SyncProgressInfo = try {
        core.sync(serverUrl, token, null)
    } finally {
        status.value = withContext(io) { core.syncStatus() }
    }

    /**
     * One sync as a cold [Flow] of progress after every round; completes when the
     * sync does, and fails with its [ApiException]. Cancelling the collector stops
     * waiting; the core's rounds are idempotent, so the next sync resumes.
     */
    fun syncProgress(token: String): Flow<SyncProgressInfo> = callbackFlow {
        val listener = object : SyncListener {
            override fun onProgress(progress: SyncProgressInfo) {
                trySend(progress)
            }
        }
        launch {
            try {
                core.sync(serverUrl, token, listener)
                status.value = withContext(io) { core.syncStatus() }
                close()
            } catch (e: ApiException) {
                status.value = withContext(io) { core.syncStatus() }
                close(e)
            }
        }
        awaitClose { }
    }

    /**
     * Sends the latest position of the running patrol for the command centre's live
     * map: one tiny request, about once a minute while a patrol runs. False when
     * there was nothing to send; with no signal it throws [ApiException.Offline] and
     * nothing is queued (the track itself is recorded and synced as always).
     */
    suspend fun sendPosition(token: String): Boolean = core.sendPosition(serverUrl, token)

    /** "Anything for me?": one small request, nothing changed on the phone. */
    suspend fun checkNews(token: String): NewsInfo = core.checkNews(serverUrl, token)

    /**
     * The background job's round (run by WorkManager every few minutes with a
     * network constraint): checks for news and syncs when there is some or changes
     * wait. Returns whether it synced.
     */
    suspend fun syncIfNews(token: String): Boolean = try {
        core.syncIfNews(serverUrl, token, null) != null
    } finally {
        status.value = withContext(io) { core.syncStatus() }
    }

    /**
     * The signed-in worker's own scorecard and points (考核、以奖代补) for [period]
     * (`2026-11`, `2026-W48`, `2026-Q4`; empty: this month), from the server, and
     * kept on the phone for [cachedScorecard].
     */
    suspend fun myScorecard(token: String, period: String = ""): ScorecardInfo =
        core.myScorecard(serverUrl, token, period)

    /** The card last fetched for [period], for reading with no signal; null if never fetched. */
    suspend fun cachedScorecard(period: String = ""): ScorecardInfo? = onIo { core.cachedScorecard(period) }

    /**
     * Searches the knowledge base offline (知识库): entries in force whose title,
     * tags or text hold every word of [query], title and tag matches first, each
     * with the passage where it matched. Null department, tag or kind: all.
     */
    suspend fun searchKnowledge(
        query: String,
        department: String? = null,
        tag: String? = null,
        kind: String? = null,
        limit: Int = 20,
    ): List<KnowledgeHitInfo> = onIo { core.searchKnowledge(query, department, tag, kind, limit.toUInt()) }

    /** Entries in force to browse, by department, kind and title. */
    suspend fun knowledgeEntries(
        department: String? = null,
        tag: String? = null,
        kind: String? = null,
        offset: Int = 0,
        limit: Int = 50,
    ): List<KnowledgeEntryInfo> =
        onIo { core.knowledgeEntries(department, tag, kind, offset.toUInt(), limit.toUInt()) }

    /** The departments with entries in force, and how many each has. */
    suspend fun knowledgeDepartments(): List<NameCountInfo> = onIo { core.knowledgeDepartments() }

    /** The tags of entries in force, most used first. */
    suspend fun knowledgeTags(): List<NameCountInfo> = onIo { core.knowledgeTags() }

    /** One entry to read; null when this phone has no such entry (retired). */
    suspend fun knowledgeEntry(id: String): KnowledgeEntryDetail? = onIo { core.knowledgeEntry(id) }

    /** Guidance for an incident category: its entries and those of the categories above it. */
    suspend fun knowledgeGuidance(category: String): List<KnowledgeEntryInfo> = onIo { core.knowledgeGuidance(category) }

    /** The grid tasks of the signed-in person's roles and grids, most frequent first. */
    suspend fun myGridTasks(): List<GridTaskInfo> = onIo { core.myGridTasks() }

    /** Every grid task on the phone (one department's, when given). */
    suspend fun gridTasks(department: String? = null): List<GridTaskInfo> = onIo { core.gridTasks(department) }

    /** What the phone holds of the knowledge base, and a download in progress. */
    suspend fun knowledgeStatus(): KnowledgeStatusInfo = onIo { core.knowledgeStatus() }

    /** Releases the native store. */
    override fun close() = core.close()
}
