import Testing

@testable import TiendoCore

/// A date field's default counted from other fields when the record starts (README "Extensions"):
/// `"{nam}-01-01"` (a day of the year an integer field holds) and `ngay_bat_dau - 1d` (from another date field).
@Suite struct DerivedDefaultTests {
    // `han` is declared before the field it counts from: the order of the file does not matter.
    static let yaml = """
        tiendo: 1
        title: Năm thi đua
        fields:
          nam: {type: integer, title: Năm thi đua}
          han: {type: date, title: Hạn ký giao ước, default: ngay_bat_dau - 1d}
          ngay_bat_dau: {type: date, title: Ngày bắt đầu, default: "{nam}-01-01"}
          cuoi_thang_hai: {type: date, default: "{nam}-02-29"}
          bao_cao: {type: date, default: ngay_bat_dau + 1mo + 2d}
        milestones:
          ky: {title: Ký giao ước, due: han}
        """

    static func definition() throws -> WorkflowDefinition { try Fixtures.workflow("nam-thi-dua", yaml) }

    @Test("the parser keeps the rule and says it in words for the forms")
    func parsed() throws {
        let def = try Self.definition()
        #expect(def.field("ngay_bat_dau")?.derivedDefault?.base == .dayOfYear(field: "nam", month: 1, day: 1))
        #expect(def.field("han")?.derivedDefault?.base == .field("ngay_bat_dau"))
        #expect(def.field("han")?.defaultValue == nil && def.field("han")?.derivedDefault != nil)
        func words(_ f: String) -> String? { def.field(f)?.derivedDefault?.words { def.field($0)?.title ?? $0 } }
        #expect(words("ngay_bat_dau") == "ngày 01/01 của năm ghi ở «Năm thi đua»")
        #expect(words("han") == "1 ngày trước «Ngày bắt đầu»")
        #expect(words("bao_cao") == "1 tháng sau «Ngày bắt đầu», rồi thêm 2 ngày")
    }

    @Test("the days follow the year typed; a day typed wins; nothing to count from leaves the field empty")
    func completed() throws {
        let def = try Self.definition()
        let d2028 = try def.complete(["nam": .integer(2028)]).get()
        #expect(d2028["ngay_bat_dau"] == .date(CivilDate(2028, 1, 1)) && d2028["han"] == .date(CivilDate(2027, 12, 31)))
        #expect(d2028["cuoi_thang_hai"] == .date(CivilDate(2028, 2, 29)))
        #expect(d2028["bao_cao"] == .date(CivilDate(2028, 2, 3)))
        let typed = try def.complete(["nam": .integer(2028), "ngay_bat_dau": .date(CivilDate(2028, 3, 1))]).get()
        #expect(typed["ngay_bat_dau"] == .date(CivilDate(2028, 3, 1)) && typed["han"] == .date(CivilDate(2028, 2, 29)))
        let ownHan = try def.complete(["nam": .integer(2028), "han": .date(CivilDate(2027, 12, 22))]).get()
        #expect(ownHan["han"] == .date(CivilDate(2027, 12, 22)))
        let none = try def.complete([:]).get()
        #expect(none["ngay_bat_dau"] == nil && none["han"] == nil && none["bao_cao"] == nil)
    }

    @Test("a year without the day is refused, naming the field, the rule and the year")
    func impossibleDay() throws {
        let def = try Self.definition()
        guard case .failure(let e) = def.complete(["nam": .integer(2027)]) else {
            return #expect(Bool(false), "29/02/2027 was made up")
        }
        #expect(e.field == "cuoi_thang_hai")
        #expect(
            e.reason
                == "để trống thì lấy ngày 29/02 của năm ghi ở «Năm thi đua», nhưng năm 2027 không có ngày 29/02: ghi ngày cho trường này")
        #expect(throws: Never.self) {
            try def.complete(["nam": .integer(2027), "cuoi_thang_hai": .date(CivilDate(2027, 2, 28))]).get()
        }
    }

    @Test("a year that is none, or a day past the year 9999, is refused rather than stored")
    func outOfRange() throws {
        let def = try Fixtures.workflow(
            "xa",
            "tiendo: 1\ntitle: Xa\nfields:\n  nam: {type: integer}\n  ngay: {type: date, default: \"{nam}-12-31 + 1d\"}\nmilestones:\n  m: {title: M, due: ngay}\n"
        )
        guard case .failure(let zero) = def.complete(["nam": .integer(0)]) else { return #expect(Bool(false), "year 0 taken") }
        #expect(zero.reason.hasSuffix("nhưng 0 không phải một năm (từ 1 đến 9999): ghi ngày cho trường này"), "\(zero.reason)")
        guard case .failure(let far) = def.complete(["nam": .integer(9999)]) else { return #expect(Bool(false), "10000-01-01 taken") }
        #expect(
            far.field == "ngay" && far.reason.hasSuffix("nhưng ngày tính ra ngoài các năm 1–9999: ghi ngày cho trường này"), "\(far.reason)"
        )
        #expect(try def.complete(["nam": .integer(2026)]).get()["ngay"] == .date(CivilDate(2027, 1, 1)))
    }

    @Test("an event or a new version is not refused for a default it would not apply: the rule is the start's")
    func eventsLeaveIt() throws {
        let yaml = """
            tiendo: 1
            title: Sự kiện
            fields:
              nam: {type: integer}
              ngay: {type: date, default: "{nam}-02-29"}
            initial: mo
            states:
              mo:
                on: {ghi: mo, dong: xong}
              xong: {final: true}
            """
        let engine = Engine(try Fixtures.workflow("su-kien", yaml))
        var (inst, _) = try engine.started("a", data: [:], at: at("2026-12-01T08:00"))
        guard
            case .success = engine.send(
                &inst, event: "ghi", data: [("nam", .int(2027))], at: at("2026-12-02T08:00"), actor: nil, counter: nil)
        else { return #expect(Bool(false), "an event setting the year was refused for a day it does not fill") }
        #expect(inst.data["nam"] == .integer(2027) && inst.data["ngay"] == nil)
        #expect(engine.definition.missingRequired(inst.data) == nil)
        // A required field without any default is still missing; one with a derived default is not asked of stored data.
        let required = try Fixtures.workflow(
            "bat-buoc",
            "tiendo: 1\ntitle: B\nfields:\n  nam: {type: integer}\n  ngay: {type: date, required: true, default: \"{nam}-01-01\"}\n"
                + "  ten: {type: text, required: true}\nmilestones:\n  m: {title: M, due: ngay}\n")
        #expect(required.missingRequired(["nam": .integer(2027)])?.field == "ten")
        #expect(required.missingRequired(["ten": .text("A")]) == nil)
    }

    @Test("a deadline on a day counted from an optional field without a default is warned about, through the chain")
    func warned() {
        func warnings(_ nam: String) -> [String] {
            let yaml = """
                tiendo: 1
                title: Cảnh báo
                fields:
                  nam: \(nam)
                  bat_dau: {type: date, default: "{nam}-01-01"}
                  han: {type: date, default: bat_dau - 1d}
                milestones:
                  ky: {title: Ký, due: han}
                """
            return Fixtures.load("canh-bao", yaml).1.filter { $0.severity == .warning }.map(\.message)
        }
        #expect(
            warnings("{type: integer}").contains { $0.contains("optional field 'han' has no default") }, "\(warnings("{type: integer}"))")
        #expect(warnings("{type: integer, default: 2027}").isEmpty)
        #expect(warnings("{type: integer, required: true}").isEmpty)
    }

    @Test("a started record keeps the days it got: its deadline is the year's")
    func started() throws {
        let engine = Engine(try Self.definition())
        let data = try engine.definition.data([("nam", .int(2028)), ("cuoi_thang_hai", .string("2028-02-28"))])
        let (inst, _) = try engine.started("a", data: data, at: at("2027-12-01T08:00"))
        #expect(inst.data["han"] == .date(CivilDate(2027, 12, 31)))
        #expect(engine.openDeadlines(inst).map(\.due) == ["2027-12-31"])
    }

    @Test(
        "a field that is not there, of another type, the field itself, a cycle, or a shape that is no day is an error",
        arguments: [
            ("{type: date, default: ngay_hopp - 1d}", "unknown field 'ngay_hopp' in the default of field 'f' (did you mean 'ngay_hop'?)"),
            ("{type: date, default: so - 1d}", "the default of field 'f' counts from 'so', which is integer, not date"),
            (
                "{type: date, default: \"{ten}-01-01\"}",
                "counts from 'ten', which is text, not integer (a year in braces is an integer field)"
            ),
            ("{type: date, default: f + 1d}", "the default of field 'f' counts from the field itself"),
            ("{type: date, default: ngay_hop + 30wd}", "'wd' (working days) cannot be in a default"),
            ("{type: date, default: ngay_hop or started}", "'or' cannot be in a default"),
            ("{type: date, default: \"{so}-01-01T08:00\"}", "after '{so}' come the month and the day, two digits each, and no time"),
            ("{type: date, default: \"{so}-1-1\"}", "after '{so}' come the month and the day, two digits each"),
            ("{type: date, default: \"{Năm}-01-01\"}", "'Năm' in braces is not a field name"),
            ("{type: date, default: \"{so}-01-01 + 1x\"}", "invalid default for field 'f': unknown unit 'x'"),
            ("{type: date, max: today, default: ngay_hop + 1d}", "field 'f' has 'max: today' and a default counted from another field"),
            ("{type: date, min: {field: ngay_hop}, default: ngay_hop + 1d}", "has 'min: {field: ngay_hop}' and a default counted"),
            ("{type: date, default: {so}}", "'default' must be a scalar (a year in braces is quoted: default: \"{nam}-01-01\")"),
            ("{type: date, default: ngày_họp - 1d}", "unknown field 'ngày_họp' in the default of field 'f' (did you mean 'ngay_hop'?)"),
            (
                "{type: date, default: g + 1d}\n  g: {type: date, default: f - 1d}",
                "the defaults of fields 'f', 'g' count from each other (a cycle)"
            ),
            ("{type: date, default: \"{so}-02-30\"}", "invalid default for field 'f': '{so}-02-30' is not a day of any year"),
            ("{type: date, default: \"{so}\"}", "after '{so}' come the month and the day"),
            ("{type: date, default: \"ngay_hop + {so}d\"}", "a field in braces must be the year of a day at the start"),
            ("{type: date, default: ngay_hop at 17:00}", "'at' makes an instant, not a date"),
            ("{type: date, default: started + 1d}", "a default that is not a date must count from another field"),
            ("{type: date, default: 2026-12-31 + 1d}", "a default that is not a date must count from another field"),
            ("{type: date, default: 2026-02-30}", "invalid default for field 'f': ngày '2026-02-30' không tồn tại"),
            ("{type: datetime, default: ngay_hop + 1d}", "invalid default for field 'f'"),
        ])
    func refused(_ field: String, _ message: String) {
        let yaml = "tiendo: 1\ntitle: Sai\nfields:\n  ngay_hop: {type: date}\n  so: {type: integer}\n  ten: {type: text}\n  f: \(field)\n"
        let (_, diags) = Fixtures.load("sai", yaml)
        #expect(diags.contains { $0.severity == .error && $0.message.contains(message) }, "\(diags)")
        #expect(!diags.contains { $0.severity == .warning }, "\(diags)")
    }
}
