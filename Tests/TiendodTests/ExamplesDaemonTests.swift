import Foundation
import Testing
import TiendoCore
import TiendoVarlink

/// The shipped workflows and every example CSV (`Workflows/examples/`, generated for 30/11/2026) through the real
/// tiendod and tiendoctl on a fake clock: imported that morning, nothing is overdue by more than 60 days, and the
/// recurring duties open, complete and pile up through the daemon.
@Suite(.serialized)
struct ExamplesDaemonTests {
    static var examples: String { (Build.workflows as NSString).appendingPathComponent("examples") }

    func instances(_ d: DaemonProcess) throws -> [JSON] {
        var out: [JSON] = []
        var after: JSON = .null
        repeat {
            let page = try d.call("ListInstances", [("limit", .int(10_000)), ("after", after)])
            out += page["instances"]?.arrayValue ?? []
            after = page["next"] ?? .null
        } while !after.isNull
        return out
    }

    @Test("every example imports on 30/11/2026; nothing overdue by more than 60 days; recurring duties work")
    func importExamples() throws {
        let d = DaemonProcess(workflows: Build.workflows)
        try d.start(fakeTime: "2026-11-30T08:00:00+07:00", rate: 1)
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.examples).filter { $0.hasSuffix(".csv") }.sorted()
        var rows = 0
        for file in files {
            let path = (Self.examples as NSString).appendingPathComponent(file)
            let (status, out) = try run(Build.binary("tiendoctl"), ["--socket", d.socket, "import", String(file.dropLast(4)), path])
            #expect(status == 0, "\(file): \(out)")
            rows += try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count - 1
        }
        let status = try d.call("GetStatus")
        #expect(status["status"]?["instances"]?.intValue == rows)
        #expect((status["workflows"]?.arrayValue ?? []).allSatisfy { ($0["instances"]?.intValue ?? 0) > 0 })
        // 2027 is projected: working-day dues that reach into it are provisional, and counted.
        #expect((status["status"]?["provisional"]?.intValue ?? 0) > 0)

        var overdue = 0
        for inst in try instances(d) {
            for item in inst["deadlines"]?.arrayValue ?? [] {
                let left = item["daysLeft"]?.intValue ?? 0
                #expect(left >= -60, "\(inst["id"]?.stringValue ?? ""): \(item.serialized())")
                if item["overdue"]?.boolValue == true { overdue += 1 }
            }
        }
        #expect(overdue >= 5)
        let agenda = try d.call("Agenda", [("days", .int(0))])["items"]?.arrayValue ?? []
        #expect(agenda.filter { $0["overdue"]?.boolValue == true }.count == overdue)

        // A chi bộ's monthly meeting: the occurrence of November is open (due today), with its quarterly one.
        let cb = "sinh-hoat-chi-bo/cb01"
        func instance() throws -> JSON? { try d.call("GetInstance", [("id", .string(cb))])["instance"] }
        let before = try #require(try instance())
        let meeting = (before["milestones"]?.arrayValue ?? []).first { $0["id"]?.stringValue == "hop-thuong-ky" }
        #expect(meeting?["every"]?.stringValue == "1mo" && meeting?["occurrence"]?.stringValue == "2026-11")
        #expect(meeting?["openCount"]?.intValue == 1 && meeting?["due"]?.stringValue == "2026-11-30")
        #expect((before["deadlines"]?.arrayValue ?? []).compactMap { $0["occurrence"]?.stringValue } == ["2026-11", "2026-10"])
        _ = try d.call("CompleteMilestone", [("id", .string(cb)), ("milestone", .string("hop-thuong-ky"))])
        _ = try d.call("CompleteMilestone", [("id", .string(cb)), ("milestone", .string("sinh-hoat-chuyen-de@2026-10"))])
        #expect((try instance()?["deadlines"]?.arrayValue ?? []).isEmpty)
        #expect(d.stop() == 0)

        // Two months later the meetings of December, January and February have opened; the first two are overdue.
        try d.start(fakeTime: "2027-02-01T09:00:00+07:00", rate: 1)
        let after = try #require(try instance())
        #expect(
            (after["deadlines"]?.arrayValue ?? []).map { "\($0["occurrence"]?.stringValue ?? "") \($0["overdue"]?.boolValue == true)" }
                == ["2026-12 true", "2027-01 true", "2027-02 false", "2027-01 false"])
        let hist = records(try d.call("History", [("id", .string(cb))]))
        #expect(hist.filter { $0.kind == .milestoneDone }.compactMap(\.occurrence) == ["2026-11", "2026-10"])
        // One overdue series per milestone (rule 7), from its newest overdue occurrence; two open in a row: err.
        let notice = try #require(hist.last { $0.kind == .overdue && $0.milestone == "hop-thuong-ky" })
        #expect(notice.occurrence == "2027-01" && notice.missed == 2 && notice.priority == 3 && (notice.late ?? 0) > 0)
        #expect(d.stop() == 0)
    }
}
