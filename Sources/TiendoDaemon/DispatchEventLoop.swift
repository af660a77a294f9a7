import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Makes libdispatch's event loop while descriptors are free, so that a full file table later cannot crash tiendod.
///
/// libdispatch on Linux creates its epoll descriptor and eventfd the first time something needs its event loop, and
/// traps (SIGILL, `DISPATCH_INTERNAL_CRASH` in `_dispatch_epoll_init`) when it cannot. tiendod runs no dispatch queue
/// work of its own, so that first time came late and at the worst moment: a reader connection GRDB could not open
/// for lack of descriptors was released, the destructors of its queue's specific values ran on a pool worker, and
/// the pool's first worker registered libdispatch's pool monitor with the event loop — in a full file table. The
/// daemon now opens every reader with the store and never releases one (`ReaderConnections`), which removes that path
/// (the monitor itself also needs a descriptor each time it looks at its workers); this makes the event loop for
/// anything else that would first need it late. A read source on a pipe, on a private serial queue (which targets
/// an overcommit root queue), goes to libdispatch's manager queue: `resume` makes the event loop on this thread,
/// the manager thread registers the pipe, and no monitored pool worker starts, so no periodic monitor wakes an idle
/// daemon. The source is cancelled once registered.
public enum DispatchEventLoop {
    /// Throws when the event loop could not be made (no descriptor for the pipe).
    public static func prepare() throws(DispatchEventLoopError) {
        var ends: [Int32] = [-1, -1]
        // Closed before this returns; tiendod starts no programs, so close-on-exec does not matter.
        guard pipe(&ends) == 0 else { throw DispatchEventLoopError(errno: errno) }
        let queue = DispatchQueue(label: "tiendod.dispatch-preparation")
        let source = DispatchSource.makeReadSource(fileDescriptor: ends[0], queue: queue)
        // Cancelled once the manager thread has registered it, and waited for until cancelled.
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
