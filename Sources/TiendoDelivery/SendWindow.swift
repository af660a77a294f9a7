public import TiendoCore

/// When a message may go out, on the working days of a workflow's calendar in the workflow's zone: the sending
/// hours of `QuietHours`, and the instants of digests.
public struct SendWindow: Sendable {
    public let calendar: WorkCalendar
    public let zone: Zone
    public let hours: QuietHours

    public init(calendar: WorkCalendar, zone: Zone, hours: QuietHours) {
        self.calendar = calendar
        self.zone = zone
        self.hours = hours
    }

    /// True when `t` is on a working day within the sending hours.
    public func allows(_ t: Instant) -> Bool {
        let (date, second) = zone.local(t)
        return calendar.isWorkingDay(date) && second >= hours.start.minutes * 60 && second < hours.end.minutes * 60
    }

    /// The first instant at or after `t` when sending is allowed: `t` itself, the start of today's hours, or the
    /// start of the next working day's hours (nights, weekends, holidays; make-up Saturdays are working days).
    public func earliest(from t: Instant) -> Instant {
        if allows(t) { return t }
        let (date, second) = zone.local(t)
        if calendar.isWorkingDay(date), second < hours.start.minutes * 60 { return zone.instant(date, hours.start) }
        return zone.instant(calendar.roll(date.adding(days: 1), forward: true), hours.start)
    }

    /// When a notice written at `t` outside the sending hours goes: `earliest(from:)`, but not before a minute after
    /// `notices` (the workflow's `reminders.at`) on that day when that is within the hours and before `expires` (a
    /// reminder is worth nothing after its deadline). At that time the workflow writes the day's notices, and a newer
    /// one of the same deadline (an overdue notice repeated daily, the next reminder) replaces the held one; released
    /// at 07:30 it went out, and the 08:00 notice followed it half an hour later, every Monday and after every holiday.
    public func release(from t: Instant, notices: TimeOfDay?, expires: Instant? = nil) -> Instant {
        let e = earliest(from: t)
        guard e > t, let notices else { return e }
        let after = zone.instant(zone.date(of: e), notices).adding(seconds: 60)
        guard after > e, allows(after), expires.map({ after < $0 }) ?? true else { return e }
        return after
    }

    /// The digest a record at `t` belongs to: the first digest instant at or after `t` (`at` on a working day; for
    /// `week`, on the first working day of an ISO week), with the local date it is sent on.
    public func digestSlot(from t: Instant, schedule: DigestSchedule) -> (at: Instant, date: CivilDate) {
        let today = zone.date(of: t)
        switch schedule.every {
        case .day:
            var d = calendar.roll(today, forward: true)
            if zone.instant(d, schedule.at) < t { d = calendar.roll(d.adding(days: 1), forward: true) }
            return (zone.instant(d, schedule.at), d)
        case .week:
            var monday = today.adding(days: 1 - today.weekday)
            // A week without a working day (none in practice) has no digest: look at most a year ahead.
            for _ in 0..<54 {
                if let d = firstWorkingDay(ofWeek: monday), zone.instant(d, schedule.at) >= t {
                    return (zone.instant(d, schedule.at), d)
                }
                monday = monday.adding(days: 7)
            }
            return (zone.instant(monday, schedule.at), monday)
        }
    }

    func firstWorkingDay(ofWeek monday: CivilDate) -> CivilDate? {
        (0..<7).map { monday.adding(days: $0) }.first(where: calendar.isWorkingDay)
    }
}
