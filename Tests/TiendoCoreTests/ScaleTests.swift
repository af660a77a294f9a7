import Testing

@testable import TiendoCore

/// Plan and simulate take n·log n in the number of milestones: a notice no longer rescans every deadline (3,000
/// milestones with three reminders each took 20 s to plan, 20,000 took 150 s). The time limit is a hang guard for a
/// return to quadratic work, not a benchmark; the counts check that nothing was skipped to get there.
@Suite(.timeLimit(.minutes(1))) struct ScaleTests {
    static let count = 20_000

    /// `count` milestones due 10 to 609 days after the start, three reminders and one overdue notice each.
    static let yaml: String = {
        var lines = ["tiendo: 1", "title: Nhiều mốc", "reminders: {at: \"08:00\", before: [7d, 3d, 1d]}", "milestones:"]
        for i in 0..<count {
            lines.append("  m\(i): {title: Mốc \(i), due: started + \(10 + i % 600)d, overdue: {repeat: never}}")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    static let definition: WorkflowDefinition = {
        let (def, diags) = Fixtures.load("nhieu-moc", yaml)
        precondition(def != nil, "\(diags.prefix(3))")
        return def!
    }()

    @Test("plan of 20,000 milestones: every reminder and first overdue notice of each, in order")
    func plan() throws {
        let start = at("2027-01-04T09:00")
        let records = Planner.plan(Self.definition, data: [:], start: start, until: day("2028-12-31"))
        #expect(records.count == 1 + 4 * Self.count)
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.at <= $1.at })
        let byKind = Dictionary(grouping: records, by: \.kind).mapValues(\.count)
        #expect(byKind[.reminder] == 3 * Self.count)
        #expect(byKind[.overdue] == Self.count)
        // The last milestones' notices: due 609 days after the start.
        let last = records.filter { $0.milestone == "m599" }
        #expect(last.map(\.atText).suffix(1) == ["2028-09-05T08:00:00+07:00"])
    }

    @Test("simulate of 20,000 milestones with half of them done on the way: notices stop for those only")
    func simulate() throws {
        let start = at("2027-01-04T09:00")
        var events: [SimulatedEvent] = []
        for i in stride(from: 0, to: Self.count, by: 2) {
            // Done the day after its first reminder (7 days before the due): its 3d and 1d reminders never come.
            let t = start.adding(seconds: Int64(10 + i % 600 - 6) * 86_400)
            events.append(SimulatedEvent(at: t, instance: "nhieu-moc/a", event: "done", data: [("milestone", .string("m\(i)"))], line: i))
        }
        let (records, problems) = Simulator().run(
            from: start, until: at("2028-12-31T23:59"),
            planned: [Simulator.Planned(workflow: Self.definition, key: "a", started: start, data: [:])], events: events)
        #expect(problems.isEmpty)
        let done = records.filter { $0.kind == .milestoneDone }
        #expect(done.count == Self.count / 2)
        let reminders = records.filter { $0.kind == .reminder }
        // Open milestones: three reminders; done ones: the first only.
        #expect(reminders.count == 3 * Self.count / 2 + Self.count / 2)
        // One overdue notice for each open milestone; none for the done ones.
        let overdue = records.filter { $0.kind == .overdue }
        #expect(overdue.count == Self.count / 2)
        #expect(!overdue.contains { Int($0.milestone!.dropFirst())! % 2 == 0 })
        #expect(records.contains { $0.kind == .completed } == false)
    }
}
