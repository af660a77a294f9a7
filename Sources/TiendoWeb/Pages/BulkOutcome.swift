import Hummingbird

/// What happened to the items ticked on a list (the agenda's milestones, `AgendaDone`; the list's records,
/// `RecordsEvent`), said on the page it returns to: what was recorded, now or before, then apart what was refused
/// and why, so that a partial success does not read as a failure. Each item by its task or record.
struct BulkOutcome {
    /// «việc», «hồ sơ».
    var unit: String
    /// «Đã ghi nhận hoàn thành», «Đã ghi «Đã in thẻ» cho».
    var doneLead: String
    /// Before « N việc (không có gì thay đổi).»: «Không ghi nhận được», «Không ghi được «…» cho».
    var refusedLead: String
    /// After the count of items recorded before: «đã được ghi nhận hoàn thành trước đó».
    var alreadySaid = "đã được ghi nhận trước đó"
    var done: [String] = []
    /// Recorded before (a period marked from a page left open): nothing changed.
    var already: [String] = []
    /// Each with its reason.
    var refused: [String] = []
    /// Why the items stopped being tried (tiendod did not answer), the item it stopped at (which tiendod may have
    /// recorded before the answer was lost), and how many after it were not tried.
    var failure: String?
    var inDoubt: String?
    var untried = 0
    /// Why the items stopped being tried when tiendod refused what all of them share (a value typed once for all):
    /// those `untried` were not sent.
    var halted: String?

    /// Items named one by one in a sentence; the rest are counted.
    static let named = 10

    /// Where a form of ticked items may return to: `path` with the list's query as it was filtered. Only a query is
    /// taken from the form, so the redirect stays on this site.
    static func back(to path: String, query: String?) -> String {
        guard let q = query, !q.isEmpty, q.allSatisfy({ $0.isASCII && !$0.isNewline && $0 != "#" }) else { return path }
        return path + "?" + q
    }

    /// Why a form's ticked items are not taken at all (none ticked, more than `max`), or nil. `none` says what to tick.
    static func refusal(count: Int, max: Int, unit: String, none: String) -> String? {
        if count == 0 { return "Chưa chọn \(unit) nào: \(none) Không có gì thay đổi." }
        if count > max { return "Đã chọn \(count) \(unit), quá \(max) \(unit) một lần: hãy chọn ít hơn. Không có gì thay đổi." }
        return nil
    }

    /// Notes an item that failed otherwise than by tiendod's refusal: a record the account does not see (or no longer
    /// exists) is refused in short, and the next items are tried; any other failure (tiendod not answering) stops the
    /// items, those `left` untried. Returns whether to go on.
    mutating func note(_ error: any Error, for what: String, left: Int) -> Bool {
        if let e = error as? PageError, e.status == .notFound {
            refused.append("\(what): không thấy hồ sơ này trong các chi bộ của tài khoản (có thể đã chuyển chi bộ hoặc bị xóa).")
            return true
        }
        failure = PageError.daemon(error).message
        inDoubt = what
        untried = left
        return false
    }

    /// Per name an item was said by: the record it was said of first, and the names two records share.
    var firstID: [String: String] = [:]
    var shared: Set<String> = []

    /// How to say the item `base` of record `id`: `base`, or «base (code)» when another record's item reads the same
    /// (two members called Mai Văn Ba), the first one's entries renamed so at once.
    mutating func name(_ base: String, of id: String) -> String {
        if let other = firstID[base] {
            if other != id, shared.insert(base).inserted { rename(base, to: "\(base) (\(RecordsEvent.key(other)))") }
        } else {
            firstID[base] = id
        }
        return shared.contains(base) ? "\(base) (\(RecordsEvent.key(id)))" : base
    }

    /// Names an item said already by another name: its entries (said alone, or before «: reason») are renamed.
    mutating func rename(_ old: String, to new: String) {
        func renamed(_ s: String) -> String {
            s == old ? new : s.hasPrefix(old + ": ") ? new + s.dropFirst(old.count) : s
        }
        (done, already, refused) = (done.map(renamed), already.map(renamed), refused.map(renamed))
        if inDoubt == old { inDoubt = new }
    }

    /// Stops the items for a refusal that would be the same for each of them, `left` of them not sent.
    mutating func halt(_ reason: String, left: Int) {
        halted = reason
        untried = left
    }

    /// The sentences: what was recorded (nil when nothing was), and what was refused (nil when nothing was).
    var sentences: (recorded: String?, refused: String?) {
        func listed(_ items: [String]) -> String {
            let shown = items.prefix(BulkOutcome.named).joined(separator: "; ")
            return items.count > BulkOutcome.named ? "\(shown) và \(items.count - BulkOutcome.named) \(unit) khác" : shown
        }
        // Refusals are sentences, each an item and its reason («X: Việc này chỉ …»): after a lead sentence of their
        // own, so that no clause holds two colons.
        func reasons(_ items: [String]) -> String {
            let shown = items.prefix(BulkOutcome.named).joined(separator: " ")
            let more = items.count - BulkOutcome.named
            return more > 0 ? "\(shown) Còn \(more) \(unit) khác cũng không ghi được." : shown
        }
        var parts: [String] = []
        if !done.isEmpty { parts.append("\(doneLead) \(done.count) \(unit): \(listed(done)).") }
        if !already.isEmpty {
            parts.append("\(already.count) \(unit) \(alreadySaid), không có gì thay đổi: \(listed(already)).")
        }
        func these(_ n: Int) -> String { n == 1 ? "\(unit) này" : "các \(unit) này" }
        var refusal: [String] = []
        if !refused.isEmpty {
            refusal.append(
                "\(refusedLead) \(refused.count) \(unit) (không có gì thay đổi). \(reasons(refused))")
        }
        if let halted {
            refusal.append("\(halted) \(untried) \(unit) chưa được ghi, \(these(untried)) không có gì thay đổi.")
        }
        if let failure {
            let rest = untried > 0 ? " \(untried) \(unit) sau đó chưa được ghi, \(these(untried)) không có gì thay đổi." : ""
            refusal.append(
                "Dừng lại ở \(inDoubt ?? ""): chưa rõ \(unit) này đã được ghi hay chưa, hãy mở để kiểm tra.\(rest) \(failure)")
        }
        return (parts.isEmpty ? nil : parts.joined(separator: " "), refusal.isEmpty ? nil : refusal.joined(separator: " "))
    }

    /// Said on the next page of the session.
    func flash(_ app: WebApp, _ request: Request, _ context: WebContext) async throws {
        let (recorded, refusal) = sentences
        if let refusal {
            try await app.flash(refusal, ok: false, request, context, done: recorded)
        } else {
            try await app.flash(recorded ?? "", ok: true, request, context)
        }
    }
}
