import ArgumentParser
import Foundation
import TiendoCore
import TiendoVarlink

/// `--socket PATH`, `--json` and `--timeout N`, shared by every online command.
struct ConnectionOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Socket điều khiển của tiendod (mặc định: $TIENDO_SOCKET, nếu không thì \(ManagerClient.defaultSocketPath)).",
            valueName: "PATH"))
    var socket: String?

    @Flag(help: "In tham số trả lời của phương thức dưới dạng JSON.")
    var json = false

    // Optional, so that the help says the default once, in words («120», not ArgumentParser's «120.0» after ours).
    @Option(
        name: .customLong("timeout"), parsing: .unconditional,
        help: ArgumentHelp("Chờ trả lời của tiendod tối đa N giây (mặc định 120; 0: chờ mãi; watch luôn chờ).", valueName: "N"))
    var timeoutGiven: Double?

    var timeout: Double { timeoutGiven ?? 120 }

    func validate() throws {
        if let t = timeoutGiven, !(t >= 0) || !t.isFinite { throw ValidationError("--timeout phải từ 0 trở lên (0: chờ mãi)") }
        // An empty path (`--socket "$UNSET"`) would silently mean the default socket, perhaps another tiendod's.
        if socket?.isEmpty == true { throw ValidationError("--socket cần đường dẫn của socket, không để trống") }
    }

    var path: String { ManagerClient.resolveSocketPath(socket) }

    var client: ManagerClient { ManagerClient(socketPath: path, timeout: max(0, timeout)) }

    /// Moves leading `--socket PATH`, `--socket=PATH`, `--timeout N`, `--timeout=N` and `--json` after the subcommand
    /// name (`status` if none), and after a nested subcommand's name (`deliveries retry`) when one follows.
    static func hoisted(_ args: [String], into subcommands: [String: Set<String>]) -> [String] {
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
        if let name = rest.first, let nested = subcommands[name] {
            if rest.count > 1, nested.contains(rest[1]) { return [name, rest[1]] + lead + rest.dropFirst(2) }
            return [name] + lead + rest.dropFirst()
        }
        if rest.first.map({ !$0.hasPrefix("-") }) ?? false { return args }  // unknown word: let the parser say so
        return ["status"] + lead + rest
    }

    /// A connection for several calls in a row.
    func connect() throws -> VarlinkConnection {
        do { return try client.connect() } catch { throw report(error, path: path) }
    }

    /// What a caller is told when a call of `name` got no answer: a change sent may still be recorded (a read changed
    /// nothing, and says nothing of it).
    static func unanswered(_ name: String) -> String? {
        switch name {
        case "SendEvent":
            return "một thay đổi đã gửi có thể vẫn được ghi: xem `tiendoctl show` hoặc `history` trước khi gửi lại, "
                + "hoặc gửi lại kèm cùng --idempotency-key"
        case "StartInstance", "CompleteMilestone", "Undo":
            return "một thay đổi đã gửi có thể vẫn được ghi: xem `tiendoctl show` hoặc `history` trước khi gửi lại"
        case "ImportInstances": return "lần nhập có thể vẫn được ghi: xem `tiendoctl list` trước khi nhập lại"
        case "Backup": return "bản sao có thể vẫn đang được chép: xem `tiendoctl backup --list` trước khi sao lưu lại"
        case "Retry": return "các thư có thể đã được đưa lại vào hàng đợi: xem `tiendoctl deliveries` trước khi làm lại"
        case "Discard": return "các thư có thể đã được bỏ qua: xem `tiendoctl deliveries --state expired` trước khi làm lại"
        // A reload may be repeated as it is.
        default: return nil
        }
    }

    /// `method` on `connection` (a fresh one if nil): the reply's parameters as sent; any failure becomes a one-line
    /// reason and exit 1.
    func parameters<M: ManagerMethod>(_ method: M, on connection: VarlinkConnection? = nil) throws -> JSON {
        do {
            return try (connection.map { try $0.parameters(of: method) } ?? client.parameters(of: method))
        } catch {
            throw report(error, path: path, unanswered: ConnectionOptions.unanswered(M.name))
        }
    }

    /// The typed reply of `M` from its parameters.
    func read<M: ManagerMethod>(_ method: M.Type, _ parameters: JSON) throws -> M.Reply {
        do { return try M.reply(from: parameters) } catch { throw report(error, path: path) }
    }

    /// The definitions in force (`vn.tiendo.Extras.Workflows`): fields' titles, states, import headings.
    func workflows() throws -> [Extras.WorkflowInfo] { try read(Extras.Workflows.self, parameters(Extras.Workflows())).workflows }

    /// One workflow in force, nil for none of that id or when it cannot be read now, without a word: for what a reply
    /// already received is shown with (titles), whose failure must not be reported as the command's.
    func quietWorkflow(_ id: String) -> Extras.WorkflowInfo? {
        (try? client.call(Extras.Workflows()))?.workflows.first { $0.id == id }
    }

    /// One workflow in force, nil for none of that id.
    func workflow(_ id: String) throws -> Extras.WorkflowInfo? { try workflows().first { $0.id == id } }

    /// One call: with `--json` prints the reply's parameters as sent, else hands the typed reply to `human`.
    func run<M: ManagerMethod>(_ method: M, human: (M.Reply) throws -> Void) throws {
        let p = try parameters(method)
        if json { return Output.printJSON(p) }
        try human(read(M.self, p))
    }
}

/// Turns any failure of a call into the one-line reason on stderr (after the diagnostics an error carries) and
/// `ExitCode.failure`.
func report(_ error: any Error, path: String, unanswered: String? = nil) -> ExitCode {
    switch error {
    case let e as ExitCode: return e
    case let e as ManagerError:
        for d in e.diagnostics { printErr(diagnosticLine(d)) }
        // `nope/x`: no such record because no such workflow, said as such (with the one likely meant).
        if case .noSuchInstance(let id) = e, let slash = id.firstIndex(of: "/"),
            let loaded = (try? ManagerClient(socketPath: path, timeout: 10).call(Extras.Workflows()))?.workflows.map(\.id).sorted(),
            !loaded.contains(String(id[..<slash]))
        {
            let workflow = String(id[..<slash])
            return fail(
                "\(e.description): không có quy trình '\(workflow)'\(vietnameseSuggestion(workflow, loaded)); "
                    + "các quy trình: \(loaded.joined(separator: ", "))")
        }
        // The technical officer reads this: what to do on the server, not «ask the technical officer».
        if case .clockBehind(let now, let newest) = e { return fail("chưa ghi: " + ClockAdvice.text(now: now, newest: newest)) }
        return fail(e.description)
    case let e as VarlinkTransportError:
        if case .timedOut = e.reason, let unanswered { return fail(e.description + "; " + unanswered) }
        return fail(e.description)
    case let e as ReplyDecodingError:
        return fail("lỗi khi nói chuyện với tiendod tại \(path): \(e)")
    default:
        return fail("\(error)")
    }
}

/// `FILE:LINE:COL: severity: message`.
func diagnosticLine(_ d: Manager.Diagnostic) -> String {
    "\(d.file):\(d.line):\(d.column): \(d.severity): \(d.message)"
}

/// A diagnostic line in red (error) or yellow (warning).
func sayDiagnostic(_ d: Manager.Diagnostic) {
    Output.say(diagnosticLine(d), d.isError ? Output.red : Output.yellow)
}

/// `F=V` options as a data object. Values go as strings: tiendod converts a string by the field's declared type
/// (integer, number, boolean, date…), while a JSON number sent to a text or enum field would be refused — so
/// `--set so_the=0123` keeps its leading zero.
func assignments(_ list: [String], option: String) throws -> JSON? {
    guard !list.isEmpty else { return nil }
    var pairs: [(String, JSON)] = []
    for a in list {
        guard let eq = a.firstIndex(of: "="), eq != a.startIndex else {
            throw usage("\(option) '\(a)': cần TRƯỜNG=GIÁ_TRỊ")
        }
        let name = String(a[..<eq]).trimmingCharacters(in: .whitespaces)
        let value = String(a[a.index(after: eq)...])
        if pairs.contains(where: { $0.0 == name }) { throw fail("\(option): trường '\(name)' được gán hai lần") }
        pairs.append((name, .string(value)))
    }
    return .object(pairs)
}
