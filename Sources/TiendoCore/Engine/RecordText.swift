/// How a record holds its message: written out, or written when read (`Record.message`).
enum RecordText: Sendable {
    case literal(String)
    /// From the record's fields and the titles of the definition that produced it.
    case lazy(Program)

    /// The engine's message for `r` (format of `Messages`), as it would have been written when `r` was made.
    static func message(of r: Record, _ p: Program) -> String {
        let id = r.instance ?? p.id
        let mark = r.provisional ? Messages.provisionalMark : ""
        switch r.kind {
        case .started:
            return Messages.started(workflowTitle: p.title, instance: id, stateTitle: p.state(r.state)?.title)
        case .transition:
            return Messages.transition(
                instance: id, fromTitle: p.stateTitle(r.from), toTitle: p.stateTitle(r.to), event: r.event,
                eventTitle: r.event.flatMap { p.eventTitles[$0] }, stays: r.from != nil && r.from == r.to)
                + mark
        case .completed:
            return Messages.completed(workflowTitle: p.title, instance: id) + mark
        case .milestoneDone:
            let title = Messages.deadlineTitle(
                p.milestone(r.milestone)?.title ?? r.milestone ?? "", occurrence: r.occurrence, due: r.due)
            return Messages.milestoneDone(title: title, instance: id, provisional: r.provisional)
        case .reminder, .overdue:
            let base = r.milestone.map { p.milestone($0)?.title ?? $0 } ?? r.state.map { p.state($0)?.taskTitle ?? $0 } ?? ""
            let title = Messages.deadlineTitle(base, occurrence: r.occurrence, due: r.due)
            let due = r.due ?? ""
            let dueText = Messages.due(human(due), provisional: r.dueProvisional)
            let daysLeft = r.daysLeft ?? 0
            if r.kind == .overdue {
                return Messages.overdue(title: title, instance: id, daysLeft: daysLeft, dueText: dueText, missed: r.missed)
            }
            // Hours and minutes left only matter on the due day.
            let secondsLeft = daysLeft > 0 ? 0 : end(of: due, p.zone).seconds - r.at.seconds
            return Messages.reminder(title: title, instance: id, daysLeft: daysLeft, dueText: dueText, secondsLeft: secondsLeft)
        case .rejected, .rescheduled, .undone:
            return ""
        }
    }

    /// `dd/mm/yyyy` for a date due, `HH:MM ngày dd/mm/yyyy` for an instant due (its local time, as its text has it),
    /// as Vietnamese documents write a deadline hour («17:00 ngày 01/02/2026»).
    static func human(_ due: String) -> String {
        let u = Array(due.utf8)
        guard u.count >= 10 else { return due }
        let date = String(decoding: u[8..<10] + [UInt8(ascii: "/")] + u[5..<7] + [UInt8(ascii: "/")] + u[0..<4], as: UTF8.self)
        guard u.count >= 16 else { return date }
        return String(decoding: u[11..<16], as: UTF8.self) + " ngày " + date
    }

    /// The deadline instant of a due in `Record.due`'s form: the end of the day for a date due.
    static func end(of due: String, _ zone: Zone) -> Instant {
        if let d = CivilDate.parse(due) { return zone.endOfDay(d) }
        return Zone.utc.parseInstant(due) ?? .distantPast
    }

    /// `Record.key`.
    static func key(of r: Record) -> String? {
        let id = r.instance ?? r.workflow
        let deadline = r.milestone.map { m in r.occurrence.map { "\(m)@\($0)" } ?? m }
        switch r.identity {
        case .none: return nil
        case .literal(let k): return k
        case .reminder, .overdue:
            return noticeKey(instance: id, r.milestone, r.occurrence, state: r.state, due: r.due, r.identity)
        case .derived:
            switch r.kind {
            case .transition: return "\(id)|transition|\(r.from ?? "")>\(r.to ?? "")|\(r.at.seconds)"
            case .completed: return "\(id)|completed|\(r.at.seconds)"
            case .milestoneDone: return "\(id)|done|\(deadline ?? "")|\(r.at.seconds)"
            case .rescheduled: return "\(id)|rescheduled|\(deadline ?? "state:\(r.state ?? "")")|\(r.due ?? "")|\(r.at.seconds)"
            default: return nil
            }
        }
    }

    /// A notice's key: `instance|deadline|rOFFSET|` or `instance|deadline|kN|DUE`.
    static func noticeKey(
        instance: String, _ milestone: String?, _ occurrence: String?, state: String?, due: String? = nil, _ identity: RecordIdentity
    ) -> String? {
        func deadline(_ entered: Int64) -> String {
            milestone.map { m in occurrence.map { "\(m)@\($0)" } ?? m } ?? "state:\(state ?? "")@\(entered)"
        }
        switch identity {
        case .reminder(let offset, let entered): return "\(instance)|\(deadline(entered))|r\(offset)|"
        case .overdue(let k, let entered): return "\(instance)|\(deadline(entered))|k\(k)|\(due ?? "")"
        default: return nil
        }
    }
}

/// What `Record.key` is written from.
enum RecordIdentity: Sendable {
    case none
    case literal(String)
    /// From the record's fields alone (transition, completed, milestone-done, rescheduled).
    case derived
    /// A reminder of offset `Offset`; `entered` names a state's deadline (`state:S@ENTERED`).
    case reminder(Offset, entered: Int64)
    /// Overdue notice k.
    case overdue(Int, entered: Int64)
}
