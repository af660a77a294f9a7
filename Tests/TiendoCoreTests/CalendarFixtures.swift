import Testing

@testable import TiendoCore

/// Calendars for the "Correct for December 2026" tests: the contract's rules with the corrected official 2026 list
/// (audit 2026-11 §2.2), optionally with the contract's illustrative 2027 list (format §10 "Calendar changes").
enum CorrectedCalendar {
    static let base = """
        tiendo: 1
        calendar: vn
        title: Lịch làm việc Việt Nam
        timezone: Asia/Ho_Chi_Minh
        weekend: [sat, sun]
        rules:
          - {name: "Tết Dương lịch", solar: "01-01"}
          - {name: "Tết Nguyên đán", lunar: "01-01", from: -1, days: 5}
          - {name: "Giỗ Tổ Hùng Vương", lunar: "03-10"}
          - {name: "Ngày Chiến thắng", solar: "04-30"}
          - {name: "Quốc tế Lao động", solar: "05-01"}
          - {name: "Quốc khánh", solar: "09-01", days: 2}
        years:
          2026:
            source: "Công văn 12729/VPCP-KGVX ngày 25/12/2025"
            off: [2026-01-01, 2026-01-02, 2026-02-16..2026-02-20, 2026-04-27, 2026-04-30, 2026-05-01, 2026-08-31, 2026-09-01, 2026-09-02]
            work: [2026-01-10, 2026-08-22]

        """

    static let year2027 = """
          2027:
            source: "Thông báo lịch nghỉ năm 2027 (ví dụ minh họa)"
            off: [2027-01-01, 2027-02-04..2027-02-05, 2027-02-08..2027-02-10, 2027-04-16, 2027-04-30, 2027-05-03, 2027-09-02, 2027-09-03]

        """

    /// 2026 official, 2027 projected from the rules.
    static let calendar = parse(base)
    /// 2026 and 2027 official.
    static let with2027 = parse(base + year2027)

    static func parse(_ text: String) -> WorkCalendar {
        let (cal, diags) = WorkCalendar.parse(bytes: Array(text.utf8), file: "calendars/vn.yaml", id: "vn")
        precondition(cal != nil && !diags.contains { $0.severity == .error }, "\(diags)")
        return cal!
    }

    /// A workflow computing with `calendar`.
    static func workflow(
        _ id: String, _ yaml: String, calendar: WorkCalendar = calendar, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> WorkflowDefinition {
        var parser = WorkflowParser(file: Fixtures.file("\(id).yaml"), expectedID: id) { _ in .success(calendar) }
        let def = parser.parse(bytes: Array(yaml.utf8))
        let errors = parser.sink.items.filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(errors)", sourceLocation: sourceLocation)
        return try #require(def, sourceLocation: sourceLocation)
    }
}
