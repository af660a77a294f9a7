// tiendo-bench: the benchmarks of issue 7. See docs/performance.md for the method and bench/README.md for use.
import Foundation
import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

let config: Config
do {
    config = try Config.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}

let results = Results()
installInterruptHandler()
let startedAt = Date()
let wall0 = Clock.now()

// MARK: Machine facts

func firstLine(_ s: String) -> String { s.split(separator: "\n").first.map(String.init) ?? "" }

func machineFacts(_ c: Config) -> [(String, JSON)] {
    var f: [(String, JSON)] = []
    f.append(("nproc", .int(ProcessInfo.processInfo.activeProcessorCount)))
    let mem =
        (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)).flatMap { t in
            t.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
        }.map { String($0.dropFirst(9)).trimmingCharacters(in: .whitespaces) } ?? "?"
    f.append(("memTotal", .string(mem)))
    let cpu =
        (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)).flatMap { t in
            t.split(separator: "\n").first { $0.hasPrefix("model name") }
        }.map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "?"
    f.append(("cpuModel", .string(cpu)))
    f.append(("kernel", .string(firstLine((try? runProcess("/bin/uname", ["-r"]).out) ?? "?"))))
    // The disk the state directories are on.
    let df = (try? runProcess("/bin/df", ["-hT", c.work]).out) ?? ""
    let dfLine = df.split(separator: "\n").dropFirst().first.map(String.init) ?? "?"
    f.append(("disk", .string(dfLine.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " "))))
    let dev = dfLine.split(separator: " ").first.map { String($0).replacingOccurrences(of: "/dev/", with: "") } ?? ""
    if let rot = try? String(contentsOfFile: "/sys/block/\(dev)/queue/rotational", encoding: .utf8) {
        f.append(("diskRotational", .string(rot.trimmingCharacters(in: .whitespacesAndNewlines))))
    }
    if let swift = which("swift") { f.append(("swift", .string(firstLine((try? runProcess(swift, ["--version"]).out) ?? "?")))) }
    f.append(
        (
            "sqlite",
            .string(
                firstLine((try? runProcess("/usr/bin/sqlite3", ["--version"]).out) ?? "?").split(separator: " ").first.map(String.init)
                    ?? "?")
        ))
    if let remind = which("remind") {
        _ = remind
        f.append(("remind", .string((try? runProcess("/usr/bin/dpkg-query", ["-W", "-f", "${Version}", "remind"]).out) ?? "?")))
    }
    let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
    f.append(("loadAverageAtStart", .string(load)))
    f.append(("tiendod", .string(c.tiendod)))
    // Which source the measured daemon was built from: the checkout its .build directory belongs to.
    let binary = URL(fileURLWithPath: c.tiendod).standardizedFileURL.path
    if let r = binary.range(of: "/.build") {
        let checkout = String(binary[..<r.lowerBound])
        let commit =
            (try? runProcess("/usr/bin/git", ["-C", checkout, "log", "-1", "--format=%h %s"]).out)?.trimmingCharacters(
                in: .whitespacesAndNewlines) ?? "?"
        let dirty =
            (try? runProcess("/usr/bin/git", ["-C", checkout, "status", "--porcelain", "--untracked-files=no", "Sources", "Package.swift"])
                .out) ?? ""
        f.append(("tiendodCommit", .string(commit)))
        f.append(
            (
                "tiendodSourcesModified",
                .string(
                    dirty.isEmpty
                        ? "no" : dirty.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
            ))
    }
    f.append(("workDirectory", .string(c.work)))
    return f
}

results.facts = machineFacts(config)
log(
    "mode \(config.mode), sizes \(config.sizes.map(sizeLabel).joined(separator: ", ")); machine: \(results.facts.map { "\($0.0)=\($0.1.stringValue ?? $0.1.serialized())" }.joined(separator: "; "))"
)

// MARK: Set-up

guard access(config.tiendod, X_OK) == 0 else {
    log("no tiendod at \(config.tiendod): build it with `swift build -c release` first")
    exit(2)
}
var template = Array("\(config.work)/issue7-bench.XXXXXX".utf8CString)
guard let rootPtr = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
    log("mkdtemp in \(config.work) failed")
    exit(2)
}
let root = String(cString: rootPtr)
log("work directory \(root)")

// The workflows measured: the shipped ones and the archived election of 2026, which the province data set holds
// (its fake clock, November 2025, is in the election's countdown). A directory of their own, so the checkout stays
// as it is.
let benchWorkflows = "\(root)/workflows"
do {
    let dir = benchWorkflows
    try FileManager.default.createDirectory(atPath: dir + "/calendars", withIntermediateDirectories: true)
    let source = config.workflows as NSString
    let files = try FileManager.default.contentsOfDirectory(atPath: config.workflows).filter { $0.hasSuffix(".yaml") }
    for f in files { try FileManager.default.copyItem(atPath: source.appendingPathComponent(f), toPath: "\(dir)/\(f)") }
    for f in try FileManager.default.contentsOfDirectory(atPath: source.appendingPathComponent("calendars")) {
        try FileManager.default.copyItem(atPath: source.appendingPathComponent("calendars/\(f)"), toPath: "\(dir)/calendars/\(f)")
    }
    let election = "archive/\(Dataset.election).yaml"
    if FileManager.default.fileExists(atPath: source.appendingPathComponent(election)) {
        try FileManager.default.copyItem(atPath: source.appendingPathComponent(election), toPath: "\(dir)/\(Dataset.election).yaml")
    }
} catch {
    log("cannot assemble the workflows from \(config.workflows): \(error)")
    exit(2)
}
let loaded = Loader(searchPath: [benchWorkflows]).loadAll()
guard !loaded.workflows.isEmpty, loaded.errors.isEmpty else {
    log("workflows in \(benchWorkflows) do not load: \(loaded.errors.map(\.description).joined(separator: "; "))")
    exit(2)
}
let definitions = loaded.workflows

let budget = Budget(seconds: config.budgetSeconds)
var daemonConfig = config
daemonConfig.workflows = benchWorkflows
let daemon = DaemonScenarios(config: daemonConfig, results: results, root: root, budget: budget)
let delivery = DeliveryScenarios(config: daemonConfig, results: results, root: root, budget: budget)
let offline = OfflineScenarios(config: config, results: results, definitions: definitions)
var remind: RemindComparison?
if config.wants("remind") || config.wants("latency") {
    if let r = which("remind") {
        remind = RemindComparison(remind: r, definitions: definitions)
    } else {
        results.failures.append(("4 vs Remind", "remind is not installed (apt-get install remind)"))
    }
}

/// Writes what has been measured so far (`"complete": false`), so an interrupted run still leaves its numbers.
@MainActor func checkpoint() {
    try? FileManager.default.createDirectory(atPath: (config.out as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try? results.write(
        to: config.out, mode: config.mode, sizes: config.sizes, started: startedAt, elapsed: Clock.now() - wall0, complete: false)
}

@MainActor func attempt(_ name: String, _ body: () throws -> Void) {
    defer { checkpoint() }
    log("── \(name)")
    results.attempt(name, body)
}

@MainActor func removeTree(_ path: String) {
    if !config.keep { try? FileManager.default.removeItem(atPath: path) }
}

// MARK: Scenarios

/// The raw SQLite baselines of the firing target, in C on the same disk: `records` inserts of `recordBytes` in the
/// daemon's batches (the fsync of each commit as the daemon does, and without), and the daemon's SQL per fired
/// instance (without the firing at the nation's size: its store is not the C program's); each divides `rate`.
@MainActor func ceilings(n: Int, records: Int, recordBytes: Int, schema: String, rate: Double, catchingUp: Bool = false) throws {
    let batch = External.daemonBatchSize()
    func run(_ mode: String, synchronous: String = "FULL") throws -> Double {
        let seconds = try External.sqliteCeiling(
            config, dir: "\(root)/ceiling", n: records, batch: batch, recordBytes: recordBytes, mode: mode, schema: schema,
            synchronous: synchronous)
        return Double(records) / seconds
    }
    let rawRate = try run("raw")
    let sameRate = catchingUp ? nil : try run("daemon")
    let rawNormal = try run("raw", synchronous: "NORMAL")
    results.add(
        "3 vs raw SQLite", n: n, "raw batched inserts/s", rawRate, "/s",
        note: "C, WAL, synchronous=FULL, \(records) rows of \(recordBytes) B, \(batch) per transaction, daemon's schema, same disk")
    if let sameRate {
        results.add(
            "3 vs raw SQLite", n: n, "same row work in C, records/s", sameRate, "/s",
            note: "the daemon's SQL per fired instance (row update, due item, history row, sent watermark), no Swift")
    }
    results.add(
        "3 vs raw SQLite", n: n, "raw batched inserts/s, synchronous=NORMAL", rawNormal, "/s",
        note: "what the WAL fsync of every commit costs on this disk")
    if catchingUp {
        // For information: the target is stated for the firing set's burst at 10^6.
        results.add("3 vs raw SQLite", n: n, "catching up ÷ raw inserts", rate / rawRate, "x")
    } else {
        results.add("3 vs raw SQLite", n: n, "firing ÷ raw inserts", rate / rawRate, "x", target: .atLeast(1.0 / 3.0))
    }
    if let sameRate { results.add("3 vs raw SQLite", n: n, "firing ÷ same row work in C", rate / sameRate, "x") }
}

let daemonScenarios = ["import", "coldstart", "latency", "remind", "sendevent", "idle", "web"]
if daemonScenarios.contains(where: config.wants) {
    attempt("2 cold start, empty") { try daemon.baseline() }
}
var stepRate: [Int: Double] = [:]
var firingRate: [Int: Double] = [:]
var eventRate: [Int: Double] = [:]
/// Seconds kept for what comes after a phase: the transitions baseline, and the offline scenarios of larger sizes.
func reserve(after n: Int) -> Double {
    let later = config.sizes.filter { $0 > n && $0 < config.nationSize }
    let offline = config.wants("offline") ? later.reduce(0.0) { $0 + 3 * config.offlineSeconds + 20 * Double($1) / 1e6 } : 0
    return (config.wants("transitions") ? 40 : 0) * (config.mode == "quick" ? 0.1 : 1) + offline
}
for n in config.sizes {
    let nation = n >= config.nationSize
    if nation {
        let why = "at \(sizeLabel(n)) the in-process engine is not measured (Config.nationSize says why)"
        if config.wants("offline") { results.skipped.append(("6 offline N=\(sizeLabel(n))", why)) }
    }
    // In-process first: bounded in time, so it always fits.
    if config.wants("offline") && !nation {
        attempt("6 offline N=\(sizeLabel(n))") {
            try offline.run(n: n)
            stepRate[n] = results.value("6 in-memory engine", n: n, "steps/s (advance at wake-ups)")
            eventRate[n] = results.value("6 in-memory engine", n: n, "event steps/s (send)")
        }
    }
    let dir = "\(root)/province-\(n)"
    /// At the nation's size the firing is the daemon catching up on the imported store (`catchUp`); the quick run
    /// does that too at its largest size, so that every scenario runs there.
    let catchUp = (nation || (config.mode == "quick" && n == config.sizes.max())) && config.wants("firing")
    /// What the firing after the import is projected to need: the firing set's import and burst, or the catch-up.
    func firingReserve() -> Double {
        guard config.wants("firing") else { return 0 }
        guard nation else { return daemon.projectedFiring(n) ?? 0 }
        // A tenth of the store comes due (`catchUp`).
        return firingRate.values.min().map { DaemonScenarios.catchUpSeconds(due: n / 10, recordsPerSecond: $0) } ?? 0
    }
    if daemonScenarios.contains(where: config.wants) || catchUp {
        var imported = false
        attempt("1 import N=\(sizeLabel(n))") {
            // The firing phase comes after: keep what it is projected to need.
            let keep = reserve(after: n) + firingReserve()
            if let p = daemon.projectedImport(.province, n) { try budget.require(p, reserve: keep, for: "the import at N = \(n)") }
            try daemon.importDataset(.province, n: n, dir: dir, record: true, reserve: keep)
            imported = true
        }
        if imported && daemonScenarios.dropFirst().contains(where: config.wants) {
            attempt("2 cold start N=\(sizeLabel(n))") {
                try daemon.running(n: n, dir: dir, remind: remind, reserve: reserve(after: n) + firingReserve())
            }
        }
        // Last on this store: it fires a tenth of it.
        if imported && catchUp {
            attempt("3 firing, catching up N=\(sizeLabel(n))") {
                let b = try daemon.catchUp(
                    n: n, dir: dir, recordsPerSecond: firingRate.values.min(), reserve: reserve(after: n))
                guard config.wants("ceiling") else { return }
                let reader = try SQLiteReader(path: daemon.dbPath(dir))
                try ceilings(
                    n: n, records: Int(b.records), recordBytes: try daemon.meanRecordBytes(reader, after: b.baseSeq),
                    schema: try daemon.schemaFile(reader), rate: b.rate, catchingUp: true)
            }
        }
        removeTree(dir)
    }
    if config.wants("firing") && !nation {
        attempt("3 firing N=\(sizeLabel(n))") {
            defer { removeTree(daemon.firingDir(n)) }
            let t0 = Clock.now()
            let (rate, recordBytes, schema, importSeconds) = try daemon.firing(n: n, reserve: reserve(after: n))
            firingRate[n] = rate
            // For the next size's projection: the firing and the ceilings, without the import.
            defer { daemon.firingTimes.append((n, Clock.now() - t0 - importSeconds)) }
            attempt("3 firing reminders N=\(sizeLabel(n))") { try daemon.reminders(n: n, reserve: reserve(after: n)) }
            guard config.wants("ceiling") else { return }
            try ceilings(n: n, records: n, recordBytes: recordBytes, schema: schema, rate: rate)
        }
    }
}
if config.wants("delivery") {
    // The firing again with every record routed, at the largest N up to 10^5 (several batches, so a rate between
    // them; the cost per record does not depend on N), and messages per second to each kind of channel.
    if let n = config.sizes.filter({ $0 <= 100_000 }).max() {
        attempt("8 delivery: firing with routes N=\(sizeLabel(n))") {
            try delivery.firingWithRoutes(n: n, reserve: reserve(after: n), without: firingRate[n])
        }
    }
    for kind in ["smtp", "webhook"] {
        attempt("8 delivery: \(kind)") { try delivery.sending(kind, messages: config.deliveryMessages) }
    }
}
if config.wants("transitions") {
    attempt("6 vs Python transitions") {
        let models = min(config.sizes.max() ?? 10_000, 100_000)
        let steps = config.transitionsSteps
        let (rate, perCPU, version) = try External.transitions(config, models: models, steps: steps)
        results.add(
            "6 vs transitions", n: nil, "Python transitions steps/s", rate, "/s",
            note: "transitions \(version): dang-vien-du-bi's states and events, \(models) models, \(steps) steps",
            extra: perCPU.map { [("perCPUSecond", .double($0))] } ?? [])
        // Per CPU second as well: on a shared machine the two programs rarely get the same share of a core.
        @MainActor func cpuRatio(_ n: Int, _ metric: String) -> [(String, JSON)] {
            guard let perCPU, let engine = results.detail("6 in-memory engine", n: n, metric, "perCPUSecond") else { return [] }
            return [("perCPUSecondRatio", .double(engine / perCPU))]
        }
        if let n = stepRate.keys.max(), let s = stepRate[n] {
            results.add(
                "6 vs transitions", n: n, "engine advance ÷ transitions", s / rate, "x", target: .atLeast(25),
                extra: cpuRatio(n, "steps/s (advance at wake-ups)"))
        }
        if let n = eventRate.keys.max(), let e = eventRate[n] {
            results.add("6 vs transitions", n: n, "engine send ÷ transitions", e / rate, "x", extra: cpuRatio(n, "event steps/s (send)"))
        }
    }
}

// MARK: Report

let elapsed = Clock.now() - wall0
results.facts.append(
    (
        "loadAverageAtEnd",
        .string((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?")
    ))
print("")
print(results.table())
let met = results.items.compactMap(\.verdict)
print(
    "targets (stated at N = 10^6; the idle one at every N): \(met.filter { $0 }.count) met, \(met.filter { !$0 }.count) missed; "
        + "(yes)/(no): the same bound at a smaller N, for information")
do {
    try FileManager.default.createDirectory(atPath: (config.out as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try results.write(to: config.out, mode: config.mode, sizes: config.sizes, started: startedAt, elapsed: elapsed, complete: true)
    print("results: \(config.out)")
} catch {
    log("cannot write \(config.out): \(error)")
    results.failures.append(("results.json", "\(error)"))
}
removeTree(root)
print(
    "scenarios: \(results.passed.count) passed, \(results.failures.count) failed, \(results.skipped.count) skipped (\(String(format: "%.0f", elapsed)) s)"
)
for (name, error) in results.failures { print("  FAILED \(name): \(error)") }
for (name, reason) in results.skipped { print("  skipped \(name): \(reason)") }
exit(results.failures.isEmpty ? 0 : 1)
