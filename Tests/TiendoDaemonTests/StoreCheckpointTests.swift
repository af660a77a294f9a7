import Foundation
import GRDB
import Testing
@testable import TiendoStore

/// The write-ahead log copied back into the database file by a thread of the store's own (`WALCheckpointer`), not
/// by the commit that fills it; the writer's own checkpoint past the ceiling; the thread's end with the store.
@Suite("store: checkpoints off the writer")
struct StoreCheckpointTests {
    static func size(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// `commits` write transactions of `bytes` each (16 KiB: about seven pages), under distinct keys.
    static func fill(_ store: Store, commits: Range<Int>, bytes: Int = 16 << 10) throws {
        let blob = String(repeating: "x", count: bytes)
        for i in commits {
            try store.write { db in
                try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?)", arguments: ["k\(i)", blob])
            }
        }
    }

    /// A store with background checkpoints in a fresh directory, and its database file's path.
    static func withStore(_ pages: CheckpointPages, _ body: (Store, String) throws -> Void) throws {
        let dir = try makeTemporaryDirectory("checkpoint")
        defer { removeTemporaryDirectory(dir) }
        let path = dir + "/tiendo.sqlite"
        try body(try Store(path: path, backgroundCheckpoints: pages), path)
    }

    /// `fill`, then the thread's work done.
    static func fillAndWait(_ store: Store, commits: Range<Int>, bytes: Int = 16 << 10) throws {
        try fill(store, commits: commits, bytes: bytes)
        #expect(eventually { store.checkpoints?.pending == false })
    }

    /// Polls `condition` for up to ten seconds.
    static func eventually(_ condition: () -> Bool) -> Bool {
        for _ in 0..<1000 {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    @Test("the thread copies the log into the database file as it grows, once per threshold of new pages")
    func backgroundCheckpoint() throws {
        try Self.withStore(CheckpointPages(threshold: 100, ceiling: 100_000)) { store, path in
            // Fifteen batches of twenty commits (some 140 pages each), the thread's work done after each: at least one
            // checkpoint a batch whatever the timing.
            for batch in 0..<15 {
                try Self.fillAndWait(store, commits: batch * 20..<batch * 20 + 20)
            }
            let counts = try #require(store.checkpoints)
            // About 2,100 pages in 100-page steps: some twenty checkpoints, not one per commit past the first 100 pages.
            #expect(counts.background >= 5)
            #expect(counts.background <= 30)
            #expect(counts.inline == 0, "the writer never checkpointed: the log stayed under the ceiling")
            #expect(counts.lastError == nil)
            // What the thread has not copied is less than the threshold and one commit.
            #expect(Self.size(path) > 300 * 16 << 10 - 110 * 4096)
        }
    }

    @Test("a log copied whole while no commit runs starts over at the next commit")
    func logStartsOver() throws {
        try Self.withStore(CheckpointPages(threshold: 100, ceiling: 100_000)) { store, path in
            // Commits of 480 KiB (some 120 pages, past the threshold each), one at a time, the thread's work done
            // between them. A log that starts over with a commit longer than its old length is not seen as new, so
            // about two commits in three wake the thread (see `WALCheckpointer.committed`).
            for i in 0..<30 {
                try Self.fillAndWait(store, commits: i..<i + 1, bytes: 480 << 10)
            }
            let counts = try #require(store.checkpoints)
            #expect(counts.background >= 14)
            #expect(counts.inline == 0)
            // 14 MiB written; the log started over instead of holding them all: at most two commits and what the
            // migrations wrote before the hook was in place (about 95 pages).
            #expect(Self.size(path + "-wal") < 3 * 125 * 4120)
        }
    }

    @Test("past the ceiling the writer checkpoints itself, and the log stays that small")
    func ceiling() throws {
        try Self.withStore(CheckpointPages(threshold: 50, ceiling: 50)) { store, path in
            // What the migrations wrote before the hook was in place.
            let opened = Self.size(path + "-wal")
            try Self.fill(store, commits: 0..<300)
            let counts = try #require(store.checkpoints)
            #expect(counts.inline >= 10)
            #expect(counts.background == 0, "at the ceiling the writer checkpoints; the thread is not woken")
            // 300 commits of about seven pages wrote some 2,100 pages; the log holds at most the ceiling (or what the
            // migrations left) and two commits.
            #expect(Self.size(path + "-wal") < max(opened, 50 * 4120) + 20 * 4120)
            #expect(Self.size(path) > 290 * 16 << 10)
        }
    }

    @Test("the thread ends with the store: its connection closes, and SQLite removes the log with the last one")
    func endsWithTheStore() throws {
        let dir = try makeTemporaryDirectory("checkpoint")
        defer { removeTemporaryDirectory(dir) }
        let path = dir + "/tiendo.sqlite"
        do {
            let store = try Store(path: path, backgroundCheckpoints: CheckpointPages(threshold: 100, ceiling: 100_000))
            try withExtendedLifetime(store) {
                try Self.fill(store, commits: 0..<100)
                #expect(Self.eventually { (store.checkpoints?.background ?? 0) >= 1 })
                #expect(FileManager.default.fileExists(atPath: path + "-wal"))
            }
        }
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let reopened = try Store(path: path)
        #expect(try reopened.meta("k99")?.count == 16 << 10)
    }

    @Test("a run of failed checkpoints is told once when it begins and once when it ends, in Vietnamese")
    func failuresAreToldOnce() throws {
        let dir = try makeTemporaryDirectory("checkpoint")
        defer { removeTemporaryDirectory(dir) }
        let path = dir + "/tiendo.sqlite"
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL; CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)")
        }
        // The thread's connection opens a path in a directory that does not exist yet: it cannot open.
        let elsewhere = dir + "/later/tiendo.sqlite"
        let checkpointer = WALCheckpointer(path: elsewhere, pages: CheckpointPages(threshold: 20, ceiling: 100_000))
        queue.writeWithoutTransaction { db in checkpointer.install(on: db) }
        defer {
            queue.writeWithoutTransaction { db in WALCheckpointer.uninstall(from: db) }
            checkpointer.stop()
        }
        let blob = String(repeating: "x", count: 16 << 10)
        var key = 0
        func commits(_ n: Int) throws {
            for _ in 0..<n {
                key += 1
                try queue.write { db in try db.execute(sql: "INSERT INTO meta VALUES (?, ?)", arguments: ["k\(key)", blob]) }
            }
            #expect(Self.eventually { checkpointer.counts.pending == false })
        }
        try commits(10)
        let failed = checkpointer.takeNews()
        #expect(failed.count == 1)
        guard case .failed(let reason)? = failed.first else {
            Issue.record("no failure told: \(failed)")
            return
        }
        #expect(reason.contains("không mở được tệp"), "\(reason)")
        // Failing again tells nothing new, and is tried once per 20 new pages, not at each commit.
        let tries = checkpointer.counts.background
        try commits(10)
        #expect(checkpointer.takeNews().isEmpty)
        #expect(checkpointer.counts.background - tries <= 5)
        #expect(checkpointer.counts.lastError != nil)
        // The path now leads to the database: the next checkpoint succeeds and says so.
        try FileManager.default.createDirectory(atPath: dir + "/later", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: elsewhere, withDestinationPath: path)
        try commits(10)
        #expect(checkpointer.takeNews() == [.recovered])
        #expect(checkpointer.counts.lastError == nil)
    }
}
