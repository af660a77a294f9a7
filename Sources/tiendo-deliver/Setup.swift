import ArgumentParser
import Foundation
import TiendoCore
import TiendoDelivery

/// Where the workflows and the routing file are (shared by every subcommand).
struct SetupOptions: ParsableArguments {
    @Option(
        name: .customLong("workflows"),
        help: ArgumentHelp("Thư mục quy trình (lặp lại được; mặc định /etc/tiendo/workflows, /usr/lib/tiendo/workflows).", valueName: "DIR")
    )
    var workflows: [String] = []

    @Option(
        name: .customLong("routing"),
        help: ArgumentHelp(
            "Tệp định tuyến (mặc định: delivery/routing.yaml trong thư mục quy trình đầu tiên có tệp này).", valueName: "FILE"))
    var routing: String?

    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp(
            "Thư mục giữ bản định tuyến tốt gần nhất (mặc định $STATE_DIRECTORY của systemd; không có thì không giữ).",
            valueName: "DIR"))
    var stateDirectory: String?

    var searchPath: [String] { workflows.isEmpty ? Loader.defaultSearchPath : workflows }

    /// Where the last good routing is kept: `--state-dir`, else the unit's `StateDirectory=`.
    var snapshotDirectory: String? {
        stateDirectory ?? ProcessInfo.processInfo.environment["STATE_DIRECTORY"]?.split(separator: ":").first.map(String.init)
    }

    /// The routing file's path.
    func routingFile() throws -> String {
        if let routing { return routing }
        guard let found = RoutingParser.find(searchPath: searchPath) else {
            throw Failure("không thấy tệp định tuyến \(RoutingParser.relativePath) trong \(searchPath.joined(separator: ", "))")
        }
        return found
    }

    /// Workflows, routing and router; diagnostics printed on stderr. A routing file with errors falls back to the last
    /// good one kept in the state directory, as tiendod does, rather than stop sending (systemd restarted a sender
    /// that refused to start every 5 s, and nothing went out until the file was mended); without one it stops here.
    func load(printWarnings: Bool = true, now: Instant = Instant(seconds: Int64(Date().timeIntervalSince1970))) throws -> Setup {
        let loader = Loader(searchPath: searchPath)
        let definitions = loader.loadAll()
        let file = try routingFile()
        let (loaded, found, snapshot) = RoutingSnapshot.load(file: file, definitions: definitions, now: now)
        let diagnostics = (loaded == nil ? definitions.errors : []) + found
        for d in diagnostics where printWarnings || d.severity == .error {
            FileHandle.standardError.write(Data((d.description + "\n").utf8))
        }
        var routing = loaded
        var fallback: String?
        if let snapshot, let dir = snapshotDirectory {
            // A directory given on the command line is made (only its last level, private: the routing names relays
            // and addresses), as systemd makes StateDirectory=; a missing parent is a typing error to report.
            if mkdir(dir, 0o700) != 0 && errno != EEXIST {
                FileHandle.standardError.write(Data("Cảnh báo: không tạo được thư mục \(dir): \(String(cString: strerror(errno)))\n".utf8))
            }
            do { try snapshot.write(directory: dir) } catch {
                FileHandle.standardError.write(Data("Cảnh báo: không lưu được bản định tuyến tốt gần nhất: \(error)\n".utf8))
            }
        } else if routing == nil, let dir = snapshotDirectory, let saved = RoutingSnapshot.read(directory: dir),
            let kept = saved.routing(of: file, definitions: definitions)
        {
            routing = kept
            fallback =
                "Tệp định tuyến \(file) có lỗi (\(found.filter { $0.severity == .error }.count) lỗi, in ở trên); vẫn gửi theo bản tốt "
                + "gần nhất, lưu lúc \(Zone.vietnam.vietnamese(saved.savedAt)). Sửa tệp rồi khởi động lại tiendo-deliver."
        }
        guard let routing else { throw Failure("tệp định tuyến \(file) có lỗi; không làm gì") }
        let calendar =
            loader.resolveCalendar("vn").0
            ?? WorkCalendar(id: "weekend", title: "Thứ Bảy, Chủ nhật", zone: .vietnam, weekend: [6, 7], rules: [], years: [:])
        return Setup(
            definitions: definitions, routing: routing,
            router: Router(routing: routing, definitions: definitions, fallbackCalendar: calendar),
            composer: MessageComposer(routing: routing, definitions: definitions, fallbackCalendar: calendar), fallback: fallback)
    }
}

struct Setup {
    var definitions: DefinitionSet
    var routing: Routing
    var router: Router
    var composer: MessageComposer
    /// Why the last good routing is in force instead of the file's (its errors), or nil.
    var fallback: String?
}

/// A one-line reason, printed by ArgumentParser, exit status 1.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The test queue of `enqueue`, `queue` and `retry` (`TestQueue`: test scaffolding without tiendod).
struct QueueOption: ParsableArguments {
    @Option(
        name: .customLong("test-queue"),
        help: ArgumentHelp("Hàng đợi thử nghiệm: một tệp JSON Lines (thử nghiệm, không cần tiendod).", valueName: "FILE"))
    var given: String?

    /// Before anything is read (`enqueue` reads its records from standard input, and waited there forever).
    func validate() throws { _ = try path }

    /// The test queue's file. Without one, the technician likely meant tiendod's own queue, which these commands never
    /// touch: said so, with the command that does.
    var path: String {
        get throws {
            guard let given else {
                throw ValidationError(
                    "lệnh này chỉ làm việc trên một hàng đợi thử nghiệm (--test-queue TỆP); thông báo tiendod xếp gửi thì xem bằng "
                        + "`tiendoctl deliveries` và gửi lại thư chết bằng `tiendoctl deliveries retry ID`")
            }
            return given
        }
    }
}

/// Parses a duration option or fails with its name.
func duration(_ text: String, option: String) throws -> Int64 {
    guard let s = DurationText.seconds(text) else {
        throw ValidationError("\(option) '\(text)' không hợp lệ: cần một khoảng như 30s, 5min, 2h, 1d")
    }
    return s
}

/// Parses an instant option (`YYYY-MM-DDTHH:MM[:SS][±HH:MM]`, local to Asia/Ho_Chi_Minh without an offset).
func instant(_ text: String, option: String) throws -> Instant {
    guard let t = Zone.vietnam.parseInstant(text) else {
        throw ValidationError("\(option) '\(text)' không hợp lệ: cần YYYY-MM-DDTHH:MM[:SS][±HH:MM]")
    }
    return t
}
