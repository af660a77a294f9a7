import Foundation
import Synchronization
import Testing
import TiendoCore
import TiendoDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// The event loop in process: the daemon handed to it is reached through its jobs and `withDaemon` only, jobs run on
/// the loop's thread, and `stop()` from another thread ends `run()` whether the loop is asleep in `poll` or busy.
/// Every wait has a generous hang guard: a missed wake-up fails the test instead of hanging CI.
@Suite struct EventLoopTests {
    final class QuietSink: RecordSink, LogWriter {
        func emit(_ records: [Record]) -> Bool { true }
        func log(_ priority: Int, _ message: String, event: DaemonEvent?, fields: [(String, String)], code: CodeLocation?) {}
    }

    /// A loop over a daemon on a fresh, empty state directory (no workflows: nothing is ever due).
    static func makeLoop(hooks: LifecycleHooks = LifecycleHooks()) throws -> (EventLoop, String) {
        let dir = try makeTemporaryDirectory("loop")
        try FileManager.default.createDirectory(atPath: dir + "/workflows", withIntermediateDirectories: true)
        let options = DaemonOptions(
            workflowDirectories: [dir + "/workflows"], stateDirectory: dir + "/state", runtimeDirectory: dir + "/status", version: "0.test")
        let start = try #require(Zone.vietnam.parseInstant("2027-03-01T08:00:00+07:00"))
        let daemon = try Daemon(options: options, clock: DaemonClock(fakeStart: start, rate: 1), sink: QuietSink())
        daemon.loadDefinitions()
        return (try EventLoop(daemon: daemon, hooks: hooks), dir)
    }

    /// Runs the loop on a thread of its own; the semaphore is signalled when `run()` returns.
    static func runInBackground(_ loop: EventLoop) -> DispatchSemaphore {
        let returned = DispatchSemaphore(value: 0)
        let t = Thread {
            loop.run()
            returned.signal()
        }
        t.stackSize = 1 << 20
        t.start()
        return returned
    }

    static var hangGuard: DispatchTime { .now() + .seconds(60) }

    @Test("a job queued before stop() still runs, and run() returns at once after a stop() that came before it")
    func stopBeforeRun() throws {
        let (loop, dir) = try Self.makeLoop()
        defer { removeTemporaryDirectory(dir) }
        let ran = Mutex(false)
        loop.enqueue { _ in ran.withLock { $0 = true } }
        loop.stop()
        #expect(Self.runInBackground(loop).wait(timeout: Self.hangGuard) == .success)
        #expect(ran.withLock { $0 })
    }

    @Test("jobs run on the loop's thread, in order; withDaemon waits its turn; stop() wakes the sleeping loop")
    func jobsThenStop() throws {
        let (loop, dir) = try Self.makeLoop()
        defer { removeTemporaryDirectory(dir) }
        let returned = Self.runInBackground(loop)
        let caller = pthread_self()
        let order = Mutex<[Int]>([])
        for i in 0..<5 { loop.enqueue(groupable: i % 2 == 0) { _ in order.withLock { $0.append(i) } } }
        let onLoop = loop.submit { d in (pthread_self() != caller, d.current.count) }
        #expect(onLoop.0)
        #expect(onLoop.1 == 0)
        #expect(order.withLock { $0 } == [0, 1, 2, 3, 4])
        #expect(loop.withDaemon { $0.diagnostics.isEmpty })
        // Nothing is due and the status files are written: once it has read the wake-ups of the jobs above, the
        // loop sleeps in poll without a timeout, and only stop()'s own wake-up can end it.
        usleep(200_000)
        loop.stop()
        #expect(returned.wait(timeout: Self.hangGuard) == .success)
    }

    @Test("stop() right after the loop starts, at whatever point it has reached, always ends it", arguments: 0..<20)
    func stopRacesTheLoop(round: Int) throws {
        let (loop, dir) = try Self.makeLoop()
        defer { removeTemporaryDirectory(dir) }
        let returned = Self.runInBackground(loop)
        // Spread the stop over the loop's first turn, its poll, and its sleep.
        if round % 4 != 0 { usleep(UInt32(round * 250)) }
        loop.stop()
        #expect(returned.wait(timeout: Self.hangGuard) == .success)
    }

    @Test("at start-up the STATUS= line is sent at once and the status files follow from the publisher's thread")
    func startStatus() throws {
        let lines = Mutex<[String]>([])
        var hooks = LifecycleHooks()
        hooks.status = { line in lines.withLock { $0.append(line) } }
        let (loop, dir) = try Self.makeLoop(hooks: hooks)
        defer { removeTemporaryDirectory(dir) }
        loop.startStatus()
        #expect(lines.withLock { $0 } == ["0 quy trình, 0 hồ sơ, 0 quá hạn"])
        let file = dir + "/status/status.json"
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: file), Date() < deadline { usleep(10_000) }
        let status = try JSON.parse(String(decoding: try #require(FileManager.default.contents(atPath: file)), as: UTF8.self))
        #expect(status["daemon"]?["instances"]?.intValue == 0)
        // The loop takes the write in without writing again (nothing changed) and without a second STATUS= line.
        let returned = Self.runInBackground(loop)
        usleep(200_000)
        loop.stop()
        #expect(returned.wait(timeout: Self.hangGuard) == .success)
        #expect(lines.withLock { $0 } == ["0 quy trình, 0 hồ sơ, 0 quá hạn"])
    }
}
