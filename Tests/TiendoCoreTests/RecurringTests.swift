import Testing

@testable import TiendoCore

/// Format §6 "Recurring milestones" and §10 "Recurring milestones", rules 2–9; interfaces §5 "Open deadlines".
@Suite struct RecurringTests {
    /// The contract's `dang-phi` in a workflow whose instance stays in a non-final state.
    static let yaml = """
        tiendo: 1
        title: Sinh hoạt đảng
        initial: dang-sinh-hoat
        states:
          dang-sinh-hoat:
            on: {chuyen-di: da-chuyen}
          da-chuyen: {final: true}
        milestones:
          dang-phi:
            title: Đóng đảng phí
            every: 1mo
            anchor: 2027-01-01
            due: period + 1mo - 1d
            remind: [3d]
            overdue: {repeat: 7d, missed: {count: 3, priority: crit}}
            basis: "Điều lệ Đảng, Điều 8; QĐ 342-QĐ/TW"
        """

    static func definition() throws -> WorkflowDefinition { try Fixtures.workflow("sinh-hoat", yaml) }

    /// `DD/MM HH:MM kind occurrence [missed N] priority`.
    static func line(_ r: Record) -> String {
        let iso = r.atText
        var s = "\(iso.dropFirst(8).prefix(2))/\(iso.dropFirst(5).prefix(2)) \(iso.dropFirst(11).prefix(5)) \(r.kind.rawValue)"
        if let o = r.occurrence { s += " \(o)" }
        if let m = r.missed { s += " missed \(m)" }
        return s + " p\(r.priority)"
    }

    func simulate(until: String, events: [SimulatedEvent] = []) throws -> (records: [Record], instance: Instance) {
        let def = try Self.definition()
        let sim = Simulator()
        let (records, problems) = sim.run(
            from: at("2027-03-10T09:00"), until: at(until),
            planned: [Simulator.Planned(workflow: def, key: "dv-01", started: at("2027-03-10T09:00"), data: [:])],
            events: events)
        #expect(problems.isEmpty, "\(problems)")
        return (records, try #require(sim.finalInstances.first))
    }

    static let paid = SimulatedEvent(
        at: at("2027-06-03T10:00"), instance: "sinh-hoat/dv-01", event: "done", data: [("milestone", .string("dang-phi"))], line: 1)

    @Test("the contract's dang-phi example: openings, reminders, overdue series, rule 7 drops, missed and crit")
    func contractExample() throws {
        let (records, inst) = try simulate(until: "2027-06-12T23:59", events: [Self.paid])
        #expect(
            records.map(Self.line) == [
                "10/03 09:00 started p6",
                "28/03 08:00 reminder 2027-03 p5",
                "01/04 08:00 overdue 2027-03 missed 1 p4",
                "08/04 08:00 overdue 2027-03 missed 1 p4",
                "15/04 08:00 overdue 2027-03 missed 1 p4",
                "22/04 08:00 overdue 2027-03 missed 1 p4",
                "27/04 08:00 reminder 2027-04 p5",
                "29/04 08:00 overdue 2027-03 missed 1 p4",
                "01/05 08:00 overdue 2027-04 missed 2 p4",
                // 2027-03's notice of 06/05 is dropped: 2027-04 is open and overdue.
                "08/05 08:00 overdue 2027-04 missed 2 p4",
                "15/05 08:00 overdue 2027-04 missed 2 p4",
                "22/05 08:00 overdue 2027-04 missed 2 p4",
                "28/05 08:00 reminder 2027-05 p5",
                "29/05 08:00 overdue 2027-04 missed 2 p4",
                "01/06 08:00 overdue 2027-05 missed 3 p2",
                "03/06 10:00 milestone-done 2027-03 p6",
                // 2027-04's notice of 05/06 was dropped; after the payment 2 of the last 3 are open: warning.
                "08/06 08:00 overdue 2027-05 missed 2 p4",
            ])
        let done = try #require(records.first { $0.kind == .milestoneDone })
        #expect(
            done.json.serialized()
                == #"{"at":"2027-06-03T10:00:00+07:00","kind":"milestone-done","workflow":"sinh-hoat","instance":"sinh-hoat/dv-01","state":"dang-sinh-hoat","event":"done","milestone":"dang-phi","occurrence":"2027-03","due":"2027-03-31","priority":6,"message":"Đã hoàn thành «Đóng đảng phí kỳ 03/2027» (sinh-hoat/dv-01)"}"#
        )
        let crit = try #require(records.first { $0.priority == 2 })
        #expect(crit.due == "2027-05-31" && crit.daysLeft == -1 && crit.milestone == "dang-phi")
        #expect(crit.message == "Quá hạn 1 ngày: «Đóng đảng phí kỳ 05/2027» (sinh-hoat/dv-01), 3 kỳ đang quá hạn, hạn chót 31/05/2027")
        // Only open occurrences and their marks are kept.
        let series = try #require(inst.series["dang-phi"])
        #expect(series.open.map(\.index) == [3, 4, 5])
        #expect(series.next == 6 && series.first == 2 && series.anchor == day("2027-01-01"))
        #expect(inst.marks["dang-phi@2027-03"] == nil)
    }

    @Test("deadlines at 03/06 10:00: 2027-04 and 2027-05 overdue, 2027-06 is next; the Milestone view")
    func deadlinesAfterPayment() throws {
        let (_, inst) = try simulate(until: "2027-06-03T10:00", events: [Self.paid])
        let engine = Engine(try Self.definition())
        let now = at("2027-06-03T10:00")
        let (items, next) = engine.deadlines(inst, now: now)
        #expect(
            items.map { $0.serialized() } == [
                #"{"workflow":"sinh-hoat","instance":"sinh-hoat/dv-01","state":"dang-sinh-hoat","milestone":"dang-phi","occurrence":"2027-04","title":"Đóng đảng phí","due":"2027-04-30","daysLeft":-34,"overdue":true}"#,
                #"{"workflow":"sinh-hoat","instance":"sinh-hoat/dv-01","state":"dang-sinh-hoat","milestone":"dang-phi","occurrence":"2027-05","title":"Đóng đảng phí","due":"2027-05-31","daysLeft":-3,"overdue":true}"#,
                #"{"workflow":"sinh-hoat","instance":"sinh-hoat/dv-01","state":"dang-sinh-hoat","milestone":"dang-phi","occurrence":"2027-06","title":"Đóng đảng phí","due":"2027-06-30","daysLeft":27,"overdue":false}"#,
            ])
        #expect(next == items[2])
        let view = try #require(engine.milestoneViews(inst, now: now).first)
        #expect(
            view.json(zone: .vietnam).serialized()
                == #"{"id":"dang-phi","title":"Đóng đảng phí","due":"2027-04-30","done":false,"doneAt":null,"overdue":true,"requires":[],"every":"1mo","occurrence":"2027-04","openCount":3}"#
        )
    }

    @Test("plan --start 2027-03-10T09:00 --until 2027-06-30: each occurrence's reminders and overdue notice 0")
    func plan() throws {
        let def = try Self.definition()
        let plan = Planner.plan(def, data: [:], start: at("2027-03-10T09:00"), until: day("2027-06-30"))
        #expect(
            plan.map(Self.line) == [
                "10/03 09:00 started p6",
                "28/03 08:00 reminder 2027-03 p5",
                "01/04 08:00 overdue 2027-03 missed 1 p4",
                "27/04 08:00 reminder 2027-04 p5",
                "01/05 08:00 overdue 2027-04 missed 2 p4",
                "28/05 08:00 reminder 2027-05 p5",
                "01/06 08:00 overdue 2027-05 missed 3 p2",
                "27/06 08:00 reminder 2027-06 p5",
            ])
    }

    @Test("done M@LABEL: the named occurrence; rule 6 rejections; a done occurrence again is a no-op")
    func doneByLabel() throws {
        let engine = Engine(try Self.definition())
        var (inst, _) = try engine.started("dv-02", data: [:], at: at("2027-03-10T09:00"), now: at("2027-05-02T09:00"))
        #expect(inst.series["dang-phi"]?.open.map(\.index) == [2, 3, 4])
        func reason(_ m: String) -> String? {
            var copy = inst
            if case .failure(.eventRejected(_, let event, _, let reason, let record)) = engine.completeMilestone(
                &copy, milestone: m, at: at("2027-05-02T10:00"), actor: 0)
            {
                #expect(event == "done" && record?.kind == .rejected)
                return reason
            }
            return nil
        }
        #expect(reason("dang-phi@2027-02")?.contains("không có kỳ '2027-02'") == true)  // before the first
        #expect(reason("dang-phi@2027-3")?.contains("không có kỳ") == true)  // malformed
        #expect(reason("dang-phi@2027-03-01")?.contains("YYYY-MM") == true)
        #expect(reason("dang-phi@2027-06") == "kỳ 06/2027 của «Đóng đảng phí» (dang-phi) chưa mở: chưa thể hoàn thành trước kỳ")
        let rs = try engine.completeMilestone(&inst, milestone: "dang-phi@2027-04", at: at("2027-05-02T10:00"), actor: 1000).get()
        #expect(rs.map(Self.line) == ["02/05 10:00 milestone-done 2027-04 p6"])
        #expect(rs[0].actor == 1000 && rs[0].due == "2027-04-30")
        #expect(inst.series["dang-phi"]?.open.map(\.index) == [2, 4])
        #expect(try engine.completeMilestone(&inst, milestone: "dang-phi@2027-04", at: at("2027-05-02T11:00"), actor: 0).get().isEmpty)
        // `done M` takes the oldest open occurrence.
        let oldest = try engine.completeMilestone(&inst, milestone: "dang-phi", at: at("2027-05-02T11:00"), actor: 0).get()
        #expect(oldest.first?.occurrence == "2027-03")
        _ = try engine.completeMilestone(&inst, milestone: "dang-phi", at: at("2027-05-02T11:00"), actor: 0).get()
        #expect(inst.series["dang-phi"]?.open.isEmpty == true)
        // A second press reads that the first went through, and when the next period opens.
        #expect(
            Self.rejection(engine, inst, "dang-phi", at: at("2027-05-02T12:00"))
                == "mốc định kỳ «Đóng đảng phí» (dang-phi) không có kỳ nào đang mở; lần đánh dấu xong gần nhất lúc 11:00 ngày 02/05/2027; "
                + "kỳ tiếp theo (06/2027) bắt đầu từ ngày 01/06/2027")
    }

    @Test("done with no open period in a final state says the case is there and no period will open")
    func doneInFinalState() throws {
        let engine = Engine(
            try Fixtures.workflow(
                "chi-bo",
                """
                tiendo: 1
                title: Chi bộ
                initial: hoat-dong
                states:
                  hoat-dong: {title: Đang hoạt động, on: {giai-the: giai-the}}
                  giai-the: {title: Đã giải thể, final: true}
                milestones:
                  hop:
                    title: Họp chi bộ
                    every: 1mo
                    anchor: 2027-01-01
                    due: period + 1mo - 1d
                """))
        var (inst, _) = try engine.started("a", data: [:], at: at("2027-01-01T08:00"), now: at("2027-01-01T08:00"))
        _ = try engine.completeMilestone(&inst, milestone: "hop", at: at("2027-01-20T10:00"), actor: 0).get()
        _ = try engine.send(&inst, event: "giai-the", data: [], at: at("2027-01-25T10:00"), actor: nil, counter: nil).get()
        #expect(
            Self.rejection(engine, inst, "hop", at: at("2027-03-02T10:00"))
                == "mốc định kỳ «Họp chi bộ» (hop) không có kỳ nào đang mở; lần đánh dấu xong gần nhất lúc 10:00 ngày 20/01/2027; "
                + "hồ sơ đã ở trạng thái cuối «Đã giải thể»: không còn kỳ nào nữa")
    }

    /// Why `done milestone` at `at` is rejected on a copy of `inst`; nil when it is not.
    static func rejection(_ engine: Engine, _ inst: Instance, _ milestone: String, at: Instant) -> String? {
        var copy = inst
        guard
            case .failure(.eventRejected(_, _, _, let reason, _)) = engine.completeMilestone(&copy, milestone: milestone, at: at, actor: 0)
        else { return nil }
        return reason
    }

    static let oneShot = """
        tiendo: 1
        title: Mốc
        milestones:
          a: {title: A, due: 2027-03-01}
          b:
            title: B
            every: 2w
            anchor: 2027-01-04
            due: period + 6d
            count: 3
        """

    @Test("'@' on a one-shot milestone is rejected; d|w labels are dates; count ends the series, which then completes")
    func countAndCompletion() throws {
        let engine = Engine(try Fixtures.workflow("moc", Self.oneShot))
        var (inst, started) = try engine.started("x", data: [:], at: at("2027-01-01T08:00"), now: at("2027-03-01T08:00"))
        // Catch-up over three overdue occurrences: one notice, from the newest (rule 7).
        #expect(started.filter { $0.kind == .overdue }.compactMap(\.occurrence) == ["2027-02-01"])
        var copy = inst
        if case .failure(.eventRejected(_, _, _, let r, _)) = engine.completeMilestone(
            &copy, milestone: "a@2027-01", at: at("2027-03-01T09:00"), actor: 0)
        {
            #expect(r == "mốc «A» (a) không định kỳ: không dùng '@KỲ'")
        } else {
            Issue.record("'@' on a one-shot milestone must be rejected")
        }
        // k = 3 is past count: it names no occurrence.
        if case .failure(.eventRejected(_, _, _, let r, _)) = engine.completeMilestone(
            &copy, milestone: "b@2027-02-15", at: at("2027-03-01T09:00"), actor: 0)
        {
            #expect(r.contains("không có kỳ '2027-02-15'"))
        } else {
            Issue.record("a label past count must be rejected")
        }
        let views = engine.milestoneViews(inst, now: at("2027-03-01T09:00"))
        #expect(views[1].openCount == 3 && views[1].occurrence == "2027-01-04" && views[1].overdue && !views[1].done)
        var records: [Record] = []
        for m in ["a", "b", "b", "b@2027-02-01"] {
            records += try engine.completeMilestone(&inst, milestone: m, at: at("2027-03-02T09:00"), actor: 0).get()
        }
        #expect(
            records.filter { $0.kind != .overdue }.map(\.kind) == [
                .milestoneDone, .milestoneDone, .milestoneDone, .milestoneDone, .completed,
            ])
        #expect(
            records.filter { $0.kind == .milestoneDone }.map { $0.occurrence ?? $0.milestone! } == [
                "a", "2027-01-04", "2027-01-18", "2027-02-01",
            ])
        #expect(inst.completed)
        let done = engine.milestoneViews(inst, now: at("2027-03-02T10:00"))[1]
        #expect(done.done && done.occurrence == "2027-02-01" && done.doneAt == at("2027-03-02T09:00") && done.openCount == 0)
        #expect(engine.openDeadlines(inst).isEmpty)
        // Pressed again: the series ended, and the answer says when it was last done.
        #expect(
            Self.rejection(engine, inst, "b", at: at("2027-03-02T10:00"))
                == "mốc định kỳ «B» (b) không có kỳ nào đang mở; lần đánh dấu xong gần nhất lúc 09:00 ngày 02/03/2027; không còn kỳ nào nữa"
        )
    }

    @Test("a period anchored on its due's next day is named from its first month, not as that month's")
    func periodFromItsFirstMonth() throws {
        // As bao-cao-dinh-ky: the quarter due 20/12/2026 runs from 21/09/2026 (label 2026-09); the fee of 2027-03
        // above is due in its own month and keeps «kỳ 03/2027».
        let engine = Engine(
            try Fixtures.workflow(
                "bao-cao",
                """
                tiendo: 1
                title: Báo cáo
                milestones:
                  quy:
                    title: Báo cáo quý
                    every: 3mo
                    anchor: 2026-03-21
                    due: period + 3mo - 1d
                    remind: [7d]
                """))
        var (inst, _) = try engine.started("cb01", data: [:], at: at("2026-12-01T09:00"), now: at("2026-12-01T09:00"))
        let reminder = try #require(engine.advance(&inst, to: at("2026-12-13T08:00")).first)
        #expect(reminder.occurrence == "2026-09")
        #expect(reminder.message == "Còn 7 ngày đến hạn «Báo cáo quý kỳ từ tháng 09/2026» (bao-cao/cb01), hạn chót 20/12/2026")
        let done = try engine.completeMilestone(&inst, milestone: "quy", at: at("2026-12-14T10:00"), actor: 0).get()
        #expect(done.first?.message == "Đã hoàn thành «Báo cáo quý kỳ từ tháng 09/2026» (bao-cao/cb01)")
    }

    @Test("rule 2: P_k from the anchor in one step (01-31, 02-28, 03-31, 04-30); rule 4: the first occurrence")
    func periods() throws {
        let yaml = """
            tiendo: 1
            title: Cuối tháng
            milestones:
              bc:
                title: Báo cáo
                every: 1mo
                anchor: 2027-01-31
                due: period + 5d
                until: 2027-04-30
            """
        let engine = Engine(try Fixtures.workflow("cuoi-thang", yaml))
        let r = try #require(engine.definition.milestone("bc")?.recurrence)
        let a = day("2027-01-31")
        #expect((0...3).map { engine.periodStart(r, anchor: a, $0).iso } == ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"])
        #expect(engine.firstIndex(r, anchor: a, start: day("2027-03-30")) == 1)  // 28/02 ≤ 30/03 < 31/03
        #expect(engine.firstIndex(r, anchor: a, start: day("2026-12-01")) == 0)
        #expect(engine.index(of: "2027-04", r, anchor: a) == 3)
        // Started 30/03: 2027-02 opens at the start, 2027-03 on 31/03, 2027-04 on 30/04; until ends it.
        var (inst, _) = try engine.started("x", data: [:], at: at("2027-03-30T10:00"), now: at("2027-03-30T10:00"))
        #expect(inst.series["bc"]?.open == [OpenOccurrence(index: 1, openedAt: at("2027-03-30T10:00"))])
        #expect(engine.nextWakeup(inst) == at("2027-03-31T00:00"))
        _ = engine.advance(&inst, to: at("2027-06-01T00:00"))
        #expect(inst.series["bc"]?.open.map(\.openedAt) == [at("2027-03-30T10:00"), at("2027-03-31T00:00"), at("2027-04-30T00:00")])
        #expect(inst.series["bc"]?.next == 4)
        #expect(engine.nextOpening(inst) == nil)
    }

    @Test("an anchor on an unset field: inactive until the field gets a value; then it is stored and kept")
    func lateAnchor() throws {
        let yaml = """
            tiendo: 1
            title: Sinh hoạt
            fields:
              ngay_bat_dau: {type: date}
            initial: a
            states:
              a:
                on: {ghi: a}
            milestones:
              hop:
                title: Họp chi bộ
                every: 1mo
                anchor: ngay_bat_dau
                due: period + 9d
            """
        let engine = Engine(try Fixtures.workflow("sinh-hoat-2", yaml))
        var (inst, _) = try engine.started("x", data: [:], at: at("2027-01-15T08:00"), now: at("2027-01-15T08:00"))
        #expect(inst.series.isEmpty)
        let inactive = engine.milestoneViews(inst, now: at("2027-01-15T08:00"))[0]
        #expect(inactive.due == "" && inactive.occurrence == nil && inactive.openCount == 0 && !inactive.done)
        _ = try engine.send(
            &inst, event: "ghi", data: [("ngay_bat_dau", .string("2027-01-01"))], at: at("2027-02-02T08:00"), actor: 0, counter: nil
        ).get()
        #expect(inst.series["hop"]?.anchor == day("2027-01-01"))
        #expect(inst.series["hop"]?.open.map(\.index) == [0, 1])
        _ = try engine.send(
            &inst, event: "ghi", data: [("ngay_bat_dau", .string("2027-06-01"))], at: at("2027-02-03T08:00"), actor: 0, counter: nil
        ).get()
        #expect(inst.series["hop"]?.anchor == day("2027-01-01"))
    }

    @Test("the store codec of the series round-trips")
    func seriesCodec() {
        let s: [String: SeriesState] = [
            "dang-phi": SeriesState(
                anchor: day("2027-01-01"), first: 2, next: 5,
                open: [
                    OpenOccurrence(index: 3, openedAt: at("2027-04-01T00:00")), OpenOccurrence(index: 4, openedAt: at("2027-05-01T00:00")),
                ],
                lastDone: at("2027-06-03T10:00")),
            "bao-cao": SeriesState(anchor: day("2027-01-01"), first: 0, next: 0),
        ]
        let text = SeriesState.encode(s)
        #expect(text.hasPrefix(#"{"bao-cao":{"anchor":"2027-01-01","first":0,"next":0,"open":[]},"dang-phi":"#))
        #expect(SeriesState.decode(text) == s)
        #expect(SeriesState.decode("").isEmpty && SeriesState.decode("{}").isEmpty)
    }

    @Test("§9: a recurring milestone still exists only if recurring there with the same every")
    func migration() throws {
        let old = try Self.definition()
        let same = try Fixtures.workflow("sinh-hoat", Self.yaml.replacingOccurrences(of: "remind: [3d]", with: "remind: [5d]"))
        let other = try Fixtures.workflow("sinh-hoat", Self.yaml.replacingOccurrences(of: "every: 1mo", with: "every: 3mo"))
        let oneShot = try Fixtures.workflow(
            "sinh-hoat",
            Self.yaml.replacingOccurrences(
                of: "    every: 1mo\n    anchor: 2027-01-01\n    due: period + 1mo - 1d\n", with: "    due: 2027-12-31\n"
            )
            .replacingOccurrences(of: ", missed: {count: 3, priority: crit}", with: ""))
        #expect(same.keepsMilestones(of: old))
        #expect(!other.keepsMilestones(of: old))
        #expect(!oneShot.keepsMilestones(of: old))
        #expect(!old.keepsMilestones(of: oneShot))
    }

    /// Điều lệ Đảng, Điều 8: "không đóng đảng phí ba tháng trong năm" as `{count: 3, of: 12, priority: crit}`.
    static let yearly = yaml.replacingOccurrences(
        of: "missed: {count: 3, priority: crit}", with: "missed: {count: 3, of: 12, priority: crit}")

    /// A year of monthly fees paid on the 20th, except the `skipped` months.
    func year(skipping skipped: Set<Int>) throws -> [Record] {
        let def = try Fixtures.workflow("sinh-hoat", Self.yearly)
        let events = (1...12).filter { !skipped.contains($0) }.enumerated().map { i, m in
            let label = "2027-\(m < 10 ? "0" : "")\(m)"
            return SimulatedEvent(
                at: at("\(label)-20T09:00"), instance: "sinh-hoat/dv", event: "done", data: [("milestone", .string("dang-phi@\(label)"))],
                line: i + 1)
        }
        let (records, problems) = Simulator().run(
            from: at("2027-01-01T08:00"), until: at("2027-12-31T23:59"),
            planned: [Simulator.Planned(workflow: def, key: "dv", started: at("2027-01-01T08:00"), data: [:])], events: events)
        #expect(problems.isEmpty && !records.contains { $0.kind == .rejected }, "\(problems)")
        return records
    }

    @Test("a year with one missed month: its notices run all year at warning, missed 1")
    func oneMissedMonth() throws {
        let overdue = try year(skipping: [3]).filter { $0.kind == .overdue }
        #expect(overdue.count == 40)  // weekly from 01/04 to 30/12
        #expect(overdue.allSatisfy { $0.occurrence == "2027-03" && $0.priority == 4 && $0.missed == 1 })
        #expect(overdue.last?.atText == "2027-12-30T08:00:00+07:00")
    }

    @Test("a year with three missed months: one overdue series at a time, the third missed month is crit")
    func threeMissedMonths() throws {
        let overdue = try year(skipping: [3, 6, 9]).filter { $0.kind == .overdue }
        let by = Dictionary(grouping: overdue, by: { $0.occurrence ?? "" })
        // Rule 7: 2027-03's series stops when 2027-06 is overdue (01/07), 2027-06's when 2027-09 is (01/10).
        #expect(by["2027-03"]?.last?.atText == "2027-06-24T08:00:00+07:00")
        #expect(by["2027-06"]?.first?.atText == "2027-07-01T08:00:00+07:00")
        #expect(by["2027-06"]?.last?.atText == "2027-09-30T08:00:00+07:00")
        #expect(by["2027-03"]?.allSatisfy { $0.priority == 4 && $0.missed == 1 } == true)
        #expect(by["2027-06"]?.allSatisfy { $0.priority == 4 && $0.missed == 2 } == true)
        // Three of the last twelve open: crit, missed 3.
        #expect(by["2027-09"]?.first?.atText == "2027-10-01T08:00:00+07:00")
        #expect(by["2027-09"]?.allSatisfy { $0.priority == 2 && $0.missed == 3 } == true)
        #expect(overdue.map(\.at) == overdue.map(\.at).sorted())
    }

    @Test("plan order at one instant: declaration order, then older occurrences first, then larger offsets first")
    func planOrder() throws {
        let yaml = """
            tiendo: 1
            title: Tuần
            milestones:
              truoc:
                title: Trước
                due: 2027-03-07
                remind: [1d]
              tuan:
                title: Giao ban tuần
                every: 1w
                anchor: 2027-03-01
                due: period + 6d
                remind: [6d, 1wd]
                count: 2
            """
        let def = try Fixtures.workflow("tuan", yaml)
        let plan = Planner.plan(def, data: [:], start: at("2027-03-01T07:00"), until: day("2027-03-31"))
        #expect(
            plan.map { "\($0.atText.prefix(16)) \($0.kind.rawValue) \($0.occurrence ?? $0.milestone ?? "")" } == [
                "2027-03-01T07:00 started ",
                "2027-03-01T08:00 reminder 2027-03-01",  // 6d before Sunday 07/03
                "2027-03-05T08:00 reminder 2027-03-01",  // 1wd before it: Friday
                "2027-03-06T08:00 reminder truoc",
                "2027-03-08T08:00 overdue truoc",
                "2027-03-08T08:00 overdue 2027-03-01",  // notice 0 of the older occurrence first
                "2027-03-08T08:00 reminder 2027-03-08",  // then the next occurrence's 6d reminder
                "2027-03-12T08:00 reminder 2027-03-08",
                "2027-03-15T08:00 overdue 2027-03-08",
            ])
    }

    @Test("graph: a recurring milestone's node names its period and anchor")
    func graph() throws {
        let def = try Self.definition()
        #expect(
            GraphRenderer.render(def, format: .dot).contains(
                #"label="Đóng đảng phí\n(dang-phi)\nhằng tháng từ 01/01/2027\nhạn: period + 1mo - 1d""#))
        #expect(GraphRenderer.render(def, format: .mermaid).contains("(dang-phi)<br/>hằng tháng từ 01/01/2027<br/>hạn:"))
    }
}
