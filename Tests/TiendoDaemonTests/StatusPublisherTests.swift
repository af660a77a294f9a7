import Foundation
import Synchronization
import Testing
import TiendoCore

@testable import TiendoDaemon

/// The status files written off the loop thread (`StatusPublisher`), on the populated store of `StoreViewsTests`.
@Suite("status files written off the loop", .serialized)
struct StatusPublisherTests {
    static func json(_ path: String) -> JSON? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSON.parse(String(decoding: data, as: UTF8.self))
    }

    /// Until the publisher's thread has no write asked for or running (at most 10 s).
    static func waitIdle(_ d: Daemon) {
        let deadline = Date().addingTimeInterval(10)
        while d.statusPublisher.isRunning && Date() < deadline { usleep(1000) }
    }

    @Test("a write in the background ends with every file written, its outcome taken once and the loop woken once")
    func backgroundWrite() throws {
        let (d, dir) = try StoreViewsTests.populated()
        defer { removeTemporaryDirectory(dir) }
        let woken = Mutex(0)
        d.statusPublisher.setOnFinished { woken.withLock { $0 += 1 } }
        let status = d.options.runtimeDirectory + "/status.json"
        #expect(Self.json(status) == nil)

        #expect(d.statusPublisher.writeLater(d.statusSnapshot(now: d.clock.now())))
        Self.waitIdle(d)
        // The loop is told after the outcome is stored: wait for the call too.
        let deadline = Date().addingTimeInterval(10)
        while woken.withLock({ $0 }) == 0 && Date() < deadline { usleep(1000) }
        #expect(woken.withLock { $0 } == 1)
        let later = try #require(d.statusPublisher.takeFinished())
        #expect(try later.result?.get().instances == 90)
        #expect(d.statusPublisher.takeFinished() == nil)
        let now = d.statusPublisher.writeNow(d.statusSnapshot(now: d.clock.now()))
        #expect(try now.result?.get().instances == 90)
        #expect(now.seq == later.seq + 1)
        #expect(woken.withLock { $0 } == 1)

        let file = try #require(Self.json(status))
        #expect(file["daemon"]?["instances"]?.intValue == 90)
        let workflow = try #require(Self.json(d.options.runtimeDirectory + "/workflows/dang-vien-du-bi.json"))
        #expect(workflow["workflow"]?["instances"]?.intValue == 90)
        let prom = try String(contentsOfFile: d.options.runtimeDirectory + "/tiendo.prom", encoding: .utf8)
        #expect(prom.contains("tiendo_instances{workflow=\"dang-vien-du-bi\""))
    }

    @Test("a write handed to the thread before a forced write never replaces the forced write's files")
    func olderWriteNeverLast() throws {
        let (d, dir) = try StoreViewsTests.populated()
        defer { removeTemporaryDirectory(dir) }
        let t = d.clock.now()
        let zone = Zone.vietnam
        #expect(d.statusPublisher.writeLater(d.statusSnapshot(now: t.adding(seconds: 100))))
        let forced = d.statusPublisher.writeNow(d.statusSnapshot(now: t.adding(seconds: 200)))
        #expect(forced.result != nil)
        // The thread either wrote first (the forced write came after it) or skipped its older snapshot.
        Self.waitIdle(d)
        let background = try #require(d.statusPublisher.takeFinished())
        #expect(background.seq < forced.seq)
        let status = try #require(Self.json(d.options.runtimeDirectory + "/status.json"))
        #expect(status["daemon"]?["now"]?.stringValue == zone.iso(t.adding(seconds: 200)))
    }

    @Test("a write that fails returns no summaries and leaves the files to be written again")
    func failedWrite() throws {
        let (d, dir) = try StoreViewsTests.populated()
        defer { removeTemporaryDirectory(dir) }
        // A file where the workflows' directory should be: opening a file in it fails, even for root.
        let workflows = d.options.runtimeDirectory + "/workflows"
        try FileManager.default.removeItem(atPath: workflows)
        #expect(FileManager.default.createFile(atPath: workflows, contents: Data("x".utf8)))
        d.statusDirty = false
        #expect(d.writeStatus(now: d.clock.now()) == nil)
        #expect(d.statusDirty)

        try FileManager.default.removeItem(atPath: workflows)
        try FileManager.default.createDirectory(atPath: workflows, withIntermediateDirectories: true)
        #expect(d.writeStatus(now: d.clock.now())?.instances == 90)
        #expect(!d.statusDirty)
    }
}
