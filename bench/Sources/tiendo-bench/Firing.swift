import Foundation

/// Scenario 3: N records due at one instant, fired by the real daemon and timed through its state database.
extension DaemonScenarios {
    /// One burst of records as timed by `burst`.
    struct Burst {
        /// The history's last sequence number before the daemon started: the burst's records come after it.
        var baseSeq: Int64
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

        /// The result's note: the records after the first batch and the window they took, then `what` they were.
        func note(n: Int, records: String, _ what: String) -> String {
            rate.isNaN
                ? "one batch: no rate between batches"
                : "after the first batch (\(firstBatch)): \(Int64(n) - firstBatch) \(records) committed, sent and marked sent in \(String(format: "%.2f", window)) s; \(what)"
        }
    }

    /// Where the firing set of size `n` is stored, for `firing`, `reminders` and the run that removes it.
    func firingDir(_ n: Int) -> String { "\(root)/firing-\(n)" }

    /// Starts tiendod on the store in `dir` at `fakeTime` and times `n` records from the first committed batch to
    /// every record committed, sent and marked sent, by polling the state database read-only every 2 ms (commits are
    /// atomic, so the first batch seen is a whole batch). The daemon is stopped before this returns.
    func burst(dir: String, fakeTime: String, n: Int, reserve: Double, what: String) throws -> Burst {
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
        while markedAt == nil {
            let now = Clock.now()
            guard now < budget.deadline - reserve else {
                throw Skipped("\(what) not done within the run's budget: \(Int(now - d.execTime)) s after exec")
            }
            if d.process.isRunning == false { throw BenchError("\(what): tiendod \(d.exitDescription): \(counter.lastOutput)") }
            let committed = (try reader.int("SELECT max(seq) FROM history") ?? 0) - baseSeq
            if committed > 0 && firstAt == nil {
                firstAt = now
                firstBatch = committed
            }
            if committed >= Int64(n) {
                if committedAt == nil { committedAt = now }
                if try reader.int(Self.unsentSQL) == 0 { markedAt = now }
            }
            if markedAt == nil { usleep(2000) }
        }
        let ready = try d.waitReady(timeout: max(30, budget.remaining - reserve))
        _ = counter.wait(records: n, timeout: 60)
        let sent = counter.snapshot.records
        guard sent >= n else { throw BenchError("\(what): \(sent) of \(n) records reached the sink") }
        let first = firstAt!
        let done = markedAt!
        let window = done - first
        return Burst(
            baseSeq: baseSeq, rate: Int64(n) > firstBatch && window > 0 ? Double(Int64(n) - firstBatch) / window : .nan,
            firstBatch: firstBatch,
            window: window, execToFirstCommit: first - d.execTime, execToDone: done - d.execTime,
            lastCommitToMarked: done - (committedAt ?? done), execToReady: ready, cpuSeconds: ProcStatus.cpuSeconds(pid: d.pid),
            peakRSS: ProcStatus.hwm(pid: d.pid))
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
        let b = try burst(dir: dir, fakeTime: Dataset.firingRestartText, n: n, reserve: reserve, what: "firing")
        let reader = try SQLiteReader(path: db)
        let recordBytes = Int(try reader.int("SELECT CAST(avg(length(record)) AS INTEGER) FROM history WHERE seq > \(b.baseSeq)") ?? 400)
        results.add(
            firingLabel, n: n, firingMetric, b.rate, "/s", target: firingLabel == "3 firing" ? Target.atLeast(200_000) : nil,
            note: b.note(n: n, records: "records", "one transition record per instance"),
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

        // The daemon's schema, for the raw SQLite ceiling on the same tables and indexes.
        let schema = "\(root)/schema.sql"
        let ddl = try reader.strings("SELECT sql || ';' FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'")
        try (ddl.joined(separator: "\n") + "\n").write(toFile: schema, atomically: true, encoding: .utf8)
        return (b.rate, recordBytes, schema, importSeconds)
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
        let r = try burst(dir: dir, fakeTime: Dataset.firingReminderRestartText, n: n, reserve: reserve, what: "reminders")
        // Exactly one reminder per member: a second record per instance would have ended the timing early.
        let all = try reader.int("SELECT count(*) FROM history WHERE seq > \(r.baseSeq)") ?? 0
        let reminders = try reader.int("SELECT count(*) FROM history WHERE seq > \(r.baseSeq) AND kind = 'reminder'") ?? 0
        guard all == n && reminders == n else {
            throw BenchError("reminders: \(all) records, \(reminders) of them reminders, for \(n) members")
        }
        results.add(
            "3 firing", n: n, "durable reminder records/s", r.rate, "/s",
            note: r.note(n: n, records: "reminder records", "the marks and the next wake-up change, not the state"),
            extra: [
                ("windowSeconds", .double(r.window)), ("firstBatchRecords", .int(Int(r.firstBatch))),
                ("daemonCPUSeconds", .double(r.cpuSeconds)), ("execToReadySeconds", .double(r.execToReady)),
            ])
    }
}
