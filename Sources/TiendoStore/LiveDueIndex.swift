import GRDB
import Synchronization
import TiendoCore

/// What one commit did to an instance's rows in `due_items`: the items it deleted (read just before the delete) and the
/// rows it inserted.
struct DueDelta: Sendable {
    var instance: String
    var removed: [(dueEnd: Int64, deadline: String)]
    var added: [DueRow]
}

/// The deltas of a write transaction while it runs, on its thread; applied to the index once it has committed, and
/// cut back when a savepoint rolls its part back.
final class PendingDueDeltas {
    var deltas: [DueDelta] = []
}

/// The daemon's `DueIndex`, kept in step with `due_items` by every commit (`Store.write` applies what the commit
/// deleted and inserted after SQLite has made it durable, before the loop answers anyone), built at start from the
/// table (`Store.buildDueIndex`), read by any thread as a snapshot. Until it is built, `snapshot` says nil and Agenda
/// reads SQLite.
public final class LiveDueIndex: Sendable {
    struct State {
        var built = false
        /// Commits made since the build began, replayed onto what it read.
        var log: [DueDelta]?
        var index = DueIndex()
        var interner = Interner()
    }

    private let state = Mutex(State())

    init() {}

    /// What a reader filters by: `workflow` as its atom (`UInt32.max` for one no item holds), nil for any; `group`
    /// as bytes, nil for any ("" matches items without a group too, as `IFNULL(grp, '') = ?`).
    public struct Filter: Sendable {
        public var workflow: UInt32?
        public var group: [UInt8]?

        @inline(__always) public func matches(_ e: DueIndex.Entry, group: UnsafeBufferPointer<UInt8>?) -> Bool {
            if let w = workflow, e.workflow != w { return false }
            guard let wanted = self.group else { return true }
            guard let group else { return wanted.isEmpty }
            return Atoms.compare(wanted[...], group) == 0
        }
    }

    /// The index as it is now and the filter, or nil while it is not built.
    public func snapshot(workflow: String?, group: String?) -> (DueIndex, Filter)? {
        state.withLock { s in
            guard s.built else { return nil }
            var f = Filter()
            if let workflow { f.workflow = s.interner.lookup(workflow) ?? .max }
            f.group = group.map { Array($0.utf8) }
            return (s.index, f)
        }
    }

    /// When the next open item falls due after `after`, from memory; nil when none does or the index is not built.
    public func nextDueEnd(after: Int64) -> Int64? { current()?.firstDueEnd(after: after) }

    /// How many items the index holds; nil while it is not built.
    public var count: Int? { current()?.count }

    /// The index as it is now, or nil while it is not built.
    func current() -> DueIndex? {
        state.withLock { s in s.built ? s.index : nil }
    }

    /// Applies a committed transaction's deltas (kept for replay while the build runs; dropped before it starts).
    func apply(_ deltas: [DueDelta]) {
        guard !deltas.isEmpty else { return }
        state.withLock { s in
            if s.log != nil {
                s.log!.append(contentsOf: deltas)
            } else if s.built {
                for d in deltas { s.index.apply(d, interner: &s.interner) }
            }
        }
    }

    /// Starts logging commits; false when built or being built already.
    func beginBuild() -> Bool {
        state.withLock { s in
            guard !s.built, s.log == nil else { return false }
            s.log = []
            return true
        }
    }

    /// Installs what the build read and replays the commits made since it began. Those that the build's read already
    /// saw are replayed too: each delta deletes what the one before it inserted for its instance, so the last one of
    /// each instance leaves exactly what it committed.
    func finishBuild(_ index: DueIndex, _ interner: Interner) {
        state.withLock { s in
            s.index = index
            s.interner = interner
            for d in s.log ?? [] { s.index.apply(d, interner: &s.interner) }
            s.log = nil
            s.built = true
        }
    }

    func abandonBuild() { state.withLock { $0.log = nil } }
}

extension DueIndex {
    mutating func apply(_ d: DueDelta, interner: inout Interner) {
        for r in d.removed { remove(dueEnd: r.dueEnd, instance: d.instance, deadline: r.deadline) }
        for row in d.added { insert(row, interner: &interner) }
    }
}

extension Store {
    /// Fills `dueIndex` from `due_items` (read in one snapshot, in the index's order, while commits go on) and
    /// returns how many items it holds; nil without an index or when it is built or being built already. The daemon
    /// runs it once, on a thread of its own, after it is ready.
    @discardableResult
    public func buildDueIndex() throws -> Int? {
        guard let dueIndex, dueIndex.beginBuild() else { return nil }
        do {
            var index = DueIndex()
            var interner = Interner()
            try read { db in
                // Every page of the index is read once, in order: through a small cache, which is then emptied. With
                // the connection's usual cache, the pages it kept stayed in the daemon's memory (a reader's cache only
                // empties when the connection closes).
                try db.execute(sql: "PRAGMA cache_size = -2048")
                defer {
                    try? db.execute(sql: "PRAGMA shrink_memory")
                    try? db.execute(sql: "PRAGMA cache_size = -\(Store.cacheKiB(readOnly: true))")
                }
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT \(Store.dueColumns) FROM due_items INDEXED BY due_items_by_end ORDER BY due_end, instance, deadline")
                while let row = try rows.next() { index.append(sorted: Store.dueRow(row), interner: &interner) }
            }
            let count = index.count
            dueIndex.finishBuild(index, interner)
            return count
        } catch {
            dueIndex.abandonBuild()
            throw error
        }
    }
}
