import Foundation
import GRDB
public import TiendoCore
public import TiendoDelivery

/// What a commit does for delivery (`docs/delivery.md` §6): the deliveries of each record, written in the same
/// transaction as its history row, and the pending notices whose deadline the commit closed.
public struct DeliveryCommit {
    /// The commit's instant: `created_at` of new rows, `finished_at` of notices expired because their deadline closed.
    public var now: Instant
    /// The deliveries of one record under its key, and the recipients it cannot reach (kept as dead letters); nil
    /// when no routing file is in force (nothing is fanned out).
    public var fanOut: FanOutRule?

    public typealias FanOutRule = (TiendoCore.Record, _ recordKey: String) -> (deliveries: [FanOut], unreachable: [Unreachable])

    public init(now: Instant, fanOut: FanOutRule?) {
        self.now = now
        self.fanOut = fanOut
    }
}

/// The delivery queue in SQLite: the rules of `QueueBook` (leases, owners, digests sealed at their first claim,
/// superseding, reports under an owner check, release, retry of dead letters) as statements of the daemon's writer.
extension Store {
    /// v6: the record key with its history row, the `deliveries` queue, and per (channel, state) counts kept by
    /// triggers (status files and Prometheus read them every second). `failed` counts unfinished rows that failed
    /// at least once. Indexes: the claim scan in queue order, the next due instant, leases, digests, series, the
    /// pending notices of an instance (expired when their deadline closes), lists by state.
    static func migrateV6(_ db: Database) throws {
        func bump(_ row: String, _ delta: String) -> String {
            """
            INSERT INTO delivery_counts(channel, state, failed, n)
                VALUES (\(row).channel, \(row).state, \(row).attempts > 0 AND \(row).state IN ('pending', 'inflight'), \(delta))
                ON CONFLICT(channel, state, failed) DO UPDATE SET n = n + (\(delta));
            """
        }
        try db.execute(
            sql: """
                ALTER TABLE history ADD COLUMN key TEXT;
                CREATE TABLE deliveries (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    key TEXT NOT NULL UNIQUE,
                    record_seq INTEGER NOT NULL REFERENCES history(seq),
                    record_key TEXT NOT NULL,
                    instance TEXT, deadline TEXT, due TEXT,
                    channel TEXT NOT NULL, recipient TEXT, route TEXT NOT NULL,
                    digest TEXT, digest_period TEXT, series TEXT,
                    state TEXT NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'inflight', 'sent', 'dead', 'expired')),
                    not_before INTEGER NOT NULL, expires_at INTEGER,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    message_key TEXT, lease_owner TEXT, lease_until INTEGER,
                    last_error_class TEXT, last_error TEXT, provider_id TEXT,
                    created_at INTEGER NOT NULL, finished_at INTEGER);
                CREATE INDEX deliveries_pending ON deliveries(channel, id) WHERE state = 'pending';
                CREATE INDEX deliveries_next ON deliveries(channel, not_before) WHERE state = 'pending';
                CREATE INDEX deliveries_lease ON deliveries(channel, lease_until) WHERE state = 'inflight';
                CREATE INDEX deliveries_owner ON deliveries(lease_owner) WHERE state = 'inflight';
                CREATE INDEX deliveries_digest ON deliveries(digest, message_key) WHERE digest IS NOT NULL;
                CREATE INDEX deliveries_series ON deliveries(series, id) WHERE series IS NOT NULL;
                CREATE INDEX deliveries_instance ON deliveries(instance) WHERE state = 'pending' AND deadline IS NOT NULL;
                CREATE INDEX deliveries_state ON deliveries(state, id);
                CREATE TABLE delivery_counts (
                    channel TEXT NOT NULL, state TEXT NOT NULL, failed INTEGER NOT NULL, n INTEGER NOT NULL,
                    PRIMARY KEY (channel, state, failed)) WITHOUT ROWID;
                CREATE TRIGGER delivery_counts_insert AFTER INSERT ON deliveries BEGIN \(bump("NEW", "1")) END;
                CREATE TRIGGER delivery_counts_update AFTER UPDATE OF state, attempts, channel ON deliveries
                WHEN OLD.state IS NOT NEW.state OR (OLD.attempts > 0) IS NOT (NEW.attempts > 0) OR OLD.channel IS NOT NEW.channel
                BEGIN \(bump("OLD", "-1")) \(bump("NEW", "1")) END;
                CREATE TRIGGER delivery_counts_delete AFTER DELETE ON deliveries BEGIN \(bump("OLD", "-1")) END;
                """)
    }

    /// The key deliveries and reports name a record by: the engine's (`Record.key`), or for records without one
    /// (`started`, `rejected`) the instance, kind and history sequence number, which are unique.
    static func recordKey(_ r: TiendoCore.Record, seq: Int64) -> String {
        r.key ?? "\(r.instance ?? r.workflow)|\(r.kind.rawValue)|#\(seq)"
    }

    /// The open deadline a notice is about, as `s:STATE` or `m:MILESTONE[@LABEL]`; nil for other records.
    static func deadlineKey(_ r: TiendoCore.Record) -> String? {
        guard r.kind == .reminder || r.kind == .overdue else { return nil }
        if let m = r.milestone { return "m:" + m + (r.occurrence.map { "@" + $0 } ?? "") }
        return "s:" + (r.state ?? "")
    }

    /// The same key for an open deadline of `due_items`.
    static func deadlineKey(_ d: DueRow) -> String {
        d.milestone == nil ? "s:" + (d.state ?? "") : "m:" + d.deadline
    }

    /// Inserts a record's deliveries (a key already queued is skipped: a second fan-out changes nothing; so is a key
    /// sent before a restore, `sent_before_restore`).
    static func insertDeliveries(_ db: Database, _ fanOuts: [FanOut], record r: TiendoCore.Record, seq: Int64, key: String, now: Instant)
        throws
    {
        guard !fanOuts.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO deliveries(key, record_seq, record_key, instance, deadline, due, channel, recipient, route,
                    digest, digest_period, series, not_before, expires_at, created_at, label, due_at)
                    SELECT ?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17
                    WHERE NOT EXISTS (SELECT 1 FROM sent_before_restore WHERE key = ?1)
                """)
        let deadline = deadlineKey(r)
        for f in fanOuts {
            try insert.execute(arguments: [
                f.key, seq, key, r.instance, deadline, deadline == nil ? nil : r.due, f.channel, f.recipient?.description, f.route,
                f.digest, f.digestPeriod?.rawValue, QueueBook.seriesKey(series: f.series, channel: f.channel, recipient: f.recipient),
                f.notBefore.seconds, f.expiresAt?.seconds, now.seconds, f.label, f.notBefore.seconds,
            ])
        }
    }

    /// Inserts a record's recipients that no address reaches, as dead letters with their reason: counted and listed
    /// with the others, tried again by `Retry` (which finds the same reason at the claim until the record's data
    /// gives an address to later notices).
    static func insertUnreachable(_ db: Database, _ list: [Unreachable], record r: TiendoCore.Record, seq: Int64, key: String, now: Instant)
        throws
    {
        guard !list.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO deliveries(key, record_seq, record_key, instance, channel, recipient, route, state,
                    not_before, created_at, finished_at, last_error_class, last_error, label, due_at)
                    VALUES (?,?,?,?,?,?,?,'dead',?,?,?,'permanent',?,?,?)
                """)
        for u in list {
            try insert.execute(arguments: [
                u.key, seq, key, r.instance, u.channel, u.value, u.route, now.seconds, now.seconds, now.seconds, u.reason, u.label,
                now.seconds,
            ])
        }
    }

    /// Whether any notice waits to be sent with a deadline (`expireClosed` has something to look at): the first
    /// entry of `deliveries_instance`, which holds exactly those.
    static func anyPendingNotice(_ db: Database) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT EXISTS (SELECT 1 FROM deliveries INDEXED BY deliveries_instance
                        WHERE state = 'pending' AND deadline IS NOT NULL)
                    """)) ?? true
    }

    /// Pending notices of the instance whose deadline is no longer open after `change` (milestone done, state left,
    /// instance completed, or the due moved) expire unsent, with the reason in their row.
    static func expireClosed(_ db: Database, _ change: InstanceChange, now: Instant) throws {
        let rows = try Row.fetchAll(
            // INDEXED BY: without statistics SQLite picks (state, id) and reads every pending row for each instance.
            db.cachedStatement(
                sql: """
                    SELECT id, deadline, due FROM deliveries INDEXED BY deliveries_instance
                    WHERE instance = ? AND state = 'pending' AND deadline IS NOT NULL
                    """),
            arguments: [change.instance.id])
        guard !rows.isEmpty else { return }
        var open: [String: [String]] = [:]
        for d in change.dueItems { open[deadlineKey(d), default: []].append(d.due) }
        let expire = try db.cachedStatement(
            sql: "UPDATE deliveries SET state = 'expired', finished_at = ?, last_error = ? WHERE id = ?")
        for row in rows {
            let deadline: String = row[1]
            let due: String? = row[2]
            guard let dues = open[deadline] else {
                try expire.execute(arguments: [now.seconds, "đã hoàn thành trước khi gửi", row[0] as Int64])
                continue
            }
            if let due, !dues.contains(due) {
                let moved = dues.map { CivilDate.parse($0)?.vietnamese ?? $0 }.joined(separator: ", ")
                try expire.execute(arguments: [now.seconds, "hạn đã đổi sang \(moved) trước khi gửi", row[0] as Int64])
            }
        }
    }

    // MARK: The queue protocol (DeliveryQueue)

    /// The columns a claimed delivery is read with (joined with its history row for the record).
    static let deliveryColumns = """
        d.id, d.key, d.record_key, h.record, d.channel, d.recipient, d.route, d.digest, d.digest_period, d.series,
        d.not_before, d.expires_at, d.attempts, d.created_at, d.label, d.due_at
        """

    static func delivery(_ row: Row) -> Delivery? {
        var recipient: Mailbox?
        if let text = row[5] as String? {
            guard case .success(let m) = Mailbox.parse(text) else { return nil }
            recipient = m
        }
        guard let record = try? JSON.parse(row[3] as String) else { return nil }
        let f = FanOut(
            key: row[1], channel: row[4], recipient: recipient, route: row[6], digest: row[7],
            digestPeriod: (row[8] as String?).flatMap(DigestSchedule.Period.init), notBefore: Instant(seconds: row[10]),
            expiresAt: (row[11] as Int64?).map { Instant(seconds: $0) }, series: row[9], label: row[14])
        var d = Delivery(id: row[0], fanOut: f, recordKey: row[2], record: record, createdAt: Instant(seconds: row[13]))
        d.attempts = row[12]
        // Rows tried before `due_at` existed count from their commit.
        d.dueAt = (row[15] as Int64?).map { Instant(seconds: $0) } ?? d.createdAt
        return d
    }

    /// When the channel next has something to do: its earliest pending `not_before`, or a lease that runs out.
    public func nextDelivery(channel: String) throws -> Instant? {
        try read { db in
            let pending = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT MIN(not_before) FROM deliveries WHERE channel = ? AND state = 'pending'"),
                arguments: [channel])
            let lease = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT MIN(lease_until) FROM deliveries WHERE channel = ? AND state = 'inflight'"),
                arguments: [channel])
            return [pending, lease].compactMap { $0 }.min().map { Instant(seconds: $0) }
        }
    }

}

/// A request about a delivery the store does not hold (`vn.tiendo.Delivery.NoSuchDelivery`).
public enum DeliveryStoreError: Error, Equatable {
    case unknownDelivery(Int64)
}

extension Store.Transaction {
    /// Up to `limit` jobs of `channel` due at `now`, oldest delivery first, leased to `owner` until `leaseUntil`;
    /// the owner's earlier claims and the channel's expired leases go back to the queue first (`QueueBook.claim`).
    public func claimDeliveries(channel: String, owner: String, now: Instant, limit: Int, leaseUntil: Instant) throws -> [DeliveryJob] {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE deliveries INDEXED BY deliveries_owner SET state = 'pending', lease_owner = NULL, lease_until = NULL
                    WHERE lease_owner = ? AND state = 'inflight'
                    """, arguments: [owner])
            try db.execute(
                sql: """
                    UPDATE deliveries SET state = 'pending', lease_owner = NULL, lease_until = NULL
                    WHERE channel = ? AND state = 'inflight' AND lease_until <= ?
                    """, arguments: [channel, now.seconds])
            let next = try db.cachedStatement(
                sql: """
                    SELECT id, key, digest, message_key FROM deliveries INDEXED BY deliveries_pending
                    WHERE channel = ? AND state = 'pending' AND id > ? AND not_before <= ? ORDER BY id LIMIT 1
                    """)
            let lease = try db.cachedStatement(
                sql: "UPDATE deliveries SET state = 'inflight', lease_owner = ?, lease_until = ?, message_key = ? WHERE id = ?")
            // As `QueueBook.newer`: for a digest's notice, only a newer one in the same digest or sent on its own.
            let newer = try db.cachedStatement(
                sql: """
                    SELECT MAX(id) FROM deliveries WHERE series = ?1 AND id > ?2 AND created_at <= ?3
                      AND (?4 IS NULL OR digest IS NULL OR digest = ?4)
                    """)
            var jobs: [DeliveryJob] = []
            var after: Int64 = 0
            while jobs.count < limit, let row = try Row.fetchOne(next, arguments: [channel, after, now.seconds]) {
                after = row[0]
                var members: [Int64] = [row[0]]
                var key: String = (row[3] as String?) ?? row[1]
                if let g = row[2] as String? {
                    // The digest's other due deliveries in one message: those sealed with this one's key, or, at a
                    // first claim, every one not sealed yet; a first claim after a digest went out is `KEY#N`.
                    members = try Int64.fetchAll(
                        db,
                        sql: """
                            SELECT id FROM deliveries WHERE digest = ? AND message_key IS ? AND state = 'pending' AND not_before <= ?
                            ORDER BY id
                            """, arguments: [g, row[3] as String?, now.seconds])
                    if row[3] as String? == nil {
                        let sent =
                            try Int.fetchOne(
                                db, sql: "SELECT COUNT(DISTINCT message_key) FROM deliveries WHERE digest = ? AND message_key IS NOT NULL",
                                arguments: [g]) ?? 0
                        key = sent == 0 ? g : g + "#\(sent + 1)"
                    }
                }
                for m in members { try lease.execute(arguments: [owner, leaseUntil.seconds, key, m]) }
                let marks = members.map { _ in "?" }.joined(separator: ",")
                var items: [Delivery] = []
                for row in try Row.fetchAll(
                    db,
                    sql:
                        "SELECT \(Store.deliveryColumns) FROM deliveries d JOIN history h ON h.seq = d.record_seq WHERE d.id IN (\(marks)) ORDER BY d.id",
                    arguments: StatementArguments(members))
                {
                    if let d = Store.delivery(row) {
                        items.append(d)
                        continue
                    }
                    // A row the queue cannot read back (a recipient that is no address, kept so at the fan-out and
                    // tried again; a recipient or record stored by an older version in a form this one refuses) is a
                    // dead letter with its reason, not a lease renewed for ever unseen.
                    let recipient = row[5] as String?
                    let unreachable = recipient.map { (row[1] as String).hasSuffix("|!" + $0.lowercased()) } ?? false
                    let reason = unreachable ? recipient.map { Unreachable.reason(value: $0, field: nil) } : nil
                    try db.execute(
                        sql: """
                            UPDATE deliveries SET state = 'dead', last_error_class = 'permanent', last_error = ?, finished_at = ?,
                                lease_owner = NULL, lease_until = NULL WHERE id = ?
                            """,
                        arguments: [
                            reason ?? "không đọc lại được người nhận hoặc bản ghi của thông báo này trong hàng đợi: \(recipient ?? "")",
                            now.seconds, row[0] as Int64,
                        ])
                }
                for i in items.indices {
                    guard let s = items[i].series else { continue }
                    items[i].supersededBy = try Int64.fetchOne(newer, arguments: [s, items[i].id, now.seconds, items[i].digest])
                }
                guard let first = items.first else { continue }
                jobs.append(
                    DeliveryJob(messageKey: key, channel: channel, recipient: first.recipient, items: items, leaseUntil: leaseUntil))
            }
            return jobs
        }
    }

    /// Applies the outcomes of claims `owner` holds; returns how many were applied and the channels they touched.
    public func reportDeliveries(_ reports: [DeliveryReport], owner: String) throws -> (applied: Int, channels: Set<String>) {
        try write { db in
            let check = try db.cachedStatement(
                sql: "SELECT channel FROM deliveries WHERE id = ? AND state = 'inflight' AND lease_owner = ?")
            var applied = 0
            var channels = Set<String>()
            for r in reports {
                guard let channel = try String.fetchOne(check, arguments: [r.id, owner]) else { continue }
                applied += 1
                channels.insert(channel)
                let done = "lease_owner = NULL, lease_until = NULL, message_key = ?"
                switch r.outcome {
                case .sent(let provider):
                    try db.execute(
                        sql: "UPDATE deliveries SET state = 'sent', provider_id = ?, finished_at = ?, \(done) WHERE id = ?",
                        arguments: [provider, r.at.seconds, r.messageKey, r.id])
                case .retry(let at, let f):
                    try db.execute(
                        sql: """
                            UPDATE deliveries SET state = 'pending', not_before = ?, attempts = attempts + 1, last_error_class = ?,
                                last_error = ?, \(done) WHERE id = ?
                            """, arguments: [at.seconds, f.errorClass.rawValue, f.reason, r.messageKey, r.id])
                case .dead(let f):
                    try db.execute(
                        sql: """
                            UPDATE deliveries SET state = 'dead', attempts = attempts + 1, last_error_class = ?, last_error = ?,
                                finished_at = ?, \(done) WHERE id = ?
                            """, arguments: [f.errorClass.rawValue, f.reason, r.at.seconds, r.messageKey, r.id])
                case .expired(let reason):
                    try db.execute(
                        sql: "UPDATE deliveries SET state = 'expired', last_error = ?, finished_at = ?, \(done) WHERE id = ?",
                        arguments: [reason, r.at.seconds, r.messageKey, r.id])
                case .held(let until):
                    try db.execute(
                        sql: """
                            UPDATE deliveries SET state = 'pending', not_before = ?, due_at = COALESCE(due_at, created_at) + ?,
                                \(done) WHERE id = ?
                            """, arguments: [until.seconds, max(0, until.seconds - r.at.seconds), r.messageKey, r.id])
                }
            }
            return (applied, channels)
        }
    }

    /// Claims of `owner` back to the queue unsent, without counting an attempt: `ids`, or all of them when nil.
    public func releaseDeliveries(_ ids: [Int64]?, owner: String) throws -> (released: Int, channels: Set<String>) {
        try write { db in
            var sql = "FROM deliveries WHERE lease_owner = ? AND state = 'inflight'"
            var args: [any DatabaseValueConvertible] = [owner]
            if let ids {
                guard !ids.isEmpty else { return (0, []) }
                sql += " AND id IN (\(ids.map { _ in "?" }.joined(separator: ",")))"
                args += ids
            }
            let channels = Set(try String.fetchAll(db, sql: "SELECT DISTINCT channel " + sql, arguments: StatementArguments(args)))
            try db.execute(
                sql: "UPDATE deliveries SET state = 'pending', lease_owner = NULL, lease_until = NULL WHERE id IN (SELECT id \(sql))",
                arguments: StatementArguments(args))
            return (db.changesCount, channels)
        }
    }

    /// Dead letters set aside as dealt with (`tiendoctl deliveries discard`, the web's «Bỏ qua»): `ids`, or every
    /// dead letter when nil; each becomes `expired` with who set it aside, kept in the list. A dead letter nothing
    /// will ever send (a member's address that was no address) otherwise stayed counted, and said on every
    /// administrator's home page, for good. Throws `unknownDelivery` for an id that does not exist.
    public func discardDeliveries(_ ids: [Int64]?, now: Instant, by actor: String?) throws -> (discarded: Int, channels: Set<String>) {
        try write { db in
            let (which, channels) = try Self.deadLetters(db, ids)
            let reason = "bỏ qua, đã xử lý" + (actor.map { " (\($0))" } ?? "") + " — lỗi trước đó: "
            try db.execute(
                sql: """
                    UPDATE deliveries SET state = 'expired', finished_at = ?, last_error_class = NULL,
                        last_error = ? || IFNULL(last_error, '')
                    WHERE state = 'dead' \(which)
                    """,
                arguments: StatementArguments([now.seconds, reason] as [any DatabaseValueConvertible]) + StatementArguments(ids ?? []))
            return (db.changesCount, channels)
        }
    }

    /// The condition that picks `ids` among the dead letters (all of them for nil), and their channels; throws
    /// `unknownDelivery` for an id that does not exist.
    static func deadLetters(_ db: Database, _ ids: [Int64]?) throws -> (which: String, channels: Set<String>) {
        if let ids {
            for id in ids where try !(Bool.fetchOne(db, sql: "SELECT 1 FROM deliveries WHERE id = ?", arguments: [id]) ?? false) {
                throw DeliveryStoreError.unknownDelivery(id)
            }
        }
        let which = ids.map { "AND id IN (\($0.map { _ in "?" }.joined(separator: ",")))" } ?? ""
        let channels = Set(
            try String.fetchAll(
                db, sql: "SELECT DISTINCT channel FROM deliveries WHERE state = 'dead' \(which)", arguments: StatementArguments(ids ?? [])))
        return (which, channels)
    }

    /// Dead letters back to the queue, due at `now`, with their message key (`tiendoctl deliveries retry`): `ids`,
    /// or every dead letter when nil. Returns how many were dead, and their channels; throws `unknownDelivery`
    /// for an id that does not exist.
    public func retryDeliveries(_ ids: [Int64]?, now: Instant) throws -> (retried: Int, channels: Set<String>) {
        try write { db in
            let (which, channels) = try Self.deadLetters(db, ids)
            let args = StatementArguments(ids ?? [])
            try db.execute(
                sql: """
                    UPDATE deliveries SET state = 'pending', not_before = \(now.seconds), created_at = \(now.seconds),
                        due_at = \(now.seconds), finished_at = NULL
                    WHERE state = 'dead' \(which)
                    """, arguments: args)
            return (db.changesCount, channels)
        }
    }
}
