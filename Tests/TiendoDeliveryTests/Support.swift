import Foundation
import Testing
import TiendoCore
import TiendoDelivery

/// The repository's shipped calendar and the delivery tests' workflow (`tests/delivery/workflows`), shared with
/// the integration tests.
enum Repo {
    static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }

    static let definitions: DefinitionSet = Loader(searchPath: [path("tests/delivery/workflows"), path("Workflows")]).loadAll()

    static let vn: WorkCalendar = {
        let (cal, diags) = Loader(searchPath: [path("Workflows")]).resolveCalendar("vn")
        precondition(cal != nil, "Workflows/calendars/vn.yaml: \(diags)")
        return cal!
    }()
}

/// A routing file for tests, with the recipient list `bi-thu` read from memory.
enum RoutingFixture {
    static let file = "/etc/tiendo/workflows/delivery/routing.yaml"

    static let biThuCSV = """
        group,name,email
        Chi bộ Khu dân cư số 2,Phạm Thị Dung,bithu.kdc2@example.vn
        Chi bộ Khu dân cư số 5,Hoàng Văn Em,bithu.kdc5@example.vn
        Chi bộ Khu dân cư số 5,Hoàng Văn Em,BITHU.kdc5@example.vn

        """

    static let standard = """
        tiendo: 1
        from: "Văn phòng Đảng ủy phường Tây Hồ <vanphong@tayho.example.vn>"
        quiet_hours: {send: "07:00-18:00", urgent: crit}
        digest: {at: "07:30", every: day}
        channels:
          thu:
            type: smtp
            host: smtp.example.vn
            username: vanphong
            password_credential: smtp-password
            rate: 30/min
          cong-tinh:
            type: webhook
            url: https://cong.example.vn/hooks/tiendo
            secret_file: /etc/tiendo/webhook-secret
        recipients:
          bi-thu: bi-thu.csv
        routes:
          - name: dang-vien
            workflows: [nhac-viec]
            kinds: [reminder, overdue]
            channel: thu
            to: {field: email, name_field: ho_ten}
          - name: bi-thu
            workflows: [nhac-viec]
            kinds: [reminder, overdue]
            priority: notice
            channel: thu
            mode: digest
            to: [{list: bi-thu}, "Văn phòng <vanphong@tayho.example.vn>"]
          - name: tinh
            kinds: [overdue]
            priority: warning
            channel: cong-tinh

        """

    static func parse(_ text: String, csv: String = biThuCSV, definitions: DefinitionSet? = Repo.definitions) -> (
        Routing?, [Diagnostic]
    ) {
        RoutingParser.parse(bytes: Array(text.utf8), file: file, definitions: definitions) { path in
            path == "/etc/tiendo/workflows/delivery/bi-thu.csv" ? Array(csv.utf8) : nil
        }
    }

    static func routing(_ text: String = standard) -> Routing {
        let (r, d) = parse(text)
        precondition(r != nil, "routing fixture: \(d)")
        return r!
    }
}

/// A record as tiendod writes it (interfaces §1).
func record(
    _ kind: String = "reminder", at: String, instance: String = "nhac-viec/nguyen-van-an", due: String? = "2025-12-10",
    daysLeft: Int? = 7, priority: Int = 5, group: String? = "Chi bộ Khu dân cư số 2", provisional: Bool = false,
    message: String = "Còn 7 ngày đến hạn «Nộp bản kiểm điểm cá nhân cuối năm» (nhac-viec/nguyen-van-an), hạn chót 10/12/2025",
    occurrence: String? = nil, late: Int? = nil
) -> JSON {
    var o: [(String, JSON)] = [
        ("at", .string(at)), ("kind", .string(kind)), ("workflow", .string("nhac-viec")), ("instance", .string(instance)),
        ("milestone", .string("nop-bao-cao")),
    ]
    if let occurrence { o.append(("occurrence", .string(occurrence))) }
    if let due { o.append(("due", .string(due))) }
    if let daysLeft { o.append(("daysLeft", .int(daysLeft))) }
    o.append(("priority", .int(priority)))
    if let late { o.append(("late", .int(late))) }
    if provisional { o.append(("provisional", .bool(true))) }
    if let group { o.append(("group", .string(group))) }
    o.append(("message", .string(message)))
    return .object(o)
}

func notice(_ j: JSON) -> Notice {
    do { return try Notice(json: j) } catch { fatalError("test record: \(error)") }
}

func at(_ text: String) -> Instant { Zone.vietnam.parseInstant(text)! }

/// Data of the test instance `nhac-viec/nguyen-van-an`.
let anData = ["ho_ten": "Nguyễn Văn An", "email": "an.nguyen@example.vn", "chi_bo": "Chi bộ Khu dân cư số 2"]
