/// How an open deadline's due is counted, in words for a record's page: «30 ngày làm việc sau «Ngày chi bộ họp, ra
/// nghị quyết» (27/02/2026)». A due shown without its basis cannot be checked by the person who has to meet it (a
/// meeting's day typed, or not, moves the committee's deadline by a week); the expression as the file writes it
/// (`ngay_nghi_quyet or entered + 30wd`) is not for them to read.
extension Engine {
    /// The basis of each open deadline that has one, by `OpenDeadline.key`: the current state's deadline and one-shot
    /// milestones. Not for occurrences (their due counts from their own period, which their label names) nor for a
    /// due written as a day alone (it says itself).
    public func dueBases(_ inst: Instance) -> [(key: String, text: String)] {
        openDeadlines(inst).compactMap { d in
            let deadline: ProgramDeadline?
            if d.key.isEmpty {
                deadline = program.state(inst.state)?.deadline
            } else if d.occurrence == nil {
                deadline = program.milestone(d.key)?.deadline
            } else {
                deadline = nil
            }
            guard let deadline, let text = basis(deadline.due, roll: deadline.roll, inst) else { return nil }
            return (d.key, text)
        }
    }

    /// The words for `due` (after `roll`) on this instance; nil for a day written alone or a base that has no value.
    /// Steps read in the order they apply (months, then working days, do not commute): «12 tháng sau «Ngày kết nạp»
    /// (20/01/2025), rồi thêm 30 ngày làm việc».
    func basis(_ due: DateExpression, roll: Roll, _ inst: Instance) -> String? {
        let from: String
        // Said last, after the hour and the roll: what a fallback stands in for.
        var missing: String?
        switch due.base {
        case .period: return nil
        case .date(let d):
            guard !due.steps.isEmpty else { return nil }
            from = "ngày \(d.vietnamese)"
        case .instant(let t):
            guard !due.steps.isEmpty else { return nil }
            from = zone.vietnamese(t)
        case .field(let f):
            guard let v = fieldDay(f, inst) else { return nil }
            from = "«\(fieldTitle(f))» (\(v))"
        case .fieldOr(let f, let fallback):
            if let v = fieldDay(f, inst) {
                from = "«\(fieldTitle(f))» (\(v))"
            } else {
                let entered = fallback == .entered || fallback == .enteredAt
                from = own(fallback.isInstant, entered: entered, inst)
                missing = "chưa ghi «\(fieldTitle(f))» nên tính từ \(Engine.what(fallback.isInstant, entered: entered))"
            }
        case .started: from = own(false, entered: false, inst)
        case .entered: from = own(false, entered: true, inst)
        case .startedAt: from = own(true, entered: false, inst)
        case .enteredAt: from = own(true, entered: true, inst)
        }
        // A zero step changes nothing and says nothing.
        let cut = due.atIndex ?? due.steps.count
        let after = due.steps[cut...].filter { $0.amount != 0 }
        var text = Engine.counted(due.steps[..<cut], from: from) ?? "đúng \(from)"
        if let at = due.at { text += ", lúc \(at)" }
        text += after.map(Engine.then).joined()
        switch roll {
        case .none: break
        case .forward: text += "; nếu hạn rơi vào ngày nghỉ thì dời sang ngày làm việc kế tiếp"
        case .backward: text += "; nếu hạn rơi vào ngày nghỉ thì lùi về ngày làm việc liền trước"
        }
        if let missing { text += "; \(missing)" }
        return text
    }

    /// «ngày vào trạng thái này (02/03/2026)», «thời điểm bắt đầu theo dõi (09:00 ngày 02/03/2026)».
    func own(_ instant: Bool, entered: Bool, _ inst: Instance) -> String {
        let t = entered ? inst.enteredAt : inst.startedAt
        return "\(Engine.what(instant, entered: entered)) (\(instant ? zone.vietnamese(t) : zone.date(of: t).vietnamese))"
    }

    /// «ngày vào trạng thái này», «thời điểm bắt đầu theo dõi».
    static func what(_ instant: Bool, entered: Bool) -> String {
        (instant ? "thời điểm " : "ngày ") + (entered ? "vào trạng thái này" : "bắt đầu theo dõi")
    }

    func fieldTitle(_ f: String) -> String { definition.field(f)?.title ?? f }

    func fieldDay(_ f: String, _ inst: Instance) -> String? {
        switch inst.data[f] {
        case .date(let d): return d.vietnamese
        case .datetime(let t): return zone.vietnamese(t)
        default: return nil
        }
    }

    /// «30 ngày làm việc», «12 tháng», «2 giờ» (the amount without its sign).
    static func amount(_ o: Offset) -> String { "\(abs(o.amount)) \(o.unit.vietnamese)" }

    /// Steps counted from `from`, in the order they apply: «12 tháng sau «Ngày kết nạp», rồi thêm 30 ngày làm việc»;
    /// nil when no step moves the day (a zero step says nothing). A due's basis and a derived default say it alike.
    static func counted(_ steps: some Collection<Offset>, from: String) -> String? {
        let moving = steps.filter { $0.amount != 0 }
        guard let first = moving.first else { return nil }
        return "\(amount(first)) \(first.amount < 0 ? "trước" : "sau") \(from)" + moving.dropFirst().map(then).joined()
    }

    /// «, rồi thêm 30 ngày làm việc», «, rồi trừ 1 ngày»: a step after the first.
    static func then(_ o: Offset) -> String { ", rồi \(o.amount < 0 ? "trừ" : "thêm") \(amount(o))" }
}
