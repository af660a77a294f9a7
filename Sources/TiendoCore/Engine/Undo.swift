/// Undoing an operator's step recorded by mistake (an extension: README "Extensions to the contract").
///
/// The daemon keeps, with each instance's latest operator step (an event, or `done` for a milestone or an
/// occurrence), the instance as it was just before it. Undoing puts that instance back and advances it from the
/// step's instant to now: the result is the instance as it would be had the step never been recorded, with what
/// time did since (a timed transition of the state the step left, notices now due) done again by the engine's usual
/// rules. What the step and its consequences wrote stays in history, followed by an `undone` record.
public struct UndoneStep: Sendable, Hashable {
    /// The event undone (`done` for a milestone's completion).
    public var event: String
    /// For `done`: the milestone, `M` or `M@LABEL`.
    public var milestone: String?
    /// When the step was applied.
    public var at: Instant

    public init(event: String, milestone: String?, at: Instant) {
        self.event = event
        self.milestone = milestone
        self.at = at
    }
}

extension Engine {
    /// `before` (the instance just before `step`, as the daemon kept it) put back in place of `current` at `now`:
    /// returns the restored instance advanced to `now`, and its records, the `undone` record first.
    ///
    /// Notices are never sent twice (interfaces §1 "Timing rules"): a deadline that stayed open through the step (a
    /// milestone the step did not complete, the state when the step did not leave it) keeps the later of its two
    /// marks, so what was sent while the step was in force is not sent again; a state the step left takes `before`'s
    /// marks, as the state does.
    public func undo(current: Instance, before: Instance, step: UndoneStep, now: Instant, actor: Int?) -> (Instance, [Record]) {
        var restored = before
        var marks = before.marks
        let sameState = before.state == current.state && before.enteredAt == current.enteredAt
        for (key, mark) in current.marks where sameState || !Engine.isStateMark(key) {
            if let kept = marks[key], kept >= mark { continue }
            marks[key] = mark
        }
        restored.marks = marks
        let undone = Record(
            at: now, utcOffset: zone.offset(at: now), kind: .undone, workflow: program.id, instance: current.id,
            state: before.state, from: current.state, to: before.state, event: step.event,
            milestone: step.milestone.map { String($0.split(separator: "@", maxSplits: 1)[0]) },
            occurrence: step.milestone.flatMap { m in m.firstIndex(of: "@").map { String(m[m.index(after: $0)...]) } },
            priority: 5, group: program.group(of: before.data), actor: actor,
            message: undoneMessage(current: current, before: before, step: step),
            key: "\(current.id)|undone|\(step.at.seconds)|\(now.seconds)")
        let later = advanceFully(&restored, to: now)
        return (restored, [undone] + later)
    }

    /// A mark of the state's deadline: `""`, or `|rOFFSET` for one of its suppressed reminders.
    static func isStateMark(_ key: String) -> Bool { key.isEmpty || key.hasPrefix("|") }

    /// «Đã hoàn tác bước «Ghi kết quả biểu quyết» ghi lúc 09:00 ngày 02/03/2026 (dang-vien-du-bi/a): hồ sơ trở lại
    /// «Chờ chi bộ xét»», or for a milestone «Đã hoàn tác việc ghi hoàn thành «…» …».
    func undoneMessage(current: Instance, before: Instance, step: UndoneStep) -> String {
        let when = zone.vietnamese(step.at)
        if step.event == "done", let m = step.milestone {
            let parts = m.split(separator: "@", maxSplits: 1)
            let title = Messages.deadlineTitle(
                program.milestone(String(parts[0]))?.title ?? String(parts[0]), occurrence: parts.count > 1 ? String(parts[1]) : nil,
                due: nil)
            return "Đã hoàn tác việc ghi hoàn thành «\(title)» lúc \(when) (\(current.id)): việc này trở lại chưa xong"
        }
        let action = Messages.action(step.event, title: program.eventTitles[step.event])
        var text = "Đã hoàn tác bước \(action) ghi lúc \(when) (\(current.id))"
        if before.state != current.state || current.completed {
            text += ": hồ sơ trở lại «\(program.stateTitle(before.state))»"
        }
        return text
    }
}
