import ArgumentParser
import Foundation
import TiendoCore
import TiendoVarlink

/// Output helpers: aligned tables, colour only on a terminal, one-line failures.
///
/// Every line of human output goes through `say` (or `table`, or `printErr`/`fail` on stderr), which show the
/// control characters of text from outside escaped (`TerminalText`) before adding colours of their own.
enum Output {
    static let isTTY: Bool = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

    static func red(_ s: String) -> String { isTTY ? "\u{1B}[31m" + s + "\u{1B}[0m" : s }
    static func yellow(_ s: String) -> String { isTTY ? "\u{1B}[33m" + s + "\u{1B}[0m" : s }
    static func bold(_ s: String) -> String { isTTY ? "\u{1B}[1m" + s + "\u{1B}[0m" : s }
    static func dim(_ s: String) -> String { isTTY ? "\u{1B}[2m" + s + "\u{1B}[0m" : s }

    /// Prints one line of human output: `text` with its control characters escaped, then `style` (a colour).
    static func say(_ text: String = "", _ style: ((String) -> String)? = nil) {
        let safe = TerminalText.escaped(text)
        print(style.map { $0(safe) } ?? safe)
    }

    /// Prints rows aligned on columns; `colour` may wrap a whole row (applied after padding). Cells are escaped
    /// before they are measured; a one-cell row (a group heading) is printed as it is and does not widen the first
    /// column.
    static func table(
        _ header: [String], _ rows: [[String]], colour: [((String) -> String)?] = [],
        headerStyle: (String) -> String = bold
    ) {
        let rows = rows.map { $0.map(TerminalText.escaped) }
        let widths = header.indices.map { c in
            max(header[c].count, rows.filter { $0.count > 1 }.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0)
        }
        func line(_ cells: [String]) -> String {
            if cells.count == 1 { return cells[0] }
            return cells.enumerated().map { i, s in
                i == cells.count - 1 ? s : s + String(repeating: " ", count: max(0, widths[i] - s.count))
            }.joined(separator: "  ").trailingSpacesRemoved
        }
        print(headerStyle(line(header)))
        for (i, r) in rows.enumerated() {
            let text = line(r)
            if i < colour.count, let f = colour[i] { print(f(text)) } else { print(text) }
        }
    }

    static func printJSON(_ value: JSON) {
        print(value.serialized(pretty: true))
    }

    static func kindLabel(_ kind: String) -> String {
        switch kind {
        case "started": return "bắt đầu"
        case "transition": return "chuyển trạng thái"
        case "reminder": return "nhắc hạn"
        case "overdue": return "quá hạn"
        case "milestone-done": return "xong mốc"
        case "completed": return "hoàn tất"
        case "rejected": return "từ chối"
        case "rescheduled": return "đổi hạn"
        case "undone": return "hoàn tác"
        default: return kind
        }
    }

    /// `dd/mm/yyyy HH:MM` of a record instant in its own offset.
    static func human(_ r: Record) -> String {
        let iso = r.atText  // YYYY-MM-DDTHH:MM:SS+hh:mm
        let d = CivilDate.parse(iso.prefix(10))?.vietnamese ?? String(iso.prefix(10))
        return d + " " + String(iso.dropFirst(11).prefix(5))
    }

    static func humanDue(_ due: String?) -> String {
        guard let due else { return "" }
        if let d = CivilDate.parse(due) { return d.vietnamese }
        if due.count >= 16, let d = CivilDate.parse(due.prefix(10)) { return d.vietnamese + " " + String(due.dropFirst(11).prefix(5)) }
        return due
    }

    /// ` (dự kiến)` after a record's instant when the engine computed it through a projected year (format §10
    /// "Calendar status", rules 5–6): a provisional reminder, overdue notice, timed transition or completion; an
    /// operator's `at` never is. `history` and `watch` mark alike.
    static func instantMark(provisional: Bool, kind: String) -> String {
        provisional && ["reminder", "overdue", "transition", "completed"].contains(kind) ? Messages.provisionalMark : ""
    }

    /// Records as a table (or JSON): at, kind, instance (unless `showInstance` is false: `history` of one instance),
    /// state or milestone (`M@LABEL` for an occurrence), due, how late, message; ` (dự kiến)` after every
    /// provisional date or instant.
    static func printRecords(_ records: [Record], json: Bool, lines: Bool = false, showInstance: Bool = true) {
        if json {
            if lines {
                for r in records { print(r.json.serialized()) }
            } else {
                printJSON(.array(records.map(\.json)))
            }
            return
        }
        let showActor = records.contains { $0.actor != nil }
        // The records written with a record's entry (a back-dated record's catch-up) were nobody's lateness, as the
        // web's history says.
        let entered = Messages.entries(records)
        let rows = records.map { r -> [String] in
            let subject = r.milestone.map { m in r.occurrence.map { "\(m)@\($0)" } ?? m } ?? r.state ?? ""
            var row = [
                human(r) + instantMark(provisional: r.provisional, kind: r.kind.rawValue), kindLabel(r.kind.rawValue),
                r.instance ?? r.workflow,
                subject, humanDue(r.due) + (r.dueProvisional && r.due != nil ? Messages.provisionalMark : ""),
                Messages.lateness(of: r, entered: entered) ?? "", r.message,
            ]
            if !showInstance { row.remove(at: 2) }
            // Who did it (operator actions): the person a front end acted for (`actorName`), else the uid.
            if showActor { row.insert(r.actorName ?? r.actor.map(userName) ?? "", at: row.count - 1) }
            return row
        }
        let colours: [((String) -> String)?] = records.map { r -> ((String) -> String)? in
            if r.priority <= 3 || r.kind == .overdue { return Output.red }
            if r.priority == 4 { return Output.yellow }
            return nil
        }
        var header = ["Thời điểm", "Loại", "Hồ sơ", "Trạng thái/Mốc", "Hạn", "Ghi muộn", "Nội dung"]
        if !showInstance { header.remove(at: 2) }
        if showActor { header.insert("Người thực hiện", at: header.count - 1) }
        table(header, rows, colour: colours)
    }
}

extension String {
    /// Without the padding a table leaves after its last non-empty cell.
    var trailingSpacesRemoved: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// Prints a one-line reason on stderr; the caller throws `ExitCode.failure`.
func fail(_ message: String) -> ExitCode {
    printErr("tiendoctl: " + message)
    return ExitCode.failure
}

/// A wrong use of an option (a value out of range, `--where` without `=`): said as `fail` says it, with the exit
/// status of the argument parser's own refusals (64), so that a script tells a mistyped command from one that ran
/// and failed.
func usage(_ message: String) -> ExitCode {
    printErr("tiendoctl: " + message)
    return ExitCode.validationFailure
}

/// The whole of a file a command was given, or a failure that says why it could not be read («không có tệp
/// hoặc thư mục này», «là một thư mục», «không có quyền»): `what` names it («tệp sự kiện»).
func readWhole(_ file: String, what: String = "tệp") throws -> Data {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
        throw fail("không đọc được \(what) '\(file)': \(errnoText(EISDIR))")
    }
    let probe = open(file, O_RDONLY)
    if probe < 0 { throw fail("không đọc được \(what) '\(file)': \(errnoText(errno))") }
    close(probe)
    guard let contents = FileManager.default.contents(atPath: file) else { throw fail("không đọc được \(what) '\(file)'") }
    return contents
}

/// One line on stderr, its control characters escaped like `Output.say`'s.
func printErr(_ line: String) {
    FileHandle.standardError.write(Data((TerminalText.escaped(line) + "\n").utf8))
}

/// A uid as an operator knows it: «root (uid 0)», the bare number when this machine has no such user.
func userName(_ uid: Int) -> String {
    guard let pw = getpwuid(uid_t(uid)), let name = pw.pointee.pw_name else { return "uid \(uid)" }
    return "\(String(cString: name)) (uid \(uid))"
}
