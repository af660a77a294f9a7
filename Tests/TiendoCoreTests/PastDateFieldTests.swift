import Testing

@testable import TiendoCore

/// `max: today` on a date or datetime field (README "Extensions"): a day that has already come (a decision, a
/// ceremony, a birth) is refused when the data gives a later one, 2062 typed for 2026, which would otherwise move
/// a due decades ahead and silence its reminders.
@Suite struct PastDateFieldTests {
    static let yaml = """
        tiendo: 1
        title: Công nhận
        fields:
          ho_ten: {type: text, required: true}
          ngay_ket_nap: {type: date, required: true, max: today}
          ngay_quyet_dinh: {type: date, max: today}
          luc_nhan: {type: datetime, max: today}
          han: {type: date}
        initial: cho
        states:
          cho:
            on:
              cong-nhan: {to: xong, if: {ngay_quyet_dinh: {ge: 2000-01-01}}}
          xong: {final: true}
        """

    static func definition() throws -> WorkflowDefinition { try Fixtures.workflow("cong-nhan", yaml) }

    @Test("the parser reads max: today on date and datetime fields only")
    func parsed() throws {
        let def = try Self.definition()
        #expect(def.field("ngay_ket_nap")?.notAfterToday == true)
        #expect(def.field("luc_nhan")?.notAfterToday == true)
        #expect(def.field("han")?.notAfterToday == false)
    }

    @Test(
        "any other bound on a date, or today on another type, is an error naming the field",
        arguments: [
            ("{type: date, max: 2026-12-31}", "'max' of date field 'f' may only be 'max: today'"),
            ("{type: date, min: today}", "'min' of date field 'f' may only be 'max: today'"),
            ("{type: datetime, max: now}", "'max' of datetime field 'f' may only be 'max: today'"),
            (
                "{type: text, max: today}",
                "'max' applies to integer and number fields (and 'max: today', 'min: {field: OTHER}' to date and datetime fields) only"
            ),
            ("{type: integer, max: today}", "'max' of field 'f' must be an integer, found 'today'"),
        ])
    func refusedBounds(_ field: String, _ message: String) {
        let (_, diags) = Fixtures.load("sai", "tiendo: 1\ntitle: Sai\nfields:\n  f: \(field)\n")
        #expect(diags.contains { $0.severity == .error && $0.message.contains(message) }, "\(diags)")
    }

    @Test(
        "a date after the day the data is given is refused; that day and earlier ones are taken",
        arguments: [
            ("2026-12-05", true), ("05/12/2026", true), ("2026-01-01", true), ("2026-12-06", false), ("05/12/2062", false),
        ])
    func dates(_ text: String, _ accepted: Bool) throws {
        let def = try Self.definition()
        let result = def.validate(
            data: [("ho_ten", .string("Nguyễn Văn A")), ("ngay_ket_nap", .string(text))], partial: false, today: day("2026-12-05"))
        switch result {
        case .success(let d): #expect(accepted && d["ngay_ket_nap"] != nil, "\(text) taken")
        case .failure(let e):
            #expect(!accepted, "\(text) refused: \(e)")
            #expect(e.field == "ngay_ket_nap")
            #expect(e.reason.contains("chưa tới (hôm nay là 05/12/2026)"), "\(e.reason)")
        }
    }

    @Test("a datetime is compared by its local date; data already stored is not checked again")
    func datetimesAndStoredData() throws {
        let def = try Self.definition()
        let base: [(String, JSON)] = [("ho_ten", .string("A")), ("ngay_ket_nap", .string("2026-01-10"))]
        let today = day("2026-12-05")
        #expect(throws: Never.self) {
            try def.validate(data: base + [("luc_nhan", .string("05/12/2026 23:59"))], partial: false, today: today).get()
        }
        guard case .failure(let e) = def.validate(data: base + [("luc_nhan", .string("06/12/2026 00:00"))], partial: false, today: today)
        else {
            return #expect(Bool(false), "a datetime tomorrow was taken")
        }
        #expect(e.field == "luc_nhan" && e.reason.hasPrefix("ngày 06/12/2026 chưa tới"))
        // Data read back from the store (today nil) keeps whatever was given then.
        #expect(throws: Never.self) { try def.validate(data: [("ngay_ket_nap", .string("2030-01-01"))], partial: true, today: nil).get() }
    }

    @Test("today is the workflow zone's date, not UTC's: at 00:30 in Hà Nội it is already the new day")
    func localToday() throws {
        let engine = Engine(try Self.definition())
        let data = try engine.definition.data([("ho_ten", .string("A")), ("ngay_ket_nap", .string("2025-11-20"))])
        // 06/12 00:30 +07 is 05/12 17:30 UTC: a decision dated 06/12 is today's.
        var inst = try engine.started("a", data: data, at: at("2026-12-01T08:00")).0
        let result = engine.send(
            &inst, event: "cong-nhan", data: [("ngay_quyet_dinh", .string("06/12/2026"))], at: at("2026-12-06T00:30"), actor: nil,
            counter: nil)
        guard case .success = result else { return #expect(Bool(false), "\(result)") }
        // 05/12 20:00 UTC is 06/12 03:00 in Hà Nội: after a day that is still 05/12 there.
        let def = engine.definition
        let base: [(String, JSON)] = [("ho_ten", .string("A")), ("ngay_ket_nap", .string("2026-01-10"))]
        guard
            case .failure(let e) = def.validate(
                data: base + [("luc_nhan", .string("2026-12-05T20:00:00Z"))], partial: false, today: day("2026-12-05"))
        else { return #expect(Bool(false), "a datetime of 06/12 local time was taken on 05/12") }
        #expect(e.reason.hasPrefix("ngày 06/12/2026 chưa tới (hôm nay là 05/12/2026)"), "\(e.reason)")
    }

    @Test("an event is checked against its own instant; a refused event changes nothing")
    func events() throws {
        let engine = Engine(try Self.definition())
        let data = try engine.definition.data([("ho_ten", .string("Nguyễn Văn A")), ("ngay_ket_nap", .string("2025-11-20"))])
        var inst = try engine.started("a", data: data, at: at("2026-12-01T08:00")).0
        let before = inst
        let when = at("2026-12-05T09:00")
        guard
            case .failure(.invalidData(let e)) = engine.send(
                &inst, event: "cong-nhan", data: [("ngay_quyet_dinh", .string("2062-12-04"))], at: when, actor: nil, counter: nil)
        else { return #expect(Bool(false), "a decision dated 2062 was taken") }
        #expect(e.field == "ngay_quyet_dinh" && e.reason.contains("ngày 04/12/2062 chưa tới"))
        #expect(inst == before)
        guard
            case .success = engine.send(
                &inst, event: "cong-nhan", data: [("ngay_quyet_dinh", .string("04/12/2026"))], at: when, actor: nil, counter: nil)
        else { return #expect(Bool(false), "yesterday's decision was refused") }
        #expect(inst.state == "xong")
    }
}
