import ArgumentParser
import TiendoCore
import TiendoVarlink

// MARK: undo

/// `tiendoctl undo ID` (an extension: `vn.tiendo.Extras.Undo`).
struct Undo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hoàn tác bước ghi gần nhất của hồ sơ (ghi nhầm), trong vòng 7 ngày.",
        discussion: """
            Hồ sơ trở lại như ngay trước bước đó (một sự kiện, hoặc việc đánh dấu một mốc đã xong), rồi được tính tiếp \
            đến bây giờ như thể bước đó chưa từng được ghi. Những gì bước đó đã ghi vẫn còn trong lịch sử, kèm bản ghi \
            «hoàn tác». Mỗi bước chỉ hoàn tác được một lần.
            """)

    @Argument(help: "Mã hồ sơ, QUY_TRÌNH/KHÓA.")
    var id: String

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try checkInstanceID(id)
        // Read first, to say which step is undone and to undo that one only (nil when none can be: the undo then says
        // why). A failed read is an error: undoing unseen would undo whatever step came last.
        let step = try connection.read(Extras.Instance.self, connection.parameters(Extras.Instance(id: id))).entry.undo
        try connection.run(Extras.Undo(id: id, token: step?.token)) { i in
            let which = step.map { s in
                let what = s.event == "done" ? "đánh dấu xong mốc '\(s.milestone ?? "")'" : "sự kiện '\(s.event)'"
                return " (\(what), ghi lúc \(Fmt.date(s.at))\(s.actor.map { " bởi \($0)" } ?? ""))"
            }
            Output.say(
                "Đã hoàn tác bước ghi gần nhất\(which ?? "") của hồ sơ \(i.id); trạng thái: \(stateText(i, title: stateTitle(i, connection)))."
            )
            printNext(i)
        }
    }
}
