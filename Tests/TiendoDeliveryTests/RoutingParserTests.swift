import Foundation
import Testing
import TiendoCore

@testable import TiendoDelivery

@Suite struct RoutingParserTests {
    @Test("an upper-case scheme is a scheme; no route at all is said")
    func schemeCaseAndNoRoutes() throws {
        let upper = RoutingFixture.standard.replacingOccurrences(
            of: "url: https://cong.example.vn/hooks/tiendo", with: "url: HTTPS://cong.example.vn/hooks/tiendo")
        let (routing, found) = RoutingFixture.parse(upper)
        #expect(try #require(routing).channel("cong-tinh")?.url == "https://cong.example.vn/hooks/tiendo")
        #expect(!found.contains { $0.severity == .error }, "\(found)")
        let cut = RoutingFixture.standard.components(separatedBy: "\nroutes:")[0] + "\nroutes: []\n"
        let (_, none) = RoutingFixture.parse(cut)
        #expect(
            none.map(\.message).contains("'routes' is empty: no record is sent to anyone (add a route, or remove the routing file)"),
            "\(none)")
    }

    @Test("a file that cannot be read says why: missing, a directory, not this user's to read")
    func unreadableFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("routing-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir + "/bi-thu.csv", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/routing.yaml"
        #expect(RoutingParser.load(file: file, definitions: nil).1.map(\.message) == ["cannot read file: no such file"])
        try Data(RoutingFixture.standard.utf8).write(to: URL(fileURLWithPath: file))
        let listed = RoutingParser.load(file: file, definitions: Repo.definitions).1.map(\.message)
        #expect(listed.contains("cannot read recipient list 'bi-thu' \(dir)/bi-thu.csv: it is a directory"), "\(listed)")
        #expect(RoutingParser.load(file: dir, definitions: nil).1.map(\.message) == ["cannot read file: it is a directory"])
    }

    @Test func standardFileParses() throws {
        let (routing, diagnostics) = RoutingFixture.parse(RoutingFixture.standard)
        let r = try #require(routing)
        #expect(r.sender == Mailbox(name: "Văn phòng Đảng ủy phường Tây Hồ", address: "vanphong@tayho.example.vn"))
        #expect(r.messageHost == "tayho.example.vn")
        #expect(r.channelOrder == ["thu", "cong-tinh"])
        let smtp = try #require(r.channel("thu"))
        #expect(smtp.kind == .smtp && smtp.security == .starttls && smtp.port == 587)
        #expect(smtp.password == .credential("smtp-password"))
        #expect(smtp.rate == RateLimit(count: 30, seconds: 60, burst: 30))
        #expect(r.channel("cong-tinh")?.remoteHost == "cong.example.vn")
        #expect(r.quietHours == QuietHours(start: TimeOfDay(hour: 7, minute: 0), end: TimeOfDay(hour: 18, minute: 0), urgent: 2))
        #expect(r.routes.map(\.name) == ["dang-vien", "bi-thu", "tinh"])
        #expect(r.routes[0].to == [.field("email", nameField: "ho_ten")])
        #expect(r.routes[1].mode == .digest && r.routes[1].priority == 5)
        #expect(r.routes[2].workflows == nil && r.routes[2].to.isEmpty)
        // The list keeps one address per group (the duplicate differs only in case) and warns about it.
        #expect(r.lists["bi-thu"]?.byGroup["Chi bộ Khu dân cư số 5"]?.count == 1)
        #expect(
            diagnostics.map(\.description) == [
                "/etc/tiendo/workflows/delivery/routing.yaml:24:5: warning: route 'bi-thu' sends digests at 07:30, before the reminders of 'nhac-viec' at 08:00: each reminder reaches the next digest, a working day later; set digest.at later than 08:00",
                "/etc/tiendo/workflows/delivery/bi-thu.csv:4:1: warning: 'BITHU.kdc5@example.vn' is listed for 'Chi bộ Khu dân cư số 5' already (line 3); it gets one message",
            ])
    }

    /// One broken file per diagnostic: the message, and the line and column it points at.
    @Test(arguments: [
        ("channels:", "chanels:", 5, 1, "unknown key 'chanels' in the routing file (did you mean 'channels'?)"),
        (
            "    type: smtp", "    type: smpt", 7, 11,
            "unknown channel type 'smpt' in channel 'thu' (did you mean 'smtp'?); use smtp, sendmail or webhook"
        ),
        (
            "    workflows: [nhac-viec]\n    kinds: [reminder, overdue]\n    channel: thu\n    to: {field: email",
            "    workflows: [nhac-vec]\n    kinds: [reminder, overdue]\n    channel: thu\n    to: {field: email", 20, 17,
            "unknown workflow 'nhac-vec' in route 'dang-vien' (did you mean 'nhac-viec'?)"
        ),
        (
            "to: {field: email, name_field: ho_ten}", "to: {field: emial, name_field: ho_ten}", 23, 17,
            "'emial' in route 'dang-vien' is not a field of workflow 'nhac-viec' (did you mean 'email'?)"
        ),
        (
            "    priority: notice", "    priority: noticed", 27, 15,
            "'priority' of route 'bi-thu' must be a priority 0-7 or one of emerg, alert, crit, err, warning, notice, info, debug, found 'noticed' (did you mean 'notice'?)"
        ),
        ("to: [{list: bi-thu}", "to: [{list: bithu}", 30, 17, "unknown recipient list 'bithu' in route 'bi-thu' (did you mean 'bi-thu'?)"),
        (
            "    priority: notice", "    priority: notice\n    every: wek", 28, 12,
            "'every' of route 'bi-thu' must be day or week, found 'wek' (did you mean 'week'?)"
        ),
        (
            "    channel: thu\n    to: {field: email", "    channel: thu\n    every: week\n    to: {field: email", 23, 12,
            "route 'dang-vien': 'every' is a digest's; this route sends each record at once (add 'mode: digest')"
        ),
        (
            "    kinds: [overdue]", "    kinds: [overdue, remider]", 32, 22,
            "unknown record kind 'remider' in route 'tinh' (did you mean 'reminder'?)"
        ),
        (
            "    kinds: [overdue]", "    kinds: [overdue, transition]", 32, 22,
            "route 'tinh' sends 'transition' records but not 'undone': a step undone is not told to its recipients (add undone to its kinds)"
        ),
        (
            "    channel: cong-tinh", "    channel: cong-tinh\n    mode: digest", 35, 11,
            "route 'tinh': digests are emails; channel 'cong-tinh' is a webhook"
        ),
        (
            "    channel: cong-tinh", "    channel: cong-tinh\n    to: a@example.vn", 35, 9,
            "route 'tinh': a webhook route has no 'to' (the channel's url receives every record)"
        ),
        (
            "    host: smtp.example.vn", "    host: smtp.example.vn\n    security: none", 9, 15,
            "channel 'thu' would send its password without TLS: use security starttls or tls"
        ),
        (
            "    rate: 30/min", "    rate: 30/minute", 11, 11,
            "'rate' of channel 'thu' must be COUNT/UNIT such as 30/min (units s, min, h, d), found '30/minute'"
        ),
        (
            "quiet_hours: {send: \"07:00-18:00\"", "quiet_hours: {send: \"18:00-07:00\"", 3, 21,
            "'send' must be a window HH:MM-HH:MM with the start before the end, found '18:00-07:00'"
        ),
        ("digest: {at: \"07:30\"", "digest: {at: \"06:30\"", 4, 9, "digests at 06:30 fall outside the sending hours 07:00-18:00"),
        (
            "    url: https://cong.example.vn/hooks/tiendo", "    url: cong.example.vn", 14, 10,
            "'url' of channel 'cong-tinh' must be an http or https URL"
        ),
        (
            "    host: smtp.example.vn", "    host: smtp.example.vn\n    helo: \"x\\r\\nMAIL FROM:<a@b>\"", 9, 11,
            "'helo' of channel 'thu' must be a host name such as mail.tayho.example.vn, found 'x\\r\\nMAIL FROM:<a@b>'"
        ),
        (
            "    rate: 30/min", "    rate: 30/min\n    timeout: 1000d", 12, 14,
            "'timeout' of channel 'thu' must be between 1s and 10min, found '1000d'"
        ),
        (
            "    url: https://cong.example.vn/hooks/tiendo", "    url: https://cong.example.vn:99999/hooks/tiendo", 14, 10,
            "'url' of channel 'cong-tinh' has port 99999, which is not between 1 and 65535"
        ),
        (
            "    url: https://cong.example.vn/hooks/tiendo", "    url: https://hook:bi-mat@cong.example.vn/hooks/tiendo", 14, 10,
            "'url' of channel 'cong-tinh' must not carry a user name or password (it would be shown in every failure reason and log line); the channel signs its requests with 'secret_file' or 'secret_credential'"
        ),
        (
            "    url: https://cong.example.vn/hooks/tiendo", "    url: \"https://cong.example.vn/my hooks\"", 14, 10,
            "'url' of channel 'cong-tinh' contains a space; write it as %20 if the receiver's address has one"
        ),
        (
            "from: \"Văn phòng Đảng ủy phường Tây Hồ <vanphong@tayho.example.vn>\"", "from: \"Văn phòng <vanphong>\"", 2, 7,
            "'from': 'vanphong' is not an email address (ASCII local@domain)"
        ),
        ("  - name: tinh", "  - name: bi-thu", 31, 5, "duplicate route name 'bi-thu' (first at line 24)"),
        ("    username: vanphong\n", "", 7, 5, "channel 'thu' has a password but no 'username'"),
        (
            "quiet_hours:", "web: tiendo.example.vn\nquiet_hours:", 3, 6,
            "'web' must be tiendo-web's address as recipients reach it, such as https://tiendo.example.vn"
        ),
        (
            "quiet_hours:", "web: \"https://tiendo.example.vn/?a=1\"\nquiet_hours:", 3, 6,
            "'web' must be tiendo-web's address as recipients reach it, such as https://tiendo.example.vn"
        ),
        (
            "quiet_hours:", "web: \"javascript:alert(1)\"\nquiet_hours:", 3, 6,
            "'web' must be tiendo-web's address as recipients reach it, such as https://tiendo.example.vn"
        ),
        (
            "quiet_hours:", "contact: [Văn phòng]\nquiet_hours:", 3, 10,
            "'contact' must be one line of at most 200 characters saying whom to ask, such as 'Văn phòng Đảng ủy phường, 024 3823 4567'"
        ),
        (
            "quiet_hours:", "contact: \"Văn phòng\\nĐảng ủy\"\nquiet_hours:", 3, 10,
            "'contact' must be one line of at most 200 characters saying whom to ask, such as 'Văn phòng Đảng ủy phường, 024 3823 4567'"
        ),
    ])
    func brokenFile(original: String, replacement: String, line: Int, column: Int, message: String) throws {
        #expect(RoutingFixture.standard.contains(original))
        let text = RoutingFixture.standard.replacingOccurrences(of: original, with: replacement)
        let (routing, diagnostics) = RoutingFixture.parse(text)
        let d = try #require(diagnostics.first { $0.message == message }, "got \(diagnostics.map(\.description))")
        #expect(d.file == RoutingFixture.file)
        #expect(d.line == line && d.column == column, "\(d)")
        if d.severity == .error { #expect(routing == nil) }
    }

    @Test(
        "'web' refuses what could break out of a link or lead elsewhere",
        arguments: [
            #"https://evil.example/"><script>"#, "https:///x", "http://host:99999", "http://host:0", "https://tiếndo.vn",
            "https://h/#", "https://h/?", #"https://evil.example\tiendo.vn"#, "https://user:pw@h", "https://h/a b",
            "https://-h.vn", "ftp://h", "https://h:80:81",
        ])
    func webRefused(_ address: String) {
        #expect(RoutingParser.webAddress(address) == nil, "\(address)")
    }

    @Test("'web': tiendo-web's address, its trailing slash dropped; a record's page under it; none without it")
    func webAddress() throws {
        let text = RoutingFixture.standard.replacingOccurrences(
            of: "quiet_hours:", with: "web: https://tiendo.example.vn:8443/tayho/\nquiet_hours:")
        let (routing, diagnostics) = RoutingFixture.parse(text)
        #expect(!diagnostics.contains { $0.severity == .error || $0.message.contains("web") }, "\(diagnostics)")
        let r = try #require(routing)
        #expect(r.web == "https://tiendo.example.vn:8443/tayho")
        #expect(r.page(of: "nhac-viec/nguyen-van-an") == "https://tiendo.example.vn:8443/tayho/ho-so/nhac-viec/nguyen-van-an")
        #expect(r.page(of: nil) == nil && RoutingFixture.routing().page(of: "nhac-viec/a") == nil)
        #expect(RoutingParser.webAddress("HTTP://10.0.0.5:8080") == "HTTP://10.0.0.5:8080")
        #expect(RoutingParser.webAddress("https://xn--tindo-3va.vn/tay-ho/") == "https://xn--tindo-3va.vn/tay-ho")
    }

    /// The example of docs/delivery.md is checked against the shipped workflows.
    @Test func documentedExampleIsValid() {
        let definitions = Loader(searchPath: [Repo.path("Workflows")]).loadAll()
        let (routing, diagnostics) = RoutingParser.load(file: Repo.path("docs/delivery-example/routing.yaml"), definitions: definitions)
        #expect(diagnostics.map(\.description) == [])
        #expect(
            routing?.lists["bi-thu"]?.byGroup["Chi bộ Khu dân cư số 32"]?.map(\.address) == [
                "bithu.kdc32@tayho.example.vn", "phobithu.kdc32@tayho.example.vn",
            ])
        #expect(routing?.digest == DigestSchedule(at: TimeOfDay(hour: 8, minute: 30), every: .week))
        // The office's overdue notices in one message each working day; the secretaries' digests weekly.
        #expect(routing?.routes.first { $0.name == "van-phong-qua-han" }?.every == .day)
        #expect(routing?.routes.first { $0.name == "bi-thu-hang-tuan" }?.every == nil)
    }

    @Test func yamlErrorsKeepTheirPosition() {
        let (routing, diagnostics) = RoutingFixture.parse("tiendo: 1\nfrom: a@b.vn\nfrom: c@d.vn\n")
        #expect(routing == nil)
        #expect(diagnostics.first?.description == "\(RoutingFixture.file):3:1: error: duplicate key 'from' (first at line 2)")
    }

    /// A broken channel or list is reported once, not again at every route that uses it.
    @Test func brokenChannelIsReportedOnce() {
        let text = RoutingFixture.standard.replacingOccurrences(of: "    host: smtp.example.vn\n", with: "")
        let (_, diagnostics) = RoutingFixture.parse(text)
        #expect(diagnostics.filter { $0.severity == .error }.map(\.message) == ["missing required key 'host' in channel 'thu' (type smtp)"])
    }

    @Test func recipientCSVRowsAreReportedWithTheirLine() {
        let csv = "group,name,email\nChi bộ 1,A,a@example.vn\n,B,b@example.vn\nChi bộ 2,C,c(at)example.vn\nChi bộ 3,D,\n"
        let (routing, diagnostics) = RoutingFixture.parse(RoutingFixture.standard, csv: csv)
        #expect(routing == nil)
        #expect(
            diagnostics.map(\.description) == [
                "/etc/tiendo/workflows/delivery/bi-thu.csv:3:1: error: empty 'group'",
                "/etc/tiendo/workflows/delivery/bi-thu.csv:4:1: error: 'c(at)example.vn' is not an email address (ASCII local@domain)",
                "/etc/tiendo/workflows/delivery/bi-thu.csv:5:1: error: empty 'email'",
            ])
        let (_, noColumn) = RoutingFixture.parse(RoutingFixture.standard, csv: "group,name,mail\nChi bộ 1,A,a@example.vn\n")
        #expect(
            noColumn.map(\.description) == [
                "/etc/tiendo/workflows/delivery/bi-thu.csv:1:1: error: recipient list 'bi-thu' needs a 'email' column (did you mean 'mail'?)"
            ])
    }

    @Test("a recipient list's headers in any letter case; names and groups read as composed Unicode (NFC)")
    func recipientListsAsSpreadsheetsWriteThem() throws {
        let decomposed = "Chi bộ 1".decomposedStringWithCanonicalMapping
        let csv = "Group;Name;EMAIL\n\(decomposed);\("Nguyễn Văn An".decomposedStringWithCanonicalMapping);an@example.vn\n"
        #expect(Array(decomposed.utf8) != Array("Chi bộ 1".utf8))
        let (routing, diagnostics) = RoutingFixture.parse(RoutingFixture.standard, csv: csv)
        #expect(diagnostics.filter { $0.severity == .error }.isEmpty, "\(diagnostics)")
        let list = try #require(routing?.lists["bi-thu"]?.byGroup["Chi bộ 1"])
        #expect(list.map(\.name) == ["Nguyễn Văn An"] && Array(list[0].name!.utf8) == Array("Nguyễn Văn An".utf8))
    }

    @Test func withoutDefinitionsWorkflowNamesAreNotChecked() {
        let text = RoutingFixture.standard.replacingOccurrences(of: "[nhac-viec]", with: "[khong-co]")
        #expect(RoutingFixture.parse(text, definitions: nil).0 != nil)
        #expect(RoutingFixture.parse(text).0 == nil)
    }

    @Test func mailboxes() {
        #expect((try? Mailbox.parse("\"Lê Văn C\" <c.le@example.vn>").get()) == Mailbox(name: "Lê Văn C", address: "c.le@example.vn"))
        #expect((try? Mailbox.parse("  c@localhost.localdomain ").get()) == Mailbox(name: nil, address: "c@localhost.localdomain"))
        for bad in ["c@example", "c..d@example.vn", ".c@example.vn", "ngọc@example.vn", "c@-x.vn", "a@b@c.vn", "A <a@b.vn\n>"] {
            #expect((try? Mailbox.parse(bad).get()) == nil, "\(bad)")
        }
    }

    @Test func durations() {
        #expect(DurationText.seconds("30s") == 30)
        #expect(DurationText.seconds("5min") == 300)
        #expect(DurationText.seconds("6h") == 21_600)
        #expect(DurationText.seconds("3d") == 259_200)
        for bad in ["", "0s", "5", "5m", "-5s", "1.5h", "99999999999999999d"] { #expect(DurationText.seconds(bad) == nil, "\(bad)") }
    }
}

@Suite struct RoutingSnapshotTests {
    @Test("the last good routing is kept with its lists, durably, and parses back to the same routing")
    func keptAndReadBack() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("routing-snapshot-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/delivery", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/delivery/routing.yaml"
        try RoutingFixture.standard.write(toFile: file, atomically: false, encoding: .utf8)
        try RoutingFixture.biThuCSV.write(toFile: dir + "/delivery/bi-thu.csv", atomically: false, encoding: .utf8)
        let (routing, _, snapshot) = RoutingSnapshot.load(file: file, definitions: Repo.definitions, now: at("2025-12-01T08:00"))
        let saved = try #require(snapshot)
        #expect(routing != nil && saved.files.keys.sorted() == [dir + "/delivery/bi-thu.csv", file])
        try saved.write(directory: dir)
        // The files change or go: the copy still holds the routing as it was.
        try "tiendo: 1\nquiet_hour: true\n".write(toFile: file, atomically: false, encoding: .utf8)
        try FileManager.default.removeItem(atPath: dir + "/delivery/bi-thu.csv")
        let back = try #require(RoutingSnapshot.read(directory: dir))
        #expect(back == saved && back.savedAt == at("2025-12-01T08:00"))
        let kept = try #require(back.parse(definitions: Repo.definitions).0)
        #expect(kept.channelOrder == routing!.channelOrder && kept.lists.keys.sorted() == ["bi-thu"])
        #expect(RoutingSnapshot.load(file: file, definitions: Repo.definitions, now: at("2025-12-02T08:00")).snapshot == nil)
    }
}
