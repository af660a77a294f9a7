import Foundation
import GRDB
import Testing
import TiendoCore
import TiendoDelivery
import TiendoStore

@Suite("the delivery queue: a database from before due_at (migration v12)")
struct DeliveryDueAtMigrationTests {
    @Test("rows not yet tried are due at their not_before; a row already retried counts from its commit, as before")
    func migratesAV11Database() throws {
        let dir = try makeTemporaryDirectory("due-at")
        defer { removeTemporaryDirectory(dir) }
        let path = dir + "/tiendo.sqlite"
        let t0 = DeliveryStoreTests.t0
        do {
            let store = try Store(path: path, synchronous: "OFF")
            var book = QueueBook()
            for (n, offset) in [(1, 0), (2, 3600)] {
                let r = DeliveryStoreTests.record(n, at: t0, instance: "nhac-viec/m\(n)")
                let f = FanOut(
                    key: "\(r.key!)|thu|a@example.vn", channel: "thu", recipient: Mailbox(name: nil, address: "a@example.vn"),
                    route: "r", digest: nil, digestPeriod: nil, notBefore: t0.adding(seconds: Int64(offset + 7200)), expiresAt: nil,
                    series: nil)
                try DeliveryStoreTests.add([f], record: r, now: t0, store: store, book: &book)
            }
        }
        // Back to v11's shape: no due_at, the migration not run; the second delivery already failed twice.
        do {
            let q = try DatabaseQueue(path: path)
            try q.write { db in
                try db.execute(sql: "ALTER TABLE deliveries DROP COLUMN due_at")
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v12-delivery-due-at'")
                try db.execute(sql: "UPDATE deliveries SET attempts = 2 WHERE id = 2")
            }
            try q.close()
        }
        let reopened = try Store(path: path, synchronous: "OFF")
        let jobs = try reopened.write {
            try $0.claimDeliveries(
                channel: "thu", owner: "w", now: t0.adding(seconds: 86_400), limit: 10, leaseUntil: t0.adding(seconds: 90_000))
        }
        let due = Dictionary(uniqueKeysWithValues: jobs.flatMap(\.items).map { ($0.id, $0.dueAt) })
        #expect(due == [1: t0.adding(seconds: 7200), 2: t0])
    }
}
