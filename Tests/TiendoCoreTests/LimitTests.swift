import Testing

@testable import TiendoCore

/// Format §8 and §10 "Limits".
@Suite struct LimitTests {
    static let yaml = """
        tiendo: 1
        title: Xếp loại
        fields:
          chi_bo: {type: text}
        group_by: chi_bo
        initial: cho
        states:
          cho:
            on: {tot: tot, xuat-sac: xuat-sac, dac-biet: dac-biet}
          tot:
            on: {nang: xuat-sac}
          xuat-sac:
            on: {ha: tot}
          dac-biet: {final: true}
        limits:
          - state: xuat-sac
            max: 20%
            of: [tot, xuat-sac]
            per: chi_bo
          - state: dac-biet
            max: 2
        """

    /// A set of instances and the engine, with the counter the daemon would use.
    final class World {
        let engine: Engine
        let counter = ListCounter()
        var n = 0
        init() throws { engine = Engine(try Fixtures.workflow("xep-loai", LimitTests.yaml)) }

        @discardableResult
        func add(_ group: String?, event: String? = nil) throws -> Int {
            n += 1
            let data: InstanceData = group.map { ["chi_bo": .text($0)] } ?? [:]
            var (inst, _) = try engine.started("i\(n)", data: data, at: at("2026-01-01T08:00"), counter: counter)
            if let event {
                _ = try engine.send(&inst, event: event, data: [], at: at("2026-01-02T08:00"), actor: nil, counter: counter).get()
            }
            counter.instances.append(inst)
            return counter.instances.count - 1
        }

        func send(_ i: Int, _ event: String) -> Result<[Record], EngineError> {
            var inst = counter.instances[i]
            let r = engine.send(&inst, event: event, data: [], at: at("2026-01-03T08:00"), actor: nil, counter: counter)
            if case .success = r { counter.instances[i] = inst }
            return r
        }
    }

    @Test("20% per group: with 4 in the base after the move the first move is rejected, with 5 it is allowed")
    func percentPerGroup() throws {
        let w = try World()
        for _ in 0..<3 { try w.add("A", event: "tot") }
        let mover = try w.add("A")
        // Base after the move: 3 tot + the mover = 4; ⌊20·4/100⌋ = 0.
        let r = w.send(mover, "xuat-sac")
        guard case .failure(.limitExceeded(let limit, let group, let count, let max, let record)) = r else {
            Issue.record("expected LimitExceeded, got \(r)")
            return
        }
        #expect(limit.contains("xuat-sac") && limit.contains("20%"))
        #expect(group == "A")
        #expect(count == 1)
        #expect(max == 0)
        let rec = try #require(record)
        #expect(rec.kind == .rejected && rec.event == "xuat-sac" && rec.to == "xuat-sac" && rec.group == "A")
        #expect(w.counter.instances[mover].state == "cho")

        try w.add("A", event: "tot")
        // Now 4 tot + the mover = 5: one is allowed.
        #expect(throws: Never.self) { try w.send(mover, "xuat-sac").get() }
        #expect(w.counter.instances[mover].state == "xuat-sac")
        // A second one is not (2 > ⌊20·5/100⌋ = 1): from tot, the base stays 5.
        let second = w.send(0, "nang")
        guard case .failure(.limitExceeded(_, "A", 2, 1, _)) = second else {
            Issue.record("expected LimitExceeded(2 > 1), got \(second)")
            return
        }
    }

    @Test("groups are counted independently; a missing group value is its own group")
    func independentGroups() throws {
        let w = try World()
        for _ in 0..<9 { try w.add("A", event: "tot") }
        try w.add("B", event: "tot")
        let b = try w.add("B")
        guard case .failure(.limitExceeded(_, let group, 1, 0, _)) = w.send(b, "xuat-sac") else {
            Issue.record("group B must be limited on its own")
            return
        }
        #expect(group == "B")
        let a = try w.add("A")
        #expect(throws: Never.self) { try w.send(a, "xuat-sac").get() }  // A: 10 in the base -> 2 allowed
        // No group value: its own group, empty for now.
        let none = try w.add(nil)
        guard case .failure(.limitExceeded(_, "", 1, 0, _)) = w.send(none, "xuat-sac") else {
            Issue.record("a missing group value must form its own group")
            return
        }
    }

    @Test("an integer max counts the instances in the state; per defaults to group_by")
    func countMax() throws {
        let w = try World()
        try w.add("A", event: "dac-biet")
        try w.add("A", event: "dac-biet")
        let third = try w.add("A")
        let r = w.send(third, "dac-biet")
        guard case .failure(.limitExceeded(let limit, let group, let count, let max, _)) = r else {
            Issue.record("expected LimitExceeded, got \(r)")
            return
        }
        #expect(limit.contains("dac-biet"))
        #expect(group == "A")  // 'per' defaults to group_by
        #expect(count == 3 && max == 2)
        let other = try w.add("B")
        #expect(throws: Never.self) { try w.send(other, "dac-biet").get() }
    }

    @Test("limits are checked after data and guards, and apply to starts too")
    func limitsOnStart() throws {
        let def = try Fixtures.workflow(
            "gioi-han",
            """
            tiendo: 1
            title: Giới hạn
            initial: dang-ky
            states:
              dang-ky:
                on: {xong: xong}
              xong: {final: true}
            limits:
              - {state: dang-ky, max: 1}
            """)
        let engine = Engine(def)
        let counter = ListCounter()
        counter.instances.append(try engine.started("a", data: [:], at: at("2026-01-01T08:00"), counter: counter).0)
        let r = engine.start(instanceID: "gioi-han/b", data: [:], at: at("2026-01-01T09:00"), now: at("2026-01-01T09:00"), counter: counter)
        guard case .failure(.limitExceeded(_, let group, 2, 1, _)) = r else {
            Issue.record("expected LimitExceeded on start, got \(r)")
            return
        }
        #expect(group == nil)  // workflow-wide
    }

    /// A store whose counts cannot be read (the daemon's SQL failing, say).
    struct UnreadableCounter: InstanceCounter {
        struct ReadFailed: Error, CustomStringConvertible {
            var description: String { "disk I/O error" }
        }
        func count(workflow: String, states: Set<String>, field: String?, value: Value?) throws -> Int { throw ReadFailed() }
    }

    @Test("a count that cannot be read rejects the event and the start, without a record, instead of counting 0")
    func unreadableCountRejects() throws {
        let w = try World()
        let mover = try w.add("A")
        var inst = w.counter.instances[mover]
        let sent = w.engine.send(&inst, event: "xuat-sac", data: [], at: at("2026-01-03T08:00"), actor: nil, counter: UnreadableCounter())
        guard case .failure(.eventRejected(let id, "xuat-sac", "cho", let reason, nil)) = sent else {
            Issue.record("expected EventRejected without a record, got \(sent)")
            return
        }
        #expect(id == inst.id)
        #expect(reason.contains("không đọc được số hồ sơ") && reason.contains("disk I/O error"))
        #expect(inst.state == "cho")
        // A limit on the initial state is checked at start: the start is refused the same way.
        let yaml = "tiendo: 1\ntitle: Cap\ninitial: a\nstates:\n  a: {final: true}\nlimits:\n  - {state: a, max: 5}\n"
        let capped = Engine(try Fixtures.workflow("cap", yaml))
        let t = at("2026-01-01T08:00")
        let started = capped.start(instanceID: "cap/1", data: [:], at: t, now: t, counter: UnreadableCounter())
        guard case .failure(.eventRejected("cap/1", "start", nil, _, nil)) = started else {
            Issue.record("expected the start to be rejected, got \(started)")
            return
        }
    }
}
