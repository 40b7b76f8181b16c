import SwiftUI
import FieldGrid

/// A passage with the query's words in bold red.
func markedPassage(_ hit: KnowledgeHitInfo) -> Text {
    let chars = Array(hit.passage)
    var out = Text("")
    var at = 0
    for m in hit.marks {
        let start = min(max(Int(m.start), at), chars.count)
        let end = min(max(Int(m.end), start), chars.count)
        out = out + Text(String(chars[at..<start]))
        out = out + Text(String(chars[start..<end])).bold().foregroundColor(.red)
        at = end
    }
    return out + Text(String(chars[at...]))
}

/// 知识库 and 我的网格事项, offline: search (title and tag matches first, with the
/// passage), browsing by department, and the signed-in person's grid tasks.
struct KnowledgeView: View {
    let client: FieldGridClient
    @State private var tab = 0
    @State private var query = ""
    @State private var department: String?
    @State private var departments: [NameCountInfo] = []
    @State private var hits: [KnowledgeHitInfo] = []
    @State private var browse: [KnowledgeEntryInfo] = []
    @State private var tasks: [GridTaskInfo] = []
    @State private var status = ""

    var body: some View {
        NavigationStack {
            List {
                Picker("", selection: $tab) {
                    Text("知识库").tag(0)
                    Text("我的网格事项").tag(1)
                }
                .pickerStyle(.segmented)
                if tab == 0 {
                    Text(status).font(.caption)
                    TextField("搜索：如 低保、残疾人证、宅基地", text: $query)
                    ScrollView(.horizontal) {
                        HStack {
                            ForEach(departments, id: \.name) { d in
                                Button("\(d.name)（\(d.count)）") {
                                    department = department == d.name ? nil : d.name
                                }
                                .buttonStyle(.bordered)
                                .tint(department == d.name ? .accentColor : .gray)
                            }
                        }
                    }
                    ForEach(hits, id: \.entry.id) { h in
                        NavigationLink(value: h.entry.id) {
                            VStack(alignment: .leading) {
                                Text(h.entry.title).bold()
                                Text("\(h.entry.kindName) · \(h.entry.department)").font(.caption)
                                markedPassage(h).font(.footnote)
                            }
                        }
                    }
                    ForEach(browse, id: \.id) { e in
                        NavigationLink(value: e.id) {
                            VStack(alignment: .leading) {
                                Text(e.title).bold()
                                Text("\(e.kindName) · \(e.tags.joined(separator: "、"))").font(.caption)
                            }
                        }
                    }
                    if !query.isEmpty && hits.isEmpty { Text("没有找到相关条目") }
                } else {
                    if tasks.isEmpty { Text("暂无适用于您的网格事项（请先同步）") }
                    ForEach(tasks, id: \.id) { t in
                        VStack(alignment: .leading) {
                            HStack { Text(t.name).bold(); Spacer(); Text(t.frequencyName) }
                            Text("\(t.department) · \(t.forms.joined(separator: "、"))").font(.caption)
                            Text(t.duty).font(.footnote)
                            if let id = t.basisId {
                                NavigationLink("依据：\(t.basisTitle ?? id)", value: id)
                            }
                        }
                    }
                }
            }
            .navigationTitle("知识库")
            .navigationDestination(for: String.self) { id in KnowledgeEntryView(client: client, id: id) }
            .task { load() }
            .onChange(of: query) { _ in search() }
            .onChange(of: department) { _ in search() }
        }
    }

    private func load() {
        departments = (try? client.knowledgeDepartments()) ?? []
        tasks = (try? client.myGridTasks()) ?? []
        if let s = try? client.knowledgeStatus() {
            if let v = s.version {
                status = "第 \(v) 版 · \(s.entries) 条" + (s.downloadingTo != nil ? "（新版本下载中）" : "")
            } else {
                status = s.downloadingTo != nil ? "知识库下载中（\(s.downloadFetched)/\(s.downloadTotal)）" : "知识库尚未下载，请先同步"
            }
        }
    }

    private func search() {
        if !query.trimmingCharacters(in: .whitespaces).isEmpty {
            hits = (try? client.searchKnowledge(query, department: department)) ?? []
            browse = []
        } else {
            hits = []
            browse = department.map { (try? client.knowledgeEntries(department: $0, limit: 200)) ?? [] } ?? []
        }
    }
}

/// One entry: facts, text with headings, lists and links, and the tasks citing it.
struct KnowledgeEntryView: View {
    let client: FieldGridClient
    let id: String
    @State private var detail: KnowledgeEntryDetail?
    @State private var missing = false

    var body: some View {
        List {
            if missing { Text("该条目已废止或尚未同步") }
            if let d = detail {
                Section {
                    Text(d.entry.title).font(.title3.bold())
                    Text("\(d.entry.kindName) · \(d.entry.department)").font(.caption)
                    if !d.inForce { Text("已不在有效期内").foregroundColor(.red) }
                    if !d.categories.isEmpty { Text("适用事件：\(d.categories.joined(separator: "、"))").font(.caption) }
                }
                ForEach(Array(d.blocks.enumerated()), id: \.offset) { _, b in
                    let line = b.spans.reduce(Text(b.kind == "item" ? "• " : "")) { acc, s in
                        if s.link == nil { return acc + Text(s.text) }
                        return acc + (s.broken ? Text(s.text).strikethrough() : Text(s.text).foregroundColor(.blue))
                    }
                    if let link = b.spans.first(where: { $0.link != nil && !$0.broken })?.link {
                        NavigationLink(value: link) { line.font(b.kind == "heading" ? .headline : .body) }
                    } else {
                        line.font(b.kind == "heading" ? .headline : .body)
                    }
                }
                Section {
                    ForEach(d.tasks, id: \.id) { t in Text("网格事项：\(t.name)").font(.caption) }
                    Text("第 \(d.version) 版 · \(d.author)").font(.caption)
                }
            }
        }
        .task {
            detail = try? client.knowledgeEntry(id)
            missing = detail == nil
        }
    }
}

/// 办理指引: the entries for an incident's category, on the report and handling screens.
struct GuidanceSection: View {
    let client: FieldGridClient
    let category: String
    @State private var entries: [KnowledgeEntryInfo] = []

    var body: some View {
        Group {
            if !entries.isEmpty {
                Section("办理指引") {
                    ForEach(entries, id: \.id) { e in
                        NavigationLink("\(e.kindName)：\(e.title)") { KnowledgeEntryView(client: client, id: e.id) }
                    }
                }
            }
        }
        .task(id: category) { entries = Array(((try? client.knowledgeGuidance(category)) ?? []).prefix(5)) }
    }
}
