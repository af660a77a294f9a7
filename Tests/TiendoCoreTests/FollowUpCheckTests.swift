import Foundation
import Testing

@testable import TiendoCore

/// `follow_ups` checked against the other workflows of a directory (`FollowUpDefinition.check`): warnings that name
/// the place in the file that offers the follow-up.
@Suite("follow-ups checked against their target workflows")
struct FollowUpCheckTests {
    @Test("a target not loaded, a field it lacks, a value it refuses and a copy of another type are warnings at their place")
    func againstTargets() throws {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("tiendo-follow-ups-\(getpid())")
        let fm = FileManager.default
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: (dir as NSString).appendingPathComponent("calendars"), withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: dir) }
        func write(_ name: String, _ text: String) throws {
            try text.write(toFile: (dir as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try write("calendars/vn.yaml", Fixtures.vnCalendarYAML)
        try write(
            "dich.yaml",
            """
            tiendo: 1
            title: Đích
            fields:
              ho_ten: {type: text}
              so: {type: integer}
              loai: {type: enum, values: [moi, cu]}
              gap: {type: boolean}
              hang: {type: enum, values: [a, b]}
            milestones: {m: {title: M, due: 2026-01-01}}

            """)
        try write(
            "nguon.yaml",
            """
            tiendo: 1
            title: Nguồn
            fields:
              ho_ten: {type: text}
              ngay: {type: date}
              muc: {type: enum, values: [a, c]}
            initial: a
            states: {a: {on: {xong: b}}, b: {final: true}}
            follow_ups:
              - workflow: dich
                when: b
                copy: {ho_ten: ho_ten, so: ngay, ten: ho_ten, hang: muc}
                set: {loai: moi-ca}
              - {workflow: dihc, when: b}
              - {workflow: dich, when: b, set: {gap: có}}

            """)
        let diags = Loader(searchPath: [dir]).validate(paths: [dir])
        let lines = diags.map {
            "\(($0.file as NSString).lastPathComponent):\($0.line):\($0.column): \($0.severity.rawValue): \($0.message)"
        }
        #expect(
            lines.contains(
                "nguon.yaml:12:28: warning: 'ngay' (date) is copied into 'so' of 'dich' (integer): the form may refuse the value"),
            "\(lines)")
        #expect(lines.contains { $0.hasPrefix("nguon.yaml:12:38: warning: 'ten' is not a field of workflow 'dich'") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("nguon.yaml:13:11: warning: 'moi-ca' is not a value of 'loai' in 'dich'") }, "\(lines)")
        #expect(
            lines.contains(
                "nguon.yaml:14:16: warning: 'follow_ups' names workflow 'dihc', which is not loaded (did you mean 'dich'?): its button is not shown"
            ), "\(lines)")
        // An enum copied into one that lacks some of its values, a boolean not written as the form sends it.
        #expect(
            lines.contains(
                "nguon.yaml:12:51: warning: 'muc' may be 'c', which is not a value of 'hang' in 'dich': the form leaves it empty"),
            "\(lines)")
        #expect(
            lines.contains(
                "nguon.yaml:15:37: warning: write 'gap' as the form sends it, true or false, not 'có': the form leaves it empty"),
            "\(lines)")
        #expect(diags.count == 6 && diags.allSatisfy { $0.severity == .warning }, "\(lines)")
        // The daemon's load says the same.
        #expect(Loader(searchPath: [dir]).loadAll().diagnostics.map(\.message) == diags.map(\.message))
        // One file alone is not checked against others.
        #expect(Loader(searchPath: []).validate(paths: [(dir as NSString).appendingPathComponent("nguon.yaml")]).isEmpty)
    }
}
