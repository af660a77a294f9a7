import Foundation
import HummingbirdBcrypt
import Synchronization
import Testing
import TiendoCore

@testable import TiendoWeb

@Suite("Accounts, their file and sign-in throttling")
struct AccountTests {
    @Test("add, refuse a duplicate, change a password, disable; bcrypt hashes in a 0600 file in a 0700 directory")
    func store() throws {
        let dir = TempDirectory()
        let store = AccountStore(directory: dir.path + "/web")
        try AccountCommands.add(store, name: "ha.nguyen", role: .canBo, groups: ["Chi bộ 1", "Chi bộ 1"], password: "mat-khau-dai")
        #expect(throws: AccountStoreError.self) {
            try AccountCommands.add(store, name: "ha.nguyen", role: .xem, groups: [], password: "mat-khau-khac")
        }
        let a = try #require(try store.account(named: "ha.nguyen"))
        #expect(a.role == .canBo && a.groups == ["Chi bộ 1"] && !a.disabled && a.passwordHash.hasPrefix("$2"))
        #expect(Bcrypt.verify("mat-khau-dai", hash: a.passwordHash) && !Bcrypt.verify("sai", hash: a.passwordHash))
        let text = try String(contentsOfFile: dir.path + "/web/accounts.json", encoding: .utf8)
        #expect(!text.contains("mat-khau-dai"))
        #expect(try permissions(dir.path + "/web/accounts.json") == 0o600 && permissions(dir.path + "/web") == 0o700)

        // Another process (here: another store) changes the file; the first one sees it at its next read.
        let other = AccountStore(directory: dir.path + "/web")
        try AccountCommands.setPassword(other, name: "ha.nguyen", password: "mat-khau-moi-1")
        try AccountCommands.setDisabled(other, name: "ha.nguyen", true)
        let changed = try #require(try store.account(named: "ha.nguyen"))
        #expect(changed.disabled && Bcrypt.verify("mat-khau-moi-1", hash: changed.passwordHash))
        #expect(throws: AccountStoreError.self) { try AccountCommands.setDisabled(store, name: "khong-co", true) }
        // A name is the same in any letter case: a phone's keyboard types «Ha.nguyen», and no second account may
        // differ from the first in case only.
        #expect(try store.account(named: "Ha.Nguyen")?.name == "ha.nguyen")
        #expect(throws: AccountStoreError.self) {
            try AccountCommands.add(store, name: "HA.NGUYEN", role: .xem, groups: [], password: "mat-khau-khac")
        }
        #expect(Account.validPassword("        ") == "mật khẩu không được chỉ gồm dấu cách")
    }

    @Test("role and chi bộ changed in place; the last administrator of every chi bộ can be neither narrowed nor locked")
    func scope() throws {
        let dir = TempDirectory()
        let store = AccountStore(directory: dir.path + "/web")
        try AccountCommands.add(store, name: "admin", role: .quanTri, groups: [], password: "mat-khau-dai")
        try AccountCommands.add(store, name: "ha", role: .canBo, groups: ["Chi bộ 1"], password: "mat-khau-dai")
        let before = try #require(try store.account(named: "ha"))
        // A secretary moved to another chi bộ: the same account (its password and history name), new chi bộ, composed.
        let moved = try AccountCommands.setScope(store, name: "Ha", role: .quanTri, groups: ["Chi bo\u{323}\u{302} 2", "Chi bộ 2"])
        #expect(moved.name == "ha" && moved.role == .quanTri && moved.groups == ["Chi bộ 2"])
        #expect(moved.passwordHash == before.passwordHash && moved.sessionMark == before.sessionMark)
        #expect(throws: AccountStoreError.self) { try AccountCommands.setScope(store, name: "ha", role: .xem, groups: ["a\u{0}b"]) }
        // The only administrator of every chi bộ: narrowing, demoting or locking it is refused, and nothing is written.
        for change in [
            { try AccountCommands.setScope(store, name: "admin", role: .quanTri, groups: ["Chi bộ 1"]) },
            { try AccountCommands.setScope(store, name: "admin", role: .canBo, groups: []) },
        ] {
            let refused = #expect(throws: AccountStoreError.self) { _ = try change() }
            #expect(refused?.description.hasPrefix("phải còn ít nhất một tài khoản quản trị không giới hạn chi bộ") == true)
        }
        #expect(throws: AccountStoreError.self) { try AccountCommands.setDisabled(store, name: "admin", true) }
        let admin = try #require(try store.account(named: "admin"))
        #expect(admin.role == .quanTri && admin.groups.isEmpty && !admin.disabled)
        // With a second one, it can.
        try AccountCommands.setScope(store, name: "ha", role: .quanTri, groups: [])
        try AccountCommands.setScope(store, name: "admin", role: .xem, groups: [])
        #expect(try store.account(named: "admin")?.role == .xem)
    }

    @Test("a person's full name: kept composed, checked, changed and removed; files from before it read as without one")
    func fullName() throws {
        let dir = TempDirectory()
        let store = AccountStore(directory: dir.path + "/web")
        // Typed with its marks apart (as some keyboards send them) and spaces around: kept composed and trimmed.
        let typed = "  Nguye\u{0302}\u{0303}n Thi\u{0323} Ha\u{0300} "
        let a = try AccountCommands.add(store, name: "ha", fullName: typed, role: .canBo, groups: [], password: "mat-khau-dai")
        #expect(a.fullName == "Nguyễn Thị Hà" && a.displayName == "Nguyễn Thị Hà")
        #expect(try store.named().mapValues(\.fullName) == ["ha": "Nguyễn Thị Hà"])
        try AccountCommands.add(store, name: "xem", fullName: "   ", role: .xem, groups: [], password: "mat-khau-dai")
        #expect(try store.account(named: "xem")?.fullName == nil && store.account(named: "xem")?.displayName == "xem")
        let marks = "H" + String(repeating: "\u{0300}", count: 1000)
        for bad in [
            "Hà\nNguyễn", String(repeating: "Hà ", count: 40), "123 456", "Hà\u{85}Nguyễn", "Hà\u{202E}nềyugN", "Hà\u{200B}", marks,
        ] {
            #expect(throws: AccountStoreError.self) { try AccountCommands.setFullName(store, name: "ha", fullName: bad) }
            #expect(throws: AccountStoreError.self) {
                try AccountCommands.add(store, name: "moi", fullName: bad, role: .xem, groups: [], password: "mat-khau-dai")
            }
        }
        #expect(try store.account(named: "ha")?.fullName == "Nguyễn Thị Hà" && store.account(named: "moi") == nil)
        // The account handed on: the new name from now on, the first one for what was recorded before (it named the
        // account from its start); removed, the sign-in name from then on.
        let past = Zone.vietnam.instant(CivilDate(2020, 1, 1))
        let future = Zone.vietnam.instant(CivilDate(2099, 1, 1))
        let handed = try AccountCommands.setFullName(store, name: "HA", fullName: "Trần Thu Hà")
        #expect(
            handed.fullName == "Trần Thu Hà" && handed.fullName(at: past) == "Nguyễn Thị Hà" && handed.fullName(at: future) == "Trần Thu Hà"
        )
        #expect(try AccountCommands.setFullName(store, name: "ha", fullName: "Trần Thu Hà").names?.count == 2)  // unchanged: no entry
        let removed = try AccountCommands.setFullName(store, name: "ha", fullName: "")
        #expect(removed.fullName == nil && removed.displayName == "ha" && removed.fullName(at: past) == "Nguyễn Thị Hà")
        #expect(removed.fullName(at: future) == nil && removed.names?.count == 3)
        #expect(try store.named().keys.sorted() == ["ha"])
        #expect(throws: AccountStoreError.self) { try AccountCommands.setFullName(store, name: "khong-co", fullName: "Lê Văn A") }
        // A file written before full names were kept.
        let old = AccountStore(directory: dir.path + "/old")
        try old.prepare()
        let json =
            #"{"version":1,"accounts":[{"name":"cu","role":"xem","groups":[],"passwordHash":"$2b$12$x","disabled":false,"created":"2026-01-01T00:00:00+07:00","changed":"2026-01-01T00:00:00+07:00"}]}"#
        try json.write(toFile: dir.path + "/old/accounts.json", atomically: true, encoding: .utf8)
        #expect(try old.account(named: "cu")?.fullName == nil && old.account(named: "cu")?.displayName == "cu")
    }

    @Test("as root, the files go to the state directory's owner (the service's user)", .enabled(if: geteuid() == 0))
    func rootKeepsTheServiceOwner() throws {
        let dir = TempDirectory()
        let state = dir.path + "/web"
        #expect(mkdir(state, 0o700) == 0 && chown(state, 65534, 65534) == 0)
        try AccountCommands.add(AccountStore(directory: state), name: "admin", role: .quanTri, groups: [], password: "mat-khau-dai")
        for file in ["accounts.json", "accounts.lock"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: state + "/" + file)
            #expect(attributes[.ownerAccountID] as? Int == 65534 && attributes[.groupOwnerAccountID] as? Int == 65534, "\(file)")
        }
    }

    @Test("names, passwords and groups are checked, and nothing is written when one is wrong")
    func validation() throws {
        let dir = TempDirectory()
        let store = AccountStore(directory: dir.path)
        for (name, password) in [
            ("", "mat-khau-dai"), (".ha", "mat-khau-dai"), ("ha nguyen", "mat-khau-dai"),
            (String(repeating: "a", count: 65), "mat-khau-dai"),
            ("ha", "ngan"), ("ha", String(repeating: "é", count: 40)), ("ha", "mat\nkhau-dai"),
        ] {
            #expect(throws: AccountStoreError.self) {
                try AccountCommands.add(store, name: name, role: .xem, groups: [], password: password)
            }
        }
        #expect(throws: AccountStoreError.self) {
            try AccountCommands.add(store, name: "ha", role: .xem, groups: [""], password: "mat-khau-dai")
        }
        #expect(try store.accounts().isEmpty)
        #expect(Account.validName("Hà.Nguyễn@phuong") == nil)
        #expect(Account.validName("Hà Nguyễn") == "tên tài khoản chỉ gồm chữ, số và các dấu . _ - @, không có dấu cách (ví dụ ha.nguyen)")
        // A Cyrillic «а»: an account reading as «admin» in every history.
        #expect(
            Account.validName("\u{430}dmin") == "tên tài khoản chỉ dùng chữ cái La-tinh (có dấu tiếng Việt được), chữ số và các dấu . _ - @"
        )
        #expect(Account.validName("Nguyễn.Thị.Hà") == nil)
        // A chi bộ's name with a character nobody sees: refused as record fields refuse it.
        #expect(Account.validGroup("Chi bộ\u{202E} 1") == "tên chi bộ chứa ký tự đổi chiều chữ ẩn: xóa và gõ lại")
        #expect(Account.validGroup("Chi bộ\u{200B} 1") == "tên chi bộ chứa ký tự vô hình: xóa và gõ lại")
        #expect(Account.validGroup("Chi bộ Khu dân cư số 1") == nil)
        #expect(
            Account.validPassword(String(repeating: "ạ", count: 30))
                == "mật khẩu dài quá: tối đa 72 chữ không dấu (mỗi chữ có dấu tính như 2 đến 3 chữ); mật khẩu này tương đương 90 chữ không dấu"
        )
        let scoped = Account(name: "a", role: .canBo, groups: ["A"], passwordHash: "", created: "")
        let all = Account(name: "b", role: .xem, groups: [], passwordHash: "", created: "")
        #expect(scoped.sees(group: "A") && !scoped.sees(group: "B") && !scoped.sees(group: nil) && scoped.scope == ["A"])
        #expect(all.sees(group: nil) && all.sees(group: "B") && all.scope == nil)
        #expect(Role.canBo.mayAct && !Role.xem.mayAct && Role.quanTri.mayAdminister && !Role.canBo.mayAdminister)
        let generated = AccountCommands.randomPassword()
        #expect(generated.count == 16 && Account.validPassword(generated) == nil && generated != AccountCommands.randomPassword())
    }

    @Test("five failures lock a name from that address for 30 s, doubling after; twenty lock an address; success clears the name")
    func throttle() {
        let clock = TestClock()
        let t = LoginThrottle(now: { clock.now })
        func attempt(_ account: String, _ address: String, succeeds: Bool = false) {
            #expect(t.begin(account: account, address: address) == nil)
            t.finish(account: account, address: address, succeeded: succeeds)
        }
        for _ in 0..<4 { attempt("ha", "10.0.0.1") }
        #expect(t.wait(account: "ha", address: "10.0.0.1") == nil)
        attempt("ha", "10.0.0.1")
        #expect(t.wait(account: "ha", address: "10.0.0.1") == 30 && t.begin(account: "ha", address: "10.0.0.1") == 30)
        // Paused where it was guessed only: «ha» at her own computer still signs in.
        #expect(t.wait(account: "ha", address: "10.0.0.2") == nil)
        #expect(t.wait(account: "lan", address: "10.0.0.1") == nil)
        clock.now += 31
        #expect(t.wait(account: "ha", address: "10.0.0.1") == nil)
        attempt("ha", "10.0.0.1")
        #expect(t.wait(account: "ha", address: "10.0.0.1") == 60)
        clock.now += 61
        attempt("ha", "10.0.0.1", succeeds: true)
        #expect(t.wait(account: "ha", address: "10.0.0.1") == nil)
        // An address guessing many names: its 20th failure in a row (6 above) locks it.
        for i in 0..<14 { attempt("ten\(i)", "10.0.0.1") }
        #expect(t.wait(account: "ai-do", address: "10.0.0.1") == 30)
        // Fifteen quiet minutes start the count again.
        clock.now += 16 * 60
        attempt("ha", "10.0.0.9")
        #expect(t.wait(account: "ha", address: "10.0.0.9") == nil)
    }

    @Test("attempts under way count: a burst of simultaneous guesses cannot all reach the password check")
    func throttleCountsAttemptsUnderWay() {
        let clock = TestClock()
        let t = LoginThrottle(now: { clock.now })
        // Five let in at once (none finished): the sixth waits, before any of them has failed.
        for _ in 0..<5 { #expect(t.begin(account: "ha", address: "10.0.0.1") == nil) }
        #expect(t.begin(account: "ha", address: "10.0.0.1") == 30)
        for _ in 0..<5 { t.finish(account: "ha", address: "10.0.0.1", succeeded: false) }
        #expect(t.begin(account: "ha", address: "10.0.0.1") == 30)
        clock.now += 31
        // The pause over, one attempt at a time; its success clears the name's failures.
        #expect(t.begin(account: "ha", address: "10.0.0.1") == nil)
        #expect(t.begin(account: "ha", address: "10.0.0.1") == 30)
        t.finish(account: "ha", address: "10.0.0.1", succeeded: true)
        for _ in 0..<4 { #expect(t.begin(account: "ha", address: "10.0.0.1") == nil) }
        // 4 under way and no failure: one more may start, then the name is full from this address.
        #expect(t.begin(account: "ha", address: "10.0.0.1") == nil)
        #expect(t.begin(account: "ha", address: "10.0.0.1") == 30)
        #expect(t.begin(account: "ha", address: "10.0.0.6") == nil)
        // Successful sign-ins from one office address never lock it.
        for i in 0..<40 {
            #expect(t.begin(account: "u\(i)", address: "192.168.1.1") == nil)
            t.finish(account: "u\(i)", address: "192.168.1.1", succeeded: true)
        }
        #expect(t.begin(account: "u99", address: "192.168.1.1") == nil)
    }

    @Test("a colleague guessing the administrator's password locks her own computer, not the administrator")
    func throttleLocksWhereGuessed() {
        let clock = TestClock()
        let t = LoginThrottle(now: { clock.now })
        func attempt(_ address: String, succeeds: Bool = false) -> Double? {
            if let wait = t.begin(account: "admin", address: address) { return wait }
            t.finish(account: "admin", address: address, succeeded: succeeds)
            return nil
        }
        for _ in 0..<5 { #expect(attempt("10.0.0.66") == nil) }
        #expect(attempt("10.0.0.66") == 30)
        #expect(attempt("10.0.0.1", succeeds: true) == nil)
        // Her success does not clear the other computer's pause.
        #expect(t.wait(account: "admin", address: "10.0.0.66") != nil)
        // Fifty attempts under way from ten addresses (queued behind bcrypt) lock nobody out before one has failed.
        for i in 0..<10 { for _ in 0..<5 { #expect(t.begin(account: "admin", address: "10.3.0.\(i)") == nil) } }
        #expect(t.begin(account: "admin", address: "10.0.0.1") == nil)
        t.finish(account: "admin", address: "10.0.0.1", succeeded: true)
        for i in 0..<10 { for _ in 0..<5 { t.finish(account: "admin", address: "10.3.0.\(i)", succeeded: true) } }
        // Guessing one name from many addresses (five each) meets the name's own bound at 50 failures in a row.
        clock.now += 16 * 60
        for i in 0..<10 { for _ in 0..<5 { #expect(attempt("10.1.0.\(i)") == nil) } }
        #expect(t.wait(account: "admin", address: "10.0.0.1") == 30)
        #expect(t.begin(account: "admin", address: "10.2.0.1") == 30)
    }
}

final class TestClock: Sendable {
    private let value = Mutex(1_000_000.0)
    var now: Double {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

func permissions(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
}

/// A temporary directory removed at the end.
final class TempDirectory {
    let path: String
    init() {
        let template = (NSTemporaryDirectory() as NSString).appendingPathComponent("tiendo-web-test-XXXXXX")
        var bytes = Array(template.utf8CString)
        path = bytes.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
