import ArgumentParser
import Foundation
import Logging
import TiendoCommandLine
import TiendoCore
import TiendoVarlink
import TiendoVersion
import TiendoWeb

/// `tiendo-web`: the web pages of tiendo for ward officers, and their accounts.
@main
struct TiendoWebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiendo-web",
        abstract: "Trang web của tiendo cho cán bộ văn phòng Đảng ủy phường và bí thư chi bộ.",
        version: TiendoVersion.string,
        subcommands: [Serve.self, User.self])

    /// ArgumentParser's own words in Vietnamese (`TiendoCommandLine`).
    static func main() async { await mainInVietnamese() }
}

struct StateOption: ParsableArguments {
    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Thư mục lưu tài khoản (mặc định /var/lib/tiendo-web).", valueName: "DIR"))
    var stateDir: String =
        ProcessInfo.processInfo.environment["STATE_DIRECTORY"].flatMap { $0.split(separator: ":").first.map(String.init) }
        ?? "/var/lib/tiendo-web"

    var store: AccountStore { AccountStore(directory: stateDir) }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Chạy máy chủ web (dừng bằng SIGTERM hoặc Ctrl-C).")

    @Option(
        help: ArgumentHelp("Socket varlink của tiendod (mặc định $TIENDO_SOCKET hoặc /run/tiendo/vn.tiendo.Manager).", valueName: "PATH"))
    var socket: String?

    @Option(
        help: ArgumentHelp(
            "Địa chỉ nghe: HOST:PORT, hoặc unix:ĐƯỜNG_DẪN cho reverse proxy (mặc định 127.0.0.1:8080).", valueName: "HOST:PORT"))
    var listen: String = "127.0.0.1:8080"

    @Option(
        help: ArgumentHelp(
            "Tổ chức đảng in ở đầu các danh sách, vd. \"Đảng bộ phường Tây Hồ\" (mặc định $TIENDO_WEB_ORGANISATION).", valueName: "TÊN"))
    var organisation: String?

    @Option(help: ArgumentHelp("Địa danh ở dòng ngày tháng của bản in, vd. \"Tây Hồ\" (mặc định $TIENDO_WEB_PLACE).", valueName: "TÊN"))
    var place: String?

    @Option(
        help: ArgumentHelp(
            "Nơi hỏi khi cần hỗ trợ, ở cuối mọi trang, vd. \"Văn phòng Đảng ủy phường, 024 3823 4567\" (mặc định $TIENDO_WEB_CONTACT).",
            valueName: "LIÊN HỆ"))
    var contact: String?

    @OptionGroup var state: StateOption

    /// An option, else its environment variable; blank is none.
    static func setting(_ option: String?, _ variable: String) -> String? {
        let value = (option ?? ProcessInfo.processInfo.environment[variable])?.trimmingCharacters(in: .whitespaces)
        return value?.isEmpty == false ? value : nil
    }

    func run() async throws {
        guard let address = WebConfiguration.listen(listen) else {
            throw ValidationError("--listen '\(listen)' không hợp lệ: cần HOST:PORT (vd. 127.0.0.1:8080) hoặc unix:ĐƯỜNG_DẪN")
        }
        var logger = Logger(label: "tiendo-web", factory: WebLogHandler.make)
        logger.logLevel = .info
        let configuration = WebConfiguration(
            socketPath: ManagerClient.resolveSocketPath(socket), listen: address, stateDirectory: state.stateDir,
            organisation: Serve.setting(organisation, "TIENDO_WEB_ORGANISATION"), place: Serve.setting(place, "TIENDO_WEB_PLACE"),
            contact: Serve.setting(contact, "TIENDO_WEB_CONTACT"))
        let app = WebApp(configuration: configuration)
        if (try? app.accounts.accounts().isEmpty) ?? true {
            logger.warning(
                "tiendo-web: chưa có tài khoản nào trong \(state.stateDir); tạo tài khoản quản trị đầu tiên bằng: tiendo-web user add TÊN --role quan-tri --password-stdin"
            )
        }
        try await app.run(logger: logger)
    }
}

struct User: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quản lý tài khoản: add, passwd, name, scope, disable, enable, list.",
        subcommands: [Add.self, Passwd.self, Name.self, Scope.self, Disable.self, Enable.self, List.self])

    /// The password: one line from standard input (never an argument: those show in `ps`), or a generated one.
    static func password(fromStdin: Bool, generate: Bool) throws -> String {
        if generate { return AccountCommands.randomPassword() }
        guard fromStdin else { throw ValidationError("cần --password-stdin (mật khẩu đọc từ đầu vào chuẩn, một dòng)") }
        guard let line = readLine(strippingNewline: true) else { throw ValidationError("không đọc được mật khẩu từ đầu vào chuẩn") }
        return line.hasSuffix("\r") ? String(line.dropLast()) : line
    }

    /// `--role`'s value.
    static func role(_ given: String) throws -> Role {
        guard let r = Role(rawValue: given) else { throw ValidationError("--role phải là xem, can-bo hoặc quan-tri") }
        return r
    }

    static func fail(_ error: any Error) -> ExitCode {
        FileHandle.standardError.write(Data("tiendo-web: \(error)\n".utf8))
        return ExitCode(1)
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Tạo tài khoản (mật khẩu lưu dạng bcrypt).")

        @Argument(help: "Tên đăng nhập (chữ, số, . _ - @; tối đa 64 ký tự).")
        var name: String

        @Option(help: ArgumentHelp("Vai trò: xem, can-bo hoặc quan-tri.", valueName: "ROLE"))
        var role: String

        @Option(help: ArgumentHelp("Họ và tên người dùng, trang web hiện tên này (không bắt buộc).", valueName: "HỌ_TÊN"))
        var fullName: String?

        @Option(
            name: .customLong("group"),
            help: ArgumentHelp("Chỉ được làm việc với chi bộ này (lặp lại được; không có: mọi chi bộ).", valueName: "G"))
        var groups: [String] = []

        @Flag(help: "Đọc mật khẩu từ đầu vào chuẩn (một dòng).")
        var passwordStdin = false

        @Flag(help: "Tạo mật khẩu ngẫu nhiên và in ra một lần.")
        var generatePassword = false

        @OptionGroup var state: StateOption

        func run() throws {
            let r = try User.role(role)
            let password = try User.password(fromStdin: passwordStdin, generate: generatePassword)
            do {
                let a = try AccountCommands.add(
                    state.store, name: name, fullName: fullName, role: r, groups: groups, password: password)
                print(
                    "Đã tạo tài khoản '\(a.name)'\(a.fullName.map { " của \($0)" } ?? "") (\(a.role.title); \(a.groupsText))."
                )
                if generatePassword { print("Mật khẩu: \(password)") }
            } catch { throw User.fail(error) }
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Đặt mật khẩu mới cho tài khoản.")
        @Argument(help: "Tên đăng nhập.") var name: String
        @Flag(help: "Đọc mật khẩu từ đầu vào chuẩn (một dòng).") var passwordStdin = false
        @OptionGroup var state: StateOption

        func run() throws {
            let password = try User.password(fromStdin: passwordStdin, generate: false)
            do { try AccountCommands.setPassword(state.store, name: name, password: password) } catch { throw User.fail(error) }
            print("Đã đổi mật khẩu của '\(name)'.")
        }
    }

    struct Name: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Đặt họ và tên người dùng của tài khoản (chuỗi rỗng: bỏ).")
        @Argument(help: "Tên đăng nhập.") var name: String
        @Argument(help: "Họ và tên, ví dụ \"Nguyễn Thị Hà\".") var fullName: String
        @OptionGroup var state: StateOption

        func run() throws {
            let a: Account
            do { a = try AccountCommands.setFullName(state.store, name: name, fullName: fullName) } catch { throw User.fail(error) }
            print(a.fullName.map { "Đã đặt họ và tên của '\(a.name)': \($0)." } ?? "Đã bỏ họ và tên của '\(a.name)'.")
        }
    }

    struct Scope: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Đặt vai trò và chi bộ của tài khoản (không có --group: mọi chi bộ); có hiệu lực từ yêu cầu kế tiếp.")
        @Argument(help: "Tên đăng nhập.") var name: String
        @Option(help: ArgumentHelp("Vai trò: xem, can-bo hoặc quan-tri.", valueName: "ROLE")) var role: String
        @Option(
            name: .customLong("group"),
            help: ArgumentHelp("Chỉ được làm việc với chi bộ này (lặp lại được; không có: mọi chi bộ).", valueName: "G"))
        var groups: [String] = []
        @OptionGroup var state: StateOption

        func run() throws {
            let r = try User.role(role)
            let a: Account
            do { a = try AccountCommands.setScope(state.store, name: name, role: r, groups: groups) } catch { throw User.fail(error) }
            print("Đã đặt tài khoản '\(a.name)': \(a.role.title); \(a.groupsText).")
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Khóa tài khoản (phiên đang mở kết thúc ở yêu cầu kế tiếp).")
        @Argument(help: "Tên đăng nhập.") var name: String
        @OptionGroup var state: StateOption

        func run() throws {
            do { try AccountCommands.setDisabled(state.store, name: name, true) } catch { throw User.fail(error) }
            print("Đã khóa tài khoản '\(name)'.")
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mở khóa tài khoản.")
        @Argument(help: "Tên đăng nhập.") var name: String
        @OptionGroup var state: StateOption

        func run() throws {
            do { try AccountCommands.setDisabled(state.store, name: name, false) } catch { throw User.fail(error) }
            print("Đã mở khóa tài khoản '\(name)'.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Liệt kê tài khoản.")
        @OptionGroup var state: StateOption

        func run() throws {
            let accounts: [Account]
            do { accounts = try state.store.accounts() } catch { throw User.fail(error) }
            if accounts.isEmpty { return print("Chưa có tài khoản nào.") }
            for a in accounts.sorted(by: { $0.name < $1.name }) {
                let groups = a.groupsText
                print("\(a.name)\t\(a.fullName ?? "-")\t\(a.role.rawValue)\t\(a.disabled ? "đã khóa" : "đang dùng")\t\(groups)")
            }
        }
    }
}
