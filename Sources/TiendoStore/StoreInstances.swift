import Foundation
import GRDB
public import TiendoCore

/// Reading instances: one by id, the due ones, counts for limits.
extension Store {
    // MARK: Instances

    static func encodeMap(_ m: [String: Instant]) -> String {
        JSON.object(m.keys.sorted().map { ($0, JSON.int(Int(m[$0]!.seconds))) }).serialized()
    }

    static func decodeMap(_ s: String) -> [String: Instant] {
        guard let j = try? JSON.parse(s), let o = j.objectValue else { return [:] }
        var out: [String: Instant] = [:]
        for (k, v) in o { if let i = v.intValue { out[k] = Instant(seconds: Int64(i)) } }
        return out
    }

    /// The columns `decode` reads, in order.
    static let columns =
        "id, workflow, state, data, started_at, entered_at, done, completed, digest, marks, checked_at, stale, due_sig, rowid, series, IFNULL(grp, ''), next_wakeup"

    /// An instance's stored `data` text typed by its definition (empty when it does not parse or fit).
    static func typedData(_ text: String, _ def: WorkflowDefinition) -> InstanceData {
        guard let j = try? JSON.parse(text), let o = j.objectValue, case .success(let d) = def.validate(data: o, partial: true, today: nil)
        else { return [:] }
        return d
    }

    /// The name of instance `id` (`WorkflowDefinition.label(ofStored:)`), when it exists, its definition is known and
    /// it has one.
    static func label(_ db: Database, _ id: String, definition: (String) -> WorkflowDefinition?) throws -> String? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT digest, data FROM instances WHERE id = ?"), arguments: [id]),
            let def = definition(row[0])
        else { return nil }
        return def.label(ofStored: row[1])
    }

    /// Decodes a row of `columns`; `definition` types the data (nil when the digest is unknown).
    static func decode(_ row: RawRow, definition: (String) -> WorkflowDefinition?) -> StoredInstance {
        let digest = row.text(8)
        let texts = StoredTexts(data: row.text(3), done: row.text(6), marks: row.text(9), series: row.text(14))
        let data = definition(digest).map { typedData(texts.data, $0) } ?? [:]
        let inst = Instance(
            id: row.text(0), workflow: row.text(1), data: data, state: row.optionalText(2), startedAt: Instant(seconds: row.int64(4)),
            enteredAt: Instant(seconds: row.int64(5)), done: decodeMap(texts.done), completed: row.bool(7), digest: digest,
            marks: decodeMap(texts.marks), checkedAt: Instant(seconds: row.int64(10)), series: SeriesState.decode(texts.series))
        let stale = row.bool(11)
        var stored = StoredInstance(instance: inst, stale: stale, dueSig: row.optionalInt64(12), rowid: row.int64(13))
        stored.texts = texts
        stored.prior = PriorRow(
            key: CountKey(
                workflow: inst.workflow, digest: digest, stale: stale, state: inst.state ?? "", group: row.text(15),
                completed: inst.completed),
            wakeup: row.optionalInt64(16))
        return stored
    }

    /// The instances of `sql` (selecting `columns`), decoded.
    static func instances(
        _ db: Database, _ sql: String, _ arguments: StatementArguments, definition: (String) -> WorkflowDefinition?
    ) throws -> [StoredInstance] {
        try db.makeStatement(sql: sql).map(arguments) { decode($0, definition: definition) }
    }

    /// Instances whose wake-up is at or before `now` (a catch-up still behind), and the earliest such wake-up.
    public func behind(upTo now: Instant) throws -> (count: Int, since: Instant?) {
        try read { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT COUNT(*), MIN(next_wakeup) FROM instances WHERE next_wakeup IS NOT NULL AND next_wakeup <= ?",
                arguments: [now.seconds])
            return (row?[0] ?? 0, (row?[1] as Int64?).map { Instant(seconds: $0) })
        }
    }

    /// The earliest scheduled wake-up: from memory (`WakeupCache`) when the commits since the last read allow it,
    /// else `Snapshot.nextWakeup` in a read of its own.
    public func nextWakeup() throws -> Instant? {
        if let known = wakeups.earliest { return known.map { Instant(seconds: $0) } }
        let generation = wakeups.generation
        let next = try snapshot { try $0.nextWakeup() }
        wakeups.learn(next?.seconds, ifGeneration: generation)
        return next
    }

    /// True when the earliest wake-up is known without reading (`WakeupCache`) and none is at or before `now`.
    public func nothingDue(upTo now: Instant) -> Bool {
        guard let known = wakeups.earliest else { return false }
        return known.map { $0 > now.seconds } ?? true
    }

    /// Forgets the earliest wake-up known in memory (the next `nextWakeup` reads it).
    public func forgetNextWakeup() { wakeups.forget() }

    public func instances(
        workflow: String?, state: String? = nil, limit: Int, after: String?, definition: (String) -> WorkflowDefinition?
    ) throws -> [StoredInstance] {
        try read { db in
            let (sql, args) = Store.query(
                "SELECT \(Store.columns) FROM instances", where: [("workflow = ?", workflow), ("state = ?", state), ("id > ?", after)],
                orderBy: "id", limit: limit)
            return try Store.instances(db, sql, args, definition: definition)
        }
    }

    /// The instances of `workflow` that run another version than `digest`, or are stale (reload migration), by id,
    /// `limit` at a time after the id `after`: a reload moving a province's cases to a new version reads and writes
    /// them a page at a time, not all at once.
    public func instances(
        workflow: String, notOn digest: String, after: String? = nil, limit: Int = Int.max,
        definition: (String) -> WorkflowDefinition?
    ) throws -> [StoredInstance] {
        try read { db in
            // The counts say whether there is any: a start-up or reload with nothing to move reads no instance row.
            guard
                try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM workflow_counts WHERE workflow = ? AND (digest <> ? OR stale <> 0) AND n > 0 LIMIT 1",
                    arguments: [workflow, digest]) ?? false
            else { return [] }
            return try Store.instances(
                db,
                "SELECT \(Store.columns) FROM instances WHERE workflow = ? AND (digest <> ? OR stale <> 0) AND id > ? ORDER BY id LIMIT ?",
                [workflow, digest, after ?? "", limit], definition: definition)
        }
    }

    /// One instance as committed, read on a reader connection (any thread). The loop, which may have a write
    /// transaction open, reads through `Transaction.instance` instead.
    public func instance(_ id: String, definition: (String) -> WorkflowDefinition?) throws -> StoredInstance? {
        try read { db in try Store.instance(db, id, definition: definition) }
    }

    public func exists(_ id: String) throws -> Bool { try read { db in try Store.exists(db, id) } }

    static func instance(_ db: Database, _ id: String, definition: (String) -> WorkflowDefinition?) throws -> StoredInstance? {
        try db.cachedStatement(sql: "SELECT \(Store.columns) FROM instances WHERE id = ?").map([id]) {
            Store.decode($0, definition: definition)
        }.first
    }

    static func exists(_ db: Database, _ id: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM instances WHERE id = ?"), arguments: [id]) ?? false
    }
}

extension Store.Transaction {
    /// One instance as this transaction sees it (its own changes included).
    public func instance(_ id: String, definition: (String) -> WorkflowDefinition?) throws -> StoredInstance? {
        try Store.instance(db, id, definition: definition)
    }

    public func exists(_ id: String) throws -> Bool { try Store.exists(db, id) }

    /// Instances due at or before `now`, earliest first, at most `limit`.
    public func dueInstances(upTo now: Instant, limit: Int, definition: (String) -> WorkflowDefinition?) throws -> [StoredInstance] {
        try read { db in
            try db.cachedStatement(
                sql:
                    "SELECT \(Store.columns) FROM instances WHERE next_wakeup IS NOT NULL AND next_wakeup <= ? ORDER BY next_wakeup LIMIT ?"
            ).map([now.seconds, limit]) { Store.decode($0, definition: definition) }
        }
    }

    public func count(workflow: String, states: Set<String>, group: String?, groupField: Bool) throws -> Int {
        guard !states.isEmpty else { return 0 }
        return try read { db in
            let marks = Array(repeating: "?", count: states.count).joined(separator: ",")
            // From the counts the commits keep (a NULL group is stored there as ''), plus, in a group commit, the
            // moves its requests made that are written when it ends.
            var sql =
                "SELECT IFNULL(SUM(n), 0) FROM \(groupField ? "counts" : "workflow_counts") WHERE workflow = ? AND state IN (\(marks))"
            var args: [any DatabaseValueConvertible] = [workflow] + states.sorted()
            if groupField {
                sql += " AND grp = ?"
                args.append(group ?? "")
            }
            let stored = try Int.fetchOne(db.cachedStatement(sql: sql), arguments: StatementArguments(args)) ?? 0
            return stored + (counts?.moves(workflow: workflow, states: states, group: groupField ? (group ?? "") : nil) ?? 0)
        }
    }

    /// Count by an arbitrary data field (a limit's `per` other than `group_by`); a nil value counts missing fields.
    public func countByField(workflow: String, states: Set<String>, field: String, value: JSON?) throws -> Int {
        guard !states.isEmpty else { return 0 }
        return try read { db in
            let marks = Array(repeating: "?", count: states.count).joined(separator: ",")
            var sql = "SELECT COUNT(*) FROM instances WHERE workflow = ? AND state IN (\(marks))"
            var args: [any DatabaseValueConvertible] = [workflow] + states.sorted()
            if let value {
                sql += " AND json_extract(data, ?) = json_extract(?, '$')"
                args.append("$.\(field)")
                args.append(value.serialized())
            } else {
                sql += " AND json_extract(data, ?) IS NULL"
                args.append("$.\(field)")
            }
            return try Int.fetchOne(db.cachedStatement(sql: sql), arguments: StatementArguments(args)) ?? 0
        }
    }
}

extension Store.Snapshot {
    /// The earliest scheduled wake-up.
    public func nextWakeup() throws -> Instant? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(next_wakeup) FROM instances WHERE next_wakeup IS NOT NULL")).map {
            Instant(seconds: $0)
        }
    }
}
