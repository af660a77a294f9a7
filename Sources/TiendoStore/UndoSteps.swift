import GRDB
public import TiendoCore

/// What it takes to undo an operator's step recorded by mistake (`Engine.undo`; an extension, README "Extensions to
/// the contract"): the instance as it was just before the step, kept in the step's own history row (column `undo`,
/// NULL in every other row). An append to history costs a write the step makes anyway; a table of its own cost two
/// B-trees more per event, a sixth of SendEvent's rate (docs/performance.md). The latest operator step of an instance
/// is its newest row with a snapshot; an `undone` row after it says it was undone.
extension Store {
    /// How long a step can be undone: a week, for a mistake noticed at the next meeting or the next morning's
    /// look at the page.
    public static let undoWindowSeconds: Int64 = 7 * 86_400

    /// Rows of an instance's history looked through, newest first, for its latest step: a week of an instance's
    /// records are a few dozen at most (a notice a day per deadline).
    static let undoLookback = 200

    static func migrateUndo(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE undo_steps (
                    instance TEXT PRIMARY KEY, at INTEGER NOT NULL, event TEXT NOT NULL, milestone TEXT, actor INTEGER,
                    actor_name TEXT, before_state TEXT, before_data TEXT NOT NULL, before_entered_at INTEGER NOT NULL,
                    before_done TEXT NOT NULL, before_completed INTEGER NOT NULL, before_digest TEXT NOT NULL,
                    before_marks TEXT NOT NULL, before_checked_at INTEGER NOT NULL, before_series TEXT NOT NULL) WITHOUT ROWID;
                CREATE INDEX undo_steps_at ON undo_steps(at);
                CREATE TRIGGER instances_delete_undo AFTER DELETE ON instances BEGIN
                    DELETE FROM undo_steps WHERE instance = OLD.id;
                END;
                """)
    }

    static func migrateUndoGuard(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE undo_steps ADD COLUMN token TEXT;
                ALTER TABLE undo_steps ADD COLUMN idempotency_key TEXT;
                CREATE INDEX deliveries_by_instance ON deliveries(instance, state);
                """)
    }

    /// v13 and v14 kept steps in a table of their own; its rows go (steps of a day of testing, before any release).
    static func migrateUndoInHistory(_ db: Database) throws {
        try db.execute(
            sql: """
                DROP TRIGGER IF EXISTS instances_delete_undo;
                DROP TABLE IF EXISTS undo_steps;
                ALTER TABLE history ADD COLUMN undo TEXT;
                """)
    }

    /// Snapshots past the window are dropped (`dropOldSnapshots`): found through this index, which only steps' rows
    /// enter, at its right end (sequence numbers grow).
    static func migrateUndoSnapshotIndex(_ db: Database) throws {
        try db.execute(sql: "CREATE INDEX history_undo ON history(seq) WHERE undo IS NOT NULL")
    }

    /// Clears the snapshots of steps past the window, at most `limit` of them, oldest first: they can no longer be
    /// undone, and the data a step corrected does not stay in history for ever. Returns how many went.
    @discardableResult
    static func dropOldSnapshots(_ db: Database, now: Instant, limit: Int) throws -> Int {
        try db.cachedStatement(
            sql: """
                UPDATE history SET undo = NULL WHERE seq IN (
                    SELECT seq FROM history INDEXED BY history_undo WHERE undo IS NOT NULL AND at < ? ORDER BY seq LIMIT ?)
                """
        ).execute(arguments: [now.seconds - undoWindowSeconds, limit])
        return db.changesCount
    }

    /// The step's snapshot as stored: a JSON object of what the step was, who recorded it, and the instance's columns
    /// before it, the data, done, marks and series as objects. Written into one buffer: those four are the row's own
    /// JSON texts (`StoredTexts`), copied, not parsed and written again for every event.
    static func snapshotText(_ u: UndoChange.Saved) -> String {
        let b = u.before
        let t = u.texts
        var out: [UInt8] = []
        out.reserveCapacity(t.data.utf8.count + t.done.utf8.count + t.marks.utf8.count + t.series.utf8.count + 320)
        func raw(_ s: StaticString) { out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)) }
        func field(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            raw(name)
            JSON.writeString(value, to: &out)
        }
        func number(_ name: StaticString, _ value: Int64) {
            raw(name)
            JSON.writeInt(Int(value), to: &out)
        }
        field("{\"event\":", u.step.event)
        field(",\"digest\":", b.digest)
        number(",\"enteredAt\":", b.enteredAt.seconds)
        number(",\"startedAt\":", b.startedAt.seconds)
        number(",\"checkedAt\":", b.checkedAt.seconds)
        raw(b.completed ? ",\"completed\":true" : ",\"completed\":false")
        field(",\"state\":", b.state)
        field(",\"milestone\":", u.step.milestone)
        if let a = u.actor { number(",\"actor\":", Int64(a)) }
        field(",\"actorName\":", u.actorName)
        field(",\"idempotencyKey\":", u.idempotencyKey)
        for (name, text) in [
            (",\"data\":" as StaticString, t.data), (",\"done\":", t.done), (",\"marks\":", t.marks), (",\"series\":", t.series),
        ] {
            raw(name)
            out.append(contentsOf: text.utf8)
        }
        raw("}")
        return String(decoding: out, as: UTF8.self)
    }

    /// The latest step of instance `current` that can still be undone at `now`: its history row's sequence number
    /// names it (`token`).
    static func undoStep(_ db: Database, of current: Instance, now: Instant, definition: (String) -> WorkflowDefinition?) throws
        -> StoredUndo?
    {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT seq, at, kind, undo FROM (
                            SELECT seq, at, kind, undo FROM history WHERE instance = ? ORDER BY seq DESC LIMIT \(undoLookback))
                        WHERE undo IS NOT NULL OR kind IN ('undone', 'started') ORDER BY seq DESC LIMIT 1
                        """),
                arguments: [current.id]),
            // Undone already; or the case started after it (a case of the same id started anew, the first deleted by
            // hand: history stays, the new case's `started` row comes after the old one's steps).
            row[2] != "undone", row[2] != "started", let text: String = row[3], let j = try? JSON.parse(text)
        else { return nil }
        let at = Instant(seconds: row[1])
        guard now.seconds - at.seconds <= undoWindowSeconds, let event = j["event"]?.stringValue, let digest = j["digest"]?.stringValue,
            let entered = j["enteredAt"]?.intValue, let started = j["startedAt"]?.intValue, let checked = j["checkedAt"]?.intValue,
            Int64(started) == current.startedAt.seconds
        else { return nil }
        // The four columns as objects: read back through the column's own decoder (an undo is rare; the write is not).
        func column(_ name: String) -> String { j[name]?.serialized() ?? "{}" }
        let data = definition(digest).map { typedData(column("data"), $0) } ?? [:]
        let before = Instance(
            id: current.id, workflow: current.workflow, data: data, state: j["state"]?.stringValue, startedAt: current.startedAt,
            enteredAt: Instant(seconds: Int64(entered)), done: decodeMap(column("done")), completed: j["completed"]?.boolValue ?? false,
            digest: digest, marks: decodeMap(column("marks")), checkedAt: Instant(seconds: Int64(checked)),
            series: SeriesState.decode(column("series")))
        return StoredUndo(
            step: UndoneStep(event: event, milestone: j["milestone"]?.stringValue, at: at), actor: j["actor"]?.intValue,
            actorName: j["actorName"]?.stringValue, before: before, seq: row[0],
            idempotencyKey: j["idempotencyKey"]?.stringValue)
    }

    /// Why `undoStep` found nothing to undo for instance `id` at `now`, read only when it did not (`NoUndo`). The
    /// latest step is found by its record, not by its snapshot, which is dropped once the window has passed: an
    /// operator's step is a record with an event (a timed transition has none) that is neither a rejection nor an
    /// undo. (A record that is not JSON, damaged by hand, counts as none.)
    static func noUndo(_ db: Database, id: String, now: Instant) throws -> NoUndo {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT at, kind FROM (
                        SELECT seq, at, kind, undo, record FROM history WHERE instance = ? ORDER BY seq DESC LIMIT \(undoLookback))
                    WHERE kind IN ('undone', 'started') OR undo IS NOT NULL
                        OR (kind <> 'rejected' AND json_valid(record) AND json_extract(record, '$.event') IS NOT NULL)
                    ORDER BY seq DESC LIMIT 1
                    """,
                arguments: [id])
        else { return .noStep }
        let at = Instant(seconds: row[0])
        switch row[1] as String {
        case "undone": return .undoneAlready(at: at)
        case "started": return .noStep
        default: return now.seconds - at.seconds > undoWindowSeconds ? .tooOld(at: at) : .unreadable
        }
    }

    /// Puts the delivery queue back as if the step had not been recorded: deliveries not yet sent of the records the
    /// step and its consequences wrote (its transition or completion, a timed transition of the state it entered)
    /// expire, so that an e-mail digest does not report a step that no longer holds; notices the step's commit
    /// expired because it closed (or moved) their deadline wait again, and those whose deadline the undo leaves
    /// closed expire once more by the commit's own check (`expireClosed`), which runs after this. The step's
    /// idempotency key is forgotten: a retry of the request applies the step again. (That the step was undone is
    /// the `undone` record the same commit appends.)
    static func clearUndo(_ db: Database, _ id: String, undone: StoredUndo, now: Instant) throws {
        let step = undone.step.at.seconds
        if let key = undone.idempotencyKey {
            try db.cachedStatement(sql: "DELETE FROM idempotency WHERE instance = ? AND key = ?").execute(arguments: [id, key])
        }
        try db.cachedStatement(
            sql: """
                UPDATE deliveries SET state = 'pending', finished_at = NULL, last_error = NULL
                    WHERE instance = ? AND state = 'expired' AND deadline IS NOT NULL AND finished_at >= ?
                        AND (last_error = 'đã hoàn thành trước khi gửi' OR last_error LIKE 'hạn đã đổi sang % trước khi gửi')
                """
        ).execute(arguments: [id, step])
        try db.cachedStatement(
            sql: """
                UPDATE deliveries SET state = 'expired', finished_at = ?, last_error = 'bước đã được hoàn tác trước khi gửi'
                    WHERE instance = ? AND state = 'pending' AND record_seq IN (
                        SELECT seq FROM history WHERE instance = ? AND seq >= ? AND at >= ?
                            AND kind IN ('transition', 'milestone-done', 'completed'))
                """
        ).execute(arguments: [now.seconds, id, id, undone.seq, step])
    }
}

/// An instance's latest operator step that can be undone, as stored.
public struct StoredUndo: Sendable {
    public var step: UndoneStep
    public var actor: Int?
    public var actorName: String?
    /// The instance just before the step.
    public var before: Instance
    /// The step's own history row (its transition, or the milestone's completion).
    public var seq: Int64
    /// The request's idempotency key, if it had one.
    public var idempotencyKey: String?

    public init(
        step: UndoneStep, actor: Int? = nil, actorName: String? = nil, before: Instance, seq: Int64, idempotencyKey: String? = nil
    ) {
        self.step = step
        self.actor = actor
        self.actorName = actorName
        self.before = before
        self.seq = seq
        self.idempotencyKey = idempotencyKey
    }

    /// What names this step to callers (`vn.tiendo.Extras.UndoableStep.token`): its row's sequence number.
    public var token: String { String(seq) }
}

/// What a commit does to an instance's undoable step.
public enum UndoChange: Sendable {
    /// An operator's step: `record` is the index, in the commit's records, of the step's own record (its transition,
    /// or the milestone's completion), whose history row keeps the snapshot.
    case save(Saved, record: Int)
    /// The step of the instance was undone at `now`.
    case clear(String, undone: StoredUndo, now: Instant)

    public struct Saved: Sendable {
        /// The instance just before the step, its JSON columns as the store writes them (`texts`).
        public var before: Instance
        public var texts: StoredTexts
        public var step: UndoneStep
        public var actor: Int?
        public var actorName: String?
        public var idempotencyKey: String?
        public init(
            before: Instance, texts: StoredTexts, step: UndoneStep, actor: Int?, actorName: String?, idempotencyKey: String? = nil
        ) {
            self.before = before
            self.texts = texts
            self.step = step
            self.actor = actor
            self.actorName = actorName
            self.idempotencyKey = idempotencyKey
        }
    }
}

extension Store.Transaction {
    /// Clears at most `limit` snapshots of steps past the window (`Store.dropOldSnapshots`).
    @discardableResult
    public func dropOldSnapshots(now: Instant, limit: Int) throws -> Int {
        try write { db in try Store.dropOldSnapshots(db, now: now, limit: limit) }
    }

    /// Why the latest step of instance `id` cannot be undone at `now` (when `undoStep` found none).
    public func noUndo(id: String, now: Instant) throws -> NoUndo { try Store.noUndo(db, id: id, now: now) }

    /// The latest step of `current` that can still be undone at `now`, as this transaction sees it.
    public func undoStep(of current: Instance, now: Instant, definition: (String) -> WorkflowDefinition?) throws -> StoredUndo? {
        try Store.undoStep(db, of: current, now: now, definition: definition)
    }
}

extension Store {
    /// The step of `instance` a front end may offer to undo at `now`: one of the version it runs (the daemon refuses
    /// to undo across versions).
    public func undoStep(of instance: Instance, now: Instant) throws -> StoredUndo? {
        try read { db in
            try Store.undoStep(db, of: instance, now: now) { _ in nil }.flatMap { $0.before.digest == instance.digest ? $0 : nil }
        }
    }
}

/// Why no step of an instance can be undone.
public enum NoUndo: Error, Sendable, Equatable {
    /// The latest step was undone then (a step is undone once).
    case undoneAlready(at: Instant)
    /// The latest step was recorded then, longer ago than `Store.undoWindowSeconds`.
    case tooOld(at: Instant)
    /// No event or milestone completion recorded since the instance started (among its latest records).
    case noStep
    /// The latest step, inside the window, has no snapshot this version can use (a damaged row, or one of a case
    /// deleted by hand and started again with another start).
    case unreadable
}
