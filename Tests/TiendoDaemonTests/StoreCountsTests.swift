import Foundation
import Testing
import TiendoCore
import TiendoStore

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
}
