import Foundation
import GRDB
public import TiendoCore

/// The calendars in force (format §10 "Calendar changes", rule 1), provisional counts and the instance pages a
/// calendar change recomputes.
extension Store {
    /// v5: due items carry the occurrence and the provisional flag (interfaces §5); the covering index in due order
    /// holds them too, so Agenda still reads no table row. Per workflow, the count of provisional items is kept by
    /// triggers, as `counts` was until v7 (GetStatus and the status files read it at every call). The calendars in force are
    /// kept with their bytes, so a calendar changed while the daemon was stopped is noticed at start.
    static func migrateV5(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE due_items ADD COLUMN occurrence TEXT;
                ALTER TABLE due_items ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
                UPDATE due_items SET occurrence = substr(deadline, instr(deadline, '@') + 1) WHERE instr(deadline, '@') > 0;
                DROP INDEX due_items_by_end;
                CREATE INDEX due_items_by_end ON due_items(
                    due_end, instance, deadline, workflow, grp, state, milestone, title, due, occurrence, provisional);
                CREATE TABLE provisional_counts (workflow TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TRIGGER provisional_insert AFTER INSERT ON due_items WHEN NEW.provisional <> 0 BEGIN
                    INSERT INTO provisional_counts(workflow, n) VALUES (NEW.workflow, 1)
                        ON CONFLICT(workflow) DO UPDATE SET n = n + 1;
                END;
                CREATE TRIGGER provisional_delete AFTER DELETE ON due_items WHEN OLD.provisional <> 0 BEGIN
                    UPDATE provisional_counts SET n = n - 1 WHERE workflow = OLD.workflow;
                END;
                CREATE TRIGGER provisional_update AFTER UPDATE OF workflow, provisional ON due_items
                WHEN OLD.provisional <> NEW.provisional OR OLD.workflow IS NOT NEW.workflow BEGIN
                    UPDATE provisional_counts SET n = n - 1 WHERE OLD.provisional <> 0 AND workflow = OLD.workflow;
                    INSERT INTO provisional_counts(workflow, n) SELECT NEW.workflow, 1 WHERE NEW.provisional <> 0
                        ON CONFLICT(workflow) DO UPDATE SET n = n + 1;
                END;
                CREATE TABLE calendars (
                    id TEXT PRIMARY KEY, digest TEXT NOT NULL, file TEXT NOT NULL, source BLOB NOT NULL,
                    stored_at INTEGER NOT NULL);
                """)
    }

    /// A calendar in force as stored: its id, content digest, the file it was read from and its bytes.
    public struct StoredCalendar: Sendable {
        public var id: String
        public var digest: String
        public var file: String
        public var source: [UInt8]
    }

    /// Every calendar in force, by id.
    public func calendarsInForce() throws -> [StoredCalendar] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, digest, file, source FROM calendars ORDER BY id").map {
                StoredCalendar(id: $0[0], digest: $0[1], file: $0[2], source: [UInt8](($0[3] as Data?) ?? Data()))
            }
        }
    }
}

extension Store.Transaction {
    /// Makes `calendar` (read from `source`) the calendar in force for its id.
    public func saveCalendar(_ calendar: WorkCalendar, source: [UInt8], at now: Instant) throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO calendars(id, digest, file, source, stored_at) VALUES (?,?,?,?,?)
                    ON CONFLICT(id) DO UPDATE SET digest = excluded.digest, file = excluded.file, source = excluded.source,
                        stored_at = excluded.stored_at
                    """, arguments: [calendar.id, calendar.digest, calendar.file, Data(source), now.seconds])
        }
    }

    /// Instances not completed that run one of `digests`, in id order after `after`, at most `limit`: the pages a
    /// calendar change recomputes.
    public func activeInstances(
        digests: [String], after: String?, limit: Int, definition: (String) -> WorkflowDefinition?
    ) throws -> [StoredInstance] {
        guard !digests.isEmpty else { return [] }
        return try read { db in
            let marks = Array(repeating: "?", count: digests.count).joined(separator: ",")
            var args: [any DatabaseValueConvertible] = digests
            var sql = "SELECT \(Store.columns) FROM instances WHERE completed = 0 AND digest IN (\(marks))"
            if let after {
                sql += " AND id > ?"
                args.append(after)
            }
            sql += " ORDER BY id LIMIT ?"
            args.append(limit)
            return try Store.instances(db, sql, StatementArguments(args), definition: definition)
        }
    }
}

extension Store.Snapshot {
    /// Per workflow, its open items whose due is provisional (workflows without any are absent).
    public func provisionalCounts() throws -> [String: Int] {
        var out: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT workflow, n FROM provisional_counts WHERE n > 0") {
            out[row[0] as String] = row[1] as Int
        }
        return out
    }
}
