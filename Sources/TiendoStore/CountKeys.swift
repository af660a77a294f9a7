import Foundation
import GRDB

/// The columns of an instance that its row in `counts` and `workflow_counts` is keyed by (a NULL state or group
/// counted as ''). Compared and hashed byte by byte, as SQLite compares them: Swift's `String` equality would make
/// a group typed precomposed and the same group typed decomposed (Unikey's "tổ hợp") one key, and the count of one
/// of the two rows would drift.
struct CountKey: Hashable {
    static let columns = "workflow, digest, stale, IFNULL(state, ''), IFNULL(grp, ''), completed"
    /// How many columns `columns` names (read by index: GRDB's lookup by name lowercases the name on every call).
    static let width = 6
    var workflow: String
    var digest: String
    var stale: Bool
    var state: String
    var group: String
    var completed: Bool

    init(workflow: String, digest: String, stale: Bool, state: String, group: String, completed: Bool) {
        (self.workflow, self.digest, self.stale, self.state, self.group, self.completed) = (
            workflow, digest, stale, state, group, completed
        )
    }

    init(row: Row) {
        self.init(workflow: row[0], digest: row[1], stale: row[2], state: row[3], group: row[4], completed: row[5])
    }

    /// The fields most likely to differ first (a transition moves the state, an event the group); the 64-byte
    /// digest last.
    static func == (a: CountKey, b: CountKey) -> Bool {
        a.stale == b.stale && a.completed == b.completed && sameBytes(a.state, b.state) && sameBytes(a.group, b.group)
            && sameBytes(a.workflow, b.workflow) && sameBytes(a.digest, b.digest)
    }

    /// Byte equality of two strings, as SQLite compares them: one `memcmp` when both hold their UTF-8 in one piece
    /// (native strings do). Comparing the two `utf8` views element by element was 6 % of the loop thread while
    /// firing transitions (every fire compares its old and new key).
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        let n = a.utf8.count
        guard n == b.utf8.count else { return false }
        if n == 0 { return true }
        let fast = a.utf8.withContiguousStorageIfAvailable { pa in
            b.utf8.withContiguousStorageIfAvailable { pb in memcmp(pa.baseAddress!, pb.baseAddress!, n) == 0 }
        }
        if let fast, let same = fast { return same }
        return a.utf8.elementsEqual(b.utf8)
    }

    func hash(into h: inout Hasher) {
        h.combine(stale)
        h.combine(completed)
        CountKey.combine(workflow, into: &h)
        CountKey.combine(digest, into: &h)
        CountKey.combine(state, into: &h)
        CountKey.combine(group, into: &h)
    }

    /// A string's UTF-8 bytes, in one piece when the string stores them contiguously (native strings do).
    static func combine(_ s: String, into h: inout Hasher) {
        h.combine(s.utf8.count)
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { h.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil { for b in s.utf8 { h.combine(b) } }
    }
}

/// What one commit changes in the count tables, summed per key and written once per key at the end (in a group
/// commit, handed to `PendingCounts` instead).
struct CountDeltas {
    var deltas: [CountKey: Int] = [:]

    init() {}

    /// The sum of `moves`, per key.
    init(summing moves: [(key: CountKey, value: Int)]) {
        for (k, n) in moves { deltas[k, default: 0] += n }
    }

    mutating func move(from old: CountKey?, to new: CountKey) {
        guard old != new else { return }
        if let old { deltas[old, default: 0] -= 1 }
        deltas[new, default: 0] += 1
    }

    func apply(_ db: Database) throws {
        guard !deltas.isEmpty else { return }
        let byGroup = try db.cachedStatement(
            sql: """
                INSERT INTO counts(workflow, digest, stale, state, grp, completed, n) VALUES (?,?,?,?,?,?,?)
                ON CONFLICT(workflow, digest, stale, state, grp, completed) DO UPDATE SET n = n + excluded.n
                """)
        let byWorkflow = try db.cachedStatement(
            sql: """
                INSERT INTO workflow_counts(workflow, digest, stale, state, completed, n) VALUES (?,?,?,?,?,?)
                ON CONFLICT(workflow, digest, stale, state, completed) DO UPDATE SET n = n + excluded.n
                """)
        var workflows: [CountKey: Int] = [:]
        for (k, n) in deltas where n != 0 {
            try byGroup.run(
                in: db, [.text(k.workflow), .text(k.digest), Bound(k.stale), .text(k.state), .text(k.group), Bound(k.completed), Bound(n)])
            var w = k
            w.group = ""
            workflows[w, default: 0] += n
        }
        for (k, n) in workflows where n != 0 {
            try byWorkflow.run(in: db, [.text(k.workflow), .text(k.digest), Bound(k.stale), .text(k.state), Bound(k.completed), Bound(n)])
        }
    }
}

/// The count moves of a group commit's requests, summed per key and written just before the group commits instead
/// of by each request's commit (each request that moves an instance wrote two upserts into `counts` and two into
/// `workflow_counts`, together a ninth of the loop thread's time under 16 SendEvent clients). The `workflow_counts`
/// writes of a group collapse to one per workflow and state; those of `counts` to one per group and state, which
/// for requests of different groups is as many as before. Limit counts read inside the group add the moves
/// (`Transaction.count`); a request whose savepoint rolls back takes its moves out. `moves` scans the log: a
/// group holds the requests that arrived during one commit, tens, not thousands.
final class PendingCounts {
    var log: [(key: CountKey, value: Int)] = []

    /// The moves not yet written that a count of `workflow` in `states` (and, with `group`, of that group) includes.
    func moves(workflow: String, states: Set<String>, group: String?) -> Int {
        var n = 0
        for (k, v) in log where CountKey.sameBytes(k.workflow, workflow) {
            if let group, !CountKey.sameBytes(k.group, group) { continue }
            if states.contains(where: { CountKey.sameBytes($0, k.state) }) { n += v }
        }
        return n
    }

    func apply(_ db: Database) throws {
        try CountDeltas(summing: log).apply(db)
        log = []
    }
}
