import TiendoCore
import TiendoVarlink

/// The lists to print for a chi bộ meeting (`?in=1`): no navigation, the heading of a Party document, a title that
/// says what and as of when, the table, and places to sign. The print stylesheet lays it out on A4.
enum PrintList {
    /// The head of a Party document (Hướng dẫn 36-HD/VPTW, thể thức văn bản của Đảng): on the left the organisation
    /// above it and the chi bộ the list is of, in capitals, then «*»; on the right «ĐẢNG CỘNG SẢN VIỆT NAM» and
    /// the place and date, «Tây Hồ, ngày 02 tháng 3 năm 2026» (day and the months 1 and 2 with a leading zero).
    static func letterhead(organisation: String?, group: String?, place: String?, today: CivilDate) -> HTML {
        var left: [HTML] = []
        if let organisation { left.append(group == nil ? "<b>\(organisation.uppercased())</b>" : "\(organisation.uppercased())") }
        if let group { left.append("<b>\(group.uppercased())</b>") }
        let month = today.month <= 2 ? Format.pad2(today.month) : String(today.month)
        let date = "ngày \(Format.pad2(today.day)) tháng \(month) năm \(today.year)"
        let dateLine = place.map { "\($0), \(date)" } ?? date.prefix(1).uppercased() + date.dropFirst()
        return """
            <div class="letterhead"><div class="issuer">\(HTML.join(left, separator: "<br>"))\(left.isEmpty ? HTML.empty : "<br>*")</div>
            <div class="nation"><b>ĐẢNG CỘNG SẢN VIỆT NAM</b><br><i>\(dateLine)</i></div></div>
            """
    }

    /// `group`: the chi bộ the list is of, signed for by its chi ủy; nil for a list of the whole đảng bộ, signed for by
    /// the đảng ủy.
    /// `cut`: the list is longer than a print view holds, said on the screen before «In» (a district's list without a
    /// chi bộ chosen printed 126 A4 pages of its first 1,000 items, said only in the small subtitle).
    static func frame(
        title: String, subtitle: String, asOf: String, table: HTML, count: String, letterhead: HTML, group: String?, cut: String? = nil
    ) -> HTML {
        let signer: HTML = group == nil ? "<b>T/M ĐẢNG ỦY</b><br><b>BÍ THƯ</b>" : "<b>T/M CHI ỦY</b><br><b>BÍ THƯ</b>"
        return Layout.document(
            title: title,
            body: """
                <main class="print">
                \(cut.map { "<p class=\"no-print flash bad\" role=\"status\">\($0)</p>" as HTML } ?? .empty)
                <p class="no-print toolbar"><button type="button" data-print class="primary">In</button> <a href="/" data-back>← Quay lại</a></p>
                \(letterhead)
                <h1>\(title)</h1>
                <p class="small">\(subtitle). Tính đến \(Format.date(asOf)). \(count)</p>
                \(table)
                <div class="signatures"><div><b>NGƯỜI LẬP DANH SÁCH</b><br>&nbsp;<div class="space"></div><span class="muted">(Ký, ghi rõ họ tên)</span></div>
                <div>\(signer)<div class="space"></div><span class="muted">(Ký, ghi rõ họ tên)</span></div></div>
                </main>
                """)
    }

    /// A printed list's first column, «STT»: each row's number from 1, by which a meeting refers to a row.
    static let rowNumberHead: HTML = "<th class=\"stt\">STT</th>"

    static func rowNumber(_ index: Int) -> HTML { "<td class=\"stt\">\(index + 1)</td>" }

    static func letterhead(_ configuration: WebConfiguration, group: String?, _ catalog: Catalog) -> HTML {
        letterhead(organisation: configuration.organisation, group: group, place: configuration.place, today: catalog.today)
    }

    /// The chi bộ a list is of: the one chosen, or the only one an account of one chi bộ sees.
    static func group(_ filters: Filters, _ account: Account) -> String? {
        filters.group ?? (account.groups.count == 1 ? account.groups[0] : nil)
    }

    /// `group` when it is a chi bộ, whose list is headed under the organisation and signed for by its chi ủy: its name
    /// says so («Chi bộ Khu dân cư số 3»), or the workflow chosen groups by a field titled so («Chi bộ»: a name
    /// written shorter). A workflow may group by another body — the upper level a report goes to («Thành ủy Hà Nội»),
    /// an office («Ủy ban nhân dân phường»), the đảng bộ itself — and a list of those is the đảng ủy's, its group named
    /// in the subtitle (`Filters.conditions`), not printed as a Party organisation.
    static func chiBo(_ group: String?, _ filters: Filters, _ catalog: Catalog) -> String? {
        guard let group else { return nil }
        let byField = filters.workflow.map { Filters.namesChiBo(catalog.groupTitle(of: [$0])) } ?? false
        return Filters.namesChiBo(group) || byField ? group : nil
    }

    static func agenda(_ data: AgendaPage.Data, _ configuration: WebConfiguration, account: Account) -> HTML {
        let group = group(data.filters, account)
        let signer = chiBo(group, data.filters, data.catalog)
        let c = data.reply.counts
        let shown = data.reply.items.count
        let note = shown < c.total ? " (in \(Format.count(shown)) việc đầu)" : ""
        // What the list covers, in its head: the days' span, or every overdue item and those due up to a day; then
        // the filters in force, if any.
        let f = data.filters
        let filtered = f.conditions(data.catalog)
        let covers: String
        if let from = f.from {
            let until = f.until ?? from
            covers =
                until == from ? "Các việc có hạn ngày \(from.vietnamese)" : "Các việc có hạn từ \(from.vietnamese) đến \(until.vietnamese)"
        } else {
            covers = "Các việc quá hạn và các việc đến hạn từ nay đến hết ngày \(data.catalog.today.adding(days: f.days).vietnamese)"
        }
        return frame(
            title: "DANH SÁCH VIỆC CẦN LÀM", subtitle: covers + (filtered.isEmpty ? "" : ". " + filtered.joined(separator: "; ")),
            asOf: data.reply.now,
            table: DueTable.table(data.reply.items, catalog: data.catalog, showGroup: group == nil, numbered: true),
            count: "Quá hạn: \(Format.count(c.overdue)); hôm nay: \(Format.count(c.today)); tổng: \(Format.count(c.total)) việc\(note).",
            letterhead: letterhead(configuration, group: signer, data.catalog), group: signer,
            cut: shown < c.total ? PrintList.cut(shown: shown, of: c.total, noun: "việc") : nil)
    }

    static func records(_ data: RecordsPage.Data, _ configuration: WebConfiguration, account: Account) -> HTML {
        let group = group(data.filters, account)
        let signer = chiBo(group, data.filters, data.catalog)
        let total = data.reply.total.map { "Tổng: \(Format.count($0)) hồ sơ" } ?? "\(Format.count(data.reply.instances.count)) hồ sơ"
        let note = data.reply.next != nil ? " (in \(Format.count(data.reply.instances.count)) hồ sơ đầu)" : ""
        return frame(
            title: "DANH SÁCH HỒ SƠ", subtitle: data.filters.summary(data.catalog), asOf: data.reply.now,
            table: RecordsPage.table(data, printing: true, showGroup: group == nil), count: total + note + ".",
            letterhead: letterhead(configuration, group: signer, data.catalog), group: signer,
            cut: data.reply.next != nil
                ? PrintList.cut(shown: data.reply.instances.count, of: data.reply.total, noun: "hồ sơ") : nil)
    }

    /// What a print view cut short says before «In».
    static func cut(shown: Int, of total: Int?, noun: String) -> String {
        let of = total.map { " trên \(Format.count($0))" } ?? ""
        return "Bản in này chỉ gồm \(Format.count(shown)) \(noun)\(of), hàng chục trang A4 mà vẫn thiếu. "
            + "Để in đủ, hãy quay lại chọn một chi bộ (hoặc một quy trình) rồi bấm «In danh sách» lần nữa."
    }
}
