import Foundation
import TiendoCore

/// The committed synthetic data generator (deterministic: SplitMix64 with a fixed seed). No real personal data.
///
/// `province` — a province-sized steady state of three shipped workflows, as of the fake clock `t0`
/// (Monday 03/11/2025 09:00, Asia/Ho_Chi_Minh):
/// - `dang-vien-du-bi` (≈ 90 % of N): one probationary Party member each, `started` = `ngay_ket_nap` (the day of the
///   admission ceremony). 99 % were admitted in the last 410 days (still on probation, or waiting for the chi bộ to
///   consider them: the 12 months plus 30 working days of QĐ 294), 1 % up to two years ago (an overdue backlog).
///   So admission dates spread over two years, and the import itself replays each member's history (the engine's
///   catch-up: transitions to `cho-xet`, the latest missed reminder or overdue notice).
///   Members are spread over chi bộ of about 20 probationary members each, every chi bộ in one of 3,321 communes.
/// - `thi-dua` (8 %): one emulation cycle per organisation (`nam` 2026), with its commune's Party committee in
///   `dang_bo`, the group its 20 % cap on "xuất sắc" counts in (`per: dang_bo`); the shipped file groups its
///   records by the organisation itself (`ten_to_chuc`) since 07/12/2026.
/// - `bau-cu-xvi-2026` (2 %, at most 3,321: one per commune/ward election committee), grouped by province (34): the
///   countdown to the election of 15/03/2026, archived since (`Workflows/archive/`), which the bench loads beside the
///   shipped workflows because its clock is in that countdown.
///
/// `firing` — N `dang-vien-du-bi` members all admitted on 05/11/2024, so all N probations end (the timed transition
/// to `cho-xet`) at the same instant, 06/11/2025 00:00; then all N first reminders of the deadline that opens fall at
/// one instant too, 03/12/2025 08:00.
enum Dataset {
    static let seed: UInt64 = 0x7469_656E_646F_0007  // "tiendo" + issue 7
    static let t0Text = "2025-11-03T09:00:00+07:00"
    static let t0Date = CivilDate(2025, 11, 3)
    /// The firing instant (end of 05/11/2025) and a fake time just after it.
    static let firingInstantText = "2025-11-06T00:00:00+07:00"
    static let firingRestartText = "2025-11-06T00:00:05+07:00"
    /// Every member's first reminder after the transition: the deadline is 30 working days after the probation
    /// (17/12/2025), the reminder ten working days before it at 08:00 (`dang-vien-du-bi.yaml`); a fake time just after.
    static let firingReminderText = "2025-12-03T08:00:00+07:00"
    static let firingReminderEpoch: Int64 = 1_764_723_600
    static let firingReminderRestartText = "2025-12-03T08:00:05+07:00"
    static let firingAdmission = "2024-11-05"
    static let communes = 3321
    /// The archived election workflow (`Workflows/archive/bau-cu-xvi-2026.yaml`).
    static let election = "bau-cu-xvi-2026"
    /// A chi bộ vote short of two thirds (15 of 30 full members): `bieu-quyet` moves the member to `cho-xet-lai`.
    static let failedVote: [(String, JSON)] = [("so_dang_vien_chinh_thuc", .int(30)), ("so_tan_thanh", .int(15))]
    static let provinces = 34

    enum Kind: String { case province, firing }

    struct Counts {
        var dangVien: Int
        var thiDua: Int
        var bauCu: Int
        var total: Int { dangVien + thiDua + bauCu }
    }

    static func counts(_ kind: Kind, n: Int) -> Counts {
        switch kind {
        case .firing: return Counts(dangVien: n, thiDua: 0, bauCu: 0)
        case .province:
            let bau = min(communes, max(1, n / 50))
            let thi = n * 8 / 100
            return Counts(dangVien: n - bau - thi, thiDua: thi, bauCu: bau)
        }
    }

    static func communeName(_ c: Int) -> String { c % 3 == 0 ? "Xã \(pad4(c))" : "Phường \(pad4(c))" }
    static func pad4(_ v: Int) -> String { String(repeating: "0", count: max(0, 4 - String(v).count)) + String(v) }
    static func pad7(_ v: Int) -> String { String(repeating: "0", count: max(0, 7 - String(v).count)) + String(v) }

    static let familyNames = [
        "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý",
    ]
    static let middleNames = ["Văn", "Thị", "Hữu", "Đức", "Thu", "Ngọc", "Minh", "Thanh", "Quang", "Hồng", "Xuân", "Kim"]
    static let givenNames = [
        "An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hạnh", "Hằng", "Hiếu", "Hoa", "Hùng", "Hương", "Khánh", "Lan", "Linh", "Lợi",
        "Mai", "Nam", "Nga", "Nghĩa", "Phong", "Phương", "Quyên", "Sơn", "Tâm", "Thắng", "Thảo", "Trang", "Tuấn", "Vinh", "Yến",
    ]

    /// One row for `ImportInstances`, with the reserved keys `key` and `started`.
    struct Row {
        var workflow: String
        var fields: [(String, JSON)]
    }

    /// Every row of a data set in import order (workflow by workflow), generated on the fly.
    struct Rows: Sequence, IteratorProtocol {
        let kind: Kind
        let counts: Counts
        var rng = Rng(seed: Dataset.seed)
        var i = 0
        init(kind: Kind, n: Int) {
            self.kind = kind
            counts = Dataset.counts(kind, n: n)
        }

        mutating func next() -> Row? {
            defer { i += 1 }
            if i < counts.dangVien { return dangVien(i) }
            let j = i - counts.dangVien
            if j < counts.thiDua { return thiDua(j) }
            let k = j - counts.thiDua
            if k < counts.bauCu { return bauCu(k) }
            return nil
        }

        mutating func name() -> String {
            let f = Dataset.familyNames[rng.below(Dataset.familyNames.count)]
            let m = Dataset.middleNames[rng.below(Dataset.middleNames.count)]
            let g = Dataset.givenNames[rng.below(Dataset.givenNames.count)]
            return "\(f) \(m) \(g)"
        }

        mutating func dangVien(_ i: Int) -> Row {
            let chiBoCount = Swift.max(1, counts.dangVien / 20)
            let chiBo = rng.below(chiBoCount)
            let commune = chiBo % Dataset.communes + 1
            let chiBoName = "Chi bộ số \(chiBo / Dataset.communes + 1) – \(Dataset.communeName(commune))"
            var fields: [(String, JSON)] = [
                ("key", .string("dv\(Dataset.pad7(i + 1))")), ("ho_ten", .string(name())), ("chi_bo", .string(chiBoName)),
            ]
            switch kind {
            case .firing:
                fields.append(("ngay_ket_nap", .string(Dataset.firingAdmission)))
            case .province:
                let back = rng.chance(0.01) ? rng.inRange(411...730) : rng.inRange(1...410)
                let d = Dataset.t0Date.adding(days: -back).iso
                fields.append(("ngay_ket_nap", .string(d)))
                fields.append(("started", .string(d)))
            }
            return Row(workflow: "dang-vien-du-bi", fields: fields)
        }

        mutating func thiDua(_ j: Int) -> Row {
            let commune = j % Dataset.communes + 1
            let org = "Chi bộ số \(j / Dataset.communes + 1) – \(Dataset.communeName(commune))"
            return Row(
                workflow: "thi-dua",
                fields: [
                    ("key", .string("td\(Dataset.pad7(j + 1))-2026")), ("ten_to_chuc", .string(org)),
                    ("dang_bo", .string("Đảng bộ \(Dataset.communeName(commune))")), ("nam", .int(2026)),
                ])
        }

        mutating func bauCu(_ k: Int) -> Row {
            let c = k + 1
            return Row(
                workflow: Dataset.election,
                fields: [
                    ("key", .string("xa\(Dataset.pad4(c))")), ("don_vi", .string(Dataset.communeName(c))),
                    ("tinh_thanh", .string("Tỉnh \(c % Dataset.provinces + 1)")),
                ])
        }
    }

    /// `ImportInstances` messages of at most `batch` rows each (one workflow per message), ready to send.
    static func importMessages(_ kind: Kind, n: Int, batch: Int, staged: Bool) -> (
        messages: [(workflow: String, rows: Int, bytes: [UInt8])], bytes: Int
    ) {
        typealias Batch = (workflow: String, rows: [JSON], first: Bool)
        var out: [(String, Int, [UInt8])] = []
        var total = 0
        func encode(_ b: Batch, last: Bool) {
            var parameters: [(String, JSON)] = [("workflow", .string(b.workflow)), ("rows", .array(b.rows))]
            // One import per workflow, as `ImportBatches` sends a file: every call but its last stages its rows.
            if staged && !(b.first && last) {
                parameters += [("importID", .string("bench-\(b.workflow)")), ("final", .bool(last))]
            }
            let m = Varlink.message("ImportInstances", parameters)
            total += m.count
            out.append((b.workflow, b.rows.count, m))
        }
        // The last full batch waits until the next one shows whether it ended its workflow's rows (at most two
        // batches of rows are held as JSON: at 10^7 all of them would take gigabytes).
        var held: Batch?
        func hold(_ b: Batch) {
            if let h = held { encode(h, last: h.workflow != b.workflow) }
            held = b
        }
        var current: [JSON] = []
        var currentWorkflow = ""
        var first = true
        for row in Rows(kind: kind, n: n) {
            if row.workflow != currentWorkflow || current.count >= batch {
                if !current.isEmpty { hold((currentWorkflow, current, first)) }
                first = row.workflow != currentWorkflow
                currentWorkflow = row.workflow
                current = []
            }
            current.append(.object(row.fields))
        }
        if !current.isEmpty { hold((currentWorkflow, current, first)) }
        if let h = held { encode(h, last: true) }
        return (out, total)
    }

    /// Instance data typed by the definitions (for the in-process scenarios), with the `started` instant.
    static func typed(_ kind: Kind, n: Int, definitions: [String: WorkflowDefinition], now: Instant)
        -> [(definition: WorkflowDefinition, data: InstanceData, started: Instant, key: String)]
    {
        var out: [(WorkflowDefinition, InstanceData, Instant, String)] = []
        out.reserveCapacity(n)
        for row in Rows(kind: kind, n: n) {
            guard let def = definitions[row.workflow] else { continue }
            var started = now
            var key = ""
            var fields: [(String, JSON)] = []
            for (k, v) in row.fields {
                switch k {
                case "key": key = v.stringValue ?? ""
                case "started": started = v.stringValue.flatMap { def.zone.parseInstant($0) } ?? now
                default: fields.append((k, v))
                }
            }
            guard case .success(let data) = def.validate(data: fields, partial: false, today: nil) else { continue }
            out.append((def, data, started, "\(row.workflow)/\(key)"))
        }
        return out
    }
}
