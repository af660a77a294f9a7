import CSystemd
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The service manager's side of the daemon (libsystemd's sd-daemon): readiness, status, reload and stop
/// notifications, the watchdog and socket activation. Every call is a no-op when not started by systemd
/// (no `$NOTIFY_SOCKET`, no `$WATCHDOG_USEC`, no `$LISTEN_FDS`), so a terminal or a test run needs nothing.
public enum ServiceManager {
    /// Sends one notification (newline-separated `KEY=value` assignments). sd_notifyf is variadic, which Swift
    /// cannot call, so the text is formatted here and sent with sd_notify.
    @discardableResult
    public static func notify(_ assignments: [String]) -> Bool {
        sd_notify(0, assignments.joined(separator: "\n")) > 0
    }

    /// `STATUS=` must stay one line: a newline would start another assignment.
    static func statusAssignment(_ status: String) -> String {
        "STATUS=" + status.replacingOccurrences(of: "\n", with: " ")
    }

    /// `READY=1` (and the status line, when given): definitions, state and socket are ready. Then waits (at most
    /// 5 s) until the manager has processed it (`sd_notify_barrier`): what the daemon answers afterwards comes from
    /// a service the manager counts as started, not one `systemctl is-active` still calls activating.
    public static func ready(status: String = "") {
        if notify(status.isEmpty ? ["READY=1"] : ["READY=1", statusAssignment(status)]) {
            _ = sd_notify_barrier(0, 5_000_000)
        }
    }

    /// `STATUS=`: the short Vietnamese summary `systemctl status` shows.
    public static func status(_ status: String) { notify([statusAssignment(status)]) }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (systemd ≥ 253 requires it for Type=notify-reload; 252 ignores it).
    public static func reloading(status: String = "Đang nạp lại định nghĩa quy trình…") {
        notify(["RELOADING=1", "MONOTONIC_USEC=\(monotonicMicroseconds())", statusAssignment(status)])
    }

    /// `STOPPING=1`: the daemon is shutting down gracefully.
    public static func stopping() { notify(["STOPPING=1", statusAssignment("Đang dừng…")]) }

    /// `WATCHDOG=1`: the scheduling loop is alive.
    public static func watchdog() { notify(["WATCHDOG=1"]) }

    /// Half of `$WATCHDOG_USEC` in seconds when the service manager expects keep-alive pings, else nil.
    public static func watchdogInterval() -> Double? {
        var usec: UInt = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return Double(usec) / 2_000_000
    }

    static func monotonicMicroseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }

    /// The hooks the event loop calls, wired to sd_notify.
    public static func hooks() -> LifecycleHooks {
        var h = LifecycleHooks()
        h.ready = { ServiceManager.ready(status: $0) }
        h.status = { ServiceManager.status($0) }
        h.reloading = { ServiceManager.reloading() }
        h.stopping = { ServiceManager.stopping() }
        h.watchdog = { ServiceManager.watchdog() }
        h.watchdogInterval = watchdogInterval()
        return h
    }

    /// The listening socket passed by socket activation under `name` (`FileDescriptorName=`), via
    /// sd_listen_fds_with_names. A single socket without a name (`unknown`) is taken too, so
    /// `systemd-socket-activate` without `--fdname` works. The variables are unset so children do not inherit them.
    /// Returns nil when nothing usable was passed; the reasons go to `log`.
    public static func listeningSocket(named name: String, log: (String) -> Void = { _ in }) -> Int32? {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let n = sd_listen_fds_with_names(1, &names)
        if n < 0 {
            log("sd_listen_fds_with_names: \(String(cString: strerror(-n)))")
            return nil
        }
        guard n > 0 else { return nil }
        var fdNames: [String] = []
        if let names {
            for i in 0..<Int(n) {
                fdNames.append(names[i].map { String(cString: $0) } ?? "unknown")
                free(names[i])
            }
            free(names)
        }
        let first = Int32(TIENDO_SD_LISTEN_FDS_START)
        var chosen: Int32?
        for (i, fdName) in fdNames.enumerated() where fdName == name {
            chosen = first + Int32(i)
            break
        }
        if chosen == nil, n == 1, fdNames.first == "unknown" { chosen = first }
        guard let fd = chosen else {
            log("systemd trao \(n) socket (\(fdNames.joined(separator: ", "))) nhưng không có socket tên '\(name)'")
            return nil
        }
        guard sd_is_socket(fd, AF_UNIX, Int32(SOCK_STREAM.rawValue), 1) > 0 else {
            log("socket '\(name)' (fd \(fd)) do systemd trao không phải socket Unix dạng stream đang lắng nghe")
            return nil
        }
        // Sockets passed but not used would stay open for nothing.
        for i in 0..<Int32(n) where first + i != fd { close(first + i) }
        return fd
    }

    /// Raises the open-file soft limit to the hard limit (systemd keeps the soft limit at 1024 for select()
    /// users; this daemon uses poll only). Returns the new soft limit.
    @discardableResult
    public static func raiseOpenFileLimit() -> UInt64 {
        var rl = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl) == 0 else { return 0 }
        if rl.rlim_cur < rl.rlim_max {
            var raised = rl
            raised.rlim_cur = rl.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(rl.rlim_cur)
    }
}
