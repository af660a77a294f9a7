import TiendoCore
import TiendoStore

/// An import's rows made ready for the store: each checked and, where nothing stored can change the outcome, started
/// by the engine and turned into the row to write. This is pure work on values (the definition, its engine, the
/// rows), so a page of rows is spread over the machine's cores while the loop thread, the store's only writer, waits
/// for it; the loop then writes the results in row order. The engine is deterministic: the outcome is the same on
/// any thread, in any order.
extension Daemon {
    /// A row checked: its instance id, start and validated data.
    struct CheckedRow: Sendable {
        var id: String
        var started: Instant
        var data: InstanceData
    }

    /// A row of an import after preparation.
    enum PreparedRow: Sendable {
        /// Why the row is bad (one diagnostic).
        case bad(String)
        /// Checked; started when the preparation could start it (`Started`), else to be started on the loop.
        case ok(CheckedRow, Started?)
    }

    /// A row started: what the commit writes for it.
    struct Started: Sendable {
        var change: InstanceChange
        var records: [Record]
    }

    /// Below this many rows a page is prepared on the calling thread: handing it to other threads costs more.
    static let parallelPreparationRows = 256

    /// Prepares `rows` (row number, fields) in order. With `engine`, every good row is also started and its stored
    /// row computed — only for a workflow without limits, whose start depends on no stored count; a row the engine
    /// refuses is then bad, with the engine's reason.
    static func prepare(
        _ rows: [(Int, [(String, JSON)])], _ def: WorkflowDefinition, engine: Engine?, now: Instant, actor: Int?,
        generated: String
    ) -> [(Int, PreparedRow)] {
        @Sendable func one(_ item: (Int, [(String, JSON)])) -> (Int, PreparedRow) {
            let (n, row) = item
            switch check(row, number: n, def, now: now, generated: generated) {
            case .failure(let reason):
                return (n, .bad(reason.message))
            case .success(let r):
                guard let engine else { return (n, .ok(r, nil)) }
                switch engine.start(instanceID: r.id, data: r.data, at: r.started, now: now, actor: actor) {
                case .success(let (inst, records)):
                    let c = Daemon.change(inst, def: def, engine: engine, stale: false, isNew: true)
                    return (n, .ok(r, Started(change: c, records: records)))
                case .failure(let e):
                    return (n, .bad(startFailure(e)))
                }
            }
        }
        return rows.parallelMap(minimumPerThread: parallelPreparationRows, one)
    }

    /// Why a row could not be checked, as its diagnostic says it.
    struct RowProblem: Error {
        var message: String
    }

    /// Checks one row; a row without a key gets `generated`-`n` (one prefix per import, so that both passes give it
    /// the same id).
    static func check(
        _ row: [(String, JSON)], number n: Int, _ def: WorkflowDefinition, now: Instant, generated: String
    ) -> Result<CheckedRow, RowProblem> {
        var key: String?
        var started = now
        var fields: [(String, JSON)] = []
        for (k, v) in row {
            switch k {
            case "key":
                guard let s = v.stringValue ?? v.intValue.map(String.init), InstanceRows.isValidKey(s) else {
                    return .failure(
                        RowProblem(
                            message: "khóa '\(v.stringValue ?? v.serialized())' không hợp lệ (chữ, số, '.', '_', '-'; tối đa 128 ký tự)"))
                }
                key = s
            case "started":
                switch v.stringValue.map({ HumanDate.instant($0, zone: def.zone) }) {
                case .valid(let t): started = t
                case .invalid(let reason): return .failure(RowProblem(message: "cột 'started': \(reason)"))
                case nil:
                    return .failure(
                        RowProblem(message: "cột 'started': cần một ngày hay thời điểm dạng chuỗi, nhận được \(v.serialized())"))
                }
            default:
                if case .string(let s) = v, s.isEmpty { continue }
                fields.append((k, v))
            }
        }
        let id = requestID(def.id, key ?? "\(generated)-\(n)")
        switch def.validate(data: fields, partial: false) {
        case .success(let d): return .success(CheckedRow(id: id, started: started, data: d))
        case .failure(let e): return .failure(RowProblem(message: "cột '\(e.field)': \(e.reason)"))
        }
    }

    /// The diagnostic of a row the engine would not start.
    static func startFailure(_ e: EngineError) -> String {
        switch e {
        case .limitExceeded(let l, let g, let c, let m, _):
            return "vượt giới hạn \(l)\(g.map { " trong nhóm «\($0)»" } ?? ""): sẽ có \(c), tối đa \(m)"
        default: return "\(e)"
        }
    }
}
