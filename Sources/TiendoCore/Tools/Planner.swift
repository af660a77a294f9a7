/// `tiendoctl plan`: every record one hypothetical instance would produce if no event ever arrived.
public enum Planner {
    /// At most this many wake-ups are planned (a state left and entered again every half hour for years).
    public static let maxWakeups = 100_000

    public static func plan(_ def: WorkflowDefinition, data: InstanceData, start: Instant, until: CivilDate) -> [Record] {
        bounded(def, data: data, start: start, until: until).records
    }

    /// `plan`, and where it stopped when it reached `maxWakeups` before `until`: the records after that instant
    /// are missing, which the caller must say (a plan cut short once ended in silence).
    public static func bounded(_ def: WorkflowDefinition, data: InstanceData, start: Instant, until: CivilDate) -> (
        records: [Record], cutAt: Instant?
    ) {
        let engine = Engine(def)
        let end = def.zone.endOfDay(until)
        guard case .success(var (inst, records)) = engine.start(instanceID: nil, data: data, at: start, now: start, mode: .plan)
        else { return ([], nil) }
        records = records.filter { $0.at < end }
        var wakeups = 0
        while let t = engine.nextWakeup(inst, mode: .plan), t < end {
            guard wakeups < maxWakeups else { return (records, t) }
            records += engine.advance(&inst, to: t, mode: .plan, label: .some(nil))
            wakeups += 1
        }
        return (records, nil)
    }

    /// Parses `--set FIELD=VALUE` pairs by the declared field types, then applies defaults and checks required fields.
    /// `start`: the day the hypothetical record starts, which a year's default counts from.
    public static func data(_ def: WorkflowDefinition, assignments: [String], start: CivilDate? = nil) -> Result<
        InstanceData, FieldError
    > {
        var data: InstanceData = [:]
        for a in assignments {
            guard let eq = a.firstIndex(of: "=") else {
                return .failure(FieldError(field: a, reason: "cần dạng TRƯỜNG=GIÁ_TRỊ"))
            }
            let name = String(a[..<eq])
            let value = String(a[a.index(after: eq)...])
            guard let f = def.field(name) else {
                return .failure(
                    FieldError(
                        field: name,
                        reason:
                            "trường không được khai báo trong quy trình '\(def.id)'\(vietnameseSuggestion(name, def.fields.map(\.name)))"))
            }
            switch f.parse(text: value, zone: def.zone) {
            case .success(let v): data[name] = v
            case .failure(let e): return .failure(e)
            }
        }
        return def.complete(data, started: start)
    }
}
