import HummingbirdBcrypt

/// The result of checking a password: the throttle's wait, or the account it opens (nil: wrong name, wrong
/// password or a disabled account, which the person is never told apart).
enum PasswordCheck {
    case wait(seconds: Double)
    case checked(Account?)
    /// The right password of an account that is locked: said as such (only after the right password, so nobody
    /// learns from it which names exist).
    case locked(String)
}

extension WebApp {
    /// One attempt at `name`'s password from `address`, as signing in and `/mat-khau` make it: let in by the
    /// throttle (counted as under way before bcrypt runs), checked off the event loop (bcrypt takes a quarter of a
    /// second on purpose; an unknown name costs the same, against a dummy hash), and closed as a failure unless it
    /// opens an account that may sign in.
    /// `deviceCookie`: the request's `KnownDevices` cookie; a browser that signed in with the account before is
    /// counted apart.
    func checkPassword(_ password: String, of name: String, from address: String, deviceCookie: String?) async throws -> PasswordCheck {
        // Counted per name in any letter case, as names are matched: «Ha», «HA» and «ha» share one count.
        let counted = name.lowercased()
        let account = try accounts.account(named: name)
        // A key that cannot be read leaves the browser counted as any other (the log says why: `deviceCookie(for:)`).
        let device = account.flatMap { a in
            try? devices.device(in: deviceCookie, name: a.name.lowercased(), mark: a.sessionMark, now: WebApp.unixNow())
        }
        if let wait = throttle.begin(account: counted, address: address, device: device) { return .wait(seconds: wait) }
        var opened: Account?
        defer { throttle.finish(account: counted, address: address, device: device, succeeded: opened != nil) }
        let hash = account?.passwordHash ?? dummyHash
        let matches = try await passwords.runIfActive { Bcrypt.verify(password, hash: hash) }
        if let account, matches, !account.disabled, !name.isEmpty { opened = account }
        if let account, matches, account.disabled { return .locked(account.name) }
        return .checked(opened)
    }
}
