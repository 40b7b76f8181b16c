import SwiftUI
import CoreLocation
import FieldGrid
import FieldGridFFI

struct SignInView: View {
    let client: FieldGridClient
    @ObservedObject var model: AppModel
    @State private var name = ""
    @State private var idNumber = ""
    @State private var phone = ""
    @State private var registration: RegistrationInfo?
    @State private var message = ""

    var body: some View {
        Form {
            TextField("姓名", text: $name)
            TextField("身份证号", text: $idNumber)
            TextField("手机号", text: $phone)
            Button("提交注册") {
                Task {
                    do {
                        let reg = try await client.register(name: name, idNumber: idNumber, phone: phone)
                        registration = reg
                        model.token = reg.token
                        message = "已提交，请等待审核"
                    } catch { message = "\(error)" }
                }
            }
            Button("查看审核结果") {
                Task {
                    guard let reg = registration else { return }
                    switch try await client.registrationStatus(reg) {
                    case .approved(let staff): await client.signIn(staff); model.signedIn(staff)
                    case .rejected(let reason): message = "未通过：\(reason)"
                    case .pending: message = "仍在审核中"
                    }
                }
            }
            Text(message)
        }
    }
}

struct GridsView: View {
    let client: FieldGridClient
    let staffId: String
    @State private var grids: [GridInfo] = []
    var body: some View {
        List(grids, id: \.code) { Text("\($0.name)（\($0.code)）") }
            .task { grids = (try? await client.myGrids(staffId)) ?? [] }
    }
}

/// Core Location at best accuracy in the background, fed to the core in batches.
final class PatrolLocation: NSObject, CLLocationManagerDelegate, ObservableObject {
    let manager = CLLocationManager()
    var batcher: FixBatcher?
    /// Sends the latest position to the command centre's live map once a minute
    /// while the patrol runs; with no signal the send fails and nothing is queued.
    var live: Task<Void, Never>?

    func startLive(client: FieldGridClient, token: String?) {
        guard let token else { return }
        live = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 60_000_000_000)
                try? await batcher?.flush()
                _ = try? await client.sendPosition(token: token)
            }
        }
    }
    override init() {
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyBest
        manager.allowsBackgroundLocationUpdates = true
        manager.pausesLocationUpdatesAutomatically = false
    }
    func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        guard let b = batcher else { return }
        let fixes = locations.map { l in
            FixInput(timeMs: Int64(l.timestamp.timeIntervalSince1970 * 1000), lat: l.coordinate.latitude,
                     lon: l.coordinate.longitude, accuracyM: Float(l.horizontalAccuracy),
                     altitudeM: Float(l.altitude), speedMps: l.speed >= 0 ? Float(l.speed) : nil,
                     bearingDeg: l.course >= 0 ? Float(l.course) : nil, provider: .gps,
                     mock: l.sourceInformation?.isSimulatedBySoftware ?? false)
        }
        Task { for f in fixes { try? await b.add(f) } }
    }
}

struct PatrolView: View {
    let client: FieldGridClient
    let staffId: String
    @StateObject private var location = PatrolLocation()
    @State private var patrol: String?
    @State private var summary = ""
    var body: some View {
        VStack {
            if patrol == nil {
                Button("开始巡查") {
                    Task {
                        guard let grid = try await client.myGrids(staffId).first?.code else { return }
                        let id = try await client.startPatrol(grid: grid, purpose: "日常巡查", mode: .walking)
                        location.batcher = FixBatcher(client: client, patrolId: id)
                        location.manager.requestAlwaysAuthorization()
                        location.manager.startUpdatingLocation()
                        location.startLive(client: client, token: AppModel.shared.token)
                        patrol = id
                    }
                }
            } else {
                Button("结束巡查") {
                    Task {
                        location.manager.stopUpdatingLocation()
                        location.live?.cancel()
                        try await location.batcher?.flush()
                        summary = "已结束：\(try await client.stopPatrol(patrol!).fixes) 个定位点"
                        patrol = nil
                    }
                }
            }
            Text(summary)
        }
    }
}

/// Report an incident: the category from the catalogue's picker (Chinese name or
/// pinyin initials), the place from the phone's position (the grid it falls in;
/// the worker's grids without a fix), camera photos.
struct IncidentView: View {
    let client: FieldGridClient
    let staffId: String
    @StateObject private var location = OneFix()
    @State private var query = ""
    @State private var choices: [CategoryChoice] = []
    @State private var category: CategoryChoice?
    @State private var grids: [GridInfo] = []
    @State private var grid: GridInfo?
    @State private var description = ""
    @State private var photos: [String] = []
    @State private var showCamera = false
    @State private var message = ""
    var body: some View {
        Form {
            Section("事件类别") {
                TextField("输入名称或拼音首字母", text: $query)
                ForEach(choices.prefix(6), id: \.code) { c in
                    Button(c.path) { category = c; query = c.name }
                }
                if let c = category { Text("已选：\(c.path)") }
            }
            if let c = category { GuidanceSection(client: client, category: c.code) }
            Section("位置") {
                if let p = location.fix {
                    Text(String(format: "%.5f, %.5f", p.coordinate.latitude, p.coordinate.longitude))
                } else {
                    Text("未定位：请选择网格")
                }
                Picker("网格", selection: $grid) {
                    ForEach(grids, id: \.code) { g in Text(g.name).tag(Optional(g)) }
                }
            }
            TextField("事件描述", text: $description)
            Button("拍照（\(photos.count)）") { showCamera = true }
            Button("上报") {
                Task {
                    guard let c = category else { message = "请先选择事件类别"; return }
                    guard let g = grid else { message = "请选择网格"; return }
                    do {
                        let p = location.fix?.coordinate
                        _ = try await client.report(NewIncident(gridCode: g.code, category: c.code, description: description,
                                                                 lat: p?.latitude, lon: p?.longitude, photos: photos))
                        photos = []
                        message = "已上报，联网后自动同步"
                    } catch {
                        message = "\(error)"
                    }
                }
            }
            Text(message)
        }
        .task(id: query) { choices = (try? await client.categories(query)) ?? [] }
        .task(id: location.fix?.timestamp) {
            let here = location.fix.flatMap { try? await client.gridsAt(lat: $0.coordinate.latitude, lon: $0.coordinate.longitude) } ?? []
            grids = here.isEmpty ? ((try? await client.myGrids(staffId)) ?? []) : here
            grid = grids.first
        }
        .onAppear { location.request() }
        .sheet(isPresented: $showCamera) {
            CameraPicker { jpeg in Task { if let p = try? await client.addPhoto(jpeg) { photos.append(p.hash) } } }
        }
    }
}

struct HouseholdsView: View {
    let client: FieldGridClient
    let staffId: String
    @State private var rows: [HouseholdRow] = []
    @State private var query = ""
    @State private var scanning = false
    @State private var opened: String?
    @State private var message = ""
    var body: some View {
        NavigationStack {
            VStack {
                HStack {
                    TextField("姓名/身份证/电话/地址", text: $query)
                    Button("查找") {
                        Task { opened = try await client.findResidents(query).first { $0.kind == "household" }?.id }
                    }
                    Button("扫门牌") { scanning = true }
                }
                Text(message)
                List(rows, id: \.id) { h in
                    NavigationLink(h.headName + " · " + h.address + (h.problems > 0 ? "（\(h.problems) 项待完善）" : "")) {
                        HouseholdFormView(client: client, householdId: h.id)
                    }
                }
            }
            .navigationDestination(item: $opened) { HouseholdFormView(client: client, householdId: $0) }
            .sheet(isPresented: $scanning) {
                QRScannerView { payload in
                    scanning = false
                    Task {
                        do { opened = try await client.openDoorPlate(payload) } catch { message = "\(error)" }
                    }
                }
            }
            .task {
                let grids = (try? await client.myGrids(staffId).map(\.code)) ?? []
                rows = (try? await client.households(HouseholdFilter(grids: grids, filters: [], withProblems: false,
                                                                     notVisitedDays: nil, limit: 200, offset: 0))) ?? []
            }
        }
    }
}

struct SyncView: View {
    let client: FieldGridClient
    @ObservedObject var model: AppModel
    @State private var status: SyncStatusInfo?
    @State private var progress: SyncProgressInfo?
    @State private var error: String?
    var body: some View {
        VStack(alignment: .leading) {
            if let s = status {
                Text("待上传：\(s.pendingRecords) 条记录，\(s.pendingTrackChunks) 段轨迹，\(s.pendingPhotos) 张照片")
            }
            if let p = progress { Text("已上传 \(p.pushed)，已下载 \(p.pulled)，第 \(p.rounds) 轮") }
            Button("立即同步") {
                Task {
                    guard let token = model.token else { return }
                    do {
                        for try await p in client.syncProgress(token: token) { progress = p }
                    } catch ApiError.DeviceRevoked {
                        error = "本机已被停用，数据已清除"
                    } catch { self.error = "\(error)" }
                    status = try? await client.syncStatus()
                }
            }
            if let e = error { Text(e) }
        }
        .task { status = try? await client.syncStatus() }
    }
}
