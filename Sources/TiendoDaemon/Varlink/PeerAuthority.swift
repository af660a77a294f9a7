import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Who may change things (interfaces §5): root, the daemon's own uid, or a member of group `tiendo-admin`
/// (primary, listed in the group, or a supplementary group of the calling process). The control service asks it
/// before every mutation; the server asks it once per connection to keep capacity for these peers.
struct PeerAuthority: Sendable {
    let ownUID = getuid()
    let adminGID: gid_t? = getgrnam("tiendo-admin").map { $0.pointee.gr_gid }
    /// The delivery sender's user (`tiendo-deliver`; `$TIENDO_DELIVER_USER` names another, for tests).
    let senderUID: uid_t? = getpwnam(ProcessInfo.processInfo.environment["TIENDO_DELIVER_USER"] ?? "tiendo-deliver").map {
        $0.pointee.pw_uid
    }

    /// Who may work the delivery queue (`vn.tiendo.Delivery` Claim, Report, Release, NextDue): root and the sender.
    func isSender(_ peer: Peer) -> Bool { peer.uid == 0 || peer.uid == senderUID }

    func isAdmin(_ peer: Peer) -> Bool {
        if peer.uid == 0 || peer.uid == ownUID { return true }
        guard let admin = adminGID else { return false }
        if peer.gid == admin { return true }
        if let pw = getpwuid(peer.uid), let gr = getgrgid(admin) {
            let name = String(cString: pw.pointee.pw_name)
            var p = gr.pointee.gr_mem
            while let m = p?.pointee {
                if String(cString: m) == name { return true }
                p = p?.advanced(by: 1)
            }
        }
        // Supplementary groups of the calling process.
        if let status = try? String(contentsOfFile: "/proc/\(peer.pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Groups:") })
        {
            return line.dropFirst(7).split(separator: " ").contains { UInt32($0) == admin }
        }
        return false
    }
}
