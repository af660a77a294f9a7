import Foundation
public import TiendoCore
import TiendoDelivery
import TiendoStore
import TiendoVarlink

/// The daemon's state for people and machines: status files (interfaces §7), the summary line of `STATUS=` and the
/// Prometheus text.
extension Daemon {
    public func summaries(now: Instant, groups: Bool = true) throws -> Views.Summaries { try views.summaries(now: now, groups: groups) }

    /// `12 quy trình, 1.083 hồ sơ, 3 quá hạn`
    public func summaryLine(instances: Int, overdue: Int) -> String {
        "\(current.count) quy trình, \(Daemon.thousands(instances)) hồ sơ, \(Daemon.thousands(overdue)) quá hạn"
    }

    static func thousands(_ n: Int) -> String { Messages.count(n) }

    /// What the status files are made from, taken on the loop thread: the rest (reading the store's summaries,
    /// building the JSON and the Prometheus text) needs no loop state and can run on `StatusPublisher`'s thread.
    func statusSnapshot(now: Instant) -> StatusSnapshot {
        StatusSnapshot(
            views: views, now: now, recordsSent: recordsSent, routedChannels: delivery.routing?.channelOrder ?? [])
    }

    /// When what status files written at `now` say changes with time alone: the next local midnight (days left, what
    /// is due within 7 days, a date due that has passed) or the next item due at an instant (17:00), whichever comes
    /// first. The loop wakes then and writes them again: without it, status.json and tiendo.prom said «0 quá hạn» for
    /// a case overdue since midnight until the next reminder at 08:00 (audit, 07/12/2026). Once a day at most when
    /// nothing else is due (overdue items age by the day); never when nothing is due at all: then nothing the files
    /// say changes by itself, and an idle daemon woke at every midnight for nothing (audit, 07/12/2026).
    func statusHorizon(after now: Instant) -> Instant? {
        // Before the index is built (the first write at start), an empty store says the same.
        let nothingDue = store.dueIndex?.count.map { $0 == 0 } ?? ((try? store.hasInstances()) == false)
        if nothingDue { return nil }
        let midnight = Zone.vietnam.endOfDay(Zone.vietnam.date(of: now))
        guard let next = store.dueIndex?.nextDueEnd(after: now.seconds), next < midnight.seconds else { return midnight }
        return Instant(seconds: next)
    }

    /// Writes the status files now, on the calling thread, after any write still running on the publisher's
    /// (start-up, reload, stop, tests); nil when they could not be written (the reason is logged).
    @discardableResult
    public func writeStatus(now: Instant) -> Views.Summaries? {
        statusDirty = false
        return summaries(of: statusPublisher.writeNow(statusSnapshot(now: now)))
    }

    /// Takes in the outcome of a status write: its summaries, or its error logged (once per run of failures with
    /// the same reason) and the files marked for another try (nil as well for a write skipped because newer files
    /// were written). At the same pace (at most once a second while the daemon works), the store's checkpoints that
    /// began or stopped failing are logged: one line when a run of failures begins, one when it ends.
    func summaries(of outcome: StatusPublisher.Outcome) -> Views.Summaries? {
        for news in store.takeCheckpointNews() {
            switch news {
            case .failed(let reason):
                log.warning(
                    "Không sao chép được tệp WAL (tiendo.sqlite-wal) vào cơ sở dữ liệu trong \(options.stateDirectory): \(reason). Các thay đổi đã lưu vẫn còn trong tệp WAL, nhưng tệp này sẽ lớn dần nếu lỗi kéo dài — hãy kiểm tra dung lượng đĩa và quyền ghi của thư mục.",
                    metadata: .event(.lifecycle))
            case .recovered:
                log.notice(
                    "Đã sao chép lại được tệp WAL vào cơ sở dữ liệu trong \(options.stateDirectory); hết lỗi.", metadata: .event(.lifecycle)
                )
            }
        }
        switch outcome.result {
        case nil: return nil
        case .success(let s):
            if statusWriteFailure != nil {
                statusWriteFailure = nil
                log.notice("Đã ghi lại được tệp trạng thái trong \(options.runtimeDirectory); hết lỗi.")
            }
            return s
        case .failure(let error):
            statusDirty = true
            // The files themselves (StatusWriteError names one), or the store they are made from.
            let reason =
                error is StatusWriteError
                ? "\(error)" : "không đọc được dữ liệu từ cơ sở dữ liệu (\(Store.describe(error)))"
            if reason != statusWriteFailure {
                log.error(
                    "Không ghi được tệp trạng thái trong \(options.runtimeDirectory): \(reason). tiendod tự thử lại sau vài giây; lỗi này không được ghi lại nữa cho đến khi lý do đổi hoặc ghi lại được."
                )
            }
            statusWriteFailure = reason
            return nil
        }
    }
}

/// The inputs of one write of the status files (`Daemon.statusSnapshot`), and the files made from them. `Sendable`:
/// built on the loop thread, rendered on `StatusPublisher`'s; what it reads of the store goes through the read pool.
struct StatusSnapshot: Sendable {
    let views: Views
    let now: Instant
    let recordsSent: [Record.Kind: Int]
    /// The channels of the routing file in force (listed in the metrics even before their first delivery).
    let routedChannels: [String]

    var store: Store { views.store }

    /// The files' contents, and the summaries they were made from, all read in one snapshot of the store: the
    /// counts, the lists of due items and the metrics agree with each other (the lists, from the due index in memory,
    /// at most one commit apart: `StatusPublisher`). The JSON is built after the read
    /// transaction ends (a reader held open keeps the WAL from being reset).
    func render() throws -> (status: JSON, workflows: [(String, JSON)], prometheus: String, summaries: Views.Summaries) {
        let v = views
        let (s, due, deliveries, ages) = try store.snapshot { snapshot in
            let s = try v.summaries(snapshot, now: now, groups: true)
            let due = try snapshot.dueLists(
                workflows: s.workflows.compactMap { $0["id"]?.stringValue }, now: now, soon: Views.weekAhead(of: now), limit: 1000)
            let deliveries = try snapshot.deliveryCounts()
            let ages = try snapshot.overdueAges(now: now, bounds: StatusSnapshot.overdueAgeBounds)
            return (s, due, deliveries, ages)
        }
        let status = v.statusJSON(now: now, summaries: s)
        var perWorkflow: [(String, JSON)] = []
        for w in s.workflows {
            guard let id = w["id"]?.stringValue, let items = due[id] else { continue }
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
            perWorkflow.append(
                (
                    id,
                    .object([
                        ("version", .int(1)), ("workflow", w), ("groups", groupJSON),
                        ("overdue", .array(items.overdue.map { v.dueItemJSON($0, now: now) })),
                        ("upcoming", .array(items.upcoming.map { v.dueItemJSON($0, now: now) })),
                    ])
                ))
        }
        return (
            .object([
                ("version", .int(1)), ("daemon", status), ("workflows", .array(s.workflows)),
                ("deliveries", deliveryStatus(deliveries)),
            ]), perWorkflow, prometheus(s, ages: ages) + deliveryMetrics(deliveries), s
        )
    }

    /// The buckets of `tiendo_overdue_age_seconds`: a day, three, a week, a month, a quarter.
    static let overdueAgeBounds: [Int64] = [86_400, 3 * 86_400, 7 * 86_400, 30 * 86_400, 90 * 86_400]

    func prometheus(_ s: Views.Summaries, ages: OverdueAges) -> String {
        let workflows = s.workflows
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
        out += "# HELP tiendo_overdue_items Open overdue items (deadlines and occurrences) by workflow.\n"
        out += "# TYPE tiendo_overdue_items gauge\n"
        for w in workflows {
            let id = w["id"]?.stringValue ?? ""
            out += "tiendo_overdue_items{workflow=\"\(id)\"} \(ages.byWorkflow[id] ?? 0)\n"
        }
        out += "# HELP tiendo_provisional_deadlines Open deadlines whose due depends on a projected calendar year.\n"
        out += "# TYPE tiendo_provisional_deadlines gauge\n"
        for w in workflows {
            out += "tiendo_provisional_deadlines{workflow=\"\(w["id"]?.stringValue ?? "")\"} \(w["provisional"]?.intValue ?? 0)\n"
        }
        // Overdue age histogram over open overdue items.
        let bounds = StatusSnapshot.overdueAgeBounds
        let (count, sum, buckets) = (ages.count, ages.sum, ages.buckets)
        out += "# HELP tiendo_overdue_age_seconds Age of open overdue items.\n# TYPE tiendo_overdue_age_seconds histogram\n"
        for (bi, b) in bounds.enumerated() { out += "tiendo_overdue_age_seconds_bucket{le=\"\(b)\"} \(buckets[bi])\n" }
        out +=
            "tiendo_overdue_age_seconds_bucket{le=\"+Inf\"} \(count)\ntiendo_overdue_age_seconds_sum \(sum)\ntiendo_overdue_age_seconds_count \(count)\n"
        out +=
            "# HELP tiendo_records_sent_total Records sent since the daemon started, by kind.\n# TYPE tiendo_records_sent_total counter\n"
        for k in Record.Kind.allCases { out += "tiendo_records_sent_total{kind=\"\(k.rawValue)\"} \(recordsSent[k] ?? 0)\n" }
        out +=
            "# HELP tiendo_next_wakeup_seconds Seconds until the next scheduled wake-up (-1: none).\n# TYPE tiendo_next_wakeup_seconds gauge\n"
        out += "tiendo_next_wakeup_seconds \(s.nextWakeup.map { max(0, $0.seconds - now.seconds) } ?? -1)\n"
        out +=
            "# HELP tiendo_store_write_failing 1 while the daemon cannot write to its database (nothing is sent then), else 0.\n"
            + "# TYPE tiendo_store_write_failing gauge\n"
        out += "tiendo_store_write_failing \(views.problem == nil ? 0 : 1)\n"
        out +=
            "# HELP tiendo_clock_behind 1 while operators' changes are refused because the clock is more than a day behind the newest record, else 0.\n"
            + "# TYPE tiendo_clock_behind gauge\n"
        out += "tiendo_clock_behind \(views.clockBehind == nil ? 0 : 1)\n"
        return out
    }

    /// `status.json`'s `deliveries`: the counts of every channel added up.
    func deliveryStatus(_ counts: DeliveryCounts) -> JSON {
        let total = counts.total
        return .object(Deliveries.listStates.map { ($0, .int(total[$0] ?? 0)) })
    }

    /// `tiendo_deliveries{channel,state}` and `tiendo_delivery_oldest_pending_seconds{channel}`.
    func deliveryMetrics(_ counts: DeliveryCounts) -> String {
        // The channels of the routing file in force are listed even before their first delivery.
        let channels = Set(counts.channels.keys).union(routedChannels).sorted()
        var out = "# HELP tiendo_deliveries Deliveries (email, webhook) by channel and state; failed: unfinished, failed at least once.\n"
        out += "# TYPE tiendo_deliveries gauge\n"
        for channel in channels {
            for state in Deliveries.listStates {
                out += "tiendo_deliveries{channel=\"\(channel)\",state=\"\(state)\"} \(counts.channels[channel]?[state] ?? 0)\n"
            }
        }
        out += "# HELP tiendo_delivery_oldest_pending_seconds How long the longest-waiting due delivery has waited, by channel.\n"
        out += "# TYPE tiendo_delivery_oldest_pending_seconds gauge\n"
        for channel in channels {
            let age = counts.oldestPending[channel].map { max(0, now.seconds - $0.seconds) } ?? 0
            out += "tiendo_delivery_oldest_pending_seconds{channel=\"\(channel)\"} \(age)\n"
        }
        // The file is written when something changes, not on a timer (tiendod never wakes when idle), so an age goes
        // stale while a stopped sender leaves the queue as it is; the instant does not: alert on
        // `time() - tiendo_delivery_oldest_pending_due_timestamp_seconds`. It may lie ahead (a digest waiting for its
        // time); no sample when nothing waits.
        out += "# HELP tiendo_delivery_oldest_pending_due_timestamp_seconds "
        out += "When the earliest waiting delivery is or was due (Unix time; ahead for a digest before its time), by channel.\n"
        out += "# TYPE tiendo_delivery_oldest_pending_due_timestamp_seconds gauge\n"
        for channel in channels {
            guard let due = counts.oldestPending[channel] else { continue }
            out += "tiendo_delivery_oldest_pending_due_timestamp_seconds{channel=\"\(channel)\"} \(due.seconds)\n"
        }
        return out
    }
}
