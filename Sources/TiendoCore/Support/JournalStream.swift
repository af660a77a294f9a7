import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// systemd's convention: `$JOURNAL_STREAM` is `DEVICE:INODE` of the stream the service manager connected to journald
/// (a service's stdout and stderr). Whether a file descriptor is that stream: then what is written there goes to the
/// journal, and a line may begin with `<N>`, its syslog priority (`SyslogLevelPrefix=`, on by default).
public enum JournalStream {
    public static func isJournal(_ fd: Int32) -> Bool {
        isJournal(fd, journalStream: ProcessInfo.processInfo.environment["JOURNAL_STREAM"])
    }

    public static func isJournal(_ fd: Int32, journalStream: String?) -> Bool {
        guard let value = journalStream else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return false }
        return UInt64(st.st_dev) == dev && UInt64(st.st_ino) == ino
    }
}
