public import TiendoCore

/// Writes the emails: one notice, or a digest of several, in Vietnamese (dates dd/mm/yyyy, ` (dự kiến)` after a
/// provisional due), plain text and simple HTML. Days left are counted at sending time, so a reminder held over a
/// weekend says how many days are left when it arrives; the record's own sentence is quoted as it was written.
public struct MessageComposer: Sendable {
    public let routing: Routing
    let definitions: DefinitionSet?
    /// The calendar of records whose workflow is not loaded (normally `vn`), as `Router`'s fallback: the sender's
    /// sending hours reckon with it.
    public var fallbackCalendar: WorkCalendar?

    public init(routing: Routing, definitions: DefinitionSet?, fallbackCalendar: WorkCalendar? = nil) {
        self.routing = routing
        self.definitions = definitions
        self.fallbackCalendar = fallbackCalendar
    }

    /// A notice with what the email needs about it.
    struct Item {
        var notice: Notice
        var zone: Zone
        var workflowTitle: String
        var title: String
        /// The title of the state the record names (for a transition, the state entered), when the definition is known.
        var stateTitle: String?
        /// The name the record's instance goes by (`Delivery.label`), when known.
        var label: String?
        /// Whether the instance's code names it where its name is not known: not in a message to the person the record
        /// is about, who knows whose it is.
        var showsCode = true

        /// ` — Nguyễn Văn An` after a title, when the name is known.
        var named: String { label.map { " — \($0)" } ?? "" }

        /// Whose the record is after a title: ` — Nguyễn Văn An` when the name is known (a secretary looks for the
        /// person, not for `nhac-viec/nguyen-van-an`, which the body and the record's page still show), else
        /// ` (nhac-viec/nguyen-van-an)`.
        var whose: String { label == nil ? code : named }

        /// ` (nhac-viec/nguyen-van-an)`, unless the name is known or the reader is the person.
        var code: String { label == nil && showsCode ? notice.instance.map { " (\($0))" } ?? "" : "" }

        /// A reminder or an overdue notice at least as urgent as `threshold` (the routing's `quiet_hours.urgent`, crit
        /// by default): sent at any hour, and marked as such.
        func isUrgent(_ threshold: Int) -> Bool { notice.isDeadlineNotice && notice.priority <= threshold }
        /// Local date of the due minus the local date of sending.
        var days: Int?
        var dueText: String?
        /// The record's page on tiendo-web, for a recipient who can open it (`MessageComposer.opensPages`).
        var page: String?
        /// What the workflow says about the task a reminder or an overdue notice is about: the state's or the
        /// milestone's description, confidence marks in words.
        var guidance: String?
    }

    func item(_ d: Delivery, now: Instant) throws(DeliveryFailure) -> Item {
        let n: Notice
        do {
            n = try Notice(json: d.record)
        } catch {
            throw DeliveryFailure(.permanent, "bản ghi không đọc được: \(error.reason)")
        }
        let def = definitions?.workflow(n.workflow)
        let zone = def?.zone ?? .vietnam
        var title = MessageComposer.quoted(in: n.message) ?? n.message
        var guidance: [String] = []
        let notice = n.isDeadlineNotice
        if let def {
            if let m = n.milestone, let md = def.milestone(m) {
                title = md.title
                // What to do, not the citation alone (the record's page has the basis).
                if notice, let d = md.description { guidance = [d] }
            } else if notice || n.kind == "rescheduled", let s = n.state, let sd = def.state(s) {
                title = sd.taskTitle
                if notice { guidance = sd.description.map { [$0] } ?? [] }
            }
        }
        let days = n.dueDate(zone: zone).map { $0.dayNumber - zone.date(of: now).dayNumber }
        let dueText = n.dueText(zone: zone).map { $0 + (n.provisional ? " (dự kiến)" : "") }
        return Item(
            notice: n, zone: zone, workflowTitle: def?.title ?? n.workflow, title: title,
            stateTitle: n.state.flatMap { def?.state($0)?.displayTitle }, label: d.label, days: days, dueText: dueText,
            guidance: guidance.isEmpty ? nil : guidance.map(ConfidenceMarks.plain).joined(separator: " "))
    }

    /// The first «…» of a record's sentence: the title the engine put there.
    static func quoted(in message: String) -> String? {
        guard let open = message.firstIndex(of: "«"), let close = message[open...].firstIndex(of: "»") else { return nil }
        return String(message[message.index(after: open)..<close])
    }

    /// The email of a job: a notice, or a digest when the job's deliveries belong to one.
    public func email(for job: DeliveryJob, now: Instant) throws(DeliveryFailure) -> MailMessage {
        guard let to = job.recipient else { throw DeliveryFailure(.permanent, "thư không có người nhận") }
        var items: [Item] = []
        let linked = opensPages(job)
        for d in job.items {
            var i = try item(d, now: now)
            if linked { i.page = routing.page(of: i.notice.instance) }
            items.append(i)
        }
        guard let first = items.first else { throw DeliveryFailure(.permanent, "thư không có nội dung") }
        let id = MIME.messageIDLocal(job.messageKey) + "@" + routing.messageHost
        let greeting = to.name.map { MessageComposer.greeting($0) } ?? "Kính gửi các đồng chí,"
        let footer =
            "Thư gửi tự động từ hệ thống theo dõi tiến độ"
            + (routing.sender.name.map { " của " + $0 } ?? " (" + routing.sender.address + ")") + ". Đề nghị không trả lời thư này"
            + (routing.contact.map { "; cần hỏi, xin liên hệ: " + $0 + ($0.hasSuffix(".") ? "" : ".") } ?? ".")
        let subject: String
        let text: String
        let html: String
        var headers: [(String, String)] = []
        if job.isDigest {
            let period = job.items[0].digestPeriod ?? .day
            // Titled by the day it is for (its key's slot), not the day it goes out: Friday's digest held by a relay
            // down over the weekend is not a second «Nhắc việc ngày 14/12» on Monday, and says it is late.
            let sentOn = first.zone.date(of: now)
            let slot = job.items[0].digest.flatMap(FanOut.digestDay) ?? sentOn
            subject = digestSubject(items, period: period, zone: first.zone, day: slot)
            // The digest lists what was routed to it today; what is open besides (sent on its own, or notified on an
            // earlier day and never repeated) is on the group's agenda page.
            let group = MessageComposer.oneGroup(items)
            (text, html) = DigestLayout(
                items: items, greeting: greeting, heading: subject, footer: footer,
                agenda: linked ? group.flatMap { g in routing.agenda(of: g).map { (g, $0) } } : nil,
                agendaOfAll: linked && group == nil ? routing.agendaOfAll : nil, urgent: routing.quietHours.urgent,
                late: slot < sentOn
                    ? "Thư này lẽ ra gửi ngày \(slot.vietnamese), gửi muộn ngày \(sentOn.vietnamese); số ngày còn lại và quá hạn tính đến ngày gửi."
                    : nil
            ).render()
            headers.append(("X-Tiendo-Digest", String(items.count)))
        } else {
            // Sent to the person the record is about (reached through its own field): neither their name nor the case's
            // code; to someone else (a secretary, the office, even one of the same name): the person's name, or the code
            // when the name is not known.
            var about = first
            let personal = reachesThePerson(job)
            if personal {
                about.label = nil
                about.showsCode = false
            }
            subject = noticeSubject(about)
            (text, html) = noticeBody(
                first, subject: subject, greeting: greeting, footer: footer, sentOn: first.zone.date(of: now), personal: personal)
            headers += [("X-Tiendo-Kind", first.notice.kind), ("X-Tiendo-Workflow", first.notice.workflow)]
            if let i = first.notice.instance { headers.append(("X-Tiendo-Instance", i)) }
            // RFC 2156 / the usual client headers: mail clients show an urgent notice flagged.
            if first.isUrgent(routing.quietHours.urgent) { headers += [("Importance", "high"), ("X-Priority", "1")] }
        }
        return MailMessage(
            from: routing.sender, to: to, subject: subject, date: now, zone: first.zone, messageID: id,
            extraHeaders: headers, text: text, html: html)
    }

    /// «Kính gửi đồng chí Phạm Thị Dung,» to a person; «Kính gửi Văn phòng Đảng ủy,» to an office or a body, whose
    /// name begins with what it is (a fixed address is often an office's).
    static func greeting(_ name: String) -> String {
        // Whole words of bodies only: «Đoàn», «Hồ» and the like are surnames too.
        let bodies = [
            "Văn phòng", "Ban ", "Đảng ủy", "Đảng bộ", "Chi bộ", "Chi ủy", "UBND", "Ủy ban", "Thường trực", "Bộ phận", "Phòng ",
            "Tổ ", "Hội đồng", "Mặt trận", "Công an", "Hội Cựu chiến binh", "Hội Liên hiệp", "Hội Nông dân",
            "Hội Người cao tuổi", "Hội Chữ thập đỏ", "Đoàn Thanh niên", "Đoàn thanh niên", "Đoàn kiểm tra", "Đoàn giám sát",
            "Đoàn công tác",
        ]
        let composed = FieldDefinition.composed(name)
        return bodies.contains { composed.hasPrefix($0) } ? "Kính gửi \(composed)," : "Kính gửi đồng chí \(composed),"
    }

    /// `còn 3 ngày`, `đến hạn hôm nay`, `quá hạn 2 ngày`; an overdue notice on its due day (a due at an hour, 17:00
    /// passed) `đã quá giờ hạn chót hôm nay`, not «đến hạn hôm nay» under a subject that says it is overdue.
    static func daysText(_ days: Int, overdue: Bool = false) -> String {
        if days == 0 && overdue { return "đã quá giờ hạn chót hôm nay" }
        return days > 0 ? "còn \(days) ngày" : days == 0 ? "đến hạn hôm nay" : "quá hạn \(-days) ngày"
    }

    /// What happened first, then whose, then to what: `Còn 7 ngày – Nguyễn Văn An: «…», hạn chót 10/12/2025`. A phone
    /// shows the first forty characters or so: the state of the matter and the person come before a long title.
    /// Without a name, the case's code after the title (`«…» (nhac-viec/k1)`); to the person, neither. An urgent
    /// notice begins with `[Khẩn]`.
    func noticeSubject(_ i: Item) -> String {
        let n = i.notice
        let who = i.label.map { " – \($0)" } ?? ""
        // An occurrence by its period: «Họp chi bộ thường lệ» kỳ 11/2026 (the monthly notices differ only there), unless
        // the title is the engine's, which says it (the workflow not loaded here).
        let period = n.occurrence.map { " kỳ " + Messages.period($0, due: n.due) }.flatMap { i.title.hasSuffix($0) ? nil : $0 } ?? ""
        let what = "«\(i.title)»\(period)\(i.code)"
        let due = i.dueText.map { ", hạn chót \($0)" } ?? ""
        let urgent = i.isUrgent(routing.quietHours.urgent) ? "[Khẩn] " : ""
        let workflow = "«\(i.workflowTitle)»\(i.code)"
        switch (n.kind, i.days) {
        case ("reminder", let d?) where d > 0: return "\(urgent)Còn \(d) ngày\(who): \(what)\(due)"
        case ("reminder", let d?) where d == 0: return "\(urgent)Hôm nay đến hạn\(who): \(what)\(due)"
        case ("reminder", _), ("overdue", nil): return "\(urgent)Đã quá hạn\(who): \(what)\(due)"
        case ("overdue", let d?) where d < 0: return "\(urgent)Quá hạn \(-d) ngày\(who): \(what)\(due)"
        case ("overdue", _): return "\(urgent)Đã quá hạn chót\(who): \(what)\(due)"
        // The other kinds: what happened, whose, and to what; not the engine's sentence, which repeated the kind
        // («Đã hoàn thành: Đã hoàn thành «…»») and left out the person's name. The body has the sentence.
        case ("started", _): return "Hồ sơ mới\(who): \(workflow)"
        case ("completed", _): return "Hoàn tất hồ sơ\(who): \(workflow)"
        case ("milestone-done", _): return "Đã hoàn thành\(who): \(what)"
        case ("rescheduled", _): return "Đổi hạn\(who): \(what)" + (i.dueText.map { ", hạn mới \($0)" } ?? "")
        case ("transition", _): return "Chuyển trạng thái\(who): \(workflow)" + (i.stateTitle.map { " sang «\($0)»" } ?? "")
        case ("rejected", _): return "Thao tác không thực hiện được\(who): \(workflow)"
        // A milestone's completion undone: the milestone is open again (the state did not move).
        case ("undone", _) where n.milestone != nil: return "Hoàn tác bước ghi nhầm\(who): \(what) trở lại chưa xong"
        case ("undone", _): return "Hoàn tác bước ghi nhầm\(who): \(workflow)" + (i.stateTitle.map { ", trở lại «\($0)»" } ?? "")
        default: return "Thông báo\(who): \(workflow)"
        }
    }

    /// The lines under the record's sentence: how urgent, what, which case, which unit, when due, how long left (as
    /// of the day it is sent, which a held or late message says), when it happened and, written on a later day,
    /// when tiendod wrote it.
    func details(_ i: Item, sentOn: CivilDate, personal: Bool) -> [(String, String)] {
        var rows: [(String, String)] = []
        if i.isUrgent(routing.quietHours.urgent) { rows.append(("Mức độ", "khẩn")) }
        rows.append(("Quy trình", i.workflowTitle))
        // The person's own case by its code alone, to quote when asking about it.
        if let inst = i.notice.instance {
            rows.append(personal ? ("Mã hồ sơ", inst) : ("Hồ sơ", i.label.map { "\($0) (\(inst))" } ?? inst))
        }
        if let g = i.notice.group { rows.append(("Đơn vị", g)) }
        if let o = i.notice.occurrence { rows.append(("Kỳ", Messages.period(o, due: i.notice.due))) }
        // A due with its weekday, which people plan by («thứ Sáu, 05/12/2025», «thứ Ba, 17:00 ngày 27/01/2026»).
        func weekday(_ n: Notice) -> String { n.dueDate(zone: i.zone).map { $0.weekdayInSentence + ", " } ?? "" }
        if let prev = i.notice.previousDue.flatMap({ p -> String? in
            var n = i.notice
            n.due = p
            return n.dueText(zone: i.zone).map { weekday(n) + $0 }
        }) {
            rows.append(("Hạn cũ", prev))
        }
        if let due = i.dueText { rows.append((i.notice.previousDue != nil ? "Hạn mới" : "Hạn chót", weekday(i.notice) + due)) }
        let noticeDay = i.zone.date(of: i.notice.at)
        // A new due (`rescheduled`) says it too: moved to a day already past, the case is still overdue.
        if let d = i.days, i.notice.isDeadlineNotice || i.notice.kind == "rescheduled" {
            // Counted at sending: beside a sentence of an earlier day («Còn 7 ngày»), it says which day it counts to.
            rows.append(
                (
                    sentOn > noticeDay ? "Tình trạng (tính đến ngày gửi thư)" : "Tình trạng",
                    MessageComposer.daysText(d, overdue: i.notice.kind == "overdue")
                ))
        }
        // `missed`: the periods open past their deadline, this one included (format §10 rule 8); the earlier ones are
        // not named by the record, so the count says what it counts.
        if let m = i.notice.missed, m > 1 {
            rows.append(("Số kỳ quá hạn chưa hoàn thành", "\(m) (kể cả kỳ này)"))
        }
        rows.append(("Thời điểm thông báo", MessageComposer.when(i.notice.at, i.zone)))
        // Written on a later day than its time (a case entered after its dates, a catch-up after downtime): when, so
        // that «ngày 09/10/2026» in a message of 30/11 is not read as a notice lost for seven weeks.
        if let written = i.notice.late.map({ i.notice.at.adding(seconds: Int64($0)) }), i.zone.date(of: written) > noticeDay {
            rows.append(("Hệ thống ghi nhận lúc", i.zone.vietnamese(written)))
        }
        if let page = i.page { rows.append((MessageComposer.pageRow, page)) }
        return rows
    }

    /// `08:00 ngày 03/12/2025`; `ngày 09/10/2026` for midnight, the instant of a step taken on a date (a timed
    /// transition `after` a date), which has no hour of its own.
    static func when(_ t: Instant, _ zone: Zone) -> String {
        let (date, second) = zone.local(t)
        return second == 0 ? "ngày \(date.vietnamese)" : zone.vietnamese(t)
    }

    /// The detail row with the record's page on tiendo-web (`Routing.web`), a link in the HTML part.
    static let pageRow = "Xem hồ sơ"

    /// What «(dự kiến)» beside a date means, under a message that shows one.
    static let provisionalNote =
        "«(dự kiến)»: hạn được tính theo lịch nghỉ lễ, Tết dự kiến của một năm chưa có lịch chính thức; có thể thay đổi khi lịch được công bố."

    /// The head of the HTML parts: a phone's mail client lays the text out at its own width.
    static func htmlHead(_ title: String) -> String {
        "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
            + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" + MIME.escapeHTML(title)
            // A long link or name breaks where it must instead of widening a phone's page (inline: some clients
            // drop <style>).
            + "</title></head>\n<body style=\"font-family: Arial, Helvetica, sans-serif; overflow-wrap: anywhere; word-break: break-word\">\n"
    }

    /// The one group every item of a digest has (none when an item has none: an office's digest of several kinds).
    static func oneGroup(_ items: [Item]) -> String? {
        guard let g = items.first?.notice.group, items.allSatisfy({ $0.notice.group == g }) else { return nil }
        return g
    }

    /// Whether the job goes to the person its record is about: a recipient reached through a field of the record (the
    /// member's own address), not one of the route's fixed addresses or the rows of its lists.
    func reachesThePerson(_ job: DeliveryJob) -> Bool {
        guard let (to, route) = recipientAndRoute(job),
            route.to.contains(where: { if case .field = $0 { return true } else { return false } })
        else { return false }
        return !isAccountHolder(to, route)
    }

    /// The job's recipient and the route it came by.
    func recipientAndRoute(_ job: DeliveryJob) -> (Mailbox, Route)? {
        guard let to = job.recipient, let name = job.items.first?.route, let route = routing.routes.first(where: { $0.name == name })
        else { return nil }
        return (to, route)
    }

    /// A route's fixed address or a row of one of its lists: the office and the chi bộ secretaries.
    func isAccountHolder(_ to: Mailbox, _ route: Route) -> Bool {
        let address = to.address.lowercased()
        return route.to.contains { r in
            switch r {
            case .address(let m): return m.address.lowercased() == address
            case .list(let list):
                return routing.lists[list]?.byGroup.values.contains { $0.contains { $0.address.lowercased() == address } } == true
            case .field: return false
            }
        }
    }

    /// Whether the job's recipient can open tiendo-web's pages: the office and the chi bộ secretaries (a route's fixed
    /// addresses, the rows of its lists), who have accounts. A member reached through a field of the record has none,
    /// and the web is often on the office's network only: a link would lead to a sign-in page they cannot pass.
    func opensPages(_ job: DeliveryJob) -> Bool {
        guard routing.web != nil, let (to, route) = recipientAndRoute(job) else { return false }
        return isAccountHolder(to, route)
    }

    /// The record's sentence heads the body as the engine wrote it at the notice's time; a message sent on a later
    /// day (a catch-up, a relay down overnight) says which day that sentence is of, so that «Quá hạn 15 ngày» of
    /// 25/11 does not contradict the subject's «Quá hạn 21 ngày» counted at sending.
    func noticeBody(_ i: Item, subject: String, greeting: String, footer: String, sentOn: CivilDate, personal: Bool)
        -> (String, String)
    {
        let rows = details(i, sentOn: sentOn, personal: personal)
        let noticeDay = i.zone.date(of: i.notice.at)
        let sentence = MessageComposer.naming(i.notice.message, instance: i.notice.instance, label: i.label, personal: personal)
        let headline = sentOn > noticeDay ? "Thông báo ngày \(noticeDay.vietnamese): \(sentence)" : sentence
        let note = i.notice.provisional ? MessageComposer.provisionalNote : nil
        var text = greeting + "\n\n" + headline + "\n\n"
        for (k, v) in rows { text += k + ": " + v + "\n" }
        if let g = i.guidance { text += "\nHướng dẫn: " + g + "\n" }
        if let note { text += "\n" + note + "\n" }
        text += "\n-- \n" + footer + "\n"
        var html = MessageComposer.htmlHead(subject) + "<p>" + MIME.escapeHTML(greeting) + "</p>\n"
        html += "<p><strong>" + MIME.escapeHTML(headline) + "</strong></p>\n<table>\n"
        for (k, v) in rows {
            // The link by what it opens: a long address breaks mid-word on a phone.
            let cell = k == MessageComposer.pageRow ? "<a href=\"\(MIME.escapeHTML(v))\">Mở trang hồ sơ</a>" : MIME.escapeHTML(v)
            html +=
                "<tr><th align=\"left\" valign=\"top\">\(MIME.escapeHTML(k))</th><td valign=\"top\" style=\"overflow-wrap: anywhere; word-break: break-word\">\(cell)</td></tr>\n"
        }
        html += "</table>\n"
        if let g = i.guidance { html += "<p><strong>Hướng dẫn:</strong> " + MIME.escapeHTML(g) + "</p>\n" }
        if let note { html += "<p><small>" + MIME.escapeHTML(note) + "</small></p>\n" }
        html += "<p><small>" + MIME.escapeHTML(footer) + "</small></p>\n</body></html>\n"
        return (text, html)
    }

    /// The engine's sentence names the case by its code, for the journal («Còn 7 ngày đến hạn «…» (nhac-viec/dv03),
    /// …», «Bắt đầu hồ sơ nhac-viec/dv03 theo quy trình …»); an e-mail names the person instead: to someone else by
    /// the name, when it is known («(hồ sơ của Nguyễn Văn An)», «hồ sơ của Nguyễn Văn An»); to the person themself, not
    /// at all («hồ sơ của đồng chí»). The code stays in the table below, for asking about it.
    public static func naming(_ message: String, instance: String?, label: String?, personal: Bool) -> String {
        guard let code = instance, message.contains(code) else { return message }
        let (bracketed, owner): (String, String)
        if personal {
            (bracketed, owner) = ("", "của đồng chí")
        } else if let label {
            // «(hồ sơ của X)», not «(X)»: after «ghi lúc 09:00…» a bare name reads as who recorded the step.
            (bracketed, owner) = (" (hồ sơ của \(label))", "của \(label)")
        } else {
            return message
        }
        return message.replacingOccurrences(of: " (\(code))", with: bracketed)
            .replacingOccurrences(of: "Hồ sơ \(code)", with: "Hồ sơ \(owner)")
            .replacingOccurrences(of: "hồ sơ \(code)", with: "hồ sơ \(owner)")
    }

    /// `Nhắc việc ngày 05/12/2025 – Chi bộ 3`, `Nhắc việc tuần 01/12–07/12/2025 – Chi bộ 3`: a digest lists what is
    /// overdue and what falls due in the coming days, not only the day's work. Urgent notices in it put `[Khẩn]` first.
    func digestSubject(_ items: [Item], period: DigestSchedule.Period, zone: Zone, day today: CivilDate) -> String {
        let whose = MessageComposer.oneGroup(items).map { " – " + $0 } ?? ""
        let urgent = items.contains { $0.isUrgent(routing.quietHours.urgent) } ? "[Khẩn] " : ""
        switch period {
        case .day: return "\(urgent)Nhắc việc ngày \(today.vietnamese)\(whose)"
        case .week:
            let monday = today.adding(days: 1 - today.weekday)
            let sunday = monday.adding(days: 6)
            let from = monday.vietnamese.prefix(monday.year == sunday.year ? 5 : 10)
            return "\(urgent)Nhắc việc tuần \(from)–\(sunday.vietnamese)\(whose)"
        }
    }
}
