public import TiendoCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a byte stream is not a sequence of varlink messages.
public enum VarlinkFramingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A message (without its NUL) is longer than the reader's `maxMessageBytes`, or that many bytes arrived
    /// without a NUL. The message is not consumed: the stream cannot be resynchronised, close it.
    case messageTooLarge(limit: Int)
    /// A complete message is not a JSON value (the message has been consumed; the offset is within it).
    case invalidJSON(JSON.ParseError)
    /// The stream ended inside a message: `bytes` arrived after the last NUL.
    case truncated(bytes: Int)

    public var description: String {
        switch self {
        case .messageTooLarge(let limit): return "thông điệp varlink lớn hơn \(VarlinkFraming.sizeText(limit))"
        case .invalidJSON(let e): return "thông điệp varlink không phải JSON hợp lệ: \(e)"
        case .truncated(let n): return "luồng varlink kết thúc giữa một thông điệp (\(n) byte chưa có NUL kết thúc)"
        }
    }
}

/// The varlink framing: every message is one JSON value (an object) followed by a NUL byte.
public enum VarlinkFraming {
    /// The largest message tiendod accepts (interfaces §5): a larger one closes the connection.
    public static let maxMessageBytes = 8 << 20

    /// `value` as one framed message: its compact JSON text and the NUL.
    public static func frame(_ value: JSON) -> [UInt8] {
        var out = value.bytes()
        out.append(0)
        return out
    }

    /// `8 MiB`, `512 KiB`, `100 byte`: a limit for people.
    static func sizeText(_ n: Int) -> String {
        if n >= 1 << 20, n % (1 << 20) == 0 { return "\(n >> 20) MiB" }
        if n >= 1 << 10, n % (1 << 10) == 0 { return "\(n >> 10) KiB" }
        return "\(n) byte"
    }
}

/// An incremental reader of NUL-terminated messages: bytes go in as they arrive (in chunks of any size, split
/// anywhere), complete messages come out in order. Made for both the synchronous client and a poll-based server
/// that keeps one reader per connection.
///
/// Linear: each byte is searched for the NUL once (the search resumes where the last one stopped), and consumed
/// bytes are dropped from the buffer front only when they are at least half of it, so a reply of tens of MiB
/// arriving in 64 KiB chunks costs a constant amount of work per byte. A partial message longer than
/// `maxMessageBytes` is reported as soon as it is that long, without waiting for its end.
///
/// Typical use on a non-blocking socket: `receive` (which lets `recv` write into the reader's own buffer) or
/// `append` what arrived, then call `nextMessage()` until it returns nil; at end of stream, `finish()` reports a
/// message cut short.
public struct VarlinkMessageReader: Sendable {
    /// The per-message byte budget (without the NUL). May be changed between messages.
    public var maxMessageBytes: Int
    /// How much buffer is kept once every byte received has been consumed. A client that reads large replies one
    /// after another keeps room for the next (an 8 MB Agenda reply then arrives with no allocation and no copy
    /// besides the kernel's); a server's many connections keep little.
    public var retainedBytes = 1 << 20

    /// `buffer[0..<filled]` holds the bytes received; `buffer[filled...]` is room (zeros or old bytes) that
    /// `receive` lets the socket write into.
    private var buffer: [UInt8] = []
    private var filled = 0
    /// First byte of the next message.
    private var start = 0
    /// `buffer[start..<scanned]` holds no NUL: the next search starts at `scanned`.
    private var scanned = 0
    /// Bytes searched for a NUL and bytes moved by compaction or growth, so far: tests check the first equals the
    /// bytes appended and the second stays within twice that (the reader is linear).
    private(set) var searchedByteCount = 0
    private(set) var movedByteCount = 0

    public init(maxMessageBytes: Int = VarlinkFraming.maxMessageBytes) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Bytes received and not yet returned as a message (part of the next message, or several whole messages).
    public var bufferedByteCount: Int { filled - start }

    /// Whether bytes of an unfinished message are waiting for the rest (a server times such a connection out).
    public var hasPartialMessage: Bool { filled > start }

    /// Adds bytes as they arrived. The buffer grows as an array does (its spare capacity never touched), so a
    /// server's connection holds no more memory than the bytes it was sent.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        compact()
        if buffer.count - filled >= bytes.count {
            buffer.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[filled...]).copyMemory(from: bytes) }
        } else {
            buffer.removeSubrange(filled...)
            buffer.append(contentsOf: bytes.bindMemory(to: UInt8.self))
        }
        filled += bytes.count
    }

    /// Adds bytes as they arrived.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        guard !bytes.isEmpty else { return }
        if let done = bytes.withContiguousStorageIfAvailable({ append(UnsafeRawBufferPointer($0)) }) { return done }
        Array(bytes).withUnsafeBytes { append($0) }
    }

    /// Lets `read` write what arrived straight into the reader's buffer (at least `room` bytes of room, more when
    /// there is) and takes the count it returns: no copy between the socket and the messages. The room is zeroed
    /// when the buffer grows (geometrically), so it is memory the process holds: for a client, not a server.
    public mutating func receive<E: Error>(
        room: Int = 64 << 10, _ read: (UnsafeMutableRawBufferPointer) throws(E) -> Int
    ) throws(E) -> Int {
        compact()
        if buffer.count - filled < room {
            movedByteCount += filled
            grow(to: max(filled + room, 2 * buffer.count))
        }
        let result = buffer.withUnsafeMutableBytes { [filled] raw in
            Result { () throws(E) -> Int in try read(UnsafeMutableRawBufferPointer(rebasing: raw[filled...])) }
        }
        let n = try result.get()
        precondition(n >= 0 && n <= buffer.count - filled, "receive: \(n) bytes reported for \(buffer.count - filled) of room")
        filled += n
        return n
    }

    /// The next complete message's JSON value, or nil until one is complete. A message that is not JSON is
    /// consumed and reported as `invalidJSON` (the stream stays in step; a server usually closes it anyway).
    public mutating func nextMessage() throws(VarlinkFramingError) -> JSON? {
        guard let end = try nextEnd() else { return nil }
        let parsed = buffer.withUnsafeBufferPointer { [start] buf in
            Result { () throws(JSON.ParseError) -> JSON in
                try JSON.parse(buffer: UnsafeBufferPointer(rebasing: buf[start..<end]))
            }
        }
        consume(through: end)
        switch parsed {
        case .success(let value): return value
        case .failure(let e): throw .invalidJSON(e)
        }
    }

    /// The next complete message's bytes (without the NUL), unparsed, or nil until one is complete.
    public mutating func nextMessageBytes() throws(VarlinkFramingError) -> [UInt8]? {
        guard let end = try nextEnd() else { return nil }
        let bytes = Array(buffer[start..<end])
        consume(through: end)
        return bytes
    }

    /// At end of stream: throws `truncated` when bytes of an unfinished message remain.
    public func finish() throws(VarlinkFramingError) {
        if hasPartialMessage { throw .truncated(bytes: filled - start) }
    }

    /// The index of the NUL ending the next message, searching only bytes not searched before.
    private mutating func nextEnd() throws(VarlinkFramingError) -> Int? {
        let from = max(start, scanned)
        let found: Int? = buffer.withUnsafeBufferPointer { [filled] buf in
            guard from < filled, let base = buf.baseAddress else { return nil }
            guard let hit = memchr(base + from, 0, filled - from) else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
        searchedByteCount += (found.map { $0 + 1 } ?? filled) - from
        guard let end = found else {
            scanned = filled
            if filled - start > maxMessageBytes { throw .messageTooLarge(limit: maxMessageBytes) }
            return nil
        }
        scanned = end
        if end - start > maxMessageBytes { throw .messageTooLarge(limit: maxMessageBytes) }
        return end
    }

    private mutating func consume(through end: Int) {
        start = end + 1
        scanned = start
        if start == filled {
            if buffer.count > retainedBytes { buffer = [] }
            filled = 0
            start = 0
            scanned = 0
        }
    }

    /// Grows the buffer to `count` bytes, the new ones zero: one copy and one `memset`. Appending
    /// `repeatElement(0, count:)` instead went element by element through generic iterators in a debug build, about
    /// 80 % of tiendo-deliver's CPU in `make test`'s kill -9 test (a new connection grows its buffer by 64 KiB).
    private mutating func grow(to count: Int) {
        let old = buffer.count
        buffer = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            let raw = UnsafeMutableRawBufferPointer(out)
            buffer.withUnsafeBytes { raw.copyMemory(from: $0) }
            memset(raw.baseAddress! + old, 0, count - old)
            initialized = count
        }
    }

    /// Drops consumed bytes once they are at least half of what is held: each byte is moved at most a bounded
    /// number of times however the stream is split.
    private mutating func compact() {
        guard start > 0, start >= filled - start else { return }
        let kept = filled - start
        movedByteCount += kept
        buffer.withUnsafeMutableBytes { raw in
            if kept > 0 { raw.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: kept) }
        }
        filled = kept
        scanned -= start
        start = 0
    }
}
