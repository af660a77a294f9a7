/// A calendar change applied to one running instance (format §10 "Calendar changes", rules 2–4).
extension Engine {
    /// Recomputes `inst` at `at` (the instant T of the change) after its calendar changed from `previousCalendar`
    /// (the one that produced its current dues) to this engine's calendar, and returns one `rescheduled` record per
    /// open deadline whose due (after `roll`) moved: the state's deadline, then milestones in file order, then
    /// occurrences oldest first (the caller orders instances by id).
    ///
    /// Pending `after` instants, reminders, provisional flags and the wake-up are not stored: they follow from the
    /// calendar at the next `advance`/`nextWakeup`; a timed transition now at or before T fires at the next advance
    /// with `late`. What is stored changes here: the notice marks (rule 4). For a moved deadline, every notice at or
    /// before T counts as handled (the record stands for it), its overdue notices count from the new due, and a
    /// reminder offset already sent is never sent again, wherever it falls now; for a deadline that did not move, a
    /// reminder already sent is not sent again either when its instant moved after the mark. History, sent notices,
    /// completions and series anchors do not move. Nothing happens to a completed instance.
    public func reschedule(_ inst: inout Instance, previousCalendar: WorkCalendar, at t: Instant, actor: Int? = nil) -> [Record] {
        guard !inst.completed else { return [] }
        let previous = Engine(definition.with(calendar: previousCalendar))
        let before = Dictionary(previous.reading(inst, .live) { $0.ordered }.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let hasSuppressed = inst.marks.keys.contains { $0.utf8.contains(UInt8(ascii: "|")) }
        let marks = inst.marks
        func suppressed(_ r: Notice, _ key: String) -> Bool {
            guard hasSuppressed, let o = r.offset else { return false }
            return marks[Engine.suppressionKey(key, o)] != nil
        }
        var out: [Record] = []
        for a in reading(inst, .live, { $0.ordered }) {
            guard let o = before[a.key] else { continue }
            let mark = inst.marks[a.key]
            let sent = previous.reminders(o.deadline, due: o.due, end: o.end, provisional: o.provisional).filter { r in
                suppressed(r, o.key) || (r.time >= o.activation && mark.map { r.time <= $0 } == true)
            }
            let oldText = dueText(o.due)
            let newText = dueText(a.due)
            let moved = oldText != newText
            let newMark = moved ? max(mark ?? t, t) : mark
            if let newMark { inst.marks[a.key] = newMark }
            for r in reminders(a.deadline, due: a.due, end: a.end, provisional: a.provisional) {
                guard let off = r.offset, sent.contains(where: { $0.offset == off }), newMark.map({ r.time > $0 }) ?? true else { continue }
                inst.marks[Engine.suppressionKey(a.key, off)] = t
            }
            guard moved else { continue }
            let title = Messages.deadlineTitle(a.title, occurrence: a.occurrence, due: newText)
            let message = Messages.rescheduled(
                title: title, instance: inst.id, oldText: dueHuman(o.due),
                newText: Messages.due(dueHuman(a.due), provisional: a.provisional), provisional: a.provisional)
            out.append(
                Record(
                    at: t, utcOffset: zone.offset(at: t), kind: .rescheduled, workflow: program.id, instance: inst.id,
                    state: inst.state, milestone: a.milestone, occurrence: a.occurrence, due: newText, previousDue: oldText,
                    daysLeft: dueDate(a.due).dayNumber - zone.date(of: t).dayNumber, priority: a.end < o.end ? 4 : 5,
                    provisional: a.provisional, group: program.group(of: inst.data), actor: actor, message: message,
                    key: "\(inst.id)|rescheduled|\(a.key.isEmpty ? "state:\(inst.state ?? "")" : a.key)|\(newText)|\(t.seconds)"))
        }
        return out
    }

    /// The mark saying a reminder offset of a deadline was sent before a calendar change (format §10 "Calendar
    /// changes", rule 4).
    static func suppressionKey(_ deadline: String, _ offset: Offset) -> String { "\(deadline)|r\(offset)" }
}
