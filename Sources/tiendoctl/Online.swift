import ArgumentParser
import Foundation
import TiendoCore
import TiendoVarlink

// The online commands: each one is a call (or a few) on tiendod's varlink socket `vn.tiendo.Manager`.

// MARK: Formatting

enum Fmt {
    /// `1.083`: Vietnamese thousands separator.
    static func count(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(".") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// `YYYY-MM-DD` → `dd/mm/yyyy`; an ISO instant → `dd/mm/yyyy HH:MM` (in its own offset).
    static func date(_ text: String?) -> String { Output.humanDue(text) }

    /// `còn 3 ngày`, `hôm nay`, `quá 2 ngày`.
    static func days(_ left: Int, overdue: Bool) -> String {
        if left > 0 { return overdue ? "quá hạn" : "còn \(left) ngày" }
        if left == 0 { return overdue ? "quá hạn hôm nay" : "hôm nay" }
        return "quá \(-left) ngày"
    }

    static func days(_ item: Manager.DueItem) -> String { days(item.daysLeft, overdue: item.overdue) }

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
        "\(date(item.due)) (\(days(item))) — \(item.title)"
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
            print(Output.bold(head))
            let summary = "\(Fmt.count(s.workflows)) quy trình, \(Fmt.count(s.instances)) hồ sơ, \(Fmt.count(s.overdue)) quá hạn"
            print(s.overdue > 0 ? Output.red(summary) : summary)
            let workflows = reply.workflows
            if !workflows.isEmpty {
                print()
                let rows = workflows.map { w -> [String] in
                    [
                        w.id, w.title, Fmt.count(w.instances), Fmt.count(w.active), Fmt.count(w.completed), Fmt.count(w.overdue),
                        Fmt.count(w.dueSoon), w.nextDue.map { "\(Fmt.date($0.due)) (\(Fmt.days($0)))" } ?? "—",
                    ]
                }
                Output.table(
                    ["Mã", "Tên", "Hồ sơ", "Đang chạy", "Hoàn tất", "Quá hạn", "Sắp đến hạn", "Hạn gần nhất"], rows,
                    colour: workflows.map { redIf($0.overdue > 0) })
            }
            if !s.diagnostics.isEmpty {
                print()
                print(Output.bold("Vấn đề trong định nghĩa (\(s.diagnostics.count)):"))
                for d in s.diagnostics { print(colouredDiagnostic(d)) }
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

    @Option(help: ArgumentHelp("Tối đa N hồ sơ (mặc định: tất cả).", valueName: "N"))
    var limit: Int?

    @OptionGroup var connection: ConnectionOptions

    static let page = 1000

    func run() throws {
        if let limit, limit < 1 { throw fail("--limit phải lớn hơn 0") }
        var wheres: [(field: String, value: String)] = []
        for f in filters {
            guard let eq = f.firstIndex(of: "="), eq != f.startIndex else { throw fail("--where '\(f)': cần TRƯỜNG=GIÁ_TRỊ") }
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
        if connection.json {
            return Output.printJSON(.object([("instances", .array(sent)), ("next", next.map(JSON.string) ?? .null)]))
        }
        if all.isEmpty {
            print("Không có hồ sơ nào.")
            return
        }
        let rows = all.map { i -> [String] in
            [
                i.id, stateText(i), Fmt.date(i.startedAt), overdueCount(i).map(String.init) ?? "", i.next.map { Fmt.date($0.due) } ?? "",
                i.next.map(Fmt.days) ?? "", i.next?.title ?? "",
            ]
        }
        Output.table(
            ["Hồ sơ", "Trạng thái", "Bắt đầu", "Quá hạn", "Hạn tiếp theo", "Còn/quá", "Việc"], rows,
            colour: all.map { redIf(overdueCount($0) != nil) })
        var footer = "\(Fmt.count(all.count)) hồ sơ"
        if next != nil { footer += " (còn nữa; bỏ --limit để xem hết)" }
        print(Output.dim(footer))
    }
}

func stateText(_ i: Manager.Instance) -> String {
    var s = i.state ?? "—"
    if i.completed { s = i.state.map { "\($0), hoàn tất" } ?? "hoàn tất" }
    if i.stale { s += " (định nghĩa cũ)" }
    return s
}

/// How many open items of the instance are overdue (nil when none): its open overdue milestones, or its state
/// deadline when `next` is overdue.
func overdueCount(_ i: Manager.Instance) -> Int? {
    var n = i.milestones.filter { $0.overdue && !$0.done }.count
    if n == 0, i.next?.overdue == true { n = 1 }
    return n > 0 ? n : nil
}

/// `Output.red` when `condition` holds (a row colour for `Output.table`).
func redIf(_ condition: Bool) -> ((String) -> String)? {
    if condition { return Output.red }
    return nil
}

// MARK: show

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Chi tiết một hồ sơ: dữ liệu, các mốc, hạn tiếp theo.")

    @Argument(help: "Mã hồ sơ, QUY_TRÌNH/KHÓA.")
    var id: String

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try connection.run(Manager.GetInstance(id: id), human: printInstance)
    }
}

/// The human view of an Instance.
func printInstance(_ i: Manager.Instance) {
    print(Output.bold("Hồ sơ \(i.id)"))
    var fields: [[String]] = [
        ["Quy trình", i.workflow],
        ["Trạng thái", stateText(i)],
        ["Bắt đầu", Fmt.date(i.startedAt)],
    ]
    if i.state != nil { fields.append(["Vào trạng thái", Fmt.date(i.enteredAt)]) }
    if let next = i.next { fields.append(["Hạn tiếp theo", Fmt.dueLine(next)]) }
    let width = fields.map { $0[0].count }.max() ?? 0
    for f in fields {
        let line = "  " + f[0] + String(repeating: " ", count: width - f[0].count) + "  " + f[1]
        print(f[0] == "Hạn tiếp theo" && i.next?.overdue == true ? Output.red(line) : line)
    }
    let data = i.data.objectValue ?? []
    if !data.isEmpty {
        print()
        print(Output.bold("Dữ liệu"))
        let w = data.map { $0.0.count }.max() ?? 0
        for (k, v) in data { print("  " + k + String(repeating: " ", count: w - k.count) + "  " + Fmt.value(v)) }
    }
    if !i.milestones.isEmpty {
        print()
        print(Output.bold("Các mốc"))
        let rows = i.milestones.map { m -> [String] in
            let status = m.done ? "xong" + (m.doneAt.map { " " + Fmt.date($0) } ?? "") : m.overdue ? "quá hạn" : "chưa xong"
            return [m.id, m.title, Fmt.date(m.due), status, m.requires.joined(separator: ", ")]
        }
        let colours = i.milestones.map { m in redIf(!m.done && m.overdue) }
        Output.table(["Mốc", "Tên", "Hạn", "Tình trạng", "Cần xong trước"], rows, colour: colours)
    }
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
        let data = try assignments(values, option: "--set")
        try connection.run(Manager.StartInstance(workflow: workflow, key: key, data: data)) { i in
            print("Đã tạo hồ sơ \(i.id) (\(stateText(i))).")
            printNext(i)
        }
    }
}

func printNext(_ i: Manager.Instance) {
    if i.completed {
        print("Hồ sơ đã hoàn tất.")
    } else if let next = i.next {
        let line = "Hạn tiếp theo: \(Fmt.dueLine(next))"
        print(next.overdue ? Output.red(line) : line)
    }
}

// MARK: import

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Nhập hồ sơ từ tệp CSV (UTF-8, dòng tiêu đề là tên trường; cột key và started tùy chọn).",
        discussion: """
            Mỗi lần gửi tối đa 5.000 dòng; tiendod nhận tất cả hoặc không nhận dòng nào của lần đó và báo \
            mọi dòng sai dưới dạng TỆP.csv:DÒNG: …
            """)

    @Argument(help: "Mã quy trình.")
    var workflow: String

    @Argument(help: "Tệp CSV.")
    var file: String

    @OptionGroup var connection: ConnectionOptions

    static let batchRows = 5000
    /// Keeps each call well below the 8 MiB message limit even with wide rows.
    static let batchBytes = 6 << 20

    struct Batch {
        var rows: [JSON] = []
        var lines: [Int] = []
        var bytes = 0
    }

    func run() throws {
        let probe = open(file, O_RDONLY)
        if probe < 0 { throw fail("không đọc được tệp '\(file)': \(errnoText(errno))") }
        close(probe)
        guard let contents = FileManager.default.contents(atPath: file) else { throw fail("không đọc được tệp '\(file)'") }
        let rows: [CSV.Row]
        do { rows = try CSV.parse(bytes: [UInt8](contents)) } catch {
            printErr("\(file):\(error.line): \(error.reason)")
            throw fail("tệp CSV không hợp lệ; không nhập gì")
        }
        // What can be checked without the definition, for the whole file, before anything is sent.
        var problems: [String] = []
        var keys: [String: Int] = [:]
        var batches: [Batch] = []
        var current = Batch()
        var blank = 0
        for r in rows {
            var o: [(String, JSON)] = []
            for (name, raw) in r.pairs {
                let v = raw.trimmingCharacters(in: .whitespaces)
                if v.isEmpty { continue }
                o.append((name, .string(v)))
            }
            if let key = o.first(where: { $0.0 == "key" })?.1.stringValue {
                if !InstanceRows.isValidKey(key) {
                    problems.append("\(file):\(r.line): khóa '\(key)' không hợp lệ (chữ, số, '.', '_', '-'; tối đa 128 ký tự)")
                } else if let first = keys[key] {
                    problems.append("\(file):\(r.line): khóa '\(key)' bị lặp (đã có ở dòng \(first))")
                } else {
                    keys[key] = r.line
                }
            }
            if o.isEmpty {  // a row of empty cells, as spreadsheets leave below the data
                blank += 1
                continue
            }
            let row = JSON.object(o)
            let size = row.serialized().utf8.count + 1
            if !current.rows.isEmpty, current.rows.count == Self.batchRows || current.bytes + size > Self.batchBytes {
                batches.append(current)
                current = Batch()
            }
            current.rows.append(row)
            current.lines.append(r.line)
            current.bytes += size
        }
        if !current.rows.isEmpty { batches.append(current) }
        if !problems.isEmpty {
            for p in problems { printErr(p) }
            throw fail("\(problems.count) dòng không hợp lệ; không nhập gì")
        }
        if batches.isEmpty {
            if connection.json { return Output.printJSON(.object([("imported", .int(0))])) }
            print("Tệp không có dòng dữ liệu nào; không nhập gì.")
            return
        }
        let client = try connection.connect()
        var imported = 0
        for (n, batch) in batches.enumerated() {
            do {
                imported += try client.importInstances(workflow: workflow, rows: batch.rows)
            } catch ManagerError.importRejected(let errors) {
                for d in errors {
                    let where_ = batch.lines.indices.contains(d.line - 1) ? "\(file):\(batch.lines[d.line - 1])" : "\(file):(lô \(n + 1), dòng \(d.line))"
                    printErr("\(where_): \(d.message)")
                }
                throw fail(partial(imported, n, batches, reason: "\(errors.count) dòng không hợp lệ"))
            } catch {
                if imported == 0 { throw report(error, path: connection.path) }
                let reason: String
                switch error {
                case let e as VarlinkTransportError: reason = e.reasonText
                default: reason = "\(error)"
                }
                throw fail(partial(imported, n, batches, reason: reason))
            }
        }
        if connection.json { return Output.printJSON(.object([("imported", .int(imported))])) }
        print("Đã nhập \(Fmt.count(imported)) hồ sơ vào quy trình '\(workflow)'." + (blank > 0 ? " Bỏ qua \(blank) dòng trống." : ""))
    }

    /// The failure line: nothing imported, or exactly what was before the failing batch.
    func partial(_ imported: Int, _ failed: Int, _ batches: [Batch], reason: String) -> String {
        let first = batches[failed].lines.first ?? 0
        let last = batches[failed].lines.last ?? 0
        if imported == 0 {
            return batches.count == 1
                ? "\(reason); không nhập gì"
                : "lô 1/\(batches.count) (dòng \(first)–\(last)): \(reason); không nhập gì"
        }
        return "lô \(failed + 1)/\(batches.count) (dòng \(first)–\(last)): \(reason). "
            + "ĐÃ NHẬP \(Fmt.count(imported)) hồ sơ của các lô trước (đến dòng \(first - 1)); từ dòng \(first) trở đi chưa nhập — "
            + "sửa lỗi rồi chỉ nhập lại các dòng từ \(first) (nhập lại cả tệp sẽ bị báo trùng khóa)"
    }
}

// MARK: send

struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Gửi một sự kiện cho hồ sơ (vd. chuyển bước); sự kiện 'done' hoàn thành một mốc.")

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
        let data = try assignments(values, option: "--set")
        try connection.run(Manager.SendEvent(id: id, event: event, data: data, idempotencyKey: idempotencyKey)) { i in
            if event == "done", let m = data?["milestone"]?.stringValue {
                print("Đã xong mốc '\(m)' của hồ sơ \(i.id).")
            } else {
                print("Đã nhận sự kiện '\(event)' cho hồ sơ \(i.id); trạng thái: \(stateText(i)).")
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

    @Argument(help: "Mã mốc.")
    var milestone: String

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try connection.run(Manager.CompleteMilestone(id: id, milestone: milestone)) { i in
            let title = i.milestones.first { $0.id == milestone }.map { " «\($0.title)»" } ?? ""
            print("Đã xong mốc '\(milestone)'\(title) của hồ sơ \(i.id).")
            printNext(i)
        }
    }
}

// MARK: agenda

struct Agenda: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Việc cần làm: quá hạn, đến hạn hôm nay, và trong N ngày tới, theo nhóm.")

    @Option(help: ArgumentHelp("Số ngày tới (mặc định 7).", valueName: "N"))
    var days: Int?

    @Option(help: ArgumentHelp("Chỉ một quy trình.", valueName: "W"))
    var workflow: String?

    @Option(help: ArgumentHelp("Chỉ một nhóm (giá trị group_by của quy trình).", valueName: "G"))
    var group: String?

    @OptionGroup var connection: ConnectionOptions

    static let noGroup = "(không nhóm)"

    func run() throws {
        if let days, days < 0 { throw fail("--days phải từ 0 trở lên") }
        try connection.run(Manager.Agenda(days: days, workflow: workflow, group: group), human: printAgenda)
    }

    func printAgenda(_ items: [Manager.DueItem]) {
        let n = days ?? 7
        let overdue = items.filter(\.overdue)
        let today = items.filter { !$0.overdue && $0.daysLeft <= 0 }
        let later = items.filter { !$0.overdue && $0.daysLeft > 0 }
        if items.isEmpty {
            print("Không có việc nào quá hạn hay đến hạn trong \(n) ngày tới.")
            return
        }
        var first = true
        for (title, list, red) in [("Quá hạn", overdue, true), ("Đến hạn hôm nay", today, false), ("Trong \(n) ngày tới", later, false)] {
            if list.isEmpty { continue }
            if !first { print() }
            first = false
            let heading = "\(title) (\(Fmt.count(list.count)))"
            print(Output.bold(red ? Output.red(heading) : heading))
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
                    (grouped ? "  " : "") + Fmt.date(it.due), Fmt.days(it), it.instance, it.title,
                ])
                colours.append(redIf(red))
            }
        }
        agendaTable(["Hạn", "Còn/quá", "Hồ sơ", "Việc"], rows, colours)
    }

    /// Like `Output.table`, but a one-cell row (a group heading) does not widen the first column.
    func agendaTable(_ header: [String], _ rows: [[String]], _ colours: [((String) -> String)?]) {
        let widths = header.indices.map { c in
            max(header[c].count, rows.filter { $0.count > 1 }.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0)
        }
        func line(_ cells: [String]) -> String {
            if cells.count == 1 { return cells[0] }
            return cells.enumerated().map { i, s in
                i == cells.count - 1 ? s : s + String(repeating: " ", count: max(0, widths[i] - s.count))
            }.joined(separator: "  ").trailingSpacesRemoved
        }
        print(Output.dim(line(header)))
        for (i, r) in rows.enumerated() {
            let text = line(r)
            if let f = colours[i] { print(f(text)) } else { print(text) }
        }
    }
}

// MARK: history

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Mọi bản ghi của một hồ sơ: bắt đầu, chuyển trạng thái, nhắc hạn, quá hạn…")

    @Argument(help: "Mã hồ sơ, QUY_TRÌNH/KHÓA.")
    var id: String

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try connection.run(Manager.History(id: id)) { records in
            if records.isEmpty {
                print("Hồ sơ \(id) chưa có bản ghi nào.")
                return
            }
            // Who: the person a front end acted for (extension `actorName`), else the operator's uid.
            let rows = records.map { r in
                [Fmt.date(r.at), Fmt.kind(r.kind), r.actorName ?? r.actor.map { "uid \($0)" } ?? "", r.message]
            }
            Output.table(["Thời điểm", "Loại", "Người thực hiện", "Nội dung"], rows, colour: records.map(recordColour))
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
            for d in reply.diagnostics { print(colouredDiagnostic(d)) }
            print(
                "Đã nạp lại: \(Fmt.count(reply.workflows.count)) quy trình đang có hiệu lực, \(errors) lỗi, "
                    + "\(reply.diagnostics.count - errors) cảnh báo.")
        }
        if errors > 0 {
            throw fail("nạp lại có \(errors) lỗi; các tệp lỗi giữ phiên bản tốt trước đó")
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
                    let line = "\(Fmt.date(r.at)) \(Fmt.kind(r.kind)) \(r.instance ?? r.workflow): \(r.message)"
                    print(recordColour(r).map { $0(line) } ?? line)
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
