import Foundation
import Testing

@testable import TiendoCore

/// Hostile or broken definition files: refused quickly, with a position, never expanded, never hanging
/// (README "Limits"). Time limits are hang guards, not benchmarks.
@Suite(.timeLimit(.minutes(1))) struct HostileDefinitionTests {
    static func diagnostics(_ yaml: String) -> [Diagnostic] { Fixtures.load("x", yaml).1 }

    static func first(_ yaml: String) -> Diagnostic? { diagnostics(yaml).first { $0.severity == .error } }

    /// "Billion laughs": ten levels of ten aliases each would be 10^10 scalars.
    static let aliasBomb: String = {
        var lines = ["tiendo: 1", "title: T", "x-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for i in 1...10 { lines.append("x-a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]") }
        lines += ["milestones:", "  m: {title: M, due: 2026-01-01}"]
        return lines.joined(separator: "\n") + "\n"
    }()

    @Test("an alias bomb is refused at its first anchor, before anything expands it")
    func aliasBomb() throws {
        let d = try #require(Self.first(Self.aliasBomb))
        #expect("\(d.line):\(d.column)" == "3:7")
        #expect(d.message.contains("YAML anchor '&a0' is not supported"))
        #expect(Self.diagnostics(Self.aliasBomb).count == 1)
    }

    @Test(
        "anchors and aliases are refused wherever they are, at their own position",
        arguments: [
            ("tiendo: 1\ntitle: &t T\n", "2:8", "anchor '&t'"),
            ("tiendo: 1\ntitle: *t\n", "2:8", "alias '*t'"),
            ("tiendo: 1\ntitle: T\nfields: &f {a: {type: text}}\n", "3:9", "anchor '&f'"),
            ("tiendo: 1\ntitle: T\nx-l: &l\n  - 1\n", "3:6", "anchor '&l'"),
            ("tiendo: 1\ntitle: T\nx-m: {a: 1}\n<<: *m\n", "4:5", "alias '*m'"),
        ])
    func anchorsAndAliases(_ yaml: String, _ position: String, _ fragment: String) throws {
        let d = try #require(Self.first(yaml))
        #expect("\(d.line):\(d.column)" == position, "\(d)")
        #expect(d.message.contains(fragment), "\(d)")
    }

    @Test("a file over the size limit is refused at 1:1 without being parsed")
    func fileSize() throws {
        let big = "tiendo: 1\ntitle: T\n" + String(repeating: "# padding\n", count: DefinitionLimits.fileBytes / 10 + 1)
        let d = try #require(Self.first(big))
        #expect("\(d.line):\(d.column)" == "1:1")
        #expect(d.message.contains("larger than 4 MiB"))
        // The loader stops reading at the limit (a device or a growing file never ends).
        let path = Fixtures.file("big.yaml")
        try big.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard case .failure(let problem) = Loader.readFile(path) else { return #expect(Bool(false), "read a file over the limit") }
        #expect(problem.message.contains("larger than 4 MiB"))
    }

    @Test("only regular files are read: a FIFO named x.yaml does not block the loader")
    func fifo() throws {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("tiendo-fifo-\(getpid())")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fifo = (dir as NSString).appendingPathComponent("ong.yaml")
        #expect(mkfifo(fifo, 0o600) == 0)
        let diags = Loader(searchPath: [dir]).loadAll().diagnostics
        #expect(diags.map(\.description) == ["\(fifo):1:1: error: not a regular file"])
    }

    @Test("too many nodes, too deep, too long a scalar: each refused where it happens")
    func nodeDepthScalarLimits() throws {
        let nodes = "tiendo: 1\ntitle: T\nx-n: [" + Array(repeating: "0", count: DefinitionLimits.nodes).joined(separator: ",") + "]\n"
        let n = try #require(Self.first(nodes))
        #expect(n.line == 3 && n.message.contains("more than \(DefinitionLimits.nodes) YAML nodes"), "\(n)")

        let deep = "tiendo: 1\ntitle: T\nx-d: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "\n"
        let d = try #require(Self.first(deep))
        #expect("\(d.line):\(d.column)" == "3:\(5 + DefinitionLimits.depth)", "\(d)")
        #expect(d.message.contains("nested deeper than the limit of \(DefinitionLimits.depth) levels"))

        let long = "tiendo: 1\ntitle: T\ndescription: " + String(repeating: "ư", count: DefinitionLimits.scalarBytes / 2 + 1) + "\n"
        let s = try #require(Self.first(long))
        #expect("\(s.line):\(s.column)" == "3:14", "\(s)")
        #expect(s.message.contains("longer than the limit of \(DefinitionLimits.scalarBytes) bytes"))
    }

    @Test("10,000 states naming unknown targets: 200 diagnostics, then one line for the rest")
    func unknownTargets() {
        var yaml = "tiendo: 1\ntitle: T\ninitial: s0\nstates:\n"
        for i in 0..<10_000 { yaml += "  s\(i):\n    on: {di: khong-co-\(i)}\n" }
        let diags = Self.diagnostics(yaml)
        #expect(diags.count == DefinitionLimits.diagnosticsPerFile + 1)
        #expect(diags[0].message == "unknown state 'khong-co-0' in 'on.di'")
        let last = diags[diags.count - 1]
        #expect(last.severity == .error && "\(last.line):\(last.column)" == "406:14", "\(last)")
        #expect(last.message == "9800 more errors in this file not shown (only the first 200 found are)")
        // Counted as the problems it stands for: every state's unknown target. No state is said to be unreachable: the
        // graph left after its errors is not the file's (authoring audit, 07/12/2026).
        #expect(Diagnostic.counts(diags) == (errors: 10_000, warnings: 0))
    }

    @Test("a 10,000-milestone requires chain validates; closing it into a cycle is one short error")
    func requiresChain() throws {
        func chain(cycle: Bool) -> String {
            var yaml = "tiendo: 1\ntitle: T\nmilestones:\n"
            for i in 0..<10_000 {
                let next = i < 9_999 ? "m\(i + 1)" : (cycle ? "m0" : nil)
                yaml += "  m\(i): {title: M, due: 2026-01-01\(next.map { ", requires: [\($0)]" } ?? "")}\n"
            }
            return yaml
        }
        #expect(Fixtures.load("x", chain(cycle: false)).0 != nil)
        let diags = Self.diagnostics(chain(cycle: true))
        #expect(diags.count == 1)
        let d = try #require(diags.first)
        #expect("\(d.line):\(d.column)" == "4:3")
        #expect(
            d.message == "'requires' cycle: m0 -> m1 -> m2 -> m3 -> m4 -> m5 -> m6 -> m7 -> … -> m9998 -> m9999 -> m0 (10000 milestones)")
    }

    @Test("cycles: one per strongly connected component, from its first member in file order, self-loops included")
    func cycles() {
        let edges = ["a": ["b"], "b": ["c", "a"], "c": ["b"], "d": ["d"], "e": ["a"], "f": ["g"], "g": ["f"]]
        #expect(Cycles.find(order: ["e", "a", "b", "c", "d", "f", "g"], edges: edges) == [["a", "b"], ["d"], ["f", "g"]])
        #expect(Cycles.find(order: ["a", "b"], edges: ["a": ["b", "x"], "b": []]).isEmpty)
    }

    @Test("the banded edit distance agrees with the full one, and hints still come")
    func editDistanceBand() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abcư")
        for _ in 0..<2_000 {
            let a = String((0..<Int.random(in: 0...7, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let b = String((0..<Int.random(in: 0...7, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let full = editDistance(a, b)
            for limit in 0...4 {
                let banded = editDistance(Array(a.unicodeScalars), Array(b.unicodeScalars), atMost: limit)
                #expect(banded == (full <= limit ? full : nil), "\(a) \(b) \(limit)")
            }
        }
        #expect(didYouMean("titel", ["tiendo", "title", "fields"]) == " (did you mean 'title'?)")
        // What people read in Vietnamese suggests in Vietnamese.
        #expect(Messages.unknownMilestone("dang-ph", known: ["dang-phi"]) == "không có mốc 'dang-ph' (có phải 'dang-phi'?)")
        // A name no workflow has, sent by hand: quoted within bounds, its invisible characters shown, so that the
        // refusal kept in the record's history neither grows by 200 KB nor reads backwards or on two lines.
        let hostile = "\u{202E}GHI BỞI QUẢN TRỊ\r\n" + String(repeating: "A", count: 5000)
        let quoted = Messages.unknownMilestone(hostile, known: ["dang-phi"])
        #expect(quoted.hasPrefix("không có mốc '\\u{202E}GHI BỞI QUẢN TRỊ\\u{D}\\u{A}AAA") && quoted.hasSuffix("A…'"))
        #expect(quoted.count < 200 && Messages.sent("cong-nhan") == "cong-nhan")
        #expect(didYouMean(String(repeating: "x", count: 60_000), ["title"]) == "")
    }

    // MARK: Calendars without working days

    static func calendar(_ yaml: String) -> [Diagnostic] {
        CalendarParser.parse(bytes: Array(yaml.utf8), file: "calendars/c.yaml", expectedID: "c").1
    }

    @Test(
        "a calendar that could leave no working day is refused at the node that does it",
        arguments: [
            ("weekend: [mon, tue, wed, thu, fri, sat, sun]\n", "4:10", "'weekend' covers all seven days"),
            ("years:\n  2026:\n    off: [2026-01-01..2026-12-31]\n", "5:3", "year 2026 has no working day"),
            (
                "weekend: [sat, sun]\nyears:\n  2027:\n    off: [2027-01-01..2027-06-30, 2027-07-01..2027-12-31]\n    work: []\n",
                "6:3", "year 2027 has no working day"
            ),
            (
                "rules:\n  - {name: a, solar: \"01-01\", days: 60}\n  - {name: b, solar: \"03-02\", days: 60}\n", "5:3",
                "could leave a year without a working day"
            ),
        ])
    func noWorkingDay(_ body: String, _ position: String, _ fragment: String) throws {
        let d = try #require(Self.calendar("tiendo: 1\ncalendar: c\ntitle: C\n" + body).first { $0.severity == .error })
        #expect("\(d.line):\(d.column)" == position, "\(d)")
        #expect(d.message.contains(fragment), "\(d)")
    }

    @Test("a year with one working day left is accepted, and counting working days finds it")
    func oneWorkingDay() throws {
        let yaml = "tiendo: 1\ncalendar: c\ntitle: C\nyears:\n  2026:\n    off: [2026-01-01..2026-12-30]\n"
        let (cal, diags) = CalendarParser.parse(bytes: Array(yaml.utf8), file: "calendars/c.yaml", expectedID: "c")
        #expect(!diags.contains { $0.severity == .error }, "\(diags)")
        let c = try #require(cal)
        #expect(c.adding(workingDays: 1, to: day("2025-12-31")).iso == "2026-12-31")
        #expect(c.roll(day("2026-03-02"), forward: false).iso == "2025-12-31")
    }

    @Test("a calendar built in code with no working day at all: every search stops after ten years")
    func boundedSearches() {
        let none = WorkCalendar(
            id: "none", title: "none", zone: .vietnam, weekend: Set(1...7),
            rules: [HolidayRule(name: "Tết", anchor: .lunar(month: 1, day: 1), from: -1, days: 5)], years: [:])
        let start = day("2026-03-02")
        let limit = WorkCalendar.searchLimitDays
        #expect(none.adding(workingDays: 3, to: start).dayNumber == start.dayNumber + limit)
        #expect(none.adding(workingDays: -3, to: start).dayNumber == start.dayNumber - limit)
        #expect(none.roll(start, forward: true).dayNumber == start.dayNumber + limit)
        #expect(none.days(in: 2026).contains { $0.kind == .holiday })
        let expr = try? DateExpression.parse("2026-03-02 + 30wd", zone: .vietnam)
        let v = expr?.evaluate(zone: .vietnam, calendar: none, startedAt: at("2026-03-02"), enteredAt: at("2026-03-02")) { _ in nil }
        #expect(v == .date(start.adding(days: limit)))
    }
}
