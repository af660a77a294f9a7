import Crypto
import Foundation
import Synchronization
import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// Browsers that signed in to an account before, known by a cookie tiendo-web signed (the «device cookie» of OWASP's
/// authentication cheat sheet): guessing an account's password from many addresses pauses the name for everyone
/// (`LoginThrottle`), but not on the browsers its owner already used, which count their own failures instead. An
/// attacker can then keep a name out of reach only of browsers that never signed in with it.
///
/// The cookie `tiendo_thiet_bi` holds up to `maxEntries` entries (an office computer shared by a few officers), each
/// `NAME.ISSUED.MAC`: the account name in lower case (URL-safe base64), the second it was issued, and an HMAC-SHA256
/// (first 16 bytes) of both and of the account's `sessionMark` under a key kept in `device.key` in the state
/// directory (32 random bytes, mode 0600). A changed password or a disabled account (a new mark), a new key or
/// `lifetime` elapsed make an entry worthless; nothing is stored per browser on the server.
final class KnownDevices: Sendable {
    static let cookieName = "tiendo_thiet_bi"
    static let lifetime = 180 * 86_400
    static let maxEntries = 5

    let directory: String
    var keyPath: String { directory + "/device.key" }
    /// Read or created at first use; nil until then, or while it cannot be (devices are then not told apart).
    private let key = Mutex<SymmetricKey?>(nil)

    init(directory: String) { self.directory = directory }

    /// One entry of the cookie.
    struct Entry: Equatable {
        var name: String
        var issued: Int
        var mac: String

        var text: String { Sessions.base64URL(Data(name.utf8)) + "." + String(issued) + "." + mac }

        init(name: String, issued: Int, mac: String) {
            self.name = name
            self.issued = issued
            self.mac = mac
        }

        /// `NAME.ISSUED.MAC`, or nil when it is not one.
        init?(_ text: Substring) {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, let raw = KnownDevices.decode(parts[0]), let name = String(data: raw, encoding: .utf8),
                let issued = Int(parts[1]), issued >= 0, !parts[2].isEmpty
            else { return nil }
            self.init(name: name, issued: issued, mac: String(parts[2]))
        }
    }

    /// The entries of a cookie's value, those that do not parse left out.
    static func entries(_ cookie: String?) -> [Entry] {
        (cookie ?? "").split(separator: "~").compactMap(Entry.init).prefix(maxEntries).map { $0 }
    }

    /// The device id (its MAC) of the entry that `cookie` holds for `name` (lower case) and that `mark` and the key
    /// still sign, issued within `lifetime` of `now`; nil otherwise.
    func device(in cookie: String?, name: String, mark: String, now: Int) throws -> String? {
        guard let entry = KnownDevices.entries(cookie).first(where: { $0.name == name }),
            entry.issued <= now, entry.issued > now - KnownDevices.lifetime
        else { return nil }
        let expected = try mac(name: name, issued: entry.issued, mark: mark)
        // Compared in constant time: the MAC is what an attacker would have to guess.
        guard expected.utf8.count == entry.mac.utf8.count,
            zip(expected.utf8, entry.mac.utf8).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0
        else { return nil }
        return entry.mac
    }

    /// The cookie's value after `name` signed in at `now` with `mark`: its entry first and fresh, the others kept
    /// (the oldest dropped beyond `maxEntries`).
    func renewed(_ cookie: String?, name: String, mark: String, now: Int) throws -> String {
        let fresh = Entry(name: name, issued: now, mac: try mac(name: name, issued: now, mark: mark))
        let others = KnownDevices.entries(cookie).filter { $0.name != name }
        return ([fresh] + others).prefix(KnownDevices.maxEntries).map(\.text).joined(separator: "~")
    }

    func mac(name: String, issued: Int, mark: String) throws -> String {
        let message = Data("tiendo-device\u{0}\(name)\u{0}\(issued)\u{0}\(mark)".utf8)
        let code = HMAC<Crypto.SHA256>.authenticationCode(for: message, using: try signingKey())
        return Sessions.base64URL(Data(code.prefix(16)))
    }

    /// The key of `device.key`, created (32 random bytes, 0600, written whole before it is used) when missing.
    func signingKey() throws -> SymmetricKey {
        try key.withLock { held in
            if let held { return held }
            let loaded = try readKey() ?? createKey()
            held = loaded
            return loaded
        }
    }

    /// The key in `device.key`, nil when there is no such file.
    private func readKey() throws -> SymmetricKey? {
        let fd = open(keyPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw AccountStoreError("không đọc được '\(keyPath)': \(ErrnoText.describe(errno))")
        }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 33)
        let n = read(fd, &bytes, bytes.count)
        guard n == 32 else {
            throw AccountStoreError(
                n < 0
                    ? "không đọc được '\(keyPath)': \(ErrnoText.describe(errno))"
                    : "'\(keyPath)' không phải khóa 32 byte; hãy xóa tệp này để tiendo-web tạo khóa mới")
        }
        return SymmetricKey(data: bytes.prefix(32))
    }

    /// Created whole or not at all (`DurableFile.create`); of two servers creating it at once, the first one's key
    /// stays and the other reads it.
    private func createKey() throws -> SymmetricKey {
        let fresh = SymmetricKey(size: .bits256)
        do {
            if try DurableFile.create(path: keyPath, bytes: fresh.withUnsafeBytes { Array($0) }, mode: 0o600) { return fresh }
        } catch {
            throw AccountStoreError("không tạo được '\(error.path)': \(error.reason)")
        }
        guard let other = try readKey() else { throw AccountStoreError("không tạo được '\(keyPath)'") }
        return other
    }

    static func decode(_ text: Substring) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}
