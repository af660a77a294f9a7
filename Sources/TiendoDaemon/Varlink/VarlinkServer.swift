import CLinux
import Foundation
import Synchronization
public import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// A varlink server on a listening Unix socket: NUL-terminated JSON messages, requests of one connection answered
/// in order, every connection multiplexed on one I/O thread so a slow or malicious client cannot stall others or
/// the scheduler. `ServerLimits` bounds what each local user can hold (connections, requests, queued output) and
/// keeps capacity for administrators; a message must arrive whole within a deadline, output that nobody reads is
/// dropped, a full file table pauses `accept` instead of spinning, and repeated faults are logged at a bounded rate.
///
/// This is the handle other threads use (replies, records, stream output go into `mailbox`, then a wake-up);
/// the connections belong to the I/O thread's `ServerIO`, which no other thread can reach. The descriptors are
/// plain numbers: any thread writes `wakeFD`, only the I/O thread reads it and the listening socket.
public final class VarlinkServer: Sendable {
    public let limits: ServerLimits
    let listenFD: Int32
    let handler: any VarlinkHandler
    let log: @Sendable (Int, String) -> Void
    let authority = PeerAuthority()
    let wakeFD: Int32
    /// What other threads hand to the I/O thread.
    private let mailbox = Mutex(Mailbox())

    struct Mailbox {
        var completions: [(Int, VarlinkReply)] = []
        var broadcasts: [[UInt8]] = []
        /// Replies of `VarlinkStream`s, by connection id.
        var pushes: [(Int, [UInt8])] = []
        /// First bytes of replies sent in parts (`Dispatch.deferredInParts`), by connection id, in order.
        var parts: [(Int, [UInt8])] = []
        /// Connections in Watch (kept by the I/O thread), so `broadcast` costs nothing when nobody watches.
        var watchers = 0
    }

    public init(
        listenFD: Int32, handler: any VarlinkHandler, limits: ServerLimits = ServerLimits(),
        log: @escaping @Sendable (Int, String) -> Void
    ) {
        self.listenFD = listenFD
        self.handler = handler
        self.limits = limits
        self.log = log
        wakeFD = tiendo_eventfd()
        let flags = fcntl(listenFD, F_GETFL)
        _ = fcntl(listenFD, F_SETFL, flags | O_NONBLOCK)
    }

    /// Starts the I/O thread; its state is made on it and never leaves it.
    public func start() {
        let t = Thread { [self] in ServerIO(server: self).run() }
        t.name = "varlink"
        t.stackSize = 1 << 20
        t.start()
    }

    /// Sends records to every `Watch` stream (any thread); free when nobody watches.
    public func broadcast(_ records: [Record]) {
        guard !records.isEmpty, mailbox.withLock({ $0.watchers > 0 }) else { return }
        let encoded = records.map { VarlinkReply(parameters: .object([("record", $0.json)]), error: nil, continues: true).bytes }
        mailbox.withLock { $0.broadcasts.append(contentsOf: encoded) }
        wake()
    }

    func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    func push(_ connectionID: Int, _ bytes: [UInt8]) {
        mailbox.withLock { $0.pushes.append((connectionID, bytes)) }
        wake()
    }

    func part(_ connectionID: Int, _ bytes: [UInt8]) {
        mailbox.withLock { $0.parts.append((connectionID, bytes)) }
        wake()
    }

    func complete(_ connectionID: Int, _ reply: VarlinkReply) {
        mailbox.withLock { $0.completions.append((connectionID, reply)) }
        wake()
    }

    /// Empties the mailbox (I/O thread).
    func takeMail() -> Mailbox {
        mailbox.withLock { m in
            defer { m = Mailbox(watchers: m.watchers) }
            return m
        }
    }

    /// Counts a Watch stream that started (+1) or ended (-1) (I/O thread).
    func watchers(_ change: Int) { mailbox.withLock { $0.watchers += change } }
}
