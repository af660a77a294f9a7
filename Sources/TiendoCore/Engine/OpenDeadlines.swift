/// An open deadline of an instance, as operators see it (agenda, status, `Instance.next`).
public struct OpenDeadline: Sendable, Hashable {
    /// `""` for the current state's deadline, else the milestone id.
    public var key: String
    public var title: String
    public var milestone: String?
    public var state: String?
    /// `YYYY-MM-DD` for a date due, ISO 8601 with the zone offset for an instant due (after `roll`).
    public var due: String
    /// The deadline instant: the end of the day for a date due.
    public var end: Instant
    /// The local date of the due, for `daysLeft`.
    public var dueDate: CivilDate
}

extension Engine {
    /// Deadlines in force now: the state's (unless final) and open milestones (unless in a final state).
    public func openDeadlines(_ inst: Instance) -> [OpenDeadline] {
        activeDeadlines(inst).map { a in
            let text: String
            switch a.due {
            case .date(let d): text = d.iso
            case .instant(let t): text = zone.iso(t)
            }
            return OpenDeadline(
                key: a.key, title: a.title, milestone: a.milestone, state: inst.state, due: text, end: a.end, dueDate: dueDate(a.due))
        }
    }
}
