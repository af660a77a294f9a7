import Testing
import TiendoCore
import TiendoDelivery

/// A fan-out for the queue tests: channel `thu`, recipient `to`, due at `notBefore`.
func fan(
    _ key: String, to: String = "a@example.vn", notBefore: String = "2025-12-01T08:00", digest: String? = nil,
    series: String? = nil, expires: String? = nil
) -> FanOut {
    FanOut(
        key: key, channel: "thu", recipient: Mailbox(name: nil, address: to), route: "r", digest: digest,
        digestPeriod: digest == nil ? nil : .day, notBefore: at(notBefore), expiresAt: expires.map(at), series: series)
}

@Suite struct QueueBookTests {
    let r = record(at: "2025-12-01T08:00:00+07:00")

    @Test func claimsDrainInOrderAndRespectNotBefore() {
        var b = QueueBook()
        b.add(fan("k1"), recordKey: "r1", record: r, now: at("2025-12-01T08:00"))
        b.add(fan("k2", notBefore: "2025-12-02T07:00"), recordKey: "r2", record: r, now: at("2025-12-01T08:00"))
        b.add(fan("k3"), recordKey: "r3", record: r, now: at("2025-12-01T08:00"))
        // The same key again changes nothing.
        #expect(b.add(fan("k1"), recordKey: "r1", record: r, now: at("2025-12-01T09:00")) == nil)
        let jobs = b.claim(channel: "thu", owner: "w", now: at("2025-12-01T08:00"), limit: 10, leaseUntil: at("2025-12-01T08:15"))
        #expect(jobs.map(\.messageKey) == ["k1", "k3"])
        #expect(b.nextDue(channel: "thu") == at("2025-12-01T08:15"))
        #expect(b.claim(channel: "thu", owner: "v", now: at("2025-12-01T08:01"), limit: 10, leaseUntil: at("2025-12-01T09:00")).isEmpty)
        #expect(b.claim(channel: "other", owner: "v", now: at("2025-12-03T08:00"), limit: 10, leaseUntil: at("2025-12-03T09:00")).isEmpty)
    }

    @Test func leasesOwnersAndOutcomes() {
        var b = QueueBook()
        b.add(fan("k1"), recordKey: "r1", record: r, now: at("2025-12-01T08:00"))
        b.add(fan("k2"), recordKey: "r2", record: r, now: at("2025-12-01T08:00"))
        let t = at("2025-12-01T08:00")
        _ = b.claim(channel: "thu", owner: "w", now: t, limit: 2, leaseUntil: t.adding(seconds: 900))
        // Another sender's report for the claim is ignored.
        #expect(b.report([DeliveryReport(id: 1, messageKey: "k1", at: t, outcome: .sent(providerID: "x"))], owner: "v") == 0)
        let failure = DeliveryFailure(.transient, "SMTP 451 busy (RCPT TO)")
        #expect(
            b.report(
                [
                    DeliveryReport(id: 1, messageKey: "k1", at: t, outcome: .sent(providerID: "250 ok")),
                    DeliveryReport(id: 2, messageKey: "k2", at: t, outcome: .retry(at: t.adding(seconds: 120), failure: failure)),
                ], owner: "w") == 2)
        #expect(b.entries[1]?.state == .sent && b.entries[1]?.providerID == "250 ok")
        #expect(b.entries[2]?.state == .pending && b.entries[2]?.delivery.attempts == 1)
        #expect(b.entries[2]?.lastError == "transient: SMTP 451 busy (RCPT TO)")
        #expect(b.nextDue(channel: "thu") == t.adding(seconds: 120))
        // A sender that dies holds its claim until the lease ends; then the same message key goes again.
        let again = b.claim(channel: "thu", owner: "w", now: t.adding(seconds: 120), limit: 1, leaseUntil: t.adding(seconds: 300))
        #expect(again.map(\.messageKey) == ["k2"])
        #expect(b.claim(channel: "thu", owner: "v", now: t.adding(seconds: 299), limit: 1, leaseUntil: t.adding(seconds: 999)).isEmpty)
        #expect(
            b.claim(channel: "thu", owner: "v", now: t.adding(seconds: 300), limit: 1, leaseUntil: t.adding(seconds: 999)).map(\.messageKey)
                == ["k2"])
        b.report([DeliveryReport(id: 2, messageKey: "k2", at: t, outcome: .dead(DeliveryFailure(.permanent, "SMTP 550 no")))], owner: "v")
        #expect(b.deadIDs == [2] && b.counts() == [.sent: 1, .dead: 1])
        // An operator's retry: pending again at once, the same message key.
        #expect(b.retry([1, 2], now: t.adding(seconds: 3600)) == [2])
        let retried = b.claim(channel: "thu", owner: "v", now: t.adding(seconds: 3600), limit: 5, leaseUntil: t.adding(seconds: 9999))
        #expect(retried.map(\.messageKey) == ["k2"])
        b.release([2], owner: "v")
        #expect(b.entries[2]?.state == .pending && b.entries[2]?.delivery.attempts == 2)
    }

    @Test func digestsAreOneMessageSealedAtTheFirstClaim() {
        var b = QueueBook()
        let g = "r|thu|a@example.vn|2025-12-02"
        b.add(fan("k1", notBefore: "2025-12-02T07:30", digest: g), recordKey: "r1", record: r, now: at("2025-12-01T08:00"))
        b.add(fan("x", notBefore: "2025-12-02T07:30"), recordKey: "rx", record: r, now: at("2025-12-01T08:30"))
        b.add(fan("k2", notBefore: "2025-12-02T07:30", digest: g), recordKey: "r2", record: r, now: at("2025-12-01T09:00"))
        let t = at("2025-12-02T07:30")
        let jobs = b.claim(channel: "thu", owner: "w", now: t, limit: 10, leaseUntil: t.adding(seconds: 900))
        #expect(jobs.map(\.messageKey) == [g, "x"])
        #expect(jobs[0].items.map(\.id) == [1, 3] && jobs[0].isDigest)
        // A delivery arriving after its digest went out goes in a second message with its own key.
        b.add(fan("k3", notBefore: "2025-12-02T07:30", digest: g), recordKey: "r3", record: r, now: t.adding(seconds: 60))
        b.report(
            jobs[0].items.map { DeliveryReport(id: $0.id, messageKey: g, at: t, outcome: .sent(providerID: nil)) }
                + [DeliveryReport(id: 2, messageKey: "x", at: t, outcome: .sent(providerID: nil))], owner: "w")
        let late = b.claim(channel: "thu", owner: "w", now: t.adding(seconds: 60), limit: 10, leaseUntil: t.adding(seconds: 900))
        #expect(late.map(\.messageKey) == [g + "#2"])
        // A digest that failed is retried as the same message with the same members.
        b.report(
            [
                DeliveryReport(
                    id: 4, messageKey: g + "#2", at: t,
                    outcome: .retry(at: t.adding(seconds: 600), failure: DeliveryFailure(.transient, "x")))
            ], owner: "w")
        b.add(fan("k5", notBefore: "2025-12-02T07:30", digest: g), recordKey: "r5", record: r, now: t.adding(seconds: 120))
        let retry = b.claim(channel: "thu", owner: "w", now: t.adding(seconds: 600), limit: 10, leaseUntil: t.adding(seconds: 1900))
        #expect(retry.map(\.messageKey) == [g + "#2", g + "#3"])
        #expect(retry.map { $0.items.map(\.id) } == [[4], [5]])
    }

    @Test func aClaimGivesBackWhatTheSameOwnerStillHolds() {
        // A worker claims again only once its batch is reported or released: what it still holds is an orphan (a
        // claim whose reply was lost, a sender killed and started again under the same name).
        var b = QueueBook()
        b.add(fan("k1"), recordKey: "r1", record: r, now: at("2025-12-01T08:00"))
        b.add(fan("k2"), recordKey: "r2", record: r, now: at("2025-12-01T08:00"))
        let t = at("2025-12-01T08:00")
        #expect(
            b.claim(channel: "thu", owner: "host/thu/0", now: t, limit: 1, leaseUntil: t.adding(seconds: 900)).map(\.messageKey) == ["k1"])
        #expect(b.claim(channel: "thu", owner: "other", now: t, limit: 5, leaseUntil: t.adding(seconds: 900)).map(\.messageKey) == ["k2"])
        // The same owner again, long before the lease ends: k1 first, in its place; other's claim is untouched.
        let again = b.claim(channel: "thu", owner: "host/thu/0", now: t.adding(seconds: 5), limit: 5, leaseUntil: t.adding(seconds: 905))
        #expect(again.map(\.messageKey) == ["k1"])
        #expect(b.entries[2]?.owner == "other" && b.entries[2]?.state == .inflight)
    }

    @Test func aNewerNoticeOfTheSameDeadlineReplacesAnUnsentOne() {
        var b = QueueBook()
        let s = "nhac-viec/an|m:nop"
        b.add(fan("k1", notBefore: "2025-12-08T07:00", series: s), recordKey: "r1", record: r, now: at("2025-12-06T08:00"))
        b.add(fan("k2", notBefore: "2025-12-08T08:00", series: s), recordKey: "r2", record: r, now: at("2025-12-08T08:00"))
        b.add(
            fan("k3", to: "b@example.vn", notBefore: "2025-12-08T07:00", series: s), recordKey: "r3", record: r, now: at("2025-12-06T08:00")
        )
        // At 07:00 the newer notice does not exist yet: the held one goes.
        let early = b.claim(channel: "thu", owner: "w", now: at("2025-12-08T07:00"), limit: 10, leaseUntil: at("2025-12-08T07:15"))
        #expect(early.flatMap(\.items).map(\.supersededBy) == [nil, nil])
        b.release([1, 3], owner: "w")
        // At 08:00 it does: the older one is marked for expiry; another recipient's notice is not affected.
        let later = b.claim(channel: "thu", owner: "w", now: at("2025-12-08T08:00"), limit: 10, leaseUntil: at("2025-12-08T08:15"))
        #expect(later.flatMap(\.items).map(\.id) == [1, 2, 3])
        #expect(later.flatMap(\.items).map(\.supersededBy) == [2, nil, nil])
    }

    @Test func aDigestSentLateKeepsANoticeWhoseNewerOneWaitsForTheNextDigest() {
        var b = QueueBook()
        let s = "dang-vien-du-bi/a|state"
        let day1 = "r|thu|a@example.vn|2025-12-02"
        let day2 = "r|thu|a@example.vn|2025-12-03"
        // Tuesday's digest holds Monday's overdue notice; the relay is down until Tuesday noon, after Tuesday's 08:00
        // overdue notice was written for Wednesday's digest.
        b.add(fan("k1", notBefore: "2025-12-02T07:30", digest: day1, series: s), recordKey: "r1", record: r, now: at("2025-12-01T08:00"))
        b.add(fan("k2", notBefore: "2025-12-03T07:30", digest: day2, series: s), recordKey: "r2", record: r, now: at("2025-12-02T08:00"))
        let noon = b.claim(channel: "thu", owner: "w", now: at("2025-12-02T12:00"), limit: 10, leaseUntil: at("2025-12-02T12:15"))
        #expect(noon.map(\.messageKey) == [day1])
        #expect(noon.flatMap(\.items).map(\.supersededBy) == [nil], "Tuesday's digest still lists the case")
        b.release([1], owner: "w")
        // A newer notice in the same digest, or one sent on its own, still replaces it.
        b.add(fan("k3", notBefore: "2025-12-02T07:30", digest: day1, series: s), recordKey: "r3", record: r, now: at("2025-12-02T12:01"))
        let again = b.claim(channel: "thu", owner: "w", now: at("2025-12-02T12:05"), limit: 10, leaseUntil: at("2025-12-02T12:20"))
        #expect(again.flatMap(\.items).map(\.supersededBy) == [3, nil])
    }

    @Test func aNewerNoticeThatAlreadyWentOutStillReplacesAHeldOne() {
        var b = QueueBook()
        let s = "nhac-viec/an|m:nop"
        // Saturday's warning is held to Monday; Sunday's crit notice goes at once.
        b.add(fan("k1", notBefore: "2025-12-08T07:00", series: s), recordKey: "r1", record: r, now: at("2025-12-06T08:00"))
        b.add(fan("k2", notBefore: "2025-12-07T08:00", series: s), recordKey: "r2", record: r, now: at("2025-12-07T08:00"))
        let sunday = b.claim(channel: "thu", owner: "w", now: at("2025-12-07T08:00"), limit: 10, leaseUntil: at("2025-12-07T08:15"))
        #expect(sunday.map(\.messageKey) == ["k2"])
        b.report([DeliveryReport(id: 2, messageKey: "k2", at: at("2025-12-07T08:00"), outcome: .sent(providerID: nil))], owner: "w")
        let monday = b.claim(channel: "thu", owner: "w", now: at("2025-12-08T07:00"), limit: 10, leaseUntil: at("2025-12-08T07:15"))
        #expect(monday.flatMap(\.items).map(\.supersededBy) == [2])
    }
}
