import Foundation
public import TiendoCore
import TiendoStore

/// The catalog: definitions loaded, reloaded, pinned by digest; instances migrated to new versions.
extension Daemon {
    // MARK: Definitions

    func engine(_ digest: String) -> Engine? {
        if let e = engines[digest] { return e }
        guard let d = byDigest[digest] else { return nil }
        let e = Engine(d)
        engines[digest] = e
        return e
    }

    func definition(_ digest: String) -> WorkflowDefinition? { byDigest[digest] }

    /// Loads (or reloads) the search path and the calendars. A broken file keeps its last good version in force.
    /// In order (format §10 "Calendar changes", rule 5): a calendar that changed is applied to the instances using
    /// it (`rescheduled` records, with `actor` the uid of a `Reload` caller); then instances move to a new version
    /// when their state and milestones still exist there, the others stay pinned and stale. Catch-up comes after,
    /// at the caller's next tick.
    @discardableResult
    public func loadDefinitions(actor: Int? = nil) -> (changed: [String], diagnostics: [Diagnostic]) {
        let now = clock.now()
        // A version that did not load may load now: said again if it still does not.
        unloadableDigests = []
        if !storedCalendarsRead { readStoredCalendars() }
        // Pinned versions from the store, so stale instances keep running after a restart.
        var withInstances: Set<String> = []
        if !pinnedDefinitionsRead, let pinned = pinnedDefinitions() {
            let loader = Loader(searchPath: options.workflowDirectories)
            loader.calendarsInForce = calendarsInForce
            for p in pinned {
                let (def, diagnostics) = loader.loadWorkflow(file: p.file, bytes: p.source)
                if let def {
                    byDigest[def.digest] = def
                } else {
                    let why = diagnostics.filter { $0.severity == .error }.prefix(3).map(\.message).joined(separator: "; ")
                    log.error(
                        "Phiên bản đã lưu \(p.digest.prefix(12)) của quy trình \(p.workflow) (\(p.file)) không nạp được: \(why). Các hồ sơ chạy phiên bản này tạm dừng, dữ liệu giữ nguyên"
                    )
                }
                withInstances.insert(p.workflow)
            }
        }
        let loader = Loader(searchPath: options.workflowDirectories)
        loader.calendarsInForce = calendarsInForce
        let set = loader.loadAll()
        // Every directory gone (an unmounted disk, a typo in a drop-in): said as the error it is, not as a dozen
        // workflows «no longer found» and a reload that succeeded (operations audit, 07/12/2026).
        let directoriesGone =
            !options.workflowDirectories.isEmpty && options.workflowDirectories.allSatisfy { !FileManager.default.fileExists(atPath: $0) }
        let starting = current.isEmpty
        var changed: [String] = []
        var unchangedAtStart: [String] = []
        for id in set.order {
            guard let def = set.workflows[id] else { continue }
            if current[id]?.digest != def.digest {
                // At a start, a file whose version the store has in force (noted and stored) is no change: nothing to
                // save, and the log does not call every workflow changed at every restart. Its cases are still
                // checked against it below: a stop between a version's save and its migration leaves some behind.
                if current[id] == nil, (try? store.definitionInForce(workflow: id))??.digest == def.digest {
                    current[id] = def
                    byDigest[def.digest] = def
                    unchangedAtStart.append(id)
                    continue
                }
                if case .success(let bytes) = Loader.readFile(def.file) {
                    do {
                        try store.saveDefinition(digest: def.digest, workflow: id, file: def.file, source: bytes, at: now)
                    } catch {
                        log.error("Không lưu được định nghĩa \(id): \(error)")
                    }
                }
                current[id] = def
                byDigest[def.digest] = def
                changed.append(id)
            }
        }
        // A file that does not load at start keeps the version last in force, as a reload keeps it: its instances
        // keep running on it, and it stays in the status, the lists and the agenda. So does a file gone while the
        // daemon was down, when instances run it.
        let gone = withInstances.filter { set.workflows[$0] == nil && set.rejected[$0] == nil }
        for id in Array(set.rejected.keys) + gone.sorted() where current[id] == nil {
            if let def = lastInForce(id, loader) {
                current[id] = def
                byDigest[def.digest] = def
            }
        }
        let errorsByFile = Dictionary(grouping: set.errors, by: \.file)
        for (id, file) in set.rejected {
            let msgs = errorsByFile[file] ?? []
            let kept = current[id] != nil ? "giữ phiên bản tốt trước đó" : "chưa có phiên bản nào dùng được"
            log.error(
                "Định nghĩa \(id) (\(file)) bị từ chối, \(kept): \(msgs.map(\.description).joined(separator: "; "))",
                metadata: .event(.definitionRejected, [("TIENDO_WORKFLOW", id), ("TIENDO_FILE", file)]))
        }
        var diagnostics = set.diagnostics
        if directoriesGone {
            let dirs = options.workflowDirectories.joined(separator: ", ")
            diagnostics.append(
                Diagnostic(
                    file: options.workflowDirectories[0], line: 1, column: 1, severity: .error,
                    message:
                        "workflows directory \(dirs) does not exist (an unmounted disk, a typo in --workflows?); every workflow stays on its last good version"
                ))
            // At start tiendod's own check has said it.
            if !starting {
                log.error(
                    "Không có thư mục quy trình nào: \(dirs) không tồn tại (ổ đĩa chưa gắn, hoặc --workflows gõ sai?); mọi quy trình giữ phiên bản đang có hiệu lực"
                )
            }
        }
        // Follow-ups are checked against the workflows in force: a file refused keeps its last good version, which
        // the loader's own check (against what loaded now) called «not loaded».
        if Set(current.keys) != Set(set.workflows.keys) {
            let loaded = FollowUpDefinition.check(set.workflows)
            diagnostics.removeAll { loaded.contains($0) }
            // A kept version's own follow-ups were checked when it loaded; its file now holds other lines.
            let refused = Set(set.rejected.values)
            diagnostics += FollowUpDefinition.check(current).filter { !refused.contains($0.file) }
        }
        // A workflow whose file is gone stays in force, as a calendar does, and says so.
        // Named where it was looked for: the path stored with the version may be of another directory (a daemon
        // moved to other --workflows).
        let searched = options.workflowDirectories.joined(separator: ", ")
        for (id, def) in current.sorted(by: { $0.key < $1.key })
        where set.workflows[id] == nil && set.rejected[id] == nil && !directoriesGone {
            diagnostics.append(
                Diagnostic(
                    file: def.file, line: 1, column: 1, severity: .warning,
                    message:
                        "workflow '\(id)' is no longer found (no \(id).yaml or \(id).yml in \(searched)); the last good version stays in force"
                ))
            log.warning(
                "Không còn tệp quy trình \(id).yaml (hay .yml) trong \(searched); giữ phiên bản đang có hiệu lực (nạp lần trước từ \(def.file))",
                metadata: .event(.definitionRejected, [("TIENDO_WORKFLOW", id), ("TIENDO_FILE", def.file)]))
        }
        logCalendarErrors(loader, diagnostics: &diagnostics)
        loadRouting(set, diagnostics: &diagnostics)
        self.diagnostics = diagnostics
        let calendarChanges = applyCalendarChanges(loader, at: now, actor: actor)
        // Every definition in force, current or stale, computes with the calendars in force from now on.
        bindCalendarsInForce()
        publishCatalog()
        for id in changed + unchangedAtStart { migrate(workflow: id, at: now) }
        // Cases that could not move to the version in force run on the one they have (format §9): the status and
        // the reload's answer say how many, beside the files' problems, at every load while there are any, so that
        // an edit that strands them is seen.
        var stranded: [Diagnostic] = []
        let inForce = current.sorted { $0.key < $1.key }
        let behind =
            (try? store.snapshot { s in
                try inForce.map { try s.activeStatesOnOtherVersions(workflow: $0.key, digest: $0.value.digest) }
            }) ?? []
        for ((id, def), states) in zip(inForce, behind) where !states.isEmpty {
            let n = states.reduce(0) { $0 + $1.count }
            // The states the file no longer has, by name and count: the operator need not diff the file to find them.
            let gone = states.filter { s in s.state.map { def.state($0) == nil } ?? false }
            let why =
                gone.isEmpty
                ? "trạng thái, mốc hoặc trường của chúng không còn trong tệp này"
                : "tệp này không còn "
                    + gone.prefix(5).map { "trạng thái '\($0.state ?? "")' (\(Daemon.thousands($0.count)) hồ sơ)" }.joined(separator: ", ")
                    + (gone.count > 5 ? " và \(gone.count - 5) trạng thái khác" : "")
            let said =
                "\(Daemon.thousands(n)) hồ sơ chưa xong vẫn chạy phiên bản cũ của quy trình \(id): \(why) "
                + "(xem tiendoctl list \(id) --json, \"stale\")"
            stranded.append(Diagnostic(file: def.file, line: 1, column: 1, severity: .warning, message: said))
            // In the journal too, where an operator looks after editing a file; the reply and the status alone said it.
            log.warning("\(said)")
        }
        if !stranded.isEmpty {
            diagnostics += stranded
            self.diagnostics = diagnostics
            publishCatalog()
        }
        let calendarsChanged = calendarChanges.filter { $0.previous }
        // Said at every load, a reload with nothing changed too (the journal had its «Đang nạp lại…» and no end).
        var what = changed.isEmpty ? "không có thay đổi" : "thay đổi: " + changed.joined(separator: ", ")
        if !calendarsChanged.isEmpty {
            what +=
                "; lịch thay đổi: "
                + calendarsChanged.map { c in
                    "\(c.id) (đổi hạn \(Daemon.thousands(c.records)) việc của \(Daemon.thousands(c.instances)) hồ sơ)"
                }.joined(separator: ", ")
        }
        log.info(
            "Đã nạp \(current.count) quy trình (\(what))",
            metadata: .event(
                .definitionsLoaded,
                [
                    ("TIENDO_WORKFLOWS", current.keys.sorted().joined(separator: " ")),
                    ("TIENDO_CALENDARS", calendarsChanged.map(\.id).joined(separator: " ")),
                ]))
        statusDirty = true
        return (changed, diagnostics)
    }

    /// The version of `workflow` last in force, as stored; nil when there is none or it cannot be read (said).
    private func lastInForce(_ workflow: String, _ loader: Loader) -> WorkflowDefinition? {
        do {
            guard let stored = try store.definitionInForce(workflow: workflow) else { return nil }
            if let def = byDigest[stored.digest] { return def }
            return loader.loadWorkflow(file: stored.file, bytes: stored.source).0
        } catch {
            log.error("Không đọc được phiên bản đang dùng của quy trình \(workflow): \(error)")
            return nil
        }
    }

    /// The definitions instances are pinned to, as stored; nil (and said) when they cannot be read.
    private func pinnedDefinitions() -> [(digest: String, workflow: String, file: String, source: [UInt8])]? {
        do {
            let pinned = try store.definitionsInUse()
            pinnedDefinitionsRead = true
            return pinned
        } catch {
            log.critical(
                "Không đọc được các phiên bản quy trình mà hồ sơ đang dùng (hồ sơ theo phiên bản cũ chưa chạy được; thử lại ở lần nạp lại sau): \(error)"
            )
            return nil
        }
    }

    /// Moves instances of `workflow` to the current version when compatible (format §9); marks the others stale.
    /// A page of `options.migrationPage` per transaction: a province's 10⁵ cases were read into one array and written
    /// in one transaction of half a minute without the watchdog fed (systemd's is 30 s); a page at a time keeps the
    /// memory to a page's and feeds it between pages.
    func migrate(workflow: String, at now: Instant) {
        guard let def = current[workflow] else { return }
        var after: String?
        while true {
            let rows: [StoredInstance]
            do {
                rows = try store.instances(
                    workflow: workflow, notOn: def.digest, after: after, limit: options.migrationPage, definition: definition)
            } catch {
                log.critical(
                    "Không đọc được hồ sơ của quy trình \(workflow) để chuyển sang phiên bản mới; chúng giữ phiên bản cũ cho đến khi khởi động lại hoặc tệp quy trình đổi lần nữa: \(error)"
                )
                return
            }
            guard let last = rows.last else { return }
            migrate(rows, to: def, workflow: workflow, at: now)
            after = last.instance.id
            heartbeat()
            if rows.count < options.migrationPage { return }
        }
    }

    /// One page of `migrate`: each row moved to `def` when compatible, else marked stale on its own version.
    private func migrate(_ rows: [StoredInstance], to def: WorkflowDefinition, workflow: String, at now: Instant) {
        var changes: [InstanceChange] = []
        for row in rows {
            var inst = row.instance
            let old = byDigest[inst.digest]
            let stateOK = inst.state.map { def.state($0) != nil } ?? !def.hasStates
            let milestonesOK =
                (old.map { def.keepsMilestones(of: $0) } ?? true)
                && inst.done.keys.allSatisfy { def.milestone($0).map { $0.recurrence == nil } ?? false }
                && inst.series.keys.allSatisfy { def.milestone($0).map { $0.recurrence != nil } ?? false }
            // The stored values must fit the new version too (a field's type, bounds or values changed): read with
            // it, a value that does not would be dropped — every field of the record with it, at the next write. A
            // version that no longer loads (a check added since refuses its file) gave no typed data: its stored
            // text is read with the new version instead, so that a fixed file brings its cases back.
            let fitted =
                old.map { Daemon.refit(inst.data, from: $0, to: def) } ?? row.texts.flatMap { Daemon.refit(text: $0.data, to: def) }
            let dataOK = fitted.map { def.missingRequired($0) == nil } ?? false
            if stateOK && milestonesOK && dataOK, let fitted {
                inst.data = fitted
                inst.digest = def.digest
                changes.append(change(inst, def: def, stale: false))
            } else if !row.stale, let old {
                changes.append(change(inst, def: old, stale: true))
            }
        }
        if !changes.isEmpty {
            do {
                _ = try transact { try $0.commit(changes: changes, records: [], delivery: deliveryCommit(now: now, changes: changes)) }
            } catch {
                log.critical("Không ghi được khi chuyển phiên bản \(workflow): \(error)")
            }
        }
    }

    /// `data`, typed by `old`, as `new` types it; nil when some value does not fit `new` (another type, outside its
    /// bounds, an enum value it no longer has): such a record stays on its version, stale, with its data.
    /// A value the new version keeps as text (a number, a yes/no, a day: a field that became `text`) is written as
    /// its text, which loses nothing.
    static func refit(_ data: InstanceData, from old: WorkflowDefinition, to new: WorkflowDefinition) -> InstanceData? {
        guard let pairs = old.json(data).objectValue else { return nil }
        return refit(pairs, to: new)
    }

    /// `refit` from the stored data's JSON text (its own version unknown).
    static func refit(text: String, to new: WorkflowDefinition) -> InstanceData? {
        guard let j = try? JSON.parse(text), let pairs = j.objectValue else { return nil }
        return refit(pairs, to: new)
    }

    static func refit(_ pairs: [(String, JSON)], to new: WorkflowDefinition) -> InstanceData? {
        let converted = pairs.map { name, value -> (String, JSON) in
            guard new.field(name)?.type == .text else { return (name, value) }
            switch value {
            case .int(let i): return (name, .string(String(i)))
            case .double(let d): return (name, .string(Value.number(d).formText(zone: new.zone)))
            case .bool(let b): return (name, .string(b ? "có" : "không"))
            default: return (name, value)
            }
        }
        guard case .success(let typed) = new.validate(data: converted, partial: true, today: nil) else { return nil }
        return typed
    }

    /// The row to store for an instance: its schedule and open deadlines, computed by `engine` (by default the
    /// cached engine of its definition). With `row`, the instance as the loop read it, with nothing written to the row
    /// since (`InstanceChange.updates`): the change updates that row by its rowid, leaves its due items alone if they
    /// did not change and moves its count from the key read with it. `isNew`: the caller checked, in this job, that
    /// no row has the instance's id (`InstanceChange.isNew`).
    func change(
        _ inst: Instance, def: WorkflowDefinition, engine: Engine? = nil, stale: Bool, dataUnchanged: Bool = false,
        of row: StoredInstance? = nil, isNew: Bool = false
    ) -> InstanceChange {
        let engine = engine ?? self.engine(def.digest) ?? Engine(def)
        var next = engine.nextWakeup(inst)
        if let n = next, n <= inst.checkedAt { next = inst.checkedAt.adding(seconds: 1) }
        let group = def.group(of: inst.data)
        let due = engine.openDeadlines(inst).map {
            DueRow(
                instance: inst.id, deadline: $0.key, workflow: inst.workflow, group: group, state: inst.state, milestone: $0.milestone,
                occurrence: $0.occurrence, title: $0.title, due: $0.due, dueEnd: $0.end, provisional: $0.provisional)
        }
        var c = InstanceChange(
            instance: inst, group: group, nextWakeup: next, dueItems: due, stale: stale,
            dataJSON: dataUnchanged ? nil : def.json(inst.data).serialized())
        if let row { c.updates(row) }
        c.isNew = isNew
        return c
    }
}
