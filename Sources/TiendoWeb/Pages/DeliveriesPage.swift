import Hummingbird
import TiendoCore
import TiendoDelivery
import TiendoVarlink

/// `/thong-bao` — «Thông báo gửi đi»: what became of the reminders sent by e-mail and webhook (docs/delivery.md), for
/// administrators not limited to chi bộ (its rows name members of every chi bộ): the counts, the messages that could
/// not be sent with why, those waiting, the latest sent; «Gửi lại» puts messages that could not be sent back in the
/// queue (`vn.tiendo.Delivery.Retry`). The office sees what the journal alone told nobody: that a member was not
/// reached, or that nothing has gone out since the morning.
struct DeliveriesPage {
    let app: WebApp
    static let path = "/thong-bao"
    /// Rows shown of the messages not sent and of those waiting (the oldest waiting first); the counts hold them all.
    static let shown = 200
    /// Rows shown of the latest sent and of the latest left unsent.
    static let recent = 50
    /// A message due longer ago than this and still waiting says the sender or the relay is not working.
    static let stuckAfter: Int64 = 3600

    func show(_ request: Request, _ context: WebContext) async throws -> Response {
        _ = try AccountsPage.administrator(context)
        let flash = await app.takeFlash(request, context)
        // Six reads of tiendod at once, each on a thread of the gateway's pool, not one after another.
        async let catalog = app.daemon.workflows()
        async let counts = app.daemon.call(Deliveries.Counts())
        async let dead = app.daemon.call(Deliveries.List(states: ["dead"], limit: DeliveriesPage.shown, newest: true))
        async let waiting = app.daemon.call(Deliveries.List(states: ["pending", "inflight"], limit: DeliveriesPage.shown))
        async let sent = app.daemon.call(Deliveries.List(states: ["sent"], limit: DeliveriesPage.recent, newest: true))
        async let expired = app.daemon.call(Deliveries.List(states: ["expired"], limit: DeliveriesPage.recent, newest: true))
        let view = View(catalog: try await catalog, counts: try await counts, context: context)
        let body: HTML = """
            <h1>Thông báo gửi đi</h1>
            <p class="muted">Nhắc hạn và báo quá hạn mà máy chủ gửi qua thư điện tử (e-mail) hoặc sang hệ thống khác (webhook), theo cách cán bộ kỹ thuật đã thiết lập: ai nhận, lúc nào, đã đến chưa.</p>
            \(view.summary)
            \(view.deadSection(try await dead.rows))
            \(view.waitingSection(try await waiting.rows))
            \(view.sentSection(try await sent.rows))
            \(view.expiredSection(try await expired.rows))
            """
        return Layout.response(
            Layout.page(title: "Thông báo gửi đi", active: DeliveriesPage.path, context: context, flash: flash, body: body))
    }

    /// «Gửi lại» or «Bỏ qua» for the ticked messages not sent (`thu`, repeated; the action in `su-kien`), or for all
    /// of them (`tat-ca`, the action in `hanh-dong`).
    func submit(_ request: Request, _ context: WebContext) async throws -> Response {
        let me = try AccountsPage.administrator(context)
        let f = context.form
        let all = f["tat-ca"] == "1"
        let action = all ? f["hanh-dong"] : f["su-kien"]
        guard action == "gui-lai" || action == "bo-qua" else { throw PageError.badRequest("Không rõ thao tác.") }
        let ids = f.fields.filter { $0.0 == "thu" }.compactMap { Int64($0.1) }
        if !all && ids.isEmpty {
            try await app.flash("Chưa chọn thông báo nào. Không có gì thay đổi.", ok: false, request, context)
            return .redirect(to: DeliveriesPage.path)
        }
        let chosen = all ? nil : ids
        do {
            let message: String
            let n: Int
            if action == "gui-lai" {
                n = try await app.daemon.call(Deliveries.Retry(ids: chosen, allDead: all ? true : nil, actor: me.name))
                message =
                    "Đã đưa lại \(Format.count(n)) thông báo vào hàng chờ; chương trình gửi thư sẽ thử gửi lại trong ít phút. "
                    + "Tải lại trang này sau đó để xem kết quả."
            } else {
                n = try await app.daemon.call(Deliveries.Discard(ids: chosen, allDead: all ? true : nil, actor: me.name))
                message = "Đã bỏ qua \(Format.count(n)) thông báo (không gửi; vẫn xem được ở mục «Bỏ, không gửi»)."
            }
            context.logger.notice("tiendo-web: \(me.name) \((action ?? "").loggable) \(n) thông báo")
            if n == 0 {
                try await app.flash(
                    "Không còn thông báo nào trong số đã chọn ở mục «Không gửi được» (có thể người khác đã xử lý trước). Không có gì thay đổi.",
                    ok: false, request, context)
            } else {
                try await app.flash(message, ok: true, request, context)
            }
        } catch let e as ManagerError {
            // One of the ticked messages no longer exists (a restore from a copy): nothing was changed.
            try await app.flash(PageError.sentence(e.description) + " Không có gì thay đổi.", ok: false, request, context)
        }
        return .redirect(to: DeliveriesPage.path)
    }

    /// The page's parts, from one reading of tiendod.
    struct View {
        let catalog: Catalog
        let counts: DeliveryCounts
        let context: WebContext

        /// Messages waiting: pending (failed ones waiting to be tried again among them) and in flight.
        var waiting: Int { (counts.total["pending"] ?? 0) + (counts.total["inflight"] ?? 0) }

        var summary: HTML {
            let total = counts.total
            let anything = total.values.contains { $0 > 0 }
            guard counts.routing != nil || anything else {
                return """
                    <p class="warn">Máy chủ chưa được thiết lập để gửi thông báo qua e-mail hay webhook: nhắc hạn và báo quá hạn chỉ hiện trên các trang này. Việc thiết lập (địa chỉ máy chủ thư, ai nhận thông báo của chi bộ nào) do cán bộ kỹ thuật phụ trách máy chủ làm.</p>
                    """
            }
            let failed = total["failed"] ?? 0
            let retrying: HTML = failed > 0 ? " (\(Format.count(failed)) đang chờ thử lại sau lỗi)" : .empty
            let items: [HTML] = [
                DeliveriesPage.count("Không gửi được", total["dead"] ?? 0, bad: true),
                "<li><span>Chờ gửi: <b>\(Format.count(waiting))</b>\(retrying)</span></li>",
                DeliveriesPage.count("Đã gửi", total["sent"] ?? 0),
                DeliveriesPage.count("Bỏ, không gửi", total["expired"] ?? 0),
            ]
            let off: HTML =
                counts.routing == nil
                ? "<p class=\"warn\">Việc gửi thông báo đang tắt (tệp thiết lập gửi thư đã bị bỏ): không có thông báo mới nào được gửi. Hãy báo cán bộ kỹ thuật phụ trách máy chủ.</p>"
                : .empty
            return "<ul class=\"counts\">\(HTML.join(items))</ul>\(off)\(stuck)"
        }

        /// A warning per channel whose earliest waiting message was due more than an hour ago: the sender has stopped,
        /// or the mail server refuses it for now.
        var stuck: HTML {
            guard let now = Format.zone.parseInstant(catalog.now) else { return .empty }
            let late = counts.oldestPending.filter { now.seconds - $0.value.seconds > DeliveriesPage.stuckAfter }
            return HTML.join(
                late.keys.sorted().map { channel in
                    let since = Format.dateTime(late[channel]!)
                    return """
                        <p class="warn">Có thông báo (kênh «\(channel)») chờ gửi từ \(since) mà chưa đi được: chương trình gửi thư có thể đã ngừng, hoặc máy chủ thư tạm thời không nhận. Hãy báo cán bộ kỹ thuật phụ trách máy chủ.</p>
                        """
                })
        }

        func deadSection(_ rows: [DeliveryRow]) -> HTML {
            let count = counts.total["dead"] ?? 0
            guard !rows.isEmpty else {
                return "<h2>Không gửi được</h2><p>Không có thông báo nào không gửi được.</p>"
            }
            let more: HTML =
                count > rows.count
                ? "<p class=\"muted small\">\(Format.count(rows.count)) thông báo gần nhất trong \(Format.count(count)).</p>" : .empty
            let body = HTML.join(
                rows.map { r in
                    """
                    <tr><td class="pick"><label><input type="checkbox" name="thu" value="\(String(r.id))" form="gui-lai" aria-label="Chọn thông báo #\(String(r.id))"><span class="on-phone">Chọn</span></label></td>\
                    <td data-label="Lúc"><span class="date">\(Format.dateTime(r.finishedAt ?? r.notBefore))</span></td>\
                    <td data-label="Người nhận">\(recipient(r))</td><td data-label="Hồ sơ">\(record(r))</td>\
                    <td data-label="Thông báo">\(notice(r))</td><td data-label="Lý do">\(reason(r))</td></tr>
                    """
                })
            // A member's field with no address fails again when sent again: with only such rows, «bỏ qua» is offered
            // first (the address is mended in the record; the notices after it reach the new one).
            let allUnreachable = rows.allSatisfy { Unreachable.isUnreachable(key: $0.key) }
            return """
                <h2>Không gửi được (\(Format.count(count)))</h2>
                <p class="muted small">Máy chủ thư từ chối hẳn (địa chỉ sai, hộp thư không còn), hoặc đã thử lại quá lâu mà không được. Địa chỉ sai: sửa địa chỉ trong hồ sơ — các thông báo sau sẽ gửi tới địa chỉ mới — rồi «Bỏ qua» thông báo này. Máy chủ thư lỗi: báo cán bộ kỹ thuật, khắc phục xong thì «Gửi lại».</p>
                \(more)
                <div class="pick-bar no-print"><form method="post" id="gui-lai" class="inline" data-bulk="thu" data-bulk-none="Chưa chọn thông báo nào: tích chọn ô ở đầu dòng các thông báo rồi bấm lại." data-bulk-confirm="{viec} {n} thông báo đã chọn?">\(Layout.csrf(context))<input type="hidden" name="hanh-dong" value="chon">
                <label>Với các thông báo đã chọn: <select name="su-kien"><option value="gui-lai" data-said="Gửi lại"\(HTML.flag("selected", !allUnreachable))>gửi lại</option><option value="bo-qua" data-said="Bỏ qua (đã xử lý, không gửi)"\(HTML.flag("selected", allUnreachable))>bỏ qua (đã xử lý, không gửi)</option></select></label> <button class="primary">Thực hiện</button></form>
                <form method="post" class="inline" data-confirm="Gửi lại tất cả \(Format.count(count)) thông báo không gửi được?">\(Layout.csrf(context))<input type="hidden" name="hanh-dong" value="gui-lai"><input type="hidden" name="tat-ca" value="1"><button>Gửi lại tất cả (\(Format.count(count)))</button></form>
                <form method="post" class="inline" data-confirm="Bỏ qua tất cả \(Format.count(count)) thông báo không gửi được? Chúng sẽ không được gửi.">\(Layout.csrf(context))<input type="hidden" name="hanh-dong" value="bo-qua"><input type="hidden" name="tat-ca" value="1"><button>Bỏ qua tất cả (\(Format.count(count)))</button></form></div>
                <table class="records deliveries"><thead><tr><th class="pick"><input type="checkbox" data-pick-all aria-label="Chọn tất cả"></th><th>Lúc</th><th>Người nhận</th><th>Hồ sơ</th><th>Thông báo</th><th>Lý do</th></tr></thead>
                <tbody>\(body)</tbody></table>
                """
        }

        func waitingSection(_ rows: [DeliveryRow]) -> HTML {
            // A time past is not «gửi lúc …», which reads as sent: the message waits for the sender's next round.
            let now = Format.zone.parseInstant(catalog.now) ?? Instant(seconds: Int64.max)
            guard !rows.isEmpty else { return "<h2>Chờ gửi</h2><p>Không có thông báo nào đang chờ gửi.</p>" }
            let count = waiting
            let more: HTML =
                count > rows.count
                ? "<p class=\"muted small\">\(Format.count(rows.count)) thông báo chờ lâu nhất trong \(Format.count(count)).</p>" : .empty
            let body = HTML.join(
                rows.map { r in
                    let state: HTML =
                        r.state == "inflight"
                        ? "đang gửi"
                        : r.attempts > 0
                            ? "thử lại lúc \(Format.dateTime(r.notBefore)) (đã lỗi \(Format.count(r.attempts)) lần: \(r.error ?? ""))"
                            : r.notBefore > now
                                ? "sẽ gửi lúc \(Format.dateTime(r.notBefore))"
                                : "đến lượt gửi từ \(Format.dateTime(r.notBefore)), đang chờ chương trình gửi thư"
                    return """
                        <tr\(HTML.flag("class=\"late\"", r.attempts > 0))><td data-label="Người nhận">\(recipient(r))</td><td data-label="Hồ sơ">\(record(r))</td>\
                        <td data-label="Thông báo">\(notice(r))</td><td data-label="Tình trạng">\(state)</td></tr>
                        """
                })
            return """
                <h2>Chờ gửi (\(Format.count(count)))</h2>
                <p class="muted small">Thông báo ngoài giờ hành chính, ngày nghỉ, hoặc gộp vào bản tin hằng ngày được giữ đến giờ gửi; thông báo gặp lỗi tạm thời được thử lại sau.</p>
                \(more)
                <table class="records deliveries"><thead><tr><th>Người nhận</th><th>Hồ sơ</th><th>Thông báo</th><th>Tình trạng</th></tr></thead>
                <tbody>\(body)</tbody></table>
                """
        }

        func sentSection(_ rows: [DeliveryRow]) -> HTML {
            guard !rows.isEmpty else { return "<h2>Đã gửi gần đây</h2><p>Chưa gửi thông báo nào.</p>" }
            let body = HTML.join(
                rows.map { r in
                    """
                    <tr><td data-label="Lúc gửi"><span class="date">\(Format.dateTime(r.finishedAt ?? r.notBefore))</span></td>\
                    <td data-label="Người nhận">\(recipient(r))</td><td data-label="Hồ sơ">\(record(r))</td><td data-label="Thông báo">\(notice(r))</td></tr>
                    """
                })
            return """
                <h2>Đã gửi gần đây</h2>
                <table class="records deliveries"><thead><tr><th>Lúc gửi</th><th>Người nhận</th><th>Hồ sơ</th><th>Thông báo</th></tr></thead>
                <tbody>\(body)</tbody></table>
                """
        }

        /// Notices not sent on purpose (the deadline passed, the task done, a newer notice): in a fold, as a record.
        func expiredSection(_ rows: [DeliveryRow]) -> HTML {
            guard !rows.isEmpty else { return .empty }
            let body = HTML.join(
                rows.map { r in
                    """
                    <tr><td data-label="Lúc"><span class="date">\(Format.dateTime(r.finishedAt ?? r.notBefore))</span></td>\
                    <td data-label="Người nhận">\(recipient(r))</td><td data-label="Hồ sơ">\(record(r))</td>\
                    <td data-label="Thông báo">\(notice(r))</td><td data-label="Vì sao không gửi">\(r.error ?? "")</td></tr>
                    """
                })
            return """
                <details><summary>Bỏ, không gửi (gần đây): thông báo không còn cần gửi khi đến giờ gửi, hoặc đã được bỏ qua</summary>
                <table class="records deliveries"><thead><tr><th>Lúc</th><th>Người nhận</th><th>Hồ sơ</th><th>Thông báo</th><th>Vì sao không gửi</th></tr></thead>
                <tbody>\(body)</tbody></table></details>
                """
        }

        /// `Nguyễn Văn An <an@…>` as typed; a webhook by its channel.
        func recipient(_ r: DeliveryRow) -> HTML {
            guard let to = r.recipient else { return "hệ thống khác (webhook «\(r.channel)»)" }
            return "\(to)"
        }

        /// The record's name linked to its page, its workflow below.
        func record(_ r: DeliveryRow) -> HTML {
            let workflow: HTML = "<br><span class=\"muted small\">\(catalog.title(r.workflow))</span>"
            guard let id = r.instance else { return "\(catalog.title(r.workflow))" }
            let name = r.label ?? String(id.split(separator: "/", maxSplits: 1).last ?? "")
            return "<a href=\"\(DueTable.recordLink(id))\">\(name)</a>\(workflow)"
        }

        /// What kind of notice, and its sentence naming the person as the e-mail does («hồ sơ của Lê Văn Cường»), not
        /// by the record's code, which the «Hồ sơ» column links to.
        func notice(_ r: DeliveryRow) -> HTML {
            let said = MessageComposer.naming(r.message, instance: r.instance, label: r.label, personal: false)
            return "<b>\(Format.kind(Manager.RecordKind(rawValue: r.kind)))</b>: \(said)"
        }

        func reason(_ r: DeliveryRow) -> HTML {
            let tries: HTML = r.attempts > 1 ? " <span class=\"muted small\">(đã thử \(Format.count(r.attempts)) lần)</span>" : .empty
            return "\(r.error ?? "")\(tries)"
        }
    }

    /// For an administrator not limited to chi bộ, on the home page: how many messages could not be sent, with the
    /// link to them; nothing when none (or when tiendod cannot say: the agenda does not fail for it).
    static func notice(_ app: WebApp, account: Account) async -> HTML {
        guard account.role.mayAdminister, account.scope == nil,
            let dead = (try? await app.daemon.call(Deliveries.Counts()))?.total["dead"], dead > 0
        else { return .empty }
        return """
            <p class="warn no-print">\(Format.count(dead)) thông báo gửi qua e-mail hoặc webhook không đến được người nhận. <a href="\(DeliveriesPage.path)">Xem lý do và gửi lại</a></p>
            """
    }

    /// One count of the summary, in red when `bad` and not zero.
    static func count(_ title: String, _ n: Int, bad: Bool = false) -> HTML {
        "<li\(HTML.flag("class=\"bad\"", bad && n > 0))><span>\(title): <b>\(Format.count(n))</b></span></li>"
    }
}
