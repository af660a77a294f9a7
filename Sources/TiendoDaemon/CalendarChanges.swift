import Foundation
import TiendoCore
import TiendoStore

/// The calendars in force and their changes (format §10 "Calendar changes"): calendars are law, not part of a
/// workflow's version, so the daemon keeps the content of each one in force with its state and, when a calendar file
/// that loads without errors differs from it, recomputes every running instance that uses it.
extension Daemon {
    /// What one calendar change did, for the `definitions loaded` message.
    struct CalendarChange {
        var id: String
        /// A calendar was in force before (false: the first one stored, taken without records).
        var previous: Bool
        var records = 0
        var instances = 0
    }

    /// Rule 1: the calendars in force are those stored with the state. A stored copy that no longer parses is left
    /// out (the file is then taken as it is, as at a first start) and said so.
    func readStoredCalendars() {
        storedCalendarsRead = true
        do {
            for c in try store.calendarsInForce() {
                let (calendar, diagnostics) = WorkCalendar.parse(bytes: c.source, file: c.file, id: c.id)
                if let calendar {
                    calendarsInForce[c.id] = calendar
                } else {
                    let why = diagnostics.first.map(\.message) ?? "không rõ lý do"
                    log.error(
                        "Bản lịch \(c.id) đang có hiệu lực lưu trong cơ sở dữ liệu không đọc lại được (\(why)); dùng tệp lịch như lần đầu")
                }
            }
        } catch {
            log.error("Không đọc được các lịch đang có hiệu lực: \(error)")
        }
    }

    /// Rule 1: a calendar file with errors, or gone, leaves the last good version in force; its problems are logged
    /// (and stay in the diagnostics shown in status). A file gone adds a warning of its own.
    func logCalendarErrors(_ loader: Loader, diagnostics: inout [Diagnostic]) {
        let errors = loader.calendarDiagnostics.filter { $0.severity == .error }
        let byFile = Dictionary(grouping: errors, by: \.file)
        // A calendar's id is its file stem.
        func calendarID(_ file: String) -> String { ((file as NSString).lastPathComponent as NSString).deletingPathExtension }
        for file in byFile.keys.sorted() {
            let id = calendarID(file)
            let kept = calendarsInForce[id] != nil ? "giữ lịch đang có hiệu lực" : "chưa có phiên bản nào dùng được"
            log.error(
                "Lịch \(id) (\(file)) bị từ chối, \(kept): \(byFile[file]!.map(\.description).joined(separator: "; "))",
                metadata: .event(.definitionRejected, [("TIENDO_CALENDAR", id), ("TIENDO_FILE", file)]))
        }
        let defs = definitionsInForce
        for (id, inForce) in calendarsInForce.sorted(by: { $0.key < $1.key }) {
            // Gone: the lookup fell back on the calendar in force although no file of that id had errors.
            guard let def = defs.first(where: { $0.calendar.id == id }),
                case .success(let found) = loader.lookupCalendar(id, besideFile: def.file), found === inForce,
                !byFile.keys.contains(where: { calendarID($0) == id })
            else { continue }
            let d = Diagnostic(
                file: inForce.file, line: 1, column: 1, severity: .warning,
                message: "calendar '\(id)' is no longer found; the last good version stays in force")
            diagnostics.append(d)
            log.warning(
                "Không còn tệp lịch \(id) (\(inForce.file)); giữ lịch đang có hiệu lực",
                metadata: .event(.definitionRejected, [("TIENDO_CALENDAR", id), ("TIENDO_FILE", inForce.file)]))
        }
    }

    /// Every definition in force: the current ones by id, then every one instances run by digest (stale included).
    /// A calendar is looked up beside the file of the first one that uses it.
    var definitionsInForce: [WorkflowDefinition] {
        current.keys.sorted().compactMap { current[$0] } + byDigest.keys.sorted().compactMap { byDigest[$0] }
    }

    /// Rules 1–4: for every calendar id in use whose file now loads without errors and differs from the one in force,
    /// recomputes the instances using it and makes it the calendar in force (the first one stored: without records).
    func applyCalendarChanges(_ loader: Loader, at now: Instant, actor: Int?) -> [CalendarChange] {
        var candidates: [String: WorkCalendar] = [:]
        for def in definitionsInForce where candidates[def.calendar.id] == nil {
            if case .success(let c) = loader.lookupCalendar(def.calendar.id, besideFile: def.file) { candidates[def.calendar.id] = c }
        }
        var out: [CalendarChange] = []
        for id in candidates.keys.sorted() {
            let calendar = candidates[id]!
            let previous = calendarsInForce[id]
            guard previous?.digest != calendar.digest, let bytes = loader.calendarSources[calendar.file] else { continue }
            do {
                var c = CalendarChange(id: id, previous: previous != nil)
                (c.records, c.instances) = try recompute(calendar, previous: previous, source: bytes, at: now, actor: actor)
                calendarsInForce[id] = calendar
                out.append(c)
            } catch {
                log.critical("Không áp dụng được lịch \(id) mới (\(calendar.file)): \(error); giữ lịch đang có hiệu lực")
            }
        }
        return out
    }

    /// Rules 2–4 at `now` for every instance not completed whose definition (current or stale) uses the calendar:
    /// pages in id order, each instance rescheduled by the engine of its definition computing with the new calendar
    /// (one `rescheduled` record per moved due; none when there was no calendar before), its row recomputed (wake-up,
    /// due items, provisional flags). All of it and the new calendar in force are one transaction, so a crash leaves
    /// the old calendar in force and nothing half-applied; the records go out through the outbox after the commit.
    /// Returns the records written and the instances they concern.
    func recompute(
        _ calendar: WorkCalendar, previous: WorkCalendar?, source: [UInt8], at now: Instant, actor: Int?
    ) throws -> (records: Int, instances: Int) {
        let digests = byDigest.values.filter { $0.calendar.id == calendar.id }.map(\.digest).sorted()
        var engines: [String: Engine] = [:]
        var records = 0
        var instances = 0
        // Emitted records marked first (and anything held back sent): the outbox below sends the records written here.
        flushSentMarks()
        try inTransaction { tx in
            var after: String?
            while true {
                let page = try tx.activeInstances(digests: digests, after: after, limit: options.batchSize, definition: definition)
                guard let last = page.last else { break }
                after = last.instance.id
                var changes: [InstanceChange] = []
                var rescheduled: [Record] = []
                for row in page {
                    guard let def = byDigest[row.instance.digest] else { continue }
                    let engine = engines[def.digest] ?? Engine(def.with(calendar: calendar))
                    engines[def.digest] = engine
                    var inst = row.instance
                    if let previous {
                        let rs = engine.reschedule(&inst, previousCalendar: previous, at: now, actor: actor)
                        if !rs.isEmpty { instances += 1 }
                        rescheduled += rs
                    }
                    changes.append(
                        change(inst, def: engine.definition, engine: engine, stale: row.stale, dataUnchanged: true, of: row))
                }
                try tx.commit(changes: changes, records: rescheduled, delivery: deliveryCommit(now: now, changes: changes))
                records += rescheduled.count
                heartbeat()
                if page.count < options.batchSize { break }
            }
            try tx.saveCalendar(calendar, source: source, at: now)
        }
        statusDirty = true
        // The change is committed: a failure to send now leaves the records in the outbox (behind, tried again by
        // the loop) and must not undo the calendar in force.
        if records > 0 {
            do { _ = try flushOutbox() } catch { log.error("Không gửi được bản ghi đổi hạn (sẽ gửi lại sau): \(error)") }
        }
        return (records, instances)
    }

    /// Every definition, current or stale, computes with the calendar in force for its id (format §9).
    func bindCalendarsInForce() {
        func bound(_ d: WorkflowDefinition) -> WorkflowDefinition {
            guard let c = calendarsInForce[d.calendar.id], c !== d.calendar else { return d }
            return d.with(calendar: c)
        }
        current = current.mapValues(bound)
        byDigest = byDigest.mapValues(bound)
        engines = [:]
    }
}
