import Foundation

/// What to run, from the command line.
struct Config {
    var mode = "full"
    /// Every scenario at 10^4 … 10^6; the nation (10^7, about one instance per Party member and obligation) for the
    /// scenarios that say something new at that size: see `nationSize`.
    var sizes: [Int] = [10_000, 100_000, 300_000, 1_000_000, 10_000_000]
    /// From this size on, the in-process engine is not measured: it would need the whole population as Swift objects
    /// (≈ 10 GB at 10^7) to say what 10^6 already says (its rate per step does not depend on N past the caches), and
    /// is recorded as skipped with this reason. The firing there does not import a second store for the firing set
    /// (another 30–50 minutes): the daemon catches up on a tenth of the imported store instead (`catchUp`).
    var nationSize = 5_000_000
    var tiendod = ".build/release/tiendod"
    var deliver = ".build/release/tiendo-deliver"
    /// Messages sent per channel by the delivery scenario.
    var deliveryMessages = 5000
    var tiendoWeb = ".build/release/tiendo-web"
    var workflows = "Workflows"
    var work = "/tmp"
    var out = "bench/results.json"
    var venvPython = ".venv-bench/bin/python"
    var tools = "bench/tools"
    var ceiling = ".build-bench/sqlite-ceiling"
    var keep = false
    /// Seconds of each latency or throughput loop (per N and per configuration).
    var loopSeconds = 6.0
    /// Each SendEvent run (1 client, 16 clients): long enough to include the status-file writes that mutations
    /// trigger, which the daemon spaces out to ~5 % of its time.
    var sendEventSeconds = 15.0
    /// Seconds of the idle window at the largest N (shorter at the others).
    var idleSeconds = 60.0
    var idleSecondsSmall = 15.0
    /// Quiet time before the idle window.
    var idleSettleSeconds = 10.0
    /// Idle window of a daemon no one has called yet.
    var neverQueriedSeconds = 10.0
    /// Time bound of each in-process measurement (plan, steps, events).
    var offlineSeconds = 30.0
    var remindRuns = 3
    var transitionsSteps = 1_000_000
    /// The whole run's budget: a phase projected not to fit is skipped (and said so), and waits are bounded by it.
    /// About 25 minutes up to 10^6 and 35 for the import and the running daemon at 10^7.
    var budgetSeconds = 100.0 * 60
    /// Scenario names to run (all when empty).
    var only: Set<String> = []
    /// Rows per `ImportInstances` call.
    var importBatch = 5000
    /// One import per workflow, staged in calls under an `importID` and committed by the last (as `tiendoctl
    /// import` and the web page send a file: a bulk load from 20,000 rows), instead of each call its own import (the
    /// method of every full run so far, kept as the default so that runs compare; a 10^7 import in one transaction
    /// is not measured yet).
    var importStaged = false

    var watchdogUSec = 30_000_000  // tiendod.service: WatchdogSec=30s

    static let usage = """
        usage: tiendo-bench [--quick] [--sizes 10000,100000,300000,1000000,10000000] [--tiendod PATH] [--deliver PATH] [--tiendo-web PATH]
                            [--workflows DIR] [--work DIR] [--out FILE] [--python PATH] [--tools DIR] [--ceiling PATH]
                            [--only a,b,c] [--keep] [--budget-minutes M] [--loop-seconds S] [--idle-seconds S]
                            [--delivery-messages M] [--nation-from N] [--import-staged]
        Scenarios: import, coldstart, firing, latency, remind, sendevent, offline, idle, ceiling, transitions, delivery, web
        """

    static func parse(_ args: [String]) throws -> Config {
        var c = Config()
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < args.count else { throw BenchError("missing value after \(args[i - 1])\n\(usage)") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--quick":
                c.mode = "quick"
                c.sizes = [1000, 20000]
                c.loopSeconds = 0.5
                c.sendEventSeconds = 1
                c.idleSeconds = 2
                c.idleSecondsSmall = 1
                c.idleSettleSeconds = 1.5
                c.neverQueriedSeconds = 1
                c.offlineSeconds = 1
                c.remindRuns = 1
                c.transitionsSteps = 20_000
                c.budgetSeconds = 300  // a safety net only: at small N every scenario runs
                c.nationSize = Int.max
                c.out = "bench/out/results-quick.json"
                c.deliveryMessages = 500
            case "--sizes":
                c.sizes = try value().split(separator: ",").map { s in
                    guard let v = Double(s), v >= 1 else { throw BenchError("bad size \(s)") }
                    return Int(v)
                }
            case "--tiendod": c.tiendod = try value()
            case "--deliver": c.deliver = try value()
            case "--delivery-messages": c.deliveryMessages = Int(try value()) ?? c.deliveryMessages
            case "--tiendo-web": c.tiendoWeb = try value()
            case "--workflows": c.workflows = try value()
            case "--work": c.work = try value()
            case "--out": c.out = try value()
            case "--python": c.venvPython = try value()
            case "--tools": c.tools = try value()
            case "--ceiling": c.ceiling = try value()
            case "--loop-seconds": c.loopSeconds = Double(try value()) ?? c.loopSeconds
            case "--idle-seconds": c.idleSeconds = Double(try value()) ?? c.idleSeconds
            case "--budget-minutes": c.budgetSeconds = 60 * (Double(try value()) ?? c.budgetSeconds / 60)
            case "--only": c.only = Set(try value().split(separator: ",").map(String.init))
            case "--keep": c.keep = true
            case "--import-staged": c.importStaged = true
            case "--nation-from": c.nationSize = Int(Double(try value()) ?? Double(c.nationSize))
            case "-h", "--help":
                print(usage)
                exit(0)
            default: throw BenchError("unknown argument \(args[i])\n\(usage)")
            }
            i += 1
        }
        return c
    }

    func wants(_ scenario: String) -> Bool { only.isEmpty || only.contains(scenario) }
}
