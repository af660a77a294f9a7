import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Makes libdispatch's event loop while descriptors are free, so that a full file table later cannot crash tiendod.
///
/// libdispatch on Linux creates its epoll descriptor and eventfd the first time something needs its event loop, and
/// traps (SIGILL, `DISPATCH_INTERNAL_CRASH` in `_dispatch_epoll_init`) when it cannot. tiendod itself runs no dispatch
/// queue work, so that first time came late and at the worst moment: a reader connection GRDB could not open for lack
/// of descriptors is released, the destructors of its queue's specific values run on a pool worker, and the pool's
/// first worker registers libdispatch's pool monitor with the event loop — in a file table that is full. A read source
/// on a pipe, on a private (overcommit) queue, is registered by libdispatch's manager thread, which is not a monitored
/// pool worker: the event loop is made now, no periodic monitor starts (an idle daemon must not wake), and the
/// source is cancelled at once. Later, a full file table only costs the monitor its timer (`timerfd_create` failing
/// is tolerated by libdispatch).
public enum DispatchEventLoop {
    /// Throws when the event loop could not be made (no descriptor for the pipe).
    public static func prepare() throws(DispatchEventLoopError) {
        var ends: [Int32] = [-1, -1]
        // Closed before this returns; tiendod starts no programs, so close-on-exec does not matter.
        guard pipe(&ends) == 0 else { throw DispatchEventLoopError(errno: errno) }
        let queue = DispatchQueue(label: "tiendod.dispatch-preparation")
        let source = DispatchSource.makeReadSource(fileDescriptor: ends[0], queue: queue)
        // Cancelled once registered (registration is what makes the event loop), and waited for until cancelled.
        let registered = DispatchSemaphore(value: 0)
        let cancelled = DispatchSemaphore(value: 0)
        source.setEventHandler {}
        source.setRegistrationHandler { registered.signal() }
        source.setCancelHandler { cancelled.signal() }
        source.resume()
        registered.wait()
        source.cancel()
        cancelled.wait()
        close(ends[0])
        close(ends[1])
    }
}

public struct DispatchEventLoopError: Error, CustomStringConvertible {
    public let errno: Int32
    public var description: String { String(cString: strerror(errno)) }
}
