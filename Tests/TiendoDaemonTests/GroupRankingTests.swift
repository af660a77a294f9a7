import Testing
@testable import TiendoStore

/// The overview's order of groups and its totals (`vn.tiendo.Extras.Groups` with `limit`).
@Suite struct GroupRankingTests {
    @Test("the overview orders names by their bytes, as String's order does for names in NFC")
    func namesInByteOrder() {
        let names = [
            "", "Chi bộ số 1 – Phường 0002", "Chi bộ số 1 – Phường 0001", "Chi bộ số 10", "Chi bộ số 1", "Chi bo", "Chi bộ Đông",
            "Chi bộ Ấp Bắc", "chi bộ", "Chi bộ số 1 – Phường 00010", "Ω", "Z",
        ]
        for a in names {
            for b in names {
                let c = Store.compareBytes(a, b)
                #expect((c < 0) == (a < b) && (c == 0) == (a == b), "\(a) / \(b)")
            }
        }
    }

    @Test("the overview's first groups are those a full sort puts first: most overdue, most due soon, then by name")
    func firstGroups() {
        var r = SystemRandomNumberGenerator()
        let names = ["Chi bộ Đông", "Chi bộ số 1", "Chi bộ số 10", "Chi bộ số 2", "", "Chi bộ Ấp Bắc"]
        let groups = (0..<600).map { i in
            Store.GroupSummary(
                workflow: ["a", "b"][Int.random(in: 0...1, using: &r)],
                group: names[i % names.count] + " \(Int.random(in: 0...40, using: &r))", instances: i, active: i,
                overdue: Int.random(in: 0...3, using: &r), dueSoon: Int.random(in: 0...2, using: &r))
        }
        // What orders them (two groups of one name in one workflow may come in either order).
        func key(_ g: Store.GroupSummary) -> String { "\(g.overdue) \(g.dueSoon) \(g.group) \(g.workflow)" }
        let sorted = groups.sorted { a, b in
            if a.overdue != b.overdue { return a.overdue > b.overdue }
            if a.dueSoon != b.dueSoon { return a.dueSoon > b.dueSoon }
            if !a.group.utf8.elementsEqual(b.group.utf8) { return a.group.utf8.lexicographicallyPrecedes(b.group.utf8) }
            return a.workflow < b.workflow
        }
        for k in [0, 1, 50, 1_000] {
            let first = Store.mostPressing(k, of: groups).map(key)
            #expect(first == sorted.prefix(k).map(key), "k = \(k)")
        }
    }

    @Test("totals add up every group of each workflow, workflows in the order they come")
    func totals() {
        let groups = [
            Store.GroupSummary(workflow: "b", group: "Chi bộ 1", instances: 5, active: 4, overdue: 2, dueSoon: 1),
            Store.GroupSummary(workflow: "a", group: "", instances: 1, active: 1, overdue: 0, dueSoon: 1),
            Store.GroupSummary(workflow: "b", group: "Chi bộ 2", instances: 3, active: 3, overdue: 1, dueSoon: 0),
        ]
        #expect(
            Store.totals(of: groups) == [
                Store.WorkflowTotals(workflow: "b", groups: 2, instances: 8, active: 7, overdue: 3, dueSoon: 1),
                Store.WorkflowTotals(workflow: "a", groups: 1, instances: 1, active: 1, overdue: 0, dueSoon: 1),
            ])
        #expect(Store.totals(of: []).isEmpty)
    }
}
