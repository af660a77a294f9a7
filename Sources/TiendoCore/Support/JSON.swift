/// A JSON value with ordered object keys, a strict parser and a compact serializer.
/// Integers and floating-point numbers are kept apart so that `1` and `1.0` round-trip as written.
public enum JSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into h: inout Hasher) { h.combine(serialized()) }

    public subscript(key: String) -> JSON? {
        if case .object(let pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        default: return nil
        }
    }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: [(String, JSON)]? { if case .object(let o) = self { return o } else { return nil } }
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    // MARK: Serialization

    public func serialized(pretty: Bool = false) -> String {
        String(decoding: bytes(pretty: pretty), as: UTF8.self)
    }

    /// The UTF-8 text, built as bytes (appending to a byte array is several times faster than to a String).
    public func bytes(pretty: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(to: &out, pretty: pretty, indent: 0)
        return out
    }

    @inline(__always) public static func append(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    static func newline(_ indent: Int, to out: inout [UInt8]) {
        out.append(10)
        for _ in 0..<indent { out.append(32); out.append(32) }
    }

    public static func writeInt(_ i: Int, to out: inout [UInt8]) {
        if i >= 0 && i < 10 {
            out.append(48 + UInt8(i))
            return
        }
        var v = i.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch: Int's 20 digits fit
        let count = withUnsafeMutableBytes(of: &digits) { buf -> Int in
            var n = 0
            repeat {
                buf[23 - n] = 48 + UInt8(v % 10)
                v /= 10
                n += 1
            } while v > 0
            return n
        }
        if i < 0 { out.append(45) }
        withUnsafeBytes(of: &digits) { buf in out.append(contentsOf: buf[(24 - count)...]) }
    }

    public func write(to out: inout [UInt8], pretty: Bool = false, indent: Int = 0) {
        switch self {
        case .null: JSON.append("null", to: &out)
        case .bool(let b): b ? JSON.append("true", to: &out) : JSON.append("false", to: &out)
        case .int(let i): JSON.writeInt(i, to: &out)
        case .double(let d):
            if d.isFinite {
                if d == d.rounded(), abs(d) < 1e15 {
                    JSON.writeInt(Int(d), to: &out)
                    JSON.append(".0", to: &out)
                } else {
                    out.append(contentsOf: String(d).utf8)
                }
            } else {
                JSON.append("null", to: &out)
            }
        case .string(let s): JSON.writeString(s, to: &out)
        case .array(let a):
            if a.isEmpty {
                JSON.append("[]", to: &out)
                return
            }
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { JSON.newline(indent + 1, to: &out) }
                v.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { JSON.newline(indent, to: &out) }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            if o.isEmpty {
                JSON.append("{}", to: &out)
                return
            }
            out.append(UInt8(ascii: "{"))
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { JSON.newline(indent + 1, to: &out) }
                JSON.writeString(k, to: &out)
                pretty ? JSON.append(": ", to: &out) : out.append(UInt8(ascii: ":"))
                v.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { JSON.newline(indent, to: &out) }
            out.append(UInt8(ascii: "}"))
        }
    }

    public static func writeString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { writeString(utf8: $0, to: &out) }
    }

    /// A JSON string from UTF-8 bytes: quotes, backslashes and control characters escaped, the rest copied. DEL and
    /// the C1 controls (U+0080–U+009F, which a terminal may act on: U+009B is CSI) are escaped too, so JSON output
    /// shown on a terminal is as inert as human output.
    public static func writeString(utf8 b: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var start = 0
        while start < b.count {
            let i = nextEscape(in: b, from: start)
            if start < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i])) }
            guard i < b.count else { break }
            let e = escape(at: i, in: b)
            for k in 0..<e.count { out.append(UInt8(truncatingIfNeeded: e.text >> (8 * UInt64(k)))) }
            start = i + e.width
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The index of the first byte at or after `from` that `writeString` escapes (`b.count` if none): quotes,
    /// backslashes, C0 controls, DEL, and the lead byte 0xC2 of a C1 control (U+0080–U+009F are 0xC2 0x80–0x9F).
    /// This scan is most of the time of a large reply (Agenda at 10^6 instances: 8 MB, most of it Vietnamese titles
    /// and group names, which hold none of these bytes), so it tests eight bytes at a time (`mayEscape`) and only a
    /// word that may hold one byte by byte.
    @inline(__always) static func nextEscape(in b: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        guard let p = b.baseAddress else { return b.count }
        let n = b.count
        var i = from
        while i < n {
            if i + 8 <= n {
                if !mayEscape(UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) {
                    i += 8
                    continue
                }
                let end = i + 8
                while i < end {
                    if escapes(at: i, in: b) { return i }
                    i += 1
                }
                continue
            }
            if escapes(at: i, in: b) { return i }
            i += 1
        }
        return n
    }

    /// Whether the byte at `i` starts an escape: one bit test per byte.
    @inline(__always) static func escapes(at i: Int, in b: UnsafeBufferPointer<UInt8>) -> Bool {
        let u = b[i]
        let word: UInt64
        switch u >> 6 {
        case 0: word = 0x0000_0004_FFFF_FFFF  // 0x00–0x1F and 0x22
        case 1: word = 0x8000_0000_1000_0000  // 0x5C and 0x7F
        case 2: word = 0
        default: word = 0x4  // 0xC2
        }
        return (word >> UInt64(u & 63)) & 1 != 0 && (u != 0xC2 || (i + 1 < b.count && b[i + 1] < 0xA0))
    }

    /// Whether any of the eight bytes of `w` is below 0x20 or is 0x22, 0x5C, 0x7F or 0xC2: false means none of them
    /// starts an escape (true may still mean none does: a 0xC2 that is not a C1 control's lead). The usual word tests
    /// (Bit Twiddling Hacks, "Determine if a word has a byte less than n" and "… has a zero byte"), each exact for
    /// the word as a whole.
    @inline(__always) static func mayEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & high }
        let below20 = (w &- (0x20 &* ones)) & ~w & high
        let equal = hasZero(w ^ (0x22 &* ones)) | hasZero(w ^ (0x5C &* ones)) | hasZero(w ^ (0x7F &* ones)) | hasZero(w ^ (0xC2 &* ones))
        return (below20 | equal) != 0
    }

    /// The escape for the byte `nextEscape` found at `i` (only there: for a 0xC2 it reads the next byte, which
    /// `nextEscape` checked exists): up to 6 bytes packed little-endian into `text`, and how many input bytes it
    /// replaces (2 for a C1 control).
    static func escape(at i: Int, in b: UnsafeBufferPointer<UInt8>) -> (text: UInt64, count: Int, width: Int) {
        func packed(_ s: StaticString) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<s.utf8CodeUnitCount { v |= UInt64(s.utf8Start[k]) << (8 * UInt64(k)) }
            return v
        }
        switch b[i] {
        case 0x22: return (packed("\\\""), 2, 1)
        case 0x5C: return (packed("\\\\"), 2, 1)
        case 0x0A: return (packed("\\n"), 2, 1)
        case 0x0D: return (packed("\\r"), 2, 1)
        case 0x09: return (packed("\\t"), 2, 1)
        default:
            let c1 = b[i] == 0xC2
            let code = UInt64(c1 ? b[i + 1] : b[i])
            func hex(_ d: UInt64) -> UInt64 { d < 10 ? 48 + d : 87 + d }
            return (packed("\\u00") | hex(code >> 4) << 32 | hex(code & 15) << 40, 6, c1 ? 2 : 1)
        }
    }

    // MARK: Parsing

    public struct ParseError: Error, CustomStringConvertible, Sendable, Equatable {
        public var offset: Int
        public var reason: String
        public var description: String { "JSON không hợp lệ tại byte \(offset): \(reason)" }
    }

    public static func parse(_ text: String) throws(ParseError) -> JSON {
        var bytes = Array(text.utf8)
        return try parse(bytes: &bytes)
    }

    public static func parse(bytes: inout [UInt8]) throws(ParseError) -> JSON {
        try bytes.withUnsafeBufferPointer { (buf) throws(ParseError) -> JSON in
            var p = Parser(b: buf, i: 0)
            p.skipWS()
            let v = try p.value(depth: 0)
            p.skipWS()
            guard p.i == buf.count else { throw ParseError(offset: p.i, reason: "dữ liệu thừa sau giá trị JSON") }
            return v
        }
    }

    public static func parse(buffer: UnsafeBufferPointer<UInt8>) throws(ParseError) -> JSON {
        var p = Parser(b: buffer, i: 0)
        p.skipWS()
        let v = try p.value(depth: 0)
        p.skipWS()
        guard p.i == buffer.count else { throw ParseError(offset: p.i, reason: "dữ liệu thừa sau giá trị JSON") }
        return v
    }

    struct Parser {
        let b: UnsafeBufferPointer<UInt8>
        var i: Int

        mutating func skipWS() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        func fail(_ reason: String) -> ParseError { ParseError(offset: i, reason: reason) }

        mutating func value(depth: Int) throws(ParseError) -> JSON {
            guard depth < 256 else { throw fail("lồng nhau quá sâu") }
            guard i < b.count else { throw fail("hết dữ liệu") }
            switch b[i] {
            case UInt8(ascii: "{"):
                i += 1
                var pairs: [(String, JSON)] = []
                // Duplicate keys: a scan while the object is small (nearly always), a set beyond. A scan alone made one
                // 300 KB message with 30,000 keys hold the control socket's I/O thread for half a minute (audit, 07/12).
                var seen: Set<String>?
                skipWS()
                if i < b.count, b[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(pairs)
                }
                while true {
                    skipWS()
                    guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("cần một khóa chuỗi") }
                    let k = try string()
                    skipWS()
                    guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("cần ':'") }
                    i += 1
                    skipWS()
                    let v = try value(depth: depth + 1)
                    if pairs.count == 16 { seen = Set(pairs.lazy.map(\.0)) }
                    let repeated = seen != nil ? !seen!.insert(k).inserted : pairs.contains(where: { $0.0 == k })
                    if repeated { throw fail("khóa '\(k)' bị lặp") }
                    pairs.append((k, v))
                    skipWS()
                    guard i < b.count else { throw fail("hết dữ liệu") }
                    if b[i] == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    if b[i] == UInt8(ascii: "}") {
                        i += 1
                        return .object(pairs)
                    }
                    throw fail("cần ',' hoặc '}'")
                }
            case UInt8(ascii: "["):
                i += 1
                var items: [JSON] = []
                skipWS()
                if i < b.count, b[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(items)
                }
                while true {
                    skipWS()
                    items.append(try value(depth: depth + 1))
                    skipWS()
                    guard i < b.count else { throw fail("hết dữ liệu") }
                    if b[i] == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    if b[i] == UInt8(ascii: "]") {
                        i += 1
                        return .array(items)
                    }
                    throw fail("cần ',' hoặc ']'")
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            default:
                return try number()
            }
        }

        mutating func literal(_ word: StaticString) throws(ParseError) {
            let n = word.utf8CodeUnitCount
            guard i + n <= b.count else { throw fail("giá trị không hợp lệ") }
            for j in 0..<n where b[i + j] != word.utf8Start[j] { throw fail("giá trị không hợp lệ") }
            i += n
        }

        mutating func number() throws(ParseError) -> JSON {
            let start = i
            var isInt = true
            if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count, b[i] >= 48, b[i] <= 57 else { throw fail("giá trị không hợp lệ") }
            if b[i] == 48 {
                i += 1
            } else {
                while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            }
            if i < b.count, b[i] == UInt8(ascii: ".") {
                isInt = false
                i += 1
                guard i < b.count, b[i] >= 48, b[i] <= 57 else { throw fail("số không hợp lệ") }
                while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            }
            if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                isInt = false
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                guard i < b.count, b[i] >= 48, b[i] <= 57 else { throw fail("số không hợp lệ") }
                while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
            if isInt, let v = Int(text) { return .int(v) }
            guard let d = Double(text) else { throw fail("số không hợp lệ") }
            return .double(d)
        }

        mutating func string() throws(ParseError) -> String {
            i += 1  // opening quote
            let start = i
            // Fast path: no escapes.
            while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20 { i += 1 }
            guard i < b.count else { throw fail("chuỗi chưa đóng") }
            if b[i] == UInt8(ascii: "\"") {
                let s = try utf8(start, i)
                i += 1
                return s
            }
            var out = [UInt8](UnsafeBufferPointer(rebasing: b[start..<i]))
            while true {
                guard i < b.count else { throw fail("chuỗi chưa đóng") }
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    break
                }
                if c < 0x20 { throw fail("ký tự điều khiển trong chuỗi") }
                if c != UInt8(ascii: "\\") {
                    out.append(c)
                    i += 1
                    continue
                }
                i += 1
                guard i < b.count else { throw fail("chuỗi chưa đóng") }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var cp = try hex4()
                    if (0xD800..<0xDC00).contains(cp) {
                        guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                            throw fail("cặp thay thế UTF-16 không hợp lệ")
                        }
                        i += 2
                        let lo = try hex4()
                        guard (0xDC00..<0xE000).contains(lo) else { throw fail("cặp thay thế UTF-16 không hợp lệ") }
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(cp) {
                        throw fail("cặp thay thế UTF-16 không hợp lệ")
                    }
                    guard let scalar = Unicode.Scalar(cp) else { throw fail("mã Unicode không hợp lệ") }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw fail("chuỗi thoát không hợp lệ")
                }
            }
            guard let s = String(validating: out, as: UTF8.self) else { throw fail("chuỗi không phải UTF-8") }
            return s
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard i + 4 <= b.count else { throw fail("\\u không hợp lệ") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = b[i]
                let d: UInt32
                switch c {
                case 48...57: d = UInt32(c - 48)
                case 65...70: d = UInt32(c - 55)
                case 97...102: d = UInt32(c - 87)
                default: throw fail("\\u không hợp lệ")
                }
                v = v * 16 + d
                i += 1
            }
            return v
        }

        func utf8(_ from: Int, _ to: Int) throws(ParseError) -> String {
            let slice = UnsafeBufferPointer(rebasing: b[from..<to])
            guard let s = String(validating: slice, as: UTF8.self) else { throw fail("chuỗi không phải UTF-8") }
            return s
        }
    }
}
