import Foundation
import Synchronization
import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// An account store failure, in words for the person at the terminal or the page.
public struct AccountStoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The accounts of tiendo-web: `accounts.json` in the state directory (mode 0600, directory 0700).
///
/// Changes (from `tiendo-web user …` or the accounts page) take an exclusive `flock` on `accounts.lock`, read the
/// file afresh, and replace it atomically (a temporary file in the same directory, fsync, rename, fsync of the
/// directory), so a crash leaves the old or the new file, never half of one. The server reads the file again when
/// its identity, size or modification time changed: a password changed or an account disabled on the command line
/// takes effect at the next request.
///
/// Run as root (`sudo tiendo-web user add …`), it gives the files it writes the owner of the state directory, so
/// the service's user (to which systemd's `StateDirectory=` hands the directory) can still read and lock them.
public final class AccountStore: Sendable {
    public let directory: String
    var path: String { directory + "/accounts.json" }
    var lockPath: String { directory + "/accounts.lock" }

    private struct Stamp: Equatable {
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
    }

    private struct Snapshot {
        var stamp: Stamp?
        var accounts: [Account]
    }

    private struct File: Codable {
        var version: Int
        var accounts: [Account]
    }

    private let cache = Mutex(Snapshot(stamp: nil, accounts: []))

    public init(directory: String) {
        self.directory = directory
    }

    /// Creates the state directory (0700) when missing.
    public func prepare() throws {
        var st = stat()
        if stat(directory, &st) == 0 { return }
        guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
            throw AccountStoreError("không tạo được thư mục trạng thái '\(directory)': \(ErrnoText.describe(errno))")
        }
    }

    private func stamp() throws -> Stamp? {
        var st = stat()
        guard stat(path, &st) == 0 else {
            if errno == ENOENT { return nil }
            throw AccountStoreError("không đọc được '\(path)': \(ErrnoText.describe(errno))")
        }
        return Stamp(inode: UInt64(st.st_ino), size: Int64(st.st_size), seconds: st.st_mtim.tv_sec, nanoseconds: st.st_mtim.tv_nsec)
    }

    private func readFile() throws -> [Account] {
        guard let data = FileManager.default.contents(atPath: path) else {
            if (try stamp()) == nil { return [] }
            throw AccountStoreError("không đọc được '\(path)'")
        }
        do {
            let file = try JSONDecoder().decode(File.self, from: data)
            guard file.version == 1 else { throw AccountStoreError("'\(path)': phiên bản \(file.version) không được hỗ trợ") }
            return file.accounts
        } catch let e as AccountStoreError {
            throw e
        } catch {
            throw AccountStoreError("'\(path)' hỏng, không đọc được danh sách tài khoản: \(error)")
        }
    }

    /// Every account, read again when the file changed since the last read.
    public func accounts() throws -> [Account] {
        let current = try stamp()
        if let cached = cache.withLock({ $0.stamp == current ? $0.accounts : nil }) { return cached }
        let accounts = try readFile()
        cache.withLock { $0 = Snapshot(stamp: current, accounts: accounts) }
        return accounts
    }

    /// The accounts that were ever given a full name, by sign-in name: who did what, as the record pages say it
    /// (`Account.fullName(at:)`).
    public func named() throws -> [String: Account] {
        Dictionary(try accounts().filter { $0.names != nil }.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The account of that name; a name typed in another letter case («Bithu2», as a phone's keyboard starts it)
    /// is the same account (`add` refuses two names that differ only in case).
    public func account(named name: String) throws -> Account? {
        let all = try accounts()
        return all.first { $0.name == name } ?? all.first { $0.name.lowercased() == name.lowercased() }
    }

    /// Changes the accounts under the lock and writes them back; returns what `body` returns. `body` sees the
    /// file's current content; if it throws, nothing is written.
    @discardableResult
    public func update<T>(_ body: (inout [Account]) throws -> T) throws -> T {
        try prepare()
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw AccountStoreError("không mở được '\(lockPath)': \(ErrnoText.describe(errno))") }
        giveToDirectoryOwner(lock)
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else {
            throw AccountStoreError("không khóa được '\(lockPath)': \(ErrnoText.describe(errno))")
        }
        var accounts = try readFile()
        let result = try body(&accounts)
        try write(accounts)
        cache.withLock { $0 = Snapshot(stamp: nil, accounts: []) }
        return result
    }

    /// As root, a file written into a directory that belongs to someone else is made theirs.
    private func giveToDirectoryOwner(_ fd: Int32) {
        guard geteuid() == 0 else { return }
        var st = stat()
        guard stat(directory, &st) == 0, st.st_uid != 0 else { return }
        _ = fchown(fd, st.st_uid, st.st_gid)
    }

    private func write(_ accounts: [Account]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(File(version: 1, accounts: accounts))
        do {
            try DurableFile.replace(path: path, bytes: [UInt8](data), mode: 0o600) { fd in
                giveToDirectoryOwner(fd)
                return fchmod(fd, 0o600) == 0
            }
        } catch {
            throw AccountStoreError("không ghi được '\(error.path)': \(error.reason)")
        }
    }
}
