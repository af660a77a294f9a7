import Foundation
import GRDB
public import TiendoCore

/// A stored instance row with the columns the daemon needs without decoding the data.
public struct StoredInstance: Sendable {
    public var instance: Instance
    public var stale: Bool
}

/// An open deadline of an instance, kept in `due_items` for the agenda and summaries.
public struct DueRow: Sendable, Hashable {
    public var instance: String
    public var deadline: String  // "" for the state deadline, else the milestone id
    public var workflow: String
    public var group: String?
    public var state: String?
    public var milestone: String?
    public var title: String
    public var due: String
    public var dueEnd: Instant
    public init(
        instance: String, deadline: String, workflow: String, group: String?, state: String?, milestone: String?, title: String,
        due: String, dueEnd: Instant
    ) {
        self.instance = instance
        self.deadline = deadline
        self.workflow = workflow
        self.group = group
        self.state = state
        self.milestone = milestone
        self.title = title
        self.due = due
        self.dueEnd = dueEnd
    }
}

/// One change to write in a batch transaction.
public struct InstanceChange: Sendable {
    public var instance: Instance
    public var group: String?
    public var nextWakeup: Instant?
    public var dueItems: [DueRow]
    public var stale: Bool
    public var dataJSON: String
    public init(instance: Instance, group: String?, nextWakeup: Instant?, dueItems: [DueRow], stale: Bool, dataJSON: String) {
        self.instance = instance
        self.group = group
        self.nextWakeup = nextWakeup
        self.dueItems = dueItems
        self.stale = stale
        self.dataJSON = dataJSON
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
    case tooNew(path: String, version: Int)
    case corrupt(String)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r): return "không mở được cơ sở dữ liệu \(p): \(r)"
        case .notOurs(let p): return "\(p) không phải cơ sở dữ liệu của tiendo (bảng lạ, không có dấu tiendo); không động vào nó"
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

    public init(path: String, synchronous: String = "FULL") throws {
        self.path = path
        var config = Configuration()
        config.label = "tiendo"
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw StoreError.cannotOpen(path: path, reason: Store.describe(error))
        }
        try checkIdentity()
        do {
            try Store.migrator.migrate(pool)
        } catch {
            throw StoreError.cannotOpen(path: path, reason: Store.describe(error))
        }
    }

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

    /// Refuses a database that holds tables but is not ours (application_id and our tables missing).
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
                let check = try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "?"
                if check != "ok" { throw StoreError.corrupt(check) }
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
                        checked_at INTEGER NOT NULL, next_wakeup INTEGER, grp TEXT, stale INTEGER NOT NULL DEFAULT 0);
                    CREATE INDEX instances_wakeup ON instances(next_wakeup) WHERE next_wakeup IS NOT NULL;
                    CREATE INDEX instances_workflow_state ON instances(workflow, state);
                    CREATE TABLE due_items (
                        instance TEXT NOT NULL, deadline TEXT NOT NULL, workflow TEXT NOT NULL, grp TEXT, state TEXT,
                        milestone TEXT, title TEXT NOT NULL, due TEXT NOT NULL, due_end INTEGER NOT NULL,
                        PRIMARY KEY (instance, deadline)) WITHOUT ROWID;
                    CREATE INDEX due_items_end ON due_items(due_end);
                    CREATE TABLE history (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT, instance TEXT, workflow TEXT NOT NULL, at INTEGER NOT NULL,
                        kind TEXT NOT NULL, record TEXT NOT NULL, key TEXT UNIQUE, sent INTEGER NOT NULL DEFAULT 0);
                    CREATE INDEX history_instance ON history(instance, seq);
                    CREATE INDEX history_unsent ON history(seq) WHERE sent = 0;
                    CREATE TABLE idempotency (
                        instance TEXT NOT NULL, key TEXT NOT NULL, reply TEXT NOT NULL, PRIMARY KEY (instance, key)) WITHOUT ROWID;
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    """)
        }
        return m
    }

    // MARK: Meta

    public func meta(_ key: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [key, value])
        }
    }

    // MARK: Definitions

    public func saveDefinition(digest: String, workflow: String, file: String, source: [UInt8], at: Instant) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO definitions(digest, workflow, file, source, loaded_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [digest, workflow, file, Data(source), at.seconds])
        }
    }

    /// Definitions that instances still run, with their source (for pinned, stale instances after a restart).
    public func definitionsInUse() throws -> [(digest: String, workflow: String, file: String, source: [UInt8])] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT digest, workflow, file, source FROM definitions WHERE digest IN (SELECT DISTINCT digest FROM instances)"
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

    /// Decodes a row; `definition` types the data (nil when the digest is unknown).
    static func decode(_ row: Row, definition: (String) -> WorkflowDefinition?) throws -> StoredInstance {
        let digest: String = row["digest"]
        let dataText: String = row["data"]
        var data: InstanceData = [:]
        if let def = definition(digest), let j = try? JSON.parse(dataText), let o = j.objectValue {
            if case .success(let d) = def.validate(data: o, partial: true) { data = d }
        }
        let inst = Instance(
            id: row["id"], workflow: row["workflow"], data: data, state: row["state"],
            startedAt: Instant(seconds: row["started_at"]), enteredAt: Instant(seconds: row["entered_at"]),
            done: decodeMap(row["done"]), completed: (row["completed"] as Int) != 0, digest: digest,
            marks: decodeMap(row["marks"]), checkedAt: Instant(seconds: row["checked_at"]))
        return StoredInstance(instance: inst, stale: (row["stale"] as Int) != 0)
    }

    public func instance(_ id: String, definition: (String) -> WorkflowDefinition?) throws -> StoredInstance? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM instances WHERE id = ?", arguments: [id]).map { try Store.decode($0, definition: definition) }
        }
    }

    public func exists(_ id: String) throws -> Bool {
        try pool.read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM instances WHERE id = ?", arguments: [id]) ?? false }
    }

    /// Instances due at or before `now`, earliest first, at most `limit`.
    public func dueInstances(upTo now: Instant, limit: Int, definition: (String) -> WorkflowDefinition?) throws -> [StoredInstance] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM instances WHERE next_wakeup IS NOT NULL AND next_wakeup <= ? ORDER BY next_wakeup LIMIT ?",
                arguments: [now.seconds, limit]
            ).map { try Store.decode($0, definition: definition) }
        }
    }

    /// The earliest scheduled wake-up.
    public func nextWakeup() throws -> Instant? {
        try pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(next_wakeup) FROM instances WHERE next_wakeup IS NOT NULL").map { Instant(seconds: $0) }
        }
    }

    public func instances(
        workflow: String?, state: String? = nil, limit: Int, after: String?, definition: (String) -> WorkflowDefinition?
    ) throws -> [StoredInstance] {
        try pool.read { db in
            var sql = "SELECT * FROM instances WHERE 1"
            var args: [any DatabaseValueConvertible] = []
            if let workflow {
                sql += " AND workflow = ?"
                args.append(workflow)
            }
            if let state {
                sql += " AND state = ?"
                args.append(state)
            }
            if let after {
                sql += " AND id > ?"
                args.append(after)
            }
            sql += " ORDER BY id LIMIT ?"
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { try Store.decode($0, definition: definition) }
        }
    }

    /// All instances of a workflow running a given digest (for reload migration).
    public func instances(workflow: String, definition: (String) -> WorkflowDefinition?) throws -> [StoredInstance] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM instances WHERE workflow = ? ORDER BY id", arguments: [workflow]).map {
                try Store.decode($0, definition: definition)
            }
        }
    }

    public func count(workflow: String, states: Set<String>, group: String?, groupField: Bool) throws -> Int {
        guard !states.isEmpty else { return 0 }
        return try pool.read { db in
            let marks = Array(repeating: "?", count: states.count).joined(separator: ",")
            var sql = "SELECT COUNT(*) FROM instances WHERE workflow = ? AND state IN (\(marks))"
            var args: [any DatabaseValueConvertible] = [workflow] + states.sorted()
            if groupField {
                if let group {
                    sql += " AND grp = ?"
                    args.append(group)
                } else {
                    sql += " AND grp IS NULL"
                }
            }
            return try Int.fetchOne(db, sql: sql, arguments: StatementArguments(args)) ?? 0
        }
    }

    /// Count by an arbitrary data field (a limit's `per` other than `group_by`); a nil value counts missing fields.
    public func countByField(workflow: String, states: Set<String>, field: String, value: JSON?) throws -> Int {
        guard !states.isEmpty else { return 0 }
        return try pool.read { db in
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

    /// One transaction: instance upserts with their schedule and due items, new history records (a record with a
    /// key already stored is skipped: never doubled), idempotency replies. Returns the stored records with their
    /// sequence numbers, in order.
    @discardableResult
    public func commit(changes: [InstanceChange], records: [TiendoCore.Record], idempotency: [(String, String, String)] = []) throws -> [StoredRecord] {
        try pool.write { db in
            var stored: [StoredRecord] = []
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO instances(id, workflow, state, data, started_at, entered_at, done, completed, digest, marks,
                        checked_at, next_wakeup, grp, stale)
                    VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                    ON CONFLICT(id) DO UPDATE SET workflow=excluded.workflow, state=excluded.state, data=excluded.data,
                        started_at=excluded.started_at, entered_at=excluded.entered_at, done=excluded.done,
                        completed=excluded.completed, digest=excluded.digest, marks=excluded.marks,
                        checked_at=excluded.checked_at, next_wakeup=excluded.next_wakeup, grp=excluded.grp, stale=excluded.stale
                    """)
            let deleteDue = try db.cachedStatement(sql: "DELETE FROM due_items WHERE instance = ?")
            let insertDue = try db.cachedStatement(
                sql: "INSERT INTO due_items(instance, deadline, workflow, grp, state, milestone, title, due, due_end) VALUES (?,?,?,?,?,?,?,?,?)")
            for c in changes {
                let i = c.instance
                try upsert.execute(arguments: [
                    i.id, i.workflow, i.state, c.dataJSON, i.startedAt.seconds, i.enteredAt.seconds, Store.encodeMap(i.done),
                    i.completed ? 1 : 0, i.digest, Store.encodeMap(i.marks), i.checkedAt.seconds, c.nextWakeup?.seconds, c.group,
                    c.stale ? 1 : 0,
                ])
                try deleteDue.execute(arguments: [i.id])
                for d in c.dueItems {
                    try insertDue.execute(arguments: [
                        d.instance, d.deadline, d.workflow, d.group, d.state, d.milestone, d.title, d.due, d.dueEnd.seconds,
                    ])
                }
            }
            let insertRecord = try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO history(instance, workflow, at, kind, record, key) VALUES (?,?,?,?,?,?)")
            for r in records {
                try insertRecord.execute(arguments: [r.instance, r.workflow, r.at.seconds, r.kind.rawValue, r.json.serialized(), r.key])
                if db.changesCount > 0 { stored.append(StoredRecord(seq: db.lastInsertedRowID, record: r)) }
            }
            for (inst, key, reply) in idempotency {
                try db.execute(sql: "INSERT OR IGNORE INTO idempotency(instance, key, reply) VALUES (?,?,?)", arguments: [inst, key, reply])
            }
            return stored
        }
    }

    public func markSent(_ seqs: [Int64]) throws {
        guard !seqs.isEmpty else { return }
        try pool.write { db in
            let st = try db.cachedStatement(sql: "UPDATE history SET sent = 1 WHERE seq = ?")
            for s in seqs { try st.execute(arguments: [s]) }
        }
    }

    public func unsent(limit: Int) throws -> [StoredRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, record FROM history WHERE sent = 0 ORDER BY seq LIMIT ?", arguments: [limit]).compactMap { row in
                guard let j = try? JSON.parse(row["record"] as String), let r = TiendoCore.Record(json: j) else { return nil }
                return StoredRecord(seq: row["seq"], record: r)
            }
        }
    }

    public func history(_ id: String) throws -> [TiendoCore.Record] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT record FROM history WHERE instance = ? ORDER BY seq", arguments: [id]).compactMap {
                (try? JSON.parse($0)).flatMap(TiendoCore.Record.init(json:))
            }
        }
    }

    public func idempotentReply(instance: String, key: String) throws -> String? {
        try pool.read { db in
            try String.fetchOne(db, sql: "SELECT reply FROM idempotency WHERE instance = ? AND key = ?", arguments: [instance, key])
        }
    }

    // MARK: Summaries

    public struct WorkflowCounts: Sendable {
        public var instances = 0
        public var completed = 0
        public var states: [String: Int] = [:]
        public var groups: [String: (instances: Int, states: [String: Int])] = [:]
        public init() {}
    }

    public func counts() throws -> [String: WorkflowCounts] {
        try pool.read { db in
            var out: [String: WorkflowCounts] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT workflow, state, grp, completed, COUNT(*) AS n FROM instances GROUP BY workflow, state, grp, completed")
            {
                let wf: String = row["workflow"]
                let n: Int = row["n"]
                let state: String? = row["state"]
                let grp: String = row["grp"] ?? ""
                var c = out[wf] ?? WorkflowCounts()
                c.instances += n
                if (row["completed"] as Int) != 0 { c.completed += n }
                if let state { c.states[state, default: 0] += n }
                var g = c.groups[grp] ?? (0, [:])
                g.instances += n
                if let state { g.states[state, default: 0] += n }
                c.groups[grp] = g
                out[wf] = c
            }
            return out
        }
    }

    static func dueRow(_ row: Row) -> DueRow {
        DueRow(
            instance: row["instance"], deadline: row["deadline"], workflow: row["workflow"], group: row["grp"], state: row["state"],
            milestone: row["milestone"], title: row["title"], due: row["due"], dueEnd: Instant(seconds: row["due_end"]))
    }

    /// Open items due before `until` (overdue ones included), earliest first.
    public func dueItems(until: Instant, workflow: String?, group: String?, limit: Int) throws -> [DueRow] {
        try pool.read { db in
            var sql = "SELECT * FROM due_items WHERE due_end <= ?"
            var args: [any DatabaseValueConvertible] = [until.seconds]
            if let workflow {
                sql += " AND workflow = ?"
                args.append(workflow)
            }
            if let group {
                sql += " AND IFNULL(grp, '') = ?"
                args.append(group)
            }
            sql += " ORDER BY due_end, instance, deadline LIMIT ?"
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(Store.dueRow)
        }
    }

    public func dueItems(instance: String) throws -> [DueRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM due_items WHERE instance = ? ORDER BY due_end", arguments: [instance]).map(Store.dueRow)
        }
    }

    /// Per workflow: instances with an overdue item, with an item due within (now, soon], and the next item not overdue.
    public func dueSummary(now: Instant, soon: Instant) throws -> [String: (overdue: Int, dueSoon: Int, next: DueRow?, overdueGroups: [String: Int])] {
        try pool.read { db in
            var out: [String: (overdue: Int, dueSoon: Int, next: DueRow?, overdueGroups: [String: Int])] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT workflow, IFNULL(grp,'') AS g, COUNT(DISTINCT instance) AS n FROM due_items WHERE due_end <= ? GROUP BY workflow, g",
                arguments: [now.seconds])
            {
                let wf: String = row["workflow"]
                var e = out[wf] ?? (0, 0, nil, [:])
                e.overdue += row["n"] as Int
                e.overdueGroups[row["g"] as String] = row["n"] as Int
                out[wf] = e
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT workflow, COUNT(DISTINCT instance) AS n FROM due_items WHERE due_end > ? AND due_end <= ? GROUP BY workflow",
                arguments: [now.seconds, soon.seconds])
            {
                let wf: String = row["workflow"]
                var e = out[wf] ?? (0, 0, nil, [:])
                e.dueSoon = row["n"]
                out[wf] = e
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT d.* FROM due_items d JOIN (SELECT workflow, MIN(due_end) AS m FROM due_items WHERE due_end > ? GROUP BY workflow) x
                    ON d.workflow = x.workflow AND d.due_end = x.m ORDER BY d.instance, d.deadline
                    """, arguments: [now.seconds])
            {
                let r = Store.dueRow(row)
                var e = out[r.workflow] ?? (0, 0, nil, [:])
                if e.next == nil { e.next = r }
                out[r.workflow] = e
            }
            return out
        }
    }

    public func totalInstances() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM instances") ?? 0 }
    }
}
