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
    func basis(_ due: DateExpression, roll: Roll, _ inst: Instance) -> String? {
        let from: String
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
                from = "\(own(fallback.isInstant, entered: entered, inst)), vì chưa ghi «\(fieldTitle(f))»"
            }
        case .started: from = own(false, entered: false, inst)
        case .entered: from = own(false, entered: true, inst)
        case .startedAt: from = own(true, entered: false, inst)
        case .enteredAt: from = own(true, entered: true, inst)
        }
        let before = due.atIndex.map { Array(due.steps[..<$0]) } ?? due.steps
        let after = due.atIndex.map { Array(due.steps[$0...]) } ?? []
        var text: String
        if before.isEmpty {
            text = "đúng \(from)"
        } else if before.allSatisfy({ $0.amount >= 0 }) || before.allSatisfy({ $0.amount <= 0 }) {
            let word = before.contains { $0.amount < 0 } ? "trước" : "sau"
            text = "\(Engine.join(before.map(Engine.amount))) \(word) \(from)"
        } else {
            text = "tính từ \(from): \(before.map { ($0.amount < 0 ? "trừ " : "cộng ") + Engine.amount($0) }.joined(separator: ", "))"
        }
        if let at = due.at { text += ", lúc \(at)" }
        if !after.isEmpty {
            text += ", " + after.map { ($0.amount < 0 ? "trừ " : "cộng ") + Engine.amount($0) }.joined(separator: ", ")
        }
        switch roll {
        case .none: break
        case .forward: text += "; rơi vào ngày nghỉ thì dời sang ngày làm việc kế tiếp"
        case .backward: text += "; rơi vào ngày nghỉ thì lùi về ngày làm việc liền trước"
        }
        return text
    }

    /// «ngày vào trạng thái này (02/03/2026)», «lúc bắt đầu theo dõi (02/03/2026 09:00)».
    func own(_ instant: Bool, entered: Bool, _ inst: Instance) -> String {
        let t = entered ? inst.enteredAt : inst.startedAt
        let what = entered ? "vào trạng thái này" : "bắt đầu theo dõi"
        return instant ? "lúc \(what) (\(zone.vietnamese(t)))" : "ngày \(what) (\(zone.date(of: t).vietnamese))"
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
    static func amount(_ o: Offset) -> String {
        let n = abs(o.amount)
        switch o.unit {
        case .d: return "\(n) ngày"
        case .wd: return "\(n) ngày làm việc"
        case .w: return "\(n) tuần"
        case .mo: return "\(n) tháng"
        case .y: return "\(n) năm"
        case .h: return "\(n) giờ"
        case .min: return "\(n) phút"
        }
    }

    /// «A», «A và B», «A, B và C».
    static func join(_ parts: [String]) -> String {
        guard parts.count > 1 else { return parts.first ?? "" }
        return parts.dropLast().joined(separator: ", ") + " và " + parts.last!
    }
}
