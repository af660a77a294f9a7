import ArgumentParser
import Foundation
import NIOPosix
import Synchronization
import TiendoChannels
import TiendoCore
import TiendoDaemon
import TiendoDelivery
import TiendoVarlink
import TiendoVersion

#if canImport(Glibc)
    import Glibc
#endif

/// `tiendo-deliver run`: the sender, until SIGTERM (or the end of a virtual run). SIGHUP (`systemctl reload
/// tiendo-deliver`) reloads: the messages in flight finish, then the program executes itself again, reading the
/// routing file anew — its channels are made at start, and a SIGHUP used to kill it without a word (audit,
/// 07/12/2026).
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Gửi các thông báo trong hàng đợi cho đến khi được yêu cầu dừng.")

    @OptionGroup var setup: SetupOptions
    @Option(
        name: .customLong("socket"),
        help: ArgumentHelp(
            "Socket điều khiển của tiendod, nơi lấy hàng đợi (mặc định $TIENDO_SOCKET hoặc /run/tiendo/vn.tiendo.Manager).",
            valueName: "PATH"))
    var socket: String?
    @Option(
        name: .customLong("test-queue"),
        help: ArgumentHelp("Thay tiendod bằng hàng đợi thử nghiệm: một tệp JSON Lines (chỉ để thử nghiệm).", valueName: "FILE"))
    var testQueue: String?

    @Option(
        name: .customLong("fake-time"), help: ArgumentHelp("Đồng hồ giả bắt đầu tại thời điểm này (thử nghiệm).", valueName: "DATETIME"))
    var fakeTime: String?
    @Option(name: .customLong("time-rate"), help: ArgumentHelp("Đồng hồ giả chạy nhanh gấp N lần.", valueName: "N"))
    var timeRate: Double = 1
    @Option(
        name: .customLong("virtual-time"),
        help: ArgumentHelp("Thời gian ảo từ thời điểm này đến --until: nhảy thẳng tới việc kế tiếp (thử nghiệm).", valueName: "DATETIME"))
    var virtualTime: String?
    @Option(name: .customLong("until"), help: ArgumentHelp("Hết thời gian ảo thì dừng.", valueName: "DATETIME"))
    var until: String?

    @Option(name: .customLong("retry-base"), help: "Thời gian chờ cơ sở trước lần thử lại đầu tiên.") var retryBase = "1min"
    @Option(name: .customLong("retry-cap"), help: "Thời gian chờ tối đa giữa hai lần thử.") var retryCap = "6h"
    @Option(name: .customLong("give-up-after"), help: "Lỗi tạm thời kéo dài quá khoảng này thì chuyển vào thư chết.") var giveUpAfter = "3d"
    @Option(name: .customLong("batch"), help: "Số thư mỗi lần nhận việc.") var batch = 8
    @Option(name: .customLong("lease"), help: "Thời hạn giữ việc đã nhận.") var lease = "15min"
    @Option(
        name: .customLong("poll"),
        help:
            "Khoảng xem lại hàng đợi khi chưa có việc (mặc định: không cần với tiendod, vì tiendod báo khi có việc; 10s với hàng đợi thử nghiệm)."
    )
    var poll: String?
    @Option(name: .customLong("seed"), help: "Hạt giống cho độ trễ ngẫu nhiên (mặc định: ngẫu nhiên).") var seed: UInt64?
    @Flag(name: .customLong("verbose"), help: "Ghi cả các thư đã gửi ra stderr.") var verbose = false

    func validate() throws {
        if virtualTime != nil, until == nil { throw ValidationError("--virtual-time cần --until") }
        if virtualTime != nil, fakeTime != nil { throw ValidationError("--virtual-time và --fake-time không dùng cùng nhau") }
        if socket != nil, testQueue != nil { throw ValidationError("--socket và --test-queue không dùng cùng nhau") }
        guard (1...1000).contains(batch) else { throw ValidationError("--batch phải từ 1 đến 1000") }
        guard timeRate > 0, timeRate <= DaemonClock.maxRate else {
            throw ValidationError("--time-rate phải là một số dương, tối đa \(DaemonClock.rateText(DaemonClock.maxRate))")
        }
    }

    func run() async throws {
        // A sendmail child that exits early must not kill the sender through a write to its stdin.
        signal(SIGPIPE, SIG_IGN)
        let s = try setup.load()
        let log = DeliveryLog(verbose: verbose)
        if let why = s.fallback { log.log(3, why) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var channels: [any DeliveryChannel] = []
        for name in s.routing.channelOrder {
            let def = s.routing.channels[name]!
            do {
                switch def.kind {
                case .smtp: channels.append(try SMTPChannel(def, helo: s.routing.messageHost, group: group))
                case .sendmail: channels.append(SendmailChannel(def))
                case .webhook: channels.append(try WebhookChannel(def, group: group, version: TiendoVersion.string))
                }
            } catch {
                let said = "\(error)"
                let detail = said.contains("NO_CERTIFICATE") ? "tệp không chứa chứng chỉ dạng PEM" : String(said.prefix(160))
                let reason =
                    "kênh \(name) không dùng được: không đọc được chứng chỉ \(def.caFile.map { "ca_file \($0)" } ?? "TLS") (\(detail)); "
                    + "sửa tệp định tuyến rồi khởi động lại tiendo-deliver"
                log.log(3, reason)
                channels.append(UnusableChannel(definition: def, reason: reason))
            }
        }
        let clock: any DeliveryClock
        var pollSeconds = try (poll ?? (testQueue == nil ? nil : "10s")).map { try duration($0, option: "--poll") }
        if let virtualTime, let until {
            let start = try instant(virtualTime, option: "--virtual-time")
            let end = try instant(until, option: "--until")
            clock = VirtualClock(start: start, end: end)
            // Everything is queued before a virtual run: the queue's next due time is the only wake-up needed.
            pollSeconds = nil
            log.log(4, "CHÚ Ý: THỜI GIAN ẢO từ \(Zone.vietnam.iso(start)) đến \(Zone.vietnam.iso(end)) — chỉ để thử nghiệm")
        } else if let fakeTime {
            let t = try instant(fakeTime, option: "--fake-time")
            clock = SystemClock(DaemonClock(fakeStart: t, rate: timeRate))
            log.log(
                4,
                "CHÚ Ý: ĐỒNG HỒ GIẢ bắt đầu lúc \(Zone.vietnam.dateAndTime(t)), nhanh gấp \(DaemonClock.rateText(timeRate)) lần — chỉ để thử nghiệm"
            )
        } else {
            clock = SystemClock(DaemonClock())
        }
        let policy = RetryPolicy(
            base: try duration(retryBase, option: "--retry-base"), cap: try duration(retryCap, option: "--retry-cap"),
            giveUpAfter: try duration(giveUpAfter, option: "--give-up-after"))
        let q: any DeliveryQueue
        let owner: String
        let queueName: String
        if let testQueue {
            q = try TestQueue(path: testQueue)
            owner = "\(ProcessInfo.processInfo.hostName)/\(getpid())"
            queueName = "hàng đợi thử nghiệm \(testQueue)"
        } else {
            let path = ManagerClient.resolveSocketPath(socket)
            q = VarlinkDeliveryQueue(
                client: ManagerClient(socketPath: path, timeout: 60), channels: s.routing.channelOrder, announce: virtualTime == nil,
                log: { log.log(4, $0) })
            // The same name after a restart: the claims of a sender that was killed go back to the queue at the first
            // claim of its successor (vn.tiendo.Delivery.Claim), not when their lease runs out.
            owner = "\(ProcessInfo.processInfo.hostName)/tiendo-deliver"
            queueName = "tiendod qua \(path)"
        }
        let config = SenderConfiguration(
            owner: owner, batch: batch, lease: try duration(lease, option: "--lease"), poll: pollSeconds, policy: policy,
            seed: seed ?? UInt64.random(in: 0...UInt64.max))
        let sender = Sender(queue: q, channels: channels, composer: s.composer, clock: clock, config: config, observer: log)
        let reload = Atomic(false)
        // A stop asked is never undone by a reload asked after it (the handlers run on a concurrent queue).
        let stopping = Atomic(false)
        let stops = [SIGTERM, SIGINT, SIGHUP].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if sig == SIGHUP {
                    guard !stopping.load(ordering: .acquiring) else { return }
                    log.log(5, "Nhận SIGHUP: gửi nốt thư đang gửi rồi nạp lại tệp định tuyến", event: .lifecycle)
                    reload.store(true, ordering: .releasing)
                    ServiceManager.reloading(status: "Đang gửi nốt thư rồi nạp lại tệp định tuyến…")
                } else {
                    log.log(5, "Nhận tín hiệu dừng: gửi nốt thư đang gửi rồi dừng", event: .lifecycle)
                    // A stop asked while a reload waits for its messages is a stop.
                    stopping.store(true, ordering: .releasing)
                    ServiceManager.stopping()
                }
                sender.stop()
            }
            source.resume()
            return source
        }
        let names = s.routing.channelOrder.joined(separator: ", ")
        log.log(6, "tiendo-deliver \(TiendoVersion.string) bắt đầu: kênh \(names), \(queueName)", event: .lifecycle)
        ServiceManager.ready(status: "Đang gửi qua \(names)")
        await sender.run()
        for source in stops { source.cancel() }
        try await group.shutdownGracefully()
        if sender.stoppedBecause == nil, reload.load(ordering: .acquiring), !stopping.load(ordering: .acquiring) {
            try Run.executeAgain(log)
        }
        if let why = sender.stoppedBecause {
            log.log(3, "tiendo-deliver dừng: \(why)", event: .lifecycle)
            throw Failure(why)
        }
        log.log(6, "tiendo-deliver đã dừng", event: .lifecycle)
    }
}

extension Run {
    /// Replaces this process by a new run of the same program with the same arguments (same pid: systemd's
    /// notifications go on), which reads the routing file and makes its channels again. Returns only by throwing.
    static func executeAgain(_ log: DeliveryLog) throws -> Never {
        log.log(6, "tiendo-deliver nạp lại: chạy lại với tệp định tuyến hiện có", event: .lifecycle)
        fflush(nil)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        let why = "không nạp lại được (không chạy lại được /proc/self/exe: \(ErrnoText.describe(errno))); tiendo-deliver dừng"
        log.log(3, why, event: .lifecycle)
        throw Failure(why)
    }
}

/// The wall clock, or the daemon's fake clock (`--fake-time`, `--time-rate`).
struct SystemClock: DeliveryClock {
    let clock: DaemonClock
    init(_ clock: DaemonClock) { self.clock = clock }

    func now() -> Instant { clock.now() }
    /// Returns once `now()` has reached `t`: the sleep runs on the monotonic clock, which may end a hair before
    /// the wall clock's second turns (then a message retried at `t` would not be due yet and lose its place).
    func sleep(until t: Instant) async throws {
        while clock.now() < t {
            // At most a day at a time: `t` may be `Instant.distantFuture` (nothing due, woken by an announcement).
            try await Task.sleep(for: .seconds(min(max(clock.realDelay(until: t), 0.001), 86_400)))
        }
    }
    func join() {}
    func leave() {}
}
