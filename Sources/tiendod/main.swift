import ArgumentParser
import CTiendodStart
import Foundation
import Logging
import Synchronization
import TiendoCommandLine
import TiendoCore
import TiendoDaemon
import TiendoStore
import TiendoVersion

struct Tiendod: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiendod",
        abstract: "Daemon tiendo: giữ trạng thái mọi hồ sơ, tự chuyển trạng thái đúng hạn, nhắc hạn và báo quá hạn.",
        version: TiendoVersion.string)

    @Option(
        name: .customLong("workflows"),
        help: ArgumentHelp(
            "Thư mục quy trình (lặp lại được); mặc định /etc/tiendo/workflows rồi /usr/lib/tiendo/workflows.", valueName: "DIR"))
    var workflows: [String] = []

    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp("Thư mục trạng thái (mặc định $STATE_DIRECTORY hoặc /var/lib/tiendo).", valueName: "DIR"))
    var stateDir: String?

    /// `--state-dir`, else the first of `$STATE_DIRECTORY`, else /var/lib/tiendo: the daemon's and `--restore`'s.
    var stateDirectory: String { stateDir ?? Tiendod.firstDir("STATE_DIRECTORY") ?? "/var/lib/tiendo" }

    @Option(
        name: .customLong("runtime-dir"),
        help: ArgumentHelp("Thư mục tệp trạng thái (mặc định $RUNTIME_DIRECTORY hoặc /run/tiendo/status).", valueName: "DIR"))
    var runtimeDir: String?

    @Option(help: ArgumentHelp("Đường dẫn socket điều khiển varlink khi không được systemd trao socket.", valueName: "PATH"))
    var socket: String = "/run/tiendo/vn.tiendo.Manager"

    @Option(
        name: .customLong("fake-time"),
        help: ArgumentHelp("Bắt đầu đồng hồ giả tại thời điểm này (thử nghiệm, trình diễn).", valueName: "DATETIME"))
    var fakeTime: String?

    // `.unconditional`: `--time-rate -5` is a value (refused in words below), not a missing one.
    @Option(
        name: .customLong("time-rate"), parsing: .unconditional,
        help: ArgumentHelp("Đồng hồ giả chạy nhanh gấp N lần (86400 = một ngày mỗi giây); chỉ cùng --fake-time.", valueName: "N"))
    var timeRateGiven: Double?

    var timeRate: Double { timeRateGiven ?? 1 }

    @Option(help: ArgumentHelp("PRAGMA synchronous của SQLite: FULL (mặc định, bền vững khi mất điện) hoặc NORMAL.", valueName: "MODE"))
    var synchronous: String = "FULL"

    static func firstDir(_ env: String) -> String? {
        guard let v = ProcessInfo.processInfo.environment[env], !v.isEmpty else { return nil }
        return v.split(separator: ":").first.map(String.init)
    }

    @Flag(help: "Cho phép tạo cơ sở dữ liệu rỗng mới khi tệp trạng thái mất hoặc trống dù tiendod đã từng chạy ở thư mục này.")
    var `init` = false

    @Flag(
        help: ArgumentHelp(
            "Coi giờ của máy là đúng dù sớm hơn bản ghi mới nhất (bản ghi ấy mang giờ sai, ghi khi đồng hồ chạy nhanh): thao tác của người dùng không bị từ chối vì thế mà được ghi theo giờ này."
        ))
    var trustClock = false

    @Option(
        help: ArgumentHelp(
            "Không chạy daemon: khôi phục cơ sở dữ liệu từ bản sao lưu FILE (khi tiendod đã dừng); cơ sở dữ liệu đang có được chuyển vào thư mục truoc-khoi-phuc-… bên cạnh.",
            valueName: "FILE"))
    var restore: String?

    @Flag(
        help: ArgumentHelp(
            "Với --restore: cho thay bằng bản sao của một cơ sở dữ liệu khác (dữ liệu của nơi khác, có chủ ý); không có nó, bản sao như thế bị từ chối nếu cơ sở dữ liệu đang có chứa hồ sơ."
        ))
    var restoreOtherDatabase = false

    func validate() throws {
        if let r = timeRateGiven {
            guard r > 0, r <= DaemonClock.maxRate else {
                throw ValidationError("--time-rate phải là một số dương, tối đa \(DaemonClock.rateText(DaemonClock.maxRate))")
            }
            guard fakeTime != nil else {
                throw ValidationError("--time-rate chỉ dùng cùng --fake-time: đồng hồ thật không chạy nhanh hơn")
            }
        }
    }

    func run() throws {
        if let restore {
            return try Tiendod.restore(copy: restore, stateDirectory: stateDirectory, otherDatabase: restoreOtherDatabase)
        }
        if restoreOtherDatabase { throw ValidationError("--restore-other-database chỉ dùng cùng --restore FILE") }
        // The load-time constructor (CTiendodStart) blocked them before any thread existed; this also covers the
        // main thread should that ever fail, and ignores SIGPIPE.
        precondition(tiendod_signals_blocked_at_load() == 1, "signals not blocked at load")
        EventLoop.blockSignals()
        // systemd's convention: structured journal entries when stderr is the journal stream, readable lines otherwise.
        let sink: any RecordSink & LogWriter = JournalSink.stderrIsJournal() ? JournalSink() : StderrSink()
        LoggingSystem.bootstrap { _ in SinkLogHandler(writer: sink) }
        let log = Logger(label: "tiendod")
        let lifecycle: Logger.Metadata = ["message_id": "\(DaemonEvent.lifecycle.rawValue)"]
        let openFiles = ServiceManager.raiseOpenFileLimit()
        // 0: the limit could not be read (never on Linux); the socket then keeps its default limits.
        guard openFiles == 0 || openFiles >= ServerLimits.minimumOpenFiles else {
            log.critical(
                "Giới hạn cứng số tệp mở của tiến trình là \(openFiles), quá thấp: tiendod cần ít nhất \(ServerLimits.minimumOpenFiles) (\(ServerLimits.ownDescriptors) cho cơ sở dữ liệu, tệp trạng thái và nhật ký, 32 cho kết nối điều khiển). Hãy nâng LimitNOFILE= trong đơn vị systemd (hoặc chạy với prlimit --nofile=… với quyền root).",
                metadata: lifecycle)
            throw ExitCode(1)
        }
        // Before anything can fill the file table (see DispatchEventLoop).
        do {
            try DispatchEventLoop.prepare()
        } catch {
            log.critical("Không khởi tạo được vòng sự kiện của libdispatch: \(error)", metadata: lifecycle)
            throw ExitCode(1)
        }
        var clock = DaemonClock()
        if let fakeTime {
            guard let t = Zone.vietnam.parseInstant(fakeTime) else {
                throw ValidationError("--fake-time '\(fakeTime)' không hợp lệ: cần YYYY-MM-DDTHH:MM[:SS][±HH:MM]")
            }
            clock = DaemonClock(fakeStart: t, rate: timeRate)
            log.warning(
                "CHÚ Ý: ĐỒNG HỒ GIẢ bắt đầu lúc \(Zone.vietnam.dateAndTime(t)), chạy nhanh gấp \(DaemonClock.rateText(timeRate)) lần — chỉ dùng để thử nghiệm"
            )
        }
        guard ["FULL", "NORMAL", "EXTRA"].contains(synchronous.uppercased()) else {
            throw ValidationError("--synchronous phải là FULL, NORMAL hoặc EXTRA")
        }
        var options = DaemonOptions(
            workflowDirectories: workflows.isEmpty ? Loader.defaultSearchPath : workflows,
            stateDirectory: stateDirectory,
            runtimeDirectory: runtimeDir ?? Tiendod.firstDir("RUNTIME_DIRECTORY") ?? "/run/tiendo/status",
            version: TiendoVersion.string)
        options.synchronous = synchronous.uppercased()
        options.syncGroupsInBackground = true
        options.initialize = self.`init`
        options.trustClock = trustClock
        // Tests shrink the size above which the integrity check runs after READY (tiendod(8), FILES).
        if let v = ProcessInfo.processInfo.environment["TIENDO_INLINE_CHECK_BYTES"], let n = Int64(v), n >= 0 {
            options.inlineIntegrityCheckBytes = n
        }
        // Tests make a small catch-up span many batches and turns (README, Extensions).
        if let v = ProcessInfo.processInfo.environment["TIENDO_BATCH_SIZE"], let n = Int(v), n >= 1 { options.batchSize = n }
        if let v = ProcessInfo.processInfo.environment["TIENDO_TICK_SECONDS"], let s = Double(v), s >= 0 { options.tickSeconds = s }

        let daemon: Daemon
        do {
            daemon = try Daemon(options: options, clock: clock, sink: sink)
        } catch {
            log.critical("Không khởi động được: \(error)")
            throw ExitCode(Tiendod.needsOperator(error) ? Tiendod.exitDataError : 1)
        }
        // Long start-up work (a calendar change applied to many instances, the first start after an upgrade) asks
        // the service manager for more time every 10 s instead of running into TimeoutStartSec=.
        var extended = ContinuousClock.now
        daemon.heartbeat = {
            guard ContinuousClock.now - extended >= .seconds(10) else { return }
            _ = ServiceManager.notify(["EXTEND_TIMEOUT_USEC=60000000"])
            extended = ContinuousClock.now
        }
        let missing = options.workflowDirectories.filter { !FileManager.default.fileExists(atPath: $0) }
        if !missing.isEmpty, missing.count == options.workflowDirectories.count {
            log.error("Không có thư mục quy trình nào: \(missing.joined(separator: ", ")) không tồn tại (xem --workflows)")
        } else if !missing.isEmpty, !workflows.isEmpty {
            log.warning("Thư mục quy trình \(missing.joined(separator: ", ")) không tồn tại (xem --workflows)")
        }
        daemon.loadDefinitions()
        if daemon.current.isEmpty {
            log.warning("Chưa có quy trình nào dùng được trong \(options.workflowDirectories.joined(separator: ", "))")
        }
        do {
            let resent = try daemon.flushOutbox()
            if resent > 0 { log.notice("Đã gửi lại \(resent) bản ghi đã lưu nhưng chưa gửi ở lần chạy trước") }
            // What fell due while the daemon was stopped: a second of it here, the rest from the loop, which
            // answers requests between its batches (READY=1 does not wait for a long catch-up).
            let r = try daemon.tick(now: clock.now(), within: options.tickSeconds)
            daemon.tallyCatchUp(r, reason: "sau thời gian daemon ngừng chạy")
        } catch {
            log.critical("Không xử lý được việc đến hạn khi khởi động: \(error)")
            throw ExitCode(1)
        }
        let hooks = ServiceManager.hooks()
        // What other threads use of the daemon; the daemon itself goes to the loop and is reached only through it.
        let shared = daemon.viewSource
        let loop = try EventLoop(daemon: daemon, hooks: hooks)
        // The control socket: adopted from systemd, else bound at --socket.
        let listenFD: Int32
        var socketDescription = socket
        if let fd = ControlSocket.adopted(log: { log.warning("\($0)") }) {
            listenFD = fd
            socketDescription = "varlink do systemd trao (fd \(fd))"
        } else {
            do {
                listenFD = try ControlSocket.bind(path: socket)
            } catch {
                log.critical("Không mở được socket điều khiển \(socket): \(SystemErrorText.describe(error))")
                throw ExitCode(1)
            }
        }
        let varlinkLog = Logger(label: "tiendod.varlink")
        let logger: @Sendable (Int, String) -> Void = { p, m in varlinkLog.log(level: SinkLogHandler.level(p), "\(m)") }
        let views: @Sendable () -> Views = { [shared] in shared.views }
        let control = ControlService(loop: loop, views: views, clock: clock, log: logger)
        var limits = openFiles > 0 ? ServerLimits().fitted(toOpenFileLimit: openFiles) : ServerLimits()
        // Tests shorten how long a half-sent message or an unread reply may hold a connection (README, Limits).
        if let v = ProcessInfo.processInfo.environment["TIENDO_VARLINK_DEADLINE_SECONDS"], let s = Double(v), s > 0 {
            limits.messageDeadline = s
            limits.writeStallTimeout = s
        }
        let server = VarlinkServer(listenFD: listenFD, handler: control, limits: limits, log: logger)
        loop.withDaemon { $0.onRecords = { [server] records in server.broadcast(records) } }
        loop.startStatus()
        // Definitions and state are ready (startStatus sent the STATUS= line; the status files are being written on
        // the publisher's thread): READY=1 first, then the socket is served. A client whose connection started the
        // daemon waits in the listen backlog until then, so its first answer comes from a service the manager
        // already counts as started (answered earlier by a reader thread, it raced READY=1 and `systemctl
        // is-active` could still say activating).
        hooks.ready("")
        server.start()
        log.info(
            "tiendod \(TiendoVersion.string) đã sẵn sàng: trạng thái \(options.stateDirectory)/tiendo.sqlite, tệp trạng thái \(options.runtimeDirectory), socket \(socketDescription)",
            metadata: lifecycle)
        // Agenda's items in memory, read from the store beside the running daemon (Agenda reads SQLite until then).
        let store = shared.store
        Thread.detachNewThread {
            do {
                let t0 = ContinuousClock.now
                guard let n = try store.buildDueIndex() else { return }
                let ms = (ContinuousClock.now - t0).components
                log.info(
                    "Đã nạp \(n) hạn đang mở vào bộ nhớ cho lịch việc (Agenda) trong \(ms.seconds * 1000 + ms.attoseconds / 1_000_000_000_000_000) ms"
                )
            } catch {
                log.error("Không nạp được các hạn đang mở vào bộ nhớ: \(error). Lịch việc (Agenda) tiếp tục đọc từ cơ sở dữ liệu.")
            }
        }
        // A large database is checked now, beside the running daemon (see Store.init); damage stops it.
        let damaged = OnceFlag()
        if shared.store.integrityCheckPending {
            Thread.detachNewThread { [loop] in
                do {
                    let t0 = ContinuousClock.now
                    try store.integrityCheck()
                    let ms = (ContinuousClock.now - t0).components
                    log.info(
                        "Đã kiểm tra toàn vẹn \(store.path): không có lỗi (\(ms.seconds * 1000 + ms.attoseconds / 1_000_000_000_000_000) ms)"
                    )
                } catch StoreError.corrupt(let findings) {
                    log.critical(
                        "Kiểm tra toàn vẹn \(store.path) thất bại: \(findings). tiendod dừng để không ghi tiếp vào tệp hỏng; hãy khôi phục từ bản sao lưu (xem tiendod(8)).",
                        metadata: lifecycle)
                    damaged.set()
                    loop.stop()
                } catch {
                    // The check could not run (busy, out of memory, a failed read): that finds no damage, and the
                    // daemon goes on; stopping for good (status 65) would send the operator to a backup for nothing.
                    log.error("Không chạy được kiểm tra toàn vẹn \(store.path): \(error); tiendod chạy tiếp", metadata: lifecycle)
                }
            }
        }
        guard loop.run() else {
            log.critical("tiendod dừng vì không ghi được xuống đĩa", metadata: lifecycle)
            throw ExitCode(1)
        }
        // The log emptied into the database file: stopped, tiendo.sqlite alone is the whole database.
        if !damaged.isSet, let why = store.emptyLog(attempts: 20) {
            log.notice("Chưa chép hết nhật ký giao dịch vào \(store.path) khi dừng (\(why)): hãy giữ tệp -wal đi kèm; lần chạy sau sẽ chép")
        }
        log.info("tiendod dừng", metadata: lifecycle)
        if damaged.isSet { throw ExitCode(Tiendod.exitDataError) }
    }

    /// The exit status for a database only an operator can mend (damaged, not tiendo's, vanished, from a newer
    /// version): `RestartPreventExitStatus=` in tiendod.service, so that systemd does not start the daemon again and
    /// again, each start running its catch-up on a damaged file before the check after READY=1 stops it.
    static let exitDataError: Int32 = 65

    /// `--restore FILE`: the copy checked and put in place of the state directory's database, the old one set aside
    /// (`StateRestore`); each step and what was done on standard output, a refusal on standard error with exit
    /// status 65 (nothing changed), 74 when files had moved and could not all be put back (the message says where).
    /// Ctrl-C stops it until the files move (the signals the daemon blocks at load are let through, then held from
    /// the first rename to the exit, so that what was done is always said).
    static func restore(copy: String, stateDirectory: String, otherDatabase: Bool) throws {
        EventLoop.unblockSignals()
        do {
            let r = try StateRestore.run(
                copy: copy, stateDirectory: stateDirectory, at: Instant(seconds: Int64(time(nil))), otherDatabase: otherDatabase,
                // Flushed at once, also into a file or a pipe: a step stands before the refusal (standard error,
                // unbuffered) it led to, and what was printed before a kill -9 is in the log.
                progress: {
                    print($0)
                    fflush(nil)
                },
                critical: { if $0 { EventLoop.blockSignals() } })
            print(
                "Đã khôi phục \(Messages.count(r.instances)) hồ sơ từ \(copy) vào \(stateDirectory)/tiendo.sqlite (\(Messages.size(r.bytes)))."
            )
            if let aside = r.setAside { print("Cơ sở dữ liệu trước đó (cùng các tệp -wal, -shm nếu có) được giữ trong \(aside).") }
            if let reason = r.unsynced {
                print("Chú ý: không ghi chắc được thư mục \(stateDirectory) xuống đĩa (\(reason)); hãy chạy sync trước khi khởi động lại.")
            }
            print(
                "Khởi động lại: sudo systemctl start tiendod.socket tiendod.service tiendo-backup.timer (rồi tiendo-web, tiendo-deliver nếu có)."
            )
            print("tiendod sẽ bù các nhắc hạn, báo quá hạn đã đến hạn kể từ lúc sao lưu.")
            if let n = r.sentKept {
                if n > 0 {
                    print(
                        "\(Messages.count(n)) thông báo đã gửi qua email, webhook sau lúc sao lưu được ghi lại từ cơ sở dữ liệu cũ: "
                            + "không gửi lại chúng.")
                }
                if r.supersededKept > 0 {
                    print(
                        "\(Messages.count(r.supersededKept)) thông báo còn chờ gửi trong bản sao lưu đã được thay bằng thông báo mới hơn "
                            + "cùng hạn (đã gửi) sau lúc sao lưu: bỏ, không gửi.")
                }
            } else if r.setAside != nil {
                print(
                    "Chú ý: không đọc được cơ sở dữ liệu cũ (hoặc nó là của đơn vị khác) để biết thông báo nào đã gửi qua email, "
                        + "webhook sau lúc sao lưu: những thông báo ấy có thể được gửi lại một lần nữa.")
            }
        } catch {
            let said = error.changedNothing ? "không khôi phục: \(error.description); không thay đổi gì." : "\(error.description)."
            FileHandle.standardError.write(Data("tiendod: \(said)\n".utf8))
            throw ExitCode(error.changedNothing ? exitDataError : exitRestoreUnfinished)
        }
    }

    /// `--restore` moved files and could not put them all back (EX_IOERR).
    static let exitRestoreUnfinished: Int32 = 74

    static func needsOperator(_ error: any Error) -> Bool {
        // A restore holds the state directory: started again every 2 s by systemd, the daemon would only repeat so.
        if StateRestore.inProgress(error) { return true }
        guard let e = error as? StoreError else { return false }
        switch e {
        case .corrupt, .notOurs, .notSQLite, .vanished, .tooNew, .logMissing: return true
        default: return false
        }
    }
}

/// A one-way flag shared between threads.
final class OnceFlag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

Tiendod.mainInVietnameseSynchronously()
