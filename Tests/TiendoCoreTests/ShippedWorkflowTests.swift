import Foundation
import Testing

@testable import TiendoCore

/// The workflows tiendo ships (`Workflows/`): they validate cleanly and their dates are the legal ones of the
/// domain reference (test facts T1–T18).
@Suite struct ShippedWorkflowTests {
    static let directory: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Workflows").path
    }()

    static func definition(_ id: String) throws -> WorkflowDefinition {
        let (def, diags) = Loader(searchPath: [directory]).resolve(id)
        #expect(diags.filter { $0.severity == .error }.isEmpty, "\(diags)")
        return try #require(def)
    }

    /// The due of every deadline that plan reports, by milestone (or state) id.
    static func plannedDues(_ def: WorkflowDefinition, data: InstanceData = [:], start: String) -> [String: String] {
        var out: [String: String] = [:]
        for r in Planner.plan(def, data: data, start: at(start), until: CivilDate(2027, 12, 31)) {
            if let due = r.due, let key = r.milestone ?? r.state, out[key] == nil { out[key] = due }
        }
        return out
    }

    /// Evaluates a state's deadline expression with `data`, as the engine does (roll included).
    static func stateDue(_ def: WorkflowDefinition, _ state: String, _ data: InstanceData) throws -> String {
        let st = try #require(def.state(state), "no state \(state)")
        #expect(st.deadline != nil, "state \(state) has no deadline")
        let engine = Engine(def)
        let inst = Instance(
            id: "\(def.id)/t", workflow: def.id, data: data, state: state, startedAt: at("2025-01-01T08:00"),
            enteredAt: at("2025-01-01T08:00"), digest: def.digest, checkedAt: at("2025-01-01T08:00"))
        let open = engine.openDeadlines(inst)
        return try #require(open.first { $0.key == "" }).due
    }

    @Test("tiendoctl validate Workflows is clean: no errors, no warnings")
    func validateClean() {
        let diags = Loader(searchPath: []).validate(paths: [Self.directory])
        #expect(diags.isEmpty, "\(diags.map(\.description).joined(separator: "\n"))")
    }

    @Test("bau-cu-xvi: every legal milestone of the XVI election, planned with no --set (T1–T11)")
    func electionCountdown() throws {
        let def = try Self.definition("bau-cu-xvi")
        #expect(def.field("ngay_bau_cu")?.defaultValue == .date(CivilDate(2026, 3, 15)))
        let dues = Self.plannedDues(def, data: try Planner.data(def, assignments: []).get(), start: "2025-11-01T08:00")
        let expected: [String: String] = [
            "thanh-lap-ubbc": "2025-11-30",  // T1: E−105, a Sunday, not rolled
            "hiep-thuong-1": "2025-12-10",  // T2: E−95
            "thanh-lap-ban-bau-cu": "2026-01-04",  // T3: E−70, Sunday
            "thanh-lap-to-bau-cu": "2026-01-31",  // T4: E−43, Saturday
            "nop-ho-so": "2026-02-01T17:00:00+07:00",  // T5: E−42 at 17:00
            "hiep-thuong-2": "2026-02-03",  // T6: E−40
            "niem-yet-danh-sach-cu-tri": "2026-02-03",  // T6
            "hiep-thuong-3": "2026-02-20",  // T7: E−23
            "giao-phieu-bau": "2026-03-02",  // E−13
            "ngung-khieu-nai-ung-cu": "2026-03-05",  // T8: E−10
            "khieu-nai-danh-sach-cu-tri": "2026-03-10",  // E−5
            "ngay-bau-cu": "2026-03-15",
            "cong-bo-ket-qua": "2026-03-25",  // T10: E+10
            "ky-hop-thu-nhat-hdnd": "2026-04-29",  // E+45
            "ky-hop-thu-nhat-quoc-hoi": "2026-05-14",  // T11: E+60
        ]
        for (m, due) in expected { #expect(dues[m] == due, "\(m)") }
        // Every milestone cites its legal basis; election deadlines never roll.
        for m in def.milestones {
            #expect(!(m.basis ?? "").isEmpty, "\(m.id) has no basis")
            #expect(m.deadline.roll == .none, "\(m.id) rolls")
        }
        // The 17:00 deadline has an hour-based reminder before it.
        let plan = Planner.plan(def, data: try Planner.data(def, assignments: []).get(), start: at("2025-11-01T08:00"), until: CivilDate(2026, 6, 1))
        #expect(plan.contains { $0.milestone == "nop-ho-so" && $0.kind == .reminder && $0.atText.hasPrefix("2026-02-01T") })
    }

    @Test("dang-vien-du-bi: 12 months, then 30 working days across Tết (T15: 2025-02-10 → 2026-03-31)")
    func probation() throws {
        let def = try Self.definition("dang-vien-du-bi")
        #expect(def.fields.filter(\.required).map(\.name) == ["ngay_ket_nap"])
        let data = try Planner.data(def, assignments: ["ngay_ket_nap=2025-02-10"]).get()
        let plan = Planner.plan(def, data: data, start: at("2025-02-10T09:00"), until: CivilDate(2026, 12, 31))
        let transition = try #require(plan.first { $0.kind == .transition })
        #expect(transition.atText == "2026-02-11T00:00:00+07:00")
        #expect(transition.to == "cho-xet")
        let overdue = try #require(plan.first { $0.kind == .overdue })
        #expect(overdue.due == "2026-03-31")
        #expect(overdue.atText == "2026-04-01T08:00:00+07:00")
    }

    @Test("chuyen-sinh-hoat: 30 working days to present the letter (T16: 2025-12-22 → 2026-02-03), 60 to start")
    func transfer() throws {
        let def = try Self.definition("chuyen-sinh-hoat")
        var data = try #require(try? def.complete(["loai": .text("chinh-thuc"), "ngay_quyet_dinh": .date(CivilDate(2025, 12, 1))]).get())
        data["ngay_gioi_thieu"] = .date(CivilDate(2025, 12, 22))
        #expect(try Self.stateDue(def, "cho-xuat-trinh", data) == "2026-02-03")
        // 60 working days from 2025-12-01, skipping 01/01/2026 and Tết 16–20/02/2026.
        #expect(try Self.stateDue(def, "cho-lam-thu-tuc", data) == def.calendar.adding(workingDays: 60, to: CivilDate(2025, 12, 1)).iso)
        #expect(try Self.stateDue(def, "cho-lam-thu-tuc", data) == "2026-03-03")  // counted independently
    }

    @Test("ket-nap-dang-vien: the ceremony within 30 working days of the decision (2026-04-20 → 2026-06-04)")
    func admission() throws {
        let def = try Self.definition("ket-nap-dang-vien")
        var data = try #require(try? def.complete(["ho_ten": .text("Trần Thị B"), "chi_bo": .text("Chi bộ 2")]).get())
        data["ngay_quyet_dinh"] = .date(CivilDate(2026, 4, 20))
        #expect(try Self.stateDue(def, "cho-le-ket-nap", data) == "2026-06-04")
    }

    @Test("the-dang-vien: the 2025 renewal campaign ends before 02/09/2025 (T17)")
    func partyCards() throws {
        let def = try Self.definition("the-dang-vien")
        let campaign = try #require(def.field("han_chien_dich")?.defaultValue)
        #expect(campaign == .date(CivilDate(2025, 9, 1)))
        var data = try #require(try? def.complete(["so_the": .text("01.234567"), "ho_ten": .text("Nguyễn Văn A"), "chi_bo": .text("Chi bộ 1"), "cccd": .text("099123456789")]).get())
        data["han_chien_dich"] = campaign
        #expect(try Self.stateDue(def, "cho-trao", data) == "2025-09-01")
    }

    @Test("thi-dua: grading by score, and at most 20% 'xuất sắc' of those graded good or better per đảng bộ")
    func emulation() throws {
        let def = try Self.definition("thi-dua")
        let limit = try #require(def.limits.first)
        #expect(limit.state == "xuat-sac" && limit.max == .percent(20) && Set(limit.of) == ["tot", "xuat-sac"] && limit.per == "dang_bo")
        // Five organisations of one đảng bộ reach grading; four get 75, then one gets 92: 1 ≤ ⌊20% × 5⌋.
        var planned: [Simulator.Planned] = []
        var events: [SimulatedEvent] = []
        let start = at("2026-01-05T08:00")
        for i in 1...6 {
            let key = "cb\(i)"
            let data = try def.complete(["ten_to_chuc": .text("Chi bộ \(i)"), "dang_bo": .text("Đảng bộ phường A")]).get()
            planned.append(Simulator.Planned(workflow: def, key: key, started: start, data: data))
            for (d, e) in [(10, "nop-dang-ky"), (40, "ky-giao-uoc"), (190, "so-ket"), (330, "nop-tu-danh-gia")] {
                events.append(SimulatedEvent(at: start.adding(seconds: Int64(d) * 86_400), instance: "thi-dua/\(key)", event: e, data: [], line: 0))
            }
        }
        let scores = [("cb1", 75), ("cb2", 75), ("cb3", 75), ("cb4", 92), ("cb5", 75), ("cb6", 92), ("cb6", 60)]
        for (n, (key, score)) in scores.enumerated() {
            events.append(SimulatedEvent(at: start.adding(seconds: Int64(340 + n) * 86_400), instance: "thi-dua/\(key)", event: "cham-diem", data: [("diem", .int(score))], line: 0))
        }
        let sim = Simulator()
        let (records, problems) = sim.run(from: start, until: at("2026-12-31T23:59"), planned: planned, events: events)
        #expect(problems.isEmpty, "\(problems)")
        let states = Dictionary(uniqueKeysWithValues: sim.finalInstances.map { ($0.key, $0.state ?? "") })
        // cb4: 92 with 3 'tot' before it → base 4 → ⌊0.8⌋ = 0 → rejected, stays in binh-xet.
        #expect(states["cb4"] == "binh-xet")
        #expect(records.contains { $0.kind == .rejected && $0.instance == "thi-dua/cb4" && $0.message.contains("20%") })
        // cb6: 92 after 4 'tot' → base 5 → 1 allowed; the later 60 is not handled in xuat-sac.
        #expect(states["cb6"] == "xuat-sac")
        #expect(["cb1", "cb2", "cb3", "cb5"].allSatisfy { states[$0] == "tot" })
    }

    @Test("danh-gia-xep-loai: grades from the 100-point scale (T18: 92, 75, 60 and below 50)")
    func grading() throws {
        let def = try Self.definition("danh-gia-xep-loai")
        let st = try #require(def.state("dang-uy-xep-loai"))
        let branches = try #require(st.branches(for: "xep-loai"))
        func grade(_ score: Int, excellent: Bool = true) -> String? {
            let data: InstanceData = ["diem": .integer(score), "dat_tieu_chi_xuat_sac": .boolean(excellent)]
            return branches.first { $0.conditions.allSatisfy { $0.holds(data) } }?.to
        }
        #expect(grade(92) == "hoan-thanh-xuat-sac")
        #expect(grade(92, excellent: false) == "hoan-thanh-tot")
        #expect(grade(75) == "hoan-thanh-tot")
        #expect(grade(60) == "hoan-thanh")
        #expect(grade(49) == "khong-hoan-thanh")
    }

    @Test("calendars/vn.yaml: the 2026 schedule, and Tết 2027 projected from the lunar rules")
    func shippedCalendar() throws {
        let (cal, _) = Loader(searchPath: [Self.directory]).resolveCalendar("vn")
        let vn = try #require(cal)
        let days2026 = vn.days(in: 2026).map { "\($0.date.vietnamese) \($0.kind.rawValue) \($0.name)" }
        #expect(days2026 == [
            "01/01/2026 holiday Tết Dương lịch", "16/02/2026 holiday Tết Nguyên Đán", "17/02/2026 holiday Tết Nguyên Đán",
            "18/02/2026 holiday Tết Nguyên Đán", "19/02/2026 holiday Tết Nguyên Đán", "20/02/2026 holiday Tết Nguyên Đán",
            "27/04/2026 compensatory Giỗ Tổ Hùng Vương", "30/04/2026 holiday Ngày Chiến thắng", "01/05/2026 holiday Quốc tế Lao động",
            "01/09/2026 holiday Quốc khánh", "02/09/2026 holiday Quốc khánh",
        ])
        let tet2027 = vn.days(in: 2027).filter { $0.name == "Tết Nguyên Đán" && $0.kind == .holiday }.map(\.date.iso)
        #expect(tet2027.contains("2027-02-06"))
        #expect(vn.days(in: 2027).contains { $0.name == "Giỗ Tổ Hùng Vương" && $0.date == CivilDate(2027, 4, 16) })
    }

    @Test("every shipped workflow plans, simulates its example CSV, and renders as DOT and Mermaid")
    func everyWorkflowPlansAndRenders() throws {
        let set = Loader(searchPath: [Self.directory]).loadAll()
        #expect(set.order.count == 7)
        for id in set.order {
            let def = try #require(set.workflows[id])
            #expect(GraphRenderer.render(def, format: .dot).hasPrefix("digraph"))
            #expect(GraphRenderer.render(def, format: .mermaid).contains("flowchart LR"))
        }
        let examples = (Self.directory as NSString).appendingPathComponent("examples")
        for file in try FileManager.default.contentsOfDirectory(atPath: examples).sorted() where file.hasSuffix(".csv") {
            let id = set.order.first { file.hasPrefix($0) }
            let def = try #require(id.flatMap { set.workflows[$0] }, "no workflow for \(file)")
            let bytes = try #require(FileManager.default.contents(atPath: (examples as NSString).appendingPathComponent(file)))
            let rows = try CSV.parse(bytes: [UInt8](bytes))
            guard case .success(let converted) = InstanceRows.convert(rows, def: def, file: file) else {
                Issue.record("\(file) does not import")
                continue
            }
            #expect(!converted.isEmpty)
        }
    }
}
