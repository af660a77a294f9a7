import Testing

@testable import TiendoCore

/// `deadline.title` (extension, README): a state that waits names the task its deadline is for, wherever the
/// deadline is read; the state keeps its own title everywhere else.
@Suite struct DeadlineTitleTests {
    static let yaml = """
        tiendo: 1
        title: Xét
        initial: cho-xet
        states:
          cho-xet:
            title: Chờ chi bộ xét
            deadline:
              title: Chi bộ họp xét, biểu quyết
              due: entered + 10d
              remind: [3d]
            on: {xong: da-xet}
          da-xet: {title: Đã xét, final: true}
        """

    @Test("reminders, overdue notices and open deadlines name the task; transitions and the state keep the state's title")
    func taskTitle() throws {
        let def = try Fixtures.workflow("xet", Self.yaml)
        #expect(def.state("cho-xet")?.taskTitle == "Chi bộ họp xét, biểu quyết")
        #expect(def.state("cho-xet")?.displayTitle == "Chờ chi bộ xét")
        #expect(def.state("da-xet")?.taskTitle == "Đã xét")
        let engine = Engine(def)
        var (inst, _) = try engine.started("a", data: [:], at: at("2026-03-02T09:00"))
        #expect(engine.openDeadlines(inst).map(\.title) == ["Chi bộ họp xét, biểu quyết"])
        let notices = engine.advance(&inst, to: at("2026-03-09T09:00")) + engine.advance(&inst, to: at("2026-03-13T09:00"))
        #expect(
            notices.map(\.message) == [
                "Còn 3 ngày đến hạn «Chi bộ họp xét, biểu quyết» (xet/a), hạn chót 12/03/2026",
                "Quá hạn 1 ngày: «Chi bộ họp xét, biểu quyết» (xet/a), hạn chót 12/03/2026",
            ])
        // The graph names it too.
        #expect(GraphRenderer.mermaid(def).contains("Chờ chi bộ xét<br/>(cho-xet)<br/>hạn «Chi bộ họp xét, biểu quyết»: entered + 10d"))
        #expect(GraphRenderer.dot(def).contains("hạn «Chi bộ họp xét, biểu quyết»: entered + 10d"))
        let moved = try engine.send(&inst, event: "xong", data: [], at: at("2026-03-13T10:00"), actor: nil, counter: nil).get()
        #expect(moved.first { $0.kind == .transition }?.message == "Hồ sơ xet/a chuyển từ «Chờ chi bộ xét» sang «Đã xét» (sự kiện «xong»)")
    }
}
