public import Logging

/// The daemon's one logging path: a swift-log handler over its `LogWriter`, journald entries (metadata as sanitised journal fields, the
/// call site as CODE_FILE/CODE_LINE/CODE_FUNC, a `message_id` metadata value of a known daemon event as
/// MESSAGE_ID) or readable stderr lines, whichever the daemon chose at start.
public struct SinkLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    let writer: any LogWriter

    public init(writer: any LogWriter) { self.writer = writer }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// swift-log levels as syslog priorities.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// A syslog priority as a swift-log level (7 → debug … 0–2 → critical).
    public static func level(_ priority: Int) -> Logger.Level {
        switch priority {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        var daemonEvent: DaemonEvent?
        var fields: [(String, String)] = []
        for key in all.keys.sorted() {
            let value = "\(all[key]!)"
            if JournalSink.fieldName(key) == "MESSAGE_ID", let e = DaemonEvent(rawValue: value) {
                daemonEvent = e
            } else {
                fields.append((key, value))  // the journal sink sanitises the names
            }
        }
        writer.log(
            SinkLogHandler.priority(event.level), "\(event.message)", event: daemonEvent, fields: fields,
            code: CodeLocation(file: event.file, line: event.line, function: event.function))
    }
}

extension Logger.Metadata {
    /// A known daemon event (journald MESSAGE_ID) and extra journal fields, as the metadata of one message.
    public static func event(_ event: DaemonEvent, _ fields: [(String, String)] = []) -> Logger.Metadata {
        var m: Logger.Metadata = ["message_id": "\(event.rawValue)"]
        for (k, v) in fields { m[k] = "\(v)" }
        return m
    }
}
