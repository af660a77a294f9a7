import Foundation
import GRDB
import GRDBSQLite
public import TiendoCore

/// A stored instance row with the columns the daemon needs without decoding the data.
public struct StoredInstance: Sendable {
    public var instance: Instance
    public var stale: Bool
    /// Signature of the stored due items, to skip rewriting them when unchanged.
    public var dueSig: Int64?
    /// The row's rowid: updates by it skip the lookup through the text key's index.
    public var rowid: Int64 = 0
}

/// An open deadline of an instance, kept in `due_items` for the agenda and summaries.
public struct DueRow: Sendable, Hashable {
    public var instance: String
    /// "" for the state deadline, the milestone id, or `M@LABEL` for an occurrence.
    public var deadline: String
    public var workflow: String
    public var group: String?
    public var state: String?
    public var milestone: String?
    /// The occurrence label of a recurring milestone's item.
    public var occurrence: String?
    public var title: String
    public var due: String
    public var dueEnd: Instant
    /// The due depends on a projected calendar year.
    public var provisional: Bool
    public init(
        instance: String, deadline: String, workflow: String, group: String?, state: String?, milestone: String?,
        occurrence: String? = nil, title: String, due: String, dueEnd: Instant, provisional: Bool = false
    ) {
        self.instance = instance
        self.deadline = deadline
        self.workflow = workflow
        self.group = group
        self.state = state
        self.milestone = milestone
        self.occurrence = occurrence
        self.title = title
        self.due = due
        self.dueEnd = dueEnd
        self.provisional = provisional
    }
}

/// One change to write in a batch transaction.
public struct InstanceChange: Sendable {
    public var instance: Instance
    public var group: String?
    public var nextWakeup: Instant?
    public var dueItems: [DueRow]
    public var stale: Bool
    /// The data as JSON, or nil when the stored row's data and group are unchanged (timer firing).
    public var dataJSON: String?
    /// The signature of the stored due items when known: equal to `dueSig`, they are not rewritten.
    public var previousDueSig: Int64?
    public var dueSig: Int64
    /// The stored row's rowid when known (timer firing), for a cheaper update.
    public var rowid: Int64?
    public init(
        instance: Instance, group: String?, nextWakeup: Instant?, dueItems: [DueRow], stale: Bool, dataJSON: String?,
        previousDueSig: Int64? = nil
    ) {
        self.instance = instance
        self.group = group
        self.nextWakeup = nextWakeup
        self.dueItems = dueItems
        self.stale = stale
        self.dataJSON = dataJSON
        self.previousDueSig = previousDueSig
        dueSig = InstanceChange.signature(dueItems)
    }

    /// FNV-1a over the due items (stable across runs, unlike Hasher).
    static func signature(_ items: [DueRow]) -> Int64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ s: String?) {
            for b in (s ?? "\u{0}").utf8 {
                h ^= UInt64(b)
                h = h &* 0x100_0000_01b3
            }
            h ^= 0xff
            h = h &* 0x100_0000_01b3
        }
        for d in items {
            mix(d.deadline)
            mix(d.group)
            mix(d.state)
            mix(d.milestone)
            mix(d.title)
            mix(d.due)
            mix(String(d.dueEnd.seconds))
            mix(d.occurrence)
            mix(d.provisional ? "p" : nil)
        }
        return Int64(bitPattern: h)
    }
}

/// A history record as stored, with its outbox sequence number.
public struct StoredRecord: Sendable {
    public var seq: Int64
    public var record: TiendoCore.Record
}

public enum StoreError: Error, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case notOurs(path: String)
    case notSQLite(path: String)
    case vanished(path: String, zeroBytes: Bool)
    case tooNew(path: String, version: Int)
    case corrupt(String)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r): return "không mở được cơ sở dữ liệu \(p): \(r)"
        case .notOurs(let p): return "\(p) không phải cơ sở dữ liệu của tiendo (bảng lạ, không có dấu tiendo); không động vào nó"
        case .notSQLite(let p): return "\(p) không phải cơ sở dữ liệu SQLite (hỏng hoặc tệp lạ); không động vào nó"
        case .vanished(let p, let zero):
            return (zero ? "\(p) trống (0 byte)" : "không có \(p)")
                + " nhưng thư mục trạng thái cho thấy tiendod đã từng chạy ở đây (có tệp \(StateDirectoryMarker.fileName(forDatabase: p))):"
                + " dữ liệu các hồ sơ có thể đã mất sau một lần khôi phục hoặc chép tệp sai. Hãy chép lại tệp từ bản sao lưu"
                + " (cùng các tệp -wal, -shm nếu có); nếu thật sự muốn bắt đầu lại với cơ sở dữ liệu rỗng, chạy tiendod một lần với --init"
        case .tooNew(let p, let v): return "\(p) có lược đồ phiên bản \(v), mới hơn phiên bản chương trình này hiểu"
        case .corrupt(let r): return "cơ sở dữ liệu hỏng: \(r)"
        }
    }
}

/// The durable state of the daemon in SQLite (WAL, `synchronous=FULL` by default). Writes go through one
/// connection in transactions; reads may come from other threads.
public final class Store: @unchecked Sendable {
    public let path: String
    let pool: DatabasePool
    public static let applicationID: Int32 = 0x7469_656E  // "tien"

    /// Whether `PRAGMA quick_check` still has to run (a large file is checked after start-up: see `init`).
    public let integrityCheckPending: Bool

    /// Opens (creating if needed) and migrates the database. A file that is not ours is refused untouched. A file of
    /// at most `inlineCheckBytes` is fully checked (`quick_check`) before anything else; a larger one (the check reads
    /// every page: 1.6 s for 10^6 instances) is left to `integrityCheck()`, which the daemon runs right after it is
    /// ready. SQLite verifies every page it reads in any case and fails the transaction on a damaged one.
    /// A missing or empty file is created as a new database, unless the state directory's marker says a database
    /// was here before: then only with `initialize` (tiendod `--init`).
    public init(path: String, synchronous: String = "FULL", inlineCheckBytes: Int64 = 64 << 20, initialize: Bool = false) throws {
        self.path = path
        // Identity and integrity first, read-only: opening the pool below switches the file to WAL.
        if case .absent(let zeroBytes) = try Store.inspect(path: path, checkBytes: inlineCheckBytes),
            StateDirectoryMarker.exists(forDatabase: path), !initialize
        {
            throw StoreError.vanished(path: path, zeroBytes: zeroBytes)
        }
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
        integrityCheckPending = size > inlineCheckBytes
        var config = Configuration()
        config.label = "tiendo"
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            // 64 MiB of page cache per connection instead of SQLite's 2 MiB: past a few hundred thousand
            // instances, inserts into the key and schedule indexes otherwise keep re-reading pages.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // Set on the writer after the pool is open: GRDB switches a pool's connection to synchronous=NORMAL
            // when it enables WAL, after `prepareDatabase` has run — which left acknowledged changes unsynced
            // (durable against kill -9, not against a power cut) until the benchmark counted the fsyncs.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        } catch {
            throw StoreError.cannotOpen(path: path, reason: Store.describe(error))
        }
        try checkIdentity()
        do {
            try Store.migrator.migrate(pool)
        } catch {
            throw StoreError.cannotOpen(path: path, reason: Store.describe(error))
        }
        try StateDirectoryMarker.write(forDatabase: path)
    }

    /// The write connection's `PRAGMA synchronous` (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA).
    public func synchronousMode() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// `PRAGMA quick_check` on a read-only connection of its own (writers go on meanwhile); throws
    /// `StoreError.corrupt` with SQLite's first findings. Plain SQLite on the calling thread, not a GRDB connection:
    /// GRDB's dispatch queues, used from a thread that then exits, left a libdispatch worker waking every second
    /// in an otherwise idle daemon.
    public func integrityCheck() throws { try Store.quickCheck(path: path) }

    static func describe(_ error: any Error) -> String {
        if let e = error as? DatabaseError {
            switch e.resultCode {
            case .SQLITE_NOTADB: return "tệp không phải cơ sở dữ liệu SQLite (hỏng hoặc tệp lạ)"
            case .SQLITE_CORRUPT: return "cơ sở dữ liệu bị hỏng (SQLITE_CORRUPT)"
            case .SQLITE_READONLY: return "chỉ đọc (SQLITE_READONLY): kiểm tra quyền ghi của thư mục trạng thái"
            case .SQLITE_FULL: return "đĩa đầy (SQLITE_FULL)"
            case .SQLITE_CANTOPEN: return "không mở được tệp (SQLITE_CANTOPEN): thư mục có tồn tại và ghi được không?"
            case .SQLITE_IOERR: return "lỗi vào/ra (SQLITE_IOERR): \(e.message ?? "")"
            default: return "\(e.resultCode): \(e.message ?? "")"
            }
        }
        return String(describing: error)
    }

    /// Marks a new database as ours; refuses one that holds tables but is not ours (checked read-only before already,
    /// see `inspect`; this catches a file swapped in between).
    func checkIdentity() throws {
        do {
            try pool.writeWithoutTransaction { db in
                let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
                if appID == 0 && tables.isEmpty {
                    try db.execute(sql: "PRAGMA application_id = \(Store.applicationID)")
                } else if appID != Store.applicationID {
                    throw StoreError.notOurs(path: path)
                }
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError.cannotOpen(path: path, reason: Store.describe(error))
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE definitions (
                        digest TEXT PRIMARY KEY, workflow TEXT NOT NULL, file TEXT NOT NULL, source BLOB NOT NULL,
                        loaded_at INTEGER NOT NULL);
                    CREATE TABLE instances (
                        id TEXT PRIMARY KEY, workflow TEXT NOT NULL, state TEXT, data TEXT NOT NULL,
                        started_at INTEGER NOT NULL, entered_at INTEGER NOT NULL, done TEXT NOT NULL DEFAULT '{}',
                        completed INTEGER NOT NULL DEFAULT 0, digest TEXT NOT NULL, marks TEXT NOT NULL DEFAULT '{}',
                        checked_at INTEGER NOT NULL, next_wakeup INTEGER, grp TEXT, stale INTEGER NOT NULL DEFAULT 0,
                        due_sig INTEGER);
                    CREATE INDEX instances_wakeup ON instances(next_wakeup) WHERE next_wakeup IS NOT NULL;
                    CREATE INDEX instances_workflow_state ON instances(workflow, state);
                    CREATE TABLE due_items (
                        instance TEXT NOT NULL, deadline TEXT NOT NULL, workflow TEXT NOT NULL, grp TEXT, state TEXT,
                        milestone TEXT, title TEXT NOT NULL, due TEXT NOT NULL, due_end INTEGER NOT NULL,
                        PRIMARY KEY (instance, deadline)) WITHOUT ROWID;
                    CREATE INDEX due_items_end ON due_items(due_end);
                    CREATE TABLE history (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT, instance TEXT, workflow TEXT NOT NULL, at INTEGER NOT NULL,
                        kind TEXT NOT NULL, record TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0);
                    CREATE INDEX history_instance ON history(instance, seq);
                    CREATE INDEX history_unsent ON history(seq) WHERE sent = 0;
                    CREATE TABLE idempotency (
                        instance TEXT NOT NULL, key TEXT NOT NULL, reply TEXT NOT NULL, PRIMARY KEY (instance, key)) WITHOUT ROWID;
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    """)
        }
        m.registerMigration("v2") { db in
            // GetStatus, the status files, limits and start-up read these counts per (workflow, group, state, completed,
            // version, stale) — and, for GetStatus, without the group — instead of grouping every instance row (4.5 s
            // at 10^6 instances); triggers keep them exact inside the writing transaction. A NULL state or group is
            // stored as '' (state names are never empty). The (workflow, due_end) index answers "next item of each
            // workflow" without scanning every future item. The due_end index becomes a covering one: Agenda and the
            // overdue counts read items in due order without a lookup into the table per item (31,000 of them for
            // the 7-day agenda at 10^6 instances).
            let key = "workflow, digest, stale, state, grp, completed"
            let wfKey = "workflow, digest, stale, state, completed"
            func bump(_ row: String, _ delta: String) -> String {
                """
                INSERT INTO counts(\(key), n)
                    VALUES (\(row).workflow, \(row).digest, \(row).stale, IFNULL(\(row).state, ''), IFNULL(\(row).grp, ''), \(row).completed, \(delta))
                    ON CONFLICT(\(key)) DO UPDATE SET n = n + (\(delta));
                INSERT INTO workflow_counts(\(wfKey), n)
                    VALUES (\(row).workflow, \(row).digest, \(row).stale, IFNULL(\(row).state, ''), \(row).completed, \(delta))
                    ON CONFLICT(\(wfKey)) DO UPDATE SET n = n + (\(delta));
                """
            }
            try db.execute(
                sql: """
                    CREATE TABLE counts (
                        workflow TEXT NOT NULL, digest TEXT NOT NULL, stale INTEGER NOT NULL, state TEXT NOT NULL,
                        grp TEXT NOT NULL, completed INTEGER NOT NULL, n INTEGER NOT NULL,
                        PRIMARY KEY (workflow, grp, state, completed, digest, stale)) WITHOUT ROWID;
                    INSERT INTO counts(\(key), n)
                        SELECT workflow, digest, stale, IFNULL(state, ''), IFNULL(grp, ''), completed, COUNT(*) FROM instances
                        GROUP BY 1, 2, 3, 4, 5, 6;
                    CREATE TABLE workflow_counts (
                        workflow TEXT NOT NULL, digest TEXT NOT NULL, stale INTEGER NOT NULL, state TEXT NOT NULL,
                        completed INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (\(wfKey))) WITHOUT ROWID;
                    INSERT INTO workflow_counts(\(wfKey), n)
                        SELECT workflow, digest, stale, state, completed, SUM(n) FROM counts GROUP BY 1, 2, 3, 4, 5;
                    CREATE TRIGGER counts_insert AFTER INSERT ON instances BEGIN \(bump("NEW", "1")) END;
                    CREATE TRIGGER counts_update AFTER UPDATE OF \(key) ON instances
                    WHEN OLD.workflow IS NOT NEW.workflow OR OLD.digest IS NOT NEW.digest OR OLD.stale IS NOT NEW.stale
                        OR OLD.state IS NOT NEW.state OR OLD.grp IS NOT NEW.grp OR OLD.completed IS NOT NEW.completed
                    BEGIN \(bump("OLD", "-1")) \(bump("NEW", "1")) END;
                    CREATE TRIGGER counts_delete AFTER DELETE ON instances BEGIN \(bump("OLD", "-1")) END;
                    CREATE INDEX due_items_workflow_end ON due_items(workflow, due_end);
                    DROP INDEX due_items_end;
                    CREATE INDEX due_items_by_end ON due_items(due_end, instance, deadline, workflow, grp, state, milestone, title, due);
                    """)
        }
        m.registerMigration("v3") { db in
            // Recurring milestones: each instance's series (anchor, first and next index, open occurrences) is engine
            // state that cannot be recomputed (format §10 "Recurring milestones", rules 3 and 5).
            try db.execute(sql: "ALTER TABLE instances ADD COLUMN series TEXT NOT NULL DEFAULT '{}'")
        }
        m.registerMigration("v4") { db in
            // Rows of an import sent in several calls (`ImportInstances` with `importID`), kept until its last call
            // commits them all or rejects them all. Sessions do not outlive the daemon (cleared at start).
            try db.execute(
                sql: """
                    CREATE TABLE import_sessions (
                        import_id TEXT PRIMARY KEY, workflow TEXT NOT NULL, rows INTEGER NOT NULL, touched_at INTEGER NOT NULL);
                    CREATE TABLE import_rows (
                        import_id TEXT NOT NULL, row INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (import_id, row)) WITHOUT ROWID;
                    """)
        }
        m.registerMigration("v5", migrate: Store.migrateV5)
        m.registerMigration("v6", migrate: Store.migrateV6)
        return m
    }

    // MARK: Group commit

    /// The thread-local key holding the open batch's connection.
    static let batchKey = "tiendo.store.batch"

    final class BatchBox: @unchecked Sendable {
        let db: Database
        init(_ db: Database) { self.db = db }
    }

    /// The connection of a batch open on this thread.
    var batchDB: Database? { (Thread.current.threadDictionary[Store.batchKey] as? BatchBox)?.db }

    /// Runs `body` inside one write transaction: every `commit` and read it makes (on this thread) uses that
    /// transaction, each write in its own savepoint, and everything becomes durable with a single fsync.
    public func batch<T>(_ body: () throws -> T) throws -> T {
        try pool.write { db in
            Thread.current.threadDictionary[Store.batchKey] = BatchBox(db)
            defer { Thread.current.threadDictionary[Store.batchKey] = nil }
            return try body()
        }
    }

    func read<T>(_ f: (Database) throws -> T) throws -> T {
        if let db = batchDB { return try f(db) }
        return try pool.read(f)
    }

    func write<T>(_ f: (Database) throws -> T) throws -> T {
        if let db = batchDB {
            var result: T?
            try db.inSavepoint {
                result = try f(db)
                return .commit
            }
            return result!
        }
        return try pool.write(f)
    }

    // MARK: Meta

    public func meta(_ key: String) throws -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try write { db in
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [key, value])
        }
    }

    // MARK: Definitions

    public func saveDefinition(digest: String, workflow: String, file: String, source: [UInt8], at: Instant) throws {
        try write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO definitions(digest, workflow, file, source, loaded_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [digest, workflow, file, Data(source), at.seconds])
        }
    }

    /// Definitions that instances still run, with their source (for pinned, stale instances after a restart).
    public func definitionsInUse() throws -> [(digest: String, workflow: String, file: String, source: [UInt8])] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT digest, workflow, file, source FROM definitions WHERE digest IN (SELECT digest FROM workflow_counts WHERE n > 0)"
            ).map { ($0["digest"], $0["workflow"], $0["file"], [UInt8](($0["source"] as Data?) ?? Data())) }
        }
    }

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

    /// The columns `decode` reads, in order (by index: GRDB's lookup by name lowercases strings on every call).
    static let columns =
        "id, workflow, state, data, started_at, entered_at, done, completed, digest, marks, checked_at, stale, due_sig, rowid, series"

    /// Decodes a row of `columns`; `definition` types the data (nil when the digest is unknown).
    static func decode(_ row: Row, definition: (String) -> WorkflowDefinition?) throws -> StoredInstance {
        let digest: String = row[8]
        let dataText: String = row[3]
        var data: InstanceData = [:]
        if let def = definition(digest), let j = try? JSON.parse(dataText), let o = j.objectValue {
            if case .success(let d) = def.validate(data: o, partial: true) { data = d }
        }
        let inst = Instance(
            id: row[0], workflow: row[1], data: data, state: row[2], startedAt: Instant(seconds: row[4]),
            enteredAt: Instant(seconds: row[5]), done: decodeMap(row[6]), completed: (row[7] as Int) != 0, digest: digest,
            marks: decodeMap(row[9]), checkedAt: Instant(seconds: row[10]), series: SeriesState.decode(row[14]))
        return StoredInstance(instance: inst, stale: (row[11] as Int) != 0, dueSig: row[12], rowid: row[13])
    }

    public func instance(_ id: String, definition: (String) -> WorkflowDefinition?) throws -> StoredInstance? {
        try read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT \(Store.columns) FROM instances WHERE id = ?"), arguments: [id]).map {
                try Store.decode($0, definition: definition)
            }
        }
    }

    public func exists(_ id: String) throws -> Bool {
        try read { db in try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM instances WHERE id = ?"), arguments: [id]) ?? false }
    }

    /// Instances due at or before `now`, earliest first, at most `limit`.
    public func dueInstances(upTo now: Instant, limit: Int, definition: (String) -> WorkflowDefinition?) throws -> [StoredInstance] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Store.columns) FROM instances WHERE next_wakeup IS NOT NULL AND next_wakeup <= ? ORDER BY next_wakeup LIMIT ?",
                arguments: [now.seconds, limit]
            ).map { try Store.decode($0, definition: definition) }
        }
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

    /// The earliest scheduled wake-up.
    public func nextWakeup() throws -> Instant? {
        try read { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(next_wakeup) FROM instances WHERE next_wakeup IS NOT NULL")).map {
                Instant(seconds: $0)
            }
        }
    }

    public func instances(
        workflow: String?, state: String? = nil, limit: Int, after: String?, definition: (String) -> WorkflowDefinition?
    ) throws -> [StoredInstance] {
        try read { db in
            let (sql, args) = Store.query(
                "SELECT \(Store.columns) FROM instances", where: [("workflow = ?", workflow), ("state = ?", state), ("id > ?", after)],
                orderBy: "id", limit: limit)
            return try Row.fetchAll(db, sql: sql, arguments: args).map { try Store.decode($0, definition: definition) }
        }
    }

    /// Instances of a workflow that run another version than `digest`, or are stale (reload migration).
    public func instances(workflow: String, notOn digest: String, definition: (String) -> WorkflowDefinition?) throws -> [StoredInstance] {
        try read { db in
            // The counts say whether there is any: a start-up or reload with nothing to move reads no instance row.
            guard try Bool.fetchOne(
                db, sql: "SELECT 1 FROM workflow_counts WHERE workflow = ? AND (digest <> ? OR stale <> 0) AND n > 0 LIMIT 1",
                arguments: [workflow, digest]) ?? false
            else { return [] }
            return try Row.fetchAll(
                db, sql: "SELECT \(Store.columns) FROM instances WHERE workflow = ? AND (digest <> ? OR stale <> 0) ORDER BY id",
                arguments: [workflow, digest]
            ).map { try Store.decode($0, definition: definition) }
        }
    }

    public func count(workflow: String, states: Set<String>, group: String?, groupField: Bool) throws -> Int {
        guard !states.isEmpty else { return 0 }
        return try read { db in
            let marks = Array(repeating: "?", count: states.count).joined(separator: ",")
            // From the trigger-maintained counts (a NULL group is stored there as '').
            var sql = "SELECT IFNULL(SUM(n), 0) FROM \(groupField ? "counts" : "workflow_counts") WHERE workflow = ? AND state IN (\(marks))"
            var args: [any DatabaseValueConvertible] = [workflow] + states.sorted()
            if groupField {
                sql += " AND grp = ?"
                args.append(group ?? "")
            }
            return try Int.fetchOne(db, sql: sql, arguments: StatementArguments(args)) ?? 0
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
            return try Int.fetchOne(db, sql: sql, arguments: StatementArguments(args)) ?? 0
        }
    }

    // MARK: Writing

    /// One transaction: instance upserts with their schedule and due items, new history records with their key,
    /// idempotency replies; with `delivery`, each record's deliveries and the expiry of pending notices whose
    /// deadline the changes closed (`DeliveryCommit`). Returns the stored records with their sequence numbers, in order.
    @discardableResult
    public func commit(
        changes: [InstanceChange], records: [TiendoCore.Record], idempotency: [(String, String, String)] = [],
        markSent: ClosedRange<Int64>? = nil, delivery: DeliveryCommit? = nil
    ) throws -> [StoredRecord] {
        try write { db in
            var stored: [StoredRecord] = []
            if let r = markSent {
                try db.execute(sql: "UPDATE history SET sent = 1 WHERE seq BETWEEN ? AND ? AND sent = 0", arguments: [r.lowerBound, r.upperBound])
            }
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO instances(id, workflow, state, data, started_at, entered_at, done, completed, digest, marks,
                        checked_at, next_wakeup, grp, stale, due_sig, series)
                    VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                    ON CONFLICT(id) DO UPDATE SET workflow=excluded.workflow, state=excluded.state, data=excluded.data,
                        started_at=excluded.started_at, entered_at=excluded.entered_at, done=excluded.done,
                        completed=excluded.completed, digest=excluded.digest, marks=excluded.marks,
                        checked_at=excluded.checked_at, next_wakeup=excluded.next_wakeup, grp=excluded.grp, stale=excluded.stale,
                        due_sig=excluded.due_sig, series=excluded.series
                    """)
            let update = try db.cachedStatement(
                sql: """
                    UPDATE instances SET state=?, entered_at=?, done=?, completed=?, digest=?, marks=?, checked_at=?,
                        next_wakeup=?, stale=?, due_sig=?, series=? WHERE id=?
                    """)
            let updateByRowid = try db.cachedStatement(
                sql: """
                    UPDATE instances SET state=?, entered_at=?, done=?, completed=?, digest=?, marks=?, checked_at=?,
                        next_wakeup=?, stale=?, due_sig=?, series=? WHERE rowid=?
                    """)
            let deleteDue = try db.cachedStatement(sql: "DELETE FROM due_items WHERE instance = ?")
            let insertDue = try db.cachedStatement(
                sql: """
                    INSERT INTO due_items(instance, deadline, workflow, grp, state, milestone, title, due, due_end, occurrence,
                        provisional) VALUES (?,?,?,?,?,?,?,?,?,?,?)
                    """)
            for c in changes {
                let i = c.instance
                if let data = c.dataJSON {
                    try upsert.execute(arguments: [
                        i.id, i.workflow, i.state, data, i.startedAt.seconds, i.enteredAt.seconds, Store.encodeMap(i.done),
                        i.completed ? 1 : 0, i.digest, Store.encodeMap(i.marks), i.checkedAt.seconds, c.nextWakeup?.seconds, c.group,
                        c.stale ? 1 : 0, c.dueSig, SeriesState.encode(i.series),
                    ])
                } else if let rowid = c.rowid {
                    try updateByRowid.execute(arguments: [
                        i.state, i.enteredAt.seconds, Store.encodeMap(i.done), i.completed ? 1 : 0, i.digest, Store.encodeMap(i.marks),
                        i.checkedAt.seconds, c.nextWakeup?.seconds, c.stale ? 1 : 0, c.dueSig, SeriesState.encode(i.series), rowid,
                    ])
                } else {
                    try update.execute(arguments: [
                        i.state, i.enteredAt.seconds, Store.encodeMap(i.done), i.completed ? 1 : 0, i.digest, Store.encodeMap(i.marks),
                        i.checkedAt.seconds, c.nextWakeup?.seconds, c.stale ? 1 : 0, c.dueSig, SeriesState.encode(i.series), i.id,
                    ])
                }
                if c.previousDueSig == c.dueSig { continue }
                try deleteDue.execute(arguments: [i.id])
                for d in c.dueItems {
                    try insertDue.execute(arguments: [
                        d.instance, d.deadline, d.workflow, d.group, d.state, d.milestone, d.title, d.due, d.dueEnd.seconds,
                        d.occurrence, d.provisional ? 1 : 0,
                    ])
                }
            }
            let insertRecord = try db.cachedStatement(
                sql: "INSERT INTO history(instance, workflow, at, kind, record, key) VALUES (?,?,?,?,?,?)")
            for r in records {
                try insertRecord.execute(arguments: [r.instance, r.workflow, r.at.seconds, r.kind.rawValue, r.json.serialized(), r.key])
                let seq = db.lastInsertedRowID
                stored.append(StoredRecord(seq: seq, record: r))
                if let d = delivery, let fanOut = d.fanOut {
                    let key = Store.recordKey(r, seq: seq)
                    try Store.insertDeliveries(db, fanOut(r, key), record: r, seq: seq, key: key, now: d.now)
                }
            }
            // After the fan-out: a notice whose deadline the same change closed (a catch-up notice, then `done`)
            // expires at once.
            if let d = delivery {
                for c in changes where c.previousDueSig != c.dueSig { try Store.expireClosed(db, c, now: d.now) }
            }
            for (inst, key, reply) in idempotency {
                try db.execute(sql: "INSERT OR IGNORE INTO idempotency(instance, key, reply) VALUES (?,?,?)", arguments: [inst, key, reply])
            }
            return stored
        }
    }

    /// Marks records sent: one statement for a range of sequence numbers.
    public func markSent(from first: Int64, through last: Int64) throws {
        guard first <= last else { return }
        try write { db in
            try db.execute(sql: "UPDATE history SET sent = 1 WHERE seq BETWEEN ? AND ? AND sent = 0", arguments: [first, last])
        }
    }

    /// Instances among `ids` that already exist.
    public func existing(_ ids: [String]) throws -> Set<String> {
        var out = Set<String>()
        try read { db in
            for chunk in stride(from: 0, to: ids.count, by: 500) {
                let part = Array(ids[chunk..<min(ids.count, chunk + 500)])
                let marks = Array(repeating: "?", count: part.count).joined(separator: ",")
                for id in try String.fetchAll(db, sql: "SELECT id FROM instances WHERE id IN (\(marks))", arguments: StatementArguments(part)) {
                    out.insert(id)
                }
            }
        }
        return out
    }

    /// Open overdue items: count, total age and a histogram over `bounds` (seconds), computed in SQL.
    public func overdueAges(now: Instant, bounds: [Int64]) throws -> (count: Int, sum: Int64, buckets: [Int]) {
        try read { db in
            let cols = bounds.map { "IFNULL(SUM(age <= \($0)), 0)" }.joined(separator: ", ")
            guard let row = try Row.fetchOne(
                db, sql: "SELECT COUNT(*), IFNULL(SUM(age), 0), \(cols) FROM (SELECT ? - due_end AS age FROM due_items WHERE due_end <= ?)",
                arguments: [now.seconds, now.seconds])
            else { return (0, 0, bounds.map { _ in 0 }) }
            return (row[0], row[1], bounds.indices.map { row[$0 + 2] })
        }
    }

    public func unsent(limit: Int) throws -> [StoredRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT seq, record FROM history WHERE sent = 0 ORDER BY seq LIMIT ?", arguments: [limit]).compactMap { row in
                guard let j = try? JSON.parse(row["record"] as String), let r = TiendoCore.Record(json: j) else { return nil }
                return StoredRecord(seq: row["seq"], record: r)
            }
        }
    }

    public func history(_ id: String) throws -> [TiendoCore.Record] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT record FROM history WHERE instance = ? ORDER BY seq", arguments: [id]).compactMap {
                (try? JSON.parse($0)).flatMap(TiendoCore.Record.init(json:))
            }
        }
    }

    public func idempotentReply(instance: String, key: String) throws -> String? {
        try read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT reply FROM idempotency WHERE instance = ? AND key = ?"), arguments: [instance, key])
        }
    }

    // MARK: Summaries

    public struct GroupCounts: Sendable {
        public var name: String
        public var instances = 0
        /// By state name, in byte order.
        public var states: [(String, Int)] = []
    }

    public struct WorkflowCounts: Sendable {
        public var instances = 0
        public var completed = 0
        public var states: [String: Int] = [:]
        /// By group name in byte order ('' for no group); empty unless asked for.
        public var groups: [GroupCounts] = []
        public init() {}
    }

    /// Instances per workflow, state and (with `groups`) group, from the trigger-maintained `counts` table. Rows come
    /// ordered, so the groups are built by appending: no hashing of the (Vietnamese, non-ASCII) group names, whose
    /// String hashing normalises every byte — at 10^6 instances in 50,000 groups that dominated start-up.
    public func counts(groups: Bool = true) throws -> [String: WorkflowCounts] {
        try read { db in
            var out: [String: WorkflowCounts] = [:]
            let sql =
                groups
                ? "SELECT workflow, state, completed, SUM(n), grp FROM counts GROUP BY workflow, grp, state, completed HAVING SUM(n) > 0 ORDER BY workflow, grp, state"
                : "SELECT workflow, state, completed, SUM(n) FROM workflow_counts GROUP BY workflow, state, completed HAVING SUM(n) > 0"
            var current = ""
            var wc = WorkflowCounts()
            var lastGroup: [UInt8] = []
            let cursor = try Row.fetchCursor(db, sql: sql)
            while let row = try cursor.next() {
                let wf: String = row[0]
                if wf != current {
                    if !current.isEmpty { out[current] = wc }
                    current = wf
                    wc = WorkflowCounts()
                    lastGroup = []
                }
                let stateText: String = row[1]
                let completed = (row[2] as Int) != 0
                let n: Int = row[3]
                wc.instances += n
                if completed { wc.completed += n }
                if !stateText.isEmpty { wc.states[stateText, default: 0] += n }
                guard groups else { continue }
                let grp: String = row[4]
                let bytes = Array(grp.utf8)
                if wc.groups.isEmpty || bytes != lastGroup {
                    wc.groups.append(GroupCounts(name: grp))
                    lastGroup = bytes
                }
                let g = wc.groups.count - 1
                wc.groups[g].instances += n
                if !stateText.isEmpty {
                    // Same state with another `completed` value: the rows are adjacent.
                    if let last = wc.groups[g].states.last, last.0 == stateText {
                        wc.groups[g].states[wc.groups[g].states.count - 1].1 += n
                    } else {
                        wc.groups[g].states.append((stateText, n))
                    }
                }
            }
            if !current.isEmpty { out[current] = wc }
            return out
        }
    }

    /// The columns of a due item, in the covering index's order (`due_items_by_end`).
    static let dueColumns = "instance, deadline, workflow, grp, state, milestone, title, due, due_end, occurrence, provisional"

    /// Decodes a row of `dueColumns`, by index.
    static func dueRow(_ row: Row) -> DueRow {
        DueRow(
            instance: row[0], deadline: row[1], workflow: row[2], group: row[3], state: row[4], milestone: row[5],
            occurrence: row[9], title: row[6], due: row[7], dueEnd: Instant(seconds: row[8]), provisional: (row[10] as Int) != 0)
    }

    /// The query of `dueItems` and `forEachDueItem`.
    static func dueQuery(after: Instant?, until: Instant, workflow: String?, group: String?, limit: Int) -> (String, StatementArguments) {
        query(
            "SELECT \(Store.dueColumns) FROM due_items",
            where: [("due_end <= ?", until.seconds), ("due_end > ?", after?.seconds), ("workflow = ?", workflow), ("IFNULL(grp, '') = ?", group)],
            orderBy: "due_end, instance, deadline", limit: limit)
    }

    /// `select` with the conditions whose value is present (each with one `?`), ordered and limited.
    static func query(
        _ select: String, where conditions: [(String, (any DatabaseValueConvertible)?)], orderBy: String, limit: Int
    ) -> (String, StatementArguments) {
        let present = conditions.compactMap { c in c.1.map { (c.0, $0) } }
        var sql = select
        if !present.isEmpty { sql += " WHERE " + present.map(\.0).joined(separator: " AND ") }
        sql += " ORDER BY \(orderBy) LIMIT ?"
        return (sql, StatementArguments(present.map(\.1) + [limit]))
    }

    /// Open items due before `until` (overdue ones included unless `after` is given: then those due after it),
    /// earliest first.
    public func dueItems(after: Instant? = nil, until: Instant, workflow: String?, group: String?, limit: Int) throws -> [DueRow] {
        let (sql, args) = Store.dueQuery(after: after, until: until, workflow: workflow, group: group, limit: limit)
        return try read { db in try Row.fetchAll(db, sql: sql, arguments: args).map(Store.dueRow) }
    }

    /// The current row of a raw cursor over `dueColumns`: columns read in place, nothing copied or decoded.
    /// Valid only inside the `forEachDueItem` body that received it.
    public struct RawDueRow {
        let statement: OpaquePointer

        /// Column `i` as UTF-8 bytes (nil for NULL), valid until the cursor moves.
        public func text(_ i: Int32) -> UnsafeBufferPointer<UInt8>? {
            guard let p = sqlite3_column_text(statement, i) else { return nil }
            return UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(statement, i)))
        }

        public func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(statement, i) }
    }

    /// `dueItems` for large answers (Agenda): `body` sees each row in place instead of a decoded `DueRow`.
    public func forEachDueItem(
        after: Instant? = nil, until: Instant, workflow: String?, group: String?, limit: Int, _ body: (RawDueRow) -> Void
    ) throws {
        let (sql, args) = Store.dueQuery(after: after, until: until, workflow: workflow, group: group, limit: limit)
        try read { db in
            let statement = try db.makeStatement(sql: sql)
            let cursor = try Row.fetchCursor(statement, arguments: args)
            while try cursor.next() != nil {
                body(RawDueRow(statement: statement.sqliteStatement))
            }
        }
    }

    /// Per workflow: instances with an overdue item (and, with `groups`, per group in byte order), with an item due
    /// within (now, soon], and the next item not overdue.
    public func dueSummary(now: Instant, soon: Instant, groups: Bool = true) throws -> [String: (overdue: Int, dueSoon: Int, next: DueRow?, overdueGroups: [(String, Int)])] {
        try read { db in
            var out: [String: (overdue: Int, dueSoon: Int, next: DueRow?, overdueGroups: [(String, Int)])] = [:]
            let empty: (overdue: Int, dueSoon: Int, next: DueRow?, overdueGroups: [(String, Int)]) = (0, 0, nil, [])
            for row in try Row.fetchAll(
                db,
                sql: groups
                    ? """
                    SELECT workflow, IFNULL(grp,'') AS g, COUNT(DISTINCT instance) AS n FROM due_items INDEXED BY due_items_by_end
                    WHERE due_end <= ? GROUP BY workflow, g ORDER BY workflow, g
                    """
                    : """
                    SELECT workflow, '', COUNT(DISTINCT instance) AS n FROM due_items INDEXED BY due_items_by_end
                    WHERE due_end <= ? GROUP BY workflow
                    """,
                arguments: [now.seconds])
            {
                // An instance is in one group: the groups' distinct counts add up to the workflow's.
                let wf: String = row[0]
                let n: Int = row[2]
                out[wf, default: empty].overdue += n
                if groups { out[wf]!.overdueGroups.append((row[1] as String, n)) }
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT workflow, COUNT(DISTINCT instance) AS n FROM due_items WHERE due_end > ? AND due_end <= ? GROUP BY workflow",
                arguments: [now.seconds, soon.seconds])
            {
                out[row[0] as String, default: empty].dueSoon = row[1]
            }
            // The next item of each workflow: one probe of (workflow, due_end) per workflow that has items.
            let next = try db.cachedStatement(
                sql: """
                    SELECT \(Store.dueColumns) FROM due_items WHERE workflow = ? AND due_end = (
                        SELECT MIN(due_end) FROM due_items WHERE workflow = ? AND due_end > ?) ORDER BY instance, deadline LIMIT 1
                    """)
            for wf in try String.fetchAll(db, sql: "SELECT DISTINCT workflow FROM workflow_counts WHERE n > 0") {
                if let row = try Row.fetchOne(next, arguments: [wf, wf, now.seconds]) {
                    out[wf, default: empty].next = Store.dueRow(row)
                }
            }
            return out
        }
    }

    public func totalInstances() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM instances") ?? 0 }
    }
}
