import Foundation
import Testing
import TiendoCore
import TiendoDelivery
import TiendoStore

/// The delivery queue in SQLite follows `QueueBook`'s rules (docs/delivery.md §5): the same random sequence of
/// fan-outs, claims by two owners, reports, releases and operator retries, applied to both, gives the same jobs
/// (message keys, members, superseding), the same states and the same next due instant at every step.
@Suite("the delivery queue in SQLite", .serialized)
struct DeliveryStoreTests {
    static func store() throws -> (Store, String) {
        let dir = try makeTemporaryDirectory("deliveries")
        return (try Store(path: dir + "/tiendo.sqlite", synchronous: "OFF"), dir)
    }

    static let t0 = Zone.vietnam.parseInstant("2025-12-01T08:00")!

    static func record(_ n: Int, at: Instant, instance: String, kind: Record.Kind = .reminder) -> Record {
        Record(
            at: at, utcOffset: 7 * 3600, kind: kind, workflow: "nhac-viec", instance: instance, milestone: "nop-bao-cao",
            due: "2030-01-10", priority: 5, message: "Nhắc hạn \(n)", key: "\(instance)|nop-bao-cao|r\(n)|")
    }

    /// Commits one record with its fan-outs into the store, and adds them to the book.
    static func add(_ fanOuts: [FanOut], record r: Record, now: Instant, store: Store, book: inout QueueBook) throws {
        try store.write { try $0.commit(changes: [], records: [r], delivery: DeliveryCommit(now: now) { _, _ in (fanOuts, []) }) }
        for f in fanOuts { book.add(f, recordKey: r.key!, record: r.json, now: now) }
    }

    static func summary(_ jobs: [DeliveryJob]) -> [String] {
        jobs.map { j in
            "\(j.messageKey) [" + j.items.map { "\($0.id)\($0.supersededBy.map { "<\($0)" } ?? "")@\($0.attempts)" }.joined(separator: ",")
                + "]"
        }
    }

    static func states(_ store: Store) throws -> [Int64: String] {
        Dictionary(
            uniqueKeysWithValues: try store.deliveryRows(states: nil, channel: nil, after: nil, limit: 100_000).map { ($0.id, $0.state) })
    }

    @Test("a row the queue cannot read back becomes a dead letter with its reason, not a lease renewed for ever")
    func unreadableRowIsDead() throws {
        let (store, dir) = try Self.store()
        defer { removeTemporaryDirectory(dir) }
        var book = QueueBook()
        let r = Self.record(1, at: Self.t0, instance: "nhac-viec/m1")
        let f = FanOut(
            key: "\(r.key!)|thu|a@example.vn", channel: "thu", recipient: Mailbox(name: "A", address: "a@example.vn"), route: "r",
            digest: nil, digestPeriod: nil, notBefore: Self.t0, expiresAt: nil, series: nil)
        try Self.add([f], record: r, now: Self.t0, store: store, book: &book)
        // As a version before names were put on one line stored it.
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [dir + "/tiendo.sqlite", "UPDATE deliveries SET recipient = '\"Vũ Thị' || char(10) || 'Mai\" <a@example.vn>'"]
        try sqlite.run()
        sqlite.waitUntilExit()
        try #require(sqlite.terminationStatus == 0)
        let jobs = try store.write {
            try $0.claimDeliveries(channel: "thu", owner: "w", now: Self.t0, limit: 5, leaseUntil: Self.t0.adding(seconds: 60))
        }
        #expect(jobs.isEmpty)
        let row = try #require(try store.deliveryRows(states: nil, channel: nil, after: nil, limit: 10).first)
        #expect(row.state == "dead" && row.error?.hasPrefix("không đọc lại được người nhận") == true, "\(row)")
    }

    @Test("a recipient whose field holds no address is a dead letter with its reason, counted, and again when retried")
    func unreachableIsDead() throws {
        let (store, dir) = try Self.store()
        defer { removeTemporaryDirectory(dir) }
        let r = Self.record(1, at: Self.t0, instance: "nhac-viec/m1")
        let u = Unreachable(
            key: "\(r.key!)|thu|!cuong(at)example.vn", channel: "thu", route: "r", value: "cuong(at)example.vn", label: "Lê Văn Cường",
            reason: Unreachable.reason(value: "cuong(at)example.vn", field: "Thư điện tử"), logLine: "")
        try store.write { try $0.commit(changes: [], records: [r], delivery: DeliveryCommit(now: Self.t0) { _, _ in ([], [u]) }) }
        var row = try #require(try store.deliveryRows(states: nil, channel: nil, after: nil, limit: 10).first)
        #expect(row.state == "dead" && row.errorClass == "permanent" && row.recipient == "cuong(at)example.vn")
        #expect(row.error == u.reason && row.label == "Lê Văn Cường" && row.finishedAt == Self.t0)
        #expect(try store.deliveryCounts().channels["thu"]?["dead"] == 1)
        // Retried (the office fixed nothing, or only later notices): the claim finds the same reason, sends nothing.
        let t1 = Self.t0.adding(seconds: 600)
        #expect(try store.write { try $0.retryDeliveries(nil, now: t1) }.retried == 1)
        let jobs = try store.write {
            try $0.claimDeliveries(channel: "thu", owner: "w", now: t1, limit: 5, leaseUntil: t1.adding(seconds: 60))
        }
        #expect(jobs.isEmpty)
        row = try #require(try store.deliveryRows(states: nil, channel: nil, after: nil, limit: 10).first)
        #expect(row.state == "dead" && row.error == Unreachable.reason(value: "cuong(at)example.vn", field: nil), "\(row)")
    }

    @Test("a random run of the queue protocol: SQLite and QueueBook agree at every step")
    func sameRulesAsTheBook() throws {
        let (store, dir) = try Self.store()
        defer { removeTemporaryDirectory(dir) }
        var book = QueueBook()
        var rng = SeededGenerator(seed: 20_251_201)
        var now = Self.t0
        var n = 0
        var held: [String: [DeliveryJob]] = ["w1": [], "w2": []]
        let failure = DeliveryFailure(.transient, "SMTP 451 busy (RCPT TO)")
        for step in 0..<600 {
            now = now.adding(seconds: Int64.random(in: 0...400, using: &rng))
            switch Int.random(in: 0..<10, using: &rng) {
            case 0...2:
                // A record to a few recipients: some held for an hour, some in today's digest, notices of 4 deadlines.
                n += 1
                let instance = "nhac-viec/m\(Int.random(in: 0..<4, using: &rng))"
                let r = Self.record(n, at: now, instance: instance)
                var fanOuts: [FanOut] = []
                for who in ["a", "b"].prefix(Int.random(in: 1...2, using: &rng)) {
                    let digest = Bool.random(using: &rng) ? "r|thu|\(who)@example.vn|d\(now.seconds / 7200)" : nil
                    fanOuts.append(
                        FanOut(
                            key: "\(r.key!)|thu|\(who)@example.vn", channel: "thu",
                            recipient: Mailbox(name: "Đồng chí \(who)", address: "\(who)@example.vn"),
                            route: "r", digest: digest, digestPeriod: digest == nil ? nil : .day,
                            notBefore: now.adding(seconds: Bool.random(using: &rng) ? 0 : 3600), expiresAt: nil,
                            series: instance + "|m:nop-bao-cao"))
                }
                try Self.add(fanOuts, record: r, now: now, store: store, book: &book)
            case 3...5:
                let owner = Bool.random(using: &rng) ? "w1" : "w2"
                let limit = Int.random(in: 1...4, using: &rng)
                let lease = now.adding(seconds: 900)
                let fromStore = try store.write {
                    try $0.claimDeliveries(channel: "thu", owner: owner, now: now, limit: limit, leaseUntil: lease)
                }
                let fromBook = book.claim(channel: "thu", owner: owner, now: now, limit: limit, leaseUntil: lease)
                #expect(Self.summary(fromStore) == Self.summary(fromBook), "claim at step \(step)")
                #expect(fromStore.map(\.items.first?.record) == fromBook.map(\.items.first?.record))
                // When each could first be sent: kept through retries, moved by a dead letter's retry.
                #expect(fromStore.map { $0.items.map(\.dueAt) } == fromBook.map { $0.items.map(\.dueAt) }, "due at step \(step)")
                held[owner] = fromBook
            case 6...7:
                // The owner reports its claim (or, sometimes, another owner reports it: ignored by both).
                let owner = Bool.random(using: &rng) ? "w1" : "w2"
                let reporter = Int.random(in: 0..<6, using: &rng) == 0 ? (owner == "w1" ? "w2" : "w1") : owner
                var reports: [DeliveryReport] = []
                for job in held[owner] ?? [] {
                    let outcome: DeliveryOutcome
                    switch Int.random(in: 0..<6, using: &rng) {
                    case 0: outcome = .retry(at: now.adding(seconds: 120), failure: failure)
                    case 5: outcome = .held(until: now.adding(seconds: 13 * 3600))
                    case 1: outcome = .dead(DeliveryFailure(.permanent, "SMTP 550 no such user (RCPT TO)"))
                    case 2: outcome = .expired(reason: "thay bằng thông báo mới hơn cùng hạn")
                    default: outcome = .sent(providerID: "250 ok")
                    }
                    reports += job.items.map { DeliveryReport(id: $0.id, messageKey: job.messageKey, at: now, outcome: outcome) }
                }
                let applied = try store.write { try $0.reportDeliveries(reports, owner: reporter) }.applied
                #expect(applied == book.report(reports, owner: reporter), "report at step \(step)")
                if reporter == owner { held[owner] = [] }
            case 8:
                let owner = Bool.random(using: &rng) ? "w1" : "w2"
                let ids = (held[owner] ?? []).flatMap { $0.items.map(\.id) }
                _ = try store.write { try $0.releaseDeliveries(ids, owner: owner) }
                book.release(ids, owner: owner)
                held[owner] = []
            default:
                let dead = book.deadIDs
                if !dead.isEmpty {
                    let ids = Array(dead.prefix(2))
                    #expect(try store.write { try $0.retryDeliveries(ids, now: now) }.retried == book.retry(ids, now: now).count)
                }
            }
            #expect(try store.nextDelivery(channel: "thu") == book.nextDue(channel: "thu"), "next due at step \(step)")
            let bookStates = Dictionary(uniqueKeysWithValues: book.entries.map { ($0.key, $0.value.state.rawValue) })
            #expect(try Self.states(store) == bookStates, "states at step \(step)")
        }
        // The counts kept by triggers equal a recount of the rows.
        let counts = try store.deliveryCounts().total
        let rows = try store.deliveryRows(states: nil, channel: nil, after: nil, limit: 100_000)
        for s in DeliveryCounts.states { #expect(counts[s] == rows.filter { $0.state == s }.count, "\(s)") }
        #expect(counts["failed"] == rows.filter { ["pending", "inflight"].contains($0.state) && $0.attempts > 0 }.count)
        #expect(rows.count > 200 && Set(rows.map(\.state)).count == 5, "the run exercised every state")
    }

    @Test("a record's deliveries are written with it, once, under its key; keyless records get one from their sequence")
    func fanOutInTheRecordsTransaction() throws {
        let (store, dir) = try Self.store()
        defer { removeTemporaryDirectory(dir) }
        let r = Self.record(1, at: Self.t0, instance: "nhac-viec/a")
        let started = Record(
            at: Self.t0, utcOffset: 7 * 3600, kind: .started, workflow: "nhac-viec", instance: "nhac-viec/a", priority: 6,
            message: "Bắt đầu hồ sơ")
        var keys: [String] = []
        let commit = DeliveryCommit(now: Self.t0) { record, key in
            keys.append(key)
            return (
                [
                    FanOut(
                        key: key + "|hook", channel: "hook", recipient: nil, route: "r", digest: nil, digestPeriod: nil,
                        notBefore: record.at, expiresAt: nil, series: nil)
                ], []
            )
        }
        let stored = try store.write { try $0.commit(changes: [], records: [r, started], delivery: commit) }
        // The same record fanned out again (a repeat after a crash) adds nothing.
        try store.write { try $0.commit(changes: [], records: [r], delivery: commit) }
        #expect(keys == [r.key!, "nhac-viec/a|started|#\(stored[1].seq)", r.key!])
        let rows = try store.deliveryRows(states: ["pending"], channel: "hook", after: nil, limit: 10)
        #expect(rows.map(\.recordKey) == [r.key!, "nhac-viec/a|started|#\(stored[1].seq)"])
        #expect(rows.map(\.message) == ["Nhắc hạn 1", "Bắt đầu hồ sơ"] && rows[0].kind == "reminder" && rows[1].workflow == "nhac-viec")
        let jobs = try store.write {
            try $0.claimDeliveries(channel: "hook", owner: "w", now: Self.t0, limit: 10, leaseUntil: Self.t0.adding(seconds: 60))
        }
        // A webhook posts the record's JSON exactly as stored (key order kept).
        #expect(jobs.map { $0.items[0].record.serialized() } == [r.json.serialized(), started.json.serialized()])
    }

    @Test("a pending notice expires when the change that commits closes its deadline; a moved due says so")
    func closedDeadlinesExpire() throws {
        let (store, dir) = try Self.store()
        defer { removeTemporaryDirectory(dir) }
        let inst = Instance(
            id: "nhac-viec/a", workflow: "nhac-viec", data: [:], state: nil, startedAt: Self.t0, enteredAt: Self.t0, done: [:],
            completed: false, digest: "x", marks: [:], checkedAt: Self.t0, series: [:])
        func change(dues: [String]) -> InstanceChange {
            InstanceChange(
                instance: inst, group: nil, nextWakeup: nil,
                dueItems: dues.map {
                    DueRow(
                        instance: inst.id, deadline: "nop-bao-cao", workflow: "nhac-viec", group: nil, state: nil, milestone: "nop-bao-cao",
                        title: "Nộp", due: $0, dueEnd: Self.t0)
                }, stale: false, dataJSON: "{}")
        }
        let fanOut: DeliveryCommit.FanOutRule = { _, key in
            (
                [
                    FanOut(
                        key: key + "|thu|a@example.vn", channel: "thu", recipient: Mailbox(name: nil, address: "a@example.vn"), route: "r",
                        digest: nil, digestPeriod: nil, notBefore: Self.t0.adding(seconds: 86_400), expiresAt: nil,
                        series: "nhac-viec/a|m:nop-bao-cao")
                ], []
            )
        }
        try store.write {
            try $0.commit(
                changes: [change(dues: ["2030-01-10"])], records: [Self.record(1, at: Self.t0, instance: inst.id)],
                delivery: DeliveryCommit(now: Self.t0, fanOut: fanOut))
        }
        #expect(try store.deliveryRows(states: ["pending"], channel: nil, after: nil, limit: 10).count == 1)
        // The due moved (a calendar change): the old notice is not sent.
        try store.write {
            try $0.commit(
                changes: [change(dues: ["2030-01-13"])], records: [],
                delivery: DeliveryCommit(now: Self.t0.adding(seconds: 60), fanOut: nil))
        }
        var rows = try store.deliveryRows(states: nil, channel: nil, after: nil, limit: 10)
        #expect(rows.map(\.state) == ["expired"] && rows[0].error == "hạn đã đổi sang 13/01/2030 trước khi gửi")
        // Done: a newer notice of the new due is expired in the same transaction that closes the milestone.
        var r2 = Self.record(2, at: Self.t0, instance: inst.id)
        r2.due = "2030-01-13"
        try store.write {
            try $0.commit(
                changes: [change(dues: [])], records: [r2], delivery: DeliveryCommit(now: Self.t0.adding(seconds: 120), fanOut: fanOut))
        }
        rows = try store.deliveryRows(states: nil, channel: nil, after: nil, limit: 10)
        #expect(rows.map(\.state) == ["expired", "expired"] && rows[1].error == "đã hoàn thành trước khi gửi")
        #expect(rows[1].finishedAt == Self.t0.adding(seconds: 120))
    }
}
