import SwiftUI
import CoreLocation
import BackgroundTasks
import FieldGrid
import FieldGridFFI

/// 我的任务: the signed-in person's incidents (主办, 联办, 督办, 待核查, the command
/// centre's lists), urged ones first and marked, refreshed after every sync.
struct TasksView: View {
    let client: FieldGridClient
    @ObservedObject var model: AppModel
    @State private var tasks: [TaskEntry] = []
    var body: some View {
        NavigationStack {
            List(tasks, id: \.incident.id) { t in
                NavigationLink(destination: TaskIncidentView(client: client, task: t)) {
                    VStack(alignment: .leading) {
                        if t.urgedAt != nil { Text("⚑ 已被催办，请尽快办理").foregroundColor(.red).bold() }
                        Text("\(t.kindName) · \(t.incident.categoryName)").bold()
                        Text(t.incident.stageName + (t.unitName.map { " · \($0)" } ?? ""))
                        if let task = t.partTask { Text("联办任务：\(task)（\(t.partStatusName ?? "")）") }
                    }
                }
            }
            .navigationTitle("我的任务（\(tasks.count)）")
            .refreshable { await refresh(sync: true) }
            .task(id: model.lastSync) { await refresh(sync: false) }
        }
    }

    private func refresh(sync: Bool) async {
        if sync, let token = model.token { _ = try? await client.syncIfNews(token: token) }
        tasks = (try? await client.myTasks()) ?? []
    }
}

/// One task's incident with a button per step the person may take; steps that need
/// a reason or an answer ask for it first. Dispatching is the command centre's
/// pages' (units, joint parts, the supervising unit).
struct TaskIncidentView: View {
    let client: FieldGridClient
    let task: TaskEntry
    @Environment(\.dismiss) private var dismiss
    @State private var parts: [PartEntry] = []
    @State private var asking: StepOffer?
    @State private var note = ""
    @State private var answer: FollowUpAnswer = .satisfied
    @State private var message = ""
    var body: some View {
        Form {
            Section {
                Text("\(task.incident.categoryName) · \(task.incident.stageName)").bold()
                if let a = task.incident.assigneeName { Text("主办单位：\(a)") }
                ForEach(parts, id: \.unit) { p in Text("联办：\(p.task) · \(p.statusName)") }
                if task.urgedAt != nil { Text("⚑ 已被催办").foregroundColor(.red) }
            }
            GuidanceSection(client: client, category: task.incident.category)
            Section("办理") {
                ForEach(task.steps.filter { $0.kind != .dispatch }, id: \.name) { offer in
                    Button(offer.name) {
                        if offer.kind == .startHandling || offer.kind == .partStart {
                            take(offer, "")
                        } else {
                            asking = offer
                        }
                    }
                }
                if task.steps.contains(where: { $0.kind == .dispatch }) { Text("派遣请在指挥中心电脑端办理") }
            }
            Text(message)
        }
        .task { parts = (try? await client.parts(task.incident.id)) ?? [] }
        .sheet(item: $asking) { offer in
            Form {
                if offer.kind == .followUp {
                    Picker("群众评价", selection: $answer) {
                        Text("满意").tag(FollowUpAnswer.satisfied)
                        Text("基本满意").tag(FollowUpAnswer.basic)
                        Text("不满意").tag(FollowUpAnswer.unsatisfied)
                        Text("无法联系").tag(FollowUpAnswer.unreachable)
                    }
                }
                TextField("说明（必填）", text: $note)
                Button("提交") { take(offer, note); asking = nil }
            }
        }
    }

    private func take(_ offer: StepOffer, _ note: String) {
        Task {
            do {
                let after = try await client.take(task.incident.id, step(offer.kind, note))
                message = after.conflicts > 0 ? "已记录，但与他人的操作冲突，请联系指挥中心" : "已提交，联网后自动同步"
                dismiss()
            } catch {
                message = "\(error)"
            }
        }
    }

    private func step(_ kind: StepKind, _ note: String) -> Step {
        let unit = task.unit ?? ""
        switch kind {
        case .accept: return .accept(note: note)
        case .reject: return .reject(reason: note)
        case .escalate: return .escalate(reason: note)
        case .startHandling: return .startHandling
        case .return: return .return(reason: note)
        case .finish: return .finish(whatWasDone: note)
        case .partStart: return .partStart(unit: unit)
        case .partFinish: return .partFinish(unit: unit, whatWasDone: note)
        case .partReturn: return .partReturn(unit: unit, reason: note)
        case .partRedo: return .partRedo(unit: unit, reason: note)
        case .partRelease: return .partRelease(unit: unit, reason: note)
        case .urge: return .urge(unit: task.incident.assignee ?? unit, way: .online, reason: note, promised: nil)
        case .verify: return .verify(note: note)
        case .reopen: return .reopen(reason: note)
        case .close: return .close(note: note)
        case .followUp: return .followUp(answer: answer, note: note)
        case .reprocess: return .reprocess(reason: note)
        case .resolveOnSpot: return .resolveOnSpot(whatWasDone: note)
        case .dispatch: return .accept(note: note) // not offered on the phone (filtered above)
        }
    }
}

extension StepOffer: Identifiable { public var id: String { name } }

/// One position fix for the report screen (when-in-use permission).
final class OneFix: NSObject, ObservableObject, CLLocationManagerDelegate {
    @Published var fix: CLLocation?
    private let manager = CLLocationManager()
    func request() {
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyBest
        manager.requestWhenInUseAuthorization()
        manager.requestLocation()
    }
    func locationManager(_ m: CLLocationManager, didUpdateLocations locations: [CLLocation]) { fix = locations.last }
    func locationManager(_ m: CLLocationManager, didFailWithError error: Error) {}
}

/// The background "anything for me?" refresh (BGAppRefreshTask, identifier
/// `org.fieldgrid.news` in Info.plist's BGTaskSchedulerPermittedIdentifiers): the
/// system decides when it runs; each run checks and syncs when there is news, and
/// asks for the next run in 5 minutes at the earliest.
enum NewsRefresh {
    static let identifier = "org.fieldgrid.news"

    static func register(model: AppModel) {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            schedule()
            let work = Task { @MainActor in
                guard let client = model.client, let token = model.token else { return true }
                let synced = (try? await client.syncIfNews(token: token)) ?? false
                if synced { model.lastSync = Date() }
                return true
            }
            task.expirationHandler = { work.cancel() }
            Task { task.setTaskCompleted(success: await work.value) }
        }
    }

    static func schedule() {
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: 5 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }
}
