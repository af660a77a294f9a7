/// What one local user can take from the control socket. Peers that may change things (root, the daemon's uid,
/// `tiendo-admin`: `PeerAuthority`) are trusted and only bounded by the totals; every other uid is bounded on its own,
/// so that one member of group `tiendo` cannot lock out the others, the administrators, or the daemon's memory.
///
/// Memory bound (stated in README "Limits"): per connection at most one message being received (≤ `maxMessage`)
/// plus, for an unprivileged uid, `perUIDOutput` of queued replies and records across its connections plus the
/// replies of its `perUIDInFlight` requests being answered; a Watch stream holds at most `watchBacklog`.
public struct ServerLimits: Sendable {
    /// The contract's cap on one message (interfaces §5).
    public var maxMessage = 8 * 1024 * 1024
    /// All connections; lowered to fit the open-file limit.
    public var maxConnections = 4096
    /// Connections only trusted peers may take once the rest are in use.
    public var reservedForAdmins = 128
    /// Connections of one unprivileged uid (a web front end or a script needs a handful).
    public var perUIDConnections = 128
    /// Requests of one unprivileged uid being answered at once; its further requests wait in the kernel's buffer.
    public var perUIDInFlight = 2
    /// Queued output of one unprivileged uid; over it, its connections get no new request answered until it drains,
    /// and its Watch streams are dropped.
    public var perUIDOutput = 64 * 1024 * 1024
    /// Records queued for one Watch stream that does not read; past it the stream is dropped.
    public var watchBacklog = 4 * 1024 * 1024
    /// A message must be complete this long after its first byte arrived (a client trickling bytes is dropped).
    public var messageDeadline = 30.0
    /// Output that makes no progress for this long drops the connection (a client that never reads its replies).
    public var writeStallTimeout = 30.0
    /// Longest pause of `accept` after the file table was full (EMFILE/ENFILE); it starts at 50 ms and doubles.
    public var maxAcceptPause = 2.0

    public init() {}

    /// Descriptors kept for what tiendod opens itself, at the least: SQLite's writer, its 6 readers and the WAL
    /// checkpointer (two or three each, all opened at start), a status file being replaced, the workflow files on
    /// reload, journald, libdispatch's event loop, the daemon's own sockets — about 40 at the most.
    public static let ownDescriptors: UInt64 = 64
    /// Below this open-file limit tiendod refuses to start: its own descriptors plus 32 connections.
    public static let minimumOpenFiles: UInt64 = ownDescriptors + 32

    /// These limits with `maxConnections` lowered so that connections never take the descriptors the daemon needs
    /// for itself: a quarter of the limit, at least `ownDescriptors` and at most 256 (so that a higher limit never
    /// allows fewer connections). A full connection table refuses connections instead of starving the daemon.
    public func fitted(toOpenFileLimit limit: UInt64) -> ServerLimits {
        var l = self
        let kept = min(256, max(Self.ownDescriptors, limit / 4))
        let room = limit > kept ? Int(min(limit - kept, UInt64(Int32.max))) : 0
        l.maxConnections = min(maxConnections, room)
        l.reservedForAdmins = min(reservedForAdmins, l.maxConnections / 4)
        return l
    }
}

/// What one unprivileged uid currently holds.
struct PeerAccount {
    var connections = 0
    var inFlight = 0
    var output = 0
}
