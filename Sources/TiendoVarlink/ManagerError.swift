import TiendoCore

/// An error reply of tiendod: the `vn.tiendo.Manager` errors, the `org.varlink.service` errors it answers, and any
/// other reply as `other`. Its description is the Vietnamese one-liner for people.
public enum ManagerError: Error, Equatable, Sendable, CustomStringConvertible {
    case noSuchWorkflow(workflow: String)
    case noSuchInstance(id: String)
    case instanceExists(id: String)
    case invalidData(field: String, reason: String)
    case eventRejected(id: String, event: String, state: String?, reason: String)
    /// One diagnostic per bad row (`file` is the workflow id, `line` the row number); nothing was stored.
    case importRejected(errors: [Manager.Diagnostic])
    case limitExceeded(limit: String, group: String?, count: Int, max: Int)
    case definitionInvalid(diagnostics: [Manager.Diagnostic])
    /// `vn.tiendo.Extras.NothingToUndo`: no step of the instance can be undone, and why.
    case nothingToUndo(id: String, reason: String)
    /// `vn.tiendo.Extras.BackupFailed`: no copy of the database was made, and why.
    case backupFailed(reason: String)
    /// `vn.tiendo.Extras.ClockBehind`: an operator's change refused because the server's clock (`now`) is behind
    /// the newest record written (`newest`); both ISO 8601 as tiendod sent them.
    case clockBehind(now: String, newest: String)
    /// `org.varlink.service.PermissionDenied`: a mutating method from a peer that is not root, the daemon's user,
    /// or in group `tiendo-admin`.
    case permissionDenied
    case methodNotFound(method: String)
    case methodNotImplemented(method: String)
    case interfaceNotFound(interface: String)
    case invalidParameter(parameter: String)
    /// A streaming method (`Watch`) called without `more`.
    case expectedMore
    case internalError(reason: String?)
    /// Any other error reply (a newer daemon's error, or a known name whose parameters have another shape).
    case other(VarlinkError)

    /// The typed error of an error reply.
    public init(_ e: VarlinkError) {
        self = (try? ManagerError.decode(e)) ?? .other(e)
    }

    private static func decode(_ e: VarlinkError) throws(ReplyDecodingError) -> ManagerError {
        let m = try Members(e.parameters, path: "")
        switch e.name {
        case "vn.tiendo.Manager.NoSuchWorkflow": return .noSuchWorkflow(workflow: try m.string("workflow"))
        case "vn.tiendo.Manager.NoSuchInstance": return .noSuchInstance(id: try m.string("id"))
        case "vn.tiendo.Manager.InstanceExists": return .instanceExists(id: try m.string("id"))
        case "vn.tiendo.Manager.InvalidData": return .invalidData(field: try m.string("field"), reason: try m.string("reason"))
        case "vn.tiendo.Manager.EventRejected":
            return .eventRejected(
                id: try m.string("id"), event: try m.string("event"), state: try m.optionalString("state"),
                reason: try m.string("reason"))
        case "vn.tiendo.Manager.ImportRejected": return .importRejected(errors: try m.list("errors"))
        case "vn.tiendo.Manager.LimitExceeded":
            return .limitExceeded(
                limit: try m.string("limit"), group: try m.optionalString("group"), count: try m.int("count"), max: try m.int("max"))
        case "vn.tiendo.Manager.DefinitionInvalid": return .definitionInvalid(diagnostics: try m.list("diagnostics"))
        case "vn.tiendo.Extras.NothingToUndo": return .nothingToUndo(id: try m.string("id"), reason: try m.string("reason"))
        case "vn.tiendo.Extras.BackupFailed": return .backupFailed(reason: try m.string("reason"))
        case "vn.tiendo.Extras.ClockBehind": return .clockBehind(now: try m.string("now"), newest: try m.string("newest"))
        case "org.varlink.service.PermissionDenied": return .permissionDenied
        case "org.varlink.service.MethodNotFound": return .methodNotFound(method: try m.string("method"))
        case "org.varlink.service.MethodNotImplemented": return .methodNotImplemented(method: try m.string("method"))
        case "org.varlink.service.InterfaceNotFound": return .interfaceNotFound(interface: try m.string("interface"))
        case "org.varlink.service.InvalidParameter": return .invalidParameter(parameter: try m.string("parameter"))
        case "org.varlink.service.ExpectedMore": return .expectedMore
        case "org.varlink.service.InternalError": return .internalError(reason: try m.optionalString("reason"))
        default: return .other(e)
        }
    }

    /// The diagnostics the error carries (`ImportRejected`'s rows, `DefinitionInvalid`'s problems), else none.
    public var diagnostics: [Manager.Diagnostic] {
        switch self {
        case .importRejected(let d), .definitionInvalid(let d): return d
        default: return []
        }
    }

    public var description: String {
        switch self {
        case .noSuchWorkflow(let w): return "không có quy trình '\(w)'"
        case .noSuchInstance(let id): return "không có hồ sơ '\(id)'"
        case .instanceExists(let id): return "hồ sơ '\(id)' đã có"
        case .invalidData(let field, let reason): return "dữ liệu không hợp lệ ở trường '\(field)': \(reason)"
        case .eventRejected(let id, let event, let state, let reason):
            let inState = state.map { ", trạng thái '\($0)'" } ?? ""
            return "sự kiện bị từ chối: \(reason) (hồ sơ '\(id)', sự kiện '\(event)'\(inState))"
        case .importRejected(let errors): return "nhập bị từ chối: \(errors.count) dòng không hợp lệ; không nhập gì"
        case .limitExceeded(let limit, let group, let count, let max):
            let inGroup = group.map { " trong nhóm «\($0)»" } ?? ""
            return "vượt giới hạn \(limit)\(inGroup): sẽ có \(count), tối đa \(max)"
        case .definitionInvalid(let diagnostics): return "định nghĩa quy trình không hợp lệ (\(diagnostics.count) vấn đề)"
        case .nothingToUndo(let id, let reason): return "không hoàn tác được bước nào của hồ sơ '\(id)': \(reason)"
        case .backupFailed(let reason): return "không sao lưu được: \(reason)"
        case .clockBehind(let now, let newest):
            // Written for the person at the keyboard, who cannot fix the server's clock: say whom to ask.
            let shown = { (iso: String) in Zone.vietnam.parseInstant(iso).map { Zone.vietnam.dateAndTime($0) } ?? iso }
            return "chưa ghi: đồng hồ của máy chủ đang chỉ \(shown(now)), sớm hơn bản ghi mới nhất (\(shown(newest))), "
                + "nên thao tác sẽ bị ghi sai ngày giờ. Hãy báo cán bộ kỹ thuật chỉnh lại đồng hồ của máy chủ rồi làm lại"
        case .permissionDenied: return "không có quyền (cần root hoặc nhóm tiendo-admin)"
        case .methodNotFound(let method):
            return "tiendod không biết phương thức '\(method)' (tiendod và tiendoctl khác phiên bản?)"
        case .methodNotImplemented(let method): return "tiendod chưa hỗ trợ phương thức '\(method)'"
        case .interfaceNotFound(let interface): return "tiendod không có giao diện '\(interface)'"
        case .invalidParameter(let parameter): return "tham số '\(parameter)' không hợp lệ"
        case .expectedMore: return "phương thức này cần được gọi với \"more\""
        case .internalError(let reason):
            return "tiendod gặp sự cố" + (reason.map { ": \($0)" } ?? "") + " (xem journalctl -u tiendod)"
        case .other(let e) where e.name == Deliveries.interface + ".NoSuchDelivery":
            return "không có thông báo #\(e.parameters["id"]?.intValue.map(String.init) ?? "?")"
        case .other(let e):
            let params = e.parameters.objectValue?.isEmpty ?? true ? "" : " " + e.parameters.serialized()
            return "tiendod trả lỗi \(e.name)\(params)"
        }
    }
}
