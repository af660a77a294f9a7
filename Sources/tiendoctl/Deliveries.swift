import ArgumentParser
import Foundation
import TiendoCore
import TiendoDelivery
import TiendoVarlink

// `tiendoctl deliveries`: the emails and webhooks of `vn.tiendo.Delivery` (docs/delivery.md §7).

struct DeliveriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries",
        abstract: "Thông báo gửi qua email và webhook: đang chờ, gửi lỗi, thư chết (kèm lý do); gửi lại hoặc bỏ qua thư chết.",
        subcommands: [DeliveriesList.self, DeliveriesRetry.self, DeliveriesDiscard.self],
        defaultSubcommand: DeliveriesList.self)
}

enum DeliveryText {
    /// A state for people; a pending delivery that failed before is waiting to be tried again.
    static func state(_ row: DeliveryRow) -> String {
        switch row.state {
        case "pending": return row.attempts > 0 ? "chờ thử lại" : "chờ gửi"
        case "inflight": return "đang gửi"
        case "sent": return "đã gửi"
        case "dead": return "thư chết"
        case "expired": return "bỏ, không gửi"
        default: return row.state
        }
    }

    /// `12 chờ gửi (3 chờ thử lại), 1 đang gửi, 240 đã gửi, 2 thư chết, 5 bỏ không gửi`.
    static func summary(_ total: [String: Int]) -> String {
        var out = "\(Fmt.count(total["pending"] ?? 0)) chờ gửi"
        if let failed = total["failed"], failed > 0 { out += " (\(Fmt.count(failed)) chờ thử lại)" }
        out += ", \(Fmt.count(total["inflight"] ?? 0)) đang gửi, \(Fmt.count(total["sent"] ?? 0)) đã gửi"
        out += ", \(Fmt.count(total["dead"] ?? 0)) thư chết, \(Fmt.count(total["expired"] ?? 0)) bỏ không gửi"
        return out
    }

    /// Dead letters in red, deliveries that failed and wait to be tried again in yellow.
    static func colour(_ row: DeliveryRow) -> ((String) -> String)? {
        if row.state == "dead" { return Output.red }
        if row.attempts > 0, row.state == "pending" || row.state == "inflight" { return Output.yellow }
        return nil
    }

    /// The record a delivery is about: its instance with the name it goes by, `Nguyễn Văn An (nhac-viec/m00001)`.
    static func record(_ row: DeliveryRow) -> String {
        DeliveryRow.recordName(instance: row.instance, workflow: row.workflow, label: row.label)
    }

    /// A table cell, as every other table of tiendoctl writes an instant: `03/12/2025 08:00`.
    static func when(_ row: DeliveryRow) -> String { Zone.vietnam.dateAndTime(row.finishedAt ?? row.notBefore) }

    /// Why it is where it is: the last failure, why it was not sent, or the relay's answer. A sent row shows the
    /// answer, not a failure it got past («đã gửi … lỗi vĩnh viễn: …» read as if it were not sent).
    static func reason(_ row: DeliveryRow) -> String {
        if row.state == "sent" {
            let answer = row.providerID ?? ""
            guard row.attempts > 0 else { return answer }
            return answer + (answer.isEmpty ? "" : " ") + "(sau \(row.attempts) lần lỗi)"
        }
        if let e = row.error {
            return (row.errorClass == "permanent" ? "lỗi vĩnh viễn: " : row.errorClass == nil ? "" : "lỗi tạm thời: ") + e
        }
        return row.providerID ?? ""
    }
}

struct DeliveriesList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Liệt kê thông báo (mặc định: chờ gửi, đang gửi và thư chết) với thời điểm, số lần thử và lý do.")

    @Option(
        name: .customLong("state"),
        help: ArgumentHelp(
            "Chỉ trạng thái này (lặp lại được): pending, inflight, failed (đã lỗi, chờ thử lại), sent, dead, expired, all.",
            valueName: "S"))
    var states: [String] = []

    @Option(help: ArgumentHelp("Chỉ kênh này.", valueName: "C"))
    var channel: String?

    @Option(help: ArgumentHelp("Chỉ N dòng mới nhất (mặc định: tất cả).", valueName: "N"))
    var limit: Int?

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        for s in states where s != "all" && !Deliveries.listStates.contains(s) {
            throw ValidationError("--state '\(s)': cần pending, inflight, failed, sent, dead, expired hoặc all")
        }
        if let limit, limit < 1 { throw ValidationError("--limit phải lớn hơn 0") }
    }

    func run() throws {
        let wanted: [String]? = states.contains("all") ? nil : (states.isEmpty ? ["pending", "inflight", "dead"] : states)
        let c = try connection.connect()
        var rows: [DeliveryRow] = []
        var after: Int64?
        // With --limit, the latest N (read newest first, shown oldest first like the rest).
        repeat {
            let page = min(10_000, limit.map { $0 - rows.count } ?? 10_000)
            let method = Deliveries.List(states: wanted, channel: channel, limit: page, after: after, newest: limit != nil)
            let reply = try connection.read(Deliveries.List.self, try connection.parameters(method, on: c))
            rows += reply.rows
            after = reply.next
        } while after != nil && (limit.map { rows.count < $0 } ?? true)
        if limit != nil { rows.reverse() }
        if connection.json { return Output.printJSON(.object([("rows", .array(rows.map(\.json)))])) }
        let counts = try connection.read(Deliveries.Counts.self, try connection.parameters(Deliveries.Counts(), on: c))
        // «0 chờ gửi, 0 đã gửi» read as mail that works, when nothing is ever queued.
        if counts.routing == nil && counts.channels.isEmpty {
            Output.say(
                "Không có tệp định tuyến nào đang có hiệu lực (chưa có delivery/routing.yaml trong thư mục quy trình, hoặc tệp "
                    + "bị từ chối: xem `tiendoctl status`): tiendod không xếp thông báo nào để gửi bằng thư điện tử hay webhook. "
                    + "Cách thiết lập: README, mục gửi thông báo; docs/delivery.md.", Output.bold)
            return
        }
        if let channel, counts.channels[channel] == nil {
            // A misspelt channel printed every channel's totals, as if it had them.
            let known = counts.channels.keys.sorted()
            Output.say(
                "Kênh «\(channel)»: chưa có thông báo nào"
                    + (known.isEmpty ? "." : " (các kênh đã có thông báo: \(known.joined(separator: ", ")))."), Output.bold)
            return
        }
        Output.say(DeliveryText.summary(channel.flatMap { counts.channels[$0] } ?? counts.total), Output.bold)
        if let limit, rows.count == limit { Output.say("(\(limit) thông báo mới nhất)") }
        guard !rows.isEmpty else { return }
        Output.say()
        let cells = rows.map { r -> [String] in
            [
                "#\(r.id)", DeliveryText.state(r), r.channel, r.recipient ?? "—", DeliveryText.record(r), Output.kindLabel(r.kind),
                DeliveryText.when(r), String(r.attempts), DeliveryText.reason(r),
            ]
        }
        let colours = rows.map(DeliveryText.colour)
        Output.table(
            ["Số", "Trạng thái", "Kênh", "Người nhận", "Hồ sơ", "Loại", "Thời điểm", "Lần thử", "Lý do"], cells, colour: colours)
    }
}

/// The dead letters a command acts on: numbers, or every one.
struct DeadLetterChoice: ParsableArguments {
    @Argument(help: "Số thứ tự các thông báo (như `tiendoctl deliveries` in, có hoặc không có #).")
    var ids: [String] = []

    @Flag(name: .customLong("all-dead"), help: "Mọi thư chết.")
    var allDead = false

    func validate() throws {
        if allDead == !ids.isEmpty { throw ValidationError("cần các số thứ tự hoặc --all-dead") }
        for id in ids where DeadLetterChoice.number(id) == nil {
            throw ValidationError("'\(id)' không phải số thứ tự của thông báo")
        }
    }

    /// `12` or `#12`, as the list prints it.
    static func number(_ id: String) -> Int64? { Int64(id.hasPrefix("#") ? String(id.dropFirst()) : id) }

    var numbers: [Int64] { ids.compactMap(DeadLetterChoice.number) }

    /// The ids to send: nil for every dead letter.
    var chosen: [Int64]? { allDead ? nil : numbers }

    /// «(2 thông báo không ở thư chết)» when fewer than the numbers given were dead.
    func notDead(_ done: Int) -> String {
        !allDead && done < numbers.count ? " (\(numbers.count - done) thông báo không ở thư chết)" : ""
    }
}

struct DeliveriesRetry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Đưa thư chết trở lại hàng đợi để gửi ngay (cùng Message-ID).")

    @OptionGroup var choice: DeadLetterChoice

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try connection.run(Deliveries.Retry(ids: choice.chosen, allDead: choice.allDead ? true : nil)) { retried in
            Output.say("Đưa lại \(Fmt.count(retried)) thư chết vào hàng đợi" + choice.notDead(retried))
        }
    }
}

struct DeliveriesDiscard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discard",
        abstract: "Bỏ qua thư chết đã xử lý (vd. địa chỉ sai đã sửa trong hồ sơ): không gửi, giữ lại trong danh sách với lý do.")

    @OptionGroup var choice: DeadLetterChoice

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try connection.run(Deliveries.Discard(ids: choice.chosen, allDead: choice.allDead ? true : nil)) { discarded in
            Output.say("Bỏ qua \(Fmt.count(discarded)) thư chết (giữ lại trong danh sách, không gửi)" + choice.notDead(discarded))
        }
    }
}
