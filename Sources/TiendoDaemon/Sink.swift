import Foundation
public import TiendoCore

/// The daemon's own messages (not instance records), each with a journald MESSAGE_ID.
public enum DaemonEvent: String, Sendable {
    case catchUp = "3fa0da7d929741ab89178ba6d3ee9f00"
    case definitionsLoaded = "7bf4939057a44ef49e46ebd7ae01b33f"
    case definitionRejected = "4a3cffc124104efab64e17b4e67c8cb2"
    case lifecycle = "e93a61dde3b04638b4c17cda8e687acc"
}

/// Where records and daemon messages go: journald when connected, readable stderr lines otherwise.
public protocol RecordSink: AnyObject {
    /// Sends records that are already committed. Returns false if they could not be sent (they stay unsent).
    func emit(_ records: [Record]) -> Bool
    /// A daemon message with a syslog priority and optional extra fields.
    func log(_ priority: Int, _ message: String, event: DaemonEvent?, fields: [(String, String)])
}

extension RecordSink {
    public func log(_ priority: Int, _ message: String) { log(priority, message, event: nil, fields: []) }
}

/// Readable lines on stderr: the fallback when no journal is connected (a terminal, CI).
public final class StderrSink: RecordSink, @unchecked Sendable {
    let lock = NSLock()
    public init() {}

    static let kindLabels: [Record.Kind: String] = [
        .started: "bắt-đầu", .transition: "chuyển", .reminder: "nhắc-hạn", .overdue: "QUÁ-HẠN", .milestoneDone: "xong-mốc",
        .completed: "hoàn-tất", .rejected: "từ-chối",
    ]

    public func emit(_ records: [Record]) -> Bool {
        var out = ""
        for r in records {
            out += "\(r.atText) <\(r.priority)> \(StderrSink.kindLabels[r.kind] ?? r.kind.rawValue) \(r.instance ?? r.workflow): \(r.message)"
            if let late = r.late { out += " (trễ \(late) giây)" }
            out += "\n"
        }
        write(out)
        return true
    }

    public func log(_ priority: Int, _ message: String, event: DaemonEvent?, fields: [(String, String)]) {
        write("tiendod <\(priority)> \(message)\n")
    }

    func write(_ s: String) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data(s.utf8))
    }
}
