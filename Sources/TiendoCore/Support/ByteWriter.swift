/// An append-only byte buffer for large JSON replies (Agenda: ~30,000 items, 8 MB at 10^6 instances), written with
/// plain stores into memory it owns. Written by hand because the general-purpose buffers are slow at this shape of
/// work — a few hundred short pieces per item: `[UInt8].append(contentsOf:)` checks uniqueness and capacity and goes
/// through the `Sequence` copy for each piece, about half of Agenda's time in a profile at 3·10^5 instances
/// (01/12/2026); NIO's `ByteBuffer` does the same checks per write and is not linked into the daemon. Here one
/// capacity check covers a piece and the copy is a short loop or `memcpy`; every write checks capacity itself, so no
/// caller can write past the end.
public struct ByteWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    public private(set) var count = 0

    public init(capacity: Int = 1 << 16) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far, valid during `body`.
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// Room for `extra` more bytes: the capacity at least doubles, so n writes cost O(n) copies in all.
    @inline(__always) private mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    private mutating func grow(_ needed: Int) {
        let newCapacity = max(needed, 2 * capacity)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always) public mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always) public mutating func append(_ s: StaticString) {
        append(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always) public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let p = bytes.baseAddress else { return }
        reserve(bytes.count)
        copy(p, bytes.count)
    }

    /// `n` bytes from `p` to the end, capacity reserved: most pieces of a JSON item are a few bytes long, which a loop
    /// copies faster than a call to `memmove`.
    @inline(__always) private mutating func copy(_ p: UnsafePointer<UInt8>, _ n: Int) {
        if n <= 16 {
            for k in 0..<n { base[count + k] = p[k] }
        } else {
            (base + count).initialize(from: p, count: n)
        }
        count += n
    }

    /// A decimal integer, as `JSON.writeInt` writes it.
    public mutating func appendInt(_ i: Int) {
        reserve(21)  // a sign and Int's 20 digits
        if i < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        var v = i.magnitude
        var digits = 0
        var t = v
        repeat {
            digits += 1
            t /= 10
        } while t > 0
        var at = count + digits
        repeat {
            at -= 1
            base[at] = 48 + UInt8(v % 10)
            v /= 10
        } while v > 0
        count += digits
    }

    /// A JSON string from UTF-8 bytes, escaped exactly as `JSON.writeString(utf8:to:)` escapes it.
    public mutating func appendJSONString(utf8 b: UnsafeBufferPointer<UInt8>) {
        // Worst case: every byte becomes a 6-byte `\u00XX`, plus the quotes.
        reserve(6 * b.count + 2)
        base[count] = UInt8(ascii: "\"")
        count += 1
        if let p = b.baseAddress {
            var start = 0
            while start < b.count {
                let i = JSON.nextEscape(in: b, from: start)
                copy(p + start, i - start)
                guard i < b.count else { break }
                let e = JSON.escape(at: i, in: b)
                for k in 0..<e.count { base[count + k] = UInt8(truncatingIfNeeded: e.text >> (8 * UInt64(k))) }
                count += e.count
                start = i + e.width
            }
        }
        base[count] = UInt8(ascii: "\"")
        count += 1
    }
}
