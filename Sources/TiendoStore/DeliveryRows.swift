import Foundation
import GRDB
import TiendoCore
public import TiendoDelivery

extension Store {
    /// Deliveries in queue order after `after`, at most `limit`: in one of `states` when given (`failed`: unfinished
    /// and failed at least once), of `channel` when given.
    /// `newest`: the latest first (by id, descending), `after` then a cursor going back (ids below it).
    public func deliveryRows(states: [String]?, channel: String?, after: Int64?, limit: Int, newest: Bool = false) throws
        -> [DeliveryRow]
    {
        var conditions: [String] = []
        var args: [any DatabaseValueConvertible] = []
        if let states, !states.isEmpty {
            var any: [String] = []
            let plain = states.filter { $0 != "failed" }
            if !plain.isEmpty {
                any.append("d.state IN (\(plain.map { _ in "?" }.joined(separator: ",")))")
                args += plain
            }
            if states.contains("failed") { any.append("(d.state IN ('pending', 'inflight') AND d.attempts > 0)") }
            conditions.append("(" + any.joined(separator: " OR ") + ")")
        }
        if let channel {
            conditions.append("d.channel = ?")
            args.append(channel)
        }
        if let after {
            conditions.append(newest ? "d.id < ?" : "d.id > ?")
            args.append(after)
        }
        args.append(limit)
        let sql = """
            SELECT d.id, d.key, d.state, d.channel, d.recipient, d.route, h.workflow, h.instance, h.kind,
                json_extract(h.record, '$.message'), d.record_key, d.digest, d.not_before, d.expires_at, d.created_at, d.attempts,
                d.message_key, d.last_error_class, d.last_error, d.provider_id, d.finished_at, d.label
            FROM deliveries d JOIN history h ON h.seq = d.record_seq
            \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")) ORDER BY d.id\(newest ? " DESC" : "") LIMIT ?
            """
        return try read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { r in
                DeliveryRow(
                    id: r[0], key: r[1], state: r[2], channel: r[3], recipient: r[4], route: r[5], workflow: r[6], instance: r[7],
                    kind: r[8], message: (r[9] as String?) ?? "", recordKey: r[10], digest: r[11], notBefore: Instant(seconds: r[12]),
                    expiresAt: (r[13] as Int64?).map { Instant(seconds: $0) }, createdAt: Instant(seconds: r[14]), attempts: r[15],
                    messageKey: r[16], errorClass: r[17], error: r[18], providerID: r[19],
                    finishedAt: (r[20] as Int64?).map { Instant(seconds: $0) }, label: r[21])
            }
        }
    }

    /// `Snapshot.deliveryCounts` in a read of its own.
    public func deliveryCounts() throws -> DeliveryCounts { try snapshot { try $0.deliveryCounts() } }
}

extension Store.Snapshot {
    /// The counts kept by triggers, and per channel the earliest instant a delivery still waiting is or was due (in
    /// the future for a digest waiting for its time).
    public func deliveryCounts() throws -> DeliveryCounts {
        var out = DeliveryCounts()
        for row in try Row.fetchAll(
            db, sql: "SELECT channel, state, failed, SUM(n) FROM delivery_counts GROUP BY 1, 2, 3 HAVING SUM(n) > 0")
        {
            let channel: String = row[0]
            let n: Int = row[3]
            if out.channels[channel] == nil {
                out.channels[channel] = Dictionary(uniqueKeysWithValues: (DeliveryCounts.states + ["failed"]).map { ($0, 0) })
            }
            out.channels[channel]![row[1] as String, default: 0] += n
            if (row[2] as Int) != 0 { out.channels[channel]!["failed", default: 0] += n }
        }
        // When each is due (a digest's time, the end of quiet hours; a failing one keeps its first due through its
        // retries, moved on by the time held outside sending hours), not its record's commit: a weekly digest waiting
        // for Monday is not late, and a message that has failed since Monday morning is, whatever its next attempt.
        // Future instants count too, so that an alert on `time() - instant` fires once one passes although nothing
        // rewrites the status files. The pending rows of a channel are few unless its relay has been down for long.
        let oldest = try db.cachedStatement(
            sql: """
                SELECT MIN(COALESCE(due_at, created_at)) FROM deliveries INDEXED BY deliveries_pending
                WHERE channel = ? AND state = 'pending'
                """)
        for channel in out.channels.keys where (out.channels[channel]?["pending"] ?? 0) > 0 {
            if let t = try Int64.fetchOne(oldest, arguments: [channel]) { out.oldestPending[channel] = Instant(seconds: t) }
        }
        return out
    }
}
