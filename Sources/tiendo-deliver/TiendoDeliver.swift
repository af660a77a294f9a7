import ArgumentParser
import Foundation
import TiendoCommandLine
import TiendoCore
import TiendoDelivery
import TiendoVersion

/// `tiendo-deliver`: sends tiendo's records to people (email over SMTP or sendmail) and systems (signed webhooks),
/// in its own process and unit; tiendod itself keeps no network access.
@main
struct TiendoDeliver: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiendo-deliver",
        abstract: "Gửi thông báo của tiendo qua email và webhook.",
        version: TiendoVersion.string,
        subcommands: [Run.self, Check.self, Enqueue.self, QueueList.self, Retry.self],
        defaultSubcommand: Run.self)

    /// ArgumentParser's own words in Vietnamese (`TiendoCommandLine`).
    static func main() async { await mainInVietnamese() }
}

/// `tiendo-deliver check`: the routing file against the workflows, compiler style.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Kiểm tra tệp định tuyến (FILE:LINE:COL: error|warning: …).")

    @OptionGroup var setup: SetupOptions
    @Flag(name: .customLong("json"), help: "In [{file,line,column,severity,message}].") var json = false
    @Flag(
        name: .customLong("ip-allow"),
        help: "In dòng IPAddressAllow= cho tiendo-deliver.service từ địa chỉ IP hiện tại của các máy chủ trong tệp định tuyến.")
    var ipAllow = false

    func run() throws {
        let definitions = Loader(searchPath: setup.searchPath).loadAll()
        let file = try setup.routingFile()
        let (routing, found) = RoutingParser.load(file: file, definitions: definitions)
        // The workflows' own errors first: a routing error («not a field of any workflow») is often their consequence
        // (a workflow rejected for an unknown calendar is not loaded at all).
        let diagnostics = definitions.errors + found + (routing.map(Check.secretFiles) ?? [])
        if ipAllow, let routing {
            let hosts = routing.channelOrder.compactMap { routing.channels[$0]?.remoteHost }
            var addresses: [String] = []
            for h in hosts {
                let found = Resolver.addresses(of: h)
                guard !found.isEmpty else { throw Failure("không phân giải được máy chủ '\(h)'") }
                for a in found where !addresses.contains(a) { addresses.append(a) }
            }
            print("IPAddressAllow=localhost" + addresses.map { " " + $0 }.joined())
            return
        }
        if json {
            print(JSON.array(diagnostics.map(\.json)).serialized())
        } else {
            for d in diagnostics { print(d.description) }
            if let routing {
                let hosts = routing.channelOrder.compactMap { routing.channels[$0]?.remoteHost }
                print(
                    "\(file): \(routing.channelOrder.count) kênh, \(routing.routes.count) tuyến, \(routing.lists.count) danh sách người nhận"
                        + (hosts.isEmpty ? "" : "; máy chủ: \(hosts.joined(separator: ", "))"))
            }
        }
        // Any error printed fails the check, as `tiendoctl validate` does: a workflow rejected (an unknown calendar)
        // is one the routing file's fields and filters were not checked against.
        if routing == nil || diagnostics.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
    }
}

extension Check {
    /// The channels' `password_file` and `secret_file` this user cannot read. The sender reads them at each send, and
    /// a missing one paused its channel for ever with «không đọc được thông tin bí mật PATH» while `check` had passed
    /// (audit, 07/12/2026). Checked here, not by the routing file's parser: tiendod parses the same file as another
    /// user, to whom the sender's secrets are rightly unreadable.
    static func secretFiles(_ routing: Routing) -> [Diagnostic] {
        routing.channelOrder.compactMap { name -> Diagnostic? in
            guard let channel = routing.channel(name) else { return nil }
            let key = channel.kind == .webhook ? "secret_file" : "password_file"
            guard case .file(let path) = channel.kind == .webhook ? channel.secret : channel.password,
                !FileManager.default.isReadableFile(atPath: path)
            else { return nil }
            let why =
                FileManager.default.fileExists(atPath: path)
                ? "cannot be read by this user (run the check as the service's: sudo -u tiendo-deliver tiendo-deliver check)"
                : "does not exist"
            return Diagnostic(
                file: routing.file, line: channel.position.line, column: channel.position.column, severity: .error,
                message: "'\(key)' \(path) of channel '\(name)' \(why)")
        }
    }
}

/// `tiendo-deliver enqueue`: the fan-out of records into the test queue (what tiendod will do at commit time).
struct Enqueue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Đưa bản ghi (JSON Lines, như `tiendoctl simulate --json`) vào hàng đợi thử nghiệm theo tệp định tuyến.")

    @OptionGroup var setup: SetupOptions
    @OptionGroup var queue: QueueOption
    @Option(
        name: .customLong("instances"),
        help: ArgumentHelp("Dữ liệu hồ sơ cho người nhận theo trường: QUY_TRÌNH=TỆP.csv (như simulate).", valueName: "WORKFLOW=FILE"))
    var instances: [String] = []
    @Argument(help: "Tệp bản ghi; '-' là stdin. Mỗi dòng là một bản ghi, hoặc {\"record\", \"key\"?, \"data\"?}.")
    var file = "-"

    func run() async throws {
        let s = try setup.load()
        let data = try instanceData(s.definitions)
        let input: Data?
        if file == "-" {
            input = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            input = FileManager.default.contents(atPath: file)
        }
        guard let input, let text = String(data: input, encoding: .utf8) else { throw Failure("không đọc được \(file)") }
        let q = try TestQueue(path: try queue.path)
        var records = 0
        var added = 0
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            let j: JSON
            do { j = try JSON.parse(String(line)) } catch { throw Failure("\(file):\(n + 1): \(error)") }
            let record = j["record"] ?? j
            let notice: Notice
            do { notice = try Notice(json: record) } catch { throw Failure("\(file):\(n + 1): \(error.reason)") }
            var fields: [String: String] = notice.instance.flatMap { data[$0] } ?? [:]
            for (k, v) in j["data"]?.objectValue ?? [] { fields[k] = v.stringValue ?? v.serialized() }
            let key = j["key"]?.stringValue ?? notice.derivedKey
            let (deliveries, unreachable) = s.router.fanOut(notice, recordKey: key, data: fields, now: notice.at)
            for u in unreachable { FileHandle.standardError.write(Data("\(file):\(n + 1): \(u.logLine)\n".utf8)) }
            records += 1
            added += try await q.add(deliveries, recordKey: key, record: record, now: notice.at).count
        }
        print("\(records) bản ghi, \(added) thông báo cần gửi")
    }

    /// Instance data by instance id from `--instances` CSV files, keyed as `simulate` keys them.
    func instanceData(_ set: DefinitionSet) throws -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for spec in instances {
            guard let eq = spec.firstIndex(of: "=") else { throw Failure("--instances '\(spec)': cần QUY_TRÌNH=TỆP.csv") }
            let wf = String(spec[..<eq])
            let path = String(spec[spec.index(after: eq)...])
            guard let def = set.workflow(wf) else { throw Failure("--instances: không có quy trình '\(wf)'") }
            guard let bytes = FileManager.default.contents(atPath: path) else { throw Failure("không đọc được tệp '\(path)'") }
            let rows: [CSV.Row]
            do { rows = try CSV.parse(bytes: [UInt8](bytes)) } catch { throw Failure("\(path):\(error.line): \(error.reason)") }
            switch InstanceRows.convert(rows, def: def, file: path) {
            case .success(let rs):
                for (n, r) in rs.enumerated() {
                    out["\(wf)/\(r.key ?? String(n + 1))"] = r.data.mapValues { $0.display(zone: def.zone) }
                }
            case .failure(let list):
                throw Failure(list.items.map { "\($0.file):\($0.line): \($0.message)" }.joined(separator: "\n"))
            }
        }
        return out
    }
}

/// `tiendo-deliver queue`: what the test queue holds (`tiendoctl deliveries` shows tiendod's queue).
struct QueueList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue", abstract: "Liệt kê các thông báo trong hàng đợi thử nghiệm.")

    @OptionGroup var queue: QueueOption
    @Option(name: .customLong("state"), help: "Chỉ trạng thái này (pending, inflight, sent, dead, expired).") var state: String?
    @Flag(name: .customLong("json"), help: "In JSON.") var json = false

    func run() async throws {
        let q = try TestQueue(path: try queue.path, readOnly: true)
        let entries = await q.entries().filter { state == nil || $0.state.rawValue == state }
        if json {
            print(JSON.array(entries.map(QueueList.json)).serialized())
            return
        }
        let counts = Dictionary(grouping: entries, by: \.state).mapValues(\.count)
        print(QueueBook.State.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", "))
        for e in entries {
            let d = e.delivery
            let when = Zone.vietnam.dateAndTime(e.finishedAt ?? d.notBefore)
            print(
                "#\(d.id)\t\(e.state.rawValue)\t\(d.channel)\t\(d.recipient?.address ?? "-")\t\(QueueList.record(d))\t\(when)\t\(d.attempts)\t\(e.lastError ?? e.providerID ?? "")"
            )
        }
    }

    /// The record a delivery is about, as `tiendoctl deliveries` writes it: `Nguyễn Văn An (nhac-viec/m00001)`.
    static func record(_ d: Delivery) -> String {
        DeliveryRow.recordName(
            instance: d.record["instance"]?.stringValue, workflow: d.record["workflow"]?.stringValue ?? "-", label: d.label)
    }

    static func json(_ e: QueueBook.Entry) -> JSON {
        let d = e.delivery
        var o: [(String, JSON)] = [
            ("id", .int(Int(d.id))), ("key", .string(d.key)), ("state", .string(e.state.rawValue)), ("channel", .string(d.channel)),
            ("route", .string(d.route)), ("notBefore", .string(Zone.vietnam.iso(d.notBefore))), ("attempts", .int(d.attempts)),
        ]
        if let r = d.recipient { o.append(("to", .string(r.address))) }
        if let l = d.label { o.append(("label", .string(l))) }
        if let m = e.messageKey { o.append(("messageKey", .string(m))) }
        if let g = d.digest { o.append(("digest", .string(g))) }
        if let x = d.expiresAt { o.append(("expiresAt", .string(Zone.vietnam.iso(x)))) }
        if let f = e.finishedAt { o.append(("finishedAt", .string(Zone.vietnam.iso(f)))) }
        if let err = e.lastError { o.append(("error", .string(err))) }
        if let p = e.providerID { o.append(("provider", .string(p))) }
        return .object(o)
    }
}

/// `tiendo-deliver retry`: dead letters back to the queue, with the same message key.
struct Retry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Gửi lại các thông báo trong thư chết.")

    @OptionGroup var queue: QueueOption
    @Flag(name: .customLong("all-dead"), help: "Mọi thông báo trong thư chết.") var allDead = false
    @Argument(help: "Số thứ tự các thông báo.") var ids: [Int64] = []

    func validate() throws {
        if allDead == !ids.isEmpty { throw ValidationError("cần ID… hoặc --all-dead") }
    }

    func run() async throws {
        let q = try TestQueue(path: try queue.path)
        let chosen = allDead ? await q.deadIDs() : ids
        let done = try await q.retry(chosen, now: Instant(seconds: Int64(Date().timeIntervalSince1970)))
        print(
            "Đưa lại \(done.count) thông báo vào hàng đợi"
                + (done.count < chosen.count ? " (\(chosen.count - done.count) không ở thư chết)" : ""))
    }
}
