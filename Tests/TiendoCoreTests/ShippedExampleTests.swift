import Foundation
import Testing

@testable import TiendoCore

/// The shipped recurring duties over a year, the example CSVs of `Workflows/examples/` (generated for 30/11/2026 by
/// `scripts/gen-examples.py`) and the committed graphs of `docs/graphs/`.
@Suite struct ShippedExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let workflows = root.appendingPathComponent("Workflows").path
    static let set = Loader(searchPath: [workflows]).loadAll()

    static func definition(_ id: String) throws -> WorkflowDefinition { try #require(set.workflows[id], "\(id)") }

    /// One member's monthly duties from 01/01/2027 for a year: attendance recorded every month, dues paid on the 15th
    /// except in `unpaid` months; `late` maps a month to the day it is finally paid. Returns the dues' overdue notices.
    static func duesYear(unpaid: Set<Int>, late: [Int: String] = [:]) throws -> [Record] {
        let def = try definition("dang-vien-hang-thang")
        let start = at("2027-01-01T08:00")
        let data = try def.data([("ho_ten", .string("Nguyễn Văn A")), ("chi_bo", .string("Chi bộ Khu dân cư số 1"))])
        var events: [SimulatedEvent] = []
        func done(_ when: String, _ occurrence: String) {
            events.append(
                SimulatedEvent(
                    at: at(when), instance: "dang-vien-hang-thang/a", event: "done", data: [("milestone", .string(occurrence))], line: 0))
        }
        for m in 1...12 {
            let month = String(format: "2027-%02d", m)
            done("\(month)-10T20:00", "du-sinh-hoat@\(month)")
            if !unpaid.contains(m) { done("\(month)-15T09:00", "dang-phi@\(month)") }
            if let day = late[m] { done(day, "dang-phi@\(month)") }
        }
        let sim = Simulator()
        let (records, problems) = sim.run(
            from: start, until: at("2027-12-31T23:59"), planned: [Simulator.Planned(workflow: def, key: "a", started: start, data: data)],
            events: events)
        #expect(problems.isEmpty, "\(problems)")
        #expect(!records.contains { $0.kind == .rejected }, "\(records.filter { $0.kind == .rejected }.map(\.message))")
        #expect(!records.contains { $0.kind == .overdue && $0.milestone == "du-sinh-hoat" })
        return records.filter { $0.kind == .overdue && $0.milestone == "dang-phi" }
    }

    @Test("đảng phí over a year: one month unpaid is a plain overdue notice")
    func duesOneMissed() throws {
        let notices = try Self.duesYear(unpaid: [3])
        #expect(
            notices.map { "\($0.occurrence ?? "") \($0.atText) \($0.priority) \($0.missed ?? 0)" } == [
                "2027-03 2027-04-01T08:00:00+07:00 4 1"
            ])
    }

    @Test("đảng phí: three months unpaid within twelve reach priority crit (ground for removal, QĐ 24 §8.1)")
    func duesThreeMissed() throws {
        let notices = try Self.duesYear(unpaid: [2, 6, 10])
        #expect(
            notices.map { "\($0.occurrence ?? "") \($0.atText) \($0.priority) \($0.missed ?? 0)" } == [
                "2027-02 2027-03-01T08:00:00+07:00 4 1", "2027-06 2027-07-01T08:00:00+07:00 4 2", "2027-10 2027-11-01T08:00:00+07:00 2 3",
            ])
        #expect(notices.last?.message.contains("3 kỳ đang quá hạn") == true)
        // The engine counts months still open: February paid late in May no longer counts (the law counts months
        // not paid in the year; the chi bộ still has the record in the history).
        let paidLate = try Self.duesYear(unpaid: [2, 6, 10], late: [2: "2027-05-20T09:00"])
        #expect(paidLate.last.map { "\($0.priority) \($0.missed ?? 0)" } == "4 2")
    }

    @Test("a member exempted from nothing (both dates left empty, no 2100 stand-in) owes attendance and dues every month")
    func notExempted() throws {
        let def = try Self.definition("dang-vien-hang-thang")
        #expect(def.field("mien_sinh_hoat_tu")?.defaultValue == nil && def.field("mien_dang_phi_tu")?.defaultValue == nil)
        let data = try Planner.data(def, assignments: ["ho_ten=A", "chi_bo=B"]).get()
        #expect(data["mien_sinh_hoat_tu"] == nil && data["mien_dang_phi_tu"] == nil)
        let overdue = Planner.plan(def, data: data, start: at("2027-01-01T08:00"), until: CivilDate(2027, 12, 31)).filter {
            $0.kind == .overdue
        }
        let months = (1...11).map { String(format: "2027-%02d", $0) }
        #expect(overdue.filter { $0.milestone == "du-sinh-hoat" }.compactMap(\.occurrence) == months)
        #expect(overdue.filter { $0.milestone == "dang-phi" }.compactMap(\.occurrence) == months)
        // No warning either: an `until` reading an unset field has no end, which is what the file means.
        let (_, diags) = Loader(searchPath: [ShippedWorkflowTests.directory]).resolve("dang-vien-hang-thang")
        #expect(diags.isEmpty, "\(diags)")
    }

    @Test("members exempted from meetings (miễn sinh hoạt) stop owing attendance but still owe dues")
    func exemptedMember() throws {
        let def = try Self.definition("dang-vien-hang-thang")
        let data = try Planner.data(def, assignments: ["ho_ten=A", "chi_bo=B", "mien_sinh_hoat_tu=2027-03-15"]).get()
        let records = Planner.plan(def, data: data, start: at("2027-01-01T08:00"), until: CivilDate(2027, 12, 31))
        let overdue = records.filter { $0.kind == .overdue }
        #expect(overdue.filter { $0.milestone == "du-sinh-hoat" }.compactMap(\.occurrence) == ["2027-01", "2027-02", "2027-03"])
        // Each month's notice falls the day after its month: January to November within the year.
        #expect(overdue.filter { $0.milestone == "dang-phi" }.compactMap(\.occurrence) == (1...11).map { String(format: "2027-%02d", $0) })
    }

    @Test("members exempted from dues (QĐ 01-QĐ/TW: 50 years in the Party, a social pension) stop owing dues, not attendance")
    func exemptedFromDues() throws {
        let def = try Self.definition("dang-vien-hang-thang")
        #expect(def.milestones.first { $0.id == "dang-phi" }?.basis?.contains("QĐ 01-QĐ/TW ngày 03/02/2026") == true)
        let data = try Planner.data(def, assignments: ["ho_ten=A", "chi_bo=B", "mien_dang_phi_tu=2027-05-20"]).get()
        let records = Planner.plan(def, data: data, start: at("2027-01-01T08:00"), until: CivilDate(2027, 12, 31))
        let overdue = records.filter { $0.kind == .overdue }
        // May's period began before the exemption: it stays owed; no period starts on or after 20/05.
        func months(_ r: ClosedRange<Int>) -> [String] { r.map { String(format: "2027-%02d", $0) } }
        #expect(overdue.filter { $0.milestone == "dang-phi" }.compactMap(\.occurrence) == months(1...5))
        #expect(overdue.filter { $0.milestone == "du-sinh-hoat" }.compactMap(\.occurrence) == months(1...11))
        // Exempted from 01/06: June is not owed.
        let june = try Planner.data(def, assignments: ["ho_ten=A", "chi_bo=B", "mien_dang_phi_tu=2027-06-01"]).get()
        let juneOverdue = Planner.plan(def, data: june, start: at("2027-01-01T08:00"), until: CivilDate(2027, 12, 31))
            .filter { $0.kind == .overdue && $0.milestone == "dang-phi" }
        #expect(juneOverdue.compactMap(\.occurrence) == months(1...5))
    }

    @Test("recurring duties start with the occurrence in progress, never an overdue one (sinh-hoat-chi-bo, reports, scoring)")
    func recurringStartNow() throws {
        let cases: [(String, [String], [String: String])] = [
            (
                "sinh-hoat-chi-bo", ["chi_bo=Chi bộ 1"],
                ["hop-thuong-ky@2026-11": "2026-11-30", "sinh-hoat-chuyen-de@2026-10": "2026-12-31"]
            ),
            ("nhan-xet-noi-cu-tru", ["ho_ten=A", "chi_bo_cu_tru=B"], ["nhan-xet@2025-12": "2026-12-10"]),
            ("danh-gia-cong-chuc-quy", ["ho_ten=A", "co_quan=B"], ["danh-gia-quy@2026-10": "2027-01-05"]),
            (
                "bao-cao-dinh-ky", ["don_vi=A"],
                [
                    "bao-cao-thang@2026-11": "2026-12-20", "bao-cao-quy@2026-09": "2026-12-20", "bao-cao-6-thang@2026-06": "2027-06-20",
                    "bao-cao-nam@2026-11": "2027-11-20", "thong-ke-dang-vien@2026-01": "2026-12-31",
                ]
            ),
        ]
        let now = at("2026-11-30T09:00")
        for (id, set, expected) in cases {
            let def = try Self.definition(id)
            let (inst, records) = try Engine(def).started("t", data: try Planner.data(def, assignments: set).get(), at: now)
            #expect(!records.contains { $0.kind == .overdue }, "\(id)")
            let open = Engine(def).openDeadlines(inst)
            #expect(Dictionary(uniqueKeysWithValues: open.map { ($0.key, $0.due) }) == expected, "\(id)")
            #expect(open.allSatisfy { !$0.provisional }, "\(id): calendar days only, never provisional")
        }
    }

    @Test("every example CSV imports; started on 30/11/2026, none is overdue by more than 60 days and the mix is realistic")
    func examples() throws {
        let dir = (Self.workflows as NSString).appendingPathComponent("examples")
        let t0 = at("2026-11-30T08:00")
        var covered = Set<String>()
        var (overdue, thisWeek, later) = (0, 0, 0)
        for file in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where file.hasSuffix(".csv") {
            // Each example is named after its workflow: `ID.csv`.
            let def = try #require(Self.set.workflows[String(file.dropLast(4))], "no workflow for \(file)")
            covered.insert(def.id)
            let bytes = try #require(FileManager.default.contents(atPath: (dir as NSString).appendingPathComponent(file)))
            let rows: [InstanceRows.Row]
            switch InstanceRows.convert(try CSV.parse(bytes: [UInt8](bytes)), def: def, file: file) {
            case .success(let r): rows = r
            case .failure(let d):
                Issue.record("\(file) does not import: \(d)")
                continue
            }
            #expect(!rows.isEmpty, "\(file)")
            let planned = rows.map { Simulator.Planned(workflow: def, key: $0.key ?? "", started: $0.started ?? t0, data: $0.data) }
            let sim = Simulator()
            let (_, problems) = sim.run(from: t0, until: t0, planned: planned, events: [])
            #expect(problems.isEmpty, "\(file): \(problems)")
            #expect(sim.finalInstances.count == rows.count, "\(file)")
            let engine = Engine(def)
            for inst in sim.finalInstances {
                for d in engine.openDeadlines(inst) {
                    let left = d.daysLeft(at: t0, zone: def.zone)
                    #expect(left >= -60, "\(inst.id) \(d.key): due \(d.due), \(-left) days overdue")
                    if d.isOverdue(at: t0) { overdue += 1 } else if left <= 7 { thisWeek += 1 } else { later += 1 }
                }
            }
        }
        #expect(covered == Set(Self.set.order), "workflows without an example: \(Set(Self.set.order).subtracting(covered))")
        #expect(overdue >= 5 && thisWeek >= 5 && later > overdue + thisWeek, "overdue \(overdue), this week \(thisWeek), later \(later)")
    }

    @Test("docs/graphs holds the DOT and Mermaid graph of every shipped workflow, as tiendoctl graph draws it now")
    func graphs() throws {
        let dir = Self.root.appendingPathComponent("docs/graphs").path
        var expected: Set<String> = []
        for id in Self.set.order {
            let def = try #require(Self.set.workflows[id])
            for (ext, format) in [("dot", GraphRenderer.Format.dot), ("mmd", GraphRenderer.Format.mermaid)] {
                expected.insert("\(id).\(ext)")
                let committed = try String(contentsOfFile: "\(dir)/\(id).\(ext)", encoding: .utf8)
                #expect(committed == GraphRenderer.render(def, format: format), "docs/graphs/\(id).\(ext) is stale: regenerate it")
            }
        }
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir)) == expected)
    }
}
