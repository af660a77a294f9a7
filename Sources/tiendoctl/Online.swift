import ArgumentParser
import Foundation
import TiendoCore

// The online commands: each one is a call (or a few) on tiendod's varlink socket `vn.tiendo.Manager`.

/// `--socket PATH`, `--json` and `--timeout N`, shared by every online command.
struct ConnectionOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Socket điều khiển của tiendod (mặc định: $TIENDO_SOCKET, nếu không thì \(VarlinkClient.defaultPath)).",
            valueName: "PATH"))
    var socket: String?

    @Flag(help: "In tham số trả lời của phương thức dưới dạng JSON.")
    var json = false

    @Option(help: ArgumentHelp("Chờ trả lời của tiendod tối đa N giây (mặc định 120; 0: chờ mãi; watch luôn chờ).", valueName: "N"))
    var timeout: Double = 120

    var path: String { VarlinkClient.resolvePath(socket) }

    /// Moves leading `--socket PATH`, `--socket=PATH`, `--timeout N`, `--timeout=N` and `--json` after the subcommand
    /// name (`status` if none).
    static func hoisted(_ args: [String], into subcommands: Set<String>) -> [String] {
        var lead: [String] = []
        var i = 0
        while i < args.count {
            if args[i] == "--json" || args[i].hasPrefix("--socket=") || args[i].hasPrefix("--timeout=") {
                lead.append(args[i])
                i += 1
            } else if args[i] == "--socket" || args[i] == "--timeout", i + 1 < args.count {
                lead += [args[i], args[i + 1]]
                i += 2
            } else {
                break
            }
        }
        if lead.isEmpty { return args }
        let rest = Array(args[i...])
        if let name = rest.first, subcommands.contains(name) { return [name] + lead + rest.dropFirst() }
        if rest.first.map({ !$0.hasPrefix("-") }) ?? false { return args }  // unknown word: let the parser say so
        return ["status"] + lead + rest
    }

    func connect() throws -> VarlinkClient {
        do {
            let client = try VarlinkClient(path: path)
            client.replyTimeout = max(0, timeout)
            return client
        } catch {
            throw report(error, path: path)
        }
    }

    /// One call on a fresh connection; any failure becomes a one-line reason and exit 1.
    func call(_ method: String, _ parameters: [(String, JSON?)] = []) throws -> JSON {
        let client = try connect()
        do { return try client.call(method, parameters: object(parameters)) } catch { throw report(error, path: path) }
    }
}

/// An object without the absent (nil) members.
func object(_ pairs: [(String, JSON?)]) -> JSON {
    .object(pairs.compactMap { k, v in v.map { (k, $0) } })
}

/// Turns any failure of a call into the one-line reason on stderr and `ExitCode.failure`.
func report(_ error: any Error, path: String) -> ExitCode {
    switch error {
    case let e as ExitCode: return e
    case let e as VarlinkError:
        if let diags = e["errors"]?.arrayValue ?? e["diagnostics"]?.arrayValue {
            for d in diags { printErr(diagnosticLine(d)) }
        }
        return fail(describe(e))
    case VarlinkTransportError.connect(_, let errno) where errno == EACCES || errno == EPERM:
        return fail("không kết nối được tiendod tại \(path): \(strerrorText(errno)) (cần root hoặc thuộc nhóm tiendo)")
    case VarlinkTransportError.connect(_, let errno):
        return fail("không kết nối được tiendod tại \(path): \(strerrorText(errno)) (daemon có đang chạy không?)")
    case VarlinkTransportError.pathTooLong:
        return fail("không kết nối được tiendod tại \(path): đường dẫn socket quá dài (tối đa 107 byte)")
    case let e as VarlinkTransportError:
        return fail("lỗi khi nói chuyện với tiendod tại \(path): \(e)")
    default:
        return fail("\(error)")
    }
}

/// The Vietnamese one-liner for an error reply.
func describe(_ e: VarlinkError) -> String {
    func s(_ key: String) -> String { e[key]?.stringValue ?? e[key].map { $0.serialized() } ?? "?" }
    func opt(_ key: String) -> String? { e[key]?.stringValue }
    switch e.name {
    case "vn.tiendo.Manager.NoSuchWorkflow":
        return "không có quy trình '\(s("workflow"))'"
    case "vn.tiendo.Manager.NoSuchInstance":
        return "không có hồ sơ '\(s("id"))'"
    case "vn.tiendo.Manager.InstanceExists":
        return "hồ sơ '\(s("id"))' đã có"
    case "vn.tiendo.Manager.InvalidData":
        return "dữ liệu không hợp lệ ở trường '\(s("field"))': \(s("reason"))"
    case "vn.tiendo.Manager.EventRejected":
        let state = opt("state").map { ", trạng thái '\($0)'" } ?? ""
        return "sự kiện bị từ chối: \(s("reason")) (hồ sơ '\(s("id"))', sự kiện '\(s("event"))'\(state))"
    case "vn.tiendo.Manager.ImportRejected":
        let n = e["errors"]?.arrayValue?.count ?? 0
        return "nhập bị từ chối: \(n) dòng không hợp lệ; không nhập gì"
    case "vn.tiendo.Manager.LimitExceeded":
        let group = opt("group").map { " trong nhóm «\($0)»" } ?? ""
        return "vượt giới hạn \(s("limit"))\(group): sẽ có \(s("count")), tối đa \(s("max"))"
    case "vn.tiendo.Manager.DefinitionInvalid":
        let n = e["diagnostics"]?.arrayValue?.count ?? 0
        return "định nghĩa quy trình không hợp lệ (\(n) vấn đề)"
    case "org.varlink.service.PermissionDenied":
        return "không có quyền (cần root hoặc nhóm tiendo-admin)"
    case "org.varlink.service.MethodNotFound":
        return "tiendod không biết phương thức '\(s("method"))' (tiendod và tiendoctl khác phiên bản?)"
    case "org.varlink.service.MethodNotImplemented":
        return "tiendod chưa hỗ trợ phương thức '\(s("method"))'"
    case "org.varlink.service.InterfaceNotFound":
        return "tiendod không có giao diện '\(s("interface"))'"
    case "org.varlink.service.InvalidParameter":
        return "tham số '\(s("parameter"))' không hợp lệ"
    case "org.varlink.service.ExpectedMore":
        return "phương thức này cần được gọi với \"more\""
    case "org.varlink.service.InternalError":
        return "lỗi nội bộ của tiendod" + (opt("reason").map { ": \($0)" } ?? "") + " (xem journalctl -u tiendod)"
    default:
        let params = e.parameters.objectValue?.isEmpty ?? true ? "" : " " + e.parameters.serialized()
        return "tiendod trả lỗi \(e.name)\(params)"
    }
}

func printErr(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// `FILE:LINE:COL: severity: message` of a Diagnostic object.
func diagnosticLine(_ d: JSON) -> String {
    let file = d["file"]?.stringValue ?? "?"
    let line = d["line"]?.intValue ?? 0
    let col = d["column"]?.intValue ?? 0
    return "\(file):\(line):\(col): \(d["severity"]?.stringValue ?? "error"): \(d["message"]?.stringValue ?? "")"
}

func isError(_ d: JSON) -> Bool { (d["severity"]?.stringValue ?? "error") == "error" }

/// `F=V` options as a data object. Values go as strings: tiendod converts a string by the field's declared type
/// (integer, number, boolean, date…), while a JSON number sent to a text or enum field would be refused — so
/// `--set so_the=0123` keeps its leading zero.
func assignments(_ list: [String], option: String) throws -> JSON? {
    guard !list.isEmpty else { return nil }
    var pairs: [(String, JSON)] = []
    for a in list {
        guard let eq = a.firstIndex(of: "="), eq != a.startIndex else {
            throw fail("\(option) '\(a)': cần TRƯỜNG=GIÁ_TRỊ")
        }
        let name = String(a[..<eq]).trimmingCharacters(in: .whitespaces)
        let value = String(a[a.index(after: eq)...])
        if pairs.contains(where: { $0.0 == name }) { throw fail("\(option): trường '\(name)' được gán hai lần") }
        pairs.append((name, .string(value)))
    }
    return .object(pairs)
}

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
    static func date(_ json: JSON?) -> String { Output.humanDue(json?.stringValue) }

    /// `còn 3 ngày`, `hôm nay`, `quá 2 ngày`.
    static func days(_ left: Int?, overdue: Bool) -> String {
        guard let left else { return overdue ? "quá hạn" : "" }
        if left > 0 { return overdue ? "quá hạn" : "còn \(left) ngày" }
        if left == 0 { return overdue ? "quá hạn hôm nay" : "hôm nay" }
        return "quá \(-left) ngày"
    }

    static func days(_ item: JSON) -> String {
        days(item["daysLeft"]?.intValue, overdue: item["overdue"]?.boolValue ?? false)
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

    static func kind(_ k: String?) -> String { Output.kindLabel(k ?? "") }

    /// One line for a DueItem: `dd/mm/yyyy (còn N ngày) — title`.
    static func dueLine(_ item: JSON) -> String {
        "\(date(item["due"])) (\(days(item))) — \(item["title"]?.stringValue ?? "")"
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
        let reply = try connection.call("GetStatus")
        if connection.json { return Output.printJSON(reply) }
        let s = reply["status"] ?? .object([])
        var head = "tiendod \(s["version"]?.stringValue ?? "?") (pid \(s["pid"]?.intValue.map(String.init) ?? "?"))"
        head += " — bây giờ \(Fmt.date(s["now"]))"
        if let wake = s["nextWakeup"]?.stringValue { head += ", thức tiếp lúc \(Fmt.date(wake))" }
        if let started = s["startedAt"]?.stringValue { head += ", chạy từ \(Fmt.date(started))" }
        print(Output.bold(head))
        let overdue = s["overdue"]?.intValue ?? 0
        let summary = "\(Fmt.count(s["workflows"]?.intValue ?? 0)) quy trình, \(Fmt.count(s["instances"]?.intValue ?? 0)) hồ sơ, "
            + "\(Fmt.count(overdue)) quá hạn"
        print(overdue > 0 ? Output.red(summary) : summary)
        let workflows = reply["workflows"]?.arrayValue ?? []
        if !workflows.isEmpty {
            print()
            let rows = workflows.map { w -> [String] in
                let next = w["nextDue"].flatMap { $0.isNull ? nil : $0 }
                return [
                    w["id"]?.stringValue ?? "", w["title"]?.stringValue ?? "", Fmt.count(w["instances"]?.intValue ?? 0),
                    Fmt.count(w["active"]?.intValue ?? 0), Fmt.count(w["completed"]?.intValue ?? 0),
                    Fmt.count(w["overdue"]?.intValue ?? 0), Fmt.count(w["dueSoon"]?.intValue ?? 0),
                    next.map { "\(Fmt.date($0["due"])) (\(Fmt.days($0)))" } ?? "—",
                ]
            }
            let colours = workflows.map { w in redIf((w["overdue"]?.intValue ?? 0) > 0) }
            Output.table(["Mã", "Tên", "Hồ sơ", "Đang chạy", "Hoàn tất", "Quá hạn", "Sắp đến hạn", "Hạn gần nhất"], rows, colour: colours)
        }
        let diags = s["diagnostics"]?.arrayValue ?? []
        if !diags.isEmpty {
            print()
            print(Output.bold("Vấn đề trong định nghĩa (\(diags.count)):"))
            for d in diags { print(isError(d) ? Output.red(diagnosticLine(d)) : Output.yellow(diagnosticLine(d))) }
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
        var wheres: [(String, JSON)] = []
        for f in filters {
            guard let eq = f.firstIndex(of: "="), eq != f.startIndex else { throw fail("--where '\(f)': cần TRƯỜNG=GIÁ_TRỊ") }
            wheres.append((String(f[..<eq]), .string(String(f[f.index(after: eq)...]))))
        }
        let client = try connection.connect()
        var all: [JSON] = []
        var after: String?
        var next: String?
        repeat {
            let want = limit.map { min($0 - all.count, 10_000) } ?? Self.page
            let reply: JSON
            do {
                reply = try client.call(
                    "ListInstances",
                    parameters: object([
                        ("workflow", workflow.map(JSON.string)), ("state", state.map(JSON.string)),
                        ("where", wheres.isEmpty ? nil : .object(wheres)), ("overdue", overdue ? .bool(true) : nil),
                        ("limit", .int(want)), ("after", after.map(JSON.string)),
                    ]))
            } catch { throw report(error, path: connection.path) }
            all += reply["instances"]?.arrayValue ?? []
            next = reply["next"]?.stringValue
            after = next
        } while next != nil && (limit.map { all.count < $0 } ?? true)
        if connection.json {
            return Output.printJSON(.object([("instances", .array(all)), ("next", next.map(JSON.string) ?? .null)]))
        }
        if all.isEmpty {
            print("Không có hồ sơ nào.")
            return
        }
        let rows = all.map { i -> [String] in
            let next = i["next"].flatMap { $0.isNull ? nil : $0 }
            return [
                i["id"]?.stringValue ?? "", stateText(i), Fmt.date(i["startedAt"]), overdueCount(i).map(String.init) ?? "",
                next.map { Fmt.date($0["due"]) } ?? "", next.map(Fmt.days) ?? "", next?["title"]?.stringValue ?? "",
            ]
        }
        Output.table(
            ["Hồ sơ", "Trạng thái", "Bắt đầu", "Quá hạn", "Hạn tiếp theo", "Còn/quá", "Việc"], rows, colour: all.map(overdueColour))
        var footer = "\(Fmt.count(all.count)) hồ sơ"
        if next != nil { footer += " (còn nữa; bỏ --limit để xem hết)" }
        print(Output.dim(footer))
    }
}

func stateText(_ i: JSON) -> String {
    var s = i["state"]?.stringValue ?? "—"
    if i["completed"]?.boolValue == true { s = i["state"]?.stringValue.map { "\($0), hoàn tất" } ?? "hoàn tất" }
    if i["stale"]?.boolValue == true { s += " (định nghĩa cũ)" }
    return s
}

/// How many open items of the instance are overdue (nil when none): its open overdue milestones, or its state
/// deadline when `next` is overdue.
func overdueCount(_ i: JSON) -> Int? {
    var n = (i["milestones"]?.arrayValue ?? []).filter { $0["overdue"]?.boolValue == true && $0["done"]?.boolValue != true }.count
    if n == 0, i["next"]?["overdue"]?.boolValue == true { n = 1 }
    return n > 0 ? n : nil
}

func isOverdue(_ i: JSON) -> Bool { overdueCount(i) != nil }

func overdueColour(_ i: JSON) -> ((String) -> String)? { redIf(isOverdue(i)) }

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
        let reply = try connection.call("GetInstance", [("id", .string(id))])
        if connection.json { return Output.printJSON(reply) }
        printInstance(reply["instance"] ?? .object([]))
    }
}

/// The human view of an Instance object.
func printInstance(_ i: JSON) {
    print(Output.bold("Hồ sơ \(i["id"]?.stringValue ?? "?")"))
    var fields: [[String]] = [
        ["Quy trình", i["workflow"]?.stringValue ?? ""],
        ["Trạng thái", stateText(i)],
        ["Bắt đầu", Fmt.date(i["startedAt"])],
    ]
    if i["state"]?.stringValue != nil { fields.append(["Vào trạng thái", Fmt.date(i["enteredAt"])]) }
    if let next = i["next"], !next.isNull {
        fields.append(["Hạn tiếp theo", Fmt.dueLine(next)])
    }
    let width = fields.map { $0[0].count }.max() ?? 0
    for f in fields {
        let line = "  " + f[0] + String(repeating: " ", count: width - f[0].count) + "  " + f[1]
        print(f[0] == "Hạn tiếp theo" && i["next"]?["overdue"]?.boolValue == true ? Output.red(line) : line)
    }
    let data = i["data"]?.objectValue ?? []
    if !data.isEmpty {
        print()
        print(Output.bold("Dữ liệu"))
        let w = data.map { $0.0.count }.max() ?? 0
        for (k, v) in data { print("  " + k + String(repeating: " ", count: w - k.count) + "  " + Fmt.value(v)) }
    }
    let milestones = i["milestones"]?.arrayValue ?? []
    if !milestones.isEmpty {
        print()
        print(Output.bold("Các mốc"))
        let rows = milestones.map { m -> [String] in
            let done = m["done"]?.boolValue == true
            let status: String
            if done {
                status = "xong" + (m["doneAt"]?.stringValue.map { " " + Fmt.date($0) } ?? "")
            } else {
                status = m["overdue"]?.boolValue == true ? "quá hạn" : "chưa xong"
            }
            let requires = (m["requires"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
            return [m["id"]?.stringValue ?? "", m["title"]?.stringValue ?? "", Fmt.date(m["due"]), status, requires]
        }
        let colours = milestones.map { m in redIf(m["done"]?.boolValue != true && m["overdue"]?.boolValue == true) }
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
        let reply = try connection.call(
            "StartInstance", [("workflow", .string(workflow)), ("key", key.map(JSON.string)), ("data", data)])
        if connection.json { return Output.printJSON(reply) }
        let i = reply["instance"] ?? .object([])
        print("Đã tạo hồ sơ \(i["id"]?.stringValue ?? "?") (\(stateText(i))).")
        printNext(i)
    }
}

func printNext(_ i: JSON) {
    if i["completed"]?.boolValue == true {
        print("Hồ sơ đã hoàn tất.")
    } else if let next = i["next"], !next.isNull {
        let line = "Hạn tiếp theo: \(Fmt.dueLine(next))"
        print(next["overdue"]?.boolValue == true ? Output.red(line) : line)
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
        if probe < 0 { throw fail("không đọc được tệp '\(file)': \(strerrorText(errno))") }
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
            let reply: JSON
            do {
                reply = try client.call(
                    "ImportInstances", parameters: .object([("workflow", .string(workflow)), ("rows", .array(batch.rows))]))
            } catch let e as VarlinkError where e.name == "vn.tiendo.Manager.ImportRejected" {
                let errors = e["errors"]?.arrayValue ?? []
                for d in errors {
                    let line = d["line"]?.intValue ?? 0
                    let where_ = batch.lines.indices.contains(line - 1) ? "\(file):\(batch.lines[line - 1])" : "\(file):(lô \(n + 1), dòng \(line))"
                    printErr("\(where_): \(d["message"]?.stringValue ?? "")")
                }
                throw fail(partial(imported, n, batches, reason: "\(errors.count) dòng không hợp lệ"))
            } catch {
                if imported == 0 { throw report(error, path: connection.path) }
                let reason: String
                switch error {
                case let e as VarlinkError: reason = describe(e)
                case let e as VarlinkTransportError: reason = "\(e)"
                default: reason = "\(error)"
                }
                throw fail(partial(imported, n, batches, reason: reason))
            }
            imported += reply["imported"]?.intValue ?? batch.rows.count
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
        let reply = try connection.call(
            "SendEvent",
            [("id", .string(id)), ("event", .string(event)), ("data", data), ("idempotencyKey", idempotencyKey.map(JSON.string))])
        if connection.json { return Output.printJSON(reply) }
        let i = reply["instance"] ?? .object([])
        if event == "done", let m = data?["milestone"]?.stringValue {
            print("Đã xong mốc '\(m)' của hồ sơ \(i["id"]?.stringValue ?? id).")
        } else {
            print("Đã nhận sự kiện '\(event)' cho hồ sơ \(i["id"]?.stringValue ?? id); trạng thái: \(stateText(i)).")
        }
        printNext(i)
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
        let reply = try connection.call("CompleteMilestone", [("id", .string(id)), ("milestone", .string(milestone))])
        if connection.json { return Output.printJSON(reply) }
        let i = reply["instance"] ?? .object([])
        let m = i["milestones"]?.arrayValue?.first { $0["id"]?.stringValue == milestone }
        let title = m?["title"]?.stringValue.map { " «\($0)»" } ?? ""
        print("Đã xong mốc '\(milestone)'\(title) của hồ sơ \(i["id"]?.stringValue ?? id).")
        printNext(i)
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
        let reply = try connection.call(
            "Agenda",
            [("days", days.map(JSON.int)), ("workflow", workflow.map(JSON.string)), ("group", group.map(JSON.string))])
        if connection.json { return Output.printJSON(reply) }
        let items = reply["items"]?.arrayValue ?? []
        let n = days ?? 7
        let overdue = items.filter { $0["overdue"]?.boolValue == true }
        let today = items.filter { $0["overdue"]?.boolValue != true && ($0["daysLeft"]?.intValue ?? 1) <= 0 }
        let later = items.filter { $0["overdue"]?.boolValue != true && ($0["daysLeft"]?.intValue ?? 1) > 0 }
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
    func section(_ items: [JSON], red: Bool) {
        var order: [String] = []
        var byGroup: [String: [JSON]] = [:]
        for it in items {
            let g = it["group"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? Self.noGroup
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
                    (grouped ? "  " : "") + Fmt.date(it["due"]), Fmt.days(it), it["instance"]?.stringValue ?? "",
                    it["title"]?.stringValue ?? "",
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
        let reply = try connection.call("History", [("id", .string(id))])
        if connection.json { return Output.printJSON(reply) }
        let records = reply["records"]?.arrayValue ?? []
        if records.isEmpty {
            print("Hồ sơ \(id) chưa có bản ghi nào.")
            return
        }
        let rows = records.map { r -> [String] in
            [Fmt.date(r["at"]), Fmt.kind(r["kind"]?.stringValue), r["message"]?.stringValue ?? ""]
        }
        Output.table(["Thời điểm", "Loại", "Nội dung"], rows, colour: records.map(recordColour))
    }
}

func recordColour(_ r: JSON) -> ((String) -> String)? {
    let priority = r["priority"]?.intValue ?? 6
    if priority <= 3 || r["kind"]?.stringValue == "overdue" { return Output.red }
    if priority == 4 || r["kind"]?.stringValue == "rejected" { return Output.yellow }
    return nil
}

// MARK: reload

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Nạp lại các định nghĩa quy trình; trả về khi đã có hiệu lực; mã thoát 1 nếu có lỗi (ExecReload=).")

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let reply = try connection.call("Reload")
        let diags = reply["diagnostics"]?.arrayValue ?? []
        let errors = diags.filter(isError).count
        if connection.json {
            Output.printJSON(reply)
        } else {
            for d in diags { print(isError(d) ? Output.red(diagnosticLine(d)) : Output.yellow(diagnosticLine(d))) }
            let n = reply["workflows"]?.arrayValue?.count ?? 0
            print("Đã nạp lại: \(Fmt.count(n)) quy trình đang có hiệu lực, \(errors) lỗi, \(diags.count - errors) cảnh báo.")
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
        let client = try connection.connect()
        do {
            try client.stream("Watch") { p in
                guard let r = p["record"], !r.isNull else { return true }
                if connection.json {
                    print(r.serialized())
                } else {
                    let who = r["instance"]?.stringValue ?? r["workflow"]?.stringValue ?? ""
                    let line = "\(Fmt.date(r["at"])) \(Fmt.kind(r["kind"]?.stringValue)) \(who): \(r["message"]?.stringValue ?? "")"
                    print(recordColour(r).map { $0(line) } ?? line)
                }
                flushStdout()
                return true
            }
        } catch VarlinkTransportError.closed(partial: false) {
            throw fail("tiendod đã đóng kết nối (daemon dừng hoặc khởi động lại?)")
        } catch {
            throw report(error, path: connection.path)
        }
    }
}
