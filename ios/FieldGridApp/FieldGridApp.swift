import SwiftUI
import FieldGrid
import FieldGridFFI

/// The iOS app: the same screens as Android (sign-in and registration, my grids,
/// patrols with background location in batches, incident report with a camera
/// photo, households by modules with the door-plate scanner, sync).
@main
struct FieldGridApp: App {
    @StateObject private var model = AppModel.shared
    @Environment(\.scenePhase) private var phase

    init() {
        // The background news refresh must be registered before launch ends.
        NewsRefresh.register(model: AppModel.shared)
    }

    var body: some Scene {
        WindowGroup {
            if let client = model.client {
                if model.staffId == nil {
                    SignInView(client: client, model: model)
                } else {
                    TabView {
                        TasksView(client: client, model: model).tabItem { Text("任务") }
                        GridsView(client: client, staffId: model.staffId!).tabItem { Text("网格") }
                        PatrolView(client: client, staffId: model.staffId!).tabItem { Text("巡查") }
                        IncidentView(client: client, staffId: model.staffId!).tabItem { Text("上报") }
                        HouseholdsView(client: client, staffId: model.staffId!).tabItem { Text("入户") }
                        KnowledgeView(client: client).tabItem { Text("知识库") }
                        ScorecardView(client: client, model: model).tabItem { Text("考核") }
                        SyncView(client: client, model: model).tabItem { Text("同步") }
                    }
                }
            } else {
                ProgressView("正在打开数据…").task { await model.open() }
            }
        }
        .onChange(of: phase) { _, now in
            // Coming to the front: check at once; going to the back: ask for the next refresh.
            if now == .active, let client = model.client, let token = model.token {
                Task { if (try? await client.syncIfNews(token: token)) == true { model.lastSync = Date() } }
            }
            if now == .background { NewsRefresh.schedule() }
        }
    }
}

/// Opens the encrypted store with a key kept in the Keychain; keeps the session.
@MainActor
final class AppModel: ObservableObject {
    /// The one model, shared with the background refresh.
    static let shared = AppModel()
    @Published var client: FieldGridClient?
    /// When the last sync brought something (task lists refresh on it).
    @Published var lastSync: Date?
    @Published var staffId: String? = UserDefaults.standard.string(forKey: "staff")
    var token: String? {
        get { Keychain.read("sync-token").map { String(decoding: $0, as: UTF8.self) } }
        set { if let t = newValue { Keychain.write("sync-token", Data(t.utf8)) } }
    }

    static let serverUrl = "https://fieldgrid.example.gov.cn"

    func open() async {
        let key = Keychain.read("store-key") ?? {
            var bytes = Data(count: 32)
            _ = bytes.withUnsafeMutableBytes { SecRandomCopyBytes(kSecRandomDefault, 32, $0.baseAddress!) }
            Keychain.write("store-key", bytes)
            return bytes
        }()
        let dir = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        client = try? FieldGridClient(path: dir.appendingPathComponent("fieldgrid.sqlite").path, key: key,
                                      serverUrl: Self.serverUrl)
        if let s = staffId { await client?.signIn(s) }
    }

    func signedIn(_ staff: String) {
        staffId = staff
        UserDefaults.standard.set(staff, forKey: "staff")
    }
}

/// Secrets in the Keychain, only readable on this device after first unlock.
enum Keychain {
    static func read(_ name: String) -> Data? {
        var out: AnyObject?
        let q: [String: Any] = [kSecClass as String: kSecClassGenericPassword, kSecAttrAccount as String: name,
                                kSecReturnData as String: true]
        return SecItemCopyMatching(q as CFDictionary, &out) == errSecSuccess ? out as? Data : nil
    }

    static func write(_ name: String, _ data: Data) {
        let q: [String: Any] = [kSecClass as String: kSecClassGenericPassword, kSecAttrAccount as String: name]
        SecItemDelete(q as CFDictionary)
        var add = q
        add[kSecValueData as String] = data
        add[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        SecItemAdd(add as CFDictionary, nil)
    }
}
