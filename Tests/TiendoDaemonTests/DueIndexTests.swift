import Foundation
import GRDB
import Testing
import TiendoCore

@testable import TiendoStore

/// The due items in memory (`DueIndex`, `LiveDueIndex`) against a plain model and against `due_items` itself.
@Suite("store: the due items in memory")
struct DueIndexTests {
    /// SplitMix64: the same cases on every run.
    struct Random {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
    }

    /// Names where byte order and Swift's order disagree: precomposed and decomposed forms, a prefix, non-ASCII.
    static let nfc = "Đảng ủy Phường 3".precomposedStringWithCanonicalMapping
    static let names = ["a", "ab", "b", "B", "z-9", nfc, nfc.decomposedStringWithCanonicalMapping, "Đảng", "ý", "dv-10", "dv-9"]

    static func row(_ r: inout Random, instance: String, deadline: String) -> DueRow {
        let group: String? = r.next(4) == 0 ? nil : names[r.next(names.count)]
        let occurrence: String? = r.next(3) == 0 ? "2026-\(10 + r.next(3))" : nil
        return DueRow(
            instance: instance, deadline: deadline, workflow: ["dang-vien-du-bi", "the-dang-vien", "xa"][r.next(3)], group: group,
            state: r.next(5) == 0 ? nil : "cho-\(r.next(3))", milestone: r.next(2) == 0 ? nil : "moc-\(r.next(4))", occurrence: occurrence,
            title: ["Xét công nhận \"chính thức\"", "Nộp hồ sơ\\bản sao", "Họp chi bộ\ttháng"][r.next(3)],
            due: r.next(2) == 0 ? "2026-12-0\(1 + r.next(9))" : "2026-12-0\(1 + r.next(9))T17:00:00+07:00",
            dueEnd: Instant(seconds: Int64(1_800_000_000 + r.next(40) * 3600)), provisional: r.next(7) == 0)
    }

    /// The model's order: due end, then instance and deadline byte by byte.
    static func sorted(_ rows: [DueRow]) -> [DueRow] {
        rows.sorted {
            if $0.dueEnd != $1.dueEnd { return $0.dueEnd < $1.dueEnd }
            if !$0.instance.utf8.elementsEqual($1.instance.utf8) { return $0.instance.utf8.lexicographicallyPrecedes($1.instance.utf8) }
            return $0.deadline.utf8.lexicographicallyPrecedes($1.deadline.utf8)
        }
    }

    static func key(_ d: DueRow) -> [UInt8] {
        Array("\(d.dueEnd.seconds)|".utf8) + Array(d.instance.utf8) + [0] + Array(d.deadline.utf8)
    }

    @Test("inserts, replacements and removals keep every item, in byte order, through chunk splits and compaction")
    func againstModel() {
        var r = Random(state: 14)
        var index = DueIndex()
        var interner = Interner()
        var model: [[UInt8]: DueRow] = [:]
        for step in 0..<12_000 {
            let instance = "\(Self.names[r.next(Self.names.count)])/\(r.next(200))"
            let deadline = ["", "moc-1", "moc-1@2026-11", "moc-2", "Đ"][r.next(5)]
            var row = Self.row(&r, instance: instance, deadline: deadline)
            // Grow to about 4,000 items (four chunks and more), then shrink to a few hundred, then grow again.
            let removing = (step / 4_000) % 2 == 1 ? r.next(10) < 8 : r.next(10) < 2
            if removing, let victim = model.values.first(where: { _ in r.next(4) == 0 }) ?? model.values.first {
                let removed = index.remove(dueEnd: victim.dueEnd.seconds, instance: victim.instance, deadline: victim.deadline)
                model[Self.key(victim)] = nil
                let again = index.remove(dueEnd: victim.dueEnd.seconds, instance: victim.instance, deadline: victim.deadline)
                #expect(removed && !again)
            } else {
                if r.next(5) == 0, let existing = model.values.first {
                    // The same item with other fields: replaced, not added.
                    row.instance = existing.instance
                    row.deadline = existing.deadline
                    row.dueEnd = existing.dueEnd
                }
                index.insert(row, interner: &interner)
                model[Self.key(row)] = row
            }
            if step % 1_000 == 999 {
                #expect(index.isWellFormed())
                #expect(Bool(index.rows() == Self.sorted(Array(model.values))))
            }
        }
        #expect(index.count == model.count)
        #expect(index.chunks.count > 1, "the test must split chunks")
    }

    @Test("groups of 2 KB split chunks by their bytes, and every item keeps its own group")
    func largeGroups() {
        var index = DueIndex()
        var interner = Interner()
        var rows: [DueRow] = []
        for i in 0..<1_500 {
            let row = DueRow(
                instance: "hop/w\(i)", deadline: "", workflow: "hop", group: String(repeating: "đ", count: 1_000) + "\(i)", state: "mo",
                milestone: nil, title: "Hạn", due: "2026-03-20", dueEnd: Instant(seconds: 1_800_000_000))
            rows.append(row)
            index.insert(row, interner: &interner)
        }
        #expect(index.isWellFormed())
        #expect(Bool(index.rows() == Self.sorted(rows)))
        #expect(
            index.chunks.allSatisfy { $0.liveText <= DueIndex.maxChunkText + 2_100 && $0.text.count <= 2 * DueIndex.maxChunkText + 4_200 })
        #expect(index.atoms.count < 10, "groups are not atoms")
    }

    @Test("forEach stops at the due end asked for; atoms give JSON text and the due's day")
    func walk() throws {
        var r = Random(state: 3)
        var index = DueIndex()
        var interner = Interner()
        var rows: [DueRow] = []
        for i in 0..<3_000 {
            let row = Self.row(&r, instance: "x/\(i)", deadline: "")
            rows.append(row)
            index.insert(row, interner: &interner)
        }
        let until = Int64(1_800_000_000 + 20 * 3600)
        var seen: [DueRow] = []
        index.atoms.withBuffers { atoms in
            index.forEach(until: until) { e, id, group in
                let title = String(decoding: atoms.json(e.title), as: UTF8.self)
                #expect(title == JSON.string(index.atoms.text(e.title) ?? "").serialized())
                #expect(atoms.day(e.due) == CivilDate.parse((index.atoms.text(e.due) ?? "").prefix(10))?.dayNumber)
                #expect(
                    String(decoding: atoms.json(e.state), as: UTF8.self)
                        == (index.atoms.text(e.state).map { JSON.string($0) } ?? .null).serialized())
                seen.append(
                    DueRow(
                        instance: String(decoding: id, as: UTF8.self), deadline: "", workflow: "",
                        group: group.map { String(decoding: $0, as: UTF8.self) }, state: nil, milestone: nil,
                        title: "", due: "", dueEnd: Instant(seconds: e.dueEnd)))
                return true
            }
        }
        let expected = Self.sorted(rows).filter { $0.dueEnd.seconds <= until }
        #expect(Bool(seen.map(\.instance) == expected.map(\.instance)) && !expected.isEmpty)
        #expect(Bool(seen.map(\.group) == expected.map(\.group)))
    }

    /// A change of `instance` to `items` (each "deadline:hour" due at hour `h` after a fixed instant).
    static func change(_ instance: String, _ items: [(String, Int)]) -> InstanceChange {
        let t = Instant(seconds: 1_804_438_800)
        let inst = Instance(
            id: instance, workflow: "w", data: [:], state: "mo", startedAt: t, enteredAt: t, digest: "d", marks: [:], checkedAt: t,
            series: [:])
        let rows = items.map { deadline, hour in
            DueRow(
                instance: instance, deadline: deadline, workflow: "w", group: "Chi bộ \(instance.count % 3)", state: "mo", milestone: nil,
                title: "Hạn \(deadline)", due: "2027-03-0\(1 + hour % 9)", dueEnd: t.adding(seconds: Int64(hour) * 3600))
        }
        return InstanceChange(
            instance: inst, group: "Chi bộ \(instance.count % 3)", nextWakeup: nil, dueItems: rows, stale: false, dataJSON: "{}")
    }

    static func tableRows(_ store: Store) throws -> [DueRow] {
        try store.snapshot { try $0.dueItems(until: Instant(seconds: .max), workflow: nil, group: nil, limit: 1_000_000) }
    }

    struct Refused: Error {}

    @Test("every commit keeps the index equal to due_items; a request undone by its savepoint, or a failed transaction, leaves it alone")
    func inStepWithCommits() throws {
        let dir = try makeTemporaryDirectory("due-index")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite", dueIndex: true)
        var r = Random(state: 7)
        func randomItems() -> [(String, Int)] { ["", "a", "b@1", "c"].filter { _ in r.next(2) == 0 }.map { ($0, r.next(30)) } }
        // Before the build: commits go on, the index is not there.
        try store.write { tx in try tx.commit(changes: (0..<50).map { Self.change("w/\($0)", randomItems()) }, records: []) }
        #expect(store.dueIndex?.snapshot(workflow: nil, group: nil) == nil)
        #expect(try store.buildDueIndex() == (try Self.tableRows(store)).count)
        #expect(try store.buildDueIndex() == nil, "built once")
        for round in 0..<60 {
            let changes = (0..<1 + r.next(6)).map { _ in Self.change("w/\(r.next(70))", randomItems()) }
            switch round % 3 {
            case 0:
                try store.write { tx in try tx.commit(changes: changes, records: []) }
            case 1:
                // A group: the second request fails inside its savepoint, after its due items were written.
                try store.write(savepoints: true) { tx in
                    try tx.commit(changes: Array(changes.prefix(1)), records: [])
                    #expect(throws: Refused.self) {
                        try tx.write { _ in
                            try tx.commit(changes: Array(changes.dropFirst()), records: [])
                            throw Refused()
                        }
                    }
                }
            default:
                // The whole transaction fails: nothing of it reaches the index.
                #expect(throws: Refused.self) {
                    try store.write { tx in
                        try tx.commit(changes: changes, records: [])
                        throw Refused()
                    }
                }
            }
            let (index, _) = try #require(store.dueIndex?.snapshot(workflow: nil, group: nil))
            #expect(index.isWellFormed())
            #expect(Bool(index.rows() == (try Self.tableRows(store))), "round \(round)")
        }
    }

    @Test("commits made while the build reads, before and after its snapshot, are replayed onto what it read")
    func buildReplaysCommits() throws {
        let dir = try makeTemporaryDirectory("due-index-build")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite", dueIndex: true)
        let live = try #require(store.dueIndex)
        try store.write { tx in try tx.commit(changes: (0..<20).map { Self.change("w/\($0)", [("", $0), ("a", 40 - $0)]) }, records: []) }
        #expect(live.beginBuild())
        #expect(!live.beginBuild())
        // Seen by the build's read and replayed: w/1 moves twice, w/2 closes its items.
        try store.write { tx in try tx.commit(changes: [Self.change("w/1", [("", 5)]), Self.change("w/2", [])], records: []) }
        try store.write { tx in try tx.commit(changes: [Self.change("w/1", [("", 6), ("b", 7)])], records: []) }
        var index = DueIndex()
        var interner = Interner()
        for row in try Self.tableRows(store) { index.append(sorted: row, interner: &interner) }
        // After the read: only in the log. w/1 moves back where it was before the build began.
        try store.write { tx in
            try tx.commit(changes: [Self.change("w/1", [("", 1), ("a", 39)]), Self.change("w/30", [("z", 3)])], records: [])
        }
        #expect(live.snapshot(workflow: nil, group: nil) == nil, "not built yet")
        live.finishBuild(index, interner)
        let (built, _) = try #require(live.snapshot(workflow: nil, group: nil))
        #expect(built.isWellFormed())
        #expect(Bool(built.rows() == (try Self.tableRows(store))))
    }

    @Test("the writer keeps a 64 MiB page cache and each reader 8 MiB, the one that built the due index too")
    func pageCaches() throws {
        let dir = try makeTemporaryDirectory("due-index-caches")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite", dueIndex: true)
        try store.write { tx in try tx.commit(changes: [Self.change("w/ab", [("", 2)])], records: []) }
        try store.buildDueIndex()
        let writer = try store.write { tx in try tx.write { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") } }
        #expect(writer == -65536)
        for _ in 0..<Store.readers {
            #expect(try store.read { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") } == -8192)
        }
    }

    @Test("filters: a workflow or group no item holds matches nothing; the group '' matches items without a group")
    func filters() throws {
        let dir = try makeTemporaryDirectory("due-index-filter")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite", dueIndex: true)
        var noGroup = Self.change("w/x", [("", 1)])
        noGroup.dueItems[0].group = nil
        noGroup.dueSig = InstanceChange.signature(noGroup.dueItems)
        try store.write { tx in try tx.commit(changes: [Self.change("w/ab", [("", 2)]), noGroup], records: []) }
        try store.buildDueIndex()
        func instances(_ workflow: String?, _ group: String?) throws -> [String] {
            let (index, filter) = try #require(store.dueIndex?.snapshot(workflow: workflow, group: group))
            var out: [String] = []
            index.forEach(until: .max) { e, id, group in
                if filter.matches(e, group: group) { out.append(String(decoding: id, as: UTF8.self)) }
                return true
            }
            return out
        }
        #expect(try instances(nil, nil) == ["w/x", "w/ab"])
        #expect(try instances("w", "Chi bộ 1") == ["w/ab"])
        #expect(try instances(nil, "") == ["w/x"])
        #expect(try instances("khac", nil) == [])
        #expect(try instances(nil, "Chi bộ 9") == [])
    }

    @Test("each workflow's next item, the status files' lists and the counts per group read from memory are SQLite's, through commits")
    func perWorkflowReads() throws {
        let dir = try makeTemporaryDirectory("due-index-workflows")
        defer { removeTemporaryDirectory(dir) }
        let path = dir + "/tiendo.sqlite"
        let store = try Store(path: path, dueIndex: true)
        let t = Instant(seconds: 1_804_438_800)
        let now = t.adding(seconds: 40 * 3600)
        let soon = now.adding(seconds: 20 * 3600)
        var r = Random(state: 21)
        // Workflow "qua-han" has only items due before `now`, "trong" instances without items: walks for their next
        // item find none. Enough items for several chunks, so that chunks without a wanted workflow are skipped.
        func change(_ i: Int) -> InstanceChange {
            let workflow = ["a", "b", "qua-han", "trong", "a"][i % 5]
            var c = Self.change(
                "\(workflow)/\(i)", workflow == "trong" ? [] : ["", "x", "y@1"].map { ($0, r.next(workflow == "qua-han" ? 40 : 90)) })
            c.instance.workflow = workflow
            for k in c.dueItems.indices { c.dueItems[k].workflow = workflow }
            if i % 7 == 0 {
                c.group = nil
                for k in c.dueItems.indices { c.dueItems[k].group = nil }
            }
            c.dueSig = InstanceChange.signature(c.dueItems)
            return c
        }
        try store.write { tx in try tx.commit(changes: (0..<1500).map(change), records: []) }
        let plain = try Store(path: path)
        func reads(_ s: Store) throws -> ([String: DueRow], [String: (overdue: [DueRow], upcoming: [DueRow])]) {
            try s.snapshot { snapshot in
                let next = try snapshot.dueSummary(now: now, soon: soon).compactMapValues(\.next)
                return (next, try snapshot.dueLists(workflows: ["a", "b", "qua-han", "trong", "khac"], now: now, soon: soon, limit: 40))
            }
        }
        // The summaries per group (their due counts from memory once the index is built), in several scopes.
        let scopes = [
            Store.Scope(), Store.Scope(workflow: "a"), Store.Scope(groups: ["Chi bộ 1", ""]), Store.Scope(workflow: "b", groups: [""]),
            Store.Scope(state: "mo"), Store.Scope(state: "khac"), Store.Scope(workflow: "khac"),
        ]
        func groups(_ s: Store) throws -> [[Store.GroupSummary]] {
            try scopes.map { try s.groupSummaries(scope: $0, now: now, soon: soon) }
        }
        func same(
            _ x: ([String: DueRow], [String: (overdue: [DueRow], upcoming: [DueRow])]),
            _ y: ([String: DueRow], [String: (overdue: [DueRow], upcoming: [DueRow])])
        ) -> Bool {
            x.0 == y.0 && x.1.keys.sorted() == y.1.keys.sorted()
                && x.1.allSatisfy { k, v in y.1[k].map { $0.overdue == v.overdue && $0.upcoming == v.upcoming } ?? false }
        }
        let before = try reads(store)
        #expect(Set(before.0.keys) == ["a", "b"])
        #expect(before.1["a"]?.overdue.count == 40 && before.1["a"]?.upcoming.count == 40 && before.1["qua-han"]?.upcoming == [])
        #expect(before.1["khac"].map { $0.overdue.isEmpty && $0.upcoming.isEmpty } == true)
        let groupsBefore = try groups(store)
        let all = groupsBefore[0]
        #expect(all.contains { $0.group == "" } && all.contains { $0.overdue > 0 } && all.contains { $0.dueSoon > 0 })
        #expect(groupsBefore[2].map(\.group).allSatisfy { $0 == "Chi bộ 1" || $0 == "" } && groupsBefore[6].isEmpty)
        #expect(groupsBefore[5].isEmpty && groupsBefore[4] == all)
        try store.buildDueIndex()
        let (index, _) = try #require(store.dueIndex?.snapshot(workflow: nil, group: nil))
        #expect(index.chunks.count > 2 && index.isWellFormed())
        #expect(same(try reads(store), before))
        #expect(try groups(store) == groupsBefore)
        for round in 0..<5 {
            try store.write { tx in try tx.commit(changes: (0..<200).map { _ in change(r.next(1500)) }, records: []) }
            #expect(same(try reads(store), try reads(plain)), "round \(round)")
            #expect(try groups(store) == (try groups(plain)), "round \(round)")
        }
    }
}
