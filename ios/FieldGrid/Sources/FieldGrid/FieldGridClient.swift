import Foundation
import FieldGridFFI

/// The app's entry point to the Fieldgrid core. Every call is `async` and runs off
/// the main actor (the UI never waits on SQLite or the network); sync progress is
/// an `AsyncThrowingStream`; errors are `ApiError` cases the app can switch on
/// (`.WrongKey`, `.InvalidFields(problems:)`, `.Offline`, `.DeviceRevoked`...).
public actor FieldGridClient {
    public let core: FieldGrid
    public let serverUrl: String

    /// Opens the store at `path`, encrypted with `key` (from the Keychain) when given.
    public init(path: String, key: Data?, serverUrl: String) throws {
        self.core = try FieldGrid.open(path: path, key: key)
        self.serverUrl = serverUrl
    }

    // MARK: accounts

    public func register(name: String, idNumber: String, phone: String) async throws -> RegistrationInfo {
        try await core.register(serverUrl: serverUrl, name: name, idNumber: idNumber, phone: phone)
    }

    public func registrationStatus(_ reg: RegistrationInfo) async throws -> RegistrationStatus {
        try await core.registrationStatus(serverUrl: serverUrl, token: reg.token, registrationId: reg.registrationId)
    }

    public func signIn(_ staffId: String) { core.signIn(staffId: staffId) }

    public func myGrids(_ staffId: String) throws -> [GridInfo] { try core.gridsOf(staffId: staffId) }

    // MARK: patrols

    public func startPatrol(grid: String, purpose: String, mode: TravelModeInfo) throws -> String {
        try core.startPatrol(gridCode: grid, purpose: purpose, mode: mode)
    }

    /// Stores a batch of fixes in one call (see `FixBatcher`).
    public func ingest(patrolId: String, fixes: [FixInput]) throws -> IngestSummary {
        try core.ingestFixes(patrolId: patrolId, fixes: fixes)
    }

    public func stopPatrol(_ id: String) throws -> PatrolSummary { try core.stopPatrol(patrolId: id) }

    // MARK: incidents and photos

    public func addPhoto(_ jpeg: Data) async throws -> PhotoSummary { try await core.addPhoto(bytes: jpeg) }

    public func report(_ incident: NewIncident) throws -> String { try core.reportIncident(incident: incident) }

    /// The category picker: Chinese names or pinyin initials, best first.
    public func categories(_ query: String, limit: UInt32 = 20) throws -> [CategoryChoice] {
        try core.searchCategories(query: query, limit: limit)
    }

    /// The grids a position falls in, the most specific first (the report's place).
    public func gridsAt(lat: Double, lon: Double) throws -> [GridInfo] { try core.gridsAt(lat: lat, lon: lon) }

    // MARK: the incident loop

    /// The signed-in person's tasks (主办, 联办, 督办, 待核查, 待回访...), urged first.
    public func myTasks() throws -> [TaskEntry] { try core.myTasks() }

    /// Takes a typed step in the first role the person holds that allows it.
    public func take(_ incidentId: String, _ step: Step) throws -> IncidentSummary {
        try core.takeStep(incidentId: incidentId, step: step)
    }

    /// The joint units' parts of an incident.
    public func parts(_ incidentId: String) throws -> [PartEntry] { try core.incidentParts(incidentId: incidentId) }

    /// Sends the running patrol's latest position for the command centre's live map
    /// (one tiny request, about once a minute); false when there was nothing to
    /// send. With no signal it throws `ApiError.Offline` and nothing is queued.
    public func sendPosition(token: String) async throws -> Bool {
        try await core.sendPosition(serverUrl: serverUrl, token: token)
    }

    /// "Anything for me?": one small request; nothing changes on the phone.
    public func checkNews(token: String) async throws -> NewsInfo {
        try await core.checkNews(serverUrl: serverUrl, token: token)
    }

    /// The background refresh's round: a check, and a full sync only when there is
    /// news or changes wait. Returns whether it synced.
    public func syncIfNews(token: String) async throws -> Bool {
        try await core.syncIfNews(serverUrl: serverUrl, token: token, listener: nil) != nil
    }

    /// The signed-in worker's own scorecard and points (考核、以奖代补) for a period
    /// (`2026-11`, `2026-W48`, `2026-Q4`; empty: this month), kept for offline reading.
    public func myScorecard(token: String, period: String = "") async throws -> ScorecardInfo {
        try await core.myScorecard(serverUrl: serverUrl, token: token, period: period)
    }

    /// The card last fetched for a period, for reading with no signal.
    public func cachedScorecard(period: String = "") throws -> ScorecardInfo? {
        try core.cachedScorecard(period: period)
    }

    // MARK: knowledge base

    /// Searches the knowledge base offline: entries in force whose title, tags or
    /// text hold every word of `query`, title and tag matches first, each with the
    /// passage where it matched. Nil department, tag or kind: all.
    public func searchKnowledge(_ query: String, department: String? = nil, tag: String? = nil,
                                kind: String? = nil, limit: UInt32 = 20) throws -> [KnowledgeHitInfo] {
        try core.searchKnowledge(query: query, department: department, tag: tag, kind: kind, limit: limit)
    }

    /// Entries in force to browse, by department, kind and title.
    public func knowledgeEntries(department: String? = nil, tag: String? = nil, kind: String? = nil,
                                 offset: UInt32 = 0, limit: UInt32 = 50) throws -> [KnowledgeEntryInfo] {
        try core.knowledgeEntries(department: department, tag: tag, kind: kind, offset: offset, limit: limit)
    }

    /// The departments with entries in force.
    public func knowledgeDepartments() throws -> [NameCountInfo] { try core.knowledgeDepartments() }

    /// One entry to read; nil when this phone has no such entry.
    public func knowledgeEntry(_ id: String) throws -> KnowledgeEntryDetail? { try core.knowledgeEntry(id: id) }

    /// Guidance for an incident category (from the report and handling screens).
    public func knowledgeGuidance(_ category: String) throws -> [KnowledgeEntryInfo] {
        try core.knowledgeGuidance(category: category)
    }

    /// The grid tasks of the signed-in person's roles and grids.
    public func myGridTasks() throws -> [GridTaskInfo] { try core.myGridTasks() }

    /// What the phone holds of the knowledge base.
    public func knowledgeStatus() throws -> KnowledgeStatusInfo { try core.knowledgeStatus() }

    // MARK: households

    public func formJson(_ kind: FormKind) throws -> String { try core.formJson(kind: kind) }

    public func newHousehold(grid: String, answers: [FieldEntry]) throws -> SaveOutcome {
        try core.newHousehold(gridCode: grid, answers: answers)
    }

    public func save(_ id: String, answers: [FieldEntry]) throws -> SaveOutcome {
        try core.saveFields(recordId: id, answers: answers)
    }

    public func households(_ filter: HouseholdFilter) throws -> [HouseholdRow] { try core.listHouseholds(filter: filter) }

    public func findResidents(_ text: String) throws -> [SearchResult] {
        try core.findResidents(text: text, grids: [], limit: 50)
    }

    public func openDoorPlate(_ payload: String) throws -> String { try core.resolveDoorPlate(payload: payload) }

    public func visit(_ householdId: String, _ visit: VisitInput) throws -> VisitRow {
        try core.recordVisit(householdId: householdId, visit: visit)
    }

    // MARK: sync

    public func syncStatus() throws -> SyncStatusInfo { try core.syncStatus() }

    /// One sync, as a stream of progress after every round; finishes with the sync
    /// or throws its `ApiError`. Rounds are idempotent: cancelling is safe.
    public nonisolated func syncProgress(token: String) -> AsyncThrowingStream<SyncProgressInfo, Error> {
        AsyncThrowingStream { continuation in
            let listener = StreamListener(continuation)
            let task = Task {
                do {
                    _ = try await core.sync(serverUrl: serverUrl, token: token, listener: listener)
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

final class StreamListener: SyncListener, @unchecked Sendable {
    let continuation: AsyncThrowingStream<SyncProgressInfo, Error>.Continuation
    init(_ c: AsyncThrowingStream<SyncProgressInfo, Error>.Continuation) { continuation = c }
    func onProgress(progress: SyncProgressInfo) { continuation.yield(progress) }
}

/// Collects fixes from Core Location and hands them over in batches (30 fixes or
/// 15 s): one native call and one durable transaction per batch.
public actor FixBatcher {
    let client: FieldGridClient
    let patrolId: String
    var pending: [FixInput] = []
    public private(set) var accepted: UInt64 = 0

    public init(client: FieldGridClient, patrolId: String) {
        self.client = client
        self.patrolId = patrolId
    }

    public func add(_ fix: FixInput) async throws {
        pending.append(fix)
        if pending.count >= 30 || fix.timeMs - pending[0].timeMs >= 15_000 { try await flush() }
    }

    public func flush() async throws {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending.removeAll()
        accepted += try await client.ingest(patrolId: patrolId, fixes: batch).accepted
    }
}

/// Answers for form fields.
public func answer(_ key: String, _ text: String) -> FieldEntry { FieldEntry(key: key, value: .text(value: text)) }
public func answer(_ key: String, _ n: Int64) -> FieldEntry { FieldEntry(key: key, value: .int(value: n)) }
public func answer(_ key: String, _ b: Bool) -> FieldEntry { FieldEntry(key: key, value: .bool(value: b)) }
