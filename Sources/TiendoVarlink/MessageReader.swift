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
/// Typical use on a non-blocking socket: `recv` into a scratch buffer, `append` what arrived, then call
/// `nextMessage()` until it returns nil; at end of stream, `finish()` reports a message cut short.
public struct VarlinkMessageReader: Sendable {
    /// The per-message byte budget (without the NUL). May be changed between messages.
    public var maxMessageBytes: Int

    private var buffer: [UInt8] = []
    /// First byte of the next message.
    private var start = 0
    /// `buffer[start..<scanned]` holds no NUL: the next search starts at `scanned`.
    private var scanned = 0
    /// Bytes searched for a NUL and bytes moved by compaction, so far: tests check both stay within the bytes
    /// appended (the reader is linear).
    private(set) var searchedByteCount = 0
    private(set) var movedByteCount = 0

    public init(maxMessageBytes: Int = VarlinkFraming.maxMessageBytes) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Bytes received and not yet returned as a message (part of the next message, or several whole messages).
    public var bufferedByteCount: Int { buffer.count - start }

    /// Whether bytes of an unfinished message are waiting for the rest (a server times such a connection out).
    public var hasPartialMessage: Bool { buffer.count > start }

    /// Adds bytes as they arrived.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        compact()
        buffer.append(contentsOf: bytes.bindMemory(to: UInt8.self))
    }

    /// Adds bytes as they arrived.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        guard !bytes.isEmpty else { return }
        compact()
        buffer.append(contentsOf: bytes)
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
        if hasPartialMessage { throw .truncated(bytes: buffer.count - start) }
    }

    /// The index of the NUL ending the next message, searching only bytes not searched before.
    private mutating func nextEnd() throws(VarlinkFramingError) -> Int? {
        let from = max(start, scanned)
        let found: Int? = buffer.withUnsafeBufferPointer { buf in
            guard from < buf.count, let base = buf.baseAddress else { return nil }
            guard let hit = memchr(base + from, 0, buf.count - from) else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
        searchedByteCount += (found.map { $0 + 1 } ?? buffer.count) - from
        guard let end = found else {
            scanned = buffer.count
            if buffer.count - start > maxMessageBytes { throw .messageTooLarge(limit: maxMessageBytes) }
            return nil
        }
        scanned = end
        if end - start > maxMessageBytes { throw .messageTooLarge(limit: maxMessageBytes) }
        return end
    }

    private mutating func consume(through end: Int) {
        start = end + 1
        scanned = start
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            start = 0
            scanned = 0
        }
    }

    /// Drops consumed bytes once they are at least half the buffer: each byte is moved at most a bounded number of
    /// times however the stream is split.
    private mutating func compact() {
        guard start > 0, start >= buffer.count - start else { return }
        movedByteCount += buffer.count - start
        buffer.removeSubrange(0..<start)
        scanned -= start
        start = 0
    }
}
