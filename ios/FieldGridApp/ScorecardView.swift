import SwiftUI
import FieldGrid

/// 我的考核: the worker's own scorecard and points for this or last month; with no
/// signal, the card kept from the last fetch, with a note saying so.
struct ScorecardView: View {
    let client: FieldGridClient
    @ObservedObject var model: AppModel
    @State private var period = ScorecardView.month(offset: 0)
    @State private var card: ScorecardInfo?
    @State private var note: String?

    static func month(offset: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let date = calendar.date(byAdding: .month, value: offset, to: Date())!
        let c = calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", c.year!, c.month!)
    }

    var body: some View {
        NavigationStack {
            List {
                Picker("考核期", selection: $period) {
                    Text("本月").tag(ScorecardView.month(offset: 0))
                    Text("上月").tag(ScorecardView.month(offset: -1))
                }
                .pickerStyle(.segmented)
                if let note { Text(note).foregroundStyle(.secondary) }
                if let c = card {
                    Section(c.periodLabel) {
                        Text(String(format: "总分 %.2f", c.total)).font(.largeTitle.bold())
                        Text(String(format: "积分 %.1f（记录所得 %.1f，调整 %.1f）", c.pointsTotal, c.pointsEarned, c.pointsAdjusted))
                    }
                    Section("考核项") {
                        ForEach(c.items, id: \.metric) { i in
                            VStack(alignment: .leading) {
                                HStack {
                                    Text(i.name).bold()
                                    Spacer()
                                    Text(i.score.map { String(format: "%.2f 分", $0) } ?? "不计")
                                }
                                Text("实际 \(i.valueText) · 目标 \(i.targetText)")
                                Text(i.explain).font(.caption)
                            }
                        }
                    }
                    if !c.adjustments.isEmpty {
                        Section("积分调整") {
                            ForEach(c.adjustments, id: \.at) { a in
                                Text(String(format: "%+.1f：", a.points) + "\(a.reason)（\(a.byName)）")
                            }
                        }
                    }
                } else {
                    Text("暂无考核结果")
                }
            }
            .navigationTitle("我的考核")
            .task(id: period) { await load() }
        }
    }

    private func load() async {
        note = nil
        guard let token = model.token else { card = try? client.cachedScorecard(period: period); return }
        do {
            card = try await client.myScorecard(token: token, period: period)
        } catch ApiError.Offline {
            note = "无网络，显示上次获取的结果"
            card = try? client.cachedScorecard(period: period)
        } catch {
            note = "\(error)"
            card = try? client.cachedScorecard(period: period)
        }
    }
}
