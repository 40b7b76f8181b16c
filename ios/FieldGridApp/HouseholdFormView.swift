import SwiftUI
import FieldGrid
import FieldGridFFI

/// A household's record by modules, rendered from the form definition (JSON)
/// the core hands over; problems under their fields; save, complete, visit.
struct HouseholdFormView: View {
    let client: FieldGridClient
    let householdId: String
    @State private var modules: [[String: Any]] = []
    @State private var module = 0
    @State private var edits: [String: String] = [:]
    @State private var problems: [FieldProblemInfo] = []
    @State private var message = ""

    var body: some View {
        VStack {
            Picker("模块", selection: $module) {
                ForEach(modules.indices, id: \.self) { i in
                    Text(((modules[i]["label"] as? [String: String])?["zh"]) ?? "").tag(i)
                }
            }.pickerStyle(.segmented)
            List(fields(), id: \.0) { key, label in
                VStack(alignment: .leading) {
                    TextField(label, text: Binding(get: { edits[key] ?? "" }, set: { edits[key] = $0 }))
                    ForEach(problems.filter { $0.field == key }, id: \.message) { Text("⚠ \($0.message)").font(.caption) }
                }
            }
            HStack {
                Button("保存") {
                    Task {
                        do {
                            let out = try await client.save(householdId, answers: edits.map { answer($0.key, $0.value) })
                            problems = out.problems
                            message = out.problems.isEmpty ? "已保存" : "已保存草稿（\(out.problems.count) 项待完善）"
                        } catch ApiError.InvalidFields(let p) {
                            problems = p
                            message = "有 \(p.count) 项填写有误，未保存"
                        }
                    }
                }
                Button("记录走访") {
                    Task {
                        _ = try await client.visit(householdId, VisitInput(purpose: "routine", notes: "入户走访", lat: nil,
                                                                          lon: nil, photos: [], followUp: false))
                        message = "已记录走访"
                    }
                }
            }
            Text(message)
        }
        .task {
            let json = (try? await client.formJson(.household)) ?? "{}"
            let form = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any]
            modules = form?["modules"] as? [[String: Any]] ?? []
        }
    }

    private func fields() -> [(String, String)] {
        guard modules.indices.contains(module), let code = modules[module]["code"] as? String,
              let sections = modules[module]["sections"] as? [[String: Any]] else { return [] }
        return sections.flatMap { ($0["fields"] as? [[String: Any]]) ?? [] }.compactMap { f in
            guard let c = f["code"] as? String, let l = (f["label"] as? [String: String])?["zh"] else { return nil }
            return ("\(code).\(c)", l)
        }
    }
}
