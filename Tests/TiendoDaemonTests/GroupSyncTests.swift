import Foundation
import Synchronization
import Testing
import TiendoCore
import TiendoDaemon
import TiendoStore

#if canImport(Glibc)
    import Glibc
#endif

/// Group commits answered after the log's sync on another thread (`LogSyncer`, `Daemon.hold`), in process: the
/// sync is a function the test holds back or makes fail, so what the daemon answers and emits before and after it
/// is seen exactly. Every wait has a hang guard.
@Suite struct GroupSyncTests {
    /// The log's sync as the test wants it: passed, held back until `open()`, or failed with EIO. Counts the syncs.
    final class SyncGate: Sendable {
        enum Mode { case pass, hold, fail }
        private let state = Mutex((mode: Mode.pass, syncs: 0, onCreator: 0))
        private let opened = DispatchSemaphore(value: 0)
        /// The thread that made the gate (the test's, which runs the daemon without a loop).
        private let creator = pthread_self()

        init(_ mode: Mode) { state.withLock { $0.mode = mode } }

        var syncs: Int { state.withLock { $0.syncs } }
        /// Syncs run on the thread that made the gate (the daemon's own, inline), not the syncer's.
        var syncsOnCreator: Int { state.withLock { $0.onCreator } }

        /// Makes the next syncs fail.
        func failFromNow() { state.withLock { $0.mode = .fail } }

        /// Lets a held-back sync through, and every later one.
        func open() {
            state.withLock { $0.mode = .pass }
            opened.signal()
        }

        func sync(_ fd: Int32) -> Int32 {
            let inline = pthread_equal(pthread_self(), creator) != 0
            let mode = state.withLock { s in
                s.syncs += 1
                if inline { s.onCreator += 1 }
                return s.mode
            }
            switch mode {
            case .pass: return fdatasync(fd)
            case .fail:
                errno = EIO
                return -1
            case .hold:
                opened.wait()
                return fdatasync(fd)
            }
        }
    }

    /// The replies of a test's requests, in the order they were sent.
    final class Replies: Sendable {
        private let kept = Mutex<[String]>([])
        func add(_ r: String) { kept.withLock { $0.append(r) } }
        var all: [String] { kept.withLock { $0 } }
    }

    struct Fixture {
        let daemon: Daemon
        let sink: SchedulerTests.CapturingSink
        let dir: String

        init(_ gate: SyncGate) throws {
            sink = SchedulerTests.CapturingSink()
            (daemon, dir) = try Fixture.daemon(gate, sink: sink)
        }

        /// A daemon on the scheduler tests' workflow whose group commits sync through `gate`, and its directory.
        static func daemon(_ gate: SyncGate, sink: SchedulerTests.CapturingSink) throws -> (Daemon, String) {
            var (dir, options) = try SchedulerTests.Fixture.directory()
            options.syncGroupsInBackground = true
            options.syncLog = { gate.sync($0) }
            let start = try #require(Zone.vietnam.parseInstant("2027-03-01T08:00:00+07:00"))
            let daemon = try Daemon(options: options, clock: DaemonClock(manual: ManualTime(start)), sink: sink)
            #expect(daemon.loadDefinitions().diagnostics.filter { $0.severity == .error }.isEmpty)
            return (daemon, dir)
        }

        /// A group starting one instance per key, each answering into `replies`.
        func group(_ keys: [String], han: String = "2027-03-20", replies: Replies) {
            daemon.group {
                for key in keys {
                    do {
                        _ = try daemon.startInstance(workflow: "han-thu", key: key, data: [("han", .string(han))], actor: nil)
                        daemon.afterCommit { ok in replies.add("\(key) \(ok)") }
                    } catch {
                        Issue.record("start \(key): \(error)")
                    }
                }
            }
        }

        /// Takes in the syncer's progress until `done` holds (a minute at most).
        func release(until done: () -> Bool) {
            let deadline = Date().addingTimeInterval(60)
            while !done() && Date() < deadline {
                daemon.releaseSynced()
                usleep(1_000)
            }
        }

        var startedIDs: [String] { sink.records.filter { $0.kind == .started }.compactMap(\.instance) }
    }

    @Test("a group's replies and records wait for the log's sync, then go out in commit order")
    func heldUntilSynced() throws {
        let gate = SyncGate(.hold)
        let f = try Fixture(gate)
        defer { removeTemporaryDirectory(f.dir) }
        let replies = Replies()
        f.group(["a", "b"], replies: replies)
        f.group(["c"], replies: replies)
        // Committed (a reader sees it) but neither answered nor emitted while the sync is held back.
        #expect(try f.daemon.store.exists("han-thu/a"))
        #expect(try f.daemon.store.exists("han-thu/c"))
        usleep(50_000)
        f.daemon.releaseSynced()
        #expect(replies.all.isEmpty)
        #expect(f.sink.records.isEmpty)
        gate.open()
        f.release { replies.all.count == 3 }
        #expect(replies.all == ["a true", "b true", "c true"])
        #expect(f.startedIDs == ["han-thu/a", "han-thu/b", "han-thu/c"])
        // Two groups asked for a sync each; the thread may have covered both with one.
        #expect((1...2).contains(gate.syncs))
    }

    @Test("records of the loop's own go out after the held groups': a record outside a group syncs and releases them first")
    func ownRecordsAfterHeldOnes() throws {
        let gate = SyncGate(.hold)
        let f = try Fixture(gate)
        defer { removeTemporaryDirectory(f.dir) }
        let replies = Replies()
        f.group(["a"], replies: replies)
        #expect(replies.all.isEmpty)
        // The syncer's sync may now end, but the group is released only when the loop takes it in — which it has
        // not done when, outside a group, a start commits (syncing itself): its record must not overtake the
        // held group's.
        gate.open()
        _ = try f.daemon.startInstance(workflow: "han-thu", key: "z", data: [("han", .string("2027-03-20"))], actor: nil)
        #expect(replies.all == ["a true"])
        #expect(f.startedIDs == ["han-thu/a", "han-thu/z"])
        #expect(gate.syncsOnCreator == 1, "released by a sync of its own, not by the syncer's alone")
    }

    @Test("a job run alone answers only once the held groups it may have read are durable")
    func aloneAfterHeld() throws {
        let gate = SyncGate(.pass)
        let f = try Fixture(gate)
        defer { removeTemporaryDirectory(f.dir) }
        let replies = Replies()
        f.group(["a"], replies: replies)
        // Outside a group (an import's reply, a reload's): the held group is synced and answered first.
        f.daemon.afterCommit { ok in replies.add("alone \(ok)") }
        #expect(replies.all == ["a true", "alone true"])
        #expect(gate.syncsOnCreator == 1)
    }

    @Test("a failed sync is final: nothing held is answered or emitted, nothing later goes out, and the daemon says why")
    func failedSyncStops() throws {
        let gate = SyncGate(.fail)
        let f = try Fixture(gate)
        defer { removeTemporaryDirectory(f.dir) }
        let replies = Replies()
        f.group(["a"], replies: replies)
        f.release { f.daemon.syncFailure != nil }
        #expect(f.daemon.syncFailure?.contains("tiendo.sqlite-wal") == true)
        #expect(f.daemon.syncFailure?.contains(ErrnoText.describe(EIO)) == true)
        #expect(replies.all.isEmpty)
        #expect(f.sink.records.isEmpty)
        #expect(f.sink.messages.filter { $0.contains("KHÔNG GHI ĐƯỢC XUỐNG ĐĨA") }.count == 1)
        // Later commits' records and the outbox stay unsent: none may overtake the unanswered group.
        _ = try f.daemon.startInstance(workflow: "han-thu", key: "z", data: [("han", .string("2027-03-20"))], actor: nil)
        #expect(try f.daemon.flushOutbox() == 0)
        #expect(f.sink.records.isEmpty)
        #expect(f.sink.messages.filter { $0.contains("KHÔNG GHI ĐƯỢC XUỐNG ĐĨA") }.count == 1, "said once")
    }

    @Test("what a sync covered before a later sync failed is still answered; what came after is not")
    func coveredBeforeFailure() throws {
        let gate = SyncGate(.pass)
        let f = try Fixture(gate)
        defer { removeTemporaryDirectory(f.dir) }
        let replies = Replies()
        f.group(["a"], replies: replies)
        let deadline = Date().addingTimeInterval(60)
        while gate.syncs == 0 && Date() < deadline { usleep(1_000) }
        usleep(100_000)
        gate.failFromNow()
        f.group(["b"], replies: replies)
        f.release { f.daemon.syncFailure != nil }
        #expect(replies.all == ["a true"])
        #expect(f.startedIDs == ["han-thu/a"])
    }

    @Test("the event loop stops at once on a failed sync and says so to its caller; a stop answers what is held")
    func loopStopsOnFailure() throws {
        for mode in [SyncGate.Mode.fail, .hold] {
            let gate = SyncGate(mode)
            let (daemon, dir) = try Fixture.daemon(gate, sink: SchedulerTests.CapturingSink())
            defer { removeTemporaryDirectory(dir) }
            let replies = Replies()
            let loop = try EventLoop(daemon: daemon, hooks: LifecycleHooks())
            let outcome = Mutex<Bool?>(nil)
            let returned = DispatchSemaphore(value: 0)
            let t = Thread {
                let ok = loop.run()
                outcome.withLock { $0 = ok }
                returned.signal()
            }
            t.stackSize = 1 << 20
            t.start()
            loop.enqueue(groupable: true) { d in
                do {
                    _ = try d.startInstance(workflow: "han-thu", key: "a", data: [("han", .string("2027-03-20"))], actor: nil)
                    d.afterCommit { ok in replies.add("a \(ok)") }
                } catch {
                    Issue.record("start: \(error)")
                }
            }
            if mode == .hold {
                // The group is committed and held (its sync held back); the stop must sync and answer it.
                usleep(200_000)
                #expect(replies.all.isEmpty)
                loop.stop()
                usleep(200_000)
                gate.open()
            }
            #expect(returned.wait(timeout: .now() + .seconds(60)) == .success)
            #expect(outcome.withLock { $0 } == (mode == .hold))
            #expect(replies.all == (mode == .hold ? ["a true"] : []))
        }
    }

    @Test("after a group that syncs later, a commit outside it syncs itself again; the idle watermark does not wait")
    func modeRestored() throws {
        let f = try Fixture(SyncGate(.pass))
        defer { removeTemporaryDirectory(f.dir) }
        #expect(try f.daemon.store.synchronousMode() == 2)
        let replies = Replies()
        f.group(["a"], replies: replies)
        #expect(try f.daemon.store.synchronousMode() == 1, "the group committed without syncing")
        _ = try f.daemon.startInstance(workflow: "han-thu", key: "z", data: [("han", .string("2027-03-20"))], actor: nil)
        #expect(try f.daemon.store.synchronousMode() == 2)
        f.release { replies.all.count == 1 }
        // The loop gone idle writes the watermark of what it emitted without waiting for the disk; any other
        // write syncs itself again.
        #expect(try f.daemon.store.unsent(limit: 10).read == 2)
        f.daemon.flushSentMarks(retryOutbox: false, idle: true)
        #expect(try f.daemon.store.unsent(limit: 10).read == 0)
        #expect(try f.daemon.store.synchronousMode() == 1)
        f.daemon.flushSentMarks()
        _ = try f.daemon.startInstance(workflow: "han-thu", key: "y", data: [("han", .string("2027-03-20"))], actor: nil)
        f.daemon.flushSentMarks()
        #expect(try f.daemon.store.synchronousMode() == 2)
        #expect(try f.daemon.store.unsent(limit: 10).read == 0)
    }

    @Test("the syncer reports the highest ticket asked before its sync, and syncs the log it opened even when replaced by hand")
    func syncerCoversTheLogItOpened() throws {
        let dir = try makeTemporaryDirectory("logsync")
        defer { removeTemporaryDirectory(dir) }
        let db = dir + "/x.sqlite"
        _ = FileManager.default.createFile(atPath: db + "-wal", contents: Data("first".utf8))
        let inodes = Mutex<[UInt64]>([])
        let syncer = try LogSyncer(databasePath: db) { fd in
            var st = stat()
            fstat(fd, &st)
            inodes.withLock { $0.append(UInt64(st.st_ino)) }
            return fdatasync(fd)
        }
        defer { syncer.stop() }
        let woken = DispatchSemaphore(value: 0)
        syncer.setOnSynced { woken.signal() }
        syncer.request(3)
        #expect(woken.wait(timeout: .now() + .seconds(60)) == .success)
        #expect(syncer.progress.synced == 3)
        #expect(syncer.progress.failure == nil)
        // A ticket asked while a sync runs is not covered by it: the next sync covers it.
        let held = SyncGate(.hold)
        let slow = try LogSyncer(databasePath: db) { held.sync($0) }
        defer { slow.stop() }
        let slowWoken = DispatchSemaphore(value: 0)
        // What each sync covered, read on the syncer's thread when it reports (the next sync may end before the
        // test's thread looks).
        let covered = Mutex<[Int]>([])
        slow.setOnSynced {
            covered.withLock { $0.append(slow.progress.synced) }
            slowWoken.signal()
        }
        slow.request(1)
        let deadline = Date().addingTimeInterval(60)
        while held.syncs == 0 && Date() < deadline { usleep(1_000) }
        slow.request(2)
        held.open()
        #expect(slowWoken.wait(timeout: .now() + .seconds(60)) == .success)
        #expect(slowWoken.wait(timeout: .now() + .seconds(60)) == .success)
        #expect(covered.withLock { $0 } == [1, 2])
        // The file replaced under the same name, then deleted (by hand: SQLite does neither while the database is
        // open): the syncer keeps syncing the file it opened, the one SQLite writes (the store refuses writes from
        // then on and copies that log into the database file).
        var opened = stat()
        stat(db + "-wal", &opened)
        _ = FileManager.default.createFile(atPath: db + "-wal.new", contents: Data("second".utf8))
        #expect(rename(db + "-wal.new", db + "-wal") == 0)
        let after = syncer.syncNow(through: 5)
        #expect(after.synced == 5 && after.failure == nil)
        #expect(inodes.withLock { $0.last } == UInt64(opened.st_ino))
        unlink(db + "-wal")
        #expect(syncer.syncNow(through: 6).synced == 6 && inodes.withLock { $0.last } == UInt64(opened.st_ino))
    }
}
