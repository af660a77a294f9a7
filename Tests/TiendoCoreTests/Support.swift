import Foundation
import Testing

@testable import TiendoCore

/// Test helpers shared by the suites.
enum Fixtures {
    /// `Tests/TiendoCoreTests/Fixtures`.
    static let directory: String = {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        return here.appendingPathComponent("Fixtures").path
    }()

    static func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// The contract's example calendar (workflow format §7), kept independent of the shipped Workflows/.
    /// Written to a temporary directory: files under the test target would be unhandled resources.
    static let vnCalendarYAML = """
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
            source: "Bản thử nghiệm (danh sách của hợp đồng, mục 7)"
            off: [2026-01-01, 2026-02-16..2026-02-20, 2026-04-27, 2026-04-30, 2026-05-01, 2026-09-01, 2026-09-02]
            work: []

        """

    /// A workflows directory for this test process, with `calendars/vn.yaml` in it; removed when the process exits.
    static let workflowsDirectory: String = {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("tiendo-tests-\(ProcessInfo.processInfo.processIdentifier)")
        let cal = (dir as NSString).appendingPathComponent("calendars")
        try! FileManager.default.createDirectory(atPath: cal, withIntermediateDirectories: true)
        try! vnCalendarYAML.write(toFile: (cal as NSString).appendingPathComponent("vn.yaml"), atomically: true, encoding: .utf8)
        atexit { try? FileManager.default.removeItem(atPath: Fixtures.workflowsDirectory) }
        return dir
    }()

    /// The path a workflow file `name` would have in `workflowsDirectory`.
    static func file(_ name: String) -> String { (workflowsDirectory as NSString).appendingPathComponent(name) }

    /// The `vn` calendar, parsed once.
    static let vn: WorkCalendar = {
        let (cal, diags) = Loader(searchPath: [workflowsDirectory]).resolveCalendar("vn")
        precondition(cal != nil, "calendars/vn.yaml: \(diags)")
        return cal!
    }()

    /// Parses workflow text as if it were `ID.yaml` in `workflowsDirectory` (the file need not exist), with the
    /// shared `vn` calendar (building a calendar precomputes three centuries, so it is done once).
    static func load(_ id: String, _ yaml: String) -> (WorkflowDefinition?, [Diagnostic]) {
        var parser = WorkflowParser(file: file("\(id).yaml"), expectedID: id) { cal in
            cal == "vn" ? .success(vn) : .failure(.notFound(known: ["vn"]))
        }
        let def = parser.parse(bytes: Array(yaml.utf8))
        return (def, parser.sink.items)
    }

    /// A workflow that must load without errors.
    static func workflow(_ id: String, _ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> WorkflowDefinition
    {
        let (def, diags) = load(id, yaml)
        let errors = diags.filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(errors)", sourceLocation: sourceLocation)
        return try #require(def, sourceLocation: sourceLocation)
    }
}

/// An instant written in ISO 8601; without an offset it is local to Asia/Ho_Chi_Minh.
func at(_ text: String) -> Instant {
    guard let t = Zone.vietnam.parseInstant(text) else { fatalError("bad instant in test: \(text)") }
    return t
}

/// A date `YYYY-MM-DD`.
func day(_ text: String) -> CivilDate {
    guard let d = CivilDate.parse(text) else { fatalError("bad date in test: \(text)") }
    return d
}

/// `at` of a record as the contract's text.
extension Record {
    var atISO: String { atText }
}

/// Counts instances for limits from a plain list (the daemon's index in miniature).
final class ListCounter: InstanceCounter {
    var instances: [Instance] = []
    func count(workflow: String, states: Set<String>, field: String?, value: Value?) -> Int {
        instances.filter { i in
            guard i.workflow == workflow, let s = i.state, states.contains(s) else { return false }
            if let field { return i.data[field] == value }
            return true
        }.count
    }
}

extension WorkflowDefinition {
    /// Instance data from JSON-like pairs; validation must succeed. `started`: the day the record starts, which a
    /// year's default counts from (`year(started + 1mo)`).
    func data(_ pairs: [(String, JSON)], started: CivilDate? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> InstanceData
    {
        switch validate(data: pairs, partial: false, today: nil, started: started) {
        case .success(let d): return d
        case .failure(let e):
            Issue.record("invalid test data: \(e)", sourceLocation: sourceLocation)
            throw e
        }
    }
}

extension Engine {
    /// Starts an instance that must start; returns it with its records.
    func started(
        _ key: String, data: InstanceData, at t: Instant, now: Instant? = nil, mode: AdvanceMode = .live,
        counter: (any InstanceCounter)? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (Instance, [Record]) {
        switch start(instanceID: "\(definition.id)/\(key)", data: data, at: t, now: now ?? t, mode: mode, counter: counter) {
        case .success(let r): return r
        case .failure(let e):
            Issue.record("start failed: \(e)", sourceLocation: sourceLocation)
            throw e
        }
    }
}
