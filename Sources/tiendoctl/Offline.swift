import ArgumentParser
import Foundation
import TiendoCore
import TiendoDelivery

/// `--workflows DIR` (repeatable) replaces the search path.
struct WorkflowsOption: ParsableArguments {
    @Option(
        name: .customLong("workflows"),
        help: ArgumentHelp("Thư mục quy trình (lặp lại được); thay cho đường tìm mặc định.", valueName: "DIR"))
    var directories: [String] = []

    var searchPath: [String] { directories.isEmpty ? Loader.defaultSearchPath : directories }

    /// A directory given that is not one is said as such, not as «không có quy trình 'thi-dua' trong /nonexist».
    func validate() throws {
        for d in directories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: d, isDirectory: &isDirectory) else {
                throw ValidationError("--workflows '\(d)': không có thư mục này")
            }
            if !isDirectory.boolValue {
                throw ValidationError("--workflows '\(d)': không phải thư mục (cần thư mục chứa các tệp quy trình)")
            }
        }
    }
}

func loadDefinition(_ workflow: String, _ options: WorkflowsOption) throws -> WorkflowDefinition {
    let loader = Loader(searchPath: options.searchPath)
    let (def, diags) = loader.resolve(workflow)
    // A name not found is the caller's slip, not a file's error: said in words, with the names there are.
    if def == nil, !Loader.isYAML(workflow), !workflow.contains("/") {
        let known = loader.workflowIDs()
        if !known.contains(workflow) {
            throw fail(notFound("quy trình", workflow, in: options.searchPath.joined(separator: ", "), known: known))
        }
    }
    for d in diags where d.severity == .error { printErr(d.description) }
    guard let def else { throw fail("không nạp được quy trình '\(workflow)'") }
    return def
}

/// «không có lịch 'x' trong W (có phải 'vn'?); các lịch: vn»: a name given that names nothing there, with the names
/// there are (none listed when there are none).
func notFound(_ what: String, _ name: String, in place: String, known: [String]) -> String {
    "không có \(what) '\(name)' trong \(place)\(vietnameseSuggestion(name, known))"
        + (known.isEmpty ? "" : "; các \(what): \(known.joined(separator: ", "))")
}

/// Parses `--start`/`--from`/`--until`: ISO 8601 with or without offset (workflow zone), a date (00:00 local), or
/// the same day first (`15/03/2026`, `15/03/2026 08:00`).
func parseInstant(_ text: String, zone: Zone, option: String) throws -> Instant {
    switch HumanDate.instant(text, zone: zone) {
    case .valid(let t): return t
    case .invalid(let reason): throw fail("\(option): \(reason)")
    }
}

/// A date option (`--until`): `YYYY-MM-DD` or `dd/mm/yyyy`.
func parseDate(_ text: String, option: String) throws -> CivilDate {
    switch HumanDate.date(text) {
    case .valid(let d): return d
    case .invalid(let reason): throw fail("\(option): \(reason)")
    }
}

func now() -> Instant { Instant(seconds: Int64(Date().timeIntervalSince1970)) }

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Kiểm tra tệp quy trình và lịch; in FILE:LINE:COL: error|warning: … (mã thoát 1 khi có lỗi).")

    @Argument(help: "Tệp hoặc thư mục (mặc định: đường tìm /etc/tiendo/workflows, /usr/lib/tiendo/workflows).")
    var paths: [String] = []

    @Flag(help: "In JSON: [{file,line,column,severity,message}] (dòng «not shown» thêm omitted: {errors,warnings}).")
    var json = false

    func run() throws {
        let targets = paths.isEmpty ? Loader.defaultSearchPath.filter { FileManager.default.fileExists(atPath: $0) } : paths
        // Nothing to check is not «0 lỗi»: it would read as every workflow being fine.
        if targets.isEmpty {
            throw fail(
                "không có thư mục quy trình nào để kiểm tra (\(Loader.defaultSearchPath.joined(separator: ", ")) đều không có); "
                    + "hãy chỉ ra tệp hoặc thư mục: tiendoctl validate Workflows")
        }
        let loader = Loader(searchPath: paths.isEmpty ? Loader.defaultSearchPath : [])
        // The routing file of email and webhook delivery (docs/delivery.md), named or found in a directory given,
        // is checked against the workflows of its directory.
        let routingFiles = targets.filter { $0.hasSuffix(RoutingParser.relativePath) }
        var diags = loader.validate(paths: targets.filter { !routingFiles.contains($0) }, named: !paths.isEmpty)
        let directories = targets.filter {
            var d: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && d.boolValue
        }
        for file in routingFiles + (RoutingParser.find(searchPath: directories).map { [$0] } ?? []) {
            let directory = ((file as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
            let searchPath = directories.isEmpty ? [directory] + Loader.defaultSearchPath : directories
            diags += RoutingParser.load(file: file, definitions: Loader(searchPath: searchPath).loadAll()).1
        }
        // By file (as found), then by place, as one reads the file; a «not shown» line stays last in its file.
        var fileOrder: [String: Int] = [:]
        for d in diags where fileOrder[d.file] == nil { fileOrder[d.file] = fileOrder.count }
        diags = diags.enumerated().sorted { a, b in
            let (x, y) = (a.element, b.element)
            return (fileOrder[x.file]!, x.omitted == nil ? 0 : 1, x.line, x.column, a.offset)
                < (fileOrder[y.file]!, y.omitted == nil ? 0 : 1, y.line, y.column, b.offset)
        }.map(\.element)
        if json {
            // The «not shown» line with what it stands for, so that a script counting problems counts them.
            Output.printJSON(
                .array(
                    diags.map { d in
                        guard let o = d.omitted, case .object(let pairs) = d.json else { return d.json }
                        return .object(pairs + [("omitted", .object([("errors", .int(o.errors)), ("warnings", .int(o.warnings))]))])
                    }))
        } else {
            for d in diags {
                let text = d.description
                Output.say(text, d.severity == .error ? Output.red : Output.yellow)
            }
            // The «N more … not shown» line of a file counts as the problems it stands for.
            let (errors, warnings) = Diagnostic.counts(diags)
            printErr("\(Messages.count(errors)) lỗi, \(Messages.count(warnings)) cảnh báo")
        }
        if diags.contains(where: { $0.severity == .error }) { throw ExitCode.failure }
    }
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Mọi bản ghi mà một hồ sơ giả định sẽ tạo ra nếu không có sự kiện nào: nhắc hạn, quá hạn (lần đầu), chuyển trạng thái tự động, hoàn tất."
    )

    @Argument(help: "Mã quy trình trong --workflows, hoặc đường dẫn tệp.")
    var workflow: String

    @OptionGroup var workflows: WorkflowsOption

    @Option(name: .customLong("set"), help: ArgumentHelp("Giá trị trường, TRƯỜNG=GIÁ_TRỊ (lặp lại được).", valueName: "FIELD=VALUE"))
    var assignments: [String] = []

    @Option(
        help: ArgumentHelp("Thời điểm bắt đầu (mặc định: bây giờ); không có độ lệch thì theo múi giờ của quy trình.", valueName: "DATETIME")
    )
    var start: String?

    @Option(help: ArgumentHelp("Ngày cuối (bao gồm); mặc định: ngày bắt đầu + 2 năm.", valueName: "DATE"))
    var until: String?

    @Flag(help: "In một mảng JSON các bản ghi, theo thứ tự thời gian.")
    var json = false

    func run() throws {
        let def = try loadDefinition(workflow, workflows)
        let startAt = try start.map { try parseInstant($0, zone: def.zone, option: "--start") } ?? now()
        let data: InstanceData
        switch Planner.data(def, assignments: assignments, start: def.zone.date(of: startAt)) {
        case .success(let d): data = d
        case .failure(let e): throw usage("--set: \(e)")
        }
        var untilDate = def.zone.date(of: startAt).adding(months: 24)
        if let until { untilDate = try parseDate(until, option: "--until") }
        // An empty table would read as «nothing falls due»: a range that ends before it starts is the caller's slip.
        let startDay = def.zone.date(of: startAt)
        if untilDate < startDay {
            throw usage("--until (\(untilDate.vietnamese)) trước ngày bắt đầu (\(startDay.vietnamese)): không có gì để lập kế hoạch")
        }
        let (records, cutAt) = Planner.bounded(def, data: data, start: startAt, until: untilDate)
        Output.printRecords(records, json: json)
        if let cutAt {
            throw fail(
                "kế hoạch dừng ở \(def.zone.vietnamese(cutAt)) sau \(Messages.count(Planner.maxWakeups)) lần có việc: "
                    + "các bản ghi sau đó không được in; hãy chọn --until sớm hơn")
        }
    }
}

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chạy bộ máy thật trên đồng hồ ảo và in mọi bản ghi (JSON Lines với --json).")

    @OptionGroup var workflows: WorkflowsOption

    @Option(help: ArgumentHelp("Thời điểm bắt đầu của đồng hồ ảo.", valueName: "DATETIME"))
    var from: String

    @Option(help: ArgumentHelp("Thời điểm kết thúc (một ngày nghĩa là hết ngày đó).", valueName: "DATETIME"))
    var until: String

    @Option(help: ArgumentHelp("Hồ sơ từ CSV: QUY_TRÌNH=TỆP.csv (lặp lại được).", valueName: "WORKFLOW=FILE.csv"))
    var instances: [String] = []

    @Option(
        help: ArgumentHelp(
            "Sự kiện, JSON Lines: {\"at\",\"instance\",\"event\",\"data\"?} hoặc {\"at\",\"instance\",\"milestone\"}.",
            valueName: "FILE.jsonl"))
    var events: String?

    @Flag(help: "In JSON Lines.")
    var json = false

    func run() throws {
        let loader = Loader(searchPath: workflows.searchPath)
        let set = loader.loadAll()
        for d in set.errors { printErr(d.description) }
        let zone = set.order.first.flatMap { set.workflows[$0]?.zone } ?? .vietnam
        let fromAt = try parseInstant(from, zone: zone, option: "--from")
        var untilAt = try parseInstant(until, zone: zone, option: "--until")
        if case .valid = HumanDate.date(until) { untilAt = untilAt.adding(seconds: 86_399) }
        if untilAt < fromAt {
            throw usage("--until (\(zone.vietnamese(untilAt))) trước --from (\(zone.vietnamese(fromAt))): không có gì để chạy")
        }
        var planned: [Simulator.Planned] = []
        var problems: [Diagnostic] = []
        for spec in instances {
            guard let eq = spec.firstIndex(of: "=") else { throw usage("--instances '\(spec)': cần QUY_TRÌNH=TỆP.csv") }
            let wf = String(spec[..<eq])
            let file = String(spec[spec.index(after: eq)...])
            guard let def = set.workflow(wf) else { throw fail("--instances: không có quy trình '\(wf)' (hoặc quy trình có lỗi)") }
            let bytes = try readWhole(file)
            let rows: [CSV.Row]
            do { rows = try CSV.parse(bytes: [UInt8](bytes)) } catch { throw fail("\(file):\(error.line): \(error.reason)") }
            switch InstanceRows.convert(rows, def: def, file: file, start: fromAt) {
            case .success(let rs):
                for (n, r) in rs.enumerated() {
                    planned.append(
                        Simulator.Planned(workflow: def, key: r.key ?? String(n + 1), started: r.started ?? fromAt, data: r.data))
                }
            case .failure(let list): problems += list.items
            }
        }
        var evs: [SimulatedEvent] = []
        let instancesRead = problems.isEmpty
        if let events {
            guard let text = String(data: try readWhole(events, what: "tệp sự kiện"), encoding: .utf8) else {
                throw fail("tệp sự kiện '\(events)' không phải văn bản UTF-8")
            }
            switch SimulatedEvent.parse(jsonLines: text, file: events, zone: zone) {
            case .success(let e): evs = e
            case .failure(let list): problems += list.items
            }
            // An event for a record no file of --instances starts is a bad line too (a typo in its id), not a
            // simulation that runs without it. Only when every row was read: a bad row's record is not planned, and
            // its events would be reported as well as the row.
            if instancesRead {
                let known = Set(planned.map { "\($0.workflow.id)/\($0.key)" })
                for e in evs where !known.contains(e.instance) {
                    problems.append(
                        Diagnostic(
                            file: events, line: e.line, column: 1, severity: .error,
                            message: "không có hồ sơ '\(e.instance)' trong các tệp --instances"
                                + (closestName(e.instance, known).map { "; có phải '\($0)'?" } ?? "")))
                }
            }
        }
        if !problems.isEmpty {
            for p in problems { printErr("\(p.file):\(p.line): \(p.message)") }
            throw fail("\(problems.count) dòng không hợp lệ; không mô phỏng gì")
        }
        let sim = Simulator()
        let (records, issues) = sim.run(from: fromAt, until: untilAt, planned: planned, events: evs)
        // An event the engine refused is named with its file and line («LINE: …» from the simulator), a record that
        // could not start by its id; the run says it in its exit status.
        for i in issues {
            let isEvent = i.prefix { $0 != ":" }.allSatisfy(\.isNumber) && i.contains(":")
            printErr(isEvent ? "\(events ?? ""):\(i)" : "tiendoctl: \(i)")
        }
        Output.printRecords(records, json: json, lines: true)
        if !issues.isEmpty {
            throw fail("\(issues.count) sự kiện hoặc hồ sơ không thực hiện được (xem các dòng trên); các bản ghi khác đã in")
        }
    }
}

struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Máy trạng thái và quan hệ giữa các mốc dưới dạng đồ thị (DOT hoặc Mermaid).")

    @Argument(help: "Mã quy trình hoặc đường dẫn tệp.")
    var workflow: String

    @OptionGroup var workflows: WorkflowsOption

    @Option(help: "dot hoặc mermaid.")
    var format: String = "dot"

    func run() throws {
        guard let f = GraphRenderer.Format(rawValue: format) else { throw usage("--format phải là dot hoặc mermaid") }
        let def = try loadDefinition(workflow, workflows)
        // Line by line, so that only control characters inside a line (from titles) are escaped.
        var lines = GraphRenderer.render(def, format: f).split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        for line in lines { Output.say(String(line)) }
    }
}

struct CalendarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar",
        abstract:
            "Các ngày nghỉ (ngoài cuối tuần) của một năm, tên và trạng thái của năm (chính thức hay dự kiến); --all thêm cả cuối tuần; --years liệt kê các năm có trong tệp lịch (chính thức hay dự kiến) và nguồn của chúng."
    )

    @Argument(help: ArgumentHelp("Mã lịch (mặc định vn; chỉ một con số, như 2027, là năm của lịch vn).", valueName: "calendar"))
    var calendarGiven: String?

    @Argument(help: "Năm (mặc định: năm nay).")
    var year: Int?

    @OptionGroup var workflows: WorkflowsOption

    @Flag(help: "Thêm các ngày cuối tuần.")
    var all = false

    @Flag(help: "Liệt kê các năm có trong years: và nguồn của chúng, thay cho các ngày của một năm.")
    var years = false

    @Flag(help: "In JSON: [{date, name, kind, status, source?}] (với --years: [{year, status, source?}]).")
    var json = false

    func run() throws {
        let loader = Loader(searchPath: workflows.searchPath)
        // `tiendoctl calendar 2027`: a lone number is the year of the default calendar, not a calendar's id (unless a
        // calendar is named so).
        let known = loader.calendarIDs()
        var calendar = calendarGiven ?? "vn"
        var year = year.map(String.init)
        let number = calendarGiven.map { !$0.isEmpty && $0.utf8.allSatisfy { (48...57).contains($0) } } ?? false
        if number, let given = calendarGiven, !known.contains(given) {
            guard year == nil else { throw usage("không có lịch '\(given)': mã lịch đứng trước năm (tiendoctl calendar vn \(given))") }
            calendar = "vn"
            year = given
        }
        if years, let year { throw usage("--years liệt kê mọi năm của lịch: không đi cùng một năm ('\(year)')") }
        let (cal, diags) = loader.resolveCalendar(calendar)
        if cal == nil, !known.contains(calendar) {
            throw fail(
                notFound("lịch", calendar, in: "thư mục calendars/ của \(workflows.searchPath.joined(separator: ", "))", known: known))
        }
        for d in diags where d.severity == .error { printErr(d.description) }
        guard let cal else { throw fail("không nạp được lịch '\(calendar)'") }
        if years { return printYears(cal) }
        // The years a case's dates can fall in (`HumanDate.range`): `calendar vn 1800` listed a «Ngày Chiến thắng
        // 30/04/1800», projected by today's rules into a year no case reaches.
        let allowed = HumanDate.range.lowerBound.year...HumanDate.range.upperBound.year
        guard let y = year.map({ Int($0) }) ?? cal.zone.date(of: now()).year, allowed.contains(y) else {
            throw usage(
                "năm '\(year ?? "")' ngoài khoảng \(allowed.lowerBound)–\(allowed.upperBound) (khoảng mà các ngày của hồ sơ có thể rơi vào)"
            )
        }
        if json { return Output.printJSON(cal.listingJSON(year: y, includeWeekends: all)) }
        let days = cal.days(in: y, includeWeekends: all)
        let kinds = ["holiday": "ngày lễ", "compensatory": "nghỉ bù", "weekend": "cuối tuần", "workday": "làm bù"]
        Output.say("\(cal.title) — \(y): \(cal.statusText(of: y))", Output.bold)
        Output.table(
            ["Ngày", "Thứ", "Loại", "Tên"],
            days.map { [$0.date.vietnamese, $0.date.weekdayName, kinds[$0.kind.rawValue] ?? $0.kind.rawValue, $0.name] })
        if cal.status(of: y) == .projected {
            let file = cal.file.isEmpty ? "" : " (\(cal.file))"
            Output.say(
                "Năm \(y) chưa có lịch nghỉ chính thức trong tệp lịch\(file): các ngày trên "
                    + (cal.listedYears.contains(y)
                        ? "là danh sách dự kiến" : "được suy ra từ quy tắc (ngày lễ dương lịch, âm lịch, nghỉ bù)")
                    + "; mọi hạn tính qua năm này được ghi «(dự kiến)» cho đến khi thêm lịch chính thức và nạp lại.")
        }
    }

    /// `--years`: each year under `years:` with its status and source, then the rule for every other year.
    func printYears(_ cal: WorkCalendar) {
        if json { return Output.printJSON(cal.yearsJSON) }
        Output.say("\(cal.title) — các năm có lịch trong tệp", Output.bold)
        Output.table(
            ["Năm", "Trạng thái", "Nguồn"],
            cal.listedYears.map { y in
                [String(y), cal.status(of: y) == .official ? "chính thức" : "dự kiến", cal.source(of: y) ?? "không ghi nguồn"]
            })
        Output.say("Các năm khác: \(WorkCalendar.otherYearsText).")
    }
}
