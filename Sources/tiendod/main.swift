import ArgumentParser
import Foundation
import TiendoCore
import TiendoDaemon

struct Tiendod: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiendod",
        abstract: "Daemon tiendo: giữ trạng thái mọi hồ sơ, tự chuyển trạng thái đúng hạn, nhắc hạn và báo quá hạn.",
        version: TiendoVersion.string)

    @Option(name: .customLong("workflows"), help: ArgumentHelp("Thư mục quy trình (lặp lại được); mặc định /etc/tiendo/workflows rồi /usr/lib/tiendo/workflows.", valueName: "DIR"))
    var workflows: [String] = []

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Thư mục trạng thái (mặc định $STATE_DIRECTORY hoặc /var/lib/tiendo).", valueName: "DIR"))
    var stateDir: String?

    @Option(name: .customLong("runtime-dir"), help: ArgumentHelp("Thư mục tệp trạng thái (mặc định $RUNTIME_DIRECTORY hoặc /run/tiendo/status).", valueName: "DIR"))
    var runtimeDir: String?

    @Option(help: ArgumentHelp("Đường dẫn socket điều khiển varlink khi không được systemd trao socket.", valueName: "PATH"))
    var socket: String = "/run/tiendo/vn.tiendo.Manager"

    @Option(name: .customLong("fake-time"), help: ArgumentHelp("Bắt đầu đồng hồ giả tại thời điểm này (thử nghiệm, trình diễn).", valueName: "DATETIME"))
    var fakeTime: String?

    @Option(name: .customLong("time-rate"), help: ArgumentHelp("Đồng hồ giả chạy nhanh gấp N lần (86400 = một ngày mỗi giây).", valueName: "N"))
    var timeRate: Double = 1

    @Option(help: ArgumentHelp("PRAGMA synchronous của SQLite: FULL (mặc định, bền vững khi mất điện) hoặc NORMAL.", valueName: "MODE"))
    var synchronous: String = "FULL"

    static func firstDir(_ env: String) -> String? {
        guard let v = ProcessInfo.processInfo.environment[env], !v.isEmpty else { return nil }
        return v.split(separator: ":").first.map(String.init)
    }

    /// The control socket serves many clients at once: raise the open-file soft limit to the hard limit.
    static func raiseOpenFileLimit() {
        var lim = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) == 0, lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
        }
    }

    func run() throws {
        EventLoop.blockSignals()
        Tiendod.raiseOpenFileLimit()
        let sink = StderrSink()
        var clock = DaemonClock()
        if let fakeTime {
            guard let t = Zone.vietnam.parseInstant(fakeTime) else {
                throw ValidationError("--fake-time '\(fakeTime)' không hợp lệ: cần YYYY-MM-DDTHH:MM[:SS][±HH:MM]")
            }
            guard timeRate > 0 else { throw ValidationError("--time-rate phải dương") }
            clock = DaemonClock(fakeStart: t, rate: timeRate)
            sink.log(4, "CHÚ Ý: ĐỒNG HỒ GIẢ bắt đầu lúc \(Zone.vietnam.iso(t)), chạy nhanh gấp \(timeRate) lần — chỉ dùng để thử nghiệm")
        }
        guard ["FULL", "NORMAL", "EXTRA"].contains(synchronous.uppercased()) else {
            throw ValidationError("--synchronous phải là FULL, NORMAL hoặc EXTRA")
        }
        var options = DaemonOptions(
            workflowDirectories: workflows.isEmpty ? Loader.defaultSearchPath : workflows,
            stateDirectory: stateDir ?? Tiendod.firstDir("STATE_DIRECTORY") ?? "/var/lib/tiendo",
            runtimeDirectory: runtimeDir ?? Tiendod.firstDir("RUNTIME_DIRECTORY") ?? "/run/tiendo/status")
        options.synchronous = synchronous.uppercased()

        let daemon: Daemon
        do {
            daemon = try Daemon(options: options, clock: clock, sink: sink)
        } catch {
            sink.log(2, "Không khởi động được: \(error)")
            throw ExitCode(1)
        }
        daemon.loadDefinitions()
        if daemon.current.isEmpty {
            sink.log(4, "Chưa có quy trình nào dùng được trong \(options.workflowDirectories.joined(separator: ", "))")
        }
        do {
            let resent = try daemon.flushOutbox()
            if resent > 0 { sink.log(5, "Đã gửi lại \(resent) bản ghi đã lưu nhưng chưa gửi ở lần chạy trước") }
            let r = try daemon.tick(now: clock.now())
            daemon.reportCatchUp(r, reason: "sau thời gian daemon ngừng chạy")
        } catch {
            sink.log(2, "Không xử lý được việc đến hạn khi khởi động: \(error)")
            throw ExitCode(1)
        }
        let loop = try EventLoop(daemon: daemon, hooks: LifecycleHooks())
        // The control socket: adopted from systemd, else bound at --socket.
        let listenFD: Int32
        if let fd = ControlSocket.adopted() {
            listenFD = fd
        } else {
            do {
                listenFD = try ControlSocket.bind(path: socket)
            } catch {
                sink.log(2, "Không mở được socket điều khiển \(socket): \(error)")
                throw ExitCode(1)
            }
        }
        let logger: @Sendable (Int, String) -> Void = { [sink] p, m in sink.log(p, m) }
        let views: @Sendable () -> Views = { [daemon] in daemon.views }
        let control = ControlService(loop: loop, views: views, clock: clock, log: logger)
        let server = VarlinkServer(listenFD: listenFD, handler: control, log: logger)
        daemon.onRecords = { [server] records in server.broadcast(records.map(\.json)) }
        server.start()
        loop.updateStatusNow()
        sink.log(
            6, "tiendod \(TiendoVersion.string) đã sẵn sàng: trạng thái \(options.stateDirectory)/tiendo.sqlite, tệp trạng thái \(options.runtimeDirectory), socket \(socket)",
            event: .lifecycle, fields: [])
        loop.run()
        sink.log(6, "tiendod dừng", event: .lifecycle, fields: [])
    }
}

Tiendod.main()
