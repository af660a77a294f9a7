import Synchronization

/// An instance's deadlines in force and timed transitions, computed from its stored fields and kept with it
/// (`Instance.schedule`) until one of them changes: a step then does no date arithmetic, no parsing and no string
/// building. With more than a few deadlines in force, those with something due are found through two heaps instead
/// of a scan, so a plan or a simulation over n milestones takes n·log n. The engine keeps it in step with its own
/// changes (a notice handled, an occurrence opened or completed) and rebuilds it after the others (a state entered,
/// data, a reload); a change made from outside bumps `Instance.revision`, which makes it stale.
///
/// A value (its arrays copy on write) in a `ScheduleBox`, which the engine changes in place (`Engine.modifying`),
/// and leaves consistent (heap tops valid), so reading never writes.
struct Schedule: Sendable {
    // Fields in the order a step reads them: they share cache lines.
    let program: Program
    /// The `Instance.revision` it was computed for.
    var revision: UInt64
    let mode: AdvanceMode
    /// Beyond `Schedule.scanLimit` entries: open entries in `touch` by the first instant one of their notices is
    /// handled (emitted, or dropped by rule 7), and in `wake` by the first instant worth waking up for.
    var indexed = false
    /// Marks name suppressed reminders (after a calendar change): only then is each reminder checked.
    var hasSuppressed = false
    /// The earliest notice worth waking up for, and the earliest opening of an occurrence (as of `settle`).
    var nextNotice: Instant?
    var nextOpeningAt: Instant?
    /// The current state, when the definition has it.
    var state: ProgramState?
    /// The current state's `after` rules whose instant evaluates, by (instant, position in the list).
    var transitions: [(time: Instant, rule: Int, provisional: Bool)] = []
    /// Deadlines in force; a closed one (a milestone or occurrence done) stays until the next rebuild.
    var entries: [DeadlineSlot] = []
    /// `program.group(of: data)`.
    var group: String?
    /// Recurring milestones (program index) by the instant their next occurrence opens.
    var openings = InstantHeap()
    var touch = InstantHeap()
    var wake = InstantHeap()
    /// Per recurring milestone (program index): when its next occurrence opens (`Int64.max`: never).
    var nextOpening: [Int: Int64] = [:]
    /// Per recurring milestone (program index): its open occurrences' entries, oldest first.
    var occurrences: [Int: [Int]] = [:]
    /// Per one-shot milestone in force (program index): its entry.
    var oneShot: [Int: Int] = [:]
    /// Reused for the entries due in one step (`takeDue`).
    var due: [Int32] = []

    /// Up to this many entries, scanning them is cheaper than keeping heaps.
    static let scanLimit = 8

    init(program: Program, mode: AdvanceMode, revision: UInt64) {
        self.program = program
        self.mode = mode
        self.revision = revision
    }

    var inFinal: Bool { state?.isFinal == true }

    /// Adds a deadline with its mark, with its keys.
    @discardableResult
    mutating func add(_ deadline: ScheduledDeadline, mark: Instant?) -> Int {
        entries.append(DeadlineSlot(deadline: deadline, mark: mark))
        let i = entries.count - 1
        if !indexed, entries.count > Schedule.scanLimit {
            indexed = true
            for j in 0..<i where entries[j].open {
                if entries[j].touchKey != .max { touch.push(entries[j].touchKey, Int32(j)) }
                if entries[j].wakeKey != .max { wake.push(entries[j].wakeKey, Int32(j)) }
            }
        }
        rekey(i)
        return i
    }

    /// Recomputes an entry's keys after its mark or its `dropFrom` changed (queueing it again where a key moved).
    mutating func rekey(_ i: Int) {
        let e = entries[i]
        let (t, w) = e.open ? e.deadline.keys(mark: e.mark, dropFrom: e.dropFrom, program, mode) : (.max, .max)
        if indexed {
            if t != e.touchKey, t != .max { touch.push(t, Int32(i)) }
            if w != e.wakeKey, w != .max { wake.push(w, Int32(i)) }
        }
        entries[i].touchKey = t
        entries[i].wakeKey = w
    }

    mutating func close(_ i: Int) {
        entries[i].open = false
        entries[i].touchKey = .max
        entries[i].wakeKey = .max
    }

    /// The open entries with a notice to handle at or before `bound` (their touch key set aside), into `due`.
    mutating func takeDue(through bound: Int64) {
        due.removeAll(keepingCapacity: true)
        if indexed {
            while let (k, i) = touch.top, k <= bound {
                touch.pop()
                guard entries[Int(i)].open, entries[Int(i)].touchKey == k else { continue }
                entries[Int(i)].touchKey = .max
                due.append(i)
            }
        } else {
            for i in entries.indices where entries[i].touchKey <= bound {
                entries[i].touchKey = .max
                due.append(Int32(i))
            }
        }
    }

    /// Whether some open entry has a notice to handle at or before `bound`.
    func hasDue(through bound: Int64) -> Bool {
        if indexed { return touch.top.map { $0.0 <= bound } ?? false }
        return entries.contains { $0.touchKey <= bound }
    }

    /// Drops stale heap tops, so that the next read finds a valid one without writing, and notes the earliest
    /// notice worth waking up for and the earliest opening.
    mutating func settle() {
        if indexed {
            while let (k, i) = touch.top, !entries[Int(i)].open || entries[Int(i)].touchKey != k { touch.pop() }
            while let (k, i) = wake.top, !entries[Int(i)].open || entries[Int(i)].wakeKey != k { wake.pop() }
            nextNotice = wake.top.map { Instant(seconds: $0.0) }
        } else {
            let w = entries.reduce(Int64.max) { min($0, $1.wakeKey) }
            nextNotice = w == .max ? nil : Instant(seconds: w)
        }
        while let (k, m) = openings.top, nextOpening[Int(m)] != k { openings.pop() }
        nextOpeningAt = openings.top.map { Instant(seconds: $0.0) }
    }

    /// Rule 7: for each open occurrence of a milestone, the instant from which a later one is open and past its
    /// deadline instant; re-keys the occurrences whose instant changed.
    mutating func updateDrops(_ milestone: Int) {
        guard let list = occurrences[milestone] else { return }
        var later: Instant?
        for i in list.reversed() {
            if entries[i].dropFrom != later {
                entries[i].dropFrom = later
                rekey(i)
            }
            let overdueFrom = max(entries[i].deadline.activation, entries[i].deadline.end)
            later = min(later ?? overdueFrom, overdueFrom)
        }
    }

    /// Open deadlines in order: the state's, then milestones in file order, occurrences oldest first.
    var ordered: [ScheduledDeadline] {
        entries.filter(\.open).map(\.deadline).sorted { $0.position < $1.position }
    }
}

/// A deadline in force and what changes as its notices are handled.
struct DeadlineSlot {
    let deadline: ScheduledDeadline
    /// The instant of the last notice handled (`Instance.marks`).
    var mark: Instant?
    /// Rule 7: from this instant a later occurrence of the milestone is open and overdue.
    var dropFrom: Instant?
    var open = true
    var touchKey = Int64.max
    var wakeKey = Int64.max

    init(deadline: ScheduledDeadline, mark: Instant?) {
        self.deadline = deadline
        self.mark = mark
    }
}

/// Holds an instance's schedule: copies of the instance share it; the engine changes it in place only when its
/// instance holds the only reference (`isKnownUniquelyReferenced`), and takes a copy of the schedule otherwise —
/// copy-on-write by hand, as arrays do it. The value sits in a `Mutex` so that the compiler checks what that
/// discipline guarantees: a step takes the lock once to read whether the schedule is current and once to change it
/// (uncontended, two atomic operations on a line the step touches anyway).
final class ScheduleBox: Sendable {
    private let value: Mutex<Schedule>
    init(_ value: consuming sending Schedule) { self.value = Mutex(value) }

    /// Changes the schedule in place: one exclusive access for the whole change.
    func modify<T: Sendable>(_ body: (inout Schedule) -> T) -> T { value.withLock { body(&$0) } }

    /// Reads the schedule under the lock.
    func read<T: Sendable>(_ body: (borrowing Schedule) -> T) -> T { value.withLock { body($0) } }

    /// A copy of the schedule (for a box of its own).
    var copy: Schedule { value.withLock { $0 } }
}

/// A binary min-heap of (instant in seconds, id), ties by id. Entries go stale instead of being removed: readers
/// compare the key with the current one.
struct InstantHeap {
    private(set) var keys: [Int64] = []
    private(set) var ids: [Int32] = []

    var top: (Int64, Int32)? { keys.isEmpty ? nil : (keys[0], ids[0]) }

    private func less(_ a: Int, _ b: Int) -> Bool { (keys[a], ids[a]) < (keys[b], ids[b]) }

    mutating func push(_ key: Int64, _ id: Int32) {
        keys.append(key)
        ids.append(id)
        var c = keys.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            guard less(c, p) else { break }
            keys.swapAt(p, c)
            ids.swapAt(p, c)
            c = p
        }
    }

    mutating func pop() {
        guard !keys.isEmpty else { return }
        keys.swapAt(0, keys.count - 1)
        ids.swapAt(0, ids.count - 1)
        keys.removeLast()
        ids.removeLast()
        var p = 0
        while true {
            let l = 2 * p + 1
            let r = l + 1
            var m = p
            if l < keys.count, less(l, m) { m = l }
            if r < keys.count, less(r, m) { m = r }
            if m == p { break }
            keys.swapAt(p, m)
            ids.swapAt(p, m)
            p = m
        }
    }
}
