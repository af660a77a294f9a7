import Foundation
import TiendoCore

/// Scenario 3: N records due at one instant, fired by the real daemon and timed through its state database.
extension DaemonScenarios {
    /// One burst of records as timed by `burst`.
    struct Burst {
        /// The history's last sequence number before the daemon started: the burst's records come after it.
        var baseSeq: Int64
        /// The records the burst committed.
        var records: Int64
        /// Records committed per second after the first batch, to the last one sent (NaN if there was one batch).
        var rate: Double
        var firstBatch: Int64
        var window: Double
        var execToFirstCommit: Double
        var execToDone: Double
        var lastCommitToMarked: Double
        var execToReady: Double
        var cpuSeconds: Double
        var peakRSS: Int
        /// The longest silence toward the service manager from exec to the end (`NotifyListener.longestSilence`).
        var silence: Double

        /// The result's note: the records after the first batch and the window they took, then `what` they were.
        func note(records what: String, _ about: String) -> String {
            rate.isNaN
                ? "one batch: no rate between batches"
                : "after the first batch (\(firstBatch)): \(records - firstBatch) \(what) committed, sent and marked sent in \(String(format: "%.2f", window)) s; \(about)"
        }
    }

    /// When a burst is over: `records` committed, or no instance left due at `epoch` (the daemon caught up).
    enum BurstEnd {
        case records(Int)
        case caughtUp(epoch: Int64)
    }

    /// Where the firing set of size `n` is stored, for `firing`, `reminders` and the run that removes it.
    func firingDir(_ n: Int) -> String { "\(root)/firing-\(n)" }

    /// Starts tiendod on the store in `dir` at `fakeTime` and times its records from the first committed batch to
    /// the burst's `end` with every record sent and marked sent, by polling the state database read-only every 2 ms
    /// (commits are atomic, so the first batch seen is a whole batch, and the commit that leaves no instance due also
    /// holds the last records). The daemon is stopped before this returns.
    func burst(dir: String, fakeTime: String, until end: BurstEnd, reserve: Double, what: String) throws -> Burst {
        let db = dbPath(dir)
        let baseSeq = try SQLiteReader(path: db).int("SELECT max(seq) FROM history") ?? 0
        let counter = RecordLineCounter()
        counter.start()
        let d = try DaemonProcess.start(options(dir: dir, fakeTime: fakeTime, stderr: .pipe(counter.pipe)))
        defer { d.stop(timeout: stopTimeout) }
        let reader = try SQLiteReader(path: db)
        var firstAt: Double?
        var firstBatch: Int64 = 0
        var committedAt: Double?
        var markedAt: Double?
        var committed: Int64 = 0
        while markedAt == nil {
            let now = Clock.now()
            guard now < budget.deadline - reserve else {
                throw Skipped("\(what) not done within the run's budget: \(Int(now - d.execTime)) s after exec")
            }
            if d.process.isRunning == false { throw BenchError("\(what): tiendod \(d.exitDescription): \(counter.lastOutput)") }
            committed = (try reader.int("SELECT max(seq) FROM history") ?? 0) - baseSeq
            if committed > 0 && firstAt == nil {
                firstAt = now
                firstBatch = committed
            }
            let over: Bool
            switch end {
            case .records(let n): over = committed >= Int64(n)
            case .caughtUp(let epoch):
                // Read after the count: a commit between the two reads leaves nothing due and is counted next turn.
                if committed > 0, try reader.int("SELECT EXISTS(SELECT 1 FROM instances WHERE next_wakeup <= \(epoch))") == 0 {
                    over = (try reader.int("SELECT max(seq) FROM history") ?? 0) - baseSeq == committed
                } else {
                    over = false
                }
            }
            if over {
                if committedAt == nil { committedAt = now }
                if try reader.int(Self.unsentSQL) == 0 { markedAt = now }
            }
            if markedAt == nil { usleep(2000) }
        }
        let ready = try d.waitReady(timeout: max(30, budget.remaining - reserve))
        let n = Int(committed)
        _ = counter.wait(records: n, timeout: 60)
        let sent = counter.snapshot.records
        guard sent >= n else { throw BenchError("\(what): \(sent) of \(n) records reached the sink") }
        let first = firstAt!
        let done = markedAt!
        let window = done - first
        return Burst(
            baseSeq: baseSeq, records: committed,
            rate: committed > firstBatch && window > 0 ? Double(committed - firstBatch) / window : .nan,
            firstBatch: firstBatch,
            window: window, execToFirstCommit: first - d.execTime, execToDone: done - d.execTime,
            lastCommitToMarked: done - (committedAt ?? done), execToReady: ready, cpuSeconds: ProcStatus.cpuSeconds(pid: d.pid),
            peakRSS: ProcStatus.hwm(pid: d.pid), silence: d.notify.longestSilence(from: d.execTime, to: done))
    }

    /// N deadlines at one instant: import the firing set, restart the daemon just after the instant (every member's
    /// probation ends: one transition record each) and time the records. The store stays for `reminders`.
    func firing(n: Int, reserve: Double) throws -> (rate: Double, recordBytes: Int, schema: String, importSeconds: Double) {
        if let p = projectedFiring(n) { try budget.require(p, reserve: reserve, for: "importing the firing set and firing it at N = \(n)") }
        let dir = firingDir(n)
        let importSeconds = try importDataset(.firing, n: n, dir: dir, record: false, reserve: reserve)
        let db = dbPath(dir)
        if c.keep {
            // For profiling by hand: the store as it was before the firing.
            try? FileManager.default.copyItem(atPath: "\(dir)/state", toPath: "\(dir)/state-before-firing")
        }
        let b = try burst(dir: dir, fakeTime: Dataset.firingRestartText, until: .records(n), reserve: reserve, what: "firing")
        let reader = try SQLiteReader(path: db)
        let recordBytes = try meanRecordBytes(reader, after: b.baseSeq)
        results.add(
            firingLabel, n: n, firingMetric, b.rate, "/s", target: firingLabel == "3 firing" ? Target.atLeast(200_000) : nil,
            note: b.note(records: "records", "one transition record per instance"),
            extra: [
                ("windowSeconds", .double(b.window)), ("firstBatchRecords", .int(Int(b.firstBatch))),
                ("lastCommitToMarkedSeconds", .double(b.lastCommitToMarked)),
                ("execToFirstCommitSeconds", .double(b.execToFirstCommit)), ("execToReadySeconds", .double(b.execToReady)),
                ("daemonCPUSeconds", .double(b.cpuSeconds)), ("daemonPeakRSSBytes", .int(b.peakRSS)),
                ("recordBytes", .int(recordBytes)), ("importSecondsOfFiringSet", .double(importSeconds)),
            ])
        guard firingLabel == "3 firing" else { return (b.rate, recordBytes, "", importSeconds) }
        results.add(
            "3 firing", n: n, "records/s, exec → all marked sent", Double(n) / b.execToDone, "/s",
            note: "includes the start-up before the first batch")
        results.add("1 import", n: n, "instances/s (firing set)", Double(n) / importSeconds, "/s", note: "same-day admissions, no catch-up")

        return (b.rate, recordBytes, try schemaFile(reader), importSeconds)
    }

    /// The daemon's schema as read from its store, in a file for the raw SQLite ceiling on the same tables and indexes.
    func schemaFile(_ reader: SQLiteReader) throws -> String {
        let schema = "\(root)/schema.sql"
        let ddl = try reader.strings("SELECT sql || ';' FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'")
        try (ddl.joined(separator: "\n") + "\n").write(toFile: schema, atomically: true, encoding: .utf8)
        return schema
    }

    /// The mean size of the records stored after `seq`.
    func meanRecordBytes(_ reader: SQLiteReader, after seq: Int64) throws -> Int {
        Int(try reader.int("SELECT CAST(avg(length(record)) AS INTEGER) FROM history WHERE seq > \(seq)") ?? 400)
    }

    /// After `firing`, on the same store: restart the daemon at the instant of every member's first reminder (ten
    /// working days before the deadline the transition opened) and time those N records. A reminder changes only the
    /// instance's marks and its next wake-up — the commonest fire of a ward's year.
    func reminders(n: Int, reserve: Double) throws {
        let dir = firingDir(n)
        let reader = try SQLiteReader(path: dbPath(dir))
        let waking = try reader.int("SELECT count(*) FROM instances WHERE next_wakeup = \(Dataset.firingReminderEpoch)") ?? 0
        guard waking == n else {
            throw BenchError("reminders: \(waking) of \(n) instances wake at \(Dataset.firingReminderText), the first reminder")
        }
        let r = try burst(
            dir: dir, fakeTime: Dataset.firingReminderRestartText, until: .records(n), reserve: reserve, what: "reminders")
        // Exactly one reminder per member: a second record per instance would have ended the timing early.
        let all = try reader.int("SELECT count(*) FROM history WHERE seq > \(r.baseSeq)") ?? 0
        let reminders = try reader.int("SELECT count(*) FROM history WHERE seq > \(r.baseSeq) AND kind = 'reminder'") ?? 0
        guard all == n && reminders == n else {
            throw BenchError("reminders: \(all) records, \(reminders) of them reminders, for \(n) members")
        }
        results.add(
            "3 firing", n: n, "durable reminder records/s", r.rate, "/s",
            note: r.note(records: "reminder records", "the marks and the next wake-up change, not the state"),
            extra: [
                ("windowSeconds", .double(r.window)), ("firstBatchRecords", .int(Int(r.firstBatch))),
                ("daemonCPUSeconds", .double(r.cpuSeconds)), ("execToReadySeconds", .double(r.execToReady)),
            ])
    }
}

/// Scenario 3 at the nation's size: the daemon catching up on the import's own store.
extension DaemonScenarios {
    /// What a catch-up of `due` instances is projected to take: up to three records per instance (a reminder, an
    /// overdue notice, a transition) at `recordsPerSecond`, and a minute for the start-up.
    static func catchUpSeconds(due: Int, recordsPerSecond: Double) -> Double { 60 + 3 * Double(due) / recordsPerSecond }

    /// At 10^7 the firing set is not imported a second time (another half hour to three quarters of one); the
    /// province store the import made is fired instead. The daemon is restarted at 10:00 of the day by which a tenth
    /// of the instances have come due (and checks that nothing falls due in the hour after), so it catches up on every
    /// reminder, overdue notice and transition of the days between — a mix, where the firing set's burst is one
    /// transition per instance — with the B-trees of ten million instances to find and rewrite their rows in. Timed
    /// as `firing` times its burst, from the first committed batch until no instance is due and every record is sent.
    /// `recordsPerSecond`, the firing rate at a smaller N, projects the time against the run's budget.
    func catchUp(n: Int, dir: String, recordsPerSecond: Double?, reserve: Double) throws -> Burst {
        let db = dbPath(dir)
        let reader = try SQLiteReader(path: db)
        let tenth = max(1, n / 10)
        guard
            let w = try reader.int(
                "SELECT next_wakeup FROM instances WHERE next_wakeup IS NOT NULL ORDER BY next_wakeup LIMIT 1 OFFSET \(tenth - 1)")
        else { throw BenchError("catch-up: fewer than \(tenth) instances have a wake-up") }
        let zone = Zone.vietnam
        let wake = zone.local(Instant(seconds: w))
        let tenOClock = 10 * 3600
        let day = wake.secondOfDay < tenOClock ? wake.date : wake.date.adding(days: 1)
        let at = zone.instant(day).adding(seconds: Int64(tenOClock))
        let due = try reader.int("SELECT count(*) FROM instances WHERE next_wakeup <= \(at.seconds)") ?? 0
        // The premise: nothing falls due in the hour after the restart, so the burst ends when the daemon caught up.
        let soon =
            try reader.int(
                "SELECT count(*) FROM instances WHERE next_wakeup > \(at.seconds) AND next_wakeup <= \(at.seconds + 3600)") ?? 0
        guard soon == 0 else { throw BenchError("catch-up: \(soon) instances fall due within an hour of \(zone.iso(at))") }
        if let rate = recordsPerSecond {
            try budget.require(
                DaemonScenarios.catchUpSeconds(due: Int(due), recordsPerSecond: rate), reserve: reserve,
                for: "the catch-up firing at N = \(n)")
        }
        if c.keep {
            // For profiling by hand: the store as it was before the catch-up, and when to start a daemon on it.
            try? FileManager.default.copyItem(atPath: "\(dir)/state", toPath: "\(dir)/state-before-catch-up")
            try? zone.iso(at).write(toFile: "\(dir)/catch-up-at", atomically: true, encoding: .utf8)
        }
        let b = try burst(dir: dir, fakeTime: zone.iso(at), until: .caughtUp(epoch: at.seconds), reserve: reserve, what: "catch-up")
        let kinds = try reader.strings(
            "SELECT kind || ' ' || count(*) FROM history WHERE seq > \(b.baseSeq) GROUP BY kind ORDER BY count(*) DESC")
        results.add(
            "3 firing", n: n, "durable records/s, catching up", b.rate, "/s",
            note: b.note(
                records: "records",
                "\(due) instances due by \(zone.iso(at)) in a store of \(n), caught up (\(kinds.joined(separator: ", ")))"),
            extra: [
                ("dueInstances", .int(Int(due))), ("records", .int(Int(b.records))), ("restartAt", .string(zone.iso(at))),
                ("windowSeconds", .double(b.window)), ("firstBatchRecords", .int(Int(b.firstBatch))),
                ("execToFirstCommitSeconds", .double(b.execToFirstCommit)), ("execToReadySeconds", .double(b.execToReady)),
                ("daemonCPUSeconds", .double(b.cpuSeconds)), ("daemonPeakRSSBytes", .int(b.peakRSS)),
            ])
        // The unit's WatchdogSec=30s, and TimeoutStartSec's default of 90 s before READY=1.
        results.add(
            "3 firing", n: n, "catching up: longest silence to the service manager", b.silence, "s",
            note: "no WATCHDOG=1, EXTEND_TIMEOUT_USEC= or READY=1 for this long, exec to the end (WatchdogSec=30s)",
            extra: [("execToReadySeconds", .double(b.execToReady))])
        return b
    }
}
