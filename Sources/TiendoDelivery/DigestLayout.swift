import TiendoCore

/// A digest's text and HTML: overdue items first, then those due today, then those coming due, then other news; in each section the
/// items grouped by workflow, earliest due first.
struct DigestLayout {
    let items: [MessageComposer.Item]
    let greeting: String
    let heading: String
    let footer: String
    /// The group all items share and its agenda page on tiendo-web, for a recipient who can open it.
    var agenda: (group: String, page: String)? = nil
    /// For items of several groups (no `agenda`): the agenda of every group, linked when a section lists fewer items
    /// than it has.
    var agendaOfAll: String? = nil
    /// `quiet_hours.urgent`: items at least this urgent are marked.
    var urgent = 2
    /// Under the heading of a digest sent after its day: which day it is for, and that counts are to the sending day.
    var late: String? = nil
    /// The items listed at most: past it a section says how many it leaves out. A ward office's daily digest of
    /// every chi bộ's overdue items ran to 300 items and 117 KB of HTML, past what Gmail shows before «[Message
    /// clipped]», which hid the rest of the list and the footer's contact line (mail audit, 07/12/2026).
    static let maxListed = 200

    struct Section {
        var title: String
        /// What the summary line calls the section's items: «việc quá hạn».
        var noun: String
        /// Workflow title → lines, each with its record's page on tiendo-web when known.
        var groups: [(String, [(line: String, page: String?)])]
        var count: Int
    }

    func sections() -> [Section] {
        // By the days left counted at sending, as each line says them: a reminder of a deadline that falls today is
        // not «sắp» (a secretary reads that section as work for later days), one sent after its deadline is overdue.
        func days(_ i: MessageComposer.Item) -> Int? { i.notice.kind == "reminder" ? i.days : nil }
        let parts: [(String, String, (MessageComposer.Item) -> Bool)] = [
            ("Quá hạn", "việc quá hạn", { $0.notice.kind == "overdue" || days($0).map { $0 < 0 } == true }),
            ("Đến hạn hôm nay", "việc đến hạn hôm nay", { days($0) == 0 }),
            ("Sắp đến hạn", "việc sắp đến hạn", { $0.notice.kind == "reminder" && days($0).map { $0 > 0 } ?? true }),
            ("Thông báo khác", "thông báo khác", { $0.notice.kind != "overdue" && $0.notice.kind != "reminder" }),
        ]
        // Items of more than one group (an office's digest of every chi bộ): each line names its chi bộ, or the
        // office would open every record to know whom to ask.
        let mixed = Set(items.map(\.notice.group)).count > 1
        var out: [Section] = []
        for (title, noun, belongs) in parts {
            let mine = items.filter(belongs).sorted {
                ($0.days ?? Int.max, $0.notice.instance ?? "", $0.notice.at) < ($1.days ?? Int.max, $1.notice.instance ?? "", $1.notice.at)
            }
            guard !mine.isEmpty else { continue }
            var order: [String] = []
            var lines: [String: [(line: String, page: String?)]] = [:]
            for i in mine {
                if lines[i.workflowTitle] == nil { order.append(i.workflowTitle) }
                lines[i.workflowTitle, default: []].append((line(i, naming: mixed ? i.notice.group : nil), i.page))
            }
            out.append(Section(title: title, noun: noun, groups: order.map { ($0, lines[$0]!) }, count: mine.count))
        }
        return out
    }

    /// `«Nộp bản đăng ký» (thi-dua/chi-bo-3), hạn chót 05/12/2025, còn 3 ngày`; with the instance's name first when it
    /// has one, which is what the secretary reading a digest of many people looks for: `Nguyễn Văn An: «Nộp bản kiểm
    /// điểm cá nhân cuối năm», hạn chót …`.
    /// `unit`: the chi bộ, named after the person (or the record).
    func line(_ i: MessageComposer.Item, naming unit: String? = nil) -> String {
        let n = i.notice
        // The person's name in place of the case's code, as a single notice's body says it (nothing added when the
        // sentence names no code: the name after it).
        guard n.isDeadlineNotice else {
            let named = MessageComposer.naming(n.message, instance: n.instance, label: i.label, personal: false)
            return (named != n.message ? named : n.message + i.named) + (unit.map { " (\($0))" } ?? "")
        }
        // The person first: a secretary scans a digest of many people for a name.
        var s =
            (i.isUrgent(urgent) ? "[Khẩn] " : "") + (i.label.map { "\($0)\(unit.map { " (\($0))" } ?? ""): " } ?? "") + "«\(i.title)»"
            + i.code + (i.label == nil ? unit.map { ", \($0)" } ?? "" : "")
        if let o = n.occurrence { s += ", kỳ \(Messages.period(o, due: n.due))" }
        if let due = i.dueText { s += ", hạn chót \(due)" }
        if let d = i.days { s += ", " + MessageComposer.daysText(d, overdue: n.kind == "overdue") }
        return s
    }

    func render() -> (text: String, html: String) {
        let sections = sections()
        let summary = DigestLayout.summary(sections)
        var text = greeting + "\n\n" + heading + "\n" + (late.map { $0 + "\n" } ?? "") + summary + "\n"
        var html =
            MessageComposer.htmlHead(heading) + "<p>" + MIME.escapeHTML(greeting) + "</p>\n<h2>" + MIME.escapeHTML(heading)
            + "</h2>\n" + (late.map { "<p>" + MIME.escapeHTML($0) + "</p>\n" } ?? "") + "<p>" + MIME.escapeHTML(summary) + "</p>\n"
        if let (group, page) = agenda {
            // The page is also where the items done are ticked and recorded together (tiendo-web's agenda).
            let more =
                "Các việc quá hạn và đến hạn trong 30 ngày tới của \(group), kể cả những việc đã báo riêng hoặc đã báo trong thư những ngày trước "
                + "(các mốc đã làm xong như đóng đảng phí, họp chi bộ, nộp báo cáo thì tích chọn và đánh dấu đã xong ngay trên trang này, "
                + "nhiều việc một lần):"
            text += more + "\n" + page + "\n"
            html += "<p>" + MIME.escapeHTML(more) + " <a href=\"\(MIME.escapeHTML(page))\">Mở trang việc cần làm</a></p>\n"
        }
        var room = DigestLayout.maxListed
        for s in sections {
            text += "\n\(s.title.uppercased()) (\(s.count))\n"
            html += "<h3>\(MIME.escapeHTML(s.title)) (\(s.count))</h3>\n"
            var left = s.count
            for (workflow, lines) in s.groups where room > 0 {
                text += "  \(workflow)\n"
                html += "<p><em>\(MIME.escapeHTML(workflow))</em></p>\n<ul>\n"
                for (l, page) in lines.prefix(room) {
                    text += "  - \(l)\n" + (page.map { "    \($0)\n" } ?? "")
                    html +=
                        "<li>\(MIME.escapeHTML(l))" + (page.map { " <a href=\"\(MIME.escapeHTML($0))\">Xem hồ sơ</a>" } ?? "") + "</li>\n"
                    room -= 1
                    left -= 1
                }
                html += "</ul>\n"
            }
            if left > 0 {
                let more =
                    "… và \(left) việc nữa của mục này không liệt kê trong thư (mỗi thư liệt kê tối đa \(DigestLayout.maxListed) việc)"
                if agenda != nil {
                    text += "  \(more); xem đủ trên trang việc cần làm ở trên.\n"
                    html += "<p>\(MIME.escapeHTML(more)); xem đủ trên trang việc cần làm ở trên.</p>\n"
                } else if let all = agendaOfAll {
                    text += "  \(more); xem đủ trên trang việc cần làm của các chi bộ:\n  \(all)\n"
                    html +=
                        "<p>\(MIME.escapeHTML(more)); <a href=\"\(MIME.escapeHTML(all))\">xem đủ trên trang việc cần làm của các chi bộ</a>.</p>\n"
                } else {
                    text += "  \(more).\n"
                    html += "<p>\(MIME.escapeHTML(more)).</p>\n"
                }
            }
        }
        if items.contains(where: \.notice.provisional) {
            text += "\n" + MessageComposer.provisionalNote + "\n"
            html += "<p><small>" + MIME.escapeHTML(MessageComposer.provisionalNote) + "</small></p>\n"
        }
        text += "\n-- \n" + footer + "\n"
        html += "<p><small>" + MIME.escapeHTML(footer) + "</small></p>\n</body></html>\n"
        return (text, html)
    }

    /// What this message lists, by section, without the empty ones: `Thư này nhắc 2 việc quá hạn và 1 việc sắp đến
    /// hạn.` It counts the notices in the message, not everything open in the chi bộ (a notice sent on its own, or
    /// one of an earlier day that does not repeat, is not here).
    static func summary(_ sections: [Section]) -> String {
        let parts = sections.map { "\($0.count) \($0.noun)" }
        let listed = parts.count > 1 ? parts.dropLast().joined(separator: ", ") + " và " + parts.last! : parts.first ?? "0 việc"
        return "Thư này nhắc \(listed)."
    }
}
