/// Date expressions evaluated for an instance, and the forms of a due (format §4, §10 "Calendar status").
extension Engine {
    /// Evaluates an expression for an instance; `provisional` is set when it looked at a projected year.
    func evaluate(_ e: DateExpression, _ inst: Instance, period: CivilDate? = nil, provisional: inout Bool) -> DateValue? {
        // The closure takes the data only: capturing the instance would copy it.
        let data = inst.data
        return e.evaluate(
            zone: zone, calendar: calendar, startedAt: inst.startedAt, enteredAt: inst.enteredAt, period: period,
            provisional: &provisional,
            fieldValue: { name in
                switch data[name] {
                case .date(let d): return .date(d)
                case .datetime(let t): return .instant(t)
                default: return nil
                }
            })
    }

    /// A deadline's due after `roll`, and whether it is provisional; nil while it reads an unset field.
    func dueValue(_ dl: ProgramDeadline, _ inst: Instance, period: CivilDate? = nil) -> (due: DateValue, provisional: Bool)? {
        var provisional = false
        guard let v = evaluate(dl.due, inst, period: period, provisional: &provisional) else { return nil }
        guard dl.roll != .none else { return (v, provisional) }
        let forward = dl.roll == .forward
        switch v {
        case .date(let d):
            let (r, p) = calendar.rollTracked(d, forward: forward)
            return (.date(r), provisional || p)
        case .instant(let t):
            let (d, s) = zone.local(t)
            let (nd, p) = calendar.rollTracked(d, forward: forward)
            let moved = nd == d ? v : .instant(zone.instant(nd, TimeOfDay(hour: s / 3600, minute: (s % 3600) / 60), second: s % 60))
            return (moved, provisional || p)
        }
    }

    /// The deadline instant: the end of the day for a date due.
    func end(of due: DateValue) -> Instant {
        switch due {
        case .date(let d): return zone.endOfDay(d)
        case .instant(let t): return t
        }
    }

    func dueDate(_ due: DateValue) -> CivilDate {
        switch due {
        case .date(let d): return d
        case .instant(let t): return zone.date(of: t)
        }
    }

    /// `Record.due`'s form: `YYYY-MM-DD` or an ISO instant with the zone's offset.
    func dueText(_ due: DateValue) -> String {
        switch due {
        case .date(let d): return d.iso
        case .instant(let t): return zone.iso(t)
        }
    }

    /// The due for people: `dd/mm/yyyy` (plus `HH:MM` for an instant due).
    func dueHuman(_ due: DateValue) -> String {
        switch due {
        case .date(let d): return d.vietnamese
        case .instant(let t): return zone.vietnamese(t)
        }
    }
}
