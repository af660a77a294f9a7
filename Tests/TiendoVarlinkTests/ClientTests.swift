import Foundation
import Testing
import TiendoCore
import TiendoVarlink

private func status(pid: Int) -> VarlinkResponse {
    let s = Manager.DaemonStatus(
        version: "0.1.0", pid: pid, startedAt: "2026-03-02T09:00:00+07:00", now: "2026-03-02T09:00:05+07:00", workflows: 1,
        instances: 0, overdue: 0)
    return VarlinkResponse(parameters: [("status", s.json), ("workflows", .array([]))])
}

private func instance(_ id: String) -> JSON {
    Manager.Instance(id: id, workflow: "w", startedAt: "2026-03-02T09:00:00+07:00", enteredAt: "2026-03-02T09:00:00+07:00").json
}

/// Catches `body`'s error as a `VarlinkTransportError`.
private func transportError(_ body: () throws -> Void) -> VarlinkTransportError? {
    do {
        try body()
        return nil
    } catch let e as VarlinkTransportError {
        return e
    } catch {
        Issue.record("unexpected \(error)")
        return nil
    }
}

@Suite struct ClientTests {
    @Test("typed calls over a socket: the request the server saw, the reply read back")
    func typedCalls() throws {
        let server = try TestServer { r in
            switch r.method {
            case "vn.tiendo.Manager.GetStatus": return [.reply(status(pid: 42))]
            case "vn.tiendo.Manager.StartInstance":
                return [.reply(VarlinkResponse(parameters: [("instance", instance("w/" + (r.parameters["key"]?.stringValue ?? "?")))]))]
            default: return [.reply(VarlinkResponse(error: "org.varlink.service.MethodNotFound"))]
            }
        }
        defer { server.stop() }
        let client = ManagerClient(socketPath: server.path, timeout: 10)
        #expect(try client.getStatus().status.pid == 42)
        let connection = try client.connect()
        #expect(try connection.startInstance(workflow: "w", key: "k1").id == "w/k1")
        #expect(try connection.startInstance(workflow: "w", key: "k2", actor: "Trần Văn Bình").id == "w/k2")
        let seen = server.requests
        #expect(
            seen.map(\.method) == ["vn.tiendo.Manager.GetStatus", "vn.tiendo.Manager.StartInstance", "vn.tiendo.Manager.StartInstance"])
        #expect(seen[0].parameterList.isEmpty)
        #expect(seen[1].parameters["actor"] == nil)
        #expect(seen[2].parameters["actor"] == .string("Trần Văn Bình"))
    }

    @Test("error replies: typed ManagerError from typed calls, VarlinkError from plain ones")
    func errorReplies() throws {
        let server = try TestServer { r in
            if r.method.hasSuffix("GetInstance") {
                return [
                    .reply(VarlinkResponse(parameters: [("id", r.parameters["id"] ?? .null)], error: "vn.tiendo.Manager.NoSuchInstance"))
                ]
            }
            return [.reply(VarlinkResponse(error: "org.example.Other"))]
        }
        defer { server.stop() }
        let connection = try VarlinkConnection(path: server.path, timeout: 10)
        #expect(throws: ManagerError.noSuchInstance(id: "w/x")) { try connection.getInstance(id: "w/x") }
        #expect(throws: VarlinkError(name: "org.example.Other")) { try connection.call("org.example.Thing") }
        // The connection stays usable after error replies.
        #expect(throws: ManagerError.noSuchInstance(id: "w/y")) { try connection.getInstance(id: "w/y") }
    }

    @Test("a server that never answers: timedOut after the timeout, and the connection is not reused")
    func timeout() throws {
        let server = try TestServer { _ in [] }
        defer { server.stop() }
        let connection = try VarlinkConnection(path: server.path, timeout: 0.3)
        let e = transportError { _ = try connection.getStatus() }
        #expect(e?.reason == .timedOut(seconds: 0.3))
        #expect(e?.description.contains("không trả lời trong 0,3 giây") == true)
        #expect(transportError { _ = try connection.getStatus() }?.reason == .unusable)
    }

    @Test("a reply of tens of MiB arriving in pieces reads whole; one over maxReplyBytes is refused")
    func largeReply() throws {
        // A few thousand items and a padding member (ignored by the typed reply) make up tens of MiB cheaply.
        let items = (0..<2_000).map { i in
            Manager.DueItem(
                workflow: "the-dang-vien", instance: "the-dang-vien/\(i)", state: "cho-cap", title: "Cấp thẻ đảng viên số \(i)",
                due: "2026-03-31", daysLeft: 29, overdue: false, group: "Chi bộ Khu dân cư số \(i % 40)"
            ).json
        }
        let reply = VarlinkResponse(parameters: [("items", .array(items)), ("padding", .string(String(repeating: "đ", count: 12 << 20)))])
        let size = reply.framed().count
        #expect(size > 20 << 20)
        let server = try TestServer { _ in [.reply(reply)] }
        defer { server.stop() }
        let connection = try VarlinkConnection(path: server.path, timeout: 60)
        let agenda = try connection.agenda(days: 7)
        #expect(agenda.count == 2_000 && agenda.last?.instance == "the-dang-vien/1999")
        let small = try VarlinkConnection(path: server.path, timeout: 60)
        small.maxReplyBytes = 1 << 20
        #expect(transportError { _ = try small.agenda() }?.reason == .framing(.messageTooLarge(limit: 1 << 20)))
    }

    @Test("raw calls return the reply's bytes unparsed")
    func raw() throws {
        let server = try TestServer { _ in [.reply(status(pid: 9))] }
        defer { server.stop() }
        let connection = try VarlinkConnection(path: server.path, timeout: 10)
        let bytes = try connection.callRaw(Manager.GetStatus().request.framed())
        #expect(bytes == status(pid: 9).json.bytes())
    }

    @Test("a stream: replies until one without continues; a handler can stop early")
    func stream() throws {
        let records = (1...3).map { n in
            Manager.Record(at: "2026-03-0\(n)T08:00:00+07:00", kind: .reminder, workflow: "w", priority: 5, message: "Còn \(n) ngày")
        }
        let server = try TestServer { r in
            guard r.more else { return [.reply(VarlinkResponse(error: "org.varlink.service.ExpectedMore"))] }
            return [.reply(VarlinkResponse(continues: true))]
                + records.map { .reply(VarlinkResponse(parameters: [("record", $0.json)], continues: true)) }
                + [.reply(VarlinkResponse(parameters: [("record", records[0].json)]))]
        }
        defer { server.stop() }
        let client = ManagerClient(socketPath: server.path, timeout: 10)
        var got: [Manager.Record] = []
        try client.watch {
            got.append($0); return true
        }
        #expect(got == records + [records[0]])
        got = []
        let connection = try client.connect()
        try connection.watch {
            got.append($0); return got.count < 2
        }
        #expect(got == Array(records.prefix(2)))
        #expect(transportError { _ = try connection.getStatus() }?.reason == .unusable)
        let plain = try client.connect()
        #expect(throws: ManagerError.expectedMore) { _ = try plain.call(Manager.Watch()) }
    }

    @Test("oneway calls get no reply, and the next call's reply is its own")
    func oneway() throws {
        let server = try TestServer { r in r.oneway ? [] : [.reply(status(pid: 5))] }
        defer { server.stop() }
        let connection = try VarlinkConnection(path: server.path, timeout: 10)
        try connection.oneway("vn.tiendo.Manager.Reload")
        #expect(try connection.getStatus().status.pid == 5)
        #expect(server.requests.map(\.oneway) == [true, false])
    }

    @Test("the peer closing before or inside a reply is told apart")
    func closed() throws {
        let server = try TestServer { r in
            r.method.hasSuffix("GetStatus") ? [.close] : [.raw(Array(#"{"parameters":{"#.utf8)), .close]
        }
        defer { server.stop() }
        let client = ManagerClient(socketPath: server.path, timeout: 10)
        #expect(transportError { _ = try client.getStatus() }?.reason == .closed(partial: false))
        #expect(transportError { _ = try client.history(id: "w/k") }?.reason == .closed(partial: true))
    }

    @Test("unreachable daemon: no socket file, nobody listening, path too long; a request over 8 MiB is not sent")
    func unreachable() throws {
        let server = try TestServer { _ in [.reply(VarlinkResponse())] }
        let missing = server.directory + "/none"
        let e = transportError { _ = try VarlinkConnection(path: missing) }
        #expect(e?.reason == .connect(errno: ENOENT) && e?.isUnreachable == true)
        #expect(
            e?.description
                == "không kết nối được tiendod tại \(missing): không có tệp hoặc thư mục này (tiendod có đang chạy không? Nếu đang chạy "
                + "thì tệp socket đã bị xóa: systemctl restart tiendod.socket tiendod)")
        #expect(
            VarlinkTransportError(path: "/p", reason: .connect(errno: EACCES)).description
                == "không kết nối được tiendod tại /p: không có quyền (cần root hoặc thuộc nhóm tiendo)")
        #expect(
            VarlinkTransportError(path: "/p", reason: .connect(errno: ECONNREFUSED)).description
                == "không kết nối được tiendod tại /p: không có chương trình nào nhận kết nối ở đó (tiendod có đang chạy không?)")
        let long = "/tmp/" + String(repeating: "x", count: 200)
        #expect(transportError { _ = try VarlinkConnection(path: long) }?.reason == .pathTooLong(limit: 107))
        let connection = try VarlinkConnection(path: server.path)
        let rows = [JSON](repeating: .string(String(repeating: "r", count: 1 << 20)), count: 9)
        let tooLarge = transportError { _ = try connection.importInstances(workflow: "w", rows: rows) }
        #expect(tooLarge.map { if case .requestTooLarge = $0.reason { true } else { false } } == true)
        #expect(server.requests.isEmpty)
        server.stop()
        // The socket file stays, nobody listens: refused.
        let path = server.directory + "/stale"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        try FileManager.default.createDirectory(atPath: server.directory, withIntermediateDirectories: true)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in raw.copyBytes(from: Array(path.utf8) + [0]) }
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        defer { try? FileManager.default.removeItem(atPath: server.directory) }
        #expect(transportError { _ = try VarlinkConnection(path: path) }?.reason == .connect(errno: ECONNREFUSED))
    }

    @Test("one ManagerClient shared by many threads: a connection per call, every reply to its caller")
    func sharedAcrossThreads() async throws {
        let server = try TestServer { r in
            [.reply(VarlinkResponse(parameters: [("instance", instance(r.parameters["id"]?.stringValue ?? "?"))]))]
        }
        defer { server.stop() }
        let client = ManagerClient(socketPath: server.path, timeout: 10)
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for t in 0..<8 {
                group.addTask {
                    try (0..<25).map { n in try client.getInstance(id: "w/\(t)-\(n)").id }
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(Set(ids) == Set((0..<8).flatMap { t in (0..<25).map { "w/\(t)-\($0)" } }))
    }
}
