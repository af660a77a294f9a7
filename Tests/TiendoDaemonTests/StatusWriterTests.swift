import Foundation
import Testing
import TiendoCore

@testable import TiendoDaemon

/// The status files of workflows no longer loaded: removed at the next write, whoever left them.
@Suite("status files of unloaded workflows")
struct StatusWriterTests {
    static func files(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir + "/workflows")) ?? []).sorted()
    }

    @Test("a write removes the files of workflows it does not write, an earlier run's included")
    func unloadedWorkflowsRemoved() throws {
        let dir = try makeTemporaryDirectory("status-writer")
        defer { removeTemporaryDirectory(dir) }
        let w = StatusWriter(directory: dir)
        try w.prepare()
        let one = JSON.object([("instances", .int(1))])
        try w.write(status: one, workflows: [("a", one), ("b", one)], prometheus: "")
        #expect(Self.files(dir) == ["a.json", "b.json"])

        // Unloaded: b goes. A file an earlier daemon left (this writer never wrote it) goes too; other files stay.
        #expect(FileManager.default.createFile(atPath: dir + "/workflows/old.json", contents: Data("{}".utf8)))
        #expect(FileManager.default.createFile(atPath: dir + "/workflows/README", contents: Data("x".utf8)))
        try w.write(status: one, workflows: [("a", one)], prometheus: "")
        #expect(Self.files(dir) == ["README", "a.json"])

        // An entry that cannot be removed (a directory by such a name) does not fail the write; the listing is read
        // again at every write, so what fails now is tried again next time.
        try FileManager.default.createDirectory(atPath: dir + "/workflows/stuck.json", withIntermediateDirectories: true)
        try w.write(status: one, workflows: [("a", one)], prometheus: "")
        #expect(Self.files(dir) == ["README", "a.json", "stuck.json"])
        #expect(FileManager.default.fileExists(atPath: dir + "/status.json"))
    }
}
