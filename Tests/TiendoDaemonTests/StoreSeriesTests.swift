import Foundation
import Testing
import TiendoCore
import TiendoStore

/// The store keeps a recurring milestone's series with its instance (format §9: "for a recurring one: its anchor and
/// open occurrences"), through inserts and both kinds of update.
@Suite("store: series of recurring milestones")
struct StoreSeriesTests {
    @Test("an instance's series round-trips through insert, update by id and update by rowid")
    func roundTrip() throws {
        let dir = try makeTemporaryDirectory("series")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        let t = Instant(seconds: 1_804_438_800)
        var inst = Instance(
            id: "sinh-hoat/dv-01", workflow: "sinh-hoat", data: [:], state: "a", startedAt: t, enteredAt: t, digest: "d",
            marks: ["dang-phi@2027-03": t], checkedAt: t,
            series: [
                "dang-phi": SeriesState(anchor: CivilDate(2027, 1, 1), first: 2, next: 3, open: [OpenOccurrence(index: 2, openedAt: t)])
            ])
        func change(_ i: Instance, data: String?) -> InstanceChange {
            InstanceChange(instance: i, group: nil, nextWakeup: t, dueItems: [], stale: false, dataJSON: data)
        }
        try store.write { try $0.commit(changes: [change(inst, data: "{}")], records: []) }
        let read = { try #require(try store.instance(inst.id, definition: { _ in nil })) }
        #expect(try read().instance.series == inst.series)
        inst.series["dang-phi"]?.open.append(OpenOccurrence(index: 3, openedAt: t.adding(seconds: 86_400)))
        inst.series["dang-phi"]?.next = 4
        try store.write { try $0.commit(changes: [change(inst, data: nil)], records: []) }
        #expect(try read().instance.series == inst.series)
        inst.series["dang-phi"]?.open.removeFirst()
        var byRowid = change(inst, data: nil)
        byRowid.rowid = try read().rowid
        try store.write { try $0.commit(changes: [byRowid], records: []) }
        let stored = try read().instance
        #expect(stored.series == inst.series && stored.series["dang-phi"]?.open.map(\.index) == [3])
        #expect(stored.marks == inst.marks)
    }
}
