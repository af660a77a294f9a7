import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import TiendoCore
import TiendoVarlink

@testable import TiendoWeb

/// The package's root and the binaries built with these tests.
enum Build {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .path

    static func binary(_ name: String) -> String {
        if let dir = ProcessInfo.processInfo.environment["TIENDO_BIN_DIR"] { return dir + "/" + name }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [beside, beside.deletingLastPathComponent(), URL(fileURLWithPath: root + "/.build/debug")] {
            let p = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return root + "/.build/debug/" + name
    }
}

/// A real tiendod (fake clock 02/03/2026 09:00) with the vn calendar and one small workflow with groups, stopped
/// (SIGKILL) when released.
final class Daemon: @unchecked Sendable {
    let dir = TempDirectory()
    let process = Process()
    var socket: String { dir.path + "/sock" }

    static let workflow = """
        tiendo: 1
        title: Kiểm tra hồ sơ
        fields:
          ho_ten: {type: text, required: true, title: Họ và tên}
          chi_bo: {type: text, required: true, title: Chi bộ}
          han: {type: date, required: true}
        group_by: chi_bo
        initial: cho
        states:
          cho:
            title: Chờ nộp
            deadline: {due: han}
            on: {nop: xong}
          xong: {final: true, title: Đã nộp}
        milestones:
          xac-minh: {title: Xác minh lý lịch, due: han - 2d}
        """

    init() throws {
        let wf = dir.path + "/wf"
        try FileManager.default.createDirectory(atPath: wf + "/calendars", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Build.root + "/Workflows/calendars/vn.yaml", toPath: wf + "/calendars/vn.yaml")
        try Daemon.workflow.write(toFile: wf + "/kt.yaml", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: Build.binary("tiendod"))
        process.arguments = [
            "--workflows", wf, "--state-dir", dir.path + "/state", "--runtime-dir", dir.path + "/run", "--socket", socket,
            "--fake-time", "2026-03-02T09:00:00+07:00",
        ]
        var env = ProcessInfo.processInfo.environment
        env["JOURNAL_STREAM"] = nil
        env["NOTIFY_SOCKET"] = nil
        process.environment = env
        // Neither output goes to the test runner's pipes: a tiendod that outlived its test would otherwise hold them
        // open and keep `swift test` waiting for their end.
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let client = ManagerClient(socketPath: socket, timeout: 10)
        for _ in 0..<600 {
            if (try? client.getStatus()) != nil { break }
            usleep(50_000)
        }
        let rows: [JSON] = [
            .object([
                ("key", .string("a1")), ("ho_ten", .string("Nguyễn Thị Hà")), ("chi_bo", .string("Chi bộ 1")),
                ("han", .string("2026-02-25")),
            ]),
            .object([
                ("key", .string("b1")), ("ho_ten", .string("Lê Thị Cúc")), ("chi_bo", .string("Chi bộ 2")), ("han", .string("2026-03-05")),
            ]),
        ]
        _ = try client.importInstances(workflow: "kt", rows: rows)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Requests straight into tiendo-web's router, without sockets (what HummingbirdTesting's `.router` mode does,
/// without its HTTP client dependencies), with a cookie jar like a browser's.
final class Browser: @unchecked Sendable {
    let responder: RouterResponder<WebContext>
    var cookies: [String: String] = [:]

    struct Page {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: String
        var location: String? { headers[.location] }
        /// The first hidden CSRF field's value.
        var csrf: String? {
            guard let r = body.range(of: #"name="_csrf" value=""#) else { return nil }
            return String(body[r.upperBound...].prefix { $0 != "\"" })
        }
    }

    init(_ app: WebApp) {
        responder = app.router().buildResponder()
    }

    func get(_ path: String, headers: HTTPFields = [:]) async throws -> Page { try await send(.get, path, headers: headers) }

    func post(_ path: String, _ form: [(String, String)], headers: HTTPFields = [:]) async throws -> Page {
        let body = Filters.query(form.map { ($0.0, $0.1) })
        var h = headers
        h[.contentType] = "application/x-www-form-urlencoded"
        return try await send(.post, path, headers: h, body: body)
    }

    func send(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: String = "") async throws -> Page {
        var h = headers
        if !cookies.isEmpty { h[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: path, headerFields: h),
            body: RequestBody(buffer: ByteBuffer(string: body)))
        let context = WebContext(source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: Logger(label: "test")))
        let response = try await responder.respond(to: request, context: context)
        let collected = Collected()
        try await response.body.write(collected)
        for cookie in response.headers[values: .setCookie] {
            let pair = cookie.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            let name = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            if cookie.contains("Max-Age=0") || value.isEmpty { cookies[name] = nil } else { cookies[name] = value }
        }
        return Page(status: response.status, headers: response.headers, body: String(buffer: collected.buffer.withLockedValue { $0 }))
    }

    final class Collected: ResponseBodyWriter, Sendable {
        let buffer = NIOLockedValueBox(ByteBuffer())
        func write(_ b: ByteBuffer) async throws { _ = buffer.withLockedValue { $0.writeImmutableBuffer(b) } }
        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    /// Signs in through the form, as a person would.
    func signIn(_ name: String, _ password: String) async throws -> Page {
        let form = try await get("/dang-nhap")
        return try await post("/dang-nhap", [("_csrf", form.csrf ?? ""), ("ten", name), ("mat-khau", password), ("tiep", "/")])
    }
}
