import ArgumentParser
import TiendoCore
import TiendoVarlink

// MARK: backup

/// `tiendoctl backup [--keep N]` (an extension: `vn.tiendo.Extras.Backup`).
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sao lưu cơ sở dữ liệu của tiendod khi nó đang chạy, vào thư mục backups/ cạnh cơ sở dữ liệu.",
        discussion: """
            Bản sao là cơ sở dữ liệu ở một thời điểm, tên tiendo-NĂM-THÁNG-NGÀY-GIỜPHÚTGIÂY.sqlite (giờ Việt Nam), \
            được kiểm tra đọc lại được trước khi mang tên đó. Với --keep N, giữ mọi bản của N ngày gần nhất có bản sao (các bản cùng một ngày tính là một) và xóa các bản cũ hơn. \
            tiendo-backup.timer chạy lệnh này mỗi đêm với --keep 14. Lệnh chờ bản sao xong tối đa 1 giờ (hoặc \
            theo --timeout nếu có). Khôi phục (khi tiendod đã dừng): tiendod --restore TỆP, xem tiendod(8).
            """)

    // `.unconditional`: `--keep -1` is a value (refused in words below), not a missing one.
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Giữ các bản sao của N ngày gần nhất có bản sao (kể cả ngày của bản vừa tạo), xóa các bản cũ hơn.", valueName: "N"))
    var keep: Int?

    @Flag(help: "Không sao lưu: liệt kê các bản sao đang có, mới nhất trước.")
    var list = false

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let keep, keep < 1 { throw ValidationError("--keep phải từ 1 trở lên") }
        if list, keep != nil { throw ValidationError("--list không đi cùng --keep") }
    }

    func run() throws {
        if list {
            return try connection.run(Extras.Backups()) { r in
                if r.copies.isEmpty { return Output.say("Chưa có bản sao lưu nào trong \(r.directory).") }
                Output.say("\(r.copies.count) bản sao lưu trong \(r.directory):")
                Output.table(
                    ["Tệp", "Lúc ghi", "Cỡ", "Ghi chú"],
                    r.copies.map {
                        [
                            $0.name, Fmt.date($0.at), Messages.size(Int64($0.bytes)),
                            $0.upgradedFrom.map { "trước khi nâng cấp từ phiên bản \($0)" } ?? "",
                        ]
                    })
            }
        }
        // A copy of a province's database takes minutes: the default wait of other commands is too short for it.
        var connection = connection
        if connection.timeoutGiven == nil { connection.timeoutGiven = 3600 }
        try connection.run(Extras.Backup(keep: keep)) { r in
            Output.say(
                "Đã sao lưu \(Fmt.count(r.instances)) hồ sơ vào \(r.path) (\(Messages.size(Int64(r.bytes)))), lúc \(Fmt.date(r.at)).")
            if !r.removed.isEmpty { Output.say("Đã xóa \(r.removed.count) bản sao cũ: \(r.removed.joined(separator: ", ")).") }
        }
    }
}
