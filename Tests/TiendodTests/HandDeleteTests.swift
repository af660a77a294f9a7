import Foundation
import Testing
import TiendoCore
import TiendoVarlink

/// An instance deleted by hand from the database (sqlite3, the daemon stopped) takes what belongs to it along.
@Suite(.serialized)
struct HandDeleteTests {
    static let now = "2026-03-02T09:00:00+07:00"

    static func start(_ d: DaemonProcess, _ key: String) throws -> JSON {
        try d.call(
            "StartInstance", [("workflow", .string("hop")), ("key", .string(key)), ("data", .object([("han", .string("2026-03-20"))]))])
    }

    static func cancel(_ d: DaemonProcess, _ key: String, idempotencyKey: String) throws -> String? {
        try d.call("SendEvent", [("id", .string("hop/" + key)), ("event", .string("huy")), ("idempotencyKey", .string(idempotencyKey))])[
            "instance"]?["state"]?.stringValue
    }

    static func agendaInstances(_ d: DaemonProcess) throws -> [String] {
        (try d.call("Agenda", [("days", .int(30))])["items"]?.arrayValue ?? []).compactMap { $0["instance"]?.stringValue }
    }

    /// A delivery of a record of `instance` waiting to be sent: a notice of `deadline`, or another record (nil).
    static func pendingDelivery(_ key: String, instance: String, deadline: String?) -> String {
        """
        INSERT INTO deliveries(key, record_seq, record_key, instance, deadline, due, channel, route, not_before, created_at)
        VALUES ('\(key)', 1, 'r-\(key)', '\(instance)', \(deadline.map { "'\($0)'" } ?? "NULL"), '2026-03-20', 'email', 'r', 0, 0);
        """
    }

    static let deliveryStates = "SELECT key || ' ' || state || ' ' || IFNULL(last_error, '') FROM deliveries ORDER BY key"

    static func sql(_ db: String, _ statements: String) throws {
        let (status, out) = try run("/usr/bin/sqlite3", [db, statements])
        try #require(status == 0, "sqlite3: \(out)")
    }

    /// A daemon, stopped, that made `hop/x1` (cancelled under idempotency key k1) and the instances `open`, each
    /// with one due item; and its database.
    static func stoppedDaemon(open: [String]) throws -> (DaemonProcess, String) {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: now, rate: 1)
        _ = try start(d, "x1")
        #expect(try cancel(d, "x1", idempotencyKey: "k1") == "huy")
        for key in open { _ = try start(d, key) }
        #expect(try agendaInstances(d) == open.map { "hop/" + $0 })
        #expect(d.stop() == 0)
        return (d, d.stateDir + "/tiendo.sqlite")
    }

    @Test("its due items, idempotency keys and unsent notices go with it, and its id can be used again")
    func dependentsGoWithIt() throws {
        let (d, db) = try Self.stoppedDaemon(open: ["x2"])

        try Self.sql(
            db,
            Self.pendingDelivery("d1", instance: "hop/x2", deadline: "bao-cao")
                + Self.pendingDelivery("d2", instance: "hop/x2", deadline: nil))
        try Self.sql(db, "DELETE FROM instances WHERE id IN ('hop/x1', 'hop/x2')")
        #expect(try historyRows(db, "SELECT COUNT(*) FROM due_items") == ["0"])
        #expect(try historyRows(db, "SELECT COUNT(*) FROM idempotency") == ["0"])
        #expect(try countDisagreements(db) == 0)
        // Its notice waiting to be sent expires, saying why; the delivery of another of its records stays.
        #expect(
            try historyRows(db, Self.deliveryStates) == [
                "d1 expired hồ sơ đã bị xóa khỏi cơ sở dữ liệu trước khi gửi", "d2 pending ",
            ])

        try d.start(fakeTime: Self.now, rate: 1)
        #expect(try Self.agendaInstances(d) == [])
        // The ids again: a new instance each, and the old key does not stand for the new instance's event.
        #expect(try Self.start(d, "x2")["instance"]?["state"]?.stringValue == "moi")
        #expect(try Self.agendaInstances(d) == ["hop/x2"])
        #expect(try Self.start(d, "x1")["instance"]?["state"]?.stringValue == "moi")
        #expect(try Self.cancel(d, "x1", idempotencyKey: "k1") == "huy")
        #expect(d.stop() == 0)
    }

    @Test("what deletions before the trigger left behind is removed when the database is upgraded")
    func leftoversRemovedOnUpgrade() throws {
        let (d, db) = try Self.stoppedDaemon(open: ["x2", "x3"])
        // A database of the version before: no trigger, so the deletions leave due items and keys behind.
        try Self.sql(
            db,
            """
            DROP TRIGGER instances_delete_dependents;
            DELETE FROM grdb_migrations WHERE identifier = 'v9-hand-deletes';
            DELETE FROM instances WHERE id IN ('hop/x1', 'hop/x2');
            """ + Self.pendingDelivery("d1", instance: "hop/x2", deadline: "bao-cao")
                + Self.pendingDelivery("d3", instance: "hop/x3", deadline: "bao-cao"))
        #expect(try historyRows(db, "SELECT instance FROM due_items ORDER BY 1") == ["hop/x2", "hop/x3"])
        #expect(try historyRows(db, "SELECT COUNT(*) FROM idempotency") == ["1"])

        try d.start(fakeTime: Self.now, rate: 1)
        #expect(try Self.agendaInstances(d) == ["hop/x3"])
        #expect(try Self.start(d, "x2")["instance"]?["state"]?.stringValue == "moi")
        #expect(d.stop() == 0)
        #expect(try historyRows(db, "SELECT instance FROM due_items ORDER BY 1") == ["hop/x2", "hop/x3"])
        #expect(try historyRows(db, "SELECT COUNT(*) FROM idempotency") == ["0"])
        #expect(
            try historyRows(db, Self.deliveryStates) == [
                "d1 expired hồ sơ đã bị xóa khỏi cơ sở dữ liệu trước khi gửi", "d3 pending ",
            ])
        #expect(
            try historyRows(db, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'instances' ORDER BY 1") == [
                "counts_delete", "instances_delete_dependents",
            ])
    }
}
