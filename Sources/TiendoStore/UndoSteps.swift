import GRDB
public import TiendoCore

/// Each instance's latest operator step and the instance as it was just before it, so that a step recorded by
/// mistake can be undone (`Engine.undo`; an extension, README "Extensions to the contract"). One row per instance,
/// replaced by its next step, removed when undone, and dropped once older than `Store.undoWindowSeconds`.
extension Store {
    /// How long a step can be undone: a week, for a mistake noticed at the next meeting or the next morning's
    /// look at the page. Older rows are dropped a few at a time by the commits that write new ones.
    public static let undoWindowSeconds: Int64 = 7 * 86_400

    static func migrateUndo(_ db: Database) throws {
        // `before_*`: the instance's stored columns just before the step (its id, workflow and start never change).
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

    /// Each step's `token`, which a caller names to undo that step and no later one (two steps may share a second);
    /// the request's idempotency key, forgotten when the step is undone (a retry then applies it again); and every
    /// delivery by instance, which an undo expires or restores.
    static func migrateUndoGuard(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE undo_steps ADD COLUMN token TEXT;
                ALTER TABLE undo_steps ADD COLUMN idempotency_key TEXT;
                CREATE INDEX deliveries_by_instance ON deliveries(instance, state);
                """)
    }

    static func saveUndo(_ db: Database, _ u: UndoChange.Saved) throws {
        let b = u.before
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO undo_steps(instance, at, event, milestone, actor, actor_name, before_state, before_data,
                    before_entered_at, before_done, before_completed, before_digest, before_marks, before_checked_at, before_series,
                    token, idempotency_key)
                    VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                """
        ).execute(arguments: [
            b.id, u.step.at.seconds, u.step.event, u.step.milestone, u.actor, u.actorName, b.state, u.dataJSON, b.enteredAt.seconds,
            encodeMap(b.done), b.completed, b.digest, encodeMap(b.marks), b.checkedAt.seconds, SeriesState.encode(b.series),
            u.token, u.idempotencyKey,
        ])
        try purgeUndo(db, now: u.step.at, limit: 4)
    }

    /// Drops rows of steps past the window (which can no longer be undone): a few with each new step, so the table
    /// holds about a week of steps, and all of them at each start (a database where nothing is recorded any more).
    static func purgeUndo(_ db: Database, now: Instant, limit: Int) throws {
        try db.cachedStatement(
            sql: "DELETE FROM undo_steps WHERE instance IN (SELECT instance FROM undo_steps WHERE at < ? ORDER BY at LIMIT ?)"
        ).execute(arguments: [now.seconds - undoWindowSeconds, limit])
    }

    /// Removes the step undone, and puts the delivery queue back as if it had not been recorded: deliveries not yet
    /// sent of the records the step and its consequences wrote (its transition or completion, a timed transition of
    /// the state it entered) expire, so that an e-mail digest does not report a step that no longer holds; notices
    /// the step's commit expired because it closed (or moved) their deadline wait again, and those whose deadline
    /// the undo leaves closed expire once more by the commit's own check (`expireClosed`), which runs after this.
    /// The step's idempotency key is forgotten: a retry of the request applies the step again.
    static func clearUndo(_ db: Database, _ id: String, undone: StoredUndo, now: Instant) throws {
        let step = undone.step.at.seconds
        try db.cachedStatement(sql: "DELETE FROM undo_steps WHERE instance = ?").execute(arguments: [id])
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
                        SELECT seq FROM history WHERE instance = ? AND at >= ? AND kind IN ('transition', 'milestone-done', 'completed'))
                """
        ).execute(arguments: [now.seconds, id, id, step])
    }

    static let undoColumns = """
        at, event, milestone, actor, actor_name, before_state, before_data, before_entered_at, before_done, before_completed,
            before_digest, before_marks, before_checked_at, before_series, token, idempotency_key
        """

    /// The latest step of instance `current` that can still be undone at `now`, with the instance before it.
    static func undoStep(_ db: Database, of current: Instance, now: Instant, definition: (String) -> WorkflowDefinition?) throws
        -> StoredUndo?
    {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(undoColumns) FROM undo_steps WHERE instance = ?"), arguments: [current.id])
        else { return nil }
        let step = UndoneStep(event: row[1], milestone: row[2], at: Instant(seconds: row[0]))
        guard now.seconds - step.at.seconds <= undoWindowSeconds else { return nil }
        let digest: String = row[10]
        let data = definition(digest).map { typedData(row[6], $0) } ?? [:]
        let before = Instance(
            id: current.id, workflow: current.workflow, data: data, state: row[5], startedAt: current.startedAt,
            enteredAt: Instant(seconds: row[7]), done: decodeMap(row[8]), completed: row[9], digest: digest,
            marks: decodeMap(row[11]), checkedAt: Instant(seconds: row[12]), series: SeriesState.decode(row[13]))
        return StoredUndo(step: step, actor: row[3], actorName: row[4], before: before, token: row[14], idempotencyKey: row[15])
    }

    /// What a front end shows of the step `undoStep` would return (without decoding the instance before it), when
    /// the instance still runs the version it ran then (`digest`): the daemon refuses to undo across versions.
    static func undoSummary(_ db: Database, _ id: String, digest: String, now: Instant) throws -> UndoSummary? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT at, event, milestone, actor_name, before_digest, before_state, token FROM undo_steps WHERE instance = ?"),
                arguments: [id])
        else { return nil }
        let summary = UndoSummary(
            step: UndoneStep(event: row[1], milestone: row[2], at: Instant(seconds: row[0])), actorName: row[3], state: row[5],
            token: row[6])
        guard row[4] == digest, now.seconds - summary.step.at.seconds <= undoWindowSeconds else { return nil }
        return summary
    }
}

/// An instance's latest operator step that can be undone, as stored.
public struct StoredUndo: Sendable {
    public var step: UndoneStep
    public var actor: Int?
    public var actorName: String?
    /// The instance just before the step.
    public var before: Instance
    /// What names this step (`UndoChange.Saved.token`); nil for a row of v13, before tokens.
    public var token: String?
    /// The request's idempotency key, if it had one.
    public var idempotencyKey: String?

    public init(
        step: UndoneStep, actor: Int? = nil, actorName: String? = nil, before: Instance, token: String? = nil, idempotencyKey: String? = nil
    ) {
        self.step = step
        self.actor = actor
        self.actorName = actorName
        self.before = before
        self.token = token
        self.idempotencyKey = idempotencyKey
    }
}

/// The step a front end offers to undo, who recorded it, and the state the instance was in before it.
public struct UndoSummary: Sendable {
    public var step: UndoneStep
    public var actorName: String?
    public var state: String?
    public var token: String?
}

/// What a commit does to an instance's undoable step.
public enum UndoChange: Sendable {
    /// An operator's step: `before` is the instance just before it (its data as stored, `dataJSON`).
    case save(Saved)
    /// The step of the instance was undone at `now`.
    case clear(String, undone: StoredUndo, now: Instant)

    public struct Saved: Sendable {
        public var before: Instance
        public var dataJSON: String
        public var step: UndoneStep
        public var actor: Int?
        public var actorName: String?
        public var idempotencyKey: String?
        /// Names this step and no other: random, so that a page shown before a later step (even in the same second)
        /// cannot undo that one.
        public var token = String(UInt64.random(in: 1...UInt64.max), radix: 36)
        public init(before: Instance, dataJSON: String, step: UndoneStep, actor: Int?, actorName: String?, idempotencyKey: String? = nil) {
            self.before = before
            self.dataJSON = dataJSON
            self.step = step
            self.actor = actor
            self.actorName = actorName
            self.idempotencyKey = idempotencyKey
        }
    }
}

extension Store.Transaction {
    /// The latest step of `current` that can still be undone at `now`, as this transaction sees it.
    public func undoStep(of current: Instance, now: Instant, definition: (String) -> WorkflowDefinition?) throws -> StoredUndo? {
        try Store.undoStep(db, of: current, now: now, definition: definition)
    }
}

extension Store {
    /// Drops every row of a step past the window (at start).
    public func purgeUndo(now: Instant) throws {
        try write { db in try Store.purgeUndo(db, now: now, limit: Int.max) }
    }

    /// The step of `instance` a front end may offer to undo at `now`.
    public func undoSummary(of instance: Instance, now: Instant) throws -> UndoSummary? {
        try read { db in try Store.undoSummary(db, instance.id, digest: instance.digest, now: now) }
    }
}
