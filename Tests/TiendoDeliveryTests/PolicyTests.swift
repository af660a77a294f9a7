import Testing
import TiendoCore
import TiendoDelivery

@Suite struct PolicyTests {
    @Test func backoffCeilingDoublesUpToTheCap() {
        let p = RetryPolicy(base: 60, cap: 6 * 3600, giveUpAfter: 86_400)
        #expect((1...10).map { p.ceiling(afterAttempts: $0) } == [60, 120, 240, 480, 960, 1920, 3840, 7680, 15_360, 21_600])
        #expect(p.ceiling(afterAttempts: 10_000) == 21_600)
    }

    @Test func fullJitterStaysWithinTheCeilingAndIsRepeatable() {
        let p = RetryPolicy(base: 60, cap: 3600)
        var a = SeededGenerator(seed: 42)
        var b = SeededGenerator(seed: 42)
        let first = (1...200).map { p.delay(afterAttempts: $0 % 8 + 1, retryAfter: nil, using: &a) }
        let again = (1...200).map { p.delay(afterAttempts: $0 % 8 + 1, retryAfter: nil, using: &b) }
        #expect(first == again)
        for (i, d) in first.enumerated() { #expect(d >= 1 && d <= p.ceiling(afterAttempts: (i + 1) % 8 + 1)) }
        // Full jitter spreads the waits over the whole range, not around the ceiling.
        let late = (0..<500).map { _ in p.delay(afterAttempts: 7, retryAfter: nil, using: &a) }
        #expect(late.min()! < 600 && late.max()! > 3000)
        // The server's Retry-After is a floor.
        #expect((0..<50).allSatisfy { _ in p.delay(afterAttempts: 1, retryAfter: 120, using: &a) >= 120 })
        // …up to a day (or the cap, when longer): a Unix time sent for seconds (1765432100) parked the channel for 56 years.
        #expect(p.delay(afterAttempts: 1, retryAfter: 10_800, using: &a) == 10_800)
        #expect((0..<50).allSatisfy { _ in p.delay(afterAttempts: 1, retryAfter: 1_765_432_100, using: &a) == 86_400 })
        // Whatever a receiver writes, an instant can be computed from it (Int64.max crashed the sender).
        let now = Instant(seconds: 1_800_000_000)
        #expect(RetryAfter.seconds("9223372036854775807", now: now) == RetryAfter.longest)
        #expect(RetryAfter.seconds("Fri, 31 Dec 9999 23:59:59 GMT", now: now) == RetryAfter.longest)
        #expect(RetryAfter.seconds("120", now: now) == 120)
    }

    @Test func smtpReplies() {
        let rcpt4 = DeliveryFailure.smtp(code: 451, text: "4.7.1 Try again later", phase: .rcpt)
        #expect(rcpt4.errorClass == .transient && rcpt4.scope == .message)
        #expect(rcpt4.reason == "SMTP 451 4.7.1 Try again later (RCPT TO)")
        let rcpt5 = DeliveryFailure.smtp(code: 550, text: "5.1.1 No such user", phase: .rcpt)
        #expect(rcpt5.errorClass == .permanent)
        #expect(DeliveryFailure.smtp(code: 552, text: "too big", phase: .message).errorClass == .permanent)
        #expect(DeliveryFailure.smtp(code: 421, text: "closing", phase: .data).isTransient)
        // A refused login is the channel's problem: retried, never a dead letter for every queued message.
        let auth = DeliveryFailure.smtp(code: 535, text: "5.7.8 Authentication failed", phase: .auth)
        #expect(auth.errorClass == .transient && auth.scope == .channel)
        #expect(DeliveryFailure.smtp(code: 554, text: "no service", phase: .greeting).scope == .channel)
        // So are a refused sender address and a relay that will not relay: the same for every message.
        let sender = DeliveryFailure.smtp(
            code: 553, text: "5.7.1 <vanphong@tayho.example.vn>: Sender address rejected: not owned by user", phase: .mail)
        #expect(sender.isTransient && sender.scope == .channel)
        let relay = DeliveryFailure.smtp(code: 550, text: "5.7.1 <a@example.org>: Relay access denied", phase: .rcpt)
        #expect(relay.isTransient && relay.scope == .channel)
        for said in ["5.7.1 Unable to relay", "5.7.0 Mail relay denied [203.0.113.9]", "5.7.1 Relaying not allowed"] {
            #expect(DeliveryFailure.smtp(code: 550, text: said, phase: .rcpt).scope == .channel, "\(said)")
        }
        // One recipient unknown, in Postfix's words: that message's failure, not the channel's.
        let unknown = DeliveryFailure.smtp(
            code: 550, text: "5.1.1 <x@tayho.example.vn>: Recipient address rejected: User unknown in relay recipient table", phase: .rcpt)
        #expect(unknown.errorClass == .permanent && unknown.scope == .message)
        #expect(DeliveryFailure.smtp(code: 451, text: "4.3.0 later", phase: .mail).scope == .message)
    }

    @Test func httpStatuses() {
        #expect(DeliveryFailure.http(status: 200, retryAfter: nil, body: "") == nil)
        #expect(DeliveryFailure.http(status: 204, retryAfter: nil, body: "") == nil)
        #expect(DeliveryFailure.http(status: 500, retryAfter: nil, body: "boom")?.isTransient == true)
        #expect(DeliveryFailure.http(status: 503, retryAfter: 30, body: "")?.scope == .channel)
        let limited = DeliveryFailure.http(status: 429, retryAfter: 90, body: "slow down")
        #expect(limited?.isTransient == true && limited?.retryAfter == 90 && limited?.reason == "HTTP 429: slow down")
        #expect(DeliveryFailure.http(status: 408, retryAfter: nil, body: "")?.isTransient == true)
        for s in [301, 400, 404, 410, 422] {
            #expect(DeliveryFailure.http(status: s, retryAfter: nil, body: "")?.errorClass == .permanent, "\(s)")
        }
        // A refused signature or key: the channel's configuration, kept and retried as a refused SMTP login is.
        for s in [401, 403] {
            let refused = DeliveryFailure.http(status: s, retryAfter: nil, body: "{}")
            #expect(refused?.isTransient == true && refused?.scope == .channel, "\(s)")
            #expect(refused?.reason.hasPrefix("HTTP \(s): {} — bên nhận không chấp nhận chữ ký hoặc khóa của kênh") == true)
        }
    }

    @Test func sendmailExitStatuses() {
        #expect(DeliveryFailure.sendmail(status: 0, stderr: "") == nil)
        #expect(
            DeliveryFailure.sendmail(status: 75, stderr: "x\nserver said 451\n")?.reason
                == "sendmail thoát với mã 75 (EX_TEMPFAIL): x — server said 451")
        // msmtp's reason comes before its last line: every line is kept.
        let login = DeliveryFailure.sendmail(
            status: 77,
            stderr: "msmtp: authentication failed (method PLAIN)\nmsmtp: server message: 535 5.7.8 Error: authentication failed\n"
                + "msmtp: could not send mail (account default from /etc/msmtprc)\n")
        #expect(login?.scope == .channel && login?.isTransient == true)
        #expect(login?.reason.contains("535 5.7.8 Error: authentication failed") == true)
        #expect(DeliveryFailure.sendmail(status: 76, stderr: "")?.scope == .channel)
        #expect(DeliveryFailure.sendmail(status: 75, stderr: "")?.isTransient == true)
        #expect(DeliveryFailure.sendmail(status: 69, stderr: "")?.isTransient == true)
        #expect(DeliveryFailure.sendmail(status: 78, stderr: "")?.scope == .channel)
        for s: Int32 in [64, 65, 67, 68] { #expect(DeliveryFailure.sendmail(status: s, stderr: "")?.errorClass == .permanent) }
        #expect(DeliveryFailure.sendmail(status: 1, stderr: "")?.isTransient == true)
    }

    @Test func retryAfterHeader() {
        let now = Instant(seconds: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(RetryAfter.seconds("120", now: now) == 120)
        #expect(RetryAfter.seconds(" 0 ", now: now) == 0)
        #expect(RetryAfter.seconds("Sun, 06 Nov 1994 08:51:37 GMT", now: now) == 120)
        #expect(RetryAfter.seconds("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == 0)
        #expect(RetryAfter.seconds("-5", now: now) == nil)
        #expect(RetryAfter.seconds("soon", now: now) == nil)
    }

    @Test func tokenBucket() {
        let t0 = Instant(seconds: 1_000_000)
        // 30/min with a burst of 3: three at once, then one every 2 s.
        var b = TokenBucket(RateLimit(count: 30, seconds: 60, burst: 3), now: t0)
        #expect(b.take(now: t0) == nil && b.take(now: t0) == nil && b.take(now: t0) == nil)
        #expect(b.take(now: t0) == t0.adding(seconds: 2))
        #expect(b.take(now: t0.adding(seconds: 1)) == t0.adding(seconds: 2))
        #expect(b.take(now: t0.adding(seconds: 2)) == nil)
        // 7/min: tokens every 60/7 s, counted exactly (no drift): 7 more within the next minute.
        var c = TokenBucket(RateLimit(count: 7, seconds: 60, burst: 1), now: t0)
        var sent = 0
        var t = t0
        while t < t0.adding(seconds: 60) {
            if c.take(now: t) == nil { sent += 1 } else { t = t.adding(seconds: 1) }
        }
        #expect(sent == 1 + 6)
        // A long rest fills the bucket only up to the burst.
        #expect((0..<5).filter { _ in c.take(now: t0.adding(seconds: 86_400)) == nil }.count == 1)
    }
}
