/// An operator event for `simulate`: `{"at","instance","event","data"?}` or `{"at","instance","milestone"}`.
public struct SimulatedEvent: Sendable {
    public var at: Instant
    public var instance: String
    public var event: String
    public var data: [(String, JSON)]
    public var line: Int

    /// Parses JSON Lines; every bad line is reported as `FILE:LINE: …`.
    public static func parse(jsonLines text: String, file: String, zone: Zone) -> Result<[SimulatedEvent], DiagnosticList> {
        var out: [SimulatedEvent] = []
        var problems: [Diagnostic] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw).trimmingCharactersInSet("\r").trimmingCharactersInSet(" ")
            if line.isEmpty { continue }
            func bad(_ m: String) { problems.append(Diagnostic(file: file, line: i + 1, column: 1, severity: .error, message: m)) }
            let json: JSON
            do throws(JSON.ParseError) { json = try JSON.parse(line) } catch {
                bad(error.description)
                continue
            }
            guard let atText = json["at"]?.stringValue, let at = zone.parseInstant(atText) else {
                bad("thiếu hoặc sai 'at' (thời điểm ISO 8601)")
                continue
            }
            guard let inst = json["instance"]?.stringValue else {
                bad("thiếu 'instance'")
                continue
            }
            if let m = json["milestone"]?.stringValue {
                out.append(SimulatedEvent(at: at, instance: inst, event: "done", data: [("milestone", .string(m))], line: i + 1))
            } else if let e = json["event"]?.stringValue {
                var data: [(String, JSON)] = []
                if let d = json["data"] {
                    guard let o = d.objectValue else {
                        bad("'data' phải là một đối tượng JSON")
                        continue
                    }
                    data = o
                }
                out.append(SimulatedEvent(at: at, instance: inst, event: e, data: data, line: i + 1))
            } else {
                bad("cần 'event' hoặc 'milestone'")
            }
        }
        return problems.isEmpty ? .success(out) : .failure(DiagnosticList(items: problems))
    }
}

/// Runs the real engine on a virtual clock over a set of instances and events (`tiendoctl simulate`).
/// The virtual clock jumps from one due instant to the next, so nothing is late unless an instance's `started` is
/// before `--from` (its `started` record and the notices it catches up then carry `late`).
public final class Simulator: InstanceCounter {
    public struct Planned: Sendable {
        public var workflow: WorkflowDefinition
        public var key: String
        public var started: Instant
        public var data: InstanceData
        public init(workflow: WorkflowDefinition, key: String, started: Instant, data: InstanceData) {
            self.workflow = workflow
            self.key = key
            self.started = started
            self.data = data
        }
    }

    var engines: [String: Engine] = [:]
    var instances: [Instance] = []
    var index: [String: Int] = [:]
    var heap = WakeupHeap()

    public init() {}

    public func count(workflow: String, states: Set<String>, field: String?, value: Value?) -> Int {
        instances.reduce(0) { n, i in
            guard i.workflow == workflow, let s = i.state, states.contains(s) else { return n }
            if let field, i.data[field] != value { return n }
            return n + 1
        }
    }

    /// Runs from `from` to `until` (inclusive) and returns every record in order, plus problems with events
    /// (rejections are records; unknown instances are reported as diagnostics).
    public func run(from: Instant, until: Instant, planned: [Planned], events: [SimulatedEvent]) -> (records: [Record], problems: [String])
    {
        var records: [Record] = []
        var problems: [String] = []
        let starts = planned.enumerated().sorted { ($0.element.started, $0.offset) < ($1.element.started, $1.offset) }.map(\.element)
        let evs = events.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        var si = 0
        var ei = 0
        var clock = from
        while true {
            var next = Instant.distantFuture
            if si < starts.count { next = min(next, max(starts[si].started, from)) }
            if ei < evs.count { next = min(next, max(evs[ei].at, from)) }
            if let (t, _) = heap.peek() { next = min(next, max(t, clock)) }
            guard next <= until else { break }
            clock = next
            // Starts due now.
            while si < starts.count, max(starts[si].started, from) <= clock {
                let p = starts[si]
                si += 1
                let engine = engines[p.workflow.id] ?? Engine(p.workflow)
                engines[p.workflow.id] = engine
                let id = "\(p.workflow.id)/\(p.key)"
                if index[id] != nil {
                    problems.append("\(id): hồ sơ đã tồn tại")
                    continue
                }
                switch engine.start(instanceID: id, data: p.data, at: p.started, now: clock, counter: self) {
                case .success(let (inst, rs)):
                    index[id] = instances.count
                    instances.append(inst)
                    records += rs
                    schedule(instances.count - 1)
                case .failure(let e):
                    problems.append("\(id): \(e)")
                }
            }
            // Timers due now.
            while let (t, i) = heap.peek(), t <= clock {
                heap.pop()
                guard heap.isCurrent(i, t) else { continue }
                let engine = engines[instances[i].workflow]!
                records += engine.advance(&instances[i], to: clock)
                schedule(i)
            }
            // Events due now, in file order.
            while ei < evs.count, max(evs[ei].at, from) <= clock {
                let e = evs[ei]
                ei += 1
                guard let i = index[e.instance] else {
                    problems.append("\(e.line): không có hồ sơ '\(e.instance)'")
                    continue
                }
                let engine = engines[instances[i].workflow]!
                // Work on a copy: counting for limits reads `instances` while the event is applied. The copy takes
                // the schedule along, so that it changes in place.
                var inst = instances[i]
                instances[i].schedule = nil
                let outcome = engine.send(&inst, event: e.event, data: e.data, at: clock, actor: nil, counter: self)
                instances[i] = inst
                switch outcome {
                case .success(let rs): records += rs
                case .failure(let err):
                    if let r = err.record { records.append(r) } else { problems.append("\(e.line): \(err)") }
                }
                schedule(i)
            }
        }
        return (records, problems)
    }

    func schedule(_ i: Int) {
        let engine = engines[instances[i].workflow]!
        heap.set(i, engine.nextWakeup(instances[i]))
    }

    public var finalInstances: [Instance] { instances }
}

/// A min-heap of (instant, instance index) with lazy invalidation: each instance has one current entry.
struct WakeupHeap {
    private var items: [(Instant, Int)] = []
    private var current: [Int: Instant] = [:]

    mutating func set(_ i: Int, _ t: Instant?) {
        current[i] = t
        guard let t else { return }
        items.append((t, i))
        var c = items.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            if (items[p].0, items[p].1) <= (items[c].0, items[c].1) { break }
            items.swapAt(p, c)
            c = p
        }
    }

    func isCurrent(_ i: Int, _ t: Instant) -> Bool { current[i] == t }

    func peek() -> (Instant, Int)? { items.first }

    mutating func pop() {
        guard !items.isEmpty else { return }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var p = 0
        while true {
            let l = 2 * p + 1
            let r = l + 1
            var m = p
            if l < items.count, (items[l].0, items[l].1) < (items[m].0, items[m].1) { m = l }
            if r < items.count, (items[r].0, items[r].1) < (items[m].0, items[m].1) { m = r }
            if m == p { break }
            items.swapAt(p, m)
            p = m
        }
    }
}
