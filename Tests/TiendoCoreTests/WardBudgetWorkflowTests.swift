import Foundation
import Testing

@testable import TiendoCore

/// `Workflows/ngan-sach-phuong.yaml`: the HĐND phường's budget year under Luật Ngân sách nhà nước 89/2025/QH15 and
/// NĐ 73/2026/NĐ-CP, its dates computed from the city's decision and the ward's own acts.
@Suite struct WardBudgetWorkflowTests {
    static func definition() throws -> WorkflowDefinition { try ShippedWorkflowTests.definition("ngan-sach-phuong") }

    static func event(_ day: String, _ event: String, _ data: [(String, JSON)] = []) -> SimulatedEvent {
        SimulatedEvent(at: at(day), instance: "ngan-sach-phuong/2027", event: event, data: data, line: 0)
    }

    /// The budget year starting on `year` (the 2027 one by default) from 30/11/2026 with `events`; returns the records
    /// and the instance at `until`.
    static func run(_ events: [SimulatedEvent], until: String, year: String? = nil) throws -> ([Record], Instance) {
        let def = try definition()
        let start = at("2026-11-30T08:00")
        let given: InstanceData = try year.map { ["ngay_dau_nam": .date(try #require(CivilDate.parse($0)))] } ?? [:]
        let key = String((year ?? "2027").prefix(4))
        let sim = Simulator()
        let (records, problems) = sim.run(
            from: start, until: at(until),
            planned: [Simulator.Planned(workflow: def, key: key, started: start, data: try def.complete(given).get())],
            events: events)
        #expect(problems.isEmpty, "\(problems)")
        return (records, try #require(sim.finalInstances.first))
    }

    /// The due of `state`'s deadline with the file's defaults and `dates` (field → YYYY-MM-DD).
    static func stateDue(_ state: String, _ dates: [String: String] = [:]) throws -> String {
        let def = try definition()
        var given: InstanceData = [:]
        for (k, v) in dates { given[k] = .date(try #require(CivilDate.parse(v))) }
        return try ShippedWorkflowTests.stateDue(def, state, try def.complete(given).get()).due
    }

    @Test("the ward decides its budget within 10 days of the city's decision: 09/12 → Sat 19/12/2026, read strictly (no roll)")
    func budgetDecision() throws {
        // Named by its key, the budget year: no text field (the first one would become the record's name).
        #expect(try Self.definition().labelField == nil)
        // The city must decide before 10/12: the first state's deadline is 09/12, from the budget year's first day.
        #expect(try Self.stateDue("cho-hdnd-thanh-pho") == "2026-12-09")
        #expect(try Self.stateDue("quyet-dinh-du-toan", ["ngay_hdnd_tp": "2026-12-09"]) == "2026-12-19")
        #expect(try Self.stateDue("quyet-dinh-du-toan", ["ngay_hdnd_tp": "2026-12-04"]) == "2026-12-14")
        // Handed out within 5 working days of the ward's resolution (Art. 46(7)): Fri 18/12 → Fri 25/12; published
        // within 30 days of it (NĐ 73/2026 Art. 37).
        #expect(try Self.stateDue("giao-du-toan", ["ngay_nghi_quyet_du_toan": "2026-12-18"]) == "2026-12-25")
        #expect(try Self.stateDue("cong-khai-du-toan", ["ngay_nghi_quyet_du_toan": "2026-12-18"]) == "2027-01-17")
        // Final accounts "trước ngày 31 tháng 3 năm sau": by 30/03/2028 for the 2027 budget (Art. 71(3)).
        #expect(try Self.stateDue("thuc-hien") == "2028-03-30")
        #expect(try Self.stateDue("gui-quyet-toan", ["ngay_phe_chuan_quyet_toan": "2028-03-27"]) == "2028-04-03")
    }

    @Test("a budget year from the city's decision to the published final accounts, each step on the dates recorded")
    func wholeYear() throws {
        let events = [
            Self.event("2026-12-09T17:00", "hdnd-tp-quyet-dinh", [("ngay_hdnd_tp", .string("2026-12-09"))]),
            Self.event("2026-12-18T16:00", "quyet-dinh", [("ngay_nghi_quyet_du_toan", .string("2026-12-18"))]),
            Self.event("2026-12-24T10:00", "da-giao"),
            Self.event("2027-01-10T10:00", "da-cong-khai"),
            Self.event("2028-03-27T16:00", "phe-chuan", [("ngay_phe_chuan_quyet_toan", .string("2028-03-27"))]),
            Self.event("2028-04-01T10:00", "da-gui"),
            Self.event("2028-04-20T10:00", "da-cong-khai"),
        ]
        let (records, inst) = try Self.run(events, until: "2028-06-30T00:00")
        #expect(!records.contains { $0.kind == .rejected }, "\(records.filter { $0.kind == .rejected }.map(\.message))")
        #expect(inst.state == "hoan-thanh" && inst.completed)
        #expect(!records.contains { $0.kind == .overdue }, "\(records.filter { $0.kind == .overdue }.map(\.message))")
        #expect(
            records.filter { $0.kind == .transition }.compactMap(\.to) == [
                "quyet-dinh-du-toan", "giao-du-toan", "cong-khai-du-toan", "thuc-hien", "gui-quyet-toan", "cong-khai-quyet-toan",
                "hoan-thanh",
            ])
        // The ward's deadline is reminded from the city's date: 5, 3 and 1 days before Sat 19/12.
        #expect(
            records.filter { $0.kind == .reminder && $0.state == "quyet-dinh-du-toan" }.map(\.atText) == [
                "2026-12-14T08:00:00+07:00", "2026-12-16T08:00:00+07:00", "2026-12-18T08:00:00+07:00",
            ])
    }

    @Test("the city's decision not recorded by 09/12: a weekly warning, never an error (the deadline is the city's), then the year begins")
    func cityDecisionNotRecorded() throws {
        let (records, inst) = try Self.run([], until: "2027-01-02T00:00")
        let overdue = records.filter { $0.kind == .overdue && $0.state == "cho-hdnd-thanh-pho" }
        #expect(overdue.map(\.atText) == ["10", "17", "24", "31"].map { "2026-12-\($0)T08:00:00+07:00" })
        #expect(overdue.allSatisfy { $0.priority == 4 })  // warning only
        // On 01/01 the budget year runs: the instance moves on to the final accounts' deadline.
        #expect(records.last { $0.kind == .transition }.map { "\($0.to ?? "") \($0.atText)" } == "thuc-hien 2027-01-01T00:00:00+07:00")
        #expect(inst.state == "thuc-hien")
        #expect(try Self.stateDue("thuc-hien") == "2028-03-30")
        // The city's decision sent without its date is refused and changes nothing.
        let (refused, same) = try Self.run([Self.event("2026-12-10T09:00", "hdnd-tp-quyet-dinh")], until: "2026-12-11T00:00")
        #expect(same.state == "cho-hdnd-thanh-pho")
        #expect(refused.contains { $0.kind == .rejected && $0.event == "hdnd-tp-quyet-dinh" })
    }

    @Test("a budget year already under way (2026) starts at its final accounts, due 30/03/2027")
    func yearUnderWay() throws {
        let (records, inst) = try Self.run([], until: "2026-12-01T00:00", year: "2026-01-01")
        #expect(inst.state == "thuc-hien")
        let def = try Self.definition()
        #expect(Engine(def).openDeadlines(inst).map { "\($0.due) \($0.isOverdue(at: at("2026-12-01T00:00")))" } == ["2027-03-30 false"])
        // Starting late (format §10): of the first step's overdue notices already past, the latest is sent once, late.
        #expect(
            records.filter { $0.kind == .overdue }.map { "\($0.state ?? "") \($0.due ?? "") \($0.late != nil)" } == [
                "cho-hdnd-thanh-pho 2025-12-09 true"
            ])
    }
}
