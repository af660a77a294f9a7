public import TiendoCore

/// A reply (or error parameters) that does not have the shape of the `vn.tiendo.Manager` interface: names the member
/// (`instances[3].milestones[0].due`) and what is wrong with it.
public struct ReplyDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Where in the reply's parameters, e.g. `instance.milestones[2].due`.
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        "tiendod trả lời không đúng giao diện vn.tiendo.Manager ở '\(path)': \(reason)"
    }
}

/// A value of the interface's types that can be read from (and written as) JSON.
public protocol ManagerValue: Sendable, Equatable {
    /// Reads the value; `path` names it in errors.
    init(json: JSON, path: String) throws(ReplyDecodingError)
    /// The value as the daemon sends it (absent optional members left out).
    var json: JSON { get }
}

/// The members of one JSON object, read by name with the path for errors. Absent and `null` members are the same
/// (varlink's `?type`); members not read are ignored, so a newer daemon's additions do not break older clients.
struct Members {
    let pairs: [(String, JSON)]
    let path: String

    init(_ json: JSON, path: String) throws(ReplyDecodingError) {
        guard case .object(let pairs) = json else {
            throw ReplyDecodingError(path: path, reason: "cần một đối tượng, có \(json.typeName)")
        }
        self.pairs = pairs
        self.path = path
    }

    func at(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The member, nil when absent or null.
    func value(_ key: String) -> JSON? {
        guard let v = pairs.first(where: { $0.0 == key })?.1, !v.isNull else { return nil }
        return v
    }

    func required(_ key: String) throws(ReplyDecodingError) -> JSON {
        guard let v = value(key) else { throw ReplyDecodingError(path: at(key), reason: "thiếu") }
        return v
    }

    func wrongType(_ key: String, _ expected: String, _ v: JSON) -> ReplyDecodingError {
        ReplyDecodingError(path: at(key), reason: "cần \(expected), có \(v.typeName)")
    }

    func string(_ key: String) throws(ReplyDecodingError) -> String {
        let v = try required(key)
        guard let s = v.stringValue else { throw wrongType(key, "chuỗi", v) }
        return s
    }

    func optionalString(_ key: String) throws(ReplyDecodingError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else { throw wrongType(key, "chuỗi", v) }
        return s
    }

    func int(_ key: String) throws(ReplyDecodingError) -> Int {
        let v = try required(key)
        guard let i = v.intValue else { throw wrongType(key, "số nguyên", v) }
        return i
    }

    func optionalInt(_ key: String) throws(ReplyDecodingError) -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.intValue else { throw wrongType(key, "số nguyên", v) }
        return i
    }

    func bool(_ key: String) throws(ReplyDecodingError) -> Bool {
        let v = try required(key)
        guard let b = v.boolValue else { throw wrongType(key, "boolean", v) }
        return b
    }

    func optionalBool(_ key: String) throws(ReplyDecodingError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.boolValue else { throw wrongType(key, "boolean", v) }
        return b
    }

    /// An `object` member (kept as JSON).
    func object(_ key: String) throws(ReplyDecodingError) -> JSON {
        let v = try required(key)
        guard case .object = v else { throw wrongType(key, "đối tượng", v) }
        return v
    }

    func value<T: ManagerValue>(_ key: String, as type: T.Type = T.self) throws(ReplyDecodingError) -> T {
        try T(json: try required(key), path: at(key))
    }

    func optionalValue<T: ManagerValue>(_ key: String, as type: T.Type = T.self) throws(ReplyDecodingError) -> T? {
        guard let v = value(key) else { return nil }
        return try T(json: v, path: at(key))
    }

    /// A `[]T` member; `missing` is what an absent member reads as (nil: it is required).
    func list<T: ManagerValue>(_ key: String, of type: T.Type = T.self, missing: [T]? = nil) throws(ReplyDecodingError) -> [T] {
        guard let v = value(key) else {
            if let missing { return missing }
            throw ReplyDecodingError(path: at(key), reason: "thiếu")
        }
        guard case .array(let items) = v else { throw wrongType(key, "mảng", v) }
        var out: [T] = []
        out.reserveCapacity(items.count)
        // Each item is read with the list's path and its index put in only when it fails: a path written for every
        // item was a tenth of reading a province's 49,188 groups.
        let base = at(key)
        for (i, item) in items.enumerated() {
            do {
                out.append(try T(json: item, path: base))
            } catch {
                throw ReplyDecodingError(path: base + "[\(i)]" + error.path.dropFirst(base.count), reason: error.reason)
            }
        }
        return out
    }

    func strings(_ key: String) throws(ReplyDecodingError) -> [String] {
        let v = try required(key)
        guard case .array(let items) = v else { throw wrongType(key, "mảng", v) }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard let s = item.stringValue else {
                throw ReplyDecodingError(path: "\(at(key))[\(i)]", reason: "cần chuỗi, có \(item.typeName)")
            }
            out.append(s)
        }
        return out
    }

    /// A `[string]int` member, in the order sent.
    func counts(_ key: String) throws(ReplyDecodingError) -> [(String, Int)] {
        let v = try required(key)
        guard case .object(let pairs) = v else { throw wrongType(key, "đối tượng", v) }
        var out: [(String, Int)] = []
        for (name, n) in pairs {
            guard let i = n.intValue else {
                throw ReplyDecodingError(path: "\(at(key)).\(name)", reason: "cần số nguyên, có \(n.typeName)")
            }
            out.append((name, i))
        }
        return out
    }
}

/// Builds an object in the daemon's member order, leaving out absent optional members.
struct ObjectWriter {
    var pairs: [(String, JSON)] = []

    mutating func add(_ key: String, _ value: JSON) { pairs.append((key, value)) }
    mutating func add(_ key: String, _ value: String) { pairs.append((key, .string(value))) }
    mutating func add(_ key: String, _ value: Int) { pairs.append((key, .int(value))) }
    mutating func add(_ key: String, _ value: Bool) { pairs.append((key, .bool(value))) }
    mutating func add(_ key: String, _ value: String?) { if let value { add(key, value) } }
    mutating func add(_ key: String, _ value: Int?) { if let value { add(key, value) } }
    mutating func add(_ key: String, _ value: Bool?) { if let value { add(key, value) } }
    mutating func add(_ key: String, _ value: (some ManagerValue)?) { if let value { add(key, value.json) } }
    mutating func add(_ key: String, _ values: [some ManagerValue]) { add(key, .array(values.map(\.json))) }

    var json: JSON { .object(pairs) }
}
