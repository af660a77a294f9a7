import Foundation
import TiendoCore

/// A binary min-heap of (instant, index): the in-memory scheduler for the step-rate scenario.
struct WakeHeap {
    var keys: [Int64] = []
    var vals: [Int32] = []
    var isEmpty: Bool { keys.isEmpty }
    mutating func push(_ k: Int64, _ v: Int32) {
        keys.append(k)
        vals.append(v)
        var i = keys.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if keys[p] <= keys[i] { break }
            keys.swapAt(p, i)
            vals.swapAt(p, i)
            i = p
        }
    }
    mutating func pop() -> (Int64, Int32)? {
        guard !keys.isEmpty else { return nil }
        let top = (keys[0], vals[0])
        let lastK = keys.removeLast()
        let lastV = vals.removeLast()
        if !keys.isEmpty {
            keys[0] = lastK
            vals[0] = lastV
            var i = 0
            let n = keys.count
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < n && keys[l] < keys[m] { m = l }
                if r < n && keys[r] < keys[m] { m = r }
                if m == i { break }
                keys.swapAt(m, i)
                vals.swapAt(m, i)
                i = m
            }
        }
        return top
    }
}

/// Scenario 6: the pure engine in process, no I/O.
final class OfflineScenarios {
    let c: Config
    let results: Results
    let definitions: [String: WorkflowDefinition]

    init(config: Config, results: Results, definitions: [String: WorkflowDefinition]) {
        c = config
        self.results = results
        self.definitions = definitions
    }

    /// Visits 0..<n in a fixed pseudo-random order (a stride coprime with n), so a time-bounded run samples every
    /// workflow of the data set, not only the first.
    static func order(_ n: Int) -> [Int] {
        guard n > 1 else { return Array(0..<n) }
        var step = 7_919
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        while gcd(step, n) != 1 { step += 2 }
        return (0..<n).map { ($0 * step) % n }
    }

    /// One step and the instance's next wake-up, inside one access to it: `nextWakeup(instances[i])` copied the
    /// whole instance out of the array at every step (a retain and a release of each of its references, most of them
    /// on objects the step itself never touches), which is the harness's cost, not the engine's.
    static func step(_ engine: Engine, _ inst: inout Instance, to t: Instant) -> (records: Int, next: Instant?) {
        let records = engine.advance(&inst, to: t).count
        return (records, engine.nextWakeup(inst))
    }

    func run(n: Int) throws {
        let zone = Zone.vietnam
        let now = zone.parseInstant(Dataset.t0Text)!
        let typed = Dataset.typed(.province, n: n, definitions: definitions, now: now)
        guard typed.count == n else { throw BenchError("typed data set has \(typed.count) rows, expected \(n)") }
        let budget = c.offlineSeconds

        // plan: every record one instance would produce if no event arrived, over two years from its start.
        var records = 0
        var planned = 0
        let t0 = Clock.now()
        let c0 = Clock.threadCPU()
        for i in OfflineScenarios.order(n) {
            let t = typed[i]
            let until = t.definition.zone.date(of: t.started).adding(days: 730)
            records += Planner.plan(t.definition, data: t.data, start: t.started, until: until).count
            planned += 1
            if planned % 1000 == 0 && Clock.now() - t0 > budget { break }
        }
        let planSeconds = Clock.now() - t0
        let planCPU = Clock.threadCPU() - c0
        results.add(
            "6 offline plan", n: n, "records/s", Double(records) / planSeconds, "/s",
            note: "\(planned == n ? "all" : "\(planned) of") \(n) instances planned, \(records) records, one thread",
            extra: [
                ("instancesPerSecond", .double(Double(planned) / planSeconds)), ("seconds", .double(planSeconds)),
                ("cpuSeconds", .double(planCPU)), ("perCPUSecond", .double(Double(records) / planCPU)),
            ])

        // Engine.advance at each instance's wake-ups, from the import instant on, in one heap-ordered loop.
        var engines: [String: Engine] = [:]
        for (id, def) in definitions { engines[id] = Engine(def) }
        var instances: [Instance] = []
        var engineOf: [Engine] = []
        instances.reserveCapacity(n)
        engineOf.reserveCapacity(n)
        let s0 = Clock.now()
        let sc0 = Clock.threadCPU()
        for t in typed {
            let e = engines[t.definition.id]!
            guard case .success(let (inst, _)) = e.start(instanceID: t.key, data: t.data, at: t.started, now: now) else {
                throw BenchError("engine.start failed for \(t.key)")
            }
            instances.append(inst)
            engineOf.append(e)
        }
        let startSeconds = Clock.now() - s0
        let startCPU = Clock.threadCPU() - sc0
        results.add(
            "6 in-memory engine", n: n, "start (with catch-up) instances/s", Double(n) / startSeconds, "/s",
            extra: [("cpuSeconds", .double(startCPU)), ("perCPUSecond", .double(Double(n) / startCPU))])

        var heap = WakeHeap()
        for (i, inst) in instances.enumerated() {
            if let w = engineOf[i].nextWakeup(inst) { heap.push(w.seconds, Int32(i)) }
        }
        // Two simulated years, or the step budget, or the time budget, whichever comes first.
        let horizon = now.seconds + 730 * 86_400
        let maxSteps = max(3 * n, 100_000)
        var steps = 0
        var stepRecords = 0
        let a0 = Clock.now()
        let ac0 = Clock.threadCPU()
        while steps < maxSteps, let (t, idx) = heap.pop(), t <= horizon {
            let i = Int(idx)
            let (records, next) = OfflineScenarios.step(engineOf[i], &instances[i], to: Instant(seconds: t))
            stepRecords += records
            steps += 1
            if let w = next { heap.push(w.seconds, idx) }
            if steps % 4096 == 0 && Clock.now() - a0 > budget { break }
        }
        let advSeconds = Clock.now() - a0
        let advCPU = Clock.threadCPU() - ac0
        let stepRate = Double(steps) / advSeconds
        results.add(
            "6 in-memory engine", n: n, "steps/s (advance at wake-ups)", stepRate, "/s", target: .atLeast(2_000_000),
            note: "\(steps) steps, \(stepRecords) records; one thread",
            extra: [
                ("recordsPerSecond", .double(Double(stepRecords) / advSeconds)), ("seconds", .double(advSeconds)),
                ("cpuSeconds", .double(advCPU)), ("perCPUSecond", .double(Double(steps) / advCPU)),
            ])

        // Event steps: the state machine dang-vien-du-bi shares with the Python `transitions` baseline.
        let dv = engines["dang-vien-du-bi"]!
        var eventSteps = 0
        let e0 = Clock.now()
        let ec0 = Clock.threadCPU()
        let at = Instant(seconds: now.seconds + 400 * 86_400)
        var k = 0
        while Clock.now() - e0 < min(budget, 10) && k < instances.count {
            defer { k += 1 }
            guard instances[k].workflow == "dang-vien-du-bi" else { continue }
            var inst = instances[k]
            _ = dv.advance(&inst, to: at)  // into cho-xet
            if case .success = dv.send(&inst, event: "bieu-quyet", data: Dataset.failedVote, at: at, actor: nil, counter: nil) {
                eventSteps += 1
            }
            if case .success = dv.send(&inst, event: "cong-nhan", data: [], at: at, actor: nil, counter: nil) { eventSteps += 1 }
        }
        let eventSeconds = Clock.now() - e0
        let eventCPU = Clock.threadCPU() - ec0
        results.add(
            "6 in-memory engine", n: n, "event steps/s (send)", Double(eventSteps) / eventSeconds, "/s",
            note: "bieu-quyet (fails 2/3) then cong-nhan, each with its advance",
            extra: [("cpuSeconds", .double(eventCPU)), ("perCPUSecond", .double(Double(eventSteps) / eventCPU))])
    }
}

/// The baselines run as separate programs: raw SQLite batched inserts (C) and Python `transitions`.
enum External {
    /// The daemon's firing batch (`DaemonOptions.batchSize`), read from its source so the ceiling batches alike.
    static func daemonBatchSize(sources: String = "Sources/TiendoDaemon/Daemon.swift") -> Int {
        guard let text = try? String(contentsOfFile: sources, encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.contains("var batchSize =") }),
            let v = Int(line.split(separator: "=").last?.trimmingCharacters(in: .whitespaces) ?? "")
        else { return 5000 }
        return v
    }

    /// Raw SQLite: N history rows of `recordBytes`, batches of `batch` per transaction, WAL, synchronous=FULL, the
    /// daemon's schema, on the same disk as the daemon's state. `mode` raw: the inserts only; daemon: the daemon's
    /// per-record row work (see tools/sqlite-ceiling.c).
    static func sqliteCeiling(
        _ c: Config, dir: String, n: Int, batch: Int, recordBytes: Int, mode: String, schema: String, synchronous: String = "FULL"
    ) throws -> Double {
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let db = "\(dir)/ceiling-\(mode).sqlite"
        for suffix in ["", "-wal", "-shm"] { unlink(db + suffix) }
        let r = try runProcess(c.ceiling, [db, String(n), String(batch), String(recordBytes), mode, schema, synchronous])
        for suffix in ["", "-wal", "-shm"] { unlink(db + suffix) }
        guard r.status == 0, let secs = Double(r.out.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw BenchError("sqlite-ceiling \(mode) failed (status \(r.status)): \(r.out.prefix(300))")
        }
        return secs
    }

    /// Steps per second of wall-clock time and, when the script reports it, per CPU second.
    static func transitions(_ c: Config, models: Int, steps: Int) throws -> (rate: Double, perCPU: Double?, version: String) {
        let r = try runProcess(c.venvPython, ["\(c.tools)/transitions_bench.py", "--models", String(models), "--steps", String(steps)])
        guard r.status == 0, let j = try? JSON.parse(r.out),
            let rate = j["stepsPerSecond"].flatMap({ v -> Double? in
                if case .double(let d) = v { return d }
                return v.intValue.map(Double.init)
            })
        else { throw BenchError("transitions_bench.py failed (status \(r.status)): \(r.out.prefix(300))") }
        let perCPU: Double? = j["stepsPerCPUSecond"].flatMap { v in
            if case .double(let d) = v { return d }
            return v.intValue.map(Double.init)
        }
        return (rate, perCPU, j["version"]?.stringValue ?? "?")
    }
}
