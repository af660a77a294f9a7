import Foundation
import TiendoCore
import TiendoDelivery

#if canImport(Glibc)
    import Glibc
#endif

/// TEST SCAFFOLDING: a delivery queue in one JSON-lines file, so that the channel tests (SMTP, webhook, sendmail)
/// and the virtual-time season of `tests/delivery` run the real `tiendo-deliver` without a tiendod; the production
/// queue is tiendod's (`VarlinkDeliveryQueue`). The rules are the `QueueBook`'s; the file is its journal:
/// every change is one line, written and fsync'd before the call returns, so a report survives kill -9.
/// One writer at a time (an exclusive lock); opening it gives back the claims of a writer that died. Readers
/// (`tiendo-deliver queue`) take no lock: lines are only ever appended.
actor TestQueue: DeliveryQueue {
    let path: String
    let fd: Int32
    var book = QueueBook()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(path: String, readOnly: Bool = false) throws {
        self.path = path
        let fd = open(path, (readOnly ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Failure(description: "không mở được hàng đợi \(path): \(String(cString: strerror(errno)))") }
        if !readOnly, flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            throw Failure(description: "hàng đợi \(path) đang được một tiến trình khác dùng")
        }
        self.fd = fd
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            data += chunk[0..<n]
        }
        // A line cut short by a crash in the middle of a write was never acknowledged: drop it.
        let complete = (data.lastIndex(of: 10).map { $0 + 1 }) ?? 0
        if !readOnly {
            if complete < data.count { _ = ftruncate(fd, off_t(complete)) }
            _ = lseek(fd, 0, SEEK_END)
        }
        var lineNumber = 0
        for line in data[0..<complete].split(separator: 10) {
            lineNumber += 1
            var bytes = Array(line)
            let j: JSON
            do { j = try JSON.parse(bytes: &bytes) } catch {
                throw Failure(description: "\(path):\(lineNumber): \(error)")
            }
            guard Self.replay(j, into: &book) else { throw Failure(description: "\(path):\(lineNumber): dòng không hợp lệ") }
        }
        if !readOnly { book.releaseAll() }
    }

    deinit { close(fd) }

    static func replay(_ j: JSON, into book: inout QueueBook) -> Bool {
        switch j["op"]?.stringValue {
        case "add":
            guard let (f, id, recordKey, record, created) = QueueCodec.fanOut(j) else { return false }
            book.add(f, recordKey: recordKey, record: record, now: created, id: id)
        case "report":
            guard let r = QueueCodec.report(j) else { return false }
            book.apply(r)
        case "retry":
            guard let ids = j["ids"]?.arrayValue?.compactMap(\.intValue), let at = j["at"]?.intValue else { return false }
            book.retry(ids.map(Int64.init), now: Instant(seconds: Int64(at)))
        default: return false
        }
        return true
    }

    func append(_ lines: [JSON]) throws {
        guard !lines.isEmpty else { return }
        var bytes: [UInt8] = []
        for l in lines {
            l.write(to: &bytes)
            bytes.append(10)
        }
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "ghi hàng đợi \(path): \(String(cString: strerror(errno)))")
            }
            off += n
        }
        guard fsync(fd) == 0 else { throw Failure(description: "fsync \(path): \(String(cString: strerror(errno)))") }
    }

    /// Adds the deliveries of one record; returns those added (a key already queued is skipped).
    func add(_ deliveries: [FanOut], recordKey: String, record: JSON, now: Instant) throws -> [Delivery] {
        let added = deliveries.compactMap { book.add($0, recordKey: recordKey, record: record, now: now) }
        try append(added.map(QueueCodec.add))
        return added
    }

    func claim(channel: String, owner: String, now: Instant, limit: Int, leaseUntil: Instant) -> [DeliveryJob] {
        book.claim(channel: channel, owner: owner, now: now, limit: limit, leaseUntil: leaseUntil)
    }

    func report(_ reports: [DeliveryReport], owner: String) throws {
        let mine = reports.filter { r in book.entries[r.id].map { $0.state == .inflight && $0.owner == owner } ?? false }
        try append(mine.map(QueueCodec.report))
        book.report(mine, owner: owner)
    }

    func release(_ ids: [Int64], owner: String) { book.release(ids, owner: owner) }

    func nextDue(channel: String) -> Instant? { book.nextDue(channel: channel) }

    /// Dead letters back to the queue (`tiendo-deliver retry`).
    func retry(_ ids: [Int64], now: Instant) throws -> [Int64] {
        let dead = ids.filter { book.entries[$0]?.state == .dead }
        try append([.object([("op", .string("retry")), ("ids", .array(dead.map { .int(Int($0)) })), ("at", .int(Int(now.seconds)))])])
        return book.retry(dead, now: now)
    }

    func entries() -> [QueueBook.Entry] { book.entries.values.sorted { $0.delivery.id < $1.delivery.id } }
    func deadIDs() -> [Int64] { book.deadIDs }
}
