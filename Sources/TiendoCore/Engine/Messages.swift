/// Vietnamese sentences for people: records, rejections and errors. Dates as dd/mm/yyyy.
public enum Messages {
    static func started(workflowTitle: String, instance: String, stateTitle: String?) -> String {
        "Bắt đầu hồ sơ \(instance) theo quy trình «\(workflowTitle)»" + (stateTitle.map { ", trạng thái «\($0)»" } ?? "")
    }

    static func transition(instance: String, fromTitle: String, toTitle: String, event: String?) -> String {
        "Hồ sơ \(instance) chuyển từ «\(fromTitle)» sang «\(toTitle)»" + (event.map { " (sự kiện «\($0)»)" } ?? "")
    }

    static func duration(_ seconds: Int64) -> String {
        let h = seconds / 3600
        let m = (seconds % 3600) / 60
        if h > 0 && m > 0 { return "\(h) giờ \(m) phút" }
        if h > 0 { return "\(h) giờ" }
        return "\(max(m, 0)) phút"
    }

    static func reminder(title: String, instance: String, daysLeft: Int, dueText: String, secondsLeft: Int64) -> String {
        if daysLeft > 0 {
            return "Còn \(daysLeft) ngày đến hạn «\(title)» (\(instance)), hạn chót \(dueText)"
        }
        if secondsLeft > 0 && secondsLeft < 86_400 {
            return "Hôm nay đến hạn «\(title)» (\(instance)), còn \(duration(secondsLeft)), hạn chót \(dueText)"
        }
        return "Hôm nay đến hạn «\(title)» (\(instance)), hạn chót \(dueText)"
    }

    static func overdue(title: String, instance: String, daysLeft: Int, dueText: String) -> String {
        if daysLeft < 0 {
            return "Quá hạn \(-daysLeft) ngày: «\(title)» (\(instance)), hạn chót \(dueText)"
        }
        return "Đã quá hạn chót: «\(title)» (\(instance)), hạn chót \(dueText)"
    }

    static func milestoneDone(title: String, instance: String) -> String {
        "Đã hoàn thành «\(title)» (\(instance))"
    }

    static func completed(workflowTitle: String, instance: String) -> String {
        "Hồ sơ \(instance) đã hoàn tất quy trình «\(workflowTitle)»"
    }

    static func rejected(event: String, instance: String, reason: String) -> String {
        "Từ chối sự kiện «\(event)» cho hồ sơ \(instance): \(reason)"
    }

    static func noStates(_ workflow: String) -> String {
        "quy trình '\(workflow)' không có trạng thái, chỉ nhận sự kiện 'done' cho các mốc"
    }

    static func finalState(_ state: String) -> String {
        "hồ sơ đã ở trạng thái kết thúc «\(state)»"
    }

    static func unhandled(event: String, state: String, known: [String]) -> String {
        let list = known.isEmpty ? "không nhận sự kiện nào" : "chỉ nhận: \(known.joined(separator: ", "))"
        return "trạng thái «\(state)» không nhận sự kiện «\(event)» (\(list))\(didYouMean(event, known))"
    }

    static func noBranch(event: String, branches: [Branch]) -> String {
        let conds = branches.map { b in
            b.conditions.map { c in
                "\(c.field) \(c.op.rawValue) \(c.values.map { $0.display(zone: .vietnam) }.joined(separator: "|"))"
            }.joined(separator: " và ")
        }
        return "không nhánh nào của sự kiện «\(event)» thỏa điều kiện (\(conds.joined(separator: "; ")))"
    }

    static func unknownMilestone(_ id: String, known: [String]) -> String {
        "không có mốc '\(id)'\(didYouMean(id, known))"
    }

    static func missingRequires(_ title: String, _ missing: [String]) -> String {
        "chưa thể hoàn thành «\(title)»: còn thiếu \(missing.joined(separator: ", "))"
    }

    static func limit(_ limit: String, group: String?, count: Int, max: Int) -> String {
        "vượt giới hạn \(limit)" + (group.map { " trong nhóm «\($0)»" } ?? "") + ": sẽ có \(count), tối đa \(max)"
    }
}
