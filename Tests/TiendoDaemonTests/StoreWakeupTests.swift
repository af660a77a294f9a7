import Foundation
import GRDB
import Testing
import TiendoCore
import TiendoDaemon

@testable import TiendoStore

/// The earliest wake-up the store keeps in memory (`WakeupCache`), checked against SQLite after every kind of write.
@Suite("store: the earliest wake-up known in memory")
struct StoreWakeupTests {
    struct Boom: Error {}

    static let t0 = Instant(seconds: 1_804_438_800)

    static func change(_ key: Int, wakeup: Int64?, data: String? = "{}") -> InstanceChange {
        let inst = Instance(
            id: "w/\(key)", workflow: "w", data: [:], state: "moi", startedAt: t0, enteredAt: t0, digest: "d", marks: [:],
            checkedAt: t0, series: [:])
        return InstanceChange(
            instance: inst, group: "g", nextWakeup: wakeup.map { t0.adding(seconds: $0) }, dueItems: [], stale: false, dataJSON: data)
    }

    /// What SQLite says, read past the cache.
    static func stored(_ store: Store) throws -> Instant? {
        try store.snapshot { try $0.nextWakeup() }
    }

    @Test("each kind of write keeps it exact: a wake-up set, lowered, the earliest moved later or cleared, rolled back")
    func eachKindOfWrite() throws {
        let dir = try makeTemporaryDirectory("wakeup")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        func check(_ expected: Int64?, _ what: Comment) throws {
            #expect(try store.nextWakeup() == expected.map { StoreWakeupTests.t0.adding(seconds: $0) }, what)
            #expect(try store.nextWakeup() == StoreWakeupTests.stored(store), what)
            #expect(store.wakeups.earliest != nil, "known after a read: \(what)")
        }
        try check(nil, "an empty store")
        #expect(store.nothingDue(upTo: StoreWakeupTests.t0.adding(seconds: 1_000_000)))
        try store.write { try $0.commit(changes: [Self.change(1, wakeup: 500), Self.change(2, wakeup: 300)], records: []) }
        #expect(
            store.wakeups.earliest == .some(StoreWakeupTests.t0.adding(seconds: 300).seconds),
            "a commit that only sets wake-ups keeps it known")
        try check(300, "two created")
        #expect(!store.nothingDue(upTo: StoreWakeupTests.t0.adding(seconds: 300)))
        #expect(store.nothingDue(upTo: StoreWakeupTests.t0.adding(seconds: 299)))
        try store.write { try $0.commit(changes: [Self.change(1, wakeup: 100, data: nil)], records: []) }
        #expect(store.wakeups.earliest == .some(StoreWakeupTests.t0.adding(seconds: 100).seconds), "lowered without a read")
        try check(100, "one lowered")
        try store.write { try $0.commit(changes: [Self.change(1, wakeup: 900, data: nil)], records: []) }
        #expect(store.wakeups.earliest == nil, "the earliest taken away: unknown until read")
        try check(300, "the earliest moved later: the next one")
        try store.write { try $0.commit(changes: [Self.change(2, wakeup: nil, data: nil)], records: []) }
        try check(900, "the earliest cleared")
        // A request of a group that fails after its commit: its savepoint is rolled back, the others stay.
        try store.write(savepoints: true) { tx in
            try? tx.write { _ in
                try tx.commit(changes: [Self.change(4, wakeup: 10)], records: [])
                throw Boom()
            }
            try tx.commit(changes: [Self.change(3, wakeup: 700)], records: [])
        }
        try check(700, "a rolled-back savepoint's wake-up is not kept")
        // A transaction that throws changes nothing.
        #expect(throws: Boom.self) {
            try store.write { tx in
                try tx.commit(changes: [Self.change(5, wakeup: 5)], records: [])
                throw Boom()
            }
        }
        try check(700, "a failed transaction's wake-up is not kept")
        // An update of an instance that does not exist writes nothing.
        try store.write { try $0.commit(changes: [Self.change(99, wakeup: 1, data: nil)], records: []) }
        try check(700, "an update that finds no row")
    }

    @Test("a long random run of writes: after each, the earliest wake-up is SQLite's, and mostly known without reading")
    func randomWrites() throws {
        let dir = try makeTemporaryDirectory("wakeup-random")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        var rng = DueIndexTests.Random(state: 20_261_203)
        var known = 0
        let steps = 600
        for step in 0..<steps {
            let changes = (0..<(1 + rng.next(3))).map { _ -> InstanceChange in
                let key = rng.next(40)
                let wakeup = rng.next(5) == 0 ? nil : Int64(rng.next(1000))
                return Self.change(key, wakeup: wakeup, data: rng.next(2) == 0 ? "{}" : nil)
            }
            switch rng.next(6) {
            case 0:
                _ = try? store.write { tx in
                    try tx.commit(changes: changes, records: [])
                    throw Boom()
                }
            case 1:
                try store.write(savepoints: true) { tx in
                    try? tx.write { _ in
                        try tx.commit(changes: Array(changes.prefix(1)), records: [])
                        throw Boom()
                    }
                    try tx.commit(changes: Array(changes.dropFirst()), records: [])
                }
            default:
                try store.write { try $0.commit(changes: changes, records: []) }
            }
            if store.wakeups.earliest != nil { known += 1 }
            let expected = try Self.stored(store)
            #expect(try store.nextWakeup() == expected, "step \(step)")
            let probe = Self.t0.adding(seconds: Int64(rng.next(1000)))
            if store.nothingDue(upTo: probe) { #expect(expected.map { $0 > probe } ?? true, "step \(step)") }
        }
        #expect(known > steps / 3, "the cache answered \(known) of \(steps) times without reading")
    }

    @Test("a wrong earliest wake-up cannot outlive a tick: a batch that finds nothing due makes the store read it again")
    func forgetsAfterAnEmptyBatch() throws {
        let f = try SchedulerTests.Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        _ = try f.daemon.startInstance(workflow: "han-thu", key: "a", data: [("han", .string("2027-03-10"))], actor: nil)
        let wake = try #require(try f.daemon.store.nextWakeup())
        // As if a write had reported a wake-up it never stored, an hour from now.
        let wrong = PendingWakeups()
        wrong.moved(from: nil, to: f.time.now.seconds + 3600)
        f.daemon.store.wakeups.apply(wrong)
        f.time.advance(seconds: 3600)
        #expect(!f.daemon.store.nothingDue(upTo: f.time.now), "the loop runs the tick")
        #expect(try f.tick().isEmpty)
        #expect(try f.daemon.store.nextWakeup() == wake)
        #expect(f.daemon.store.nothingDue(upTo: f.time.now))
    }
}
