import Foundation
import GRDB
public import TiendoCore

/// Writing: the one transaction of a step (instances, due items, history, idempotency) and the outbox reads.
extension Store {
    // MARK: Writing

    /// The first `limit` rows after the sent watermark (`meta.sent_through`, migration v8), in sequence order:
    /// the records that parse, how many rows were read and the last one's sequence number (a row that does not
    /// parse can never be sent; the caller moves the watermark past it and says so).
    public func unsent(limit: Int) throws -> OutboxBatch {
        try read { db in
            var batch = OutboxBatch()
            let rows = try Row.fetchCursor(
                db, sql: "SELECT seq, record FROM history WHERE seq > (\(Store.sentThroughSQL)) ORDER BY seq LIMIT ?",
                arguments: [limit])
            while let row = try rows.next() {
                let seq: Int64 = row["seq"]
                batch.read += 1
                batch.lastSeq = seq
                if let j = try? JSON.parse(row["record"] as String), let r = TiendoCore.Record(json: j) {
                    batch.records.append(StoredRecord(seq: seq, record: r))
                }
            }
            return batch
        }
    }

    public func history(_ id: String) throws -> [TiendoCore.Record] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT record FROM history WHERE instance = ? ORDER BY seq", arguments: [id]).compactMap {
                (try? JSON.parse($0)).flatMap(TiendoCore.Record.init(json:))
            }
        }
    }

}

extension Store.Transaction {
    /// One transaction: instance upserts with their schedule and due items, new history records with their key,
    /// idempotency replies; with `delivery`, each record's deliveries and the expiry of pending notices whose
    /// deadline the changes closed (`DeliveryCommit`). Returns the stored records with their sequence numbers, in order.
    @discardableResult
    public func commit(
        changes: [InstanceChange], records: [TiendoCore.Record], idempotency: [(String, String, String)] = [],
        sentThrough: Int64? = nil, delivery: DeliveryCommit? = nil, undo: [UndoChange] = []
    ) throws -> [StoredRecord] {
        let pending = self.pending
        let pendingCounts = self.counts
        let wakeups = self.wakeups
        return try write { db in
            var stored: [StoredRecord] = []
            if let sentThrough { try Store.markSent(db, through: sentThrough) }
            // A created instance (`isNew`) is inserted plainly; any other that finds no row, by the upsert.
            let insertNew = try db.cachedStatement(sql: Store.insertInstanceSQL)
            let upsert = try db.cachedStatement(
                sql: Store.insertInstanceSQL + """
                     ON CONFLICT(id) DO UPDATE SET workflow=excluded.workflow, state=excluded.state, data=excluded.data,
                        started_at=excluded.started_at, entered_at=excluded.entered_at, done=excluded.done,
                        completed=excluded.completed, digest=excluded.digest, marks=excluded.marks,
                        checked_at=excluded.checked_at, next_wakeup=excluded.next_wakeup, grp=excluded.grp, stale=excluded.stale,
                        due_sig=excluded.due_sig, series=excluded.series
                    """)
            // The old count key and, after it (column `CountKey.width`), the old wake-up.
            let oldKeyByID = try db.cachedStatement(sql: "SELECT \(CountKey.columns), next_wakeup FROM instances WHERE id = ?")
            let oldKeyByRowid = try db.cachedStatement(sql: "SELECT \(CountKey.columns), next_wakeup FROM instances WHERE rowid = ?")
            var counts = CountDeltas()
            /// Instances this commit creates: they have no pending notice but those it fans out itself.
            var created = Set<String>()
            var fannedOut = Set<String>()
            // With an index in memory, the items are read before they are deleted (the index removes them by key): a
            // `DELETE … RETURNING` built and freed a temporary B-tree for its rows at every execution (about 5 % of
            // the loop thread's samples while firing transitions; the firing ran 2–3 % faster without it, 05/12/2026).
            let deleteDue = try db.cachedStatement(sql: "DELETE FROM due_items WHERE instance = ?")
            let readDue = try db.cachedStatement(sql: "SELECT due_end, deadline FROM due_items WHERE instance = ?")
            let insertDue = try db.cachedStatement(
                sql: """
                    INSERT INTO due_items(instance, deadline, workflow, grp, state, milestone, title, due, due_end, occurrence,
                        provisional) VALUES (?,?,?,?,?,?,?,?,?,?,?)
                    """)
            func replaceDueItems(_ c: InstanceChange) throws {
                var delta = DueDelta(instance: c.instance.id, removed: [], added: c.dueItems)
                if c.isNew {
                    // A new instance has no due items to delete.
                } else if pending != nil {
                    let rows = try Row.fetchCursor(readDue, arguments: [c.instance.id])
                    while let row = try rows.next() { delta.removed.append((row[0], row[1])) }
                    if !delta.removed.isEmpty { try deleteDue.execute(arguments: [c.instance.id]) }
                } else {
                    try deleteDue.execute(arguments: [c.instance.id])
                }
                for d in c.dueItems {
                    try insertDue.run(
                        in: db,
                        [
                            .text(d.instance), .text(d.deadline), .text(d.workflow), Bound(d.group), Bound(d.state), Bound(d.milestone),
                            .text(d.title), .text(d.due), .int(d.dueEnd.seconds), Bound(d.occurrence), Bound(d.provisional),
                        ])
                }
                // A delta that removes and adds nothing changes nothing in the index; kept, it would hold its id's
                // storage until the commit (an import of 9 million instances, most without a deadline: some 1 GB).
                if !delta.removed.isEmpty || !delta.added.isEmpty { pending?.deltas.append(delta) }
            }
            /// Instances met so far, when a change carries its row's key: a second change of one instance in the same
            /// commit reads the row it follows. A commit without such changes (an import) hashes no id for it.
            var seen: Set<String>? = changes.contains { $0.prior != nil } ? [] : nil
            for c in changes {
                let i = c.instance
                let first = seen?.insert(i.id).inserted ?? true
                let old: PriorRow?
                if c.isNew {
                    old = nil
                } else if let prior = c.prior, first {
                    old = prior
                } else {
                    let row =
                        try c.rowid.map { try Row.fetchOne(oldKeyByRowid, arguments: [$0]) } ?? Row.fetchOne(oldKeyByID, arguments: [i.id])
                    old = row.map { PriorRow(key: CountKey(row: $0), wakeup: $0[CountKey.width]) }
                }
                let oldKey = old?.key
                if oldKey == nil { created.insert(i.id) }
                if oldKey != nil || c.dataJSON != nil { wakeups.moved(from: old?.wakeup, to: c.nextWakeup?.seconds) }
                if c.dataJSON != nil {
                    counts.move(
                        from: oldKey,
                        to: CountKey(
                            workflow: i.workflow, digest: i.digest, stale: c.stale, state: i.state ?? "", group: c.group ?? "",
                            completed: i.completed))
                } else if let oldKey {
                    // The updates below leave workflow and group as they are (the data did not change); an update
                    // that finds no row changes nothing.
                    counts.move(
                        from: oldKey,
                        to: CountKey(
                            workflow: oldKey.workflow, digest: i.digest, stale: c.stale, state: i.state ?? "", group: oldKey.group,
                            completed: i.completed))
                }
                if let oldKey {
                    // An instance stored before. A column left out of SET leaves its index alone: a reminder or an
                    // overdue notice (the state kept) does not delete and re-insert the instance's entry in
                    // `instances_workflow_state`, a change that keeps the next wake-up (a calendar's new dates, a
                    // reload) its entry in `instances_wakeup`, an event that keeps the group its entry in
                    // `instances_grp` — each a page of an index written to the WAL that would otherwise stay clean.
                    // The workflow, the id and the start never change. The old state and group are the count key's
                    // (state names are never empty: '' there is a NULL state, and a NULL group is stored as ''),
                    // compared byte by byte as the key is.
                    let setState = !CountKey.sameBytes(oldKey.state, i.state ?? "")
                    let setWakeup = old?.wakeup != c.nextWakeup?.seconds
                    let setGroup = c.dataJSON != nil && !CountKey.sameBytes(oldKey.group, c.group ?? "")
                    var arguments: [Bound] = []
                    arguments.reserveCapacity(14)
                    if setState { arguments.append(Bound(i.state)) }
                    if let data = c.dataJSON { arguments.append(.text(data)) }
                    if setGroup { arguments.append(Bound(c.group)) }
                    arguments += [
                        .int(i.enteredAt.seconds), .text(Store.encodeMap(i.done)), Bound(i.completed), .text(i.digest),
                        .text(Store.encodeMap(i.marks)), .int(i.checkedAt.seconds),
                    ]
                    if setWakeup { arguments.append(Bound(c.nextWakeup?.seconds)) }
                    arguments += [Bound(c.stale), Bound(c.dueSig), .text(SeriesState.encode(i.series))]
                    arguments.append(c.rowid.map(Bound.int) ?? .text(i.id))
                    try db.cachedStatement(
                        sql: Store.updateSQL[
                            Store.updateIndex(
                                state: setState, wakeup: setWakeup, data: c.dataJSON != nil, group: setGroup, byRowid: c.rowid != nil)]
                    )
                    .run(in: db, arguments)
                } else {
                    // A new instance (an update that finds no row, without data, changes nothing).
                    guard let data = c.dataJSON else { continue }
                    try (c.isNew ? insertNew : upsert).run(
                        in: db,
                        [
                            .text(i.id), .text(i.workflow), Bound(i.state), .text(data), .int(i.startedAt.seconds),
                            .int(i.enteredAt.seconds), .text(Store.encodeMap(i.done)), Bound(i.completed), .text(i.digest),
                            .text(Store.encodeMap(i.marks)), .int(i.checkedAt.seconds), Bound(c.nextWakeup?.seconds), Bound(c.group),
                            Bound(c.stale), Bound(c.dueSig), .text(SeriesState.encode(i.series)),
                        ])
                }
                if c.previousDueSig == c.dueSig { continue }
                try replaceDueItems(c)
            }
            if let pendingCounts { pendingCounts.log.append(contentsOf: counts.deltas) } else { try counts.apply(db) }
            // A step's snapshot goes into its own record's history row.
            var snapshots: [Int: String] = [:]
            for u in undo {
                switch u {
                case .save(let saved, let record): snapshots[record] = Store.snapshotText(saved)
                case .clear(let id, let undone, let now): try Store.clearUndo(db, id, undone: undone, now: now)
                }
            }
            let insertRecord = try db.cachedStatement(
                sql: "INSERT INTO history(instance, workflow, at, kind, record, key, undo) VALUES (?,?,?,?,?,?,?)")
            for (index, r) in records.enumerated() {
                try insertRecord.run(
                    in: db,
                    [
                        Bound(r.instance), .text(r.workflow), .int(r.at.seconds), .text(r.kind.rawValue), .utf8(r.jsonText),
                        Bound(r.key), Bound(snapshots[index]),
                    ])
                let seq = db.lastInsertedRowID
                stored.append(StoredRecord(seq: seq, record: r))
                if let d = delivery, let fanOut = d.fanOut {
                    let key = Store.recordKey(r, seq: seq)
                    let (fanOuts, unreachable) = fanOut(r, key)
                    if !fanOuts.isEmpty, let id = r.instance { fannedOut.insert(id) }
                    try Store.insertDeliveries(db, fanOuts, record: r, seq: seq, key: key, now: d.now)
                    try Store.insertUnreachable(db, unreachable, record: r, seq: seq, key: key, now: d.now)
                }
            }
            // After the fan-out: a notice whose deadline the same change closed (a catch-up notice, then `done`)
            // expires at once.
            // Most commits find no pending notice at all (no channel, or a queue already sent): one look at the
            // partial index instead of a query per changed instance (3 % of the loop thread while firing).
            if let d = delivery, changes.contains(where: { $0.previousDueSig != $0.dueSig }), try Store.anyPendingNotice(db) {
                for c in changes where c.previousDueSig != c.dueSig {
                    let id = c.instance.id
                    if created.contains(id) && !fannedOut.contains(id) { continue }
                    try Store.expireClosed(db, c, now: d.now)
                }
            }
            for (inst, key, reply) in idempotency {
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO idempotency(instance, key, reply) VALUES (?,?,?)").execute(
                    arguments: [inst, key, reply])
            }
            return stored
        }
    }

    /// Marks every record up to `seq` sent: the watermark moves forward, never back.
    public func markSent(through seq: Int64) throws {
        try write { db in try Store.markSent(db, through: seq) }
    }

    /// Instances among `ids` that already exist.
    public func existing(_ ids: [String]) throws -> Set<String> {
        var out = Set<String>()
        try read { db in
            for chunk in stride(from: 0, to: ids.count, by: 500) {
                let part = Array(ids[chunk..<min(ids.count, chunk + 500)])
                let marks = Array(repeating: "?", count: part.count).joined(separator: ",")
                for id in try String.fetchAll(
                    db, sql: "SELECT id FROM instances WHERE id IN (\(marks))", arguments: StatementArguments(part))
                {
                    out.insert(id)
                }
            }
        }
        return out
    }

    public func idempotentReply(instance: String, key: String) throws -> String? {
        try read { db in
            try String.fetchOne(
                db.cachedStatement(sql: "SELECT reply FROM idempotency WHERE instance = ? AND key = ?"), arguments: [instance, key])
        }
    }
}

extension Store {
    /// The INSERT of a new instance row, every column bound.
    static let insertInstanceSQL = """
        INSERT INTO instances(id, workflow, state, data, started_at, entered_at, done, completed, digest, marks,
            checked_at, next_wakeup, grp, stale, due_sig, series)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
        """

    /// The UPDATEs of a stored instance: `state`, `next_wakeup` and `grp` in the SET list only when they change,
    /// `data` only when the change carries it, by rowid or by id; 32 statements made once, indexed by `updateIndex`.
    static let updateSQL: [String] = (0..<32).map { i in
        let (state, wakeup, byRowid, data, group) = (i & 1 != 0, i & 2 != 0, i & 4 != 0, i & 8 != 0, i & 16 != 0)
        return """
            UPDATE instances SET \(state ? "state=?, " : "")\(data ? "data=?, " : "")\(group ? "grp=?, " : "")entered_at=?, done=?,
                completed=?, digest=?, marks=?, checked_at=?, \(wakeup ? "next_wakeup=?, " : "")stale=?, due_sig=?, series=?
                WHERE \(byRowid ? "rowid" : "id")=?
            """
    }

    static func updateIndex(state: Bool, wakeup: Bool, data: Bool = false, group: Bool = false, byRowid: Bool) -> Int {
        (state ? 1 : 0) | (wakeup ? 2 : 0) | (byRowid ? 4 : 0) | (data ? 8 : 0) | (group ? 16 : 0)
    }

    /// The sent watermark: every record up to this sequence number has been sent (0 before any).
    static let sentThroughSQL = "SELECT IFNULL((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'sent_through'), 0)"

    static func markSent(_ db: Database, through seq: Int64) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO meta(key, value) VALUES ('sent_through', ?1)
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE CAST(value AS INTEGER) < ?1
                """
        ).execute(arguments: [seq])
    }

    /// The sent watermark as stored.
    public func sentThrough() throws -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: Store.sentThroughSQL) ?? 0 }
    }
}
