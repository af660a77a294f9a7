import TiendoCore
import TiendoVarlink

/// The content of one record's page.
struct RecordView {
    var instance: Manager.Instance
    /// The timed transition the instance takes next if nothing else happens first.
    var transition: Extras.TimedTransition?
    var history: [Manager.Record]
    var catalog: Catalog
    var account: Account
    var context: WebContext
    /// A refused step's form as it was filled (`WebSession.Flash.typed`).
    var typed: [String: String] = [:]
    /// The records to open next from this one in its state (`FollowUpView`).
    var followUps: [FollowUpView.Offer] = []
    /// The latest step, when it can be undone (`UndoView`).
    var undo: Extras.UndoableStep?
    /// How each open deadline's due is counted, in words, by its key (`Extras.InstanceEntry.bases`).
    var bases: [String: String] = [:]
    /// The accounts ever given a full name, by sign-in name (`AccountStore.named`): who recorded a step, by the name
    /// in force then.
    var people: [String: Account] = [:]
    /// Which page of the history is shown, from 0 (the newest records); `historyPageSize` records a page.
    var historyPage = 0

    /// Records on one page of the history: a member's record over years of monthly fees holds thousands, and a page
    /// listing them all took seconds to draw on a phone.
    static let historyPageSize = 300

    var workflow: Extras.WorkflowInfo? { catalog[instance.workflow] }
    /// `catalog` holds the version of the workflow the record runs, not the one in force (`InstanceEntry.definition`).
    var ownVersion = false
    var mayAct: Bool { account.role.mayAct }

    var body: HTML {
        let i = instance
        let state: HTML =
            i.state.flatMap { catalog.stateTitle(i.workflow, $0) }.map {
                // A screen reader's list of headings read «Nguyễn Thị Hà Chờ nộp hồ sơ» as one name.
                "<span class=\"sr-only\"> — trạng thái:</span> <span class=\"badge\">\($0)</span>"
            } ?? .empty
        let done: HTML = i.completed ? " <span class=\"badge ok\">Hồ sơ đã hoàn thành</span>" : .empty
        let stale: HTML =
            i.stale ? " <span class=\"badge warn\" title=\"Hồ sơ chạy theo phiên bản quy trình cũ\">bản quy trình cũ</span>" : .empty
        // The page reads the version the record runs (`catalog` holds it): say so, as its steps may differ from the
        // ones new records of the workflow have.
        let staleNote: HTML =
            ownVersion && !i.completed
            ? "<p class=\"muted\">Quy trình này đã được sửa sau khi hồ sơ bắt đầu; hồ sơ vẫn đi theo phiên bản cũ của quy trình (các trạng thái, các bước và thời hạn dưới đây là của phiên bản ấy) cho tới khi xong.</p>"
            : .empty
        return """
            <p class="muted small no-print"><a href="/ho-so?quy-trinh=\(i.workflow)">\(catalog.title(i.workflow))</a> › \(i.id)</p>
            <h1>\(catalog.label(of: i)) \(state)\(done)\(stale)</h1>
            \(staleNote)
            \(guidance)
            <div class="grid2">
            <section><h2>Thông tin</h2>\(facts)</section>
            <section class="open-deadlines"><h2>Các hạn đang mở</h2>\(deadlines)</section>
            </div>
            \(milestones)
            \(events)
            \(UndoView(step: undo, instance: i, catalog: catalog, account: account, context: context, people: people).section)
            \(FollowUpView.section(followUps, instance: i, catalog: catalog, account: account))
            <section id="lich-su"><h2>Lịch sử</h2>\(timeline)</section>
            """
    }

    var facts: HTML {
        let i = instance
        var rows: [(String, String)] = [("Mã hồ sơ", i.id), ("Quy trình", catalog.title(i.workflow))]
        if let s = i.state { rows.append(("Trạng thái", catalog.stateTitle(i.workflow, s) ?? s)) }
        rows.append(("Bắt đầu theo dõi", Format.moment(i.startedAt)))
        if i.state != nil { rows.append(("Vào trạng thái này", Format.moment(i.enteredAt))) }
        let fields = workflow?.fields ?? []
        // Every field with its title, the group's too (a chi bộ, or for an election a province: its own title says).
        for (name, value) in i.data.objectValue ?? [] {
            let f = fields.first { $0.name == name }
            // An enum's value by its title («Tạm thời», not `tam-thoi`) where the workflow gives one.
            let shown = Format.value(value, field: f)
            rows.append((f?.displayTitle ?? name, shown))
        }
        return "<dl class=\"data\">\(rows.map { r -> HTML in "<dt>\(r.0)</dt><dd>\(r.1)</dd>" })</dl>"
    }

    var deadlines: HTML {
        let open = instance.deadlines ?? []
        guard !open.isEmpty else {
            return instance.completed
                ? "<p class=\"muted\">Hồ sơ đã hoàn thành; không còn hạn nào.</p>"
                : "<p class=\"muted\">Không có hạn nào đang mở.</p>\(nextTransition)"
        }
        let rows: [HTML] = open.map { d in
            let owner =
                d.milestone.map { _ in d.occurrence == nil ? "mốc" : "mốc định kỳ" }
                ?? "hạn của trạng thái hiện tại"
            // How the day was counted, so that whoever must meet it can check it (a meeting's day typed or not moves it).
            let basis: HTML =
                Extras.InstanceEntry.basis(bases, of: d).map { "<br><span class=\"muted small basis\">Cách tính hạn: \($0)</span>" }
                ?? .empty
            return """
                <tr class="\(d.overdue ? "overdue" : "")"><td class="due">\(DueTable.due(d))</td><td class="left">\(DueTable.daysBadge(d))</td><td class="what">\(DueTable.what(d))<br><span class="muted small">\(owner)</span>\(basis)</td></tr>
                """
        }
        return
            "<table class=\"deadlines\"><thead><tr><th>Hạn</th><th>Còn lại</th><th>Việc</th></tr></thead><tbody>\(rows)</tbody></table>\(nextTransition)"
    }

    /// What happens next by itself, when the state has a timed transition (`RecordView.transitionSentence`).
    var nextTransition: HTML {
        guard let t = transition, let sentence = RecordView.transitionSentence(t, workflow: instance.workflow, catalog: catalog) else {
            return .empty
        }
        let late = Format.zone.parseInstant(t.at).map(catalog.hasCome) ?? false
        return "<p class=\"next-transition\(late ? " late" : "")\">\(sentence)</p>"
    }

    /// «Ngày 11/02/2026 hồ sơ tự chuyển sang «Chờ chi bộ xét công nhận chính thức», hạn của trạng thái đó
    /// 26/03/2026.» (with the time unless 00:00, and «(dự kiến)» after a date computed through a year whose calendar
    /// is not yet published). A transition already due but not yet taken (tiendod still catching up, after a stop or
    /// in the nation's morning burst) says so instead of giving a date in the past as if it were to come.
    static func transitionSentence(_ t: Extras.TimedTransition, workflow: String, catalog: Catalog) -> String? {
        guard let at = Format.zone.parseInstant(t.at) else { return nil }
        let (day, seconds) = Format.zone.local(at)
        let to = catalog.stateTitle(workflow, t.to) ?? t.to
        // Midnight, when `after` rules fire, is the day alone; another hour «lúc 08:30 ngày 05/02/2027».
        let when =
            (seconds == 0 ? "ngày \(day.vietnamese)" : "lúc \(Format.zone.vietnamese(at))") + (t.provisional == true ? " (dự kiến)" : "")
        let due = t.due.map { Messages.upcomingDue(Format.due($0, provisional: t.dueProvisional), title: t.dueTitle, stateTitle: to) }
        if catalog.hasCome(at) {
            return "Đã đến lúc hồ sơ tự chuyển sang «\(to)» (từ \(when)) nhưng chưa chuyển: tiendod đang xử lý các việc đến hạn, "
                + "hãy tải lại trang sau ít phút.\(due.map { " Sau khi chuyển, \($0)." } ?? "")"
        }
        return "\(when.prefix(1).uppercased())\(when.dropFirst()) hồ sơ tự chuyển sang «\(to)»\(due.map { ", \($0)" } ?? "")."
    }

    var milestones: HTML {
        guard !instance.milestones.isEmpty else { return .empty }
        let today = catalog.today
        let rows: [HTML] = instance.milestones.map { m in
            let info = workflow?.milestone(m.id)
            let basis: HTML = info?.basis.map { "<br><span class=\"muted small\">Căn cứ: \(RecordView.basis($0))</span>" } ?? .empty
            let recurring: HTML =
                m.every.map { every in
                    // How many periods are open and how many of them late, then which one the due beside is of.
                    let late = (instance.deadlines ?? []).filter { $0.milestone == m.id && $0.occurrence != nil && $0.overdue }.count
                    let open = m.openCount.map { ", \($0) kỳ đang mở" + (late > 0 ? " (\(late) kỳ quá hạn)" : "") } ?? ""
                    let which = m.occurrence.map { " (hạn ghi ở đây là của kỳ \(Format.occurrence($0, due: m.due)))" } ?? ""
                    return "<br><span class=\"muted small\">Định kỳ \(Format.every(every))\(open)\(which)</span>"
                } ?? .empty
            let requires: HTML =
                m.requires.isEmpty
                ? .empty
                : "<br><span class=\"muted small\">Cần hoàn thành trước: \(m.requires.map { "«" + (workflow?.milestone($0)?.title ?? $0) + "»" }.joined(separator: ", "))</span>"
            let status: HTML
            if m.done {
                status = "<span class=\"badge ok\">Đã xong\(m.doneAt.map { " " + Format.moment($0) } ?? "")</span>"
            } else if m.due.isEmpty {
                status = "<span class=\"muted\">Chưa có hạn</span>"
            } else {
                let left = Format.civilDate(m.due).map { $0.dayNumber - today.dayNumber } ?? 0
                // Coloured as the deadlines above and the agenda colour it: due within three days stands out.
                status =
                    "<span class=\"badge \(m.overdue ? "bad" : left <= 3 ? "warn" : "")\">\(Format.days(left, overdue: m.overdue))</span>"
            }
            let target = Format.milestone(m.id, occurrence: m.every != nil ? m.occurrence : nil) ?? m.id
            let period = m.every != nil ? " kỳ \(m.occurrence.map { Format.occurrence($0, due: m.due) } ?? "")" : ""
            // One waiting for another not done has no button: tiendod would refuse it; what it waits for is said.
            let awaited = m.done || m.due.isEmpty ? nil : RecordPage.awaited(m.id, of: instance)
            let action: HTML =
                mayAct && awaited != nil
                ? "<span class=\"muted small waiting\">Ghi được sau khi \(awaited ?? "") đã hoàn thành</span>"
                : mayAct && !m.done && !m.due.isEmpty
                    ? """
                    <form method="post" class="inline" data-confirm="Ghi nhận «\(m.title)»\(period) đã xong?">\(Layout.csrf(context))
                    <input type="hidden" name="hanh-dong" value="xong"><input type="hidden" name="moc" value="\(target)"><input type="hidden" name="han" value="\(m.due)">
                    <button class="done">Đánh dấu đã xong\(period)</button></form>
                    """ : .empty
            let due: HTML = m.due.isEmpty ? "—" : DueTable.due(m.due, provisional: m.provisional)
            return """
                <tr class="\(m.overdue && !m.done ? "overdue" : "")" id="moc-\(m.id)"><td class="what">\(m.title)\(basis)\(recurring)\(requires)</td><td class="due">\(due)</td><td>\(status)</td><td class="act no-print">\(action)</td></tr>
                """
        }
        return """
            <section><h2>Các mốc</h2><table class="milestones"><thead><tr><th>Mốc</th><th>Hạn</th><th>Tình trạng</th><th class="no-print"><span class="sr-only">Thao tác</span></th></tr></thead>
            <tbody>\(rows)</tbody></table></section>
            """
    }

    var events: HTML {
        guard mayAct, !instance.completed, let state = instance.state.flatMap({ workflow?.state($0) }), !state.final, !state.events.isEmpty
        else {
            return .empty
        }
        // A chi bộ's account records the chi bộ's own steps; a decision above it (`office_events`: the đảng ủy's
        // grade, the committee's recognition) is recorded by the ward's office, and said so here.
        let (mine, office) = (state.events.filter(account.mayRecord), state.events.filter { !account.mayRecord($0) })
        // The state's first step in the file, its usual way on, stands out; the others (a removal, a cancellation, a
        // return for more) are plain buttons, so that «Đã có quyết định xóa tên» does not look like the recognition beside it.
        let usual = state.events.first?.name
        // Two steps may ask for the same field (a meeting's day for a pass and for a fail): each box needs an id of its
        // own, or the second form's label (`for`) focuses the first form's box. The first keeps `f-FIELD`.
        var ids: Set<String> = []
        let forms: [HTML] = mine.map { e in
            var seen: Set<String> = []
            // A step that records a fact and leaves the record where it is (a meeting's day typed again) says so, not
            // «→ sang» the step it is already at.
            let stays = e.targets.contains(state.id)
            let targets = e.targets.filter { $0 != state.id && seen.insert($0).inserted }.map {
                "«" + (workflow?.state($0)?.title ?? $0) + "»"
            }
            let whither = RecordView.whither(targets + (stays && !targets.isEmpty ? ["vẫn ở bước này"] : []))
            // The button says what is done (the event's title); where the record goes is said beside it. Without a
            // title, the destination is all there is to say.
            let label = e.title ?? (targets.isEmpty ? "Ghi lại (hồ sơ vẫn ở bước này)" : "Chuyển sang \(whither)")
            let beside: HTML =
                e.title == nil
                ? .empty
                : targets.isEmpty
                    ? " <span class=\"muted small\">(hồ sơ vẫn ở bước này)</span>"
                    : " <span class=\"muted small\">→ sang \(whither)\(targets.count + (stays ? 1 : 0) > 1 ? " tùy thông tin nhập" : "")</span>"
            let confirm =
                targets.isEmpty
                ? "\(e.title ?? label) (hồ sơ vẫn ở bước này)?" : e.title.map { "\($0) (chuyển sang \(whither))?" } ?? "\(label)?"
            // A step whose destination depends on what is typed: its confirmation names every box, the empty ones
            // too, so that a score left out is seen before the record goes to «Không đạt» (`typedLines`).
            let branches = HTML.flag("data-branches", targets.count + (stays ? 1 : 0) > 1)
            let refilled = typed["su-kien"] == e.name ? typed : [:]
            let inputs: [HTML] = e.fields.map { name in
                let id = ids.insert("f-\(name)").inserted ? "f-\(name)" : "f-\(name)--\(e.name)"
                return input(
                    for: name, id: id, required: e.required.contains(name), typed: refilled[name],
                    invalid: refilled[RecordPage.refusedField] == name)
            }
            return """
                <form method="post" class="event" data-confirm="\(confirm)"\(branches)>\(Layout.csrf(context))
                <input type="hidden" name="hanh-dong" value="su-kien"><input type="hidden" name="su-kien" value="\(e.name)">
                <input type="hidden" name="khoa" value="\(Sessions.token())"><input type="hidden" name="\(StepVersion.field)" value="\(StepVersion.of(instance))">
                \(inputs)<button type="submit"\(HTML.flag("class=\"primary\"", e.name == usual))>\(label)</button>\(beside)</form>
                """
        }
        let heading: HTML = "Bước tiếp theo <span class=\"muted small\">(từ trạng thái «\(state.title)»)</span>"
        let byOffice: HTML =
            office.isEmpty
            ? .empty
            : "<p class=\"muted office-events\">Văn phòng Đảng ủy ghi: \(office.map { "«" + ($0.title ?? $0.name) + "»" }.joined(separator: ", ")) (quyết định của cấp trên chi bộ).</p>"
        return "<section class=\"no-print\"><h2>\(heading)</h2>\(forms)\(byOffice)</section>"
    }

    /// What the file says of the current state (what to do in it, its legal basis), under the title, for every reader
    /// (a viewer too, and in a state that only waits for a date), its confidence marks in words.
    var guidance: HTML {
        guard let s = instance.state, let description = workflow?.state(s)?.description else { return .empty }
        // Open, as the filters are: on a phone the script folds it under its summary, since the text (with its
        // citations) filled the whole first screen above the record's deadlines and buttons.
        return """
            <details class="guidance no-print" open><summary>Quy định ở bước này và căn cứ</summary><p class="guidance">\(RecordView.basis(description))</p></details>
            """
    }

    /// «A», «A» hoặc «B», «A», «B» hoặc «C».
    static func whither(_ targets: [String]) -> String {
        guard targets.count > 1 else { return targets.first ?? "" }
        return targets.dropLast().joined(separator: ", ") + " hoặc " + targets.last!
    }

    /// A form control for a field an event's guards read, typed as the workflow declares it; one every branch reads
    /// is required (marked `*`), so the browser asks for it before tiendod has to refuse. It starts empty: an event
    /// brings new facts (a second vote's counts are not the first's, and typing into a filled box appends to it);
    /// the value the record holds is shown beside the title. Posted as `f-FIELD` whatever its element's `id`.
    func input(for name: String, id: String, required: Bool = false, typed: String? = nil, invalid: Bool = false) -> HTML {
        let f = workflow?.field(name)
        let held = instance.data[name].flatMap { $0.isNull ? nil : $0 }.map { Format.value($0, field: f) }
        let mark: HTML = required ? " <span class=\"required\">*</span>" : .empty
        let before = held.map { RecordView.held($0, required: required) } ?? .empty
        let control = FieldControls.control(f, id: id, name: "f-\(name)", current: typed ?? "", required: required, invalid: invalid)
        let title = f?.displayTitle ?? name
        // What an empty box keeps, for the confirmation of a step that branches on it (`typedLines` in `Assets`).
        let keeps: HTML = held.map { required ? .empty : " data-held=\"\($0)\"" } ?? .empty
        // The words in one box: the label's column would put the `*` on a line of its own.
        return
            "<label for=\"\(id)\" data-title=\"\(title)\"\(keeps)><span>\(title)\(mark)\(RecordView.range(f, in: workflow))\(before)</span>\(control)</label>"
    }

    /// The value a record holds for a field of a step's form, beside its title. A box left empty keeps an optional
    /// field's value (a meeting's day typed with a failed vote still counts for the next one): said, so that nobody
    /// takes the empty box for «not recorded». A required field is always typed anew.
    static func held(_ value: String, required: Bool) -> HTML {
        " <span class=\"muted small\">(đang ghi: \(value)\(required ? "" : "; để trống thì giữ nguyên"))</span>"
    }

    /// A legal basis as officers read it: the confidence marks the workflows' authors keep in it (`[H]` two sources
    /// or the text itself, `[M]` one source, `[L]` an inference, `[UNCONFIRMED]` not found in any source read, as the
    /// domain reference marks them) said in words,
    /// so that a citation checked against one source only does not read as settled.
    static func basis(_ text: String) -> HTML {
        HTML.join(
            ConfidenceMarks.pieces(text).flatMap { p -> [HTML] in
                guard let m = p.mark, let w = ConfidenceMarks.words[m], !w.short.isEmpty else { return ["\(p.text)"] }
                return ["\(p.text)", "<span class=\"provisional\" title=\"\(w.why)\">(\(w.short))</span>"]
            })
    }

    /// The bounds a number field accepts, or the days a date field does, beside its title, so that nobody learns them
    /// from a refusal: « (0–100)», « (từ 0 trở lên)», « (tối đa 100)», « (không trước «Ngày chi bộ họp, ra nghị quyết»)».
    static func range(_ f: Extras.FieldInfo?, in workflow: Extras.WorkflowInfo?) -> String {
        let low = f?.min.map { Format.value(.double($0)) }
        let high = f?.max.map { Format.value(.double($0)) }
        switch (low, high) {
        case (let l?, let h?): return " (\(l)–\(h))"
        case (let l?, nil): return " (từ \(l) trở lên)"
        case (nil, let h?): return " (tối đa \(h))"
        default:
            // A date box's form in the label, in Vietnamese: its placeholder goes as soon as one types, and its example
            // (the `title`) shows only to a mouse.
            let parts = [f.flatMap(typedForm), f.flatMap { days($0, in: workflow) }].compactMap { $0 }
            return parts.isEmpty ? "" : " (" + parts.joined(separator: "; ") + ")"
        }
    }

    /// How a date or datetime box is typed, as its label says it; nil for other types.
    static func typedForm(_ f: Extras.FieldInfo) -> String? {
        switch f.type {
        case "date": "ngày/tháng/năm, ví dụ 05/03/2026"
        case "datetime": "ngày/tháng/năm giờ:phút, ví dụ 05/03/2026 08:00"
        default: nil
        }
    }

    /// The days a date or datetime field takes, as people say them (`max: today`, `min: {field: OTHER}`): «từ hôm nay
    /// trở về trước», «không trước «Ngày chi bộ họp, ra nghị quyết»», both «không trước «…», không sau hôm nay»; nil
    /// for any day.
    static func days(_ f: Extras.FieldInfo, in workflow: Extras.WorkflowInfo?) -> String? {
        let other = f.notBefore.map { "«" + (workflow?.field($0)?.displayTitle ?? $0) + "»" }
        switch (other, f.notAfterToday) {
        case (let o?, true): return "không trước \(o), không sau hôm nay"
        case (let o?, false): return "không trước \(o)"
        case (nil, true): return Messages.notAfterToday
        case (nil, false): return nil
        }
    }

    /// When a record written after its time was written: at the record's start (added or imported with a deadline
    /// already near or past: nobody was late), or later than planned (tiendod was stopped). «trễ 40 ngày» read as the
    /// chi bộ's lateness. A start dated before the day it was entered says when it was entered. Empty for a record
    /// written on time (within a minute). Not «bắt đầu theo dõi», which the record's facts use for its start date
    /// (05/01/2026 for a record entered on 02/03/2026).
    static func written(_ r: Manager.Record, startWritten: Instant?) -> HTML {
        guard let l = r.late, l >= 60, let at = Format.zone.parseInstant(r.at) else { return .empty }
        let written = at.adding(seconds: Int64(l))
        if r.kind == .started {
            return " <span class=\"muted small\">(ghi vào hệ thống lúc \(Format.zone.vietnamese(written)))</span>"
        }
        if let start = startWritten, written.seconds <= start.seconds + 5 {
            return " <span class=\"muted small\">(ghi khi hồ sơ được đưa vào hệ thống, lúc \(Format.zone.vietnamese(written)))</span>"
        }
        return
            " <span class=\"muted small\">(hệ thống ghi lúc \(Format.zone.vietnamese(written)), chậm \(Messages.span(seconds: l)) so với lịch)</span>"
    }

    /// The positions in `history` of the steps later undone: an undo undoes the latest operator step before it (an
    /// event's transition, or a milestone marked done), each step at most once.
    static func undoneSteps(_ history: [Manager.Record]) -> Set<Int> {
        var out: Set<Int> = []
        for (j, r) in history.enumerated() where r.kind == .undone {
            let step = history[..<j].lastIndex { s in (s.kind == .transition && s.event != nil) || s.kind == .milestoneDone }
            if let step { out.insert(step) }
        }
        return out
    }

    var timeline: HTML {
        guard !history.isEmpty else { return "<p class=\"muted\">Chưa có bản ghi nào.</p>" }
        // Newest first by the time each record is about (a notice is dated when it fell due, which for a record
        // imported late is before its start), in recording order among equal times.
        let ordered = history.enumerated().map { (Format.zone.parseInstant($0.element.at)?.seconds ?? 0, $0.offset, $0.element) }
            .sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 > $1.1 }.map { ($0.1, $0.2) }
        let size = RecordView.historyPageSize
        let pages = (ordered.count + size - 1) / size
        // A page past the last (an address kept while records were undone, or typed by hand) shows the last.
        let page = min(historyPage, pages - 1)
        let shown = ordered[(page * size)..<min(ordered.count, (page + 1) * size)]
        let undone = RecordView.undoneSteps(history)
        // When the record's start was written: its instant, and its `late` when dated before it was entered (records
        // entered with a tiendod from before 12/2026 carry none: their catch-up notices still say «chậm … so với lịch»).
        let startWritten = history.first { $0.kind == .started }.flatMap { s in
            Format.zone.parseInstant(s.at).map { $0.adding(seconds: Int64(s.late ?? 0)) }
        }
        // Every record here is this one's: named as the page names it («Vi Văn Tên»), not by its code, which
        // tiendod's messages carry for the journal and the terminal.
        let label = catalog.label(of: instance)
        func said(_ message: String) -> String {
            label == instance.id ? message : message.replacingOccurrences(of: instance.id, with: "«\(label)»")
        }
        let items: [HTML] = shown.map { offset, r in
            let cls: String
            switch r.kind {
            case .overdue: cls = "overdue"
            case .rejected: cls = "rejected"
            case .undone: cls = "undone"
            case .milestoneDone, .completed: cls = "done"
            default: cls = ""
            }
            let who: HTML =
                r.actorName.map { name -> HTML in
                    // When the step was written (a start dated earlier was entered `late` seconds after its `at`).
                    let written = Format.zone.parseInstant(r.at).map { $0.adding(seconds: Int64(r.late ?? 0)) }
                    guard let written, let full = people[name]?.fullName(at: written) else {
                        return " <span class=\"badge\" title=\"Người thực hiện\">\(name)</span>"
                    }
                    return " <span class=\"badge\" title=\"Người thực hiện (tài khoản \(name))\">\(full)</span>"
                }
                ?? r.actor.map { uid -> HTML in
                    let who = uid == 0 ? "cán bộ kỹ thuật" : "tài khoản máy chủ số \(uid)"
                    return " <span class=\"muted small\">(\(who) ghi trực tiếp trên máy chủ)</span>"
                } ?? .empty
            // After the sentence; with the time instead when only the time is provisional (`dueCertain`: its due is
            // known).
            let mark: HTML = r.provisional == true ? " <span class=\"provisional\">(dự kiến)</span>" : .empty
            let (timeMark, provisional) = r.dueCertain == true ? (mark, HTML.empty) : (HTML.empty, mark)
            let late = RecordView.written(r, startWritten: startWritten)
            let undoneMark: HTML =
                undone.contains(offset)
                ? " <span class=\"badge warn\" title=\"Bước này đã được hoàn tác (xem bản ghi Hoàn tác)\">đã hoàn tác</span>" : .empty
            return
                "<li class=\"\(cls)\"><time datetime=\"\(r.at)\">\(Format.moment(r.at))</time>\(timeMark)<b>\(Format.kind(of: r))</b>\(undoneMark)\(who)\(late)<br>\(said(r.message))\(provisional)</li>"
        }
        let place = pager(page: page, pages: pages, total: ordered.count)
        return "\(place)<ol class=\"timeline\">\(items)</ol>\(place)"
    }

    /// Where a page of the history lies among the others, with links to the newer and older pages (none when one
    /// page holds it all).
    func pager(page: Int, pages: Int, total: Int) -> HTML {
        guard pages > 1 else { return .empty }
        let size = RecordView.historyPageSize
        func link(_ p: Int) -> String { DueTable.recordLink(instance.id) + (p == 0 ? "" : "?lich-su=\(p + 1)") + "#lich-su" }
        let newer: HTML = page > 0 ? " <a class=\"no-print\" href=\"\(link(page - 1))\">← Mới hơn</a>" : .empty
        let older: HTML = page < pages - 1 ? " <a class=\"no-print\" href=\"\(link(page + 1))\">Cũ hơn →</a>" : .empty
        let first = page * size + 1
        let last = min(total, (page + 1) * size)
        return
            "<p class=\"pager history\"><span>Bản ghi \(Format.count(first))–\(Format.count(last)) trong \(Format.count(total)), mới nhất trước (trang \(page + 1)/\(pages)).</span>\(newer)\(older)</p>"
    }
}
