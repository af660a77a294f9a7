import Foundation
import Testing
import TiendoCore
import TiendoVarlink

/// The real tiendod with a recurring milestone: occurrences open during catch-up, `done M` and `done M@LABEL` go
/// through CompleteMilestone, and the series (anchor, next index, open occurrences) survives ticks and a restart.
@Suite(.serialized)
struct RecurringDaemonTests {
    static let workflow = """
        tiendo: 1
        title: Sinh hoạt đảng
        initial: dang-sinh-hoat
        states:
          dang-sinh-hoat:
            on: {chuyen-di: da-chuyen}
          da-chuyen: {final: true}
        milestones:
          dang-phi:
            title: Đóng đảng phí
            every: 1mo
            anchor: 2027-01-01
            due: period + 1mo - 1d
            remind: [3d]
            overdue: {repeat: 7d, missed: {count: 3, priority: crit}}
        """

    func done(_ d: DaemonProcess, _ milestone: String) throws {
        _ = try d.call("CompleteMilestone", [("id", .string("sinh-hoat/dv-01")), ("milestone", .string(milestone))])
    }

    @Test("catch-up opens the occurrences; completions are kept across ticks and a restart")
    func seriesSurvivesRestart() throws {
        let d = try startDaemon(["sinh-hoat.yaml": Self.workflow], at: "2027-06-03T10:00:00+07:00", rate: 1)
        _ = try d.call(
            "ImportInstances",
            [
                ("workflow", .string("sinh-hoat")),
                ("rows", .array([.object([("key", .string("dv-01")), ("started", .string("2027-03-10T09:00:00+07:00"))])])),
            ])
        try done(d, "dang-phi")  // the oldest open: 2027-03
        #expect(d.stop() == 0)
        _ = try d.start(fakeTime: "2027-06-03T10:05:00+07:00", rate: 1)
        try done(d, "dang-phi")  // 2027-04: 2027-03 stayed done across the restart
        try done(d, "dang-phi@2027-03")  // done before: a no-op
        try done(d, "dang-phi@2027-06")
        let hist = records(try d.call("History", [("id", .string("sinh-hoat/dv-01"))]))
        #expect(hist.filter { $0.kind == .milestoneDone }.compactMap(\.occurrence) == ["2027-03", "2027-04", "2027-06"])
        // Catch-up at import: one overdue notice for the series, from its newest overdue occurrence (rule 7).
        let overdue = hist.filter { $0.kind == .overdue }
        #expect(overdue.map { "\($0.occurrence ?? "") \($0.missed ?? 0) \($0.priority)" } == ["2027-05 3 2"])
        // A label not yet open is refused with EventRejected.
        do {
            try done(d, "dang-phi@2027-07")
            Issue.record("done of an occurrence not yet open must be refused")
        } catch let e as VarlinkError {
            #expect(e.name == "vn.tiendo.Manager.EventRejected")
            #expect(
                e.parameters["reason"]?.stringValue == "kỳ 07/2027 của «Đóng đảng phí» (dang-phi) chưa mở: chưa thể hoàn thành trước kỳ")
        }
        #expect(d.stop() == 0)
    }
}
