import CSystemd
import Foundation
public import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

extension Record.Kind {
    /// The journald MESSAGE_ID of each record kind (interfaces §6); `tiendo.catalog` explains each.
    public var messageID: String {
        switch self {
        case .started: "7fc65e76f4bd48da9f9cc041a9703815"
        case .transition: "191c025266eb4042a81d0aa1723e4566"
        case .reminder: "c2cc632f530944469689268137a570f1"
        case .overdue: "1d773565e2744a6398541be00857352e"
        case .milestoneDone: "9abb45fca86e484c91fc8a743361b03d"
        case .completed: "349c50abd7d443f68be5859b0e1b7717"
        case .rejected: "02b4e58797ec42688fb4af34549a35fb"
        case .rescheduled: "0ace3b42fda54bef90841aaef0545938"
        // An extension (README "Extensions to the contract"): the contract names eight kinds.
        case .undone: "030a1f5194ed41f29d7d528f2eda1b6c"
        }
    }
}

/// Structured entries straight to journald with sd_journal_sendv: records with their MESSAGE_ID and `TIENDO_*`
/// fields (interfaces §6), daemon messages with their MESSAGE_ID, extra fields and CODE_FILE/CODE_LINE/CODE_FUNC.
/// Stateless: sd_journal_sendv is safe to call from any thread.
public final class JournalSink: RecordSink, LogWriter {
    public static let identifier = "tiendod"
    /// Field names the sink sets itself; extra fields may not override them.
    static let reserved: Set<String> = ["MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC"]

    public init() {}

    /// When stderr is the journal's stream (`JournalStream`), the journal is the right place for structured entries.
    /// Otherwise (a terminal, a pipe, CI) readable stderr lines are.
    public static func stderrIsJournal() -> Bool { JournalStream.isJournal(STDERR_FILENO) }

    /// A journald field name from any key: upper-case A–Z, digits and `_`, not starting with `_` (trusted fields)
    /// or a digit, at most 64 characters; nil when nothing is left.
    public static func fieldName(_ key: String) -> String? {
        var out = ""
        for u in key.uppercased().unicodeScalars {
            switch u {
            case "A"..."Z", "0"..."9": out.unicodeScalars.append(u)
            default: if !out.isEmpty && !out.hasSuffix("_") { out.append("_") }
            }
        }
        while out.hasSuffix("_") { out.removeLast() }
        guard let first = out.unicodeScalars.first else { return nil }
        if ("0"..."9").contains(first) { out = "F_" + out }
        return String(out.prefix(64))
    }

    /// The journal fields of one record, in contract order, only those that apply.
    public static func fields(of r: Record) -> [(String, String)] {
        var f: [(String, String)] = [
            ("MESSAGE", r.message), ("PRIORITY", String(r.priority)), ("SYSLOG_IDENTIFIER", identifier),
            ("MESSAGE_ID", r.kind.messageID), ("TIENDO_KIND", r.kind.rawValue), ("TIENDO_WORKFLOW", r.workflow),
        ]
        let optional: [(String, String?)] = [
            ("TIENDO_INSTANCE", r.instance), ("TIENDO_STATE", r.state), ("TIENDO_FROM", r.from), ("TIENDO_TO", r.to),
            ("TIENDO_EVENT", r.event), ("TIENDO_MILESTONE", r.milestone), ("TIENDO_OCCURRENCE", r.occurrence),
            ("TIENDO_DUE", r.due), ("TIENDO_PREVIOUS_DUE", r.previousDue), ("TIENDO_DAYS_LEFT", r.daysLeft.map(String.init)),
            ("TIENDO_MISSED", r.missed.map(String.init)), ("TIENDO_LATE_SEC", r.late.map(String.init)),
            ("TIENDO_PROVISIONAL", r.provisional ? "1" : nil), ("TIENDO_DUE_CERTAIN", r.provisional && r.dueCertain ? "1" : nil),
            ("TIENDO_GROUP", r.group),
            ("TIENDO_ACTOR_UID", r.actor.map(String.init)),
            ("TIENDO_ACTOR_NAME", r.actorName),
        ]
        for case let (k, v?) in optional { f.append((k, v)) }
        return f
    }

    /// The journal fields of one daemon message.
    public static func fields(
        priority: Int, message: String, event: DaemonEvent?, extra: [(String, String)], code: CodeLocation?
    ) -> [(String, String)] {
        var f: [(String, String)] = [
            ("MESSAGE", message), ("PRIORITY", String(min(max(priority, 0), 7))), ("SYSLOG_IDENTIFIER", identifier),
        ]
        if let event { f.append(("MESSAGE_ID", event.rawValue)) }
        for (k, v) in extra {
            guard let name = fieldName(k), !reserved.contains(name) else { continue }
            f.append((name, v))
        }
        if let code {
            f += [("CODE_FILE", code.file), ("CODE_LINE", String(code.line)), ("CODE_FUNC", code.function)]
        }
        return f
    }

    /// Sends one entry; returns 0 or a negative errno.
    @discardableResult
    public static func send(_ fields: [(String, String)]) -> Int32 {
        // One buffer for all `FIELD=value` strings; values may hold newlines (sd_journal_sendv frames them).
        var bytes: [UInt8] = []
        var spans: [(Int, Int)] = []
        for (k, v) in fields {
            let start = bytes.count
            bytes += k.utf8
            bytes.append(UInt8(ascii: "="))
            bytes += v.utf8
            spans.append((start, bytes.count - start))
        }
        return bytes.withUnsafeMutableBytes { raw in
            let vecs = spans.map { iovec(iov_base: raw.baseAddress! + $0.0, iov_len: $0.1) }
            return vecs.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
    }

    public func emit(_ records: [Record]) -> Bool {
        for r in records {
            let rc = JournalSink.send(JournalSink.fields(of: r))
            if rc < 0 {
                // The records stay in the outbox; the loop tries again within seconds and sends them in order.
                FileHandle.standardError.write(
                    Data("tiendod <3> không gửi được bản ghi vào journal: \(ErrnoText.describe(-rc))\n".utf8))
                return false
            }
        }
        return true
    }

    public func log(_ priority: Int, _ message: String, event: DaemonEvent?, fields: [(String, String)], code: CodeLocation?) {
        let f = JournalSink.fields(priority: priority, message: message, event: event, extra: fields, code: code)
        if JournalSink.send(f) < 0 {
            FileHandle.standardError.write(Data("<\(min(max(priority, 0), 7))>\(TerminalText.escaped(message))\n".utf8))
        }
    }
}
