import Foundation
import Logging
import TiendoCore

/// tiendo-web's log lines, on stderr. Under systemd (stderr is the journal's stream) each line begins with its syslog
/// priority, `<3>` for an error, which journald files as the entry's PRIORITY: through swift-log's stream handler every
/// line, errors included, was filed at info, so `journalctl -p warning` never showed a web failure, and carried a
/// second, UTC, time (package audit, 07/12/2026). Elsewhere (a terminal, `make run`, the tests) swift-log's own lines.
struct WebLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    let label: String

    /// The handler for `label`: this one when stderr is the journal, else swift-log's stream handler on stderr.
    static func make(_ label: String) -> any LogHandler {
        JournalStream.isJournal(STDERR_FILENO) ? WebLogHandler(label: label) : StreamLogHandler.standardError(label: label)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The syslog priority of a level (RFC 5424: 3 error, 4 warning, 5 notice, 6 info, 7 debug).
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: 2
        case .error: 3
        case .warning: 4
        case .notice: 5
        case .info: 6
        case .debug, .trace: 7
        }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let fields = all.isEmpty ? "" : all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + " "
        // One entry per line: a message with a line break would otherwise start an entry at info.
        let text = "\(event.message)".split(whereSeparator: \.isNewline).joined(separator: " ")
        FileHandle.standardError.write(Data("<\(WebLogHandler.priority(event.level))>\(label): \(fields)\(text)\n".utf8))
    }
}
