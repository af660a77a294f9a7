import Foundation
import GRDB
import Testing

@testable import TiendoStore

#if canImport(Glibc)
    import Glibc
#endif

/// The store's own reader connections (`ReaderConnections`): one read transaction per read, as many at once as
/// there are connections, never nested.
@Suite("store: reader connections")
struct ReaderConnectionsTests {
    static func store(_ name: String) throws -> (Store, String) {
        let dir = try makeTemporaryDirectory(name)
        return (try store(in: dir), dir)
    }

    static func store(in dir: String) throws -> Store {
        let store = try Store(path: dir + "/tiendo.sqlite")
        try store.write { (db: Database) in try db.execute(sql: "CREATE TABLE t(n INTEGER); INSERT INTO t VALUES (1)") }
        return store
    }

    @Test("a read sees one moment: a commit made while it runs is seen by the next read, not by it")
    func oneSnapshotPerRead() throws {
        let (store, dir) = try Self.store("readers-snapshot")
        defer { removeTemporaryDirectory(dir) }
        let (before, after) = try store.read { db in
            let before = try Int.fetchOne(db, sql: "SELECT n FROM t")
            try store.write { (w: Database) in try w.execute(sql: "UPDATE t SET n = 2") }
            return (before, try Int.fetchOne(db, sql: "SELECT n FROM t"))
        }
        #expect(before == 1 && after == 1)
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT n FROM t") } == 2)
    }

    @Test("as many reads run at once as there are connections; one more waits until a connection is free")
    func readsBeyondTheConnectionsWait() throws {
        let (store, dir) = try Self.store("readers-wait")
        defer { removeTemporaryDirectory(dir) }
        let inside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<Store.readers {
            Thread.detachNewThread {
                _ = try? store.read { _ in
                    inside.signal()
                    release.wait()
                }
                done.signal()
            }
        }
        for _ in 0..<Store.readers { inside.wait() }
        // Every connection is lent: one more read waits.
        let extra = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            _ = try? store.read { _ in extra.signal() }
            done.signal()
        }
        #expect(extra.wait(timeout: .now() + 0.3) == .timedOut)
        release.signal()
        #expect(extra.wait(timeout: .now() + 10) == .success)
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(done.wait(timeout: .now() + 10) == .success)
        for _ in 1..<Store.readers { release.signal() }
        for _ in 1..<Store.readers { #expect(done.wait(timeout: .now() + 10) == .success) }
    }

    @Test("a read inside a read stops the process instead of reading another moment, or waiting for ever")
    func nestedReadStops() async throws {
        // Made and removed here: the process that stops cannot clean up after itself.
        let dir = try makeTemporaryDirectory("readers-nested")
        defer { removeTemporaryDirectory(dir) }
        await #expect(processExitsWith: .signal(SIGILL)) { [dir = dir as String] in
            guard let store = try? ReaderConnectionsTests.store(in: dir) else { return }
            _ = try? store.read { _ in try store.read { _ in 1 } }
        }
    }
}
