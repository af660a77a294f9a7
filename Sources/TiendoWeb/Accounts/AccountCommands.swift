import Foundation
import HummingbirdBcrypt
import TiendoCore

/// Account changes, for `tiendo-web user …` and the accounts page alike: checked, hashed, written under the lock.
public enum AccountCommands {
    /// bcrypt's cost (2^12 rounds, about a quarter of a second here).
    public static let bcryptCost: UInt8 = 12

    static func now() -> String { Zone.vietnam.iso(Instant(seconds: Int64(Date().timeIntervalSince1970))) }

    static func check(_ problem: String?) throws(AccountStoreError) {
        if let problem { throw AccountStoreError(problem) }
    }

    /// Adds an account; refuses a name that exists (disabled or not). `fullName` as typed (`Account.fullName(_:)`).
    @discardableResult
    public static func add(
        _ store: AccountStore, name: String, fullName: String? = nil, role: Role, groups: [String], password: String
    ) throws -> Account {
        try check(Account.validName(name))
        let fullName = Account.fullName(fullName)
        if let fullName { try check(Account.validFullName(fullName)) }
        try check(Account.validPassword(password))
        for g in groups { try check(Account.validGroup(g)) }
        let hash = Bcrypt.hash(password, cost: bcryptCost)
        var account = Account(name: name, role: role, groups: normalized(groups), passwordHash: hash, created: now())
        if let fullName { account.names = [Account.FullName(name: fullName, since: nil)] }
        try store.update { accounts in
            if let same = accounts.first(where: { $0.name.lowercased() == name.lowercased() }) {
                throw AccountStoreError(
                    same.name == name
                        ? "tài khoản «\(name)» đã có" : "tài khoản «\(same.name)» đã có (tên đăng nhập không phân biệt chữ hoa, chữ thường)"
                )
            }
            accounts.append(account)
        }
        return account
    }

    /// Sets the password; returns the account as written (its new `sessionMark` for the session that made the change).
    @discardableResult
    public static func setPassword(_ store: AccountStore, name: String, password: String) throws -> Account {
        try check(Account.validPassword(password))
        let hash = Bcrypt.hash(password, cost: bcryptCost)
        return try modify(store, name) {
            $0.passwordHash = hash
        }
    }

    /// Sets the person's full name as typed; nothing typed removes it (pages then show the sign-in name). The first
    /// name an account is given names it from its creation (it was that person's all along); a later change, from
    /// now on (the account may have passed to someone else: earlier steps keep the name they were recorded under).
    @discardableResult
    public static func setFullName(_ store: AccountStore, name: String, fullName typed: String?) throws -> Account {
        let fullName = Account.fullName(typed)
        if let fullName { try check(Account.validFullName(fullName)) }
        let stamp = now()
        return try modify(store, name) { a in
            guard a.fullName != fullName else { return }
            if a.names?.isEmpty ?? true {
                a.names = fullName.map { [Account.FullName(name: $0, since: nil)] }
            } else {
                a.names?.append(Account.FullName(name: fullName, since: stamp))
            }
        }
    }

    /// Sets an account's role and chi bộ (none: every chi bộ): a secretary moved to another chi bộ keeps her account,
    /// and its sign-in name and history. It takes effect at the account's next request (each reads the account). Refused
    /// when no enabled administrator of every chi bộ would be left: nobody could manage the accounts any more.
    @discardableResult
    /// `shown`: the account's `scopeMark` as the form showing it was drawn (the web's page); another one — a second
    /// administrator changed the account since — refuses the change, which would otherwise put back what the form
    /// still showed (a role just lowered given back: multi-user audit, 07/12/2026).
    public static func setScope(_ store: AccountStore, name: String, role: Role, groups: [String], shown: String? = nil) throws -> Account {
        for g in groups { try check(Account.validGroup(g)) }
        let groups = normalized(groups)
        return try modify(store, name) { a in
            // Already as asked (the same form sent twice): done, not refused.
            if let shown, shown != a.scopeMark, a.role != role || a.groups != groups {
                throw AccountStoreError(
                    "tài khoản «\(a.name)» vừa được đổi sau khi trang này được mở: nay là \(a.role.title), \(a.groupsText); hãy xem lại rồi đổi nếu vẫn cần"
                )
            }
            a.role = role
            a.groups = groups
        } verify: {
            try keepsAnAdministrator(before: $0, after: $1)
        }
    }

    /// An account's groups as stored: in NFC, as tiendod stores group names (a name typed with marks apart matches
    /// the records' bytes), each once, sorted.
    static func normalized(_ groups: [String]) -> [String] { Array(Set(groups.map(FieldDefinition.composed))).sorted() }

    /// Refuses a change that leaves no enabled administrator of every chi bộ where there was one: nobody could manage
    /// the accounts from the page any more (a file that had none — made by hand — is not held to it).
    static func keepsAnAdministrator(before: [Account], after: [Account]) throws {
        func one(_ accounts: [Account]) -> Bool { accounts.contains { $0.role == .quanTri && $0.groups.isEmpty && !$0.disabled } }
        guard one(after) || !one(before) else {
            throw AccountStoreError(
                "phải còn ít nhất một tài khoản quản trị không giới hạn chi bộ đang dùng, để còn người quản lý tài khoản")
        }
    }

    /// Disables (or enables again) an account: a disabled one cannot sign in, and its open sessions end at their
    /// next request — also when it is enabled again before then (the sessions' mark counts the times disabled).
    public static func setDisabled(_ store: AccountStore, name: String, _ disabled: Bool) throws {
        try modify(store, name) {
            if disabled && !$0.disabled { $0.timesDisabled = ($0.timesDisabled ?? 0) + 1 }
            $0.disabled = disabled
        } verify: {
            try keepsAnAdministrator(before: $0, after: $1)
        }
    }

    /// Changes one account under the lock; `verify` may refuse the accounts as they would be, given as they were
    /// (nothing is written then).
    @discardableResult
    static func modify(
        _ store: AccountStore, _ name: String, _ change: (inout Account) throws -> Void,
        verify: (_ before: [Account], _ after: [Account]) throws -> Void = { _, _ in }
    ) throws -> Account {
        let stamp = now()
        return try store.update { accounts in
            // The account as sign-in finds it: the exact name, else the one name that differs only in letter case.
            guard
                let i = accounts.firstIndex(where: { $0.name == name })
                    ?? accounts.firstIndex(where: { $0.name.lowercased() == name.lowercased() })
            else { throw AccountStoreError("không có tài khoản «\(name)»") }
            var changed = accounts
            try change(&changed[i])
            changed[i].changed = stamp
            try verify(accounts, changed)
            accounts = changed
            return accounts[i]
        }
    }

    /// A random password for a first administrator (`make run`): 16 letters and digits, without look-alikes.
    public static func randomPassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var g = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &g)] })
    }
}
