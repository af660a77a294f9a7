/// Notices waiting to be emitted in one advance, with their deadline's order: a deadline's records are emitted
/// together, in declaration order, when the state is left or the advance ends. Live, a later handling of the same
/// deadline replaces what it had waiting (only the latest notice is sent). Usually one record, already in order: it
/// is handed over without being copied, and its order is kept without an array of its own.
struct PendingRecords {
    struct Order: Hashable, Comparable {
        var line: Int
        var index: Int
        static func < (a: Order, b: Order) -> Bool { (a.line, a.index) < (b.line, b.index) }
    }
    struct Item {
        var order: Order
        var isState: Bool
        var alive: Bool
    }
    private var records: [Record] = []
    /// Item 0, then the others.
    private var first = Item(order: Order(line: 0, index: 0), isState: false, alive: false)
    private var more: [Item] = []
    private var alive = 0
    /// Items by order, once there are too many to scan (a catch-up over many deadlines).
    private var byOrder: [Order: [Int]]?

    var count: Int { records.count }

    private subscript(i: Int) -> Item {
        get { i == 0 ? first : more[i - 1] }
        set {
            if i == 0 { first = newValue } else { more[i - 1] = newValue }
        }
    }

    @inline(__always)
    mutating func append(_ order: (Int, Int), isState: Bool, _ r: consuming Record) {
        let item = Item(order: Order(line: order.0, index: order.1), isState: isState, alive: true)
        records.append(r)
        if records.count == 1 { first = item } else { more.append(item) }
        alive += 1
        let i = records.count - 1
        if byOrder != nil {
            byOrder![item.order, default: []].append(i)
        } else if records.count > 32 {
            var index: [Order: [Int]] = [:]
            for j in 0..<records.count where self[j].alive { index[self[j].order, default: []].append(j) }
            byOrder = index
        }
    }

    /// Drops what the deadline of `order` had waiting before `start` (the index its new records start at).
    mutating func supersede(_ order: (Int, Int), before start: Int) {
        guard start > 0 else { return }
        let o = Order(line: order.0, index: order.1)
        if let list = byOrder?[o] {
            for i in list where i < start && self[i].alive { kill(i) }
            byOrder![o] = list.filter { $0 >= start }
        } else if byOrder == nil {
            for i in 0..<start where self[i].alive && self[i].order == o { kill(i) }
        }
    }

    private mutating func kill(_ i: Int) {
        self[i].alive = false
        alive -= 1
    }

    /// Moves the waiting records (of the state's deadline only, or all) to `out`, by deadline order.
    mutating func flush(stateOnly: Bool, into out: inout [Record]) {
        guard alive > 0 else { return }
        let n = records.count
        if !stateOnly, alive == n, (1..<max(n, 1)).allSatisfy({ self[$0 - 1].order <= self[$0].order }) {
            // All of them, in order: hand the array over.
            if out.isEmpty { out = records } else { out.append(contentsOf: records) }
            records = []
            reset()
            return
        }
        let chosen = (0..<n).filter { self[$0].alive && (!stateOnly || self[$0].isState) }
        guard !chosen.isEmpty else { return }
        out.reserveCapacity(out.count + chosen.count)
        for i in chosen.sorted(by: { (self[$0].order, $0) < (self[$1].order, $1) }) { out.append(records[i]) }
        for i in chosen { kill(i) }
        if alive == 0 { reset() }
    }

    private mutating func reset() {
        records.removeAll(keepingCapacity: true)
        more.removeAll(keepingCapacity: true)
        alive = 0
        byOrder = nil
    }
}
