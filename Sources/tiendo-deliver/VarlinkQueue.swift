import Dispatch
import Foundation
import Synchronization
import TiendoCore
import TiendoDelivery
import TiendoVarlink

/// The production queue: tiendod's store behind `vn.tiendo.Delivery` on its control socket (docs/delivery.md §6).
/// tiendo-deliver neither opens nor needs the database: claims and reports are transactions of the daemon's writer,
/// and tiendod itself keeps no network access.
///
/// Each call opens its own connection (`ManagerClient`), so a tiendod that restarts costs the calls made while it
/// is down (the sender retries them) and nothing else. The calls block, so they run on Dispatch's threads, not on
/// the sender's tasks. In real time, one `NextDue` stream per channel (`more`) tells the workers when new work is
/// due earlier than they planned to wake: no polling.
final class VarlinkDeliveryQueue: DeliveryQueue {
    let client: ManagerClient
    let announcements: Announcements?

    /// `announce`: keep NextDue streams for `channels` (real time; a virtual clock asks instead).
    init(client: ManagerClient, channels: [String], announce: Bool, log: @escaping @Sendable (String) -> Void) {
        self.client = client
        announcements = announce ? Announcements(client: client, channels: channels, log: log) : nil
    }

    /// Runs a blocking call on a Dispatch thread.
    func call<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async { c.resume(with: Result { try body() }) }
        }
    }

    /// The sender's `now` goes with the claim: what is due, the lease and the superseding are reckoned on the
    /// clock the sender writes its messages with (the same host's clock in production; a virtual one in tests).
    func claim(channel: String, owner: String, now: Instant, limit: Int, leaseUntil: Instant) async throws -> [DeliveryJob] {
        let method = Deliveries.Claim(
            channel: channel, owner: owner, limit: limit, lease: Int(max(1, leaseUntil.seconds - now.seconds)), now: now)
        do {
            return try await call { [client] in try client.call(method) }
        } catch ManagerError.other(let e) where e.name == Deliveries.interface + ".SenderRunning" {
            throw AnotherSender(pid: e.parameters["pid"]?.intValue ?? 0)
        }
    }

    func report(_ reports: [DeliveryReport], owner: String) async throws {
        let method = Deliveries.Report(owner: owner, reports: reports)
        do {
            _ = try await call { [client] in try client.call(method) }
        } catch let e as ManagerError {
            // tiendod answered with an error: it will answer the same again (the sender stops waiting for it).
            throw QueueRefusal(e.description)
        }
    }

    func release(_ ids: [Int64], owner: String) async throws {
        let method = Deliveries.Release(owner: owner, ids: ids)
        _ = try await call { [client] in try client.call(method) }
    }

    func nextDue(channel: String) async throws -> Instant? {
        announcements?.asked(channel)
        let method = Deliveries.NextDue(channel: channel)
        return try await call { [client] in try client.call(method) }
    }

    func wait(channel: String, until t: Instant, clock: any DeliveryClock) async throws {
        guard let announcements else { return try await clock.sleep(until: t) }
        try await announcements.wait(channel: channel, until: t, clock: clock)
    }
}

/// One worker's wait: resumed once, by an announcement or by the end of its sleep, whichever comes first (also when
/// that comes before the waiting task got to register).
final class WaitSlot: Sendable {
    enum Phase {
        case idle
        case waiting(CheckedContinuation<Void, Never>)
        case finished
    }
    let until: Instant
    let phase = Mutex(Phase.idle)

    init(until: Instant) { self.until = until }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = phase.withLock { p -> Bool in
                if case .finished = p { return true }
                p = .waiting(c)
                return false
            }
            if resumeNow { c.resume() }
        }
    }

    func finish() {
        let c = phase.withLock { p -> CheckedContinuation<Void, Never>? in
            defer { p = .finished }
            if case .waiting(let c) = p { return c }
            return nil
        }
        c?.resume()
    }
}

/// The `NextDue` streams of the channels (a thread each, reconnecting when tiendod restarts) and the workers
/// waiting on them.
final class Announcements: Sendable {
    struct State {
        /// Per channel: the last instant announced, and how many announcements came.
        var latest: [String: Instant?] = [:]
        var generation: [String: Int] = [:]
        /// The generation when a worker last asked `nextDue`: a later announcement is news to it.
        var asked: [String: Int] = [:]
        var waiters: [String: [WaitSlot]] = [:]
    }
    let state = Mutex(State())

    init(client: ManagerClient, channels: [String], log: @escaping @Sendable (String) -> Void) {
        for channel in channels {
            let t = Thread { [self] in self.follow(channel, client: client, log: log) }
            t.name = "next-due-\(channel)"
            t.start()
        }
    }

    /// Reads the channel's stream for as long as the process runs; after a failure (tiendod stopped or
    /// restarting) connects again, waiting 0.2 s, then longer up to 5 s, and says so once per outage.
    func follow(_ channel: String, client: ManagerClient, log: @Sendable (String) -> Void) {
        var delay = 0.2
        var reported = false
        while true {
            do {
                try client.stream(Deliveries.NextDue(channel: channel)) { parameters in
                    let at = try Deliveries.NextDue.reply(from: parameters)
                    if reported { log("nối lại được với tiendod (kênh \(channel))") }
                    reported = false
                    delay = 0.2
                    self.announce(channel, at)
                    return true
                }
            } catch {
                if !reported { log("mất luồng NextDue của kênh \(channel) (\(error)); đang nối lại") }
                reported = true
            }
            Thread.sleep(forTimeInterval: delay)
            delay = min(delay * 2, 5)
        }
    }

    /// Wakes the channel's workers that planned to wake later than `at`.
    func announce(_ channel: String, _ at: Instant?) {
        let woken = state.withLock { s -> [WaitSlot] in
            s.latest[channel] = at
            s.generation[channel, default: 0] += 1
            guard let at else { return [] }
            let due = (s.waiters[channel] ?? []).filter { at < $0.until }
            s.waiters[channel]?.removeAll { at < $0.until }
            return due
        }
        for w in woken { w.finish() }
    }

    func asked(_ channel: String) {
        state.withLock { $0.asked[channel] = $0.generation[channel] ?? 0 }
    }

    /// Sleeps until `t`, or less: at once when an announcement that came since the worker asked `nextDue` says work
    /// is due earlier, or when such an announcement comes.
    func wait(channel: String, until t: Instant, clock: any DeliveryClock) async throws {
        let slot = WaitSlot(until: t)
        let early = state.withLock { s -> Bool in
            if let latest = s.latest[channel] ?? nil, latest < t, (s.generation[channel] ?? 0) > (s.asked[channel] ?? 0) {
                return true
            }
            s.waiters[channel, default: []].append(slot)
            return false
        }
        if early { return }
        defer { state.withLock { s in s.waiters[channel]?.removeAll { $0 === slot } } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await clock.sleep(until: t) }
            group.addTask { await slot.wait() }
            // Whichever ended first, end the other: the slot resumes its task, the sleep is cancelled.
            defer {
                slot.finish()
                group.cancelAll()
            }
            try await group.next()
        }
    }
}
