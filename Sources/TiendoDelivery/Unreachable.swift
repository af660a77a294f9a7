/// A recipient a route names through a field of the instance's data (`to: {field: …}`) that holds no e-mail
/// address: nothing can be sent to this person. tiendod keeps it in the queue as a dead letter with its reason, so
/// the office sees that the member is not reached (`tiendoctl deliveries`, the web's «Thông báo gửi đi», the counts
/// of status and Prometheus); a line in the journal alone told nobody (audit, 07/12/2026).
public struct Unreachable: Sendable, Hashable {
    /// `RECORD-KEY|CHANNEL|!VALUE`: unique beside the deliveries' keys (an address has no `!` before it).
    public var key: String
    public var channel: String
    public var route: String
    /// What the field holds, on one line: stored as the row's recipient, shown as typed.
    public var value: String
    /// The name the record's instance goes by (`WorkflowDefinition.label`).
    public var label: String?
    /// Why, in the office's words, with what to do.
    public var reason: String
    /// The same for the journal, naming the instance, the field and the route.
    public var logLine: String

    /// Whether a delivery's key is such a dead letter's (the `|!` before the value).
    public static func isUnreachable(key: String) -> Bool { key.contains("|!") }

    public init(key: String, channel: String, route: String, value: String, label: String?, reason: String, logLine: String) {
        self.key = key
        self.channel = channel
        self.route = route
        self.value = value
        self.label = label
        self.reason = reason
        self.logLine = logLine
    }

    /// Why a recipient's text is not an address, with what to do: the same words at the fan-out and when a dead
    /// letter of it is tried again. `field`: the field's title, when known.
    public static func reason(value: String, field: String?) -> String {
        let whose = field.map { "trường «\($0)» của hồ sơ ghi" } ?? "người nhận ghi"
        return "\(whose) «\(value)», không phải một địa chỉ e-mail (dạng ten@ten-mien, chữ không dấu): hãy sửa trong hồ sơ;"
            + " các thông báo sau sẽ gửi được"
    }
}
