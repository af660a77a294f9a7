import CZlib

/// The parts of an uploaded ZIP archive (an .xlsx), read in memory with every offset and length checked against the
/// upload, and inflated by zlib within a budget.
///
/// Written here rather than taken from ZIPFoundation (tried first): on Linux its in-memory reader traps on an entry
/// that points past the data, and its inflate loops for ever on a deflate stream that never ends (both open upstream,
/// weichsel/ZIPFoundation #394 and #389): a 500-byte upload took tiendo-web down or held a core at 100 % for good.
/// What a workbook needs is small: the central directory, stored and deflated entries, no encryption, no ZIP64.
struct ZipArchive {
    struct Entry {
        var method: UInt16
        var flags: UInt16
        var crc: UInt32
        var compressedSize: Int
        var size: Int
        var localHeader: Int
    }

    let bytes: [UInt8]
    /// Entries by their path in the archive.
    let entries: [String: Entry]

    enum Problem: Error, Equatable {
        /// Not a ZIP archive as the format lays one out, or damaged.
        case malformed
        /// A part would inflate past the budget.
        case tooLarge
    }

    init(_ bytes: [UInt8]) throws(Problem) {
        self.bytes = bytes
        // The end of central directory record: its signature within the last 64 KiB + 22 bytes (its comment's room).
        guard bytes.count >= 22 else { throw .malformed }
        let floor = max(0, bytes.count - 22 - 0xFFFF)
        guard let end = stride(from: bytes.count - 22, through: floor, by: -1).first(where: { ZipArchive.u32(bytes, $0) == 0x0605_4B50 })
        else { throw .malformed }
        let count = Int(ZipArchive.u16(bytes, end + 10))
        let directorySize = Int(ZipArchive.u32(bytes, end + 12))
        var at = Int(ZipArchive.u32(bytes, end + 16))
        guard at + directorySize <= end else { throw .malformed }
        var entries: [String: Entry] = [:]
        for _ in 0..<count {
            guard at + 46 <= end, ZipArchive.u32(bytes, at) == 0x0201_4B50 else { throw .malformed }
            let nameLength = Int(ZipArchive.u16(bytes, at + 28))
            let skip = nameLength + Int(ZipArchive.u16(bytes, at + 30)) + Int(ZipArchive.u16(bytes, at + 32))
            guard at + 46 + skip <= end else { throw .malformed }
            let name = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            entries[name] = Entry(
                method: ZipArchive.u16(bytes, at + 10), flags: ZipArchive.u16(bytes, at + 8), crc: ZipArchive.u32(bytes, at + 16),
                compressedSize: Int(ZipArchive.u32(bytes, at + 20)), size: Int(ZipArchive.u32(bytes, at + 24)),
                localHeader: Int(ZipArchive.u32(bytes, at + 42)))
            at += 46 + skip
        }
        self.entries = entries
    }

    /// The part at `path`, nil when the archive has none; refused when damaged (its offsets, its method, its
    /// checksum or its length not as the directory says) or larger than `limit` once inflated.
    /// `inflated` grows by what was inflated, whether the part then passes its checksum or not (a part refused
    /// before it is inflated costs nothing).
    func part(_ path: String, limit: Int, inflated: inout Int) throws(Problem) -> [UInt8]? {
        guard let e = entries[path] else { return nil }
        // Encrypted (bit 0) parts are not a workbook's; sizes of 0xFFFFFFFF mean ZIP64, which no upload needs.
        guard e.flags & 1 == 0, e.compressedSize != 0xFFFF_FFFF, e.size != 0xFFFF_FFFF else { throw .malformed }
        guard e.size <= limit else { throw .tooLarge }
        let local = e.localHeader
        guard local + 30 <= bytes.count, ZipArchive.u32(bytes, local) == 0x0403_4B50 else { throw .malformed }
        let start = local + 30 + Int(ZipArchive.u16(bytes, local + 26)) + Int(ZipArchive.u16(bytes, local + 28))
        guard start + e.compressedSize <= bytes.count else { throw .malformed }
        let data = bytes[start..<(start + e.compressedSize)]
        let out: [UInt8]
        switch e.method {
        case 0:
            inflated += e.size
            out = Array(data)
        case 8:
            inflated += e.size
            out = try ZipArchive.inflate(data, size: e.size)
        default: throw .malformed
        }
        guard out.count == e.size, ZipArchive.crc32(out) == e.crc else { throw .malformed }
        return out
    }

    /// Raw deflate (RFC 1951) inflated to exactly `size` bytes: a stream that ends before, runs past it, or has no
    /// end within its input is damaged.
    static func inflate(_ input: ArraySlice<UInt8>, size: Int) throws(Problem) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size + 1)
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw .malformed }
        defer { inflateEnd(&stream) }
        let status: Int32 = input.withUnsafeBufferPointer { inBuffer in
            out.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                // One byte more than the directory says: a stream that would write it is longer than declared.
                stream.avail_out = UInt32(outBuffer.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else { throw .malformed }
        out.removeLast()
        return out
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }

    static func u16(_ b: [UInt8], _ at: Int) -> UInt16 {
        guard at >= 0, at + 2 <= b.count else { return 0 }
        return UInt16(b[at]) | UInt16(b[at + 1]) << 8
    }

    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        guard at >= 0, at + 4 <= b.count else { return 0 }
        return UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
}
