import Foundation
import Testing
import TiendoCore
@testable import TiendoDaemon
@testable import TiendoStore

/// The state holds names and identity numbers: what tiendod creates is not readable by other users, whatever the
/// umask it was started with (by hand, `tiendod --state-dir …` under the usual 022).
@Suite("state files: not readable by other users")
struct StatePermissionsTests {
    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test("a new database and its -wal are 0640 at most; an existing file keeps its mode")
    func database() throws {
        let dir = try makeTemporaryDirectory("permissions")
        defer { removeTemporaryDirectory(dir) }
        let path = dir + "/tiendo.sqlite"
        let store = try Store(path: path)
        try store.write { db in try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('k', 'v')") }
        #expect(Self.mode(path) & 0o137 == 0, "\(String(Self.mode(path), radix: 8))")
        #expect(Self.mode(path + "-wal") & 0o137 == 0, "\(String(Self.mode(path + "-wal"), radix: 8))")
        // An administrator's choice stays.
        let other = dir + "/other.sqlite"
        #expect(FileManager.default.createFile(atPath: other, contents: nil, attributes: [.posixPermissions: 0o644]))
        _ = try Store(path: other)
        #expect(Self.mode(other) == 0o644)
    }

    @Test("the daemon's new state directory is 0750, whatever the umask")
    func stateDirectory() throws {
        let (dir, options) = try SchedulerTests.Fixture.directory()
        defer { removeTemporaryDirectory(dir) }
        _ = try Daemon(
            options: options, clock: DaemonClock(manual: ManualTime(Instant(seconds: 1_803_776_400))), sink: CapturingSink())
        #expect(Self.mode(options.stateDirectory) == 0o750, "\(String(Self.mode(options.stateDirectory), radix: 8))")
        #expect(Self.mode(options.stateDirectory + "/tiendo.sqlite") & 0o137 == 0)
    }
}
