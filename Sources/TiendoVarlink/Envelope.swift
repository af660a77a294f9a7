public import TiendoCore

/// A message that is JSON but not a varlink call or reply.
public enum VarlinkEnvelopeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The message is a JSON value other than an object.
    case notAnObject
    /// A call without a string `method`.
    case missingMethod
    /// `parameters` is present and not an object.
    case parametersNotAnObject
    /// A member has the wrong type (`error` not a string, `continues` not a boolean).
    case invalidMember(String)

    public var description: String {
        switch self {
        case .notAnObject: return "thông điệp varlink không phải một đối tượng JSON"
        case .missingMethod: return "lời gọi varlink không có 'method'"
        case .parametersNotAnObject: return "'parameters' của thông điệp varlink không phải một đối tượng"
        case .invalidMember(let name): return "'\(name)' của thông điệp varlink sai kiểu"
        }
    }
}

/// A method call: `{"method": "vn.tiendo.Manager.GetStatus", "parameters": {…}, "more": true, "oneway": true}`.
public struct VarlinkRequest: Sendable, Equatable {
    /// The fully qualified method name, `INTERFACE.METHOD`.
    public var method: String
    /// Always an object (empty when the call has none).
    public var parameters: JSON
    /// The caller accepts several replies (`continues`).
    public var more: Bool
    /// The caller wants no reply at all.
    public var oneway: Bool

    public init(method: String, parameters: [(String, JSON)] = [], more: Bool = false, oneway: Bool = false) {
        self.method = method
        self.parameters = .object(parameters)
        self.more = more
        self.oneway = oneway
    }

    /// A call as a server receives it. `more` and `oneway` that are not booleans count as false, as tiendod always
    /// read them.
    public init(json: JSON) throws(VarlinkEnvelopeError) {
        guard case .object = json else { throw .notAnObject }
        guard let method = json["method"]?.stringValue else { throw .missingMethod }
        self.method = method
        switch json["parameters"] {
        case nil, .null?: parameters = .object([])
        case .object(let p)?: parameters = .object(p)
        default: throw .parametersNotAnObject
        }
        more = json["more"]?.boolValue ?? false
        oneway = json["oneway"]?.boolValue ?? false
    }

    /// The parameters as name-value pairs, in the order sent.
    public var parameterList: [(String, JSON)] { parameters.objectValue ?? [] }

    /// The message (empty parameters and false flags left out).
    public var json: JSON {
        var o: [(String, JSON)] = [("method", .string(method))]
        if let p = parameters.objectValue, !p.isEmpty { o.append(("parameters", parameters)) }
        if more { o.append(("more", .bool(true))) }
        if oneway { o.append(("oneway", .bool(true))) }
        return .object(o)
    }

    /// The framed message: JSON text and NUL.
    public func framed() -> [UInt8] { VarlinkFraming.frame(json) }
}

/// A reply: `{"parameters": {…}}`, `{"error": NAME, "parameters": {…}}`, with `"continues": true` while a `more`
/// call has further replies.
public struct VarlinkResponse: Sendable, Equatable {
    /// Always an object.
    public var parameters: JSON
    /// The fully qualified error name, for an error reply.
    public var error: String?
    public var continues: Bool

    public init(parameters: [(String, JSON)] = [], error: String? = nil, continues: Bool = false) {
        self.parameters = .object(parameters)
        self.error = error
        self.continues = continues
    }

    /// A reply as a client receives it.
    public init(json: JSON) throws(VarlinkEnvelopeError) {
        guard case .object = json else { throw .notAnObject }
        switch json["parameters"] {
        case nil, .null?: parameters = .object([])
        case .object(let p)?: parameters = .object(p)
        default: throw .parametersNotAnObject
        }
        switch json["error"] {
        case nil, .null?: error = nil
        case .string(let name)?: error = name
        default: throw .invalidMember("error")
        }
        switch json["continues"] {
        case nil, .null?: continues = false
        case .bool(let b)?: continues = b
        default: throw .invalidMember("continues")
        }
    }

    /// The error reply as a Swift error, if this is one.
    public var varlinkError: VarlinkError? { error.map { VarlinkError(name: $0, parameters: parameters) } }

    /// The message, in the order tiendod writes it: `error`, `parameters`, `continues`.
    public var json: JSON {
        var o: [(String, JSON)] = []
        if let error { o.append(("error", .string(error))) }
        o.append(("parameters", parameters))
        if continues { o.append(("continues", .bool(true))) }
        return .object(o)
    }

    /// The framed message: JSON text and NUL.
    public func framed() -> [UInt8] { VarlinkFraming.frame(json) }
}

/// An error reply from the service: `{"error": NAME, "parameters": {...}}`, as received.
public struct VarlinkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fully qualified, e.g. `vn.tiendo.Manager.NoSuchInstance`.
    public var name: String
    public var parameters: JSON

    public init(name: String, parameters: JSON = .object([])) {
        self.name = name
        self.parameters = parameters
    }

    /// The last component, e.g. `NoSuchInstance`.
    public var shortName: String { name.split(separator: ".").last.map(String.init) ?? name }
    /// Everything before the last dot, e.g. `vn.tiendo.Manager`.
    public var interface: String {
        guard let dot = name.lastIndex(of: ".") else { return "" }
        return String(name[..<dot])
    }
    public var description: String { name + " " + parameters.serialized() }

    public subscript(_ key: String) -> JSON? { parameters[key] }
}
