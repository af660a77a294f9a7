import Foundation
import Synchronization
public import TiendoCore

/// The daemon's own messages (not instance records), each with a journald MESSAGE_ID.
public enum DaemonEvent: String, Sendable {
    case catchUp = "3fa0da7d929741ab89178ba6d3ee9f00"
    case definitionsLoaded = "7bf4939057a44ef49e46ebd7ae01b33f"
    case definitionRejected = "4a3cffc124104efab64e17b4e67c8cb2"
    case lifecycle = "e93a61dde3b04638b4c17cda8e687acc"
}

/// Where in the daemon's source a message comes from (journald's CODE_FILE, CODE_LINE, CODE_FUNC).
public struct CodeLocation: Sendable {
    public var file: String
    public var line: UInt
    public var function: String
    public init(file: String, line: UInt, function: String) {
        self.file = file
        self.line = line
        self.function = function
    }
}

/// Where committed records go: journald when connected, readable stderr lines otherwise. Records only: the daemon's
/// own messages go through its swift-log `Logger` (`Daemon.log`, `SinkLogHandler`) to a `LogWriter`.
public protocol RecordSink: AnyObject {
    /// Sends records that are already committed. Returns false if they could not be sent (they stay unsent).
    func emit(_ records: [Record]) -> Bool
}

/// Where `SinkLogHandler` writes the daemon's own messages: the same journal or stderr as the records.
public protocol LogWriter: AnyObject, Sendable {
    /// A daemon message with a syslog priority, optional extra fields and the code that logged it.
    func log(_ priority: Int, _ message: String, event: DaemonEvent?, fields: [(String, String)], code: CodeLocation?)
}

/// Readable lines on stderr: the fallback when no journal is connected (a terminal, CI). Text that came from
/// outside (titles, keys, field values, file names) is shown with control characters escaped (`TerminalText`).
public final class StderrSink: RecordSink, LogWriter {
    /// One line at a time on stderr, whole.
    let lock = Mutex(())
    public init() {}

    static let kindLabels: [Record.Kind: String] = [
        .started: "bắt-đầu", .transition: "chuyển", .reminder: "nhắc-hạn", .overdue: "QUÁ-HẠN", .milestoneDone: "xong-mốc",
        .completed: "hoàn-tất", .rejected: "từ-chối", .rescheduled: "đổi-hạn", .undone: "hoàn-tác",
    ]

    public func emit(_ records: [Record]) -> Bool {
        // A record's start and its catch-up come in one batch: the notices written with it are said so, not «trễ».
        let entered = Messages.entries(records)
        write(records.map { TerminalText.escaped(StderrSink.line($0, entered: entered)) + "\n" }.joined())
        return true
    }

    /// One record as a line: instant, priority, kind, instance, message, and how late in words (`trễ 3 giờ 5 phút`,
    /// `ghi khi đưa hồ sơ vào hệ thống` for a notice written with its record's entry, `Messages.entries`).
    static func line(_ r: Record, entered: [String: Int64] = [:]) -> String {
        let kind = StderrSink.kindLabels[r.kind] ?? r.kind.rawValue
        var line = "\(r.atText) <\(r.priority)> \(kind) \(r.instance ?? r.workflow): \(r.message)"
        if let late = Messages.lateness(of: r, entered: entered) { line += " (\(late))" }
        return line
    }

    public func log(_ priority: Int, _ message: String, event: DaemonEvent?, fields: [(String, String)], code: CodeLocation?) {
        write("tiendod <\(priority)> \(TerminalText.escaped(message))\n")
    }

    func write(_ s: String) {
        lock.withLock { _ in FileHandle.standardError.write(Data(s.utf8)) }
    }
}
