/// Vietnamese sentences for people: records, rejections and errors. Dates as dd/mm/yyyy.
public enum Messages {
    /// How a delivery dropped for a newer notice of the same deadline begins its reason (the sender writes it, a
    /// restore looks for it).
    public static let supersededNotice = "thay bằng thông báo mới hơn"

    /// What a record's key may be (`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`, format §9), in words: the CLI's, the
    /// daemon's and the web's refusals say it alike. «chữ» alone read as allowing Vietnamese letters.
    public static let keyRule =
        "chữ cái không dấu (a–z, A–Z), chữ số và '.', '_', '-', bắt đầu bằng chữ cái hoặc chữ số, không có dấu cách; tối đa 128 ký tự"

    static func started(workflowTitle: String, instance: String, stateTitle: String?) -> String {
        "Bắt đầu hồ sơ \(instance) theo quy trình «\(workflowTitle)»" + (stateTitle.map { ", trạng thái «\($0)»" } ?? "")
    }

    /// `event` as people read it: its title (`event_titles`), else its name. A step back into the same state (a
    /// second failed vote, a meeting's day recorded again) says the record stays, not that it moved «from A to A».
    static func transition(
        instance: String, fromTitle: String, toTitle: String, event: String?, eventTitle: String? = nil, stays: Bool = false
    ) -> String {
        (stays ? "Hồ sơ \(instance) vẫn ở «\(toTitle)»" : "Hồ sơ \(instance) chuyển từ «\(fromTitle)» sang «\(toTitle)»")
            + (event.map { " (\(action($0, title: eventTitle)))" } ?? "")
    }

    /// An event named for people: «Ghi kết quả biểu quyết» when it has a title, `sự kiện «bieu-quyet»` otherwise;
    /// the built-in `done` as marking a milestone done, and `start` (a limit checked at the start) as starting.
    static func action(_ event: String, title: String?) -> String {
        if let title { return "«\(title)»" }
        switch event {
        case "done": return "đánh dấu mốc đã xong"
        case "start": return "bắt đầu hồ sơ"
        default: return "sự kiện «\(event)»"
        }
    }

    /// The values an event brought, as its form showed them: `«Số tán thành» là 20, «Số đảng viên chính thức» là 30`.
    /// Free text (a reason, a name) is only said to be given, «Lý do…» đã ghi: a message goes to the journal and to
    /// email and webhook routes, and such text is personal; the record's page shows it from the data.
    static func given(_ data: [(String, Value)], definition: WorkflowDefinition) -> String {
        data.map { name, v in
            if case .text = v, definition.field(name)?.type != .enumeration { return "«\(definition.field(name)?.title ?? name)» đã ghi" }
            return said(name, v, definition: definition)
        }.joined(separator: ", ")
    }

    /// A field's value in a sentence: `«Số tán thành» là 19`; an enum's value by its title and yes or no quoted, as the
    /// conditions quote them (`«Đạt …» là «có»`); a number, a date or a text as it is.
    static func said(_ name: String, _ v: Value, definition: WorkflowDefinition) -> String {
        let f = definition.field(name)
        let title = "«\(f?.title ?? name)»"
        switch v {
        case .boolean: return "\(title) là «\(shown(v, zone: definition.zone))»"
        case .text(let t) where f?.type == .enumeration: return "\(title) là «\(f?.title(ofValue: t) ?? t)»"
        default: return "\(title) là \(shown(v, zone: definition.zone))"
        }
    }

    /// A value as people read it: yes/no as có/không, a decimal with a comma (66,5), the rest as `Value.display`
    /// writes it.
    static func shown(_ v: Value, zone: Zone) -> String {
        if case .boolean(let b) = v { return b ? "có" : "không" }
        if case .number = v { return v.display(zone: zone).replacingOccurrences(of: ".", with: ",") }
        return v.display(zone: zone)
    }

    static func duration(_ seconds: Int64) -> String {
        let h = seconds / 3600
        let m = (seconds % 3600) / 60
        if h > 0 && m > 0 { return "\(h) giờ \(m) phút" }
        if h > 0 { return "\(h) giờ" }
        return "\(max(m, 0)) phút"
    }

    /// How late something was, for people (never raw seconds): `trễ 302 ngày`, `trễ 3 giờ 5 phút`, `trễ 45 phút`,
    /// `trễ 20 giây`. Whole days from one day up, hours and minutes below that. Shared by the daemon and the CLI.
    public static func lateness(seconds: Int) -> String { "trễ " + span(seconds: seconds) }

    /// How late a record of `kind` was written: `lateness`, but a start entered after its date was not late work,
    /// only written later: `ghi vào hệ thống sau 40 ngày`.
    public static func lateness(seconds: Int, kind: String) -> String {
        kind == Record.Kind.started.rawValue ? "ghi vào hệ thống sau " + span(seconds: seconds) : lateness(seconds: seconds)
    }

    /// When each instance of `records` was entered into the system (its `started` record's instant, plus its `late`
    /// when it was dated earlier): the notices written with it (a back-dated record's catch-up, or one started today
    /// whose dates lie in the past, such as a probationary member admitted last year) were nobody's lateness.
    public static func entries(_ records: [Record]) -> [String: Int64] {
        var out: [String: Int64] = [:]
        for r in records where r.kind == .started {
            if let id = r.instance { out[id] = r.at.seconds + Int64(r.late ?? 0) }
        }
        return out
    }

    /// How late `r` was written, in words, given `entries(_:)` of the records it came with: `ghi khi đưa hồ sơ vào hệ
    /// thống` for a notice written with its record's entry, else `lateness(seconds:kind:)`; nil when on time.
    public static func lateness(of r: Record, entered: [String: Int64]) -> String? {
        guard let l = r.late else { return nil }
        if r.kind != .started, let id = r.instance, let e = entered[id], r.at.seconds < e, r.at.seconds + Int64(l) <= e + 5 {
            return "ghi khi đưa hồ sơ vào hệ thống"
        }
        return lateness(seconds: l, kind: r.kind.rawValue)
    }

    /// A length of time for people, as `lateness` says it without `trễ`: `302 ngày`, `3 giờ 5 phút`, `20 giây`.
    public static func span(seconds: Int) -> String {
        let s = max(0, seconds)
        if s >= 86_400 { return "\(s / 86_400) ngày" }
        if s >= 60 { return duration(Int64(s)) }
        return "\(s) giây"
    }

    /// A file's size as people read it, a decimal comma and one decimal: «409,6 KB», «12 MB», «1,4 GB» (999,96 KB
    /// reads «1 MB», not «1.000 KB»).
    public static func size(_ bytes: Int64) -> String {
        // Tenths of the unit, rounded: a size that rounds to 1.000 of a unit is 1 of the next.
        var scale: Int64 = 100
        var unit = 0
        while unit < 2, (bytes + scale / 2) / scale >= 10_000 {
            scale *= 1000
            unit += 1
        }
        let tenths = (bytes + scale / 2) / scale
        let whole = count(Int(tenths / 10))
        return (tenths % 10 == 0 ? whole : "\(whole),\(tenths % 10)") + " " + ["KB", "MB", "GB"][unit]
    }

    /// `1.083`: a count as Vietnamese write it, `.` between thousands. The daemon's lines, tiendoctl, the web and
    /// an import's summary all write counts with it.
    public static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(".") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// ` (dự kiến)`: follows every provisional date or instant shown to people (format §10 "Calendar status", rule 6).
    public static let provisionalMark = " (dự kiến)"

    /// What a field marked `max: today` takes, in the words of its refusal, the web's forms and its import page.
    public static let notAfterToday = "từ hôm nay trở về trước"

    /// A due for people: `dd/mm/yyyy`, with ` (dự kiến)` when provisional.
    static func due(_ text: String, provisional: Bool) -> String { provisional ? text + provisionalMark : text }

    /// The title of a deadline in messages; an occurrence names its period as people write it (`Đóng đảng phí kỳ
    /// 03/2027`, `Báo cáo quý kỳ từ tháng 09/2026`: `period`). `due`: the occurrence's due, as `Record.due` writes it.
    public static func deadlineTitle(_ title: String, occurrence: String?, due: String?) -> String {
        occurrence.map { "\(title) kỳ \(period($0, due: due))" } ?? title
    }

    /// The deadline a timed step brings, said after the step: «hạn của trạng thái đó 24/03/2027», or by the task when
    /// the deadline has a title of its own (`deadline.title`): «việc «Chi bộ họp xét, biểu quyết…» có hạn chót 24/03/2027».
    public static func upcomingDue(_ dueText: String, title: String?, stateTitle: String?) -> String {
        if let title, title != stateTitle { return "việc «\(title)» có hạn chót \(dueText)" }
        return "hạn của trạng thái đó \(dueText)"
    }

    /// A recurring milestone's `every` for people: `1mo` → «hằng tháng», `3mo` → «mỗi 3 tháng».
    public static func every(_ text: String) -> String {
        let digits = text.prefix { $0.isNumber }
        guard let n = Int(digits) else { return text }
        // The units a series' `every` takes (format §9); anything else as it is.
        guard let unit = TimeUnit(rawValue: String(text.dropFirst(digits.count))), [.d, .w, .mo, .y].contains(unit) else { return text }
        return n == 1 ? "hằng \(unit.vietnamese)" : "mỗi \(n) \(unit.vietnamese)"
    }

    /// An occurrence's label (format §9: `2027-03` for a period of months, the first day `2027-03-15` otherwise) as
    /// people write the period: `03/2027`, `15/03/2027`; anything else as it is. A label names the period by its
    /// first month (or day), which is how people name it only when the due falls in that month (day): Party fees of
    /// `2027-03`, due 31/03/2027. A period anchored on another day is named otherwise: a quarterly report due
    /// 20/12/2026 runs from 21/09/2026, label `2026-09`, and «kỳ 09/2026» would read as September's report; it is
    /// written `từ tháng 09/2026` (`từ ngày 15/03/2027` for a label of a day) whenever `due` (`Record.due`'s form,
    /// `2026-12-20` or an instant) falls outside it. Where a label is to be typed back (`tiendoctl done ID
    /// dang-phi@2027-03`, the refusal of a label that names no period) it stays as it is.
    public static func period(_ label: String, due: String?) -> String {
        let dueDay = due.flatMap { CivilDate.parse(String($0.prefix(10))) }
        let parts = label.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 2, parts[0].count == 4, parts[1].count == 2, parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }) {
            let text = "\(parts[1])/\(parts[0])"
            guard let dueDay, dueDay.year != Int(parts[0]) || dueDay.month != Int(parts[1]) else { return text }
            return "từ tháng " + text
        }
        if parts.count == 3, label.count == 10, let d = CivilDate.parse(label) {
            guard let dueDay, dueDay != d else { return d.vietnamese }
            return "từ ngày " + d.vietnamese
        }
        return label
    }

    static func reminder(title: String, instance: String, daysLeft: Int, dueText: String, secondsLeft: Int64) -> String {
        // An instant due just after midnight (01:00), reminded late the evening before: «Còn 1 ngày» read as a day
        // left when two hours are.
        if daysLeft == 1 && secondsLeft > 0 && secondsLeft < 86_400 {
            return "Ngày mai đến hạn «\(title)» (\(instance)), còn \(duration(secondsLeft)), hạn chót \(dueText)"
        }
        if daysLeft > 0 {
            return "Còn \(daysLeft) ngày đến hạn «\(title)» (\(instance)), hạn chót \(dueText)"
        }
        if secondsLeft > 0 && secondsLeft < 86_400 {
            return "Hôm nay đến hạn «\(title)» (\(instance)), còn \(duration(secondsLeft)), hạn chót \(dueText)"
        }
        return "Hôm nay đến hạn «\(title)» (\(instance)), hạn chót \(dueText)"
    }

    /// `missed` (recurring milestones): how many occurrences are open and past their deadline.
    static func overdue(title: String, instance: String, daysLeft: Int, dueText: String, missed: Int? = nil) -> String {
        let pile = missed.map { $0 > 1 ? ", \($0) kỳ đang quá hạn" : "" } ?? ""
        if daysLeft < 0 {
            return "Quá hạn \(-daysLeft) ngày: «\(title)» (\(instance))\(pile), hạn chót \(dueText)"
        }
        return "Đã quá hạn chót: «\(title)» (\(instance))\(pile), hạn chót \(dueText)"
    }

    /// A calendar change moved a due (format §10 "Calendar changes", rule 3). `newText` already carries ` (dự kiến)`
    /// when the new due is provisional: then the change is not "theo lịch nghỉ chính thức".
    static func rescheduled(title: String, instance: String, oldText: String, newText: String, provisional: Bool) -> String {
        "Đổi hạn «\(title)» (\(instance)) từ \(oldText) sang \(newText) "
            + (provisional ? "do lịch nghỉ thay đổi" : "theo lịch nghỉ chính thức")
    }

    /// What comes after a recurring milestone's last open occurrence.
    enum NextOccurrence {
        /// Not known (the series has no anchor yet).
        case unknown
        /// The next occurrence's period (`07/2027`) and the day it begins.
        case next(period: String, begins: String)
        /// None will open: the series ended, the instance completed, or (its title) it is in a final state.
        case none(finalState: String?)
    }

    /// `lastDone`: when an occurrence was last completed (a second `done` pressed by mistake reads that the first
    /// went through); `next`: what comes after.
    static func noOpenOccurrence(_ title: String, _ id: String, lastDone: String? = nil, next: NextOccurrence = .unknown) -> String {
        var text = "mốc định kỳ «\(title)» (\(id)) không có kỳ nào đang mở"
        if let lastDone { text += "; lần đánh dấu xong gần nhất lúc \(lastDone)" }
        switch next {
        case .unknown: break
        case .next(let period, let begins): text += "; kỳ tiếp theo (\(period)) bắt đầu từ ngày \(begins)"
        case .none(let state?): text += "; hồ sơ đã ở trạng thái cuối «\(state)»: không còn kỳ nào nữa"
        case .none(nil): text += "; không còn kỳ nào nữa"
        }
        return text
    }

    static func noSuchOccurrence(_ title: String, _ id: String, label: String, form: String) -> String {
        "mốc «\(title)» (\(id)) không có kỳ '\(sent(label))' trong hồ sơ này (nhãn kỳ dạng \(form), từ kỳ đầu tiên của hồ sơ)"
    }

    /// The period as people write it (`06/2027`): the label was valid, only not yet open.
    static func occurrenceNotOpen(_ title: String, _ id: String, label: String) -> String {
        "kỳ \(period(label, due: nil)) của «\(title)» (\(id)) chưa mở: chưa thể hoàn thành trước kỳ"
    }

    static func notRecurring(_ title: String, _ id: String) -> String {
        "mốc «\(title)» (\(id)) không định kỳ: không dùng '@KỲ'"
    }

    /// Names no due: a provisional one (its due is) gets ` (dự kiến)` at the end.
    static func milestoneDone(title: String, instance: String, provisional: Bool) -> String {
        "Đã hoàn thành «\(title)» (\(instance))" + (provisional ? provisionalMark : "")
    }

    static func completed(workflowTitle: String, instance: String) -> String {
        "Hồ sơ \(instance) đã hoàn tất quy trình «\(workflowTitle)»"
    }

    static func rejected(event: String, eventTitle: String? = nil, instance: String, reason: String) -> String {
        "Không thực hiện được \(action(event, title: eventTitle)) cho hồ sơ \(instance): \(reason)"
    }

    static func noStates(_ workflow: String) -> String {
        "quy trình '\(workflow)' không có trạng thái, chỉ nhận sự kiện 'done' cho các mốc"
    }

    static func finalState(_ state: String) -> String {
        "hồ sơ đã ở trạng thái kết thúc «\(state)»"
    }

    static func unhandled(event: String, state: String, known: [String]) -> String {
        let list = known.isEmpty ? "không nhận sự kiện nào" : "chỉ nhận: \(known.joined(separator: ", "))"
        return "trạng thái «\(state)» không nhận sự kiện «\(sent(event))» (\(list))\(vietnameseSuggestion(event, known))"
    }

    /// Why no branch of an event applies, in the words of the form a person filled: the fields it still needs,
    /// by their titles (`cần nhập «Số đảng viên chính thức…»`), or else the values given and, for the states the
    /// event can nearest lead to, what is still missing (`để sang «…» cần «Số tán thành» không quá «Số đảng viên…»
    /// (tức tối đa 20)`), with the fields' titles and comparisons in words, not the file's `ge`/`ne`, and yes/no as
    /// có/không.
    static func noBranch(
        event: String, branches: [Branch], data: InstanceData, definition: WorkflowDefinition, given: Set<String> = []
    ) -> String {
        func title(_ f: String) -> String { "«\(definition.field(f)?.title ?? f)»" }
        func shown(_ v: Value) -> String { Messages.shown(v, zone: definition.zone) }
        // An enum's values as the form offers them (`value_titles`), not their codes.
        func label(_ f: String) -> (String) -> String {
            guard let field = definition.field(f), field.type == .enumeration else { return { $0 } }
            return { field.title(ofValue: $0) }
        }
        let read = branches.fieldsRead
        // An empty text is what a form sends for a box left blank: asked for like a missing value. Asked for: what
        // every branch reads (a field only one branch reads, `chi_bo_co_so`, may be left out).
        func absent(_ f: String) -> Bool { data[f] == nil || data[f] == .text("") }
        let missing = branches.fieldsEveryBranchReads.filter(absent)
        if !missing.isEmpty { return "cần nhập \(missing.map(title).joined(separator: ", ")) rồi gửi lại" }
        let shownGiven = read.filter { !absent($0) }.map { said($0, data[$0]!, definition: definition) }
        // What each branch still lacks: fields left empty (asked for by name), and conditions the data does not meet.
        func lacks(_ b: Branch) -> (empty: [String], unmet: [Condition]) {
            var empty: [String] = []
            var unmet: [Condition] = []
            for c in b.conditions where !c.holds(data) {
                if absent(c.field) {
                    if !empty.contains(c.field) { empty.append(c.field) }
                } else {
                    unmet.append(c)
                }
            }
            return (empty, unmet)
        }
        // The branches a choice made in this form points to (an equality on a value the event gave holds: the grade
        // decided) are explained in full: «xuất sắc» refused says what «xuất sắc» needs, not how to record «không
        // hoàn thành». Otherwise the states the event comes nearest to (fewest things lacking).
        func selects(_ b: Branch) -> Bool {
            b.conditions.contains { given.contains($0.field) && ($0.op == .eq || $0.op == .in) && !absent($0.field) && $0.holds(data) }
        }
        let lacking = branches.map(lacks)
        func size(_ i: Int) -> Int { lacking[i].empty.count + lacking[i].unmet.count }
        let chosen = branches.indices.filter { selects(branches[$0]) }
        let nearest = branches.indices.map(size).min() ?? 0
        let candidates = chosen.isEmpty ? branches.indices.filter { size($0) == nearest } : chosen
        let unmet = lacking.map { l in
            l.unmet.map { condition($0, title, shown, data: data, label: label($0.field), type: definition.field($0.field)?.type) }
        }
        let head = "với số liệu đã nhập (\(shownGiven.joined(separator: ", "))) không chuyển được: "
        // A condition every branch lacks is what to mend (31 votes for of 30 members): said alone, not once per state.
        if branches.count > 1, let first = unmet.first {
            let shared = first.filter { c in unmet.allSatisfy { $0.contains(c) } }
            if !shared.isEmpty { return head + "trong mọi trường hợp cần \(shared.joined(separator: " và "))" }
        }
        let ways = candidates.map { i -> String in
            let to = definition.state(branches[i].to)?.displayTitle ?? branches[i].to
            var need = unmet[i]
            let empty = lacking[i].empty
            if !empty.isEmpty { need.insert("nhập \(empty.map(title).joined(separator: ", "))", at: 0) }
            return need.isEmpty ? "sang «\(to)»" : "để sang «\(to)» cần \(need.joined(separator: " và "))"
        }
        return head + ways.joined(separator: "; ")
    }

    /// A guard's condition for people, in words rather than a formula's signs: `«Số tán thành» từ 2/3 «Số đảng viên
    /// chính thức» trở lên`, `«Điểm» dưới 50`, `«Ngày nhận quyết định» từ 01/01/2000 trở đi`, `«Lý do» đã điền`.
    /// `type`: the compared field's, which words a date's order as time. With the data given, a whole-number field
    /// compared with another whole number says the bound it comes to: `(tức từ 6 trở lên)` for 2/3 of 9, so that a chi
    /// bộ's secretary need not work out two thirds.
    static func condition(
        _ c: Condition, _ title: (String) -> String, _ shown: (Value) -> String, data: InstanceData? = nil,
        label: (String) -> String = { $0 }, type: FieldType? = nil
    ) -> String {
        let inTime = type == .date || type == .datetime
        if let o = c.other {
            let times = o.numerator == o.denominator ? "" : "\(o.numerator)/\(o.denominator) "
            var bound = ""
            // Only a whole number has a whole bound: 19.5 passes «dưới 2/3 của 30» though «tối đa 19» would say not.
            if type == .integer, case .integer(let y)? = data?[o.field], let b = wholeBound(c.op, y, o.numerator, o.denominator) {
                bound = " (tức \(b))"
            }
            return "\(title(c.field)) \(compared(c.op, times + title(o.field), inTime: inTime))\(bound)"
        }
        let values = c.values.map { v -> String in
            if case .text(let s) = v { return "«\(label(s))»" }
            if case .boolean = v { return "«\(shown(v))»" }
            return shown(v)
        }
        switch c.op {
        case .ne where c.values == [.text("")]: return "\(title(c.field)) đã điền"
        case .eq where c.values == [.text("")]: return "\(title(c.field)) để trống"
        case .in: return "\(title(c.field)) là một trong: \(values.joined(separator: ", "))"
        default: return "\(title(c.field)) \(compared(c.op, values.first ?? "", inTime: inTime))"
        }
    }

    /// A comparison with `operand` as people say it: `từ 50 trở lên`, `trên 50`, `không quá 30`, `dưới 50`, `là «tốt»`,
    /// `khác «tốt»`; for a date or a time (`inTime`), `từ 01/01/2000 trở đi`, `sau`, `không sau`, `trước`.
    static func compared(_ op: Condition.Op, _ operand: String, inTime: Bool = false) -> String {
        switch op {
        case .ge: return inTime ? "từ \(operand) trở đi" : "từ \(operand) trở lên"
        case .gt: return inTime ? "sau \(operand)" : "trên \(operand)"
        case .le: return inTime ? "không sau \(operand)" : "không quá \(operand)"
        case .lt: return inTime ? "trước \(operand)" : "dưới \(operand)"
        case .eq: return "là \(operand)"
        case .ne: return "khác \(operand)"
        case .in: return "là một trong: \(operand)"
        }
    }

    /// The whole numbers `x op (p/q)·y` allows, as one bound: `từ 6 trở lên` for `ge` 2/3 of 9; nil for `eq`/`ne`/`in`,
    /// or when the product does not fit.
    static func wholeBound(_ op: Condition.Op, _ y: Int, _ p: Int, _ q: Int) -> String? {
        guard q > 0, case (let n, false) = y.multipliedReportingOverflow(by: p) else { return nil }
        let floor = n >= 0 ? n / q : -((-n + q - 1) / q)
        let ceil = n >= 0 ? (n + q - 1) / q : -(-n / q)
        switch op {
        case .ge: return "từ \(ceil) trở lên"
        case .gt: return "từ \(floor + 1) trở lên"
        case .le: return "tối đa \(floor)"
        case .lt: return "tối đa \(ceil - 1)"
        default: return nil
        }
    }

    static func unknownMilestone(_ id: String, known: [String]) -> String {
        "không có mốc '\(sent(id))'\(vietnameseSuggestion(id, known))"
    }

    /// A name a request sent that names nothing here (an event, a milestone, a period): a refusal and its record in
    /// the instance's history quote at most 128 characters of it, control and invisible format characters written
    /// as `\u{…}` (a line break or a right-to-left override would change how the history reads). A name the
    /// workflow may have is unchanged.
    static func sent(_ name: String) -> String {
        (name.count > 128 ? String(name.prefix(128)) + "…" : name).loggable
    }

    static func missingRequires(_ title: String, _ missing: [String]) -> String {
        "chưa thể hoàn thành «\(title)»: còn thiếu \(missing.joined(separator: ", "))"
    }

    static func limitUnreadable(_ limit: String, error: String) -> String {
        "không đọc được số hồ sơ để kiểm tra giới hạn \(limit) (\(error)); chưa thay đổi gì, hãy thử lại"
    }

    static func limit(_ limit: String, group: String?, count: Int, max: Int) -> String {
        "vượt giới hạn \(limit)" + (group.map { " trong nhóm «\($0)»" } ?? "") + ": sẽ có \(count), tối đa \(max)"
    }
}
