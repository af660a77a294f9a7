import Foundation
import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// 8: tiendo-web's page time on the province data set: the home page (agenda), the records list (first page and a
/// page in the middle) and the overview per chi bộ, for an administrator of every chi bộ and for a cán bộ of one;
/// p50 and p99 from the request's first byte to the page's last, one browser-like client on loopback (target: p99 ≤
/// 100 ms at 10^6 for the administrator's home page and first page of records).
struct WebPages {
    let c: Config
    let results: Results

    func run(n: Int, socket: String, dir: String) throws {
        guard access(c.tiendoWeb, X_OK) == 0 else {
            throw BenchError("no tiendo-web at \(c.tiendoWeb): swift build -c release --product tiendo-web")
        }
        let state = "\(dir)/web"
        let password = "bench-mat-khau-1"
        // One chi bộ of the data set (Dataset.dangVien names them "Chi bộ số K – <commune>").
        let chiBo = "Chi bộ số 1 – \(Dataset.communeName(1))"
        for (name, role, groups) in [("quantri", "quan-tri", [String]()), ("canbo", "can-bo", [chiBo])] {
            let args =
                ["user", "add", name, "--role", role, "--password-stdin", "--state-dir", state] + groups.flatMap { ["--group", $0] }
            let r = try runProcess(c.tiendoWeb, args, stdin: password + "\n", stdoutPath: "/dev/null")
            guard r.status == 0 else { throw BenchError("tiendo-web user add \(name) failed") }
        }
        let port = try HTTPConnection.freePort()
        let web = Process()
        web.executableURL = URL(fileURLWithPath: c.tiendoWeb)
        web.arguments = ["serve", "--socket", socket, "--listen", "127.0.0.1:\(port)", "--state-dir", state]
        // Its log beside its state, so that a failed page can say what tiendo-web saw.
        let logPath = "\(state)/tiendo-web.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let logHandle = FileHandle(forWritingAtPath: logPath)
        web.standardOutput = logHandle
        web.standardError = logHandle
        try web.run()
        defer {
            kill(web.processIdentifier, SIGTERM)
            web.waitUntilExit()
        }
        let start = Clock.now()
        var ready = false
        while Clock.now() - start < 30 {
            if (try? HTTPConnection(port: port)) != nil {
                ready = true
                break
            }
            guard web.isRunning else { throw BenchError("tiendo-web exited at start") }
            usleep(50_000)
        }
        guard ready else { throw BenchError("tiendo-web did not listen within 30 s") }
        let middle = "dang-vien-du-bi/dv" + Dataset.pad7(max(1, Dataset.counts(.province, n: n).dangVien / 2))
        let pages: [(account: String, label: String, path: String, target: Bool)] = [
            ("quantri", "/ (quản trị, mọi chi bộ)", "/", true),
            ("quantri", "/ho-so (trang đầu)", "/ho-so", true),
            ("quantri", "/ho-so?sau=… (trang giữa)", "/ho-so?sau=" + WebPages.percentEncoded(middle), false),
            ("canbo", "/ (cán bộ một chi bộ)", "/", false),
            ("quantri", "/tong-quan (quản trị, mọi chi bộ)", "/tong-quan", false),
            ("canbo", "/tong-quan (cán bộ một chi bộ)", "/tong-quan", false),
        ]
        var sessions: [String: HTTPConnection] = [:]
        for page in pages {
            if sessions[page.account] == nil { sessions[page.account] = try signIn(port: port, name: page.account, password: password) }
            let conn = sessions[page.account]!
            let first = try conn.get(page.path)  // warm-up (first read of cold pages)
            guard first.status == 200 else { throw WebPages.failure(page.path, first, log: logPath) }
            var samples = Samples()
            let loopStart = Clock.now()
            var bytes = 0
            while samples.count < 2000 && (Clock.now() - loopStart < c.loopSeconds || samples.count < 5) {
                let t = Clock.now()
                let r = try conn.get(page.path)
                samples.add(Clock.now() - t)
                guard r.status == 200 else { throw WebPages.failure(page.path, r, log: logPath) }
                bytes = r.body.count
            }
            let name = "8 tiendo-web \(page.label)"
            results.add(
                name, n: n, "p50", samples.percentile(50), "s", extra: [("samples", .int(samples.count)), ("pageBytes", .int(bytes))])
            results.add(
                name, n: n, "p99", samples.percentile(99), "s", target: page.target ? .atMost(0.100) : nil,
                note: "\(samples.count) requests, \(bytes / 1024) KiB page")
        }
    }

    /// A page that did not answer 200: its status, the text of its error page and the end of tiendo-web's log.
    static func failure(_ path: String, _ reply: HTTPConnection.Reply, log: String) -> BenchError {
        let main = reply.body.range(of: "<main").map { String(reply.body[$0.lowerBound...]) } ?? reply.body
        let text = main.replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let logTail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(5)
        return BenchError(
            "GET \(path): HTTP \(reply.status): \(text.prefix(400)); tiendo-web's log ends: \(logTail.joined(separator: " | "))")
    }

    /// Signs in through the form (CSRF cookie and field) and returns the connection carrying the session cookie.
    func signIn(port: Int, name: String, password: String) throws -> HTTPConnection {
        let conn = try HTTPConnection(port: port)
        let form = try conn.get("/dang-nhap")
        guard let r = form.body.range(of: #"name="_csrf" value=""#) else { throw BenchError("no CSRF field on /dang-nhap") }
        let token = String(form.body[r.upperBound...].prefix { $0 != "\"" })
        let body = "_csrf=\(token)&ten=\(name)&mat-khau=\(WebPages.percentEncoded(password))&tiep=%2F"
        let reply = try conn.post("/dang-nhap", form: body)
        guard reply.status == 303, conn.cookies["tiendo_phien"] != nil else { throw BenchError("sign-in as \(name): HTTP \(reply.status)") }
        return conn
    }

    static func percentEncoded(_ s: String) -> String {
        s.addingPercentEncoding(
            withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? s
    }
}

/// A keep-alive HTTP/1.1 client on loopback for the page-time loop: requests written whole, replies read to the last
/// byte of their `Content-Length` body, cookies kept. Written out because the bench measures tiendo-web from outside
/// and needs only this; an HTTP client library would bring TLS and an event loop into the bench's build.
final class HTTPConnection {
    let fd: Int32
    var cookies: [String: String] = [:]
    private var buffer: [UInt8] = []

    struct Reply {
        var status: Int
        var headers: [(String, String)]
        var body: String
    }

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else {
            close(fd)
            throw BenchError("connect 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    static func freePort() throws -> Int {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) == 0 && getsockname(s, $0, &len) == 0 }
        }
        guard ok else { throw BenchError("no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    func get(_ path: String) throws -> Reply { try send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(cookieHeader)\r\n") }

    func post(_ path: String, form: String) throws -> Reply {
        try send(
            "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\n"
                + "\(cookieHeader)\r\n\(form)")
    }

    private var cookieHeader: String {
        cookies.isEmpty ? "" : "Cookie: " + cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") + "\r\n"
    }

    private func send(_ request: String) throws -> Reply {
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw BenchError("send: \(String(cString: strerror(errno)))") }
            sent += n
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        var end: Int?
        while end == nil {
            end = buffer.firstRange(of: separator)?.upperBound
            if end == nil { try fill() }
        }
        let head = String(decoding: buffer[..<end!], as: UTF8.self).split(separator: "\r\n")
        buffer.removeFirst(end!)
        guard let statusLine = head.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw BenchError("bad HTTP reply: \(head.first ?? "")")
        }
        var headers: [(String, String)] = []
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append((name, value))
            if name == "set-cookie", let eq = value.firstIndex(of: "=") {
                let cookieName = String(value[..<eq])
                let cookieValue = String(value[value.index(after: eq)...].prefix { $0 != ";" })
                if cookieValue.isEmpty || value.contains("Max-Age=0") {
                    cookies[cookieName] = nil
                } else {
                    cookies[cookieName] = cookieValue
                }
            }
        }
        let length = headers.first { $0.0 == "content-length" }.flatMap { Int($0.1) } ?? 0
        while buffer.count < length { try fill() }
        let body = String(decoding: buffer[..<length], as: UTF8.self)
        buffer.removeFirst(length)
        return Reply(status: status, headers: headers, body: body)
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 256 << 10)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw BenchError(n == 0 ? "tiendo-web closed the connection" : "recv: \(String(cString: strerror(errno)))") }
        buffer += chunk[..<n]
    }
}
