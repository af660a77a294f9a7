import Testing
import TiendoCore
import TiendoDelivery

@Suite struct RouterTests {
    let router = Router(routing: RoutingFixture.routing(), definitions: Repo.definitions, fallbackCalendar: Repo.vn)

    func fanOut(_ j: JSON, data: [String: String] = anData, now: String? = nil) -> [FanOut] {
        let n = notice(j)
        return router.fanOut(n, recordKey: n.derivedKey, data: data, now: now.map(at) ?? n.at).deliveries
    }

    @Test func reminderFansOutToTheMemberTheSecretaryAndTheOffice() throws {
        let d = fanOut(record(at: "2025-12-03T08:00:00+07:00"))
        #expect(d.map(\.recipient?.address) == ["an.nguyen@example.vn", "bithu.kdc2@example.vn", "vanphong@tayho.example.vn"])
        #expect(d[0].recipient?.name == "Nguyễn Văn An")
        #expect(d[0].route == "dang-vien" && d[0].digest == nil)
        // Wednesday 08:00 is within the sending hours: at once.
        #expect(d[0].notBefore == at("2025-12-03T08:00"))
        // A reminder is worth nothing after the end of its due day.
        #expect(d[0].expiresAt == at("2025-12-11T00:00"))
        #expect(d[0].key == "nhac-viec/nguyen-van-an|reminder|m:nop-bao-cao||2025-12-10|1764723600|thu|an.nguyen@example.vn")
        #expect(d[0].series == "nhac-viec/nguyen-van-an|m:nop-bao-cao")
        // The digest of the next morning at 07:30.
        #expect(d[1].digest == "bi-thu|thu|bithu.kdc2@example.vn|2025-12-04")
        #expect(d[1].notBefore == at("2025-12-04T07:30"))
        #expect(d[2].digest == "bi-thu|thu|vanphong@tayho.example.vn|2025-12-04")
    }

    @Test func quietHoursHoldNightsWeekendsAndHolidays() throws {
        // Held notices go a minute after the workflow's own notices of that morning (nhac-viec: 08:00), within the
        // hours (07:00–18:00): a newer notice of the same deadline written at 08:00 then replaces the held one.
        // Friday 19:00 → Monday 08:01.
        #expect(fanOut(record(at: "2025-12-05T19:00:00+07:00"))[0].notBefore == at("2025-12-08T08:01"))
        // Saturday noon → Monday 08:01.
        #expect(fanOut(record(at: "2025-12-06T12:00:00+07:00"))[0].notBefore == at("2025-12-08T08:01"))
        // Before the hours on a working day → the same morning.
        #expect(fanOut(record(at: "2025-12-04T05:10:00+07:00"))[0].notBefore == at("2025-12-04T08:01"))
        // Tết 2026 (16–20/02 official, then the weekend) → Monday 23/02.
        #expect(fanOut(record(at: "2026-02-13T18:30:00+07:00", due: "2026-03-01"))[0].notBefore == at("2026-02-23T08:01"))
        // The make-up working Saturday 26/04/2025 is a working day.
        #expect(fanOut(record(at: "2025-04-26T09:00:00+07:00", due: "2025-05-10"))[0].notBefore == at("2025-04-26T09:00"))
        // Priority crit (2) or more urgent is sent at once, even on a Sunday night; the digest still waits.
        let urgent = fanOut(record("overdue", at: "2025-12-07T23:00:00+07:00", daysLeft: -3, priority: 2))
        #expect(urgent[0].notBefore == at("2025-12-07T23:00"))
        #expect(urgent[1].notBefore == at("2025-12-08T07:30"))
        // A workflow whose notices come before the hours (06:00), or after them (19:00), or one not loaded: the start of
        // the hours; a notice written within them is not held at all.
        let window = router.window(for: "nhac-viec")
        let friday = at("2025-12-05T19:00")
        #expect(window.release(from: friday, notices: TimeOfDay(hour: 6, minute: 0)) == at("2025-12-08T07:00"))
        #expect(window.release(from: friday, notices: TimeOfDay(hour: 19, minute: 0)) == at("2025-12-08T07:00"))
        #expect(window.release(from: friday, notices: nil) == at("2025-12-08T07:00"))
        #expect(window.release(from: at("2025-12-05T07:30"), notices: TimeOfDay(hour: 8, minute: 0)) == at("2025-12-05T07:30"))
        // A reminder whose deadline comes before 08:01 (an instant due at 08:00 on Monday) goes when the hours open.
        #expect(
            window.release(from: friday, notices: TimeOfDay(hour: 8, minute: 0), expires: at("2025-12-08T08:00")) == at("2025-12-08T07:00"))
    }

    @Test func lateRecordsCountFromTheirCommit() {
        // A record committed after downtime is held from the commit, not from its `at`.
        #expect(fanOut(record(at: "2025-12-03T08:00:00+07:00"), now: "2025-12-03T20:00")[0].notBefore == at("2025-12-04T08:01"))
    }

    @Test func routesFilterByKindGroupAndPriority() {
        // `started` matches no route of the fixture.
        #expect(fanOut(record("started", at: "2025-12-01T09:00:00+07:00", due: nil, daysLeft: nil, priority: 6)).isEmpty)
        // An overdue notice at warning also goes to the provincial webhook, which has no recipient and is not held.
        let overdue = fanOut(record("overdue", at: "2025-12-13T08:00:00+07:00", daysLeft: -3, priority: 4))
        #expect(overdue.map(\.channel) == ["thu", "thu", "thu", "cong-tinh"])
        #expect(overdue[3].recipient == nil && overdue[3].key.hasSuffix("|cong-tinh"))
        #expect(overdue[3].notBefore == at("2025-12-15T08:01"))
        #expect(overdue.allSatisfy { $0.expiresAt == nil })
        // The secretary's route takes notice (5) or more severe: info (6) reaches only the member.
        #expect(fanOut(record(at: "2025-12-03T08:00:00+07:00", priority: 6)).map(\.route) == ["dang-vien"])
        // No group: no list recipient.
        #expect(
            fanOut(record(at: "2025-12-03T08:00:00+07:00", group: nil)).map(\.recipient?.address)
                == ["an.nguyen@example.vn", "vanphong@tayho.example.vn"])
    }

    @Test("a list's group spelt otherwise (letter case, diacritics, spaces) is the records' group, as the web reads it")
    func listGroupsMatchAsTheWebReadsThem() throws {
        for spelt in ["Chi bộ khu dân cư số 2", "chi bo khu dan cu so 2", "Chi bộ  Khu dân cư số 2 "] {
            let d = fanOut(record(at: "2025-12-03T08:00:00+07:00", group: spelt))
            #expect(d.map(\.recipient?.address).contains("bithu.kdc2@example.vn"), "\(spelt)")
        }
        // Another name is another group.
        let other = fanOut(record(at: "2025-12-03T08:00:00+07:00", group: "Chi bộ Khu dân cư số 22"))
        #expect(!other.map(\.recipient?.address).contains("bithu.kdc2@example.vn"))
        // A list that spells one group two ways lists its people once for it.
        let list = RecipientList(
            name: "bi-thu", file: "bi-thu.csv",
            byGroup: [
                "Chi bộ Khu dân cư số 5": [Mailbox(name: "A", address: "a@example.vn")],
                "Chi bộ khu dân cư số 5": [Mailbox(name: "A", address: "A@example.vn"), Mailbox(name: "B", address: "b@example.vn")],
            ])
        #expect(list.recipients(group: "CHI BỘ KHU DÂN CƯ SỐ 5").map(\.address) == ["a@example.vn", "b@example.vn"])
    }

    @Test func fieldRecipientsComeFromTheInstanceData() {
        let n = notice(record(at: "2025-12-03T08:00:00+07:00"))
        let (none, _) = router.fanOut(n, recordKey: "k", data: ["ho_ten": "Lê Văn Cường"], now: n.at)
        #expect(none.map(\.route) == ["bi-thu", "bi-thu"])
        let (bad, unreachable) = router.fanOut(n, recordKey: "k", data: ["email": "cuong(at)example.vn"], now: n.at)
        #expect(bad.count == 2)
        // The person the field names is kept apart, for tiendod to queue as a dead letter the office sees.
        #expect(unreachable.map(\.key) == ["k|thu|!cuong(at)example.vn"])
        #expect(unreachable.map(\.value) == ["cuong(at)example.vn"])
        #expect(unreachable.map(\.route) == ["dang-vien"])
        #expect(
            unreachable.map(\.logLine) == [
                "nhac-viec/nguyen-van-an: trường 'email' (tuyến 'dang-vien'): «cuong(at)example.vn» không phải một địa chỉ e-mail"
                    + " (dạng ten@ten-mien, chữ không dấu); không gửi được cho người này"
            ])
        // An address with a line break after it (a pasted cell) is an address; spaces alone are no recipient.
        let (pasted, none2) = router.fanOut(n, recordKey: "k", data: ["email": "an@example.vn\r\n"], now: n.at)
        #expect(none2.isEmpty && pasted.contains { $0.recipient?.address == "an@example.vn" })
        #expect(router.fanOut(n, recordKey: "k", data: ["email": " \n "], now: n.at).unreachable.isEmpty)
        #expect(unreachable[0].reason.hasPrefix("trường «Thư điện tử» của hồ sơ ghi «cuong(at)example.vn», không phải một địa chỉ e-mail"))
    }

    @Test("a name typed over two lines names its recipient on one: the queue reads it back, and the message goes")
    func namesOnOneLine() throws {
        let n = notice(record(at: "2025-12-03T08:00:00+07:00"))
        var data = anData
        data["ho_ten"] = "  Vũ Thị\r\nMai\t(KDC 2)\u{2028} "
        let d = router.fanOut(n, recordKey: "k", data: data, now: n.at).deliveries
        let member = try #require(d.first { $0.route == "dang-vien" }?.recipient)
        #expect(member.name == "Vũ Thị Mai (KDC 2)")
        guard case .success(let back) = Mailbox.parse(member.description) else {
            Issue.record("not read back: \(member.description)")
            return
        }
        #expect(back == member)
    }

    @Test func oneDeliveryPerRecipientAndChannel() {
        // The office is reached by both a digest route and an immediate route: the first route decides.
        let text = RoutingFixture.standard.replacingOccurrences(
            of: "    to: {field: email, name_field: ho_ten}", with: "    to: [{field: email}, vanphong@tayho.example.vn]")
        let r = Router(routing: RoutingFixture.routing(text), definitions: Repo.definitions, fallbackCalendar: Repo.vn)
        let n = notice(record(at: "2025-12-03T08:00:00+07:00"))
        let d = r.fanOut(n, recordKey: "k", data: anData, now: n.at).deliveries
        #expect(d.map(\.recipient?.address) == ["an.nguyen@example.vn", "vanphong@tayho.example.vn", "bithu.kdc2@example.vn"])
        #expect(d[1].digest == nil)
        // The member's own name from the data only when the field holds a bare address.
        #expect(d[0].recipient?.name == nil)
    }

    @Test func weeklyDigestsGoOutOnTheFirstWorkingDayOfTheWeek() {
        let text = RoutingFixture.standard.replacingOccurrences(of: "every: day", with: "every: week")
        let r = Router(routing: RoutingFixture.routing(text), definitions: Repo.definitions, fallbackCalendar: Repo.vn)
        func slot(_ t: String) -> FanOut {
            let n = notice(record(at: t, due: "2026-12-31"))
            return r.fanOut(n, recordKey: "k", data: anData, now: n.at).deliveries[1]
        }
        #expect(slot("2025-12-03T08:00:00+07:00").notBefore == at("2025-12-08T07:30"))
        #expect(slot("2025-12-08T07:00:00+07:00").notBefore == at("2025-12-08T07:30"))
        #expect(slot("2025-12-08T07:31:00+07:00").notBefore == at("2025-12-15T07:30"))
        // The week of 01/01/2026 (a holiday on Thursday): Monday 29/12/2025 opens it; the next week starts 05/01.
        #expect(slot("2025-12-30T10:00:00+07:00").notBefore == at("2026-01-05T07:30"))
        // The week after Tết 2026 (Mon 16 – Fri 20/02 off): none that week, Monday 23/02.
        #expect(slot("2026-02-16T06:00:00+07:00").notBefore == at("2026-02-23T07:30"))
        #expect(slot("2026-02-16T06:00:00+07:00").digest == "bi-thu|thu|bithu.kdc2@example.vn|2026-02-23")
    }

    @Test("a digest route's own 'every' overrides the file's: the office each working day, the secretaries weekly")
    func routesOwnDigestPeriod() throws {
        let text = RoutingFixture.standard.replacingOccurrences(of: "every: day", with: "every: week")
            .replacingOccurrences(of: "    mode: digest\n", with: "    mode: digest\n    every: day\n")
        let routing = RoutingFixture.routing(text)
        #expect(routing.digest.every == .week && routing.routes[1].every == .day && routing.routes[0].every == nil)
        let r = Router(routing: routing, definitions: Repo.definitions, fallbackCalendar: Repo.vn)
        let n = notice(record(at: "2025-12-03T08:00:00+07:00", due: "2026-12-31"))
        let d = r.fanOut(n, recordKey: "k", data: anData, now: n.at).deliveries[1]
        // Wednesday's notice: Thursday's digest, not the next Monday's.
        #expect(d.notBefore == at("2025-12-04T07:30") && d.digestPeriod == .day)
        #expect(d.digest == "bi-thu|thu|bithu.kdc2@example.vn|2025-12-04")
    }

    @Test func sendWindowOnItsOwn() {
        let w = SendWindow(calendar: Repo.vn, zone: .vietnam, hours: .standard)
        #expect(w.allows(at("2025-12-03T07:00")))
        #expect(!w.allows(at("2025-12-03T18:00")))
        #expect(!w.allows(at("2025-12-06T10:00")))
        // 30/04 and 01/05/2026 are holidays, then the weekend.
        #expect(w.earliest(from: at("2026-04-29T18:00")) == at("2026-05-04T07:00"))
        #expect(w.digestSlot(from: at("2026-04-29T08:00"), schedule: .standard).date == CivilDate(2026, 5, 4))
    }
}
