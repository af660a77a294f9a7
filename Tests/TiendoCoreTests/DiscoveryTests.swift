import Foundation
import Testing

@testable import TiendoCore

/// Format §1 and §10 "Discovery": search path order, calendars beside the workflow first.
@Suite struct DiscoveryTests {
    @Test("the first directory wins for an id; a calendar is found beside the workflow first, then in the search path")
    func searchPath() throws {
        let fm = FileManager.default
        let root = (NSTemporaryDirectory() as NSString).appendingPathComponent(
            "tiendo-discovery-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(atPath: root)
        defer { try? fm.removeItem(atPath: root) }
        let etc = (root as NSString).appendingPathComponent("etc")
        let lib = (root as NSString).appendingPathComponent("lib")
        for d in [etc, lib, "\(lib)/calendars"] { try fm.createDirectory(atPath: d, withIntermediateDirectories: true) }
        func write(_ path: String, _ text: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }
        try write("\(lib)/calendars/vn.yaml", Fixtures.vnCalendarYAML)
        try write("\(etc)/bau-cu.yaml", "tiendo: 1\ntitle: Bản sửa của quản trị\nmilestones: {}\n")
        try write("\(lib)/bau-cu.yaml", "tiendo: 1\ntitle: Bản gốc\nmilestones: {}\n")
        try write("\(lib)/khac.yml", "tiendo: 1\ntitle: Khác\nmilestones: {}\n")
        let set = Loader(searchPath: [etc, lib]).loadAll()
        #expect(set.errors.isEmpty, "\(set.diagnostics)")
        #expect(set.order == ["bau-cu", "khac"])
        #expect(set.workflow("bau-cu")?.title == "Bản sửa của quản trị")
        // The workflow in etc/ found the vn calendar of lib/ through the search path.
        #expect(set.workflow("bau-cu")?.calendar.isWorkingDay(day("2026-02-17")) == false)
        #expect(Loader(searchPath: [etc, lib]).resolve("khac").0?.title == "Khác")
        let (none, diags) = Loader(searchPath: [etc, lib]).resolve("bau-cuu")
        #expect(none == nil)
        #expect(diags.first?.message.contains("did you mean 'bau-cu'?") == true)
    }
}
