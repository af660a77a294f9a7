import ArgumentParser
import Foundation
import TiendoCore
import TiendoSheets
import TiendoVarlink

// The online commands: each one is a call (or a few) on tiendod's varlink socket `vn.tiendo.Manager`.

// MARK: Formatting

enum Fmt {
    /// `1.083`: Vietnamese thousands separator.
    static func count(_ n: Int) -> String { Messages.count(n) }

    /// `YYYY-MM-DD` → `dd/mm/yyyy`; an ISO instant → `dd/mm/yyyy HH:MM` (in its own offset).
    static func date(_ text: String?) -> String { Output.humanDue(text) }

    /// Interfaces §3: `còn 3 ngày`, `hôm nay`, `quá hạn` (an instant due passed today), `quá 2 ngày`.
    static func days(_ left: Int, overdue: Bool) -> String {
        if left > 0 { return "còn \(left) ngày" }
        if left == 0 { return overdue ? "quá hạn" : "hôm nay" }
        return "quá \(-left) ngày"
    }

    static func days(_ item: Manager.DueItem) -> String { days(item.daysLeft, overdue: item.overdue) }

    /// A due for people: `dd/mm/yyyy` (with `HH:MM` for an instant due), then ` (dự kiến)` when provisional.
    static func due(_ text: String?, provisional: Bool?) -> String {
        date(text) + (provisional == true && text?.isEmpty == false ? Messages.provisionalMark : "")
    }

    static func due(_ item: Manager.DueItem) -> String { due(item.due, provisional: item.provisional) }

    /// An item's title, with `@LABEL` for an occurrence of a recurring milestone.
    /// What is due, a period as people write it: «Đóng đảng phí tháng kỳ 10/2026» (as records and the web say it).
    static func title(_ item: Manager.DueItem) -> String { Messages.deadlineTitle(item.title, occurrence: item.occurrence, due: item.due) }

    /// What an item belongs to (`show`): `trạng thái S`, the milestone id, or `M@LABEL`.
    static func owner(_ item: Manager.DueItem) -> String {
        guard let m = item.milestone else { return item.state.map { "trạng thái \($0)" } ?? "" }
        return item.occurrence.map { "\(m)@\($0)" } ?? m
    }

    /// A data value for people: dates as dd/mm/yyyy, booleans as có/không.
    static func value(_ v: JSON) -> String {
        switch v {
        case .null: return "—"
        case .bool(let b): return b ? "có" : "không"
        case .int(let i): return String(i)
        case .double: return v.serialized()
        case .string(let s):
            if s.count == 10, CivilDate.parse(s) != nil { return date(s) }
            if s.count >= 19, CivilDate.parse(s.prefix(10)) != nil, s.dropFirst(10).first == "T" { return date(s) }
            return s
        case .array(let a): return a.map(value).joined(separator: ", ")
        case .object: return v.serialized()
        }
    }

    static func kind(_ k: Manager.RecordKind) -> String { Output.kindLabel(k.rawValue) }

    /// One line for a DueItem: `dd/mm/yyyy (còn N ngày) — title`.
    static func dueLine(_ item: Manager.DueItem) -> String {
        "\(due(item)) (\(days(item))) — \(title(item))"
    }
}

/// Prints without waiting for the buffer to fill (watch piped into another program).
func flushStdout() { fflush(nil) }

// MARK: status

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tình trạng của tiendod: phiên bản, giờ, lần thức tiếp theo và từng quy trình (lệnh mặc định).")

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try connection.run(Manager.GetStatus()) { reply in
            let s = reply.status
            var head = "tiendod \(s.version) (pid \(s.pid))"
            head += " — bây giờ \(Fmt.date(s.now))"
            if let wake = s.nextWakeup { head += ", thức tiếp lúc \(Fmt.date(wake))" }
            head += ", chạy từ \(Fmt.date(s.startedAt))"
            Output.say(head, Output.bold)
            // The daemon cannot write: nothing new is recorded or sent, and the wake-up above may be in the past.
            if let p = s.problem {
                Output.say(
                    "SỰ CỐ từ \(Fmt.date(p.since)): tiendod không ghi được vào cơ sở dữ liệu (\(p.reason)); không gửi nhắc hạn nào, thử lại mỗi 5 giây.",
                    { Output.bold(Output.red($0)) })
            }
            if let c = s.clockBehind {
                Output.say("SỰ CỐ: " + ClockAdvice.text(now: c.now, newest: c.newest), { Output.bold(Output.red($0)) })
            }
            // Records, as `list --overdue` counts them; the agenda counts tasks (a record may have several).
            var summary =
                "\(Fmt.count(s.workflows)) quy trình, \(Fmt.count(s.instances)) hồ sơ, \(Fmt.count(s.overdue)) hồ sơ có việc quá hạn"
            if let p = s.provisional, p > 0 { summary += ", \(Fmt.count(p)) hạn dự kiến" }
            Output.say(summary, redIf(s.overdue > 0))
            // Said at the top too: the list of problems comes under a table of every workflow, out of sight.
            let errors = s.diagnostics.filter(\.isError).count
            if errors > 0 {
                Output.say(
                    "Có \(Fmt.count(errors)) lỗi trong các tệp cấu hình (quy trình, lịch, định tuyến): tệp bị lỗi chưa được dùng, phiên bản tốt trước đó (nếu có) vẫn có hiệu lực; xem danh sách ở cuối.",
                    { Output.bold(Output.red($0)) })
            }
            // Email and webhook deliveries, once there are any (a daemon without vn.tiendo.Delivery says nothing).
            if let counts = try? connection.client.deliveryCounts(), !counts.channels.isEmpty {
                Output.say("Thông báo gửi đi: " + DeliveryText.summary(counts.total), redIf((counts.total["dead"] ?? 0) > 0))
            }
            let workflows = reply.workflows
            if !workflows.isEmpty {
                Output.say()
                let rows = workflows.map { w -> [String] in
                    [
                        w.id, w.title, Fmt.count(w.instances), Fmt.count(w.active), Fmt.count(w.completed), Fmt.count(w.overdue),
                        Fmt.count(w.dueSoon), Fmt.count(w.provisional ?? 0), w.nextDue.map { "\(Fmt.due($0)) (\(Fmt.days($0)))" } ?? "—",
                    ]
                }
                Output.table(
                    ["Mã", "Tên", "Hồ sơ", "Đang chạy", "Hoàn tất", "Quá hạn", "Sắp đến hạn", "Hạn dự kiến", "Hạn gần nhất"], rows,
                    colour: workflows.map { redIf($0.overdue > 0) })
            }
            if !s.diagnostics.isEmpty {
                Output.say()
                Output.say("Vấn đề trong định nghĩa (\(s.diagnostics.count)):", Output.bold)
                for d in s.diagnostics { sayDiagnostic(d) }
            }
        }
    }
}

// MARK: list

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Liệt kê hồ sơ (theo mã), lọc theo quy trình, trạng thái, giá trị trường, quá hạn.")

    @Argument(help: "Mã quy trình (mặc định: mọi quy trình).")
    var workflow: String?

    @Option(help: ArgumentHelp("Chỉ các hồ sơ ở trạng thái này.", valueName: "S"))
    var state: String?

    @Option(name: .customLong("where"), help: ArgumentHelp("Chỉ các hồ sơ có TRƯỜNG=GIÁ_TRỊ (lặp lại được).", valueName: "F=V"))
    var filters: [String] = []

    @Flag(help: "Chỉ các hồ sơ có việc quá hạn.")
    var overdue = false

    // `.unconditional`: `--limit -1` is a value (refused in words below), not a missing one.
    @Option(parsing: .unconditional, help: ArgumentHelp("Tối đa N hồ sơ (mặc định: tất cả).", valueName: "N"))
    var limit: Int?

    @OptionGroup var connection: ConnectionOptions

    static let page = 1000

    func run() throws {
        if let limit, limit < 1 { throw usage("--limit phải lớn hơn 0") }
        var wheres: [(field: String, value: String)] = []
        for f in filters {
            guard let eq = f.firstIndex(of: "="), eq != f.startIndex else { throw usage("--where '\(f)': cần TRƯỜNG=GIÁ_TRỊ") }
            wheres.append((String(f[..<eq]), String(f[f.index(after: eq)...])))
        }
        let client = try connection.connect()
        var all: [Manager.Instance] = []
        var sent: [JSON] = []  // the instances as the daemon sent them, for --json
        var next: String?
        repeat {
            let want = limit.map { min($0 - all.count, 10_000) } ?? Self.page
            let method = Manager.ListInstances(
                workflow: workflow, state: state, where: wheres, overdue: overdue ? true : nil, limit: want, after: next)
            let p = try connection.parameters(method, on: client)
            let page = try connection.read(Manager.ListInstances.self, p)
            all += page.instances
            if connection.json { sent += p["instances"]?.arrayValue ?? [] }
            next = page.next
        } while next != nil && (limit.map { all.count < $0 } ?? true)
        if all.isEmpty { try FilterCheck.list(workflow: workflow, state: state, fields: wheres.map(\.field), connection) }
        if connection.json {
            return Output.printJSON(.object([("instances", .array(sent)), ("next", next.map(JSON.string) ?? .null)]))
        }
        if all.isEmpty {
            Output.say("Không có hồ sơ nào.")
            return
        }
        // Interfaces §3: the number of overdue items, then the first item of `deadlines`, overdue or not.
        let rows = all.map { i -> [String] in
            let first = openDeadlines(i).first
            return [
                i.id, stateText(i), Fmt.date(String(i.startedAt.prefix(10))), overdueCount(i).map(Fmt.count) ?? "",
                first.map(Fmt.due) ?? "",
                first.map(Fmt.days) ?? "", first.map(Fmt.title) ?? "",
            ]
        }
        Output.table(
            ["Hồ sơ", "Trạng thái", "Bắt đầu", "Quá hạn", "Hạn", "Còn/quá", "Việc"], rows,
            colour: all.map { redIf(overdueCount($0) != nil) })
        var footer = "\(Fmt.count(all.count)) hồ sơ"
        if next != nil { footer += " (còn nữa; bỏ --limit để xem hết)" }
        Output.say(footer, Output.dim)
    }
}

/// An instance's id is `WORKFLOW/KEY`: a key alone (`dvdb-001`) is refused in words that show the form, instead of
/// tiendod's «không có hồ sơ 'dvdb-001'», which reads as if the record did not exist.
func checkInstanceID(_ id: String) throws {
    guard !id.contains("/") else { return }
    if id.trimmingCharacters(in: .whitespaces).isEmpty {
        throw fail("thiếu mã hồ sơ: lệnh này cần mã đầy đủ QUY_TRÌNH/KHÓA, ví dụ dang-vien-du-bi/dvdb-001")
    }
    throw fail("'\(id)' chỉ là khóa của hồ sơ; lệnh này cần mã đầy đủ QUY_TRÌNH/KHÓA, ví dụ dang-vien-du-bi/\(id)")
}

/// The title of the state `i` is in, read from tiendod's definitions; nil when they cannot be read now (the state is
/// then said by its id alone, and the failure is not reported: the change it follows was made).
func stateTitle(_ i: Manager.Instance, _ connection: ConnectionOptions) -> String? {
    guard let state = i.state, !connection.json else { return nil }
    return connection.quietWorkflow(i.workflow)?.state(state)?.title
}

func stateText(_ i: Manager.Instance, title: String? = nil) -> String {
    // With the state's title (when the definition was read), its id beside it, as `--state` takes it.
    let state = i.state.map { id in title.map { "\($0) (\(id))" } ?? id }
    var s = state ?? "—"
    if i.completed { s = state.map { "\($0), hoàn tất" } ?? "hoàn tất" }
    if i.stale { s += " (định nghĩa cũ)" }
    return s
}

/// The instance's open deadlines in the daemon's order (`Instance.deadlines`; only `next` from a daemon that
/// predates it).
func openDeadlines(_ i: Manager.Instance) -> [Manager.DueItem] { i.deadlines ?? (i.next.map { [$0] } ?? []) }

/// How many items of `deadlines` are overdue (nil when none).
func overdueCount(_ i: Manager.Instance) -> Int? {
    let n = openDeadlines(i).filter(\.overdue).count
    return n > 0 ? n : nil
}

/// `Output.red` when `condition` holds (a row colour for `Output.table`).
func redIf(_ condition: Bool) -> ((String) -> String)? {
    if condition { return Output.red }
    return nil
}

// MARK: show

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chi tiết một hồ sơ: dữ liệu, các mốc, mọi hạn đang mở (cả hạn đã quá) và lần tự chuyển trạng thái sắp tới.")

    @Argument(help: "Mã hồ sơ, QUY_TRÌNH/KHÓA.")
    var id: String

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try checkInstanceID(id)
        // `--json` prints GetInstance's reply as the contract says; people also read the timed transition to come,
        // which `vn.tiendo.Extras.Instance` sends with the same instance.
        if connection.json { return Output.printJSON(try connection.parameters(Manager.GetInstance(id: id))) }
        let reply = try connection.read(Extras.Instance.self, connection.parameters(Extras.Instance(id: id)))
        // The fields by their titles, as the web shows them, with the names `--set` takes beside them.
        // Without them (a call that fails now), the record is shown by the fields' names, and nothing is said twice.
        let info = connection.quietWorkflow(reply.entry.instance.workflow)
        printInstance(
            reply.entry.instance, transition: reply.entry.nextTransition, now: reply.now, workflow: info, bases: reply.entry.bases)
    }
}

/// The human view of an Instance (interfaces §3 `show`): fields and data, milestones, then every open deadline, and
/// the timed transition it takes next by itself (one already due at `now` and not yet taken says so).
func printInstance(
    _ i: Manager.Instance, transition: Extras.TimedTransition? = nil, now: String? = nil, workflow: Extras.WorkflowInfo? = nil,
    bases: [String: String] = [:]
) {
    Output.say("Hồ sơ \(i.id)", Output.bold)
    var fields: [[String]] = [
        ["Quy trình", workflow.map { "\($0.title) (\(i.workflow))" } ?? i.workflow],
        ["Trạng thái", stateText(i, title: i.state.flatMap { workflow?.state($0)?.title })],
        ["Bắt đầu", Fmt.date(i.startedAt)],
    ]
    if i.state != nil { fields.append(["Vào trạng thái", Fmt.date(i.enteredAt)]) }
    let width = fields.map { $0[0].count }.max() ?? 0
    for f in fields { Output.say("  " + f[0] + String(repeating: " ", count: width - f[0].count) + "  " + f[1]) }
    let data = i.data.objectValue ?? []
    if !data.isEmpty {
        Output.say()
        Output.say("Dữ liệu", Output.bold)
        func label(_ name: String) -> String {
            guard let title = workflow?.field(name)?.displayTitle, title != name else { return name }
            return "\(title) (\(name))"
        }
        func shown(_ name: String, _ v: JSON) -> String {
            if let f = workflow?.field(name), f.type == "enum", let s = v.stringValue { return f.title(ofValue: s) }
            return Fmt.value(v)
        }
        // Values line up after the labels, up to a column: a longer title (a field's title may explain itself at
        // length) goes on its own line, its value under the column, so that one title does not push every value off
        // a terminal's width.
        let w = min(data.map { label($0.0).count }.max() ?? 0, 44)
        for (k, v) in data {
            let l = label(k)
            if l.count > w {
                Output.say("  " + l)
                Output.say(String(repeating: " ", count: w + 4) + shown(k, v))
            } else {
                Output.say("  " + l + String(repeating: " ", count: w - l.count) + "  " + shown(k, v))
            }
        }
    }
    if !i.milestones.isEmpty {
        Output.say()
        Output.say("Các mốc", Output.bold)
        let rows = i.milestones.map { m -> [String] in
            let status = m.done ? "xong" + (m.doneAt.map { " " + Fmt.date($0) } ?? "") : m.overdue ? "quá hạn" : "chưa xong"
            return [m.id, m.title, Fmt.due(m.due, provisional: m.provisional), status, recurrence(m), m.requires.joined(separator: ", ")]
        }
        let colours = i.milestones.map { m in redIf(!m.done && m.overdue) }
        Output.table(["Mốc", "Tên", "Hạn", "Tình trạng", "Định kỳ", "Cần xong trước"], rows, colour: colours)
    }
    let open = openDeadlines(i)
    Output.say()
    if open.isEmpty {
        Output.say(i.completed ? "Hồ sơ đã hoàn tất: không còn hạn nào." : "Không có hạn nào đang mở.")
    } else {
        let overdue = open.filter(\.overdue).count
        Output.say("Các hạn đang mở (\(Fmt.count(open.count))" + (overdue > 0 ? ", \(Fmt.count(overdue)) quá hạn)" : ")"), Output.bold)
        Output.table(
            ["Hạn", "Còn/quá", "Việc", "Thuộc"], open.map { [Fmt.due($0), Fmt.days($0), $0.title, Fmt.owner($0)] },
            colour: open.map { redIf($0.overdue) })
        // How each is counted (`vn.tiendo.Extras.Instance`'s `bases`), to check a day against the file's rule.
        let counted = open.compactMap { d in Extras.InstanceEntry.basis(bases, of: d).map { (d.title, $0) } }
        if !counted.isEmpty {
            Output.say("Cách tính hạn:")
            for (title, basis) in counted { Output.say("  \(title): \(basis)") }
        }
    }
    if let t = transition {
        let due =
            t.due.map {
                "; "
                    + Messages.upcomingDue(
                        Fmt.due($0, provisional: t.dueProvisional), title: t.dueTitle, stateTitle: workflow?.state(t.to)?.title)
            } ?? ""
        Output.say()
        let zone = Zone.vietnam
        // By its title, with the id `--state` takes beside it.
        let to = workflow?.state(t.to).map { "«\($0.title)» (\(t.to))" } ?? t.to
        if let at = zone.parseInstant(t.at), let now = now.flatMap({ zone.parseInstant($0) }), at <= now {
            Output.say(
                "Đã đến lúc tự chuyển sang trạng thái \(to), từ \(Fmt.due(t.at, provisional: t.provisional)), nhưng chưa chuyển: "
                    + "tiendod đang xử lý các việc đến hạn\(due).")
        } else {
            Output.say("Tự chuyển sang trạng thái \(to) lúc \(Fmt.due(t.at, provisional: t.provisional))\(due).")
        }
    }
}

/// A recurring milestone's period, the occurrence it describes and how many are open: `hằng tháng, kỳ 03/2027, 2 kỳ
/// đang mở`; empty for a one-shot milestone.
func recurrence(_ m: Manager.Milestone) -> String {
    guard let every = m.every else { return "" }
    var parts = [Messages.every(every)]
    if let l = m.occurrence { parts.append("kỳ \(Messages.period(l, due: m.due))") }
    parts.append("\(Fmt.count(m.openCount ?? 0)) kỳ đang mở")
    return parts.joined(separator: ", ")
}

// MARK: start

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tạo một hồ sơ mới của một quy trình.")

    @Argument(help: "Mã quy trình.")
    var workflow: String

    @Argument(help: "Khóa của hồ sơ (mặc định: tiendod tự đặt).")
    var key: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Giá trị trường, TRƯỜNG=GIÁ_TRỊ (lặp lại được).", valueName: "F=V"))
    var values: [String] = []

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        var data = try assignments(values, option: "--set")
        if let given = data {
            data = try GroupSpelling.respell([given], field: connection.workflow(workflow)?.groupBy, connection).first
        }
        try connection.run(Manager.StartInstance(workflow: workflow, key: key, data: data)) { i in
            Output.say("Đã tạo hồ sơ \(i.id) (\(stateText(i, title: stateTitle(i, connection)))).")
            printNext(i)
        }
    }
}

func printNext(_ i: Manager.Instance) {
    if i.completed {
        Output.say("Hồ sơ đã hoàn tất.")
        return
    }
    if let n = overdueCount(i) { Output.say("Đang quá hạn: \(Fmt.count(n)) việc (xem: tiendoctl show \(i.id)).", Output.red) }
    if let next = i.next { Output.say("Hạn tiếp theo: \(Fmt.dueLine(next))") }
}

// MARK: import

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Nhập hồ sơ từ tệp CSV (UTF-8, dòng tiêu đề là tên trường; cột key và started tùy chọn) hoặc tệp Excel (.xlsx).",
        discussion: """
            Cả tệp là một lần nhập: tiendod nhận tất cả các dòng hoặc không nhận dòng nào, kể cả khi tệp lớn \
            được gửi thành nhiều lô, và báo mọi dòng sai dưới dạng TỆP:DÒNG: … Cột có thể mang tên trường hoặc \
            tiêu đề của trường (như tệp mẫu của trang web); cột «STT» được bỏ qua. Tệp Excel: đọc trang tính có \
            dòng tên cột giống tệp mẫu nhất, bỏ qua các dòng tiêu đề phía trên; DÒNG là số dòng Excel hiện.
            """)

    /// Bad rows printed on the terminal; the count says how many there are in all.
    static let shownErrors = 100

    @Argument(help: "Mã quy trình.")
    var workflow: String

    @Argument(help: "Tệp CSV hoặc Excel (.xlsx).")
    var file: String

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let contents = try readWhole(file)
        let bytes = [UInt8](contents)
        // Columns headed as the web's template heads them («Mã hồ sơ», «Họ và tên») name their fields.
        let info = try connection.workflow(workflow)
        // Each row with its line in the file (a workbook's: the row number Excel shows).
        let parsed: [(line: Int, pairs: [(String, String)])]
        if let why = ImportTable.notAWorkbook(bytes, filename: (file as NSString).lastPathComponent) { throw fail(why) }
        if Workbook.isZIP(bytes) || Workbook.isLegacyExcel(bytes) {
            parsed = try Import.sheetRows(bytes, file: file, workflow: workflow, info: info)
        } else {
            // Title lines above the column names are left out, as the web's import leaves them out.
            do { parsed = try CSV.table(bytes: bytes, isHeader: info.map(ImportTable.isHeader)).rows.map { ($0.line, $0.pairs) } } catch {
                printErr("\(file):\(error.line): \(error.reason)")
                throw fail("tệp CSV không hợp lệ; không nhập gì")
            }
        }
        // A cell longer than a field holds is refused here, before anything is sent (as the web's import does).
        var long = 0
        for row in parsed {
            for (heading, value) in row.pairs where long < 20 && FieldDefinition.isTooLong(value) {
                long += 1
                printErr("\(file):\(row.line): cột «\(heading)» \(FieldDefinition.tooLong(value)); hãy rút gọn")
            }
        }
        if long > 0 { throw fail("có ô quá dài; không nhập gì") }
        // Every cell, keys included, is tiendod's to check, in one pass that names every bad row.
        var rows: [JSON] = []
        var lines: [Int] = []
        var blank = 0
        // Each heading's field, worked out once (nil: a column numbering the rows, «STT», left out as the web does).
        var fieldOf: [String: String?] = [:]
        func field(_ heading: String) -> String? {
            if let known = fieldOf[heading] { return known }
            let name: String? =
                info.map { ImportTable.isRowNumber(heading, of: $0) } == true ? nil : (info?.importField(named: heading) ?? heading)
            fieldOf[heading] = name
            return name
        }
        // The header, checked once as the web's import page checks it: a column that is no field is said once, not on
        // every row (where it hid each row's other faults), and a required field without a column before any row.
        if let info {
            // A column left empty was never sent (an empty cell is skipped): a spare «Ghi chú» column does not refuse
            // the file. A required field is looked for among every heading.
            var headings: [String] = []
            var filled = Set<String>()
            for r in parsed {
                for (h, v) in r.pairs {
                    if !headings.contains(h) { headings.append(h) }
                    if !v.trimmingSpaces.isEmpty { filled.insert(h) }
                }
            }
            var problems: [String] = []
            for h in headings where filled.contains(h) && field(h) != nil && info.importField(named: h) == nil {
                let expected = info.importHeadings.map(\.heading).joined(separator: ", ")
                problems.append("\(file): cột «\(h)» không phải trường của quy trình «\(info.title)» (các cột dùng được: \(expected))")
            }
            let named = Set(headings.compactMap { info.importField(named: $0) })
            for f in info.fields
            where f.required && f.defaultValue == nil && f.defaultRule == nil && !named.contains(f.name) && !parsed.isEmpty {
                let heading = info.importHeadings.first { $0.name == f.name }?.heading ?? f.name
                problems.append("\(file): thiếu cột «\(heading)», trường bắt buộc của quy trình «\(info.title)»")
            }
            if !problems.isEmpty {
                for p in problems { printErr(p) }
                throw fail("dòng tên cột không khớp quy trình; không nhập gì")
            }
            // A date column written month first, said once, before the rows tiendod refuses: its rows the check lets
            // through would be swapped. (tiendod refuses the file anyway: the value found is no date day first.)
            let dated = HumanDate.monthFirstColumns(parsed.map { ($0.line, $0.pairs) }) { h in
                let type = field(h).map { $0 == "started" ? "datetime" : info.field($0)?.type }
                return type == "date" || type == "datetime"
            }
            for (h, found) in dated { printErr("\(file):\(found.line): " + HumanDate.monthFirstColumn(h, found: found)) }
        }
        for r in parsed {
            var o: [(String, JSON)] = []
            var headingOf: [String: String] = [:]
            for (heading, raw) in r.pairs {
                // Line breaks too (Alt+Enter at the end of an Excel cell), as the web reads a cell.
                let v = raw.trimmingSpaces
                guard !v.isEmpty, let name = field(heading) else { continue }
                // Two columns of one field would send the field twice: refused as the web refuses them.
                if let other = headingOf[name] {
                    throw fail("cột «\(other)» và cột «\(heading)» cùng là một trường; hãy bỏ bớt một cột; không nhập gì")
                }
                headingOf[name] = heading
                o.append((name, .string(v)))
            }
            if o.isEmpty {  // a row of empty cells, as spreadsheets leave below the data
                blank += 1
                continue
            }
            rows.append(.object(o))
            lines.append(r.line)
        }
        rows = try GroupSpelling.respell(rows, field: info?.groupBy, connection)
        // A file with no row to import is a failure a script must see (the wrong file, an export cut short), not
        // a success that imported nothing.
        if rows.isEmpty { throw fail("tệp '\(file)' không có dòng dữ liệu nào (trống, hoặc chỉ có dòng tên cột); không nhập gì") }
        let showProgress = isatty(STDERR_FILENO) == 1
        let imported: Int
        do {
            imported = try connection.client.importAll(workflow: workflow, rows: rows) { sent, total in
                guard showProgress else { return }
                let done = sent == total ? " — đang ghi vào cơ sở dữ liệu…" : ""
                FileHandle.standardError.write(Data("\rĐã gửi \(Fmt.count(sent))/\(Fmt.count(total)) dòng\(done)\u{1B}[K".utf8))
            }
        } catch ManagerError.importRejected(let errors) {
            if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            // The first rows (a file of 12,000 bad rows printed 10,000 lines), and how many are bad in all: the
            // refusal lists at most 10,000 and counts the rest in its last line.
            let rowErrors = errors.filter { ImportSummary.more(in: $0.message) == nil }
            let bad = rowErrors.count + errors.compactMap { ImportSummary.more(in: $0.message) }.reduce(0, +)
            for d in rowErrors.prefix(Import.shownErrors) {
                let place = lines.indices.contains(d.line - 1) ? "\(file):\(lines[d.line - 1])" : "\(file)"
                printErr("\(place): \(d.message)")
            }
            if bad > Import.shownErrors { printErr("… và \(Fmt.count(bad - Import.shownErrors)) dòng lỗi khác") }
            throw fail("\(Fmt.count(bad)) dòng không hợp lệ; không nhập gì")
        } catch let e as VarlinkTransportError {
            if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            // The last batch may have been committed before the connection went: say how to know.
            throw fail(
                e.description + ". Không rõ lần nhập đã được ghi hay chưa (tất cả các dòng hoặc không dòng nào): "
                    + "xem `tiendoctl list \(workflow)` trước khi nhập lại")
        } catch {
            if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            throw report(error, path: connection.path)
        }
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if connection.json { return Output.printJSON(.object([("imported", .int(imported))])) }
        Output.say("Đã nhập \(Fmt.count(imported)) hồ sơ vào quy trình '\(workflow)'." + (blank > 0 ? " Bỏ qua \(blank) dòng trống." : ""))
    }
}

// MARK: send

struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Gửi một sự kiện cho hồ sơ (vd. chuyển bước); sự kiện 'done' hoàn thành một mốc.")

    @Argument(help: "Mã hồ sơ, QUY_TRÌNH/KHÓA.")
    var id: String

    @Argument(help: "Tên sự kiện.")
    var event: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Giá trị trường kèm theo, TRƯỜNG=GIÁ_TRỊ (lặp lại được).", valueName: "F=V"))
    var values: [String] = []

    @Option(help: ArgumentHelp("Khóa chống gửi trùng: gửi lại cùng khóa trả về kết quả lần đầu, không đổi gì.", valueName: "K"))
    var idempotencyKey: String?

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try checkInstanceID(id)
        let data = try assignments(values, option: "--set")
        try connection.run(Manager.SendEvent(id: id, event: event, data: data, idempotencyKey: idempotencyKey)) { sent in
            let i = sent.instance
            if sent.repeated {
                // Nothing recorded now: the key was used before, maybe for another event than the one typed.
                let first = sent.repeatedEvent.map { $0 == event ? "sự kiện '\($0)'" : "sự kiện '\($0)' (không phải '\(event)')" }
                Output.say(
                    "Khóa '\(idempotencyKey ?? "")' đã dùng cho \(first ?? "một lần gửi trước") của hồ sơ \(i.id): không ghi gì thêm; trạng thái: \(stateText(i, title: stateTitle(i, connection)))."
                )
                return printNext(i)
            }
            if event == "done", let m = data?["milestone"]?.stringValue {
                Output.say("Đã xong mốc '\(m)' của hồ sơ \(i.id).")
            } else {
                Output.say("Đã nhận sự kiện '\(event)' cho hồ sơ \(i.id); trạng thái: \(stateText(i, title: stateTitle(i, connection))).")
            }
            printNext(i)
        }
    }
}

// MARK: done

struct Done: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Đánh dấu một mốc của hồ sơ là đã xong.")

    @Argument(help: "Mã hồ sơ, QUY_TRÌNH/KHÓA.")
    var id: String

    @Argument(help: "Mã mốc; MỐC@KỲ cho một kỳ của mốc định kỳ (không có @KỲ: kỳ cũ nhất đang mở).")
    var milestone: String

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try checkInstanceID(id)
        let parts = milestone.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let milestoneID = parts.first ?? milestone
        // Without @KỲ the oldest open period is meant: read first and sent by its label, so that the reply names the
        // period completed even if another client completed one in between (completing a done period is a no-op).
        // A period as the lists print it (`12/2026`) is the label `2026-12`.
        var period = parts.count > 1 ? Done.label(parts[1]) : nil
        var target = period.map { "\(milestoneID)@\($0)" } ?? milestone
        // Read before, also for the due of the period named, which says how the reply names it (`Messages.period`).
        // Only a record not found is left to the completion's own answer: a daemon that cannot be reached, or does
        // not answer, stops the command here, before anything is sent.
        let before: Manager.GetInstance.Reply?
        do {
            before = try connection.client.call(Manager.GetInstance(id: id))
        } catch ManagerError.noSuchInstance, ManagerError.noSuchWorkflow {
            before = nil
        } catch {
            throw report(error, path: connection.path)
        }
        if period == nil {
            if let m = before?.milestones.first(where: { $0.id == milestoneID && $0.every != nil }), (m.openCount ?? 0) > 0,
                let label = m.occurrence
            {
                period = label
                target = "\(milestoneID)@\(label)"
            }
        }
        try connection.run(Manager.CompleteMilestone(id: id, milestone: target)) { i in
            let title = i.milestones.first { $0.id == milestoneID }.map { " «\($0.title)»" } ?? ""
            let due = before?.deadlines?.first { $0.milestone == milestoneID && $0.occurrence == period }?.due
            let which = period.map { " kỳ \(Messages.period($0, due: due))" } ?? ""
            Output.say("Đã xong mốc '\(milestoneID)'\(title)\(which) của hồ sơ \(i.id).")
            printNext(i)
        }
    }
}

extension Done {
    /// A period typed as the lists print it, `MM/YYYY` (or `M/YYYY`), as the label `YYYY-MM`; anything else as typed.
    static func label(_ typed: String) -> String {
        let parts = typed.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let m = Int(parts[0]), (1...12).contains(m), parts[0].count <= 2, parts[1].count == 4,
            let y = Int(parts[1])
        else { return typed }
        return String(format: "%04d-%02d", y, m)
    }
}

// MARK: agenda

struct Agenda: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Việc cần làm: quá hạn, đến hạn hôm nay, và trong N ngày tới, theo nhóm.")

    // `.unconditional`: `--days -1` is a value (refused in words below), not a missing one.
    @Option(parsing: .unconditional, help: ArgumentHelp("Số ngày tới (mặc định 7).", valueName: "N"))
    var days: Int?

    @Option(help: ArgumentHelp("Chỉ một quy trình.", valueName: "W"))
    var workflow: String?

    @Option(help: ArgumentHelp("Chỉ một nhóm (giá trị group_by của quy trình).", valueName: "G"))
    var group: String?

    @OptionGroup var connection: ConnectionOptions

    static let noGroup = "(không nhóm)"

    func run() throws {
        if let days, !(0...3660).contains(days) { throw usage("--days phải từ 0 đến 3660 (mười năm)") }
        // As `list`: an empty answer to a group that no record has is an error, with --json too.
        let p = try connection.parameters(Manager.Agenda(days: days, workflow: workflow, group: group))
        let items = try connection.read(Manager.Agenda.self, p)
        if items.isEmpty { try FilterCheck.group(group, workflow: workflow, connection) }
        if connection.json { return Output.printJSON(p) }
        printAgenda(items)
    }

    func printAgenda(_ items: [Manager.DueItem]) {
        let n = days ?? 7
        let overdue = items.filter(\.overdue)
        let today = items.filter { !$0.overdue && $0.daysLeft <= 0 }
        let later = items.filter { !$0.overdue && $0.daysLeft > 0 }
        if items.isEmpty {
            Output.say("Không có việc nào quá hạn hay đến hạn trong \(n) ngày tới.")
            return
        }
        var first = true
        for (title, list, red) in [("Quá hạn", overdue, true), ("Đến hạn hôm nay", today, false), ("Trong \(n) ngày tới", later, false)] {
            if list.isEmpty { continue }
            if !first { Output.say() }
            first = false
            let heading = "\(title) (\(Fmt.count(list.count)))"
            Output.say(heading, red ? { Output.bold(Output.red($0)) } : Output.bold)
            section(list, red: red)
        }
    }

    /// Items grouped by `group`, groups by name ("Khu dân cư số 2" before "số 10"), the items without a group last;
    /// within a group the daemon's order (by due).
    func section(_ items: [Manager.DueItem], red: Bool) {
        var order: [String] = []
        var byGroup: [String: [Manager.DueItem]] = [:]
        for it in items {
            let g = it.group.flatMap { $0.isEmpty ? nil : $0 } ?? Self.noGroup
            if byGroup[g] == nil { order.append(g) }
            byGroup[g, default: []].append(it)
        }
        order.sort { a, b in
            if (a == Self.noGroup) != (b == Self.noGroup) { return b == Self.noGroup }
            return a.compare(b, options: [.numeric, .caseInsensitive]) == .orderedAscending
        }
        // One table for the whole section keeps columns aligned across groups; group names are rows of their own.
        var rows: [[String]] = []
        var colours: [((String) -> String)?] = []
        let grouped = order.count > 1 || order.first != Self.noGroup
        for g in order {
            if grouped {
                rows.append(["▸ " + g])
                colours.append(Output.bold)
            }
            for it in byGroup[g] ?? [] {
                rows.append([
                    (grouped ? "  " : "") + Fmt.due(it), Fmt.days(it), it.instance, Fmt.title(it),
                ])
                colours.append(redIf(red))
            }
        }
        Output.table(["Hạn", "Còn/quá", "Hồ sơ", "Việc"], rows, colour: colours, headerStyle: Output.dim)
    }
}

// MARK: history

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Mọi bản ghi của một hồ sơ: bắt đầu, chuyển trạng thái, nhắc hạn, quá hạn…")

    @Argument(help: "Mã hồ sơ, QUY_TRÌNH/KHÓA.")
    var id: String

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try checkInstanceID(id)
        try connection.run(Manager.History(id: id)) { records in
            if records.isEmpty {
                Output.say("Hồ sơ \(id) chưa có bản ghi nào.")
                return
            }
            Output.printRecords(records.compactMap { Record(json: $0.json) }, json: false, showInstance: false)
        }
    }
}

func recordColour(_ r: Manager.Record) -> ((String) -> String)? {
    if r.priority <= 3 || r.kind == .overdue { return Output.red }
    if r.priority == 4 || r.kind == .rejected { return Output.yellow }
    return nil
}

// MARK: reload

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Nạp lại các định nghĩa quy trình; trả về khi đã có hiệu lực; mã thoát 1 nếu có lỗi (ExecReload=).")

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let p = try connection.parameters(Manager.Reload())
        let reply = try connection.read(Manager.Reload.self, p)
        let errors = reply.diagnostics.filter(\.isError).count
        if connection.json {
            Output.printJSON(p)
        } else {
            for d in reply.diagnostics { sayDiagnostic(d) }
            Output.say(
                "Đã nạp lại: \(Fmt.count(reply.workflows.count)) quy trình đang có hiệu lực, \(errors) lỗi, "
                    + "\(reply.diagnostics.count - errors) cảnh báo.")
        }
        if errors > 0 {
            throw fail(
                "nạp lại có \(errors) lỗi; quy trình nào đã có phiên bản dùng được thì giữ phiên bản đó, tệp mới bị lỗi thì chưa được nạp")
        }
    }
}

// MARK: watch

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Theo dõi các bản ghi khi chúng xảy ra, mỗi bản ghi một dòng (JSON Lines với --json).")

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        do {
            try connection.client.stream(Manager.Watch()) { p in
                guard let sent = p["record"], !sent.isNull else { return true }
                if connection.json {
                    print(sent.serialized())
                } else {
                    let r = try Manager.Record(json: sent, path: "record")
                    let when = Fmt.date(r.at) + Output.instantMark(provisional: r.provisional == true, kind: r.kind.rawValue)
                    let line = "\(when) \(Fmt.kind(r.kind)) \(r.instance ?? r.workflow): \(r.message)"
                    Output.say(line, recordColour(r))
                }
                flushStdout()
                return true
            }
        } catch let e as VarlinkTransportError where e.reason == .closed(partial: false) {
            throw fail("tiendod đã đóng kết nối (daemon dừng hoặc khởi động lại?)")
        } catch {
            throw report(error, path: connection.path)
        }
    }
}
