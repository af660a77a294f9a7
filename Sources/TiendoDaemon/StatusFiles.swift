import Foundation
public import TiendoCore

/// The daemon's state for people and machines: status files (interfaces §7), the summary line of `STATUS=` and the
/// Prometheus text.
extension Daemon {
    public func summaries(now: Instant, groups: Bool = true) throws -> Views.Summaries { try views.summaries(now: now, groups: groups) }

    /// `12 quy trình, 1.083 hồ sơ, 3 quá hạn`
    public func summaryLine(instances: Int, overdue: Int) -> String {
        "\(current.count) quy trình, \(Daemon.thousands(instances)) hồ sơ, \(Daemon.thousands(overdue)) quá hạn"
    }

    static func thousands(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(".") }
            out.append(c)
        }
        return String(out.reversed())
    }

    /// Writes the status files when something changed (the loop throttles to once a second).
    @discardableResult
    public func writeStatus(now: Instant) -> Views.Summaries? {
        do {
            let s = try views.summaries(now: now)
            let v = views
            let status = v.statusJSON(now: now, summaries: s)
            var perWorkflow: [(String, JSON)] = []
            for w in s.workflows {
                guard let id = w["id"]?.stringValue else { continue }
                let groupJSON = JSON.object(
                    (s.groups[id] ?? []).map { g in
                        (
                            g.counts.name,
                            .object([
                                ("instances", .int(g.counts.instances)), ("states", .object(g.counts.states.map { ($0.0, .int($0.1)) })),
                                ("overdue", .int(g.overdue)),
                            ])
                        )
                    })
                let overdue = try store.dueItems(until: now, workflow: id, group: nil, limit: 1000).map { v.dueItemJSON($0, now: now) }
                let upcoming = try store.dueItems(after: now, until: now.adding(seconds: 7 * 86_400), workflow: id, group: nil, limit: 1000)
                    .map { v.dueItemJSON($0, now: now) }
                perWorkflow.append(
                    (
                        id,
                        .object([
                            ("version", .int(1)), ("workflow", w), ("groups", groupJSON), ("overdue", .array(overdue)),
                            ("upcoming", .array(Array(upcoming))),
                        ])
                    ))
            }
            let deliveries = try store.deliveryCounts()
            try statusWriter.write(
                status: .object([
                    ("version", .int(1)), ("daemon", status), ("workflows", .array(s.workflows)),
                    ("deliveries", deliveryStatus(deliveries)),
                ]), workflows: perWorkflow, prometheus: prometheus(s.workflows, now: now) + deliveryMetrics(deliveries, now: now))
            statusDirty = false
            return s
        } catch {
            log.error("Không ghi được tệp trạng thái trong \(options.runtimeDirectory): \(error)")
            return nil
        }
    }

    func prometheus(_ workflows: [JSON], now: Instant) -> String {
        var out = "# HELP tiendo_instances Instances by workflow and state.\n# TYPE tiendo_instances gauge\n"
        for w in workflows {
            let id = w["id"]?.stringValue ?? ""
            for (state, n) in w["states"]?.objectValue ?? [] {
                out += "tiendo_instances{workflow=\"\(id)\",state=\"\(state)\"} \(n.intValue ?? 0)\n"
            }
            if (w["states"]?.objectValue ?? []).isEmpty {
                out += "tiendo_instances{workflow=\"\(id)\",state=\"\"} \(w["instances"]?.intValue ?? 0)\n"
            }
        }
        out += "# HELP tiendo_overdue_instances Instances with at least one overdue item.\n# TYPE tiendo_overdue_instances gauge\n"
        for w in workflows {
            out += "tiendo_overdue_instances{workflow=\"\(w["id"]?.stringValue ?? "")\"} \(w["overdue"]?.intValue ?? 0)\n"
        }
        out += "# HELP tiendo_provisional_deadlines Open deadlines whose due depends on a projected calendar year.\n"
        out += "# TYPE tiendo_provisional_deadlines gauge\n"
        for w in workflows {
            out += "tiendo_provisional_deadlines{workflow=\"\(w["id"]?.stringValue ?? "")\"} \(w["provisional"]?.intValue ?? 0)\n"
        }
        // Overdue age histogram over open overdue items.
        let bounds: [Int64] = [86_400, 3 * 86_400, 7 * 86_400, 30 * 86_400, 90 * 86_400]
        let ages = (try? store.overdueAges(now: now, bounds: bounds)) ?? (0, 0, bounds.map { _ in 0 })
        let (count, sum, buckets) = ages
        out += "# HELP tiendo_overdue_age_seconds Age of open overdue items.\n# TYPE tiendo_overdue_age_seconds histogram\n"
        for (bi, b) in bounds.enumerated() { out += "tiendo_overdue_age_seconds_bucket{le=\"\(b)\"} \(buckets[bi])\n" }
        out +=
            "tiendo_overdue_age_seconds_bucket{le=\"+Inf\"} \(count)\ntiendo_overdue_age_seconds_sum \(sum)\ntiendo_overdue_age_seconds_count \(count)\n"
        out +=
            "# HELP tiendo_records_sent_total Records sent since the daemon started, by kind.\n# TYPE tiendo_records_sent_total counter\n"
        for k in Record.Kind.allCases { out += "tiendo_records_sent_total{kind=\"\(k.rawValue)\"} \(recordsSent[k] ?? 0)\n" }
        let next = (try? store.nextWakeup()).flatMap { $0 }
        out +=
            "# HELP tiendo_next_wakeup_seconds Seconds until the next scheduled wake-up (-1: none).\n# TYPE tiendo_next_wakeup_seconds gauge\n"
        out += "tiendo_next_wakeup_seconds \(next.map { max(0, $0.seconds - now.seconds) } ?? -1)\n"
        return out
    }
}
