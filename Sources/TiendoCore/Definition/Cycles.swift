/// Names in file order with constant-time membership: `contains` on the array made validation quadratic in the
/// number of states or milestones (every target of 10,000 states was looked up in a list of 10,000).
struct NameList: Sequence {
    private(set) var names: [String] = []
    private var set: Set<String> = []

    init(_ names: [String] = []) {
        self.names = names
        set = Set(names)
    }

    func contains(_ name: String) -> Bool { set.contains(name) }
    var isEmpty: Bool { names.isEmpty }
    func makeIterator() -> IndexingIterator<[String]> { names.makeIterator() }
}

/// Cycles of a directed graph in time linear in its size (Tarjan's strongly connected components, iterative, so a
/// chain of 100,000 `requires` neither recurses 100,000 deep nor searches again from each of its members).
enum Cycles {
    /// One cycle per strongly connected component that has one, through the component's first node in `order`:
    /// the nodes from it along the edges (in their order) back to it. Cycles come in the order of those first nodes;
    /// edges to names outside `order` are ignored.
    static func find(order: [String], edges: [String: [String]]) -> [[String]] {
        var number: [String: Int] = [:]
        for (i, name) in order.enumerated() where number[name] == nil { number[name] = i }
        let adjacency = order.map { (edges[$0] ?? []).compactMap { number[$0] } }
        let component = strongComponents(adjacency)
        var size = [Int](repeating: 0, count: order.count)
        for c in component { size[c] += 1 }
        var reported = Set<Int>()
        var out: [[String]] = []
        for v in order.indices where number[order[v]] == v {
            let c = component[v]
            guard size[c] > 1 || adjacency[v].contains(v), reported.insert(c).inserted else { continue }
            out.append(path(from: v, within: c, adjacency, component).map { order[$0] })
        }
        return out
    }

    /// `a -> b -> c -> a`; a long cycle shows its first and last members and its length.
    static func describe(_ cycle: [String], noun: String) -> String {
        let shown = cycle.count <= 12 ? cycle : Array(cycle.prefix(8)) + ["…"] + Array(cycle.suffix(2))
        let text = (shown + [cycle[0]]).joined(separator: " -> ")
        return cycle.count <= 12 ? text : "\(text) (\(cycle.count) \(noun))"
    }

    /// A depth-first search from `start` through the component, edges in order, until an edge leads back to it.
    private static func path(from start: Int, within c: Int, _ adjacency: [[Int]], _ component: [Int]) -> [Int] {
        var stack: [(node: Int, edge: Int)] = [(start, 0)]
        var visited: Set<Int> = [start]
        while let (v, e) = stack.last {
            guard e < adjacency[v].count else {
                stack.removeLast()
                continue
            }
            stack[stack.count - 1].edge = e + 1
            let w = adjacency[v][e]
            if w == start { return stack.map(\.node) }
            if component[w] == c, visited.insert(w).inserted { stack.append((w, 0)) }
        }
        return [start]  // unreachable for a component with a cycle
    }

    /// The strongly connected component of each node.
    private static func strongComponents(_ adjacency: [[Int]]) -> [Int] {
        let n = adjacency.count
        var index = [Int](repeating: -1, count: n)
        var low = [Int](repeating: 0, count: n)
        var onStack = [Bool](repeating: false, count: n)
        var component = [Int](repeating: -1, count: n)
        var stack: [Int] = []
        var work: [(node: Int, edge: Int)] = []
        var next = 0
        var components = 0
        func visit(_ v: Int) {
            index[v] = next
            low[v] = next
            next += 1
            stack.append(v)
            onStack[v] = true
            work.append((v, 0))
        }
        for root in 0..<n where index[root] < 0 {
            visit(root)
            while let (v, e) = work.last {
                if e < adjacency[v].count {
                    work[work.count - 1].edge = e + 1
                    let w = adjacency[v][e]
                    if index[w] < 0 {
                        visit(w)
                    } else if onStack[w] {
                        low[v] = min(low[v], index[w])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last?.node { low[parent] = min(low[parent], low[v]) }
                guard low[v] == index[v] else { continue }
                while let w = stack.popLast() {
                    onStack[w] = false
                    component[w] = components
                    if w == v { break }
                }
                components += 1
            }
        }
        return component
    }
}
