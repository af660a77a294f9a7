import Foundation
import TiendoCore

/// The strings of a `DueIndex` held once each, found by number (0 is NULL): the text, its JSON string literal and,
/// for a due, the day number of the date it starts with. All bytes sit in one array, so a reader walks an agenda with
/// two buffers and no reference counting per item.
public struct Atoms: Sendable {
    struct Span {
        var text: UInt32
        var textCount: UInt32
        var json: UInt32
        var jsonCount: UInt32
        /// `CivilDate.parse(text.prefix(10))`'s day number, or `Int32.min`.
        var day: Int32
    }

    var bytes: [UInt8] = Array("null".utf8)
    var spans: [Span] = [Span(text: 0, textCount: 0, json: 0, jsonCount: 4, day: .min)]

    public var count: Int { spans.count }

    mutating func append(_ s: String) -> UInt32 {
        let start = UInt32(bytes.count)
        bytes.append(contentsOf: s.utf8)
        let json = UInt32(bytes.count)
        JSON.writeString(s, to: &bytes)
        let day = CivilDate.parse(s.prefix(10)).flatMap { Int32(exactly: $0.dayNumber) } ?? .min
        spans.append(Span(text: start, textCount: json - start, json: json, jsonCount: UInt32(bytes.count) - json, day: day))
        return UInt32(spans.count - 1)
    }

    /// The string of atom `id` (nil for 0).
    public func text(_ id: UInt32) -> String? {
        guard id != 0 else { return nil }
        let s = spans[Int(id)]
        return String(decoding: bytes[Int(s.text)..<Int(s.text + s.textCount)], as: UTF8.self)
    }

    /// -1, 0 or 1 as atom `id`'s text sorts before, with or after `other` (bytes; NULL as the empty string).
    func compareText(_ id: UInt32, _ other: UnsafeBufferPointer<UInt8>) -> Int {
        let s = spans[Int(id)]
        return Atoms.compare(id == 0 ? bytes[0..<0] : bytes[Int(s.text)..<Int(s.text + s.textCount)], other)
    }

    /// Byte order, as SQLite's BINARY collation compares.
    static func compare(_ a: ArraySlice<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        a.withUnsafeBufferPointer { a in compare(a, b) }
    }

    /// Byte order, as SQLite's BINARY collation compares: -1, 0 or 1.
    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let n = min(a.count, b.count)
        let c = n == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, n)
        if c != 0 { return c < 0 ? -1 : 1 }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    /// Runs `body` with the atoms' bytes in place.
    public func withBuffers<R>(_ body: (Buffers) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { b in try spans.withUnsafeBufferPointer { s in try body(Buffers(bytes: b, spans: s)) } }
    }

    /// The atoms of a snapshot, valid inside `withBuffers`.
    public struct Buffers {
        let bytes: UnsafeBufferPointer<UInt8>
        let spans: UnsafeBufferPointer<Span>

        /// Atom `id` as a JSON string literal, `null` for 0.
        @inline(__always) public func json(_ id: UInt32) -> UnsafeBufferPointer<UInt8> {
            let s = spans[Int(id)]
            return UnsafeBufferPointer(rebasing: bytes[Int(s.json)..<Int(s.json + s.jsonCount)])
        }

        /// Atom `id`'s text.
        @inline(__always) public func text(_ id: UInt32) -> UnsafeBufferPointer<UInt8> {
            let s = spans[Int(id)]
            return UnsafeBufferPointer(rebasing: bytes[Int(s.text)..<Int(s.text + s.textCount)])
        }

        /// The day number of the date atom `id` starts with.
        @inline(__always) public func day(_ id: UInt32) -> Int? {
            let d = spans[Int(id)].day
            return d == .min ? nil : Int(d)
        }
    }
}

/// The atom numbers of strings already held, for the writer alone (readers never need them: they are not in a
/// snapshot, so a new atom does not copy them). Keys compare byte by byte, as SQLite does: a group typed precomposed
/// and the same group typed decomposed stay two atoms.
struct Interner {
    struct Key: Hashable {
        let text: String
        static func == (a: Key, b: Key) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }
        func hash(into h: inout Hasher) { CountKey.combine(text, into: &h) }
    }

    var ids: [Key: UInt32] = [:]

    /// The atom of `s` (0 for nil), added to `atoms` when new.
    mutating func atom(_ s: String?, in atoms: inout Atoms) -> UInt32 {
        guard let s else { return 0 }
        if let id = ids[Key(text: s)] { return id }
        let id = atoms.append(s)
        ids[Key(text: s)] = id
        return id
    }

    func lookup(_ s: String) -> UInt32? { ids[Key(text: s)] }
}
