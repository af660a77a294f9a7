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
    /// Whether `base` is the writer's own memory (else the caller's, from `init(over:)`).
    @usableFromInline var owned: Bool

    public init(capacity: Int = 1 << 16) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
        owned = true
    }

    /// A writer into `buffer`, which the caller owns and which must outlive it: the bytes are written in place until
    /// one would pass the buffer's end; then they move to memory of the writer's own (`isInPlace` false from then on)
    /// and `buffer` is left alone. Lets a large answer be written straight into the memory of the message that
    /// carries it (`Array(unsafeUninitializedCapacity:)`) instead of copied there.
    public init(over buffer: UnsafeMutableBufferPointer<UInt8>) {
        if let b = buffer.baseAddress, buffer.count > 0 {
            (base, capacity, owned) = (b, buffer.count, false)
        } else {
            (base, capacity, owned) = (.allocate(capacity: 16), 16, true)
        }
    }

    deinit { if owned { base.deallocate() } }

    /// Forgets what was written, keeping the memory.
    public mutating func removeAll() { written = 0 }

    /// Whether every byte so far went into the buffer given to `init(over:)`.
    public var isInPlace: Bool { !owned }

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
        if owned { base.deallocate() }
        base = newBase
        owned = true
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

    /// A JSON string, escaped exactly as `JSON.writeString` escapes it.
    public mutating func appendJSONString(_ s: String) {
        var s = s
        s.withUTF8 { appendJSONString(utf8: $0) }
    }

    /// A JSON string from UTF-8 bytes, escaped exactly as `JSON.writeString(utf8:to:)` escapes it. Scans and copies
    /// in one pass, eight bytes at a time while a word holds no byte that may need an escape (`JSON.mayEscape`), byte
    /// by byte through a word that may and through the last few bytes: at 10^6 instances the strings of one Agenda
    /// answer are 8 MB, and a scan followed by a separate copy went over each byte twice.
    public mutating func appendJSONString(utf8 b: UnsafeBufferPointer<UInt8>) {
        // Worst case: every byte becomes a 6-byte `\u00XX`, plus the quotes. So while 8 bytes of input are left,
        // 8 bytes of room are too.
        reserve(6 * b.count + 2)
        var out = base + written
        out.pointee = UInt8(ascii: "\"")
        out += 1
        if let p = b.baseAddress {
            let n = b.count
            var i = 0
            // Whether the 8 bytes before `i` were copied as one word: then the output lines up with them.
            var afterWord = false
            while i < n {
                var end = n
                if i + 8 <= n {
                    let word = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                    if !JSON.mayEscape(word) {
                        UnsafeMutableRawPointer(out).storeBytes(of: word, as: UInt64.self)
                        out += 8
                        i += 8
                        afterWord = true
                        continue
                    }
                    end = i + 8
                } else if afterWord {
                    // The last 1…7 bytes after a word copied whole: the string's last 8 bytes as one word, stored
                    // over the end of that word (the same bytes again), when none of them may need an escape.
                    let back = 8 - (n - i)
                    let word = UnsafeRawPointer(p + n - 8).loadUnaligned(as: UInt64.self)
                    if !JSON.mayEscape(word) {
                        UnsafeMutableRawPointer(out - back).storeBytes(of: word, as: UInt64.self)
                        out += n - i
                        break
                    }
                }
                afterWord = false
                // Byte by byte to the end of this word (an escape may take its next byte too) or of the string.
                while i < end {
                    if JSON.escapes(at: i, in: b) {
                        let e = JSON.escape(at: i, in: b)
                        for k in 0..<e.count { out[k] = UInt8(truncatingIfNeeded: e.text >> (8 * UInt64(k))) }
                        out += e.count
                        i += e.width
                    } else {
                        out.pointee = p[i]
                        out += 1
                        i += 1
                    }
                }
            }
        }
        out.pointee = UInt8(ascii: "\"")
        written = out + 1 - base
        assert(written <= capacity, "ByteWriter: a string past the reserved capacity")
    }
}
