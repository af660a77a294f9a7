import Foundation
import Testing
import TiendoCore
import TiendoDaemon
import TiendoDelivery
import TiendoStore

import class GRDB.DatabaseQueue

/// Undoing an operator's step recorded by mistake (`Daemon.undoStep`, `Engine.undo`): on the manual clock, with the
/// real store and firing path.
@Suite struct UndoTests {
    static let workflow = """
        tiendo: 1
        title: Thử hoàn tác
        fields:
          han: {type: date, required: true}
          so_phieu: {type: number, title: Số phiếu}
        initial: cho-xet
        milestones:
          nop-ho-so:
            title: Nộp hồ sơ
            due: han
            remind: [1d]
            overdue: {repeat: 1d}
          bao-cao:
            title: Báo cáo tháng
            every: 1mo
            anchor: 2027-03-01
            due: period + 1mo - 1d
            remind: []
        states:
          cho-xet:
            title: Chờ xét
            deadline: {due: han, remind: [1d], overdue: {repeat: 1d}}
            on: {xet: da-xet}
          da-xet:
            title: Đã xét
            after:
              - {at: entered + 1d, to: luu-tru}   # 00:00 two days after the step
            on: {xong: xong}
          luu-tru: {title: Lưu trữ, on: {xong: xong}}
          xong: {title: Xong, final: true}

        """

    /// A case that completes with its one step.
    static let short = """
        tiendo: 1
        title: Thử hoàn tác một bước
        initial: mo
        states:
          mo: {title: Mở, on: {xong: xong}}
          xong: {title: Xong, final: true}

        """

    struct Fixture {
        let daemon: Daemon
        let time: ManualTime
        let sink: SchedulerTests.CapturingSink
        let dir: String
        let options: DaemonOptions

        init(at start: String) throws {
            let (dir, options) = try SchedulerTests.Fixture.directory()
            try UndoTests.workflow.write(toFile: dir + "/workflows/hoan-tac.yaml", atomically: true, encoding: .utf8)
            try UndoTests.short.write(toFile: dir + "/workflows/hoan-tac-ngan.yaml", atomically: true, encoding: .utf8)
            self.dir = dir
            self.options = options
            time = ManualTime(try #require(Zone.vietnam.parseInstant(start)))
            (daemon, sink) = try Fixture.open(options, time)
        }

        static func open(_ options: DaemonOptions, _ time: ManualTime) throws -> (Daemon, SchedulerTests.CapturingSink) {
            let sink = SchedulerTests.CapturingSink()
            let daemon = try Daemon(options: options, clock: DaemonClock(manual: time), sink: sink)
            #expect(daemon.loadDefinitions().diagnostics.filter { $0.severity == .error }.isEmpty)
            return (daemon, sink)
        }

        func at(_ text: String) throws -> Instant { try #require(Zone.vietnam.parseInstant(text)) }

        func tick() throws -> [Record] {
            let before = sink.records.count
            _ = try daemon.tick(now: daemon.clock.now())
            return Array(sink.records.dropFirst(before))
        }

        /// Starts a case of the test workflow due on `han`; returns its id.
        func start(_ key: String, han: String) throws -> String {
            _ = try daemon.startInstance(workflow: "hoan-tac", key: key, data: [("han", .string(han))], actor: nil)
            return "hoan-tac/\(key)"
        }

        /// Marks a milestone (or a period, `M@LABEL`) done, as an operator does.
        func done(_ id: String, _ milestone: String, on daemon: Daemon? = nil, idempotencyKey: String? = nil) throws {
            _ = try (daemon ?? self.daemon).sendEvent(
                id: id, event: "done", data: [("milestone", .string(milestone))], idempotencyKey: idempotencyKey, actor: nil)
        }

        func instance(_ id: String) throws -> Instance {
            try #require(try daemon.store.instance(id, definition: { _ in nil })?.instance)
        }
    }

    static func refusal(_ body: () throws(RequestError) -> Instance) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            if case .nothingToUndo(_, let reason) = error { return reason }
            return "\(error)"
        }
    }

    @Test("an event undone: its state, data and timed transition forgotten, notices sent meanwhile not sent again, once only")
    func eventUndone() throws {
        let f = try Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        let id = try f.start("a", han: "2027-03-05")
        #expect(
            Self.refusal { () throws(RequestError) in try f.daemon.undoStep(id: id, actor: nil) }
                == "không có sự kiện hay việc đánh dấu xong mốc nào được ghi trong 7 ngày qua")

        f.time.set(try f.at("2027-03-02T10:00:00+07:00"))
        _ = try f.daemon.sendEvent(id: id, event: "xet", data: [("so_phieu", .int(12))], idempotencyKey: nil, actor: 1000)
        #expect(try f.instance(id).state == "da-xet")

        // Two days on: the step's state moved on by itself, and the milestone's reminder went out.
        f.time.set(try f.at("2027-03-04T08:00:00+07:00"))
        let fired = try f.tick()
        #expect(fired.map(\.kind).sorted { $0.rawValue < $1.rawValue } == [.reminder, .transition], "\(fired.map(\.kind))")
        #expect(try f.instance(id).state == "luu-tru")

        f.time.set(try f.at("2027-03-04T09:00:00+07:00"))
        let before = f.sink.records.count
        let restored = try f.daemon.undoStep(id: id, actor: 1000, actorName: "Nguyễn Thị Hà")
        #expect(restored.state == "cho-xet")
        #expect(restored.enteredAt == (try f.at("2027-03-01T08:00:00+07:00")), "the state as it was entered, not now")
        #expect(restored.data["so_phieu"] == nil, "the data the step brought is gone")
        // The milestone's reminder is not sent again; the state's own, due at 08:00 while the record was elsewhere, is
        // sent now, late, as if the step had never been recorded.
        let said = Array(f.sink.records.dropFirst(before))
        #expect(said.map(\.kind) == [.undone, .reminder], "\(said.map(\.kind))")
        #expect(said.last?.milestone == nil && said.last?.state == "cho-xet" && said.last?.late == 3600)
        let undone = try #require(said.first)
        #expect(undone.from == "luu-tru" && undone.to == "cho-xet" && undone.state == "cho-xet" && undone.event == "xet")
        #expect(undone.actor == 1000 && undone.actorName == "Nguyễn Thị Hà")
        #expect(undone.message.contains("Đã hoàn tác bước sự kiện «xet» ghi lúc 10:00 ngày 02/03/2027"), "\(undone.message)")
        #expect(undone.message.contains("hồ sơ trở lại «Chờ xét»"))
        #expect(try f.daemon.store.history(id).last?.kind == .reminder)

        // As if the step had never been: the state's own deadline runs on, its first overdue notice the day after.
        #expect(try f.tick().isEmpty)
        f.time.set(try f.at("2027-03-06T08:00:00+07:00"))
        let later = try f.tick()
        #expect(later.filter { $0.kind == .overdue }.count == 2, "the state's and the milestone's: \(later.map(\.kind))")
        #expect(try f.instance(id).state == "cho-xet", "no timed transition of the undone state")

        // Once only, and a second press reads that the first went through.
        #expect(
            Self.refusal { () throws(RequestError) in try f.daemon.undoStep(id: id, actor: nil) }
                == "bước ghi gần nhất đã được hoàn tác lúc 09:00 ngày 04/03/2027; mỗi bước chỉ hoàn tác được một lần")
    }

    @Test("a milestone's completion undone after a restart; another step than the one shown, or one past the week, is refused")
    func milestoneUndoneAfterRestart() throws {
        let f = try Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        let id = try f.start("b", han: "2027-03-20")
        f.time.set(try f.at("2027-03-02T09:00:00+07:00"))
        try f.done(id, "nop-ho-so", idempotencyKey: "k-1")
        #expect(try f.instance(id).done["nop-ho-so"] != nil)
        let step = try #require(try f.daemon.store.undoStep(of: try f.instance(id), now: f.time.now))
        #expect(step.step.milestone == "nop-ho-so" && !step.token.isEmpty)

        // A page shown before a newer step names another one: refused, nothing changed.
        f.time.set(try f.at("2027-03-02T10:00:00+07:00"))
        let wrong = Self.refusal { () throws(RequestError) in try f.daemon.undoStep(id: id, expecting: "khac", actor: nil) }
        #expect(wrong?.contains("không phải bước định hoàn tác") == true, "\(wrong ?? "")")
        #expect(try f.instance(id).done["nop-ho-so"] != nil)

        // The daemon restarts: what can be undone was stored with the step.
        f.daemon.releaseStateDirectory()
        let (again, sink) = try Fixture.open(f.options, f.time)
        let restored = try again.undoStep(id: id, expecting: step.token, actor: nil)
        #expect(restored.done["nop-ho-so"] == nil)
        #expect(sink.records.map(\.kind) == [.undone])
        #expect(sink.records.first?.milestone == "nop-ho-so")
        #expect(sink.records.first?.message.contains("Đã hoàn tác việc ghi hoàn thành «Nộp hồ sơ»") == true)
        let until = try f.at("2027-04-01T00:00:00+07:00")
        let items = try again.store.snapshot { try $0.dueItems(until: until, workflow: "hoan-tac", group: nil, limit: 10) }
        #expect(items.contains { $0.instance == id && $0.milestone == "nop-ho-so" }, "the milestone's deadline is open again")

        // The request retried under its idempotency key applies the step again (the undo forgot the key); completed
        // again, it is a record of its own (its own key). A week and a day later it can no longer be undone.
        try f.done(id, "nop-ho-so", on: again, idempotencyKey: "k-1")
        #expect(try again.store.instance(id, definition: { _ in nil })?.instance.done["nop-ho-so"] != nil)
        let keys = sink.records.filter { $0.kind == .milestoneDone }.compactMap(\.key)
        #expect(keys.count == 1 && !keys[0].hasSuffix("|done|nop-ho-so"), "\(keys)")
        f.time.advance(seconds: 8 * 86_400)
        let old = Self.refusal { () throws(RequestError) in try again.undoStep(id: id, actor: nil) }
        #expect(old?.hasSuffix("đã quá 7 ngày; chỉ hoàn tác được trong vòng 7 ngày sau khi ghi") == true, "\(old ?? "")")
    }

    @Test("a step recorded after an undo, whose snapshot the daily clearing dropped, is refused as too old, not as undone")
    func tooOldAfterClearing() throws {
        let f = try Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        let id = try f.start("c", han: "2027-03-20")
        try f.done(id, "nop-ho-so")
        _ = try f.daemon.undoStep(id: id, actor: nil)
        f.time.set(try f.at("2027-03-02T10:00:00+07:00"))
        _ = try f.daemon.sendEvent(id: id, event: "xet", data: [], idempotencyKey: nil, actor: nil)
        f.time.set(try f.at("2027-03-11T08:00:00+07:00"))
        #expect(try f.daemon.store.write { try $0.dropOldSnapshots(now: f.time.now, limit: 100) } >= 1)
        // A record damaged by hand (not JSON) is passed over, not an error of the daemon's.
        let queue = try DatabaseQueue(path: f.daemon.store.path)
        try queue.write { db in
            try db.execute(sql: "UPDATE history SET record = '{hỏng' WHERE instance = ? AND kind = 'milestone-done'", arguments: [id])
        }
        #expect(
            Self.refusal { () throws(RequestError) in try f.daemon.undoStep(id: id, actor: nil) }
                == "bước ghi gần nhất (lúc 10:00 ngày 02/03/2027) đã quá 7 ngày; chỉ hoàn tác được trong vòng 7 ngày sau khi ghi")
    }

    @Test("a milestone's completion undone: the state's notice sent meanwhile is not sent again")
    func stateNoticeKept() throws {
        let f = try Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        let id = try f.start("c", han: "2027-03-05")
        f.time.set(try f.at("2027-03-02T09:00:00+07:00"))
        try f.done(id, "nop-ho-so")
        f.time.set(try f.at("2027-03-04T08:00:00+07:00"))
        let fired = try f.tick()
        #expect(fired.map(\.kind) == [.reminder] && fired.first?.milestone == nil, "the state's reminder: \(fired.map(\.kind))")
        f.time.set(try f.at("2027-03-04T09:00:00+07:00"))
        let before = f.sink.records.count
        _ = try f.daemon.undoStep(id: id, actor: nil)
        // The milestone's own reminder (03/04 08:00) was never sent: the milestone was done then. It goes now, late.
        let said = Array(f.sink.records.dropFirst(before))
        #expect(said.map(\.kind) == [.undone, .reminder], "\(said.map(\.kind))")
        #expect(said.last?.milestone == "nop-ho-so", "not the state's reminder a second time")
    }

    @Test("a period completed without its label is undone as that period; a completion undone and recorded again is new")
    func periodAndCompletion() throws {
        let f = try Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        let id = try f.start("d", han: "2027-03-20")
        f.time.set(try f.at("2027-04-02T09:00:00+07:00"))
        _ = try f.tick()
        try f.done(id, "bao-cao")
        let step = try #require(try f.daemon.store.undoStep(of: try f.instance(id), now: f.time.now))
        #expect(step.step.milestone == "bao-cao@2027-03", "the oldest open period, named")
        let before = f.sink.records.count
        _ = try f.daemon.undoStep(id: id, actor: nil)
        let undone = try #require(f.sink.records.dropFirst(before).first)
        #expect(undone.kind == .undone && undone.milestone == "bao-cao" && undone.occurrence == "2027-03")
        #expect(undone.message.contains("«Báo cáo tháng kỳ 03/2027»"), "\(undone.message)")

        // A case completed by a step, undone, completed again: two completions, two keys (two deliveries).
        let short = "hoan-tac-ngan/e"
        _ = try f.daemon.startInstance(workflow: "hoan-tac-ngan", key: "e", data: [], actor: nil)
        _ = try f.daemon.sendEvent(id: short, event: "xong", data: [], idempotencyKey: nil, actor: nil)
        #expect(try f.instance(short).completed)
        f.time.advance(seconds: 60)
        let reopened = try f.daemon.undoStep(id: short, actor: nil)
        #expect(reopened.state == "mo" && !reopened.completed)
        f.time.advance(seconds: 60)
        _ = try f.daemon.sendEvent(id: short, event: "xong", data: [], idempotencyKey: nil, actor: nil)
        let completions = f.sink.records.filter { $0.kind == .completed && $0.instance == short }.compactMap(\.key)
        #expect(completions.count == 2 && Set(completions).count == 2, "\(completions)")
    }
}

/// What an undo does to the delivery queue, in the store.
@Suite struct UndoDeliveryTests {
    @Test("an undo expires the step's unsent deliveries (a digest's e-mail about it), not those of earlier notices")
    func stepDeliveriesExpire() throws {
        let (store, dir) = try DeliveryStoreTests.store()
        defer { removeTemporaryDirectory(dir) }
        let step = DeliveryStoreTests.t0
        let id = "nhac-viec/m1"
        let notice = DeliveryStoreTests.record(1, at: step.adding(seconds: -3600), instance: id)
        let transition = Record(
            at: step, utcOffset: 7 * 3600, kind: .transition, workflow: "nhac-viec", instance: id, state: "b", from: "a", to: "b",
            event: "chuyen", priority: 6, message: "Hồ sơ chuyển sang b", key: "\(id)|transition|a>b|\(step.seconds)")
        var seqs: [Int64] = []
        for r in [notice, transition] {
            let fanOut = FanOut(
                key: "\(r.key!)|thu|a@example.vn", channel: "thu", recipient: Mailbox(name: "A", address: "a@example.vn"), route: "r",
                digest: "r|thu|a@example.vn|d1", digestPeriod: .day, notBefore: step.adding(seconds: 86_400), expiresAt: nil,
                series: nil)
            seqs += try store.write {
                try $0.commit(changes: [], records: [r], delivery: DeliveryCommit(now: r.at) { _, _ in ([fanOut], []) })
            }
            .map(\.seq)
        }
        let undone = StoredUndo(
            step: UndoneStep(event: "chuyen", milestone: nil, at: step),
            before: Instance(
                id: id, workflow: "nhac-viec", data: [:], state: "a", startedAt: step, enteredAt: step, digest: "", checkedAt: step),
            seq: seqs[1])
        try store.write { try $0.commit(changes: [], records: [], undo: [.clear(id, undone: undone, now: step.adding(seconds: 60))]) }
        let rows = try store.deliveryRows(states: nil, channel: nil, after: nil, limit: 10)
        #expect(rows.map(\.kind) == ["reminder", "transition"])
        #expect(rows.map(\.state) == ["pending", "expired"])
        #expect(rows.last?.error == "bước đã được hoàn tác trước khi gửi")
    }
}

extension UndoDeliveryTests {
    @Test("a notice the step's commit expired (its deadline closed) waits again after the undo; one expired before does not")
    func closedNoticesWaitAgain() throws {
        let (store, dir) = try DeliveryStoreTests.store()
        defer { removeTemporaryDirectory(dir) }
        let step = DeliveryStoreTests.t0
        let id = "nhac-viec/m2"
        for (n, at) in [(1, step.adding(seconds: -86_400)), (2, step.adding(seconds: -3600))] {
            let r = DeliveryStoreTests.record(n, at: at, instance: id)
            let fanOut = FanOut(
                key: "\(r.key!)|thu|a@example.vn", channel: "thu", recipient: Mailbox(name: "A", address: "a@example.vn"), route: "r",
                digest: nil, digestPeriod: nil, notBefore: step.adding(seconds: 86_400), expiresAt: nil, series: nil)
            try store.write { try $0.commit(changes: [], records: [r], delivery: DeliveryCommit(now: r.at) { _, _ in ([fanOut], []) }) }
        }
        // As `expireClosed` leaves them: the first closed a day before the step (by something else), the second by
        // the step's own commit.
        let queue = try DatabaseQueue(path: store.path)
        try queue.write { db in
            try db.execute(
                sql: "UPDATE deliveries SET state = 'expired', last_error = 'đã hoàn thành trước khi gửi', finished_at = ? WHERE id = 1",
                arguments: [step.seconds - 86_000])
            try db.execute(
                sql: "UPDATE deliveries SET state = 'expired', last_error = 'đã hoàn thành trước khi gửi', finished_at = ? WHERE id = 2",
                arguments: [step.seconds])
        }
        // (The step's own row is not among these notices: it comes after them.)
        let undone = StoredUndo(
            step: UndoneStep(event: "done", milestone: "nop-bao-cao", at: step),
            before: Instance(
                id: id, workflow: "nhac-viec", data: [:], state: nil, startedAt: step, enteredAt: step, digest: "", checkedAt: step),
            seq: 3)
        try store.write { try $0.commit(changes: [], records: [], undo: [.clear(id, undone: undone, now: step.adding(seconds: 60))]) }
        let rows = try store.deliveryRows(states: nil, channel: nil, after: nil, limit: 10)
        #expect(rows.map(\.state) == ["expired", "pending"])
        #expect(rows.last?.error == nil && rows.last?.finishedAt == nil)
    }
}

extension UndoTests {
    @Test("an older step's token is refused; a case deleted by hand and started anew does not undo the first one's step")
    func olderTokenAndReusedID() throws {
        let f = try Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        let started = try f.at("2027-03-01T00:00:00+07:00")
        _ = try f.daemon.startInstance(workflow: "hoan-tac", key: "f", data: [("han", .string("2027-03-20"))], actor: nil, started: started)
        let id = "hoan-tac/f"
        try f.done(id, "nop-ho-so")
        let first = try #require(try f.daemon.store.undoStep(of: try f.instance(id), now: f.time.now)?.token)
        f.time.advance(seconds: 1)
        _ = try f.daemon.sendEvent(id: id, event: "xet", data: [], idempotencyKey: nil, actor: nil)
        let wrong = Self.refusal { () throws(RequestError) in try f.daemon.undoStep(id: id, expecting: first, actor: nil) }
        #expect(wrong?.contains("không phải bước định hoàn tác") == true, "\(wrong ?? "")")
        #expect(try f.instance(id).state == "da-xet")

        // Deleted by hand (history stays), then started again with the same start: nothing to undo.
        let queue = try DatabaseQueue(path: f.daemon.store.path)
        try queue.write { db in try db.execute(sql: "DELETE FROM instances WHERE id = ?", arguments: [id]) }
        _ = try f.daemon.startInstance(workflow: "hoan-tac", key: "f", data: [("han", .string("2027-03-20"))], actor: nil, started: started)
        #expect(try f.daemon.store.undoStep(of: try f.instance(id), now: f.time.now) == nil)
        #expect(
            Self.refusal { () throws(RequestError) in try f.daemon.undoStep(id: id, actor: nil) }
                == "không có sự kiện hay việc đánh dấu xong mốc nào được ghi trong 7 ngày qua")
        #expect(try f.instance(id).state == "cho-xet")
    }

    @Test("snapshots past the window are cleared, the newer kept")
    func oldSnapshotsCleared() throws {
        let f = try Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        let old = try f.start("g", han: "2027-04-20")
        try f.done(old, "nop-ho-so")
        f.time.advance(seconds: 8 * 86_400)
        let recent = try f.start("h", han: "2027-04-20")
        try f.done(recent, "nop-ho-so")
        let dropped = try f.daemon.store.write { try $0.dropOldSnapshots(now: f.time.now, limit: 100) }
        #expect(dropped == 1)
        let queue = try DatabaseQueue(path: f.daemon.store.path)
        let kept = try queue.read { db in try String.fetchAll(db, sql: "SELECT instance FROM history WHERE undo IS NOT NULL") }
        #expect(kept == [recent])
    }
}
