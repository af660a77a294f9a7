import Foundation
import Testing

@testable import TiendoCore

/// What an officer writing a new workflow by copying a shipped one reads for the slips they make: one diagnostic
/// for one slip, saying what to write (authoring audit, 07/12/2026).
@Suite struct AuthoringDiagnosticsTests {
    static let base = """
        tiendo: 1
        title: Tiếp nhận đơn
        fields:
          ngay_nhan: {type: date, required: true}
          so_phieu: {type: integer}
        initial: tiep-nhan
        states:
          tiep-nhan:
            title: Tiếp nhận
            deadline: {due: ngay_nhan + 10wd}
            on:
              xu-ly:
                - {to: xong, if: {so_phieu: {ge: 1}}}
                - tiep-nhan
          xong: {title: Xong, final: true}
        milestones:
          bao-cao:
            title: Báo cáo tháng
            every: 1mo
            anchor: 2026-01-01
            due: period + 5d

        """

    static func check(_ yaml: String) -> [Diagnostic] { Fixtures.load("don", yaml).1 }

    static func edited(_ from: String, _ to: String) -> [Diagnostic] {
        precondition(base.contains(from), from)
        return check(base.replacingOccurrences(of: from, with: to))
    }

    @Test("the base file validates clean")
    func baseIsClean() { #expect(Self.check(Self.base).isEmpty, "\(Self.check(Self.base))") }

    @Test(
        "a misspelt key is one error: its value is read as the key it resembles",
        arguments: [
            ("fields:", "field:", "'field'", "'fields'"), ("initial:", "inital:", "'inital'", "'initial'"),
            ("title: Tiếp nhận đơn", "titel: Tiếp nhận đơn", "'titel'", "'title'"),
        ])
    func misspeltKey(from: String, to: String, typed: String, meant: String) {
        let d = Self.edited(from, to)
        #expect(d.count == 1, "\(d)")
        #expect(d.first?.message == "unknown key \(typed) in the workflow (did you mean \(meant)?)")
    }

    @Test("a type named as another language names it is one error with the type meant, the field still declared")
    func typeAlias() {
        let d = Self.edited("so_phieu: {type: integer}", "so_phieu: {type: int}")
        #expect(d.map(\.message) == ["unknown type 'int' for field 'so_phieu' (did you mean 'integer'?)"])
        #expect(
            Self.edited("so_phieu: {type: integer}", "so_phieu: {type: string}").first?.message
                == "unknown type 'string' for field 'so_phieu' (did you mean 'text'?)")
    }

    @Test("a file with errors gets no warnings about its graph: they would be about the graph left after them")
    func noGraphWarningsOnErrors() {
        let d = Self.edited("- {to: xong, if", "- {to: xongg, if")
        #expect(d.map(\.message) == ["unknown state 'xongg' in 'on.xu-ly' (did you mean 'xong'?)"], "\(d)")
    }

    @Test("states that can never reach a final one are warned about: an endless cycle of timed transitions")
    func noFinalReachable() {
        let loop = """
            tiendo: 1
            title: Vòng lặp
            initial: a
            states:
              a: {title: A, after: {at: entered_at + 1min, to: b}}
              b: {title: B, after: {at: entered_at + 1min, to: a}}

            """
        let d = Self.check(loop)
        #expect(
            d.map(\.message) == [
                "no final state can be reached from 'a', and 'after' rules move an instance round 'a' → 'b' → 'a' forever: it never completes (mark the last state 'final: true')"
            ])
        #expect(d.first?.severity == .warning)
        // States that wait for someone (no `after` cycle), without a final one: a record that stays, not warned about.
        let waits = loop.replacingOccurrences(of: "after: {at: entered_at + 1min, to: b}", with: "on: {tam-dung: b}")
            .replacingOccurrences(of: "after: {at: entered_at + 1min, to: a}", with: "on: {tiep-tuc: a}")
        #expect(Self.check(waits).isEmpty, "\(Self.check(waits))")
    }

    @Test("an empty 'if' is no condition: the branch after it is never tried, and said so")
    func emptyIf() {
        let d = Self.edited("- {to: xong, if: {so_phieu: {ge: 1}}}", "- {to: xong, if: {}}")
        #expect(d.map(\.message) == ["branch never tried: the one before it in 'on.xu-ly' has no 'if'"], "\(d)")
    }

    @Test("YAML slips are named: a tab, a value with «: » or starting with «[»")
    func yamlHints() {
        #expect(
            Self.edited("    title: Tiếp nhận\n", "\ttitle: Tiếp nhận\n").first?.message.hasSuffix(
                "line 9 is indented with a tab: indent with spaces only") == true)
        #expect(
            Self.edited("    title: Tiếp nhận\n", "    title: Bước 1: tiếp nhận\n").first?.message.hasSuffix(
                "; a value containing ': ' must be in quotes (title: \"Bước 2: nộp hồ sơ\")") == true)
        #expect(
            Self.edited("    title: Tiếp nhận\n", "    title: [Bước 1] Tiếp nhận\n").first?.message.hasSuffix(
                "; a value starting with '[' or '{' is read as a list or a mapping: put it in quotes") == true)
    }

    @Test(
        "a date expression's slips say what to write",
        arguments: [
            ("ngay_nhan + 30 wd", "no space between a number and its unit: write '30wd' in 'due' of state 'tiep-nhan'"),
            (
                "ngay_nhan + 1.5d",
                "whole numbers only: '1.5d' has a fraction; count in a smaller unit (36h, not 1.5d) in 'due' of state 'tiep-nhan'"
            ),
            ("ngay_nhan + 10 ngay", "missing unit after '10': use d, wd, w, mo, y, h or min in 'due' of state 'tiep-nhan'"),
        ])
    func expressionSlips(due: String, message: String) {
        #expect(Self.edited("due: ngay_nhan + 10wd", "due: \(due)").map(\.message) == [message])
    }

    @Test("a date written day first is given back in the form a file needs")
    func dayFirstDates() {
        #expect(
            Self.edited("anchor: 2026-01-01", "anchor: 01/01/2026").map(\.message) == [
                "invalid date '01/01/2026': dates are written YYYY-MM-DD ('2026-01-01') in 'anchor' of milestone 'bao-cao'"
            ])
        #expect(
            Self.edited("ngay_nhan: {type: date, required: true}", "ngay_nhan: {type: date, default: 15/03/2026}").map(\.message) == [
                "invalid default for field 'ngay_nhan': '15/03/2026' is not YYYY-MM-DD: write '2026-03-15'"
            ])
        // With dashes, as a phone's keypad without «/» lets people type it.
        #expect(
            Self.edited("ngay_nhan: {type: date, required: true}", "ngay_nhan: {type: date, default: 15-03-2026}").map(\.message) == [
                "invalid default for field 'ngay_nhan': '15-03-2026' is not YYYY-MM-DD: write '2026-03-15'"
            ])
        #expect(HumanDate.isoSpelling(of: "2026-03-15") == nil && HumanDate.isoSpelling(of: "31/02/2026") == nil)
    }

    @Test("a name typed as people write it is refused with the name to write, not a regular expression")
    func namesInWords() {
        #expect(
            Self.edited("      xu-ly:", "      xử-lý:").map(\.message) == [
                "invalid event name 'xử-lý': use lowercase ASCII letters, digits and '-' ('xu-ly')"
            ])
        #expect(
            Self.edited("  so_phieu:", "  Số phiếu:").first?.message
                == "invalid field name 'Số phiếu': use lowercase ASCII letters, digits and '_', starting with a letter ('so_phieu')")
        #expect(
            Self.edited("  bao-cao:", "  Báo cáo tháng:").first?.message
                == "invalid milestone id 'Báo cáo tháng': use lowercase ASCII letters, digits and '-' ('bao-cao-thang')")
        #expect(
            Self.edited("  tiep-nhan:", "  Tiếp nhận:").first?.message
                == "invalid state name 'Tiếp nhận': use letters, digits, '-', '_' or '.' ('tiep-nhan')")
        #expect(WorkflowParser.suggestedName("Tiếp nhận đơn", separator: "-") == "tiep-nhan-don")
        #expect(WorkflowParser.suggestedName("tiep-nhan", separator: "-") == nil)
    }

    @Test("Vietnam's zone and a deadline's key put in its state are said where they belong")
    func misplaced() {
        #expect(
            Self.edited("title: Tiếp nhận đơn\n", "title: Tiếp nhận đơn\ntimezone: Asia/Hanoi\n").map(\.message)
                == ["unknown time zone 'Asia/Hanoi' (Vietnam's is 'Asia/Ho_Chi_Minh')"])
        #expect(
            Self.edited("    deadline: {due: ngay_nhan + 10wd}\n", "    deadline: {due: ngay_nhan + 10wd}\n    remind: [2d]\n").map(
                \.message)
                == ["unknown key 'remind' in state 'tiep-nhan': it goes under 'deadline'"])
    }

    @Test("a file saved in decomposed form (NFD) is read composed, as typed data is stored")
    func decomposedFile() throws {
        let (def, d) = Fixtures.load("don", Self.base.decomposedStringWithCanonicalMapping)
        #expect(d.isEmpty, "\(d)")
        let title = try #require(def?.title)
        #expect(Array(title.unicodeScalars) == Array("Tiếp nhận đơn".precomposedStringWithCanonicalMapping.unicodeScalars))
    }

    @Test("an 'until' before the 'anchor' is warned about: the series would have no occurrence")
    func untilBeforeAnchor() {
        let d = Self.edited("anchor: 2026-01-01\n", "anchor: 2026-01-01\n    until: 2025-12-31\n")
        #expect(
            d.map(\.message) == ["'until' 2025-12-31 is before 'anchor' 2026-01-01 of milestone 'bao-cao': the series has no occurrence"])
    }

    @Test("hidden files are not workflows; a calendar's errors come first and each workflow names its file")
    func directoryListing() throws {
        let fm = FileManager.default
        let root = (NSTemporaryDirectory() as NSString).appendingPathComponent(
            "tiendo-authoring-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(atPath: root)
        defer { try? fm.removeItem(atPath: root) }
        try fm.createDirectory(atPath: root + "/calendars", withIntermediateDirectories: true)
        try Self.base.write(toFile: root + "/don.yaml", atomically: true, encoding: .utf8)
        try Self.base.write(toFile: root + "/.an.yaml", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: root + "/.#don.yaml", withDestinationPath: "root@may-chu.1234:1700000000")
        try Fixtures.vnCalendarYAML.write(toFile: root + "/calendars/vn.yaml", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: root + "/calendars/.#vn.yaml", withDestinationPath: "root@may-chu.1234:1700000000")
        #expect(Loader(searchPath: [root]).validate(paths: [root]).isEmpty)
        #expect(Loader(searchPath: [root]).loadAll().order == ["don"])
        let broken = Fixtures.vnCalendarYAML.replacingOccurrences(of: "off: [", with: "off: [01/01/2027, ")
        #expect(broken != Fixtures.vnCalendarYAML)
        try broken.write(toFile: root + "/calendars/vn.yaml", atomically: true, encoding: .utf8)
        let d = Loader(searchPath: [root]).validate(paths: [root])
        #expect(
            d.first?.file == root + "/calendars/vn.yaml" && d.first?.message.hasSuffix("expected YYYY-MM-DD ('2027-01-01')") == true, "\(d)"
        )
        #expect(d.count == 2, "\(d)")
        #expect(d.last?.file == root + "/don.yaml" && d.last?.message == "calendar 'vn' has errors (see \(root)/calendars/vn.yaml)", "\(d)")
    }
}
