import Foundation
import Testing

@testable import TiendoWeb

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Browsers that signed in before: the signed cookie and the throttle's count apart")
struct KnownDevicesTests {
    static let now = 1_800_000_000

    @Test("an entry signed for a name and its mark opens that name only, and not after a new password or 180 days")
    func entries() throws {
        let dir = TempDirectory()
        let devices = KnownDevices(directory: dir.path)
        let cookie = try devices.renewed(nil, name: "ha", mark: "abc", now: Self.now)
        let device = try #require(try devices.device(in: cookie, name: "ha", mark: "abc", now: Self.now + 60))
        #expect(device == KnownDevices.entries(cookie).first?.mac)
        // Another name, another mark (a password changed), an entry too old or dated ahead: not known.
        #expect(try devices.device(in: cookie, name: "lan", mark: "abc", now: Self.now) == nil)
        #expect(try devices.device(in: cookie, name: "ha", mark: "abd", now: Self.now) == nil)
        #expect(try devices.device(in: cookie, name: "ha", mark: "abc", now: Self.now + KnownDevices.lifetime) == nil)
        #expect(try devices.device(in: cookie, name: "ha", mark: "abc", now: Self.now - 1) == nil)
        // A forged entry: another name with the same MAC, a MAC changed in one character, an issue date moved.
        let entry = try #require(KnownDevices.entries(cookie).first)
        var forged = entry
        forged.name = "admin"
        #expect(try devices.device(in: forged.text, name: "admin", mark: "abc", now: Self.now) == nil)
        forged = entry
        forged.mac = String(forged.mac.dropLast()) + (forged.mac.hasSuffix("A") ? "B" : "A")
        #expect(try devices.device(in: forged.text, name: "ha", mark: "abc", now: Self.now) == nil)
        forged = entry
        forged.issued += 1
        #expect(try devices.device(in: forged.text, name: "ha", mark: "abc", now: Self.now + 5) == nil)
        // Not a cookie of ours at all.
        // An issue date far in the past or negative (its age would overflow) is refused, not a crash.
        for junk in [
            "", "~~", "a.b.c", "aGE.x.y", "aGE.1800000000.", "aGE.-9223372036854775808.x", "aGE.-1.x", "aGE.0.x",
            String(repeating: "x", count: 5000),
        ] {
            #expect(try devices.device(in: junk, name: "ha", mark: "abc", now: Self.now) == nil)
        }
    }

    @Test("one cookie keeps the five latest accounts of a shared office computer, the one just signed in first")
    func sharedComputer() throws {
        let dir = TempDirectory()
        let devices = KnownDevices(directory: dir.path)
        var cookie: String?
        for (i, name) in ["a", "b", "c", "d", "e", "f"].enumerated() {
            cookie = try devices.renewed(cookie, name: name, mark: "m", now: Self.now + i)
        }
        #expect(KnownDevices.entries(cookie).map(\.name) == ["f", "e", "d", "c", "b"])
        cookie = try devices.renewed(cookie, name: "c", mark: "m", now: Self.now + 10)
        #expect(KnownDevices.entries(cookie).map(\.name) == ["c", "f", "e", "d", "b"])
        #expect(try devices.device(in: cookie, name: "b", mark: "m", now: Self.now + 10) != nil)
        #expect(try devices.device(in: cookie, name: "a", mark: "m", now: Self.now + 10) == nil)
    }

    @Test("the key: created once, 32 bytes, mode 0600, read again by the next server; a damaged one is named")
    func key() throws {
        let dir = TempDirectory()
        let first = KnownDevices(directory: dir.path)
        let cookie = try first.renewed(nil, name: "ha", mark: "m", now: Self.now)
        var st = stat()
        #expect(stat(first.keyPath, &st) == 0 && st.st_size == 32 && st.st_mode & 0o777 == 0o600)
        // A restarted server reads the same key: the browser is still known.
        #expect(try KnownDevices(directory: dir.path).device(in: cookie, name: "ha", mark: "m", now: Self.now) != nil)
        // Leftovers of the creation are gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["device.key"])
        // A new key (the file removed): every browser is unknown again.
        unlink(first.keyPath)
        #expect(try KnownDevices(directory: dir.path).device(in: cookie, name: "ha", mark: "m", now: Self.now) == nil)
        // A damaged file is refused with its name and what to do, not taken as a key.
        let damaged = TempDirectory()
        try Data("short".utf8).write(to: URL(fileURLWithPath: damaged.path + "/device.key"))
        let refused = #expect(throws: AccountStoreError.self) { try KnownDevices(directory: damaged.path).signingKey() }
        #expect(refused?.description == "'\(damaged.path)/device.key' không phải khóa 32 byte; hãy xóa tệp này để tiendo-web tạo khóa mới")
    }

    @Test("a name paused by guesses from many addresses signs in on its owner's browser, which counts its own failures")
    func throttleCountsKnownDevicesApart() {
        let clock = TestClock()
        let t = LoginThrottle(now: { clock.now })
        func attempt(_ address: String, device: String? = nil, succeeds: Bool = false) -> Double? {
            if let wait = t.begin(account: "admin", address: address, device: device) { return wait }
            t.finish(account: "admin", address: address, device: device, succeeded: succeeds)
            return nil
        }
        // Fifty failures from ten addresses: the name is paused for every browser that never signed in with it…
        for i in 0..<10 { for _ in 0..<5 { #expect(attempt("10.1.0.\(i)") == nil) } }
        #expect(attempt("10.0.0.1") == 30)
        // …but not on the administrator's own, even behind an address that is paused too.
        #expect(attempt("10.1.0.3", device: "her-browser", succeeds: true) == nil)
        // Her success does not reopen the name to the guesser.
        #expect(attempt("10.2.0.1") == 30)
        // A known browser's failures pause it alone, after five, and a success there clears them.
        for _ in 0..<5 { #expect(attempt("10.0.0.1", device: "her-browser") == nil) }
        #expect(attempt("10.0.0.1", device: "her-browser") == 30)
        #expect(t.wait(account: "admin", address: "10.0.0.1", device: "another-browser") == nil)
        clock.now += 31
        #expect(attempt("10.0.0.1", device: "her-browser", succeeds: true) == nil)
        for _ in 0..<4 { #expect(attempt("10.0.0.1", device: "her-browser") == nil) }
        #expect(t.wait(account: "admin", address: "10.0.0.1", device: "her-browser") == nil)
        // Attempts under way on a known browser count, as from an address.
        #expect(t.begin(account: "admin", address: "10.0.0.1", device: "her-browser") == nil)
        #expect(t.begin(account: "admin", address: "10.0.0.1", device: "her-browser") == 30)
    }
}
