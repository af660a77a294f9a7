import Testing

@testable import TiendoCore

/// Format §5 `on`, §10 "Guards" and "Milestones and completion"; interfaces §5 errors.
@Suite struct EventTests {
    static let yaml = """
        tiendo: 1
        title: Đánh giá
        fields:
          ho_ten: {type: text, required: true}
          diem: {type: integer, min: 0, max: 100}
          ty_le: {type: number}
          muc: {type: enum, values: [xuat-sac, tot, hoan-thanh]}
          ngay: {type: date}
          ly_do: {type: text}
          dat: {type: boolean}
        initial: cho
        states:
          cho:
            on:
              e-eq: {to: ok, if: {muc: tot}}
              e-ne: {to: ok, if: {muc: {ne: tot}}}
              e-lt: {to: ok, if: {diem: {lt: 50}}}
              e-le: {to: ok, if: {diem: {le: 50}}}
              e-gt: {to: ok, if: {ty_le: {gt: 66.5}}}
              e-ge: {to: ok, if: {diem: {ge: 50}}}
              e-date: {to: ok, if: {ngay: {lt: 2026-03-01}}}
              e-date-ge: {to: ok, if: {ngay: {ge: 2026-03-01}}}
              e-in: {to: ok, if: {muc: {in: [xuat-sac, tot]}}}
              e-bool: {to: ok, if: {dat: true}}
              e-all: {to: ok, if: {muc: tot, diem: {ge: 50}}}
              xoa-ten: {to: ok, if: {ly_do: {ne: ""}}}
              bieu-quyet:
                - if: {ty_le: {ge: 67}}
                  to: ok
                - if: {ty_le: {ge: 50}}
                  to: lai
                - to: khac
              chuyen: lai
          lai:
            on: {chuyen: ok}
          khac:
            on: {chuyen: ok}
          ok: {final: true}
        """

    static func engine() throws -> Engine { Engine(try Fixtures.workflow("danh-gia", yaml)) }

    static func instance(_ engine: Engine, _ data: [(String, JSON)] = []) throws -> Instance {
        let d = try engine.definition.data([("ho_ten", .string("Nguyễn Văn A"))] + data)
        return try engine.started("a", data: d, at: at("2026-03-01T08:00")).0
    }

    static let now = at("2026-03-02T10:00")

    @Test(
        "guards: eq, ne, lt/le/gt/ge on numbers and dates, in, boolean; a missing value compares false",
        arguments: [
            ("e-eq", [("muc", JSON.string("tot"))], true),
            ("e-eq", [("muc", .string("xuat-sac"))], false),
            ("e-eq", [], false),
            ("e-ne", [("muc", .string("xuat-sac"))], true),
            ("e-ne", [("muc", .string("tot"))], false),
            ("e-ne", [], false),  // missing: false, even for ne
            ("e-lt", [("diem", .int(49))], true),
            ("e-lt", [("diem", .int(50))], false),
            ("e-le", [("diem", .int(50))], true),
            ("e-le", [("diem", .int(51))], false),
            ("e-gt", [("ty_le", .double(66.6))], true),
            ("e-gt", [("ty_le", .double(66.5))], false),
            ("e-gt", [("ty_le", .int(67))], true),
            ("e-ge", [("diem", .int(50))], true),
            ("e-ge", [("diem", .int(49))], false),
            ("e-ge", [], false),
            ("e-date", [("ngay", .string("2026-02-28"))], true),
            ("e-date", [("ngay", .string("2026-03-01"))], false),
            ("e-date", [], false),
            ("e-date-ge", [("ngay", .string("2026-03-01"))], true),
            ("e-in", [("muc", .string("tot"))], true),
            ("e-in", [("muc", .string("hoan-thanh"))], false),
            ("e-in", [], false),
            ("e-bool", [("dat", .bool(true))], true),
            ("e-bool", [("dat", .bool(false))], false),
            ("e-all", [("muc", .string("tot")), ("diem", .int(50))], true),
            ("e-all", [("muc", .string("tot")), ("diem", .int(49))], false),
            ("xoa-ten", [("ly_do", .string("chuyển sinh hoạt"))], true),
            ("xoa-ten", [("ly_do", .string(""))], false),
            ("xoa-ten", [], false),
        ] as [(String, [(String, JSON)], Bool)])
    func guards(_ event: String, _ data: [(String, JSON)], _ accepted: Bool) throws {
        let engine = try Self.engine()
        var inst = try Self.instance(engine)
        let before = inst
        switch engine.send(&inst, event: event, data: data, at: Self.now, actor: nil, counter: nil) {
        case .success(let rs):
            #expect(accepted)
            #expect(rs.map(\.kind) == [.transition, .completed])
            #expect(inst.state == "ok")
        case .failure(let e):
            #expect(!accepted, "\(e)")
            guard case .eventRejected(_, let ev, let state, _, let record) = e else {
                Issue.record("expected eventRejected, got \(e)")
                return
            }
            #expect(ev == event && state == "cho")
            #expect(record?.kind == .rejected)
            #expect(inst.unchanged(from: before))
        }
    }

    @Test("guards read the instance data with the event's data merged over it")
    func guardsReadMergedData() throws {
        let engine = try Self.engine()
        var inst = try Self.instance(engine, [("muc", .string("tot")), ("diem", .int(10))])
        #expect(try engine.send(&inst, event: "e-eq", data: [], at: Self.now, actor: nil, counter: nil).get().count == 2)
        var inst2 = try Self.instance(engine, [("muc", .string("tot")), ("diem", .int(10))])
        // Stored 10 fails; the event's 60 is used.
        #expect(
            try engine.send(&inst2, event: "e-all", data: [("diem", .int(60))], at: Self.now, actor: nil, counter: nil).get().count == 2)
        #expect(inst2.data["diem"] == .integer(60))
        #expect(inst2.data["muc"] == .text("tot"))
    }

    @Test("the first matching branch wins")
    func firstBranchWins() throws {
        let engine = try Self.engine()
        for (tyLe, target) in [(80.0, "ok"), (67.0, "ok"), (66.9, "lai"), (50.0, "lai"), (10.0, "khac")] {
            var inst = try Self.instance(engine)
            let rs = try engine.send(&inst, event: "bieu-quyet", data: [("ty_le", .double(tyLe))], at: Self.now, actor: 7, counter: nil)
                .get()
            #expect(inst.state == target, "ty_le \(tyLe)")
            #expect(rs[0].from == "cho" && rs[0].to == target && rs[0].event == "bieu-quyet" && rs[0].actor == 7)
            #expect(rs[0].atText == "2026-03-02T10:00:00+07:00")
            #expect(inst.enteredAt == Self.now)
        }
    }

    @Test("a refused guard speaks in the form's words: the fields it needs by their titles, or the values and the rules")
    func guardRefusalsForPeople() throws {
        let def = try ShippedWorkflowTests.definition("dang-vien-du-bi")
        let engine = Engine(def)
        let start = try #require(Zone.vietnam.parseInstant("2025-01-10T09:00:00+07:00"))
        let at = try #require(Zone.vietnam.parseInstant("2026-02-01T09:00:00+07:00"))
        guard
            case .success(var (inst, _)) = engine.start(
                instanceID: "dang-vien-du-bi/a",
                data: ["ho_ten": .text("A"), "chi_bo": .text("B"), "ngay_ket_nap": .date(CivilDate(2025, 1, 10))],
                at: start, now: at)
        else { return #expect(Bool(false), "start refused") }
        _ = engine.advance(&inst, to: at)
        #expect(inst.state == "cho-xet")
        func reason(_ data: [(String, JSON)]) -> String {
            if case .failure(.eventRejected(_, _, _, let r, _)) = engine.send(
                &inst, event: "bieu-quyet", data: data, at: at, actor: nil, counter: nil)
            {
                return r
            }
            return "accepted"
        }
        let members = try #require(def.field("so_dang_vien_chinh_thuc")?.title)
        let yes = try #require(def.field("so_tan_thanh")?.title)
        #expect(reason([("so_tan_thanh", .int(10))]) == "cần nhập «\(members)» rồi gửi lại")
        #expect(
            reason([("so_tan_thanh", .int(31)), ("so_dang_vien_chinh_thuc", .int(30))])
                == "với số liệu đã nhập («\(yes)» là 31, «\(members)» là 30) không chuyển được: "
                + "trong mọi trường hợp cần «\(yes)» không quá «\(members)» (tức tối đa 30)")
        // Two thirds of 9 is 6 at least; of 200, 134 (the bound rounds up for ≥, down for <).
        #expect(Messages.wholeBound(.ge, 9, 2, 3) == "từ 6 trở lên" && Messages.wholeBound(.lt, 200, 2, 3) == "tối đa 133")
        #expect(Messages.wholeBound(.ge, 200, 2, 3) == "từ 134 trở lên" && Messages.wholeBound(.gt, 9, 1, 2) == "từ 5 trở lên")
        // Every comparison in words, none as a formula's sign.
        #expect(
            Condition.Op.allCases.map { Messages.compared($0, "X", inTime: true) } == [
                "là X", "khác X", "trước X", "không sau X", "sau X", "từ X trở đi", "là một trong: X",
            ])
        #expect(
            Condition.Op.allCases.map { Messages.compared($0, "X") } == [
                "là X", "khác X", "dưới X", "không quá X", "trên X", "từ X trở lên", "là một trong: X",
            ])
        #expect(inst.state == "cho-xet")
    }

    @Test("rejections: an unknown event, no matching branch, a final state; state and data unchanged")
    func rejections() throws {
        let engine = try Self.engine()
        var inst = try Self.instance(engine, [("diem", .int(40))])
        let before = inst
        for (event, data, fragment) in [
            ("khong-co", [], "không nhận sự kiện «khong-co»"),
            (
                "e-ge", [("diem", JSON.int(45))],
                "với số liệu đã nhập («diem» là 45) không chuyển được: để sang «ok» cần «diem» từ 50 trở lên"
            ),
            ("xoa-ten", [], "cần nhập «ly_do» rồi gửi lại"),
            ("e-bool", [("dat", JSON.bool(false))], "(«dat» là «không») không chuyển được: để sang «ok» cần «dat» là «có»"),
            ("e-in", [("muc", JSON.string("hoan-thanh"))], "«muc» là một trong: «xuat-sac», «tot»"),
            // A date's order is said as time, not as size.
            ("e-date", [("ngay", JSON.string("2026-03-05"))], "để sang «ok» cần «ngay» trước 01/03/2026"),
            ("e-date-ge", [("ngay", JSON.string("2026-02-05"))], "để sang «ok» cần «ngay» từ 01/03/2026 trở đi"),
            ("e-gt", [("ty_le", JSON.double(60))], "để sang «ok» cần «ty_le» trên 66,5"),
        ] as [(String, [(String, JSON)], String)] {
            let r = engine.send(&inst, event: event, data: data, at: Self.now, actor: 5, counter: nil)
            guard case .failure(.eventRejected(let id, let ev, let state, let reason, let record)) = r else {
                Issue.record("\(event): expected a rejection, got \(r)")
                continue
            }
            #expect(id == "danh-gia/a" && ev == event && state == "cho")
            #expect(reason.contains(fragment), "\(reason)")
            let rec = try #require(record)
            #expect(rec.kind == .rejected && rec.priority == 4 && rec.event == event && rec.actor == 5 && rec.state == "cho")
            #expect(rec.message.contains(fragment))
            #expect(inst.unchanged(from: before))
        }
        // A final state rejects every event.
        _ = try engine.send(&inst, event: "chuyen", data: [], at: Self.now, actor: nil, counter: nil).get()
        _ = try engine.send(&inst, event: "chuyen", data: [], at: Self.now, actor: nil, counter: nil).get()
        #expect(inst.state == "ok")
        let final = inst
        let r = engine.send(&inst, event: "chuyen", data: [], at: Self.now, actor: nil, counter: nil)
        guard case .failure(.eventRejected(_, _, let state, let reason, _)) = r else {
            Issue.record("expected a rejection in a final state, got \(r)")
            return
        }
        #expect(state == "ok")
        #expect(reason.contains("kết thúc"))
        #expect(inst.unchanged(from: final))
    }

    @Test(
        "invalid event data is refused before the event is considered, and nothing is stored",
        arguments: [
            ("khong_khai_bao", JSON.string("x"), "khong_khai_bao"),  // undeclared field
            ("diem", .string("nhiều"), "diem"),  // wrong type
            ("diem", .bool(true), "diem"),
            ("diem", .int(101), "diem"),  // above max
            ("diem", .int(-1), "diem"),  // below min
            ("diem", .double(5.5), "diem"),  // not an integer
            ("muc", .string("kem"), "muc"),  // not among the values
            ("ngay", .string("2026-02-30"), "ngay"),  // impossible date
            ("dat", .string("có lẽ"), "dat"),
        ] as [(String, JSON, String)])
    func invalidData(_ field: String, _ value: JSON, _ named: String) throws {
        let engine = try Self.engine()
        var inst = try Self.instance(engine, [("diem", .int(40))])
        let before = inst
        // Checked first: even an unknown event reports the data problem.
        for event in ["e-ge", "khong-co"] {
            let r = engine.send(&inst, event: event, data: [(field, value)], at: Self.now, actor: nil, counter: nil)
            guard case .failure(.invalidData(let e)) = r else {
                Issue.record("expected InvalidData, got \(r)")
                continue
            }
            #expect(e.field == named)
            #expect(r.failureRecord == nil)
            #expect(inst.unchanged(from: before))
        }
    }

    @Test("accepted event data is validated and stored; null removes an optional field")
    func dataStored() throws {
        let engine = try Self.engine()
        var inst = try Self.instance(engine, [("diem", .int(40)), ("ly_do", .string("cũ"))])
        _ = try engine.send(
            &inst, event: "e-ge", data: [("diem", .string("75")), ("ngay", .string("2026-03-02")), ("ly_do", .null)], at: Self.now,
            actor: nil, counter: nil
        ).get()
        #expect(inst.data["diem"] == .integer(75))
        #expect(inst.data["ngay"] == .date(day("2026-03-02")))
        #expect(inst.data["ly_do"] == nil)
        #expect(inst.data["ho_ten"] == .text("Nguyễn Văn A"))
    }

    @Test("start data: a missing required field, defaults applied")
    func startData() throws {
        let def = try Fixtures.workflow("danh-gia", Self.yaml)
        guard case .failure(let e) = def.validate(data: [("diem", .int(3))], partial: false, today: nil) else {
            Issue.record("missing required field accepted")
            return
        }
        #expect(e.field == "ho_ten")
    }
}

extension Instance {
    /// State, data, entered time and milestones as before (a refused event may still advance the clock mark).
    func unchanged(from other: Instance) -> Bool {
        state == other.state && data == other.data && enteredAt == other.enteredAt && done == other.done
            && completed == other.completed
    }
}

extension Result where Failure == EngineError {
    var failureRecord: Record? {
        if case .failure(let e) = self { return e.record }
        return nil
    }
}

/// Format §6 and §10 "Milestones and completion".
@Suite struct MilestoneTests {
    static let yaml = """
        tiendo: 1
        title: Bầu cử
        milestones:
          hiep-thuong-1:
            title: Hiệp thương lần 1
            due: 2025-12-10
          nop-ho-so:
            title: Nộp hồ sơ
            due: 2026-02-01 at 17:00
          hiep-thuong-2:
            title: Hiệp thương lần 2
            due: 2026-02-03
            requires: [hiep-thuong-1, nop-ho-so]
        """

    @Test("done before the requires is rejected with the missing ones named; done twice is a no-op")
    func requires() throws {
        let engine = Engine(try Fixtures.workflow("bau-cu", Self.yaml))
        var (inst, _) = try engine.started("tay-ho", data: [:], at: at("2025-11-01T08:00"))
        _ = try engine.completeMilestone(&inst, milestone: "hiep-thuong-1", at: at("2025-12-09T10:00"), actor: nil).get()
        let before = inst
        let r = engine.completeMilestone(&inst, milestone: "hiep-thuong-2", at: at("2026-01-10T10:00"), actor: nil)
        guard case .failure(.eventRejected(_, let event, _, let reason, let record)) = r else {
            Issue.record("expected a rejection, got \(r)")
            return
        }
        #expect(event == "done")
        #expect(reason.contains("nop-ho-so"))
        #expect(!reason.contains("hiep-thuong-1"))
        #expect(record?.kind == .rejected)
        #expect(inst.done == before.done)
        // The same through `send` with the built-in event.
        let viaSend = engine.send(
            &inst, event: "done", data: [("milestone", .string("hiep-thuong-2"))], at: at("2026-01-10T10:00"), actor: nil, counter: nil)
        guard case .failure(.eventRejected) = viaSend else {
            Issue.record("expected a rejection through send, got \(viaSend)")
            return
        }
        // Unknown milestone.
        guard
            case .failure(.eventRejected(_, "done", _, let unknown, _)) = engine.completeMilestone(
                &inst, milestone: "hiep-thuong-3", at: at("2026-01-10T10:00"), actor: nil)
        else {
            Issue.record("unknown milestone accepted")
            return
        }
        #expect(unknown.contains("hiep-thuong-3"))

        let first = try engine.completeMilestone(&inst, milestone: "nop-ho-so", at: at("2026-01-20T10:00"), actor: 1000).get()
        #expect(first.map(\.kind) == [.milestoneDone])
        #expect(
            first[0].actor == 1000 && first[0].milestone == "nop-ho-so" && first[0].due == "2026-02-01T17:00:00+07:00"
                && first[0].priority == 6)
        let again = try engine.completeMilestone(&inst, milestone: "nop-ho-so", at: at("2026-01-21T10:00"), actor: 1000).get()
        #expect(again.isEmpty)
        #expect(inst.done["nop-ho-so"] == at("2026-01-20T10:00"))
        let last = try engine.send(
            &inst, event: "done", data: [("milestone", .string("hiep-thuong-2"))], at: at("2026-01-22T10:00"), actor: nil, counter: nil
        ).get()
        #expect(last.map(\.kind) == [.milestoneDone, .completed])
        #expect(inst.completed)
        #expect(engine.nextWakeup(inst) == nil)
        // Done again after completion: still a no-op, no second `completed`.
        #expect(try engine.completeMilestone(&inst, milestone: "hiep-thuong-2", at: at("2026-01-23T10:00"), actor: nil).get().isEmpty)
    }

    static let mixed = """
        tiendo: 1
        title: Hỗn hợp
        initial: mo
        states:
          mo:
            on: {dong: dong}
          dong: {final: true}
        milestones:
          m:
            title: M
            due: 2026-03-10
            remind: [1d]
        """

    @Test("with states: completed once, in a final state with every milestone done; done is accepted in a final state")
    func completionWithStates() throws {
        let engine = Engine(try Fixtures.workflow("hon-hop", Self.mixed))
        var (inst, rs) = try engine.started("x", data: [:], at: at("2026-03-01T08:00"))
        #expect(rs.map(\.kind) == [.started])
        let close = try engine.send(&inst, event: "dong", data: [], at: at("2026-03-02T08:00"), actor: nil, counter: nil).get()
        #expect(close.map(\.kind) == [.transition])  // milestone still open: not completed
        #expect(!inst.completed)
        // Open milestones stop reminding in a final state.
        #expect(engine.nextWakeup(inst) == nil)
        #expect(engine.advance(&inst, to: at("2026-04-01T00:00")).isEmpty)
        let done = try engine.completeMilestone(&inst, milestone: "m", at: at("2026-04-02T08:00"), actor: nil).get()
        #expect(done.map(\.kind) == [.milestoneDone, .completed])
        #expect(done[1].state == "dong")
        #expect(try engine.completeMilestone(&inst, milestone: "m", at: at("2026-04-03T08:00"), actor: nil).get().isEmpty)
    }

    @Test("with states: milestones done first, completion comes with the final state")
    func completionOnFinalState() throws {
        let engine = Engine(try Fixtures.workflow("hon-hop", Self.mixed))
        var (inst, _) = try engine.started("x", data: [:], at: at("2026-03-01T08:00"))
        #expect(
            try engine.completeMilestone(&inst, milestone: "m", at: at("2026-03-02T08:00"), actor: nil).get().map(\.kind) == [
                .milestoneDone
            ])
        #expect(!inst.completed)
        #expect(
            try engine.send(&inst, event: "dong", data: [], at: at("2026-03-03T08:00"), actor: nil, counter: nil).get().map(\.kind) == [
                .transition, .completed,
            ])
    }

    @Test("a workflow without states rejects other events and has enteredAt = startedAt")
    func noStates() throws {
        let engine = Engine(try Fixtures.workflow("bau-cu", MilestoneTests.yaml))
        var (inst, _) = try engine.started("x", data: [:], at: at("2025-11-01T08:00"))
        #expect(inst.state == nil)
        #expect(inst.enteredAt == inst.startedAt)
        guard
            case .failure(.eventRejected) = engine.send(
                &inst, event: "dong", data: [], at: at("2025-11-02T08:00"), actor: nil, counter: nil)
        else {
            Issue.record("event accepted by a workflow without states")
            return
        }
    }
}

/// Interfaces §1: a notice's key is its deadline, its reminder offset or overdue number and the due — not when the
/// state was entered — and it is never sent twice.
@Suite struct ReentryTests {
    static let yaml = """
        tiendo: 1
        title: Xét lại
        timezone: Asia/Ho_Chi_Minh
        reminders: {at: "08:00", before: [2d]}
        fields:
          han: {type: date, required: true}
          so: {type: integer}
        initial: cho-xet
        states:
          cho-xet:
            deadline: {due: han, overdue: {repeat: 1d}}
            on:
              bieu-quyet:
                - {if: {so: {ge: 5}}, to: xong}
                - to: cho-xet
              doi-han: cho-xet
          xong: {final: true}
        """

    @Test("a step that stays in its state with the same due sends no notice again; one that moves the due starts afresh")
    func sameStateSameDue() throws {
        let engine = Engine(try Fixtures.workflow("xet-lai", Self.yaml))
        let data = try engine.definition.data([("han", .string("2026-03-31"))])
        var inst = try engine.started("v1", data: data, at: at("2026-03-01T08:00")).0
        // Overdue since 01/04: the notice of 03/04 08:00 (k = 2) is sent at 09:00.
        let first = engine.advance(&inst, to: at("2026-04-03T09:00"))
        #expect(first.filter { $0.kind == .overdue }.count == 1)
        // A failed vote at 10:00 keeps the state and the due: nothing is sent again.
        let vote = try engine.send(
            &inst, event: "bieu-quyet", data: [("so", .int(3))], at: at("2026-04-03T10:00"), actor: nil, counter: nil
        )
        .get()
        #expect(vote.map(\.kind) == [.transition], "\(vote.map(\.message))")
        // The next day's notice still comes, once.
        let next = engine.advance(&inst, to: at("2026-04-04T08:00"))
        #expect(next.filter { $0.kind == .overdue }.map(\.at) == [at("2026-04-04T08:00")])
        // A due moved by the step (a new date) is a new deadline: its notices are sent.
        let moved = try engine.send(
            &inst, event: "doi-han", data: [("han", .string("2026-04-02"))], at: at("2026-04-04T10:00"), actor: nil, counter: nil
        ).get()
        #expect(moved.filter { $0.kind == .overdue }.count == 1, "\(moved.map(\.message))")
    }
}
