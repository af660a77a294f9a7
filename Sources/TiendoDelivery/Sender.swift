import Synchronization
public import TiendoCore

/// What a channel sends: an email (SMTP, sendmail), or a record's JSON (webhooks) with its key.
public enum Payload: Sendable, Hashable {
    case email(MailMessage)
    case record(key: String, body: [UInt8])
}

/// A way out: SMTP, sendmail, webhook. `send` returns the provider's id for the message (the relay's queue reply,
/// the endpoint's request id) or throws a `DeliveryFailure`; other errors count as transient channel failures.
public protocol DeliveryChannel: Sendable {
    var definition: ChannelDefinition { get }
    func send(_ payload: Payload, now: Instant) async throws -> String?
    /// Closes connections kept for the next message.
    func shutdown() async
}

/// What the sender did, for the log and the journal (and for tests).
public enum DeliveryEvent: Sendable {
    case sent(DeliveryJob, providerID: String?, at: Instant)
    case retry(DeliveryJob, DeliveryFailure, next: Instant)
    case dead(DeliveryJob, DeliveryFailure)
    case expired(Delivery, reason: String)
    /// Claimed outside the sending hours its route keeps: back to the queue until they start.
    case held(DeliveryJob, until: Instant)
    case channelPaused(String, DeliveryFailure, until: Instant)
    case channelResumed(String)
    case queueError(String)
}

public protocol DeliveryObserver: Sendable {
    func record(_ event: DeliveryEvent)
}

public struct SenderConfiguration: Sendable {
    /// Names the claims (`HOST/PID`); each worker adds its channel and number.
    public var owner: String
    /// Messages claimed at once by a worker.
    public var batch: Int
    /// Seconds a claim stays the worker's.
    public var lease: Int64
    /// Seconds between looks at the queue when nothing is due, for a queue that does not announce new deliveries
    /// (`DeliveryQueue.wait`); nil: sleep until the next due instant or an announcement.
    public var poll: Int64?
    /// Seconds before looking again after the queue failed (tiendod restarting).
    public var queueRetry: Int64 = 2
    public var policy: RetryPolicy
    public var seed: UInt64

    public init(owner: String, batch: Int = 8, lease: Int64 = 900, poll: Int64? = 10, policy: RetryPolicy = RetryPolicy(), seed: UInt64) {
        self.owner = owner
        self.batch = batch
        self.lease = lease
        self.poll = poll
        self.policy = policy
        self.seed = seed
    }
}

/// Works the queue: per channel `concurrency` workers claim due messages in order, drop expired deliveries, wait
/// for the rate limit, send, and report each outcome before the next send (so a crash repeats at most the
/// message in flight). A channel-wide failure pauses the channel with backoff; `stop()` lets every worker finish
/// the message in flight, gives back the rest of its claim and returns.
public final class Sender: Sendable {
    let queue: any DeliveryQueue
    let channels: [any DeliveryChannel]
    let composer: MessageComposer
    let clock: any DeliveryClock
    let config: SenderConfiguration
    let observer: any DeliveryObserver
    let shutdown = Shutdown()
    private let stopReason = Mutex<String?>(nil)

    /// Why the sender stopped by itself (another sender works the same queue), or nil.
    public var stoppedBecause: String? { stopReason.withLock { $0 } }

    public init(
        queue: any DeliveryQueue, channels: [any DeliveryChannel], composer: MessageComposer, clock: any DeliveryClock,
        config: SenderConfiguration, observer: any DeliveryObserver
    ) {
        self.queue = queue
        self.channels = channels
        self.composer = composer
        self.clock = clock
        self.config = config
        self.observer = observer
    }

    /// Runs until `stop()` (or, on a virtual clock, until the end of the run).
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for (i, channel) in channels.enumerated() {
                let state = ChannelState(
                    limit: channel.definition.rate, now: await clock.now(), seed: config.seed &+ UInt64(i) &* 7919)
                for w in 0..<channel.definition.concurrency {
                    await clock.join()
                    group.addTask { await self.work(channel, state: state, worker: w) }
                }
            }
        }
        for c in channels { await c.shutdown() }
    }

    /// Asks every worker to stop after the message in flight.
    public func stop() { shutdown.stop() }

    func work(_ channel: any DeliveryChannel, state: ChannelState, worker: Int) async {
        let name = channel.definition.name
        let owner = "\(config.owner)/\(name)/\(worker)"
        defer { Task { await clock.leave() } }
        while !shutdown.isStopped {
            let now = await clock.now()
            if let until = await state.pausedUntil(now) {
                guard await shutdown.sleep(until: until, clock: clock) else { return }
                continue
            }
            let jobs: [DeliveryJob]
            do {
                jobs = try await queue.claim(
                    channel: name, owner: owner, now: now, limit: config.batch, leaseUntil: now.adding(seconds: config.lease))
            } catch let other as AnotherSender {
                stopReason.withLock { $0 = other.description }
                stop()
                return
            } catch {
                observer.record(.queueError("nhận việc của kênh \(name): \(error)"))
                guard await shutdown.sleep(until: now.adding(seconds: config.queueRetry), clock: clock) else { return }
                continue
            }
            if jobs.isEmpty {
                let next: Instant?
                do { next = try await queue.nextDue(channel: name) } catch {
                    observer.record(.queueError("hỏi việc kế tiếp của kênh \(name): \(error)"))
                    guard await shutdown.sleep(until: now.adding(seconds: config.queueRetry), clock: clock) else { return }
                    continue
                }
                let wake = max(
                    min(next ?? .distantFuture, config.poll.map { now.adding(seconds: $0) } ?? .distantFuture), now.adding(seconds: 1))
                guard await shutdown.wait({ [queue, clock] in try await queue.wait(channel: name, until: wake, clock: clock) }) else {
                    return
                }
                continue
            }
            for (i, job) in jobs.enumerated() {
                let now = await clock.now()
                let paused = await state.pausedUntil(now) != nil
                if shutdown.isStopped || paused {
                    await give(back: jobs[i...], owner: owner)
                    break
                }
                // A claim about to run out is claimed again rather than sent: another worker may take it meanwhile.
                // (A quarter of a short lease at most, so that a lease of a few seconds still lets messages go.)
                if now.seconds >= job.leaseUntil.seconds - min(30, config.lease / 4) {
                    await give(back: jobs[i...], owner: owner)
                    break
                }
                // After a channel-wide failure the rest of the batch goes back untried, even when the pause (whole
                // seconds, at least one) has already run out by the clock: it was drawn for the channel, not for them.
                // So it does after a report that had to wait for the queue.
                if await process(job, channel: channel, state: state, owner: owner) != .done {
                    if i + 1 < jobs.count { await give(back: jobs[(i + 1)...], owner: owner) }
                    break
                }
            }
        }
    }

    func give(back jobs: ArraySlice<DeliveryJob>, owner: String) async {
        do {
            try await queue.release(jobs.flatMap { $0.items.map(\.id) }, owner: owner)
        } catch {
            observer.record(.queueError("trả lại việc: \(error)"))  // the lease runs out instead
        }
    }

    /// What became of a claimed job, as far as the rest of its batch is concerned: `queueWasAway` when its report
    /// had to wait for the queue (the rest of the batch is claimed again, not sent on a claim that may have lapsed).
    enum Processed { case done, channelFailed, queueWasAway }

    func process(_ claimed: DeliveryJob, channel: any DeliveryChannel, state: ChannelState, owner: String) async -> Processed {
        var now = await clock.now()
        var job = claimed
        var reports: [DeliveryReport] = []
        job.items = []
        for d in claimed.items {
            if let reason = expiry(of: d, now: now) {
                reports.append(DeliveryReport(id: d.id, messageKey: claimed.messageKey, at: now, outcome: .expired(reason: reason)))
                observer.record(.expired(d, reason: reason))
            } else {
                job.items.append(d)
            }
        }
        if !job.items.isEmpty, let opens = sendingHoursStart(job, now) {
            // Claimed outside its sending hours (a retry or a backlog at night, a holiday): back to the queue until
            // they start, no attempt counted, the time held not counted toward giving up.
            reports += job.items.map { DeliveryReport(id: $0.id, messageKey: job.messageKey, at: now, outcome: .held(until: opens)) }
            observer.record(.held(job, until: opens))
            job.items = []
        }
        if !job.items.isEmpty {
            // Workers of one channel share its bucket: after a wait, another may have taken the token.
            while let wait = await state.take(now) {
                guard await shutdown.sleep(until: wait, clock: clock) else {
                    await report(reports, owner: owner)
                    await give(back: [job], owner: owner)
                    return .done
                }
                now = await clock.now()
            }
            let outcome = await send(job, channel: channel, state: state, now: now)
            reports += job.items.map { DeliveryReport(id: $0.id, messageKey: job.messageKey, at: now, outcome: outcome) }
            if case .retry(_, let f) = outcome, f.scope == .channel {
                return await report(reports, owner: owner) ? .queueWasAway : .channelFailed
            }
        }
        return await report(reports, owner: owner) ? .queueWasAway : .done
    }

    /// When the sending hours of a job start, if it is claimed outside them and its first send had to keep them
    /// (`Router.fanOut`: a route that keeps quiet hours, or a digest, and a notice that is not urgent); nil when it
    /// may go now. Fan-out alone applied quiet hours: with a 6-hour backoff cap a reminder that failed at 17:50 went
    /// out at 23:30, and a channel paused at 17:59 sent its whole queue at 18:00 when the relay came back. The
    /// window is the workflow's calendar in its zone (for a workflow not loaded here, the fallback calendar); a route
    /// without quiet hours goes when claimed, and so does a digest at its own time set outside the hours.
    func sendingHoursStart(_ job: DeliveryJob, _ now: Instant) -> Instant? {
        // A digest's deliveries share their route; a single message has one.
        guard let d = job.items.first, let route = composer.routing.routes.first(where: { $0.name == d.route }),
            let n = try? Notice(json: d.record),
            let fallback = composer.fallbackCalendar ?? composer.definitions?.workflow(n.workflow)?.calendar
        else { return nil }
        // The rule and the window fan-out used: the workflow's calendar in its zone, else the fallback.
        let router = Router(routing: composer.routing, definitions: composer.definitions, fallbackCalendar: fallback)
        guard router.keepsSendingHours(route, n) else { return nil }
        let window = router.window(for: n.workflow)
        guard !window.allows(now) else { return nil }
        // A digest whose own time lies outside the sending hours (the routing file's choice, which `check` warns
        // about) goes at that time; only one claimed late, after its slot and outside the hours, waits.
        if route.mode == .digest, let slot = job.items.map(\.dueAt).min(), !window.allows(slot), now.seconds - slot.seconds < 3600 {
            return nil
        }
        if route.mode == .digest { return window.earliest(from: now) }
        return window.release(from: now, notices: composer.definitions?.workflow(n.workflow)?.remindAt, expires: d.expiresAt)
    }

    /// Why a delivery is not sent any more (said in its outcome), or nil.
    func expiry(of d: Delivery, now: Instant) -> String? {
        if let newer = d.supersededBy { return Messages.supersededNotice + " cùng hạn (#\(newer))" }
        guard let e = d.expiresAt, e <= now else { return nil }
        let n = try? Notice(json: d.record)
        let zone = composer.definitions?.workflow(n?.workflow ?? "")?.zone ?? .vietnam
        return "hết hạn: hạn chót \(n?.dueText(zone: zone) ?? zone.vietnamese(e)) đã qua trước khi gửi được"
    }

    /// Sends one message and decides what becomes of it.
    func send(_ job: DeliveryJob, channel: any DeliveryChannel, state: ChannelState, now: Instant) async -> DeliveryOutcome {
        let failure: DeliveryFailure
        do {
            let payload: Payload
            if channel.definition.isEmail {
                payload = .email(try composer.email(for: job, now: now))
            } else {
                payload = .record(key: job.items[0].recordKey, body: job.items[0].record.bytes())
            }
            let provider = try await channel.send(payload, now: now)
            if await state.succeeded() { observer.record(.channelResumed(channel.definition.name)) }
            observer.record(.sent(job, providerID: provider, at: now))
            return .sent(providerID: provider)
        } catch let f as DeliveryFailure {
            failure = f
        } catch {
            failure = DeliveryFailure(.transient, scope: .channel, "lỗi không lường trước: \(error)")
        }
        // Failing since the message could first be sent (a digest's time, not its records' commits).
        let dueAt = job.items.map(\.dueAt).max() ?? now
        let attempts = (job.items.map(\.attempts).max() ?? 0) + 1
        // A channel-scope failure (the relay down, a refused login) gives up only on a message that has itself been
        // tried through the window (`channelAttempts`): one queued behind the head, never tried while the channel
        // paused, became a dead letter «after 1 attempt» the moment the channel answered again, and so did the whole
        // queue after an outage longer than `giveUpAfter` (audit, 07/12/2026). Never giving up would hold the channel
        // for ever behind one message a relay refuses for good under a channel-scope reply. Notices still expire.
        let window = now.seconds - dueAt.seconds < config.policy.giveUpAfter
        if failure.isTransient, window || (failure.scope == .channel && attempts < config.policy.channelAttempts) {
            // The wait counts from when the failure came back (a refused login may take the whole timeout).
            let failedAt = await clock.now()
            let next: Instant
            if failure.scope == .channel {
                next = await state.pause(now: failedAt, failure: failure, policy: config.policy)
                observer.record(.channelPaused(channel.definition.name, failure, until: next))
            } else {
                next = await state.nextAttempt(now: failedAt, attempts: attempts, failure: failure, policy: config.policy)
            }
            observer.record(.retry(job, failure, next: next))
            return .retry(at: next, failure: failure)
        }
        var dead = failure
        if failure.isTransient {
            dead.reason = "bỏ cuộc sau \(attempts) lần thử trong \(config.policy.giveUpAfter / 3600) giờ: " + failure.reason
        }
        observer.record(.dead(job, dead))
        return .dead(dead)
    }

    /// Reports must be stored before the next send: a queue that cannot take them (tiendod restarting) is tried
    /// again, 1, 2, … up to `queueRetry` seconds apart, until it does, and this worker sends nothing meanwhile. It
    /// gave up after three tries before, and sent the next messages while the one it could not report went again
    /// after the restart. Only a stop while the queue is away leaves a report untold: that message, the one in
    /// flight, goes again (with the same key).
    /// Returns whether the queue had to be waited for: the worker's other claims may have run out meanwhile (and
    /// gone to another worker), so it gives back the rest of its batch and claims again rather than send them.
    @discardableResult
    func report(_ reports: [DeliveryReport], owner: String) async -> Bool {
        guard !reports.isEmpty else { return false }
        var attempt: Int64 = 0
        while true {
            do {
                try await queue.report(reports, owner: owner)
                return attempt > 0
            } catch {
                attempt += 1
                // Said at the first failures and then now and then, not once a second for the whole outage.
                if attempt <= 3 || attempt % 30 == 0 { observer.record(.queueError("ghi kết quả (lần \(attempt)): \(error)")) }
                // A queue that answers and refuses (a sender not allowed to report) is asked again once a minute:
                // sending on without reports would send the same messages again and again, as their claims came back.
                let wait = error is QueueRefusal ? 60 : min(attempt, max(1, config.queueRetry))
                let now = await clock.now()
                guard await shutdown.sleep(until: now.adding(seconds: wait), clock: clock) else { return true }
            }
        }
    }
}

/// A channel's shared state: its token bucket, whether it is paused, and the random draws for its backoff.
actor ChannelState {
    var bucket: TokenBucket?
    var failures = 0
    var paused: Instant?
    var rng: SeededGenerator

    init(limit: RateLimit?, now: Instant, seed: UInt64) {
        bucket = limit.map { TokenBucket($0, now: now) }
        rng = SeededGenerator(seed: seed)
    }

    func pausedUntil(_ now: Instant) -> Instant? {
        guard let p = paused, p > now else { return nil }
        return p
    }

    func take(_ now: Instant) -> Instant? { bucket?.take(now: now) }

    /// A channel-wide failure: pause the channel (once, whichever worker sees it first) with growing backoff.
    func pause(now: Instant, failure: DeliveryFailure, policy: RetryPolicy) -> Instant {
        if let p = pausedUntil(now) { return p }
        failures += 1
        let until = now.adding(seconds: policy.delay(afterAttempts: failures, retryAfter: failure.retryAfter, using: &rng))
        paused = until
        return until
    }

    func nextAttempt(now: Instant, attempts: Int, failure: DeliveryFailure, policy: RetryPolicy) -> Instant {
        now.adding(seconds: policy.delay(afterAttempts: attempts, retryAfter: failure.retryAfter, using: &rng))
    }

    /// A message went through; true when the channel had been failing.
    func succeeded() -> Bool {
        defer {
            failures = 0
            paused = nil
        }
        return failures > 0
    }
}
