import Foundation
import TiendoCore
import TiendoVarlink

#if canImport(Glibc)
    import Glibc
#endif

/// Delivery (docs/delivery.md): what fanning deliveries out in the record's transaction costs the firing, and how
/// fast the release `tiendo-deliver` empties tiendod's queue into a local SMTP server (aiosmtpd) and a webhook
/// receiver, claiming and reporting every message through the control socket.
final class DeliveryScenarios {
    let c: Config
    let results: Results
    let root: String
    let budget: Budget

    init(config: Config, results: Results, root: String, budget: Budget) {
        c = config
        self.results = results
        self.root = root
        self.budget = budget
    }

    static let sender = "Bench <bench@tiendo.invalid>"

    /// A copy of the measured workflows with `delivery/routing.yaml` beside them.
    func routedWorkflows(_ name: String, routing: String, extra: [String: String] = [:]) throws -> String {
        let dir = "\(root)/\(name)"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.copyItem(atPath: c.workflows, toPath: dir)
        try FileManager.default.createDirectory(atPath: "\(dir)/delivery", withIntermediateDirectories: true)
        try routing.write(toFile: "\(dir)/delivery/routing.yaml", atomically: true, encoding: .utf8)
        for (file, text) in extra { try text.write(toFile: "\(dir)/\(file)", atomically: true, encoding: .utf8) }
        return dir
    }

    // MARK: The firing with routes

    /// The firing scenario again with every transition routed to a webhook: each of the N records gets its delivery
    /// row in the same transaction. `without` is the firing rate just measured at the same N.
    func firingWithRoutes(n: Int, reserve: Double, without: Double?) throws {
        try "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".write(toFile: "\(root)/secret", atomically: true, encoding: .utf8)
        let routing = """
            tiendo: 1
            from: "\(DeliveryScenarios.sender)"
            channels:
              hook:
                type: webhook
                url: http://127.0.0.1:9/hooks/tiendo
                secret_file: \(root)/secret
            routes:
              - name: chuyen-trang-thai
                kinds: [transition]
                channel: hook
            """
        var config = c
        config.workflows = try routedWorkflows("routed-firing", routing: routing)
        let routed = DaemonScenarios(config: config, results: results, root: "\(root)/routed", budget: budget)
        routed.firingLabel = "8 delivery"
        routed.firingMetric = "firing with routes: durable records/s"
        try FileManager.default.createDirectory(atPath: "\(root)/routed", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: "\(root)/routed") }
        let (rate, _, _, _) = try routed.firing(n: n, reserve: reserve)
        let deliveries =
            try SQLiteReader(path: routed.dbPath(routed.firingDir(n))).int("SELECT count(*) FROM deliveries") ?? 0
        guard deliveries == Int64(n) else { throw BenchError("firing with routes: \(deliveries) deliveries for \(n) records") }
        if let without {
            results.add(
                "8 delivery", n: n, "firing with routes ÷ without", rate / without, "x",
                note: "one delivery row per record, written in the record's transaction")
        }
    }

    // MARK: Messages per second

    /// M cases started at once with a route on `started` to one channel; then the sender, timed from its first
    /// message sent to the last one reported sent (polling `vn.tiendo.Delivery.Counts` every 20 ms).
    func sending(_ kind: String, messages m: Int) throws {
        let dir = "\(root)/send-\(kind)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sink = try Sink(python: c.venvPython, script: "\(c.tools)/delivery_sink.py", log: "\(dir)/sink.log")
        defer { sink.stop() }
        try "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".write(toFile: "\(dir)/secret", atomically: true, encoding: .utf8)
        let channel =
            kind == "smtp"
            ? "  out:\n    type: smtp\n    host: 127.0.0.1\n    port: \(sink.smtpPort)\n    security: none\n"
            : "  out:\n    type: webhook\n    url: http://127.0.0.1:\(sink.httpPort)/hooks/tiendo\n    secret_file: \(dir)/secret\n"
        let route =
            "  - name: moi\n    kinds: [started]\n    channel: out\n    quiet_hours: false\n"
            + (kind == "smtp" ? "    to: {field: email}\n" : "")
        let workflow = """
            tiendo: 1
            title: Thử gửi thông báo
            fields:
              email: {type: text}
              han: {type: date, required: true}
            milestones:
              bao-cao: {title: Nộp báo cáo, due: han}
            """
        let routing = "tiendo: 1\nfrom: \"\(DeliveryScenarios.sender)\"\nchannels:\n\(channel)routes:\n\(route)"
        let workflows = try routedWorkflows("send-\(kind)-workflows", routing: routing, extra: ["thu-gui.yaml": workflow])
        defer { try? FileManager.default.removeItem(atPath: workflows) }
        let d = try DaemonProcess.start(
            DaemonProcess.Options(
                tiendod: c.tiendod, workflows: workflows, runDir: dir, stateDir: "\(dir)/state", fakeTime: DaemonScenarios.laterTime,
                stderr: .file("\(dir)/tiendod.log"), watchdogUSec: nil))
        defer { d.stop() }
        _ = try d.waitReady(timeout: 60)
        let conn = try d.connect()
        for start in stride(from: 0, to: m, by: 5000) {
            let rows = (start..<min(m, start + 5000)).map { i -> JSON in
                .object([("key", .string("m\(i)")), ("email", .string("m\(i)@example.vn")), ("han", .string("2030-01-10"))])
            }
            _ = try conn.importInstances(workflow: "thu-gui", rows: rows)
        }
        guard try conn.deliveryCounts().total["pending"] == m else { throw BenchError("delivery: \(m) deliveries expected pending") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: c.deliver)
        p.arguments = ["run", "--workflows", workflows, "--routing", "\(workflows)/delivery/routing.yaml", "--socket", d.socketPath]
        var env = ProcessInfo.processInfo.environment
        for k in ["JOURNAL_STREAM", "NOTIFY_SOCKET"] { env.removeValue(forKey: k) }
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: "\(dir)/deliver.log", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: "\(dir)/deliver.log")
        let t0 = Clock.now()
        try p.run()
        defer {
            if p.isRunning {
                kill(p.processIdentifier, SIGTERM)
                p.waitUntilExit()
            }
        }
        var first: Double?
        var sent = 0
        let deadline = min(budget.deadline, Clock.now() + 600)
        while sent < m {
            guard Clock.now() < deadline else { throw Skipped("delivery \(kind): \(sent) of \(m) sent within the time allowed") }
            guard p.isRunning else { throw BenchError("tiendo-deliver exited: \(DaemonScenarios.tail("\(dir)/deliver.log"))") }
            let counts = try conn.deliveryCounts().total
            if (counts["dead"] ?? 0) > 0 {
                throw BenchError("delivery \(kind): dead letters: \(DaemonScenarios.tail("\(dir)/deliver.log"))")
            }
            sent = counts["sent"] ?? 0
            if sent > 0, first == nil { first = Clock.now() }
            if sent < m { usleep(20_000) }
        }
        let done = Clock.now()
        let window = done - (first ?? t0)
        let received = sink.received(kind)
        guard received >= m else { throw BenchError("delivery \(kind): the receiver counted \(received) of \(m)") }
        let what = kind == "smtp" ? "messages/s to SMTP (aiosmtpd)" : "messages/s to a webhook (HTTP receiver)"
        results.add(
            "8 delivery", n: m, what, Double(m - 1) / window, "/s",
            note: "release tiendo-deliver, one worker, a claim per 8 messages and a report per message through the socket",
            extra: [
                ("windowSeconds", .double(window)), ("execToFirstSentSeconds", .double((first ?? done) - t0)),
                ("senderCPUSeconds", .double(ProcStatus.cpuSeconds(pid: p.processIdentifier))),
                ("daemonCPUSeconds", .double(ProcStatus.cpuSeconds(pid: d.pid))),
            ])
    }
}

/// `tools/delivery_sink.py`: aiosmtpd and an HTTP receiver on loopback that count what they get.
final class Sink {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    var smtpPort = 0
    var httpPort = 0

    init(python: String, script: String, log: String) throws {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script]
        process.standardInput = input
        process.standardOutput = output
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        let words = readLine().split(separator: " ")
        guard words.count == 3, words[0] == "ready", let s = Int(words[1]), let h = Int(words[2]) else {
            throw BenchError("delivery sink did not start (\(log)); is aiosmtpd installed in \(python)?")
        }
        smtpPort = s
        httpPort = h
    }

    func readLine() -> String {
        var line = [UInt8]()
        while true {
            let b = output.fileHandleForReading.readData(ofLength: 1)
            guard let c = b.first, c != 10 else { break }
            line.append(c)
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// How many messages (`smtp`) or requests (`webhook`) arrived.
    func received(_ kind: String) -> Int {
        input.fileHandleForWriting.write(Data("count \(kind)\n".utf8))
        return Int(readLine()) ?? -1
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
