/// An append-only byte buffer for large JSON replies (Agenda: ~30,000 items, 8 MB at 10^6 instances), written with
/// plain stores into memory it owns. Written by hand because the general-purpose buffers are slow at this shape of
/// work — a few hundred short pieces per item: `[UInt8].append(contentsOf:)` checks uniqueness and capacity and goes
/// through the `Sequence` copy for each piece, about half of Agenda's time in a profile at 3·10^5 instances
/// (01/12/2026); NIO's `ByteBuffer` does the same checks per write and is not linked into the daemon. Here one
/// capacity check covers a piece and the copy is a short loop or `memcpy`; every write checks capacity itself, so no
/// caller can write past the end.
public struct ByteWriter: ~Copyable {
    // Inlinable, with storage visible to inlined code: the writer's callers are in other modules (the daemon), and a
    // call per piece is what this type exists to avoid.
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    /// The number of bytes written.
    public var count: Int { written }
    @usableFromInline var written = 0

    public init(capacity: Int = 1 << 16) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far, valid during `body`.
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: written))
    }

    /// Room for `extra` more bytes: the capacity at least doubles, so n writes cost O(n) copies in all.
    @inlinable @inline(__always) mutating func reserve(_ extra: Int) {
        if written + extra > capacity { grow(written + extra) }
    }

    @usableFromInline mutating func grow(_ needed: Int) {
        let newCapacity = max(needed, 2 * capacity)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: written)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inlinable @inline(__always) public mutating func append(_ byte: UInt8) {
        reserve(1)
        base[written] = byte
        written += 1
    }

    @inlinable @inline(__always) public mutating func append(_ s: StaticString) {
        append(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inlinable @inline(__always) public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let p = bytes.baseAddress else { return }
        reserve(bytes.count)
        copy(p, bytes.count)
    }

    /// `n` bytes from `p` to the end, capacity reserved: most pieces of a JSON item are a few bytes long, which a loop
    /// copies faster than a call to `memmove`.
    @inlinable @inline(__always) mutating func copy(_ p: UnsafePointer<UInt8>, _ n: Int) {
        assert(written + n <= capacity, "ByteWriter: a copy past the reserved capacity")
        if n <= 16 {
            for k in 0..<n { base[written + k] = p[k] }
        } else {
            (base + written).initialize(from: p, count: n)
        }
        written += n
    }

    /// A decimal integer, as `JSON.writeInt` writes it.
    public mutating func appendInt(_ i: Int) {
        reserve(20)  // Int.min: a sign and 19 digits; no Int has more
        if i < 0 {
            base[written] = UInt8(ascii: "-")
            written += 1
        }
        var v = i.magnitude
        var digits = 0
        var t = v
        repeat {
            digits += 1
            t /= 10
        } while t > 0
        var at = written + digits
        repeat {
            at -= 1
            base[at] = 48 + UInt8(v % 10)
            v /= 10
        } while v > 0
        written += digits
        assert(written <= capacity, "ByteWriter: an integer past the reserved capacity")
    }

    /// A JSON string from UTF-8 bytes, escaped exactly as `JSON.writeString(utf8:to:)` escapes it.
    public mutating func appendJSONString(utf8 b: UnsafeBufferPointer<UInt8>) {
        // Worst case: every byte becomes a 6-byte `\u00XX`, plus the quotes.
        reserve(6 * b.count + 2)
        base[written] = UInt8(ascii: "\"")
        written += 1
        if let p = b.baseAddress {
            var start = 0
            while start < b.count {
                let i = JSON.nextEscape(in: b, from: start)
                copy(p + start, i - start)
                guard i < b.count else { break }
                let e = JSON.escape(at: i, in: b)
                for k in 0..<e.count { base[written + k] = UInt8(truncatingIfNeeded: e.text >> (8 * UInt64(k))) }
                written += e.count
                start = i + e.width
            }
        }
        base[written] = UInt8(ascii: "\"")
        written += 1
        assert(written <= capacity, "ByteWriter: a string past the reserved capacity")
    }
}
