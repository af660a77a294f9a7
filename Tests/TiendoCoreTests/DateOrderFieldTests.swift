import Testing

@testable import TiendoCore

/// `min: {field: OTHER}` on a date or datetime field (README "Extensions"): a day not before another field's (a
/// decision after the meeting that asked for it), checked when data that sets either is given and both are set.
@Suite struct DateOrderFieldTests {
    static let yaml = """
        tiendo: 1
        title: Công nhận
        fields:
          ho_ten: {type: text, required: true}
          ngay_hop: {type: date, title: Ngày chi bộ họp}
          ngay_ky: {type: date, title: Ngày ký quyết định, min: {field: ngay_hop}}
          luc_mo: {type: datetime}
          luc_dong: {type: datetime, min: {field: luc_mo}}
          ghi_chu: {type: text}
        initial: cho
        states:
          cho:
            on:
              ghi: cho
              cong-nhan: {to: xong, if: {ngay_ky: {ge: 2000-01-01}}}
          xong: {final: true}
        """

    static func engine() throws -> Engine { Engine(try Fixtures.workflow("cong-nhan", yaml)) }

    @Test("the parser keeps the other field's name")
    func parsed() throws {
        let def = try Self.engine().definition
        #expect(def.field("ngay_ky")?.notBefore == "ngay_hop" && def.field("luc_dong")?.notBefore == "luc_mo")
        #expect(def.field("ngay_hop")?.notBefore == nil)
    }

    @Test(
        "another field that is not there, of another type, the field itself, or a mapping without 'field' is an error",
        arguments: [
            ("{type: date, min: {field: ngay_hopp}}", "unknown field 'ngay_hopp' in 'min' of field 'f' (did you mean 'ngay_hop'?)"),
            ("{type: date, min: {field: luc}}", "'min' of date field 'f' must name a date field; 'luc' is datetime"),
            ("{type: date, min: {field: f}}", "field 'f' cannot be 'min' of itself"),
            ("{type: date, min: {ngay: ngay_hop}}", "unknown key 'ngay'"),
            ("{type: date, max: {field: ngay_hop}}", "'max' of date field 'f' may only be 'max: today'"),
            ("{type: integer, min: {field: ngay_hop}}", "'min' of field 'f' must be an integer"),
            ("{type: date, min: {field: g}}\n  g: {type: date, min: {field: f}}", "fields 'f', 'g' name each other in 'min' (a cycle)"),
        ])
    func refused(_ field: String, _ message: String) {
        let yaml = "tiendo: 1\ntitle: Sai\nfields:\n  ngay_hop: {type: date}\n  luc: {type: datetime}\n  f: \(field)\n"
        let (_, diags) = Fixtures.load("sai", yaml)
        #expect(diags.contains { $0.severity == .error && $0.message.contains(message) }, "\(diags)")
    }

    @Test("at a start: a day before the other's is refused naming the field and both days; the same day is taken")
    func start() throws {
        let def = try Self.engine().definition
        func given(_ pairs: [(String, JSON)]) -> Result<InstanceData, FieldError> {
            def.validate(data: [("ho_ten", .string("A"))] + pairs, partial: false, today: day("2026-12-05"))
        }
        guard case .failure(let e) = given([("ngay_hop", .string("26/02/2026")), ("ngay_ky", .string("25/02/2026"))]) else {
            return #expect(Bool(false), "a decision before its meeting was taken")
        }
        #expect(e.field == "ngay_ky")
        #expect(
            e.reason
                == "25/02/2026 trước «Ngày chi bộ họp» (26/02/2026): trường này chỉ nhận ngày từ «Ngày chi bộ họp» trở đi; kiểm tra lại ngày, tháng, năm"
        )
        #expect(throws: Never.self) { try given([("ngay_hop", .string("26/02/2026")), ("ngay_ky", .string("26/02/2026"))]).get() }
        // One of the two alone: nothing to compare.
        #expect(throws: Never.self) { try given([("ngay_ky", .string("01/01/2020"))]).get() }
        // Datetimes by their instants.
        guard case .failure(let t) = given([("luc_mo", .string("05/12/2026 08:00")), ("luc_dong", .string("05/12/2026 07:59"))]) else {
            return #expect(Bool(false), "a closing before the opening was taken")
        }
        #expect(
            t.field == "luc_dong"
                && t.reason.hasPrefix(
                    "07:59 05/12/2026 trước «luc_mo» (08:00 05/12/2026): trường này chỉ nhận thời điểm từ «luc_mo» trở đi"),
            "\(t.reason)")
        // Data read back from the store (today nil) is not checked again.
        #expect(throws: Never.self) {
            try def.validate(data: [("ngay_hop", .string("2026-02-26")), ("ngay_ky", .string("2026-02-25"))], partial: true, today: nil)
                .get()
        }
    }

    @Test("an event is checked with the record's data: either day given out of order is refused, nothing changed")
    func events() throws {
        let engine = try Self.engine()
        let data = try engine.definition.data([("ho_ten", .string("A")), ("ngay_hop", .string("2026-02-26"))])
        var inst = try engine.started("a", data: data, at: at("2026-03-01T08:00")).0
        let before = inst
        let when = at("2026-03-02T09:00")
        func send(_ event: String, _ pairs: [(String, JSON)]) -> Result<[Record], EngineError> {
            engine.send(&inst, event: event, data: pairs, at: when, actor: nil, counter: nil)
        }
        guard case .failure(.invalidData(let e)) = send("cong-nhan", [("ngay_ky", .string("25/02/2026"))]) else {
            return #expect(Bool(false), "a decision before the stored meeting was taken")
        }
        #expect(e.field == "ngay_ky" && e.reason.hasPrefix("25/02/2026 trước «Ngày chi bộ họp» (26/02/2026)"), "\(e.reason)")
        #expect(inst == before)
        // The decision recorded, then the meeting corrected to a later day: the correction is refused, naming it.
        guard case .success = send("ghi", [("ngay_ky", .string("27/02/2026"))]) else { return #expect(Bool(false), "refused") }
        let decided = inst
        guard case .failure(.invalidData(let m)) = send("ghi", [("ngay_hop", .string("28/02/2026"))]) else {
            return #expect(Bool(false), "a meeting after the recorded decision was taken")
        }
        #expect(m.field == "ngay_hop")
        #expect(
            m.reason
                == "28/02/2026 sau «Ngày ký quyết định» của hồ sơ (27/02/2026), mà «Ngày ký quyết định» không thể trước «Ngày chi bộ họp»; kiểm tra lại ngày, tháng, năm"
        )
        #expect(inst == decided)
        // Both corrected together, in order: taken. Removing one (null) leaves nothing to compare.
        guard case .success = send("ghi", [("ngay_hop", .string("28/02/2026")), ("ngay_ky", .string("01/03/2026"))]) else {
            return #expect(Bool(false), "a correction in order was refused")
        }
        guard case .success = send("ghi", [("ngay_hop", .null), ("ngay_ky", .string("01/01/2020"))]) else {
            return #expect(Bool(false), "a decision with no meeting recorded was refused")
        }
    }

    @Test("with the field it names unset, a day is bounded by that field's own bound, up the chain")
    func chain() throws {
        let yaml = """
            tiendo: 1
            title: Chuỗi
            fields:
              ngay_ket_nap: {type: date, title: Ngày kết nạp}
              ngay_hop: {type: date, title: Ngày chi bộ họp, min: {field: ngay_ket_nap}}
              ngay_ky: {type: date, title: Ngày ký quyết định, min: {field: ngay_hop}}
            initial: cho
            states:
              cho: {final: true}
            """
        let def = try Fixtures.workflow("chuoi", yaml)
        func given(_ pairs: [(String, JSON)]) -> Result<InstanceData, FieldError> {
            def.validate(data: pairs, partial: false, today: day("2026-12-05"))
        }
        // No meeting recorded: a decision typed 2025 for 2026 is still refused against the admission.
        guard case .failure(let e) = given([("ngay_ket_nap", .string("20/01/2026")), ("ngay_ky", .string("05/03/2025"))]) else {
            return #expect(Bool(false), "a decision before the admission was taken")
        }
        #expect(e.field == "ngay_ky" && e.reason.hasPrefix("05/03/2025 trước «Ngày kết nạp» (20/01/2026)"), "\(e.reason)")
        // The meeting recorded: it is the bound, and the meeting's own bound is checked as its own pair.
        #expect(throws: Never.self) {
            try given([("ngay_ket_nap", .string("20/01/2026")), ("ngay_hop", .string("01/03/2026")), ("ngay_ky", .string("02/03/2026"))])
                .get()
        }
        #expect(throws: Never.self) { try given([("ngay_ky", .string("05/03/2025"))]).get() }
    }

    @Test("a pair stored out of order does not block an event that touches neither")
    func untouched() throws {
        let engine = try Self.engine()
        let stored = try engine.definition.data([("ho_ten", .string("A"))])
        var inst = try engine.started("a", data: stored, at: at("2026-03-01T08:00")).0
        // As an import of an older version, or a workflow that added the bound later, might have left it.
        inst.data["ngay_hop"] = .date(CivilDate(2026, 2, 26))
        inst.data["ngay_ky"] = .date(CivilDate(2026, 2, 25))
        let result = engine.send(
            &inst, event: "ghi", data: [("ghi_chu", .string("đã nhắc"))], at: at("2026-03-02T09:00"), actor: nil, counter: nil)
        guard case .success = result else { return #expect(Bool(false), "\(result)") }
    }
}
