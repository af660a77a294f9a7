import Synchronization
import Testing
import TiendoCore

@testable import TiendoDelivery

/// A channel for the sender's loop: it records what it is given (with the virtual time) and fails as scripted.
final class ScriptedChannel: DeliveryChannel {
    let definition: ChannelDefinition
    let clock: VirtualClock
    struct Log {
        var sent: [(at: Instant, messageID: String, to: String)] = []
        var attempts = 0
        var perRecipient: [String: Int] = [:]
    }
    let log = Mutex(Log())
    /// Called with the attempt number (1-based, of the channel), the attempt number for this recipient and the
    /// message; returns the failure to throw, or nil to accept.
    let script: @Sendable (Int, Int, MailMessage) -> DeliveryFailure?
    /// Virtual seconds each attempt takes before it answers (a slow relay, a login refused after a delay).
    let latency: Int64

    init(
        rate: RateLimit? = nil, concurrency: Int = 1, clock: VirtualClock, latency: Int64 = 0,
        script: @escaping @Sendable (Int, Int, MailMessage) -> DeliveryFailure? = { _, _, _ in nil }
    ) {
        definition = ChannelDefinition(
            name: "thu", kind: .smtp, host: "smtp.example.vn", port: 587, security: .starttls, username: nil, password: nil,
            caFile: nil, helo: nil, path: nil, url: nil, secret: nil, timeout: 30, rate: rate, concurrency: concurrency,
            position: Position(line: 1, column: 1))
        self.clock = clock
        self.latency = latency
        self.script = script
    }

    func send(_ payload: Payload, now: Instant) async throws -> String? {
        guard case .email(let m) = payload else { throw DeliveryFailure(.permanent, "not an email") }
        let (attempt, mine) = log.withLock { l in
            l.attempts += 1
            l.perRecipient[m.envelopeTo, default: 0] += 1
            return (l.attempts, l.perRecipient[m.envelopeTo]!)
        }
        if latency > 0 { try await clock.sleep(until: await clock.now().adding(seconds: latency)) }
        if let f = script(attempt, mine, m) { throw f }
        let t = await clock.now()
        log.withLock { $0.sent.append((t, m.messageID, m.envelopeTo)) }
        return "250 ok \(attempt)"
    }

    func shutdown() async {}
    var sent: [(at: Instant, messageID: String, to: String)] { log.withLock { $0.sent } }
}

final class EventLog: DeliveryObserver {
    let events = Mutex<[String]>([])
    func record(_ e: DeliveryEvent) {
        let line: String
        switch e {
        case .sent(let j, _, let t): line = "sent \(j.items.map(\.id)) \(Zone.vietnam.iso(t))"
        case .retry(let j, let f, let next): line = "retry \(j.items.map(\.id)) \(f.scope.rawValue) \(Zone.vietnam.iso(next))"
        case .dead(let j, let f): line = "dead \(j.items.map(\.id)) \(f.reason)"
        case .expired(let d, let reason): line = "expired \(d.id) \(reason)"
        case .held(let j, let until): line = "held \(j.items.map(\.id)) \(Zone.vietnam.iso(until))"
        case .channelPaused(let c, _, let until): line = "paused \(c) \(Zone.vietnam.iso(until))"
        case .channelResumed(let c): line = "resumed \(c)"
        case .queueError(let t): line = "queue \(t)"
        }
        events.withLock { $0.append(line) }
    }
    var lines: [String] { events.withLock { $0 } }
}

@Suite struct SenderTests {
    let composer = MessageComposer(routing: RoutingFixture.routing(), definitions: Repo.definitions)

    /// Queues `n` reminders to distinct members, all due at `start`, then runs the sender on virtual time.
    func run(
        n: Int, start: String = "2025-12-03T08:00", until: String = "2025-12-05T00:00", policy: RetryPolicy = RetryPolicy(),
        rate: RateLimit? = nil, concurrency: Int = 1, expires: String? = nil, latency: Int64 = 0, lease: Int64 = 600,
        script: @escaping @Sendable (Int, Int, MailMessage) -> DeliveryFailure? = { _, _, _ in nil }
    ) async -> (ScriptedChannel, EventLog, QueueBook) {
        let queue = InMemoryDeliveryQueue()
        for i in 1...n {
            let f = fan("k\(i)", to: "m\(i)@example.vn", notBefore: start, expires: expires)
            await queue.add([f], recordKey: "r\(i)", record: record(at: "2025-12-03T08:00:00+07:00"), now: at(start))
        }
        let clock = VirtualClock(start: at(start), end: at(until))
        let channel = ScriptedChannel(rate: rate, concurrency: concurrency, clock: clock, latency: latency, script: script)
        let events = EventLog()
        let sender = Sender(
            queue: queue, channels: [channel], composer: composer, clock: clock,
            config: SenderConfiguration(owner: "test", batch: 4, lease: lease, poll: 86_400, policy: policy, seed: 7), observer: events)
        await sender.run()
        return (channel, events, await queue.book)
    }

    @Test("a short lease still lets messages go: a claim is given back only in the last quarter of its lease")
    func shortLease() async {
        let (channel, _, book) = await run(n: 6, rate: RateLimit(count: 1, seconds: 2, burst: 1), lease: 8)
        #expect(channel.sent.count == 6)
        #expect(book.counts() == [.sent: 6])
    }

    @Test func sendsEverythingInOrder() async {
        let (channel, events, book) = await run(n: 6)
        #expect(channel.sent.map(\.to) == (1...6).map { "m\($0)@example.vn" })
        #expect(book.counts() == [.sent: 6])
        #expect(events.lines.first == "sent [1] 2025-12-03T08:00:00+07:00")
        #expect(book.entries[1]?.providerID == "250 ok 1")
    }

    @Test func transientFailureOfOneMessageIsRetriedWithTheSameMessageID() async {
        // The first two attempts of the first message fail with 451; the others go meanwhile.
        let (channel, events, book) = await run(n: 3, policy: RetryPolicy(base: 60, cap: 600)) { _, mine, m in
            m.envelopeTo == "m1@example.vn" && mine <= 2 ? DeliveryFailure.smtp(code: 451, text: "4.3.0 try later", phase: .rcpt) : nil
        }
        #expect(book.counts() == [.sent: 3])
        #expect(book.entries[1]?.delivery.attempts == 2)
        #expect(channel.sent.map(\.to) == ["m2@example.vn", "m3@example.vn", "m1@example.vn"])
        let ids = channel.sent.map(\.messageID)
        #expect(ids[2] == "k1@tayho.example.vn")
        #expect(events.lines.filter { $0.hasPrefix("retry [1] message") }.count == 2)
        // The waits stay under the jittered ceilings: 60 s, then 120 s.
        #expect(channel.sent[2].at.seconds - at("2025-12-03T08:00").seconds <= 180)
    }

    /// tiendod away (restarting) while the sender works: the queue takes no report for a while.
    actor AwayQueue: DeliveryQueue {
        let inner = InMemoryDeliveryQueue()
        var refusedReports: Int
        var sentWhileUnreported = 0
        var unreported = false
        /// Answers, and refuses every report (a sender not allowed to report).
        let refusesForGood: Bool
        init(refusing: Int, forGood: Bool = false) {
            refusedReports = refusing
            refusesForGood = forGood
        }
        func claim(channel: String, owner: String, now: Instant, limit: Int, leaseUntil: Instant) async throws -> [DeliveryJob] {
            await inner.claim(channel: channel, owner: owner, now: now, limit: limit, leaseUntil: leaseUntil)
        }
        func report(_ reports: [DeliveryReport], owner: String) async throws {
            if refusesForGood { throw QueueRefusal("PermissionDenied") }
            if refusedReports > 0 {
                refusedReports -= 1
                unreported = true
                throw DeliveryFailure(.transient, "tiendod is restarting")
            }
            unreported = false
            await inner.report(reports, owner: owner)
        }
        func release(_ ids: [Int64], owner: String) async throws { await inner.release(ids, owner: owner) }
        func nextDue(channel: String) async throws -> Instant? { await inner.nextDue(channel: channel) }
        /// Called by the channel at each send.
        func sending() { if unreported { sentWhileUnreported += 1 } }
    }

    /// Tells the queue of each send, then sends through the scripted channel.
    final class SpyChannel: DeliveryChannel {
        let inner: ScriptedChannel
        let queue: AwayQueue
        init(_ inner: ScriptedChannel, queue: AwayQueue) {
            self.inner = inner
            self.queue = queue
        }
        var definition: ChannelDefinition { inner.definition }
        func send(_ payload: Payload, now: Instant) async throws -> String? {
            await queue.sending()
            return try await inner.send(payload, now: now)
        }
        func shutdown() async {}
    }

    @Test("a report the queue cannot take is tried until it can, and nothing else is sent meanwhile")
    func reportsWaitForTheQueue() async {
        let queue = AwayQueue(refusing: 12)
        let start = "2025-12-03T08:00"
        for i in 1...5 {
            let f = fan("k\(i)", to: "m\(i)@example.vn", notBefore: start, expires: nil)
            await queue.inner.add([f], recordKey: "r\(i)", record: record(at: "2025-12-03T08:00:00+07:00"), now: at(start))
        }
        let clock = VirtualClock(start: at(start), end: at("2025-12-03T09:00"))
        let channel = ScriptedChannel(clock: clock) { _, _, _ in nil }
        let events = EventLog()
        let sender = Sender(
            queue: queue, channels: [SpyChannel(channel, queue: queue)], composer: composer,
            clock: clock, config: SenderConfiguration(owner: "test", batch: 4, lease: 600, poll: 86_400, policy: RetryPolicy(), seed: 7),
            observer: events)
        await sender.run()
        #expect(channel.sent.map(\.to) == (1...5).map { "m\($0)@example.vn" }, "each once")
        #expect(await queue.sentWhileUnreported == 0)
        #expect(await queue.inner.book.counts() == [.sent: 5])
        // The first failures are said (not each of the twelve); the rest of the batch was claimed again after.
        #expect(events.lines.filter { $0.hasPrefix("queue ghi kết quả (lần") }.count == 3, "\(events.lines)")
        #expect(events.lines.last == "sent [5] 2025-12-03T08:00:23+07:00", "\(events.lines)")
    }

    @Test("a queue that answers and refuses every report: the worker waits, asking once a minute, and sends nothing more")
    func refusedReportsEndTheWait() async {
        let queue = AwayQueue(refusing: 0, forGood: true)
        let start = "2025-12-03T08:00"
        let f = fan("k1", to: "m1@example.vn", notBefore: start, expires: nil)
        await queue.inner.add([f], recordKey: "r1", record: record(at: "2025-12-03T08:00:00+07:00"), now: at(start))
        let clock = VirtualClock(start: at(start), end: at("2025-12-03T08:30"))
        let channel = ScriptedChannel(clock: clock) { _, _, _ in nil }
        let events = EventLog()
        let sender = Sender(
            queue: queue, channels: [SpyChannel(channel, queue: queue)], composer: composer, clock: clock,
            config: SenderConfiguration(owner: "test", batch: 4, lease: 600, poll: 86_400, policy: RetryPolicy(), seed: 7),
            observer: events)
        await sender.run()
        // Sending on without reports sent the same message again at every claim (601 times in half an hour).
        #expect(channel.sent.count == 1)
        // Said at the first three refusals, then every 30 (half an hour of asking once a minute).
        let said = events.lines.filter { $0.hasPrefix("queue ghi kết quả (lần") }
        #expect(["1", "2", "3", "30"].map { "queue ghi kết quả (lần \($0)): PermissionDenied" } == said, "\(said)")
    }

    @Test func permanentFailureIsADeadLetterAtOnce() async {
        let (channel, events, book) = await run(n: 2) { _, _, m in
            m.envelopeTo == "m1@example.vn" ? DeliveryFailure.smtp(code: 550, text: "5.1.1 no such user", phase: .rcpt) : nil
        }
        #expect(book.entries[1]?.state == .dead && book.entries[1]?.delivery.attempts == 1)
        #expect(book.entries[1]?.lastError == "permanent: SMTP 550 5.1.1 no such user (RCPT TO)")
        #expect(channel.sent.map(\.to) == ["m2@example.vn"])
        #expect(events.lines.contains("dead [1] SMTP 550 5.1.1 no such user (RCPT TO)"))
    }

    @Test func aDeadRelayPausesTheChannelAndTheQueueDrainsInOrder() async {
        // The relay refuses connections for the first five attempts.
        let (channel, events, book) = await run(n: 8, policy: RetryPolicy(base: 30, cap: 300)) { attempt, _, _ in
            attempt <= 5 ? DeliveryFailure.connection("connection refused") : nil
        }
        #expect(book.counts() == [.sent: 8])
        #expect(channel.sent.map(\.to) == (1...8).map { "m\($0)@example.vn" })
        // Only the first message was tried while the relay was down; the channel paused, no message was dead.
        #expect(events.lines.filter { $0.hasPrefix("paused thu") }.count == 5)
        #expect(events.lines.filter { $0.hasPrefix("retry") }.allSatisfy { $0.hasPrefix("retry [1] channel") })
        #expect(events.lines.contains("resumed thu"))
    }

    @Test func aRefusedLoginSlowerThanThePauseLeavesTheRestOfTheBatchUntried() async {
        // The relay takes 3 s to refuse the login, longer than the shortest pause (1 s): the other messages of
        // the batch must still go back to the queue untried, not be refused one by one (CI of 01/12/2026).
        let (channel, events, book) = await run(n: 3, policy: RetryPolicy(base: 1, cap: 1), latency: 3) { attempt, _, _ in
            attempt == 1 ? DeliveryFailure.smtp(code: 535, text: "5.7.8 Authentication credentials invalid", phase: .auth) : nil
        }
        #expect(book.counts() == [.sent: 3])
        #expect(book.entries[1]?.delivery.attempts == 1)
        #expect(book.entries[2]?.delivery.attempts == 0 && book.entries[3]?.delivery.attempts == 0)
        #expect(events.lines.filter { $0.hasPrefix("retry") } == ["retry [1] channel 2025-12-03T08:00:04+07:00"])
        #expect(channel.sent.map(\.to) == (1...3).map { "m\($0)@example.vn" })
    }

    @Test func expiredRemindersAreNotSent() async {
        // The relay stays down past the deadline of the reminders.
        let (channel, events, book) = await run(
            n: 2, until: "2025-12-04T00:00", policy: RetryPolicy(base: 600, cap: 3600), expires: "2025-12-03T12:00"
        ) {
            _, _, _ in DeliveryFailure.connection("refused")
        }
        #expect(channel.sent.isEmpty)
        #expect(book.counts() == [.expired: 2])
        #expect(book.entries[2]?.lastError == "hết hạn: hạn chót 10/12/2025 đã qua trước khi gửi được")
        #expect(events.lines.filter { $0.hasPrefix("expired") }.count == 2)
    }

    @Test func transientFailuresForTooLongGiveUp() async {
        let (_, events, book) = await run(n: 1, until: "2025-12-09T00:00", policy: RetryPolicy(base: 600, cap: 3600, giveUpAfter: 86_400)) {
            _, _, _ in DeliveryFailure.smtp(code: 452, text: "4.2.2 mailbox full", phase: .rcpt)
        }
        #expect(book.entries[1]?.state == .dead)
        #expect(events.lines.last?.hasPrefix("dead [1] bỏ cuộc sau") == true)
    }

    @Test("a relay down longer than the give-up window costs at most the head, not the queue behind it")
    func channelOutagesCostAtMostTheHead() async {
        // Refused for the first 60 tries (the head retried alone while the channel pauses, up to an hour apart: more
        // than the day of `giveUpAfter`), then back. The head, tried through the whole window (24 times at least),
        // gives up; the messages behind it, past the window too but barely tried, go out.
        let (channel, events, book) = await run(
            n: 3, until: "2025-12-09T00:00", policy: RetryPolicy(base: 600, cap: 3600, giveUpAfter: 86_400)
        ) { attempt, _, _ in attempt <= 60 ? DeliveryFailure.connection("refused") : nil }
        #expect(book.counts() == [.dead: 1, .sent: 2], "\(events.lines.suffix(5))")
        #expect(
            book.entries[1]?.state == .dead && (book.entries[1]?.delivery.attempts ?? 0) >= 24, "\(book.entries[1]?.delivery.attempts ?? 0)"
        )
        let first = channel.sent.first?.at
        #expect(first.map { $0.seconds - at("2025-12-03T08:00").seconds > 86_400 } == true, "back after more than a day")
    }

    @Test("the give-up window counts from when a message could first be sent, not from its record's commit")
    func giveUpCountsFromTheFirstDueInstant() async {
        // A digest (or a notice held over Tết) committed a week before its time: one failed try is not a week of them.
        let queue = InMemoryDeliveryQueue()
        let f = fan("k1", to: "m1@example.vn", notBefore: "2025-12-08T07:30", expires: nil)
        await queue.add([f], recordKey: "r1", record: record(at: "2025-12-01T08:00:00+07:00"), now: at("2025-12-01T08:00"))
        let clock = VirtualClock(start: at("2025-12-08T07:30"), end: at("2025-12-10T00:00"))
        let channel = ScriptedChannel(clock: clock) { attempt, _, _ in attempt <= 2 ? DeliveryFailure.connection("refused") : nil }
        let events = EventLog()
        let sender = Sender(
            queue: queue, channels: [channel], composer: composer, clock: clock,
            config: SenderConfiguration(
                owner: "test", batch: 4, lease: 600, poll: 86_400, policy: RetryPolicy(base: 60, cap: 600, giveUpAfter: 86_400), seed: 7),
            observer: events)
        await sender.run()
        let book = await queue.book
        #expect(book.counts() == [.sent: 1], "\(events.lines)")
        #expect(!events.lines.contains { $0.hasPrefix("dead") })
        // Retries move its `notBefore`, not when it was first due.
        #expect(book.entries[1]?.delivery.dueAt == at("2025-12-08T07:30"))
    }

    @Test("a retry of a notice that keeps quiet hours waits for the next sending hours; an urgent one does not")
    func retriesKeepTheSendingHours() async {
        // Wednesday 03/12/2025 17:50: the relay says «later» with three hours to wait, past 18:00. Held by the rule of
        // fan-out: a minute after the workflow's notices of the next morning (08:00).
        for (priority, sentAt) in [(5, "2025-12-04T08:01"), (2, "2025-12-03T20:50")] {
            let queue = InMemoryDeliveryQueue()
            let f = FanOut(
                key: "k1", channel: "thu", recipient: Mailbox(name: nil, address: "m1@example.vn"), route: "dang-vien", digest: nil,
                digestPeriod: nil, notBefore: at("2025-12-03T17:50"), expiresAt: nil, series: nil)
            await queue.add(
                [f], recordKey: "r1", record: record(at: "2025-12-03T17:50:00+07:00", priority: priority), now: at("2025-12-03T17:50"))
            let clock = VirtualClock(start: at("2025-12-03T17:50"), end: at("2025-12-05T00:00"))
            let channel = ScriptedChannel(clock: clock) { attempt, _, _ in
                attempt == 1 ? DeliveryFailure(.transient, "SMTP 451 4.7.1 later (RCPT TO)", retryAfter: 3 * 3600) : nil
            }
            let sender = Sender(
                queue: queue, channels: [channel], composer: composer, clock: clock,
                config: SenderConfiguration(
                    owner: "test", batch: 4, lease: 600, poll: 86_400, policy: RetryPolicy(base: 60, cap: 600), seed: 7),
                observer: EventLog())
            await sender.run()
            #expect(channel.sent.map(\.at) == [at(sentAt)], "priority \(priority)")
        }
    }

    /// Runs the sender over `fanOuts` of route `dang-vien` (quiet hours kept) on virtual time from `start`.
    func runQuiet(
        _ keys: [String], notBefore: String, start: String, until: String, priority: Int = 5, policy: RetryPolicy,
        script: @escaping @Sendable (Int, Int, MailMessage) -> DeliveryFailure?
    ) async -> (ScriptedChannel, EventLog, QueueBook) {
        let queue = InMemoryDeliveryQueue()
        for (i, key) in keys.enumerated() {
            let f = FanOut(
                key: key, channel: "thu", recipient: Mailbox(name: nil, address: "m\(i + 1)@example.vn"), route: "dang-vien", digest: nil,
                digestPeriod: nil, notBefore: at(notBefore), expiresAt: nil, series: nil)
            await queue.add(
                [f], recordKey: "r\(i + 1)", record: record(at: notBefore + ":00+07:00", priority: priority), now: at(notBefore))
        }
        let clock = VirtualClock(start: at(start), end: at(until))
        let channel = ScriptedChannel(clock: clock, script: script)
        let events = EventLog()
        let sender = Sender(
            queue: queue, channels: [channel], composer: composer, clock: clock,
            config: SenderConfiguration(owner: "test", batch: 4, lease: 600, poll: 86_400, policy: policy, seed: 7), observer: events)
        await sender.run()
        return (channel, events, await queue.book)
    }

    @Test("a relay down at 17:59 and back at 18:01: nothing goes out at night, the queue drains in order in the morning")
    func aPausedChannelDoesNotDrainAtNight() async {
        let (channel, events, book) = await runQuiet(
            ["k1", "k2", "k3"], notBefore: "2025-12-03T17:59", start: "2025-12-03T17:59", until: "2025-12-05T00:00",
            policy: RetryPolicy(base: 60, cap: 600)
        ) { attempt, _, _ in
            // Refused, and asked to wait two minutes: the next try comes after 18:00.
            attempt <= 1 ? DeliveryFailure(.transient, scope: .channel, "refused", retryAfter: 120) : nil
        }
        #expect(channel.sent.map(\.to) == ["m1@example.vn", "m2@example.vn", "m3@example.vn"])
        #expect(channel.sent.allSatisfy { $0.at >= at("2025-12-04T07:00") }, "\(channel.sent.map { Zone.vietnam.iso($0.at) })")
        // Held, not tried: only the failure at 17:59 counts; each hold is said, with when the message goes.
        #expect(book.entries[1]?.delivery.attempts == 1 && book.entries[2]?.delivery.attempts == 0)
        #expect(events.lines.contains { $0.hasPrefix("held [2]") && $0.hasSuffix("2025-12-04T08:01:00+07:00") }, "\(events.lines)")
    }

    @Test("a notice held over Tết is not given up at its first try after it: the time held does not count")
    func heldOverAHolidayIsNotGivenUp() async {
        // Friday 13/02/2026 17:50, the relay down; Tết 2026 keeps the office closed from 14/02 to 22/02.
        let (channel, events, book) = await runQuiet(
            ["k1"], notBefore: "2026-02-13T17:50", start: "2026-02-13T17:50", until: "2026-02-24T00:00",
            policy: RetryPolicy(base: 60, cap: 600, giveUpAfter: 86_400)
        ) { attempt, _, _ in
            // Refused until after 18:00 on Friday, then twice more on the first morning after Tết.
            attempt == 1
                ? DeliveryFailure(.transient, scope: .channel, "refused", retryAfter: 900)
                : attempt <= 3 ? DeliveryFailure.connection("refused") : nil
        }
        #expect(book.counts() == [.sent: 1], "\(events.lines)")
        #expect(channel.sent.first.map { $0.at >= at("2026-02-23T07:00") } == true)
        #expect(!events.lines.contains { $0.hasPrefix("dead") })
    }

    @Test("a digest whose own time is outside the sending hours goes at that time, not the next morning")
    func aDigestAtItsOwnTimeIsNotHeld() async {
        let queue = InMemoryDeliveryQueue()
        let f = FanOut(
            key: "k1", channel: "thu", recipient: Mailbox(name: nil, address: "bithu@example.vn"), route: "bi-thu",
            digest: "bi-thu|thu|bithu@example.vn|2025-12-03", digestPeriod: .day, notBefore: at("2025-12-03T18:30"), expiresAt: nil,
            series: nil)
        await queue.add([f], recordKey: "r1", record: record(at: "2025-12-03T09:00:00+07:00"), now: at("2025-12-03T09:00"))
        let clock = VirtualClock(start: at("2025-12-03T09:00"), end: at("2025-12-05T00:00"))
        let channel = ScriptedChannel(clock: clock)
        let sender = Sender(
            queue: queue, channels: [channel], composer: composer, clock: clock,
            config: SenderConfiguration(owner: "test", batch: 4, lease: 600, poll: 86_400, policy: RetryPolicy(), seed: 7),
            observer: EventLog())
        await sender.run()
        #expect(channel.sent.map(\.at) == [at("2025-12-03T18:30")])
    }

    @Test func rateLimitSpacesTheMessages() async {
        let (channel, _, _) = await run(n: 5, rate: RateLimit(count: 2, seconds: 60, burst: 2), concurrency: 2)
        let offsets = channel.sent.map { $0.at.seconds - at("2025-12-03T08:00").seconds }
        #expect(offsets == [0, 0, 30, 60, 90])
    }
}
