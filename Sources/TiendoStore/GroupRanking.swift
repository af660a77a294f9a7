/// The overview's order of groups and its totals per workflow (`vn.tiendo.Extras.Groups` with `limit`): a province
/// has some 50,000 chi bộ for the 300 rows a page shows, and sending them all cost more than counting them.
extension Store {
    /// Per workflow, the sums over its groups in a selection.
    public struct WorkflowTotals: Sendable, Hashable {
        public var workflow: String
        public var groups = 0
        public var instances = 0
        public var active = 0
        public var overdue = 0
        public var dueSoon = 0
    }

    /// The first `k` groups by most overdue, then most due soon, then name (UTF-8 bytes) and workflow. One pass
    /// keeping the best `k` in order instead of sorting them all: sorting moved every group (two strings) some
    /// sixteen times.
    public static func mostPressing(_ k: Int, of groups: [GroupSummary]) -> [GroupSummary] {
        func before(_ a: GroupSummary, _ b: GroupSummary) -> Bool {
            if a.overdue != b.overdue { return a.overdue > b.overdue }
            if a.dueSoon != b.dueSoon { return a.dueSoon > b.dueSoon }
            let byGroup = compareBytes(a.group, b.group)
            return byGroup != 0 ? byGroup < 0 : compareBytes(a.workflow, b.workflow) < 0
        }
        // A request's limit may be anything: never more room than there are groups.
        let k = max(0, min(k, groups.count))
        var best: [GroupSummary] = []
        best.reserveCapacity(k + 1)
        for g in groups {
            if best.count == k, best.last.map({ !before(g, $0) }) ?? true { continue }
            // Binary search for its place among the best so far.
            var lo = 0
            var hi = best.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if before(g, best[mid]) { hi = mid } else { lo = mid + 1 }
            }
            best.insert(g, at: lo)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    /// The sums per workflow over `groups`, in the order the workflows first appear in them.
    public static func totals(of groups: [GroupSummary]) -> [WorkflowTotals] {
        var out: [WorkflowTotals] = []
        var index: [String: Int] = [:]
        for g in groups {
            let i: Int
            if let known = index[g.workflow] {
                i = known
            } else {
                i = out.count
                index[g.workflow] = i
                out.append(WorkflowTotals(workflow: g.workflow))
            }
            out[i].groups += 1
            out[i].instances += g.instances
            out[i].active += g.active
            out[i].overdue += g.overdue
            out[i].dueSoon += g.dueSoon
        }
        return out
    }

    /// -1, 0 or 1 as `a`'s UTF-8 bytes come before, equal or after `b`'s: the order groups are listed
    /// in (SQLite's `BINARY`; for names in NFC, the order of their code points). `String`'s own `<` and `==` go through
    /// Unicode normalisation for every name with diacritics, at every comparison.
    public static func compareBytes(_ a: String, _ b: String) -> Int {
        var a = a
        var b = b
        return a.withUTF8 { pa in b.withUTF8 { pb in Atoms.compare(pa, pb) } }
    }
}
