import Foundation
import GRDB
import Synchronization
import Testing
import TiendoCore

@testable import TiendoStore

/// The per-state counts the commit keeps (migration v7), checked where Swift and SQLite disagree about text.
@Suite("store: the counts the commit keeps")
struct StoreCountsTests {
    @Test("a group typed precomposed and the same group typed decomposed are two rows, each counted exactly")
    func groupNamesCompareByteByByte() throws {
        let dir = try makeTemporaryDirectory("counts")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        let nfc = "Chi bộ Phường 3".precomposedStringWithCanonicalMapping
        let nfd = nfc.decomposedStringWithCanonicalMapping
        #expect(nfc == nfd && Array(nfc.utf8) != Array(nfd.utf8), "Swift calls them equal; SQLite does not")
        let t = Instant(seconds: 1_804_438_800)
        func change(_ key: String, state: String, group: String, data: String?) -> InstanceChange {
            let inst = Instance(
                id: "w/\(key)", workflow: "w", data: [:], state: state, startedAt: t, enteredAt: t, digest: "d", marks: [:],
                checkedAt: t, series: [:])
            return InstanceChange(instance: inst, group: group, nextWakeup: nil, dueItems: [], stale: false, dataJSON: data)
        }
        func count(_ state: String, _ group: String) throws -> Int {
            try store.write { try $0.count(workflow: "w", states: [state], group: group, groupField: true) }
        }
        // Both created in one commit, then the decomposed one moves on alone.
        try store.write { tx in
            try tx.commit(
                changes: [change("a", state: "moi", group: nfc, data: "{}"), change("b", state: "moi", group: nfd, data: "{}")], records: []
            )
        }
        #expect(try count("moi", nfc) == 1 && count("moi", nfd) == 1)
        try store.write { try $0.commit(changes: [change("b", state: "xong", group: nfd, data: nil)], records: []) }
        #expect(try count("moi", nfc) == 1)
        #expect(try count("moi", nfd) == 0)
        #expect(try count("xong", nfd) == 1 && count("xong", nfc) == 0)
        #expect(try store.write { try $0.count(workflow: "w", states: ["moi", "xong"], group: nil, groupField: false) } == 2)
    }

    /// Which of `columns` each UPDATE of `instances` names in its SET list from now on: `AFTER UPDATE OF` triggers
    /// fire only then, whatever the values (temporary, on the store's one writing connection, which the daemon
    /// writes through too). The function returns the columns named since its last call.
    static func watchSetColumns(_ store: Store, _ columns: [String]) throws -> () throws -> Set<String> {
        try store.write { (db: Database) in
            try db.execute(sql: "CREATE TEMP TABLE set_columns(col TEXT)")
            for column in columns {
                try db.execute(
                    sql: """
                        CREATE TEMP TRIGGER set_\(column) AFTER UPDATE OF \(column) ON main.instances
                            BEGIN INSERT INTO set_columns VALUES ('\(column)'); END;
                        """)
            }
        }
        return {
            try store.write { (db: Database) in
                defer { try? db.execute(sql: "DELETE FROM set_columns") }
                return Set(try String.fetchAll(db, sql: "SELECT col FROM set_columns"))
            }
        }
    }

    @Test("an update that keeps the state or the wake-up leaves out its column, and every index stays exact")
    func updatesSetOnlyWhatChanges() throws {
        let dir = try makeTemporaryDirectory("update")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        let t = Instant(seconds: 1_804_438_800)
        func step(
            state: String?, wakeup: Int64?, mark: String, data: String? = nil, group: String = "g", byRowid: Bool = false
        ) throws {
            let inst = Instance(
                id: "w/a", workflow: "w", data: [:], state: state, startedAt: t, enteredAt: t, digest: "d",
                marks: [mark: t], checkedAt: t, series: [:])
            var c = InstanceChange(
                instance: inst, group: group, nextWakeup: wakeup.map { t.adding(seconds: $0) }, dueItems: [], stale: false,
                dataJSON: data)
            if byRowid { c.rowid = try store.read { try Int64.fetchOne($0, sql: "SELECT rowid FROM instances WHERE id = 'w/a'") } }
            try store.write { try $0.commit(changes: [c], records: []) }
        }
        /// The row as the table has it, and the ids each index finds.
        func look() throws -> (state: String?, wakeup: Int64?, marks: String, byState: [String: [String]], byWakeup: [String]) {
            try store.read { db in
                let row = try Row.fetchOne(db, sql: "SELECT state, next_wakeup, marks FROM instances WHERE id = 'w/a'")!
                var byState: [String: [String]] = [:]
                for s in ["moi", "xong"] {
                    byState[s] = try String.fetchAll(
                        db, sql: "SELECT id FROM instances INDEXED BY instances_workflow_state WHERE workflow = 'w' AND state = ?",
                        arguments: [s])
                }
                let byWakeup = try String.fetchAll(
                    db, sql: "SELECT id FROM instances INDEXED BY instances_wakeup WHERE next_wakeup IS NOT NULL ORDER BY next_wakeup")
                return (row[0], row[1], row[2], byState, byWakeup)
            }
        }
        func expectIntact() throws {
            #expect(try store.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } == ["ok"])
        }
        func count(_ state: String, group: String = "g") throws -> Int {
            try store.write { try $0.count(workflow: "w", states: [state], group: group, groupField: true) }
        }
        let setColumns = try Self.watchSetColumns(store, ["state", "next_wakeup", "data", "grp", "workflow", "started_at"])
        let w0 = t.seconds
        try step(state: "moi", wakeup: 100, mark: "m0", data: "{}")
        var now = try look()
        #expect(now.state == "moi" && now.wakeup == w0 + 100 && now.byState["moi"] == ["w/a"] && now.byWakeup == ["w/a"])
        #expect(try setColumns() == [], "an INSERT")

        // A reminder: the state kept, the wake-up moved, the marks changed.
        try step(state: "moi", wakeup: 200, mark: "m1")
        now = try look()
        #expect(now.state == "moi" && now.wakeup == w0 + 200 && now.marks.contains("m1") && now.byState["moi"] == ["w/a"])
        #expect(try setColumns() == ["next_wakeup"])
        try expectIntact()

        // An event that changes the state and keeps the wake-up, by rowid.
        try step(state: "xong", wakeup: 200, mark: "m2", byRowid: true)
        now = try look()
        #expect(now.state == "xong" && now.wakeup == w0 + 200 && now.marks.contains("m2"))
        #expect(now.byState["moi"] == [] && now.byState["xong"] == ["w/a"] && now.byWakeup == ["w/a"])
        #expect(try count("moi") == 0 && count("xong") == 1)
        #expect(try setColumns() == ["state"])
        try expectIntact()

        // Nothing left to wake for (out of the partial index), then the state kept with no wake-up either.
        try step(state: "xong", wakeup: nil, mark: "m3")
        #expect(try setColumns() == ["next_wakeup"])
        try step(state: "xong", wakeup: nil, mark: "m4")
        #expect(try setColumns() == [])
        now = try look()
        #expect(now.state == "xong" && now.wakeup == nil && now.marks.contains("m4") && now.byWakeup == [])
        try expectIntact()

        // A state left empty (NULL) and set again.
        try step(state: nil, wakeup: 50, mark: "m5")
        now = try look()
        #expect(now.state == nil && now.wakeup == w0 + 50 && now.byState["xong"] == [] && now.byWakeup == ["w/a"])
        #expect(try setColumns() == ["state", "next_wakeup"])
        try step(state: "moi", wakeup: 50, mark: "m6")
        now = try look()
        #expect(now.state == "moi" && now.byState["moi"] == ["w/a"])
        #expect(try setColumns() == ["state"])
        #expect(try count("moi") == 1 && count("xong") == 0)
        try expectIntact()

        // An event that carries data in the same group: the data named, not the group, the workflow or the start.
        try step(state: "moi", wakeup: 50, mark: "m7", data: #"{"x":1}"#)
        #expect(try setColumns() == ["data"])
        // One that moves the instance to another group: the group named too, and counted there.
        try step(state: "xong", wakeup: 50, mark: "m8", data: #"{"x":2}"#, group: "h", byRowid: true)
        #expect(try setColumns() == ["state", "data", "grp"])
        #expect(try count("moi") == 0 && count("xong") == 0 && count("xong", group: "h") == 1)
        let stored = try store.read { try Row.fetchOne($0, sql: "SELECT data, grp FROM instances WHERE id = 'w/a'")! }
        #expect(stored[0] as String == #"{"x":2}"# && stored[1] as String == "h")
        #expect(
            try store.read {
                try String.fetchAll($0, sql: "SELECT id FROM instances INDEXED BY instances_grp WHERE grp = 'h'")
            } == ["w/a"])
        // Without data the group stays, whatever the change says it is (the data it comes from did not change).
        try step(state: "xong", wakeup: 50, mark: "m9", group: "g")
        #expect(try setColumns() == [])
        #expect(try count("xong", group: "h") == 1 && count("xong") == 0)
        try expectIntact()
    }

    @Test("an event without data leaves the stored data as it was; one that moves the group is counted where it went")
    func eventDataAndGroups() throws {
        let (d, dir) = try StoreViewsTests.populated()
        defer { removeTemporaryDirectory(dir) }
        func stored(_ id: String) throws -> (data: String, group: String?, state: String?) {
            try d.store.read { db in
                let r = try #require(
                    try Row.fetchOne(db, sql: "SELECT data, grp, state FROM instances WHERE id = ?", arguments: [id]))
                return (r[0], r[1], r[2])
            }
        }
        func count(_ group: String, _ state: String) throws -> Int {
            try d.store.write { try $0.count(workflow: "dang-vien-du-bi", states: [state], group: group, groupField: true) }
        }
        let (g1, g6) = ("Chi bộ Khu dân cư số 1", "Chi bộ Khu dân cư số 6")
        // Which of the data columns the daemon's UPDATEs name.
        let setColumns = try Self.watchSetColumns(d.store, ["data", "grp", "workflow"])

        // dv3 waits for a second vote; recognised without data, its data text stays byte for byte.
        let before = try stored("dang-vien-du-bi/dv3")
        #expect(before.state == "cho-xet-lai")
        _ = try d.sendEvent(id: "dang-vien-du-bi/dv3", event: "cong-nhan", data: [], idempotencyKey: nil, actor: nil)
        let after = try stored("dang-vien-du-bi/dv3")
        #expect(after.state == "chinh-thuc" && after.data == before.data && after.group == before.group)
        #expect(try setColumns() == [])

        // dv5 (chi bộ số 6) is voted on with its chi bộ corrected to số 1 in the same event.
        let dv5 = try stored("dang-vien-du-bi/dv5")
        #expect(dv5.state == "cho-xet" && dv5.group == g6)
        let (waiting6, again1) = (try count(g6, "cho-xet"), try count(g1, "cho-xet-lai"))
        _ = try d.sendEvent(
            id: "dang-vien-du-bi/dv5", event: "bieu-quyet",
            data: [("so_dang_vien_chinh_thuc", .int(30)), ("so_tan_thanh", .int(10)), ("chi_bo", .string(g1))],
            idempotencyKey: nil, actor: nil)
        let moved = try stored("dang-vien-du-bi/dv5")
        #expect(moved.state == "cho-xet-lai" && moved.group == g1)
        #expect(try setColumns() == ["data", "grp"])
        let data = try #require(try JSON.parse(moved.data).objectValue)
        #expect(data.first { $0.0 == "chi_bo" }?.1 == .string(g1) && data.first { $0.0 == "so_tan_thanh" }?.1 == .int(10))
        #expect(try count(g6, "cho-xet") == waiting6 - 1 && count(g1, "cho-xet-lai") == again1 + 1)
        let inGroup = try d.store.read {
            try String.fetchAll($0, sql: "SELECT id FROM instances INDEXED BY instances_grp WHERE grp = ?", arguments: [g1])
        }
        #expect(inGroup.contains("dang-vien-du-bi/dv5"))
        #expect(try d.store.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } == ["ok"])
    }

    @Test("the 32 UPDATE statements: placeholders for the columns each names, by rowid or by id")
    func updateStatements() {
        var seen = Set<Int>()
        for state in [false, true] {
            for wakeup in [false, true] {
                for data in [false, true] {
                    for group in [false, true] {
                        for byRowid in [false, true] {
                            let i = Store.updateIndex(state: state, wakeup: wakeup, data: data, group: group, byRowid: byRowid)
                            seen.insert(i)
                            let sql = Store.updateSQL[i]
                            #expect(sql.contains(" state=?") == state && sql.contains("next_wakeup=?") == wakeup)
                            #expect(sql.contains(" data=?") == data && sql.contains(" grp=?") == group)
                            #expect(sql.hasSuffix(byRowid ? "WHERE rowid=?" : "WHERE id=?"))
                            // Ten arguments always (nine columns and the row), one more for each of the four.
                            #expect(sql.filter { $0 == "?" }.count == 10 + [state, wakeup, data, group].filter { $0 }.count)
                        }
                    }
                }
            }
        }
        #expect(seen.count == Store.updateSQL.count)
    }

    /// The counts as stored, and as a recount of the instances gives them, per (workflow, group, state).
    static func storedAndRecounted(_ store: Store) throws -> (stored: [String: Int], recount: [String: Int]) {
        try store.read { db in
            func map(_ sql: String) throws -> [String: Int] {
                var out: [String: Int] = [:]
                for r in try Row.fetchAll(db, sql: sql) where (r[3] as Int) != 0 {
                    out["\(r[0] as String)|\(r[1] as String)|\(r[2] as String)"] = r[3]
                }
                return out
            }
            return (
                try map("SELECT workflow, grp, state, SUM(n) FROM counts GROUP BY 1, 2, 3"),
                try map("SELECT workflow, IFNULL(grp, ''), IFNULL(state, ''), COUNT(*) FROM instances GROUP BY 1, 2, 3")
            )
        }
    }

    static func instance(_ key: String, state: String) -> Instance {
        let t = Instant(seconds: 1_804_438_800)
        return Instance(
            id: "w/\(key)", workflow: "w", data: [:], state: state, startedAt: t, enteredAt: t, digest: "d", marks: [:], checkedAt: t,
            series: [:])
    }

    @Test("in a group the count moves are written once, at its end; limit counts inside it see them; a request undone takes its moves out")
    func groupCountsWrittenAtTheEnd() throws {
        let dir = try makeTemporaryDirectory("group-counts")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        func move(_ key: String, to state: String) -> InstanceChange {
            InstanceChange(
                instance: Self.instance(key, state: state), group: "g", nextWakeup: nil, dueItems: [], stale: false, dataJSON: nil)
        }
        try store.write { tx in
            try tx.commit(
                changes: ["a", "b", "c"].map {
                    InstanceChange(
                        instance: Self.instance($0, state: "moi"), group: "g", nextWakeup: nil, dueItems: [], stale: false, dataJSON: "{}")
                }, records: [])
        }
        struct Refused: Error {}
        func stored(_ tx: Store.Transaction, _ state: String) throws -> Int {
            try tx.read { try Int.fetchOne($0, sql: "SELECT IFNULL(SUM(n), 0) FROM counts WHERE state = ?", arguments: [state]) ?? -1 }
        }
        try store.write(savepoints: true) { tx in
            try tx.commit(changes: [move("a", to: "xong")], records: [])
            // Not written yet, but counted.
            #expect(try stored(tx, "xong") == 0)
            #expect(try tx.count(workflow: "w", states: ["xong"], group: "g", groupField: true) == 1)
            #expect(try tx.count(workflow: "w", states: ["moi", "xong"], group: nil, groupField: false) == 3)
            #expect(try tx.count(workflow: "w", states: ["moi"], group: nil, groupField: false) == 2)
            #expect(try tx.count(workflow: "w", states: ["xong"], group: "h", groupField: true) == 0)
            #expect(try tx.count(workflow: "v", states: ["xong"], group: nil, groupField: false) == 0)
            // A request whose savepoint rolls back after its commit: its move goes with it.
            #expect(throws: Refused.self) {
                try tx.write { _ in
                    try tx.commit(changes: [move("b", to: "xong")], records: [])
                    #expect(try tx.count(workflow: "w", states: ["xong"], group: "g", groupField: true) == 2)
                    throw Refused()
                }
            }
            #expect(try tx.count(workflow: "w", states: ["xong"], group: "g", groupField: true) == 1)
            try tx.commit(changes: [move("c", to: "huy")], records: [])
        }
        let (stored, recount) = try Self.storedAndRecounted(store)
        #expect(stored == recount)
        #expect(stored == ["w|g|moi": 1, "w|g|xong": 1, "w|g|huy": 1])
        #expect(try store.write { try $0.count(workflow: "w", states: ["xong", "huy"], group: "g", groupField: true) } == 2)
        // A group that fails as a whole leaves the counts as they were.
        #expect(throws: Refused.self) {
            try store.write(savepoints: true) { tx in
                try tx.commit(changes: [move("b", to: "xong")], records: [])
                throw Refused()
            }
        }
        #expect(try Self.storedAndRecounted(store).stored == stored)
    }

    @Test(
        "a change made from the row as read moves its count from the key read with it; a second change of the instance in one commit reads the row"
    )
    func changesFromTheRowRead() throws {
        let dir = try makeTemporaryDirectory("prior-row")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        try store.write { tx in
            try tx.commit(
                changes: [
                    InstanceChange(
                        instance: Self.instance("a", state: "moi"), group: "g", nextWakeup: Instant(seconds: 1_804_500_000), dueItems: [],
                        stale: false, dataJSON: "{}")
                ], records: [])
        }
        // The SELECTs of instance rows the writer runs from now on.
        let selects = Mutex<[String]>([])
        try store.write { (db: Database) in
            db.trace(options: .statement) { event in
                let sql = "\(event)"
                if sql.hasPrefix("SELECT") && sql.contains("FROM instances") { selects.withLock { $0.append(sql) } }
            }
        }
        try store.write { tx in
            let row = try #require(try tx.instance("w/a", definition: { _ in nil }))
            #expect(row.prior?.key.state == "moi" && row.prior?.key.group == "g" && row.prior?.wakeup == 1_804_500_000)
            selects.withLock { $0 = [] }
            var first = InstanceChange(
                instance: Self.instance("a", state: "xong"), group: "g", nextWakeup: nil, dueItems: [], stale: false, dataJSON: nil)
            first.updates(row)
            // The same row again in the same commit: its key is the first change's, not the one read before it.
            var second = InstanceChange(
                instance: Self.instance("a", state: "huy"), group: "g", nextWakeup: nil, dueItems: [], stale: false, dataJSON: nil)
            second.updates(row)
            try tx.commit(changes: [first, second], records: [])
            #expect(selects.withLock { $0.count } == 1, "one read, for the second change: \(selects.withLock { $0 })")
        }
        let (stored, recount) = try Self.storedAndRecounted(store)
        #expect(stored == recount && stored == ["w|g|huy": 1])
        #expect(try store.read { try Row.fetchOne($0, sql: "SELECT next_wakeup FROM instances")?[0] as Int64? } == nil)
        #expect(
            try store.read {
                try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM instances INDEXED BY instances_wakeup WHERE next_wakeup IS NOT NULL")
            } == 0)
    }

    @Test("a change marked new is inserted with its due items and counted; one whose id exists fails its commit whole")
    func newInstancesInsertWithoutLooking() throws {
        let dir = try makeTemporaryDirectory("new")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite", dueIndex: true)
        let t = Instant(seconds: 1_804_438_800)
        func created(_ key: String, due open: Bool = true) -> InstanceChange {
            let inst = Instance(
                id: "w/\(key)", workflow: "w", data: [:], state: "moi", startedAt: t, enteredAt: t, digest: "d", marks: [:],
                checkedAt: t, series: [:])
            let due = DueRow(
                instance: inst.id, deadline: "han", workflow: "w", group: "g", state: "moi", milestone: nil, occurrence: nil,
                title: "Hạn", due: "2027-03-10", dueEnd: t.adding(seconds: 86_400), provisional: false)
            var c = InstanceChange(
                instance: inst, group: "g", nextWakeup: t.adding(seconds: 3600), dueItems: open ? [due] : [], stale: false,
                dataJSON: "{}")
            c.isNew = true
            return c
        }
        func look() throws -> (instances: Int, due: Int, counted: Int) {
            try store.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM instances") ?? -1,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM due_items") ?? -1,
                    try Int.fetchOne(db, sql: "SELECT IFNULL(SUM(n), 0) FROM counts WHERE state = 'moi'") ?? -1
                )
            }
        }
        try store.write { try $0.commit(changes: [created("a"), created("b")], records: []) }
        #expect(try look() == (2, 2, 2))
        #expect(try store.nextWakeup() == t.adding(seconds: 3600))
        // "a" again (without due items, whose key would clash too), beside a genuinely new "c": the commit fails
        // and neither is stored, nor counted.
        #expect(throws: DatabaseError.self) {
            try store.write { try $0.commit(changes: [created("c"), created("a", due: false)], records: []) }
        }
        #expect(try look() == (2, 2, 2))
        // The statements that failed are reset and bound again: the next commit goes through.
        try store.write { try $0.commit(changes: [created("c")], records: []) }
        #expect(try look() == (3, 3, 3))
        #expect(try store.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } == ["ok"])
    }

    @Test("count keys compare byte by byte, as SQLite does")
    func keysCompareBytes() {
        let nfc = "Chi bộ Phường 3".precomposedStringWithCanonicalMapping
        let nfd = nfc.decomposedStringWithCanonicalMapping
        #expect(!CountKey.sameBytes(nfc, nfd) && nfc == nfd)
        #expect(CountKey.sameBytes(nfc, String(decoding: Array(nfc.utf8), as: UTF8.self)))
        #expect(CountKey.sameBytes("", "") && !CountKey.sameBytes("", "a") && !CountKey.sameBytes("ab", "ac"))
        #expect(CountKey.sameBytes(String("xx-dang-vien".dropFirst(3)), "dang-vien"))
        func key(_ state: String, _ group: String) -> CountKey {
            CountKey(workflow: "w", digest: String(repeating: "d", count: 64), stale: false, state: state, group: group, completed: false)
        }
        #expect(key("moi", nfc) == key("moi", nfc) && key("moi", nfc) != key("moi", nfd) && key("moi", nfc) != key("xong", nfc))
        #expect(Set([key("moi", nfc), key("moi", nfd), key("moi", nfc)]).count == 2)
    }
}
