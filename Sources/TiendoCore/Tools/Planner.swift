/// `tiendoctl plan`: every record one hypothetical instance would produce if no event ever arrived.
public enum Planner {
    public static func plan(_ def: WorkflowDefinition, data: InstanceData, start: Instant, until: CivilDate) -> [Record] {
        let engine = Engine(def)
        let end = def.zone.endOfDay(until)
        guard case .success(var (inst, records)) = engine.start(instanceID: nil, data: data, at: start, now: start, mode: .plan)
        else { return [] }
        records = records.filter { $0.at < end }
        var guardCount = 0
        while let t = engine.nextWakeup(inst, mode: .plan), t < end, guardCount < 100_000 {
            records += engine.advance(&inst, to: t, mode: .plan, label: .some(nil))
            guardCount += 1
        }
        return records
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
