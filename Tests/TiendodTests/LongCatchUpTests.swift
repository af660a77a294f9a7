import Foundation
import Testing
import TiendoCore
import TiendoVarlink

/// A catch-up longer than one bounded step through the real tiendod: an instance cycling every hour, left 60 days
/// down, fires 1,000 transitions at start, the summary says it is still behind, and the other 440 follow at the next
/// wake-up; nothing is lost or doubled and its timer goes on.
@Suite(.serialized)
struct LongCatchUpTests {
    static let hourly = """
        tiendo: 1
        title: Chu kỳ từng giờ
        initial: a
        states:
          a:
            after: {at: entered_at + 1h, to: b}
          b:
            after: {at: entered_at + 1h, to: a}

        """

    @Test("60 days of an hourly cycle: 1,000 transitions at start, the other 440 at the next wake-up, the timer kept")
    func sixtyDaysHourly() throws {
        let d = try startDaemon(["gio.yaml": Self.hourly], at: "2027-01-01T00:00:00+07:00", rate: 1)
        _ = try d.call(
            "ImportInstances",
            [
                ("workflow", .string("gio")),
                ("rows", .array([.object([("key", .string("x")), ("started", .string("2027-01-01T00:00:00+07:00"))])])),
            ])
        #expect(d.stop() == 0)
        let start = Zone.vietnam.parseInstant("2027-01-01T00:00:00+07:00")!
        try d.start(fakeTime: "2027-03-02T00:05:00+07:00", rate: 1)  // 60 days + 5 minutes: 1,440 transitions due
        let due = 1440
        func transitions() throws -> [Record] {
            records(try d.call("History", [("id", .string("gio/x"))])).filter { $0.kind == .transition }
        }
        #expect(waitUntil(timeout: 30) { (try? transitions().count) == due })
        let all = try transitions()
        #expect(all.count == due)
        #expect(all.enumerated().allSatisfy { $0.element.at == start.adding(seconds: Int64($0.offset + 1) * 3600) })
        #expect(all.allSatisfy { ($0.late ?? 0) > 0 })
        // The start's summary says what is still behind; the next wake-up's finishes it.
        let log = d.log
        #expect(
            log.contains(
                "Bù 1.000 việc trễ hạn sau thời gian daemon ngừng chạy (nhiều nhất trễ 59 ngày); còn 1 hồ sơ chưa bù xong, chậm từ 17:00 ngày 11/02/2027 (trễ 18 ngày), bù tiếp ngay"
            ))
        #expect(log.contains("Bù 440 việc trễ hạn khi thức dậy (nhiều nhất trễ 18 ngày)"))
        // The timer goes on: the next transition is the next hour.
        let next = try d.call("GetStatus")["status"]?["nextWakeup"]?.stringValue
        #expect(next == "2027-03-02T01:00:00+07:00")
        let inst = try d.call("GetInstance", [("id", .string("gio/x"))])["instance"]
        #expect(inst?["state"]?.stringValue == "a")
        #expect(d.stop() == 0)
    }

    @Test("a catch-up over many turns: a batch before READY=1, the rest after it, every transition once, one summary")
    func manyTurns() throws {
        let d = try startDaemon(["gio.yaml": Self.hourly], at: "2027-01-01T00:00:00+07:00", rate: 1)
        let rows: [JSON] = (0..<300).map {
            .object([("key", .string("x\($0)")), ("started", .string("2027-01-01T00:00:00+07:00"))])
        }
        _ = try d.call("ImportInstances", [("workflow", .string("gio")), ("rows", .array(rows))])
        #expect(d.stop() == 0)
        // Two hours down: 300 instances × 2 transitions; 10 instances a batch, and a bound already passed, so each
        // turn fires one batch and answers what waits before the next.
        try d.start(
            fakeTime: "2027-01-01T02:05:00+07:00", rate: 1, env: ["TIENDO_BATCH_SIZE": "10", "TIENDO_TICK_SECONDS": "0"])
        #expect(waitUntil(timeout: 60) { d.log.contains("Bù 600 việc trễ hạn sau thời gian daemon ngừng chạy") })
        #expect(try d.call("GetStatus")["status"] != nil)
        let lines = d.log.split(separator: "\n")
        let transitions = lines.indices.filter { lines[$0].contains(" chuyển gio/") }
        #expect(transitions.count == 600)
        // The start-up fired one batch before saying it was ready (this start's line is the log's last), the loop
        // the other 29 after.
        let ready = try #require(lines.lastIndex { $0.contains("đã sẵn sàng") })
        #expect(transitions.filter { $0 < ready }.count == 20)
        #expect(lines.filter { $0.contains("Bù ") }.count == 1, "one summary for the whole catch-up")
        for key in ["x0", "x150", "x299"] {
            let done = records(try d.call("History", [("id", .string("gio/\(key)"))])).filter { $0.kind == .transition }
            #expect(done.count == 2, "\(key): \(done.map(\.at))")
        }
        #expect(d.stop() == 0)
    }
}
