import TiendoVarlink

/// The lists to print for a chi bộ meeting (`?in=1`): no navigation, a heading that says what and as of when, the
/// table, and places to sign. The print stylesheet lays it out on A4.
enum PrintList {
    static func frame(title: String, subtitle: String, asOf: String, table: HTML, count: String) -> HTML {
        Layout.document(
            title: title,
            body: """
                <main class="print">
                <p class="no-print toolbar"><button type="button" data-print class="primary">In</button> <a href="/" data-back>← Quay lại</a></p>
                <p class="small">ĐẢNG BỘ PHƯỜNG · Tiến độ công tác Đảng</p>
                <h1>\(title)</h1>
                <p class="small">\(subtitle). Tính đến \(Format.date(asOf)). \(count)</p>
                \(table)
                <div class="signatures"><div><b>Người lập danh sách</b><div class="space"></div><span class="muted">(Ký, ghi rõ họ tên)</span></div>
                <div><b>T/M Chi ủy</b><div class="space"></div><span class="muted">(Ký, ghi rõ họ tên)</span></div></div>
                </main>
                """)
    }

    static func agenda(_ data: AgendaPage.Data) -> HTML {
        let c = data.reply.counts
        let shown = data.reply.items.count
        let note = shown < c.total ? " (in \(Format.count(shown)) việc đầu)" : ""
        return frame(
            title: "DANH SÁCH VIỆC CẦN LÀM", subtitle: data.filters.summary(data.catalog), asOf: data.reply.now,
            table: DueTable.table(data.reply.items, catalog: data.catalog),
            count: "Quá hạn: \(Format.count(c.overdue)); hôm nay: \(Format.count(c.today)); tổng: \(Format.count(c.total)) việc\(note).")
    }

    static func records(_ data: RecordsPage.Data) -> HTML {
        let total = data.reply.total.map { "Tổng: \(Format.count($0)) hồ sơ" } ?? "\(Format.count(data.reply.instances.count)) hồ sơ"
        let note = data.reply.next != nil ? " (in \(Format.count(data.reply.instances.count)) hồ sơ đầu)" : ""
        return frame(
            title: "DANH SÁCH HỒ SƠ", subtitle: data.filters.summary(data.catalog), asOf: data.reply.now,
            table: RecordsPage.table(data, printing: true), count: total + note + ".")
    }
}
