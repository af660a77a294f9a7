import Foundation
import Testing
import TiendoCore

@testable import TiendoDaemon
@testable import TiendoStore

#if canImport(Glibc)
    import Glibc
#endif

@Suite("a varlink connection's output")
struct ServerConnectionTests {
    /// A connected pair of Unix stream sockets: the server's end non-blocking, as accepted connections are.
    static func pair() -> (server: Int32, client: Int32) {
        var fds: [Int32] = [0, 0]
        let r = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds)
        precondition(r == 0, "socketpair: \(errno)")
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) & ~O_NONBLOCK)
        return (fds[0], fds[1])
    }

    /// Reads what is there (at most `max` bytes) from the client's end.
    static func read(_ fd: Int32, max: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        let n = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, max, Int32(MSG_DONTWAIT)) }
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    @Test("a large reply goes out whole, and what is queued behind it follows in order")
    func largeReplyThenMore() {
        let (server, client) = ServerConnectionTests.pair()
        defer {
            close(server)
            close(client)
        }
        let connection = ServerConnection(
            fd: server, peer: Peer(pid: 0, uid: 0, gid: 0), trusted: true, id: 1, maxMessage: 1 << 20)
        // 3 MiB that say where each byte came from, then messages queued while it is being sent (a Watch stream):
        // the first after more than a MiB went out, when what was sent is dropped from the buffer.
        let large = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 13) }
        let later = (0..<5).map { k in [UInt8](repeating: UInt8(ascii: "a") + UInt8(k), count: 1_000 + 37 * k) }
        var expected = large
        for m in later { expected += m }

        connection.queue(large, now: 0)
        var received: [UInt8] = []
        var queued = 0
        var rounds = 0
        var idle = 0
        while received.count < expected.count {
            rounds += 1
            guard connection.flush(now: Double(rounds)) else {
                Issue.record("the connection failed after \(received.count) bytes")
                break
            }
            let got = ServerConnectionTests.read(client, max: 96 << 10)
            idle = got.isEmpty ? idle + 1 : 0
            if idle > 1_000 {
                Issue.record("the output stopped after \(received.count) of \(expected.count) bytes")
                break
            }
            received += got
            if queued < later.count && received.count > (1 << 20) + queued * (300 << 10) {
                connection.queue(later[queued], now: Double(rounds))
                queued += 1
                // What was sent is not kept beyond a MiB once more is queued: the buffer does not grow with a stream.
                #expect(connection.heldOutput - connection.pendingOutput <= 1 << 20)
            }
        }
        #expect(queued == later.count)
        #expect(received.count == expected.count)
        // Compared as one Bool: on a failure, `#expect(a == b)` would diff two 3 MiB arrays.
        let firstDifference = received.indices.first { $0 >= expected.count || received[$0] != expected[$0] }
        #expect(firstDifference == nil, "the bytes differ from offset \(firstDifference ?? -1)")
        #expect(connection.pendingOutput == 0)
    }

    @Test("a reply written into the message's memory is the same message whether its size hint was enough or not")
    func writtenReply() throws {
        let body: (inout ByteWriter) -> Void = { w in
            w.append(#"{"items":["#)
            for i in 0..<2_000 {
                if i > 0 { w.append(UInt8(ascii: ",")) }
                var s = "Chi bộ \(i) \"Khu dân cư\""
                s.withUTF8 { w.appendJSONString(utf8: $0) }
            }
            w.append("]}")
        }
        var plain = ByteWriter()
        body(&plain)
        let parameters = try plain.withBytes { try JSON.parse(buffer: $0) }
        for hint in [0, 10, plain.count, plain.count + 100_000] {
            let message = try #require(VarlinkReply.ok(sizeHint: hint, writingParameters: body).message)
            #expect(message.last == 0)
            let json = try JSON.parse(String(decoding: message.dropLast(), as: UTF8.self))
            #expect(json == JSON.object([("parameters", parameters)]), "hint \(hint)")
        }
    }

    @Test("Extras.Groups' reply written as text is, byte for byte, the JSON tree's (escapes, diacritics, no groups, totals)")
    func groupsReplyAsText() throws {
        func tree(_ groups: [Store.GroupSummary], totals: [Store.WorkflowTotals]? = nil) -> [UInt8] {
            var members: [(String, JSON)] = [
                ("now", .string("2027-03-01T08:00:00+07:00")),
                (
                    "groups",
                    .array(
                        groups.map { g in
                            JSON.object([
                                ("workflow", .string(g.workflow)), ("group", .string(g.group)), ("instances", .int(g.instances)),
                                ("active", .int(g.active)), ("overdue", .int(g.overdue)), ("dueSoon", .int(g.dueSoon)),
                            ])
                        })
                ),
            ]
            if let totals {
                let list = totals.map { t in
                    JSON.object([
                        ("workflow", .string(t.workflow)), ("groups", .int(t.groups)), ("instances", .int(t.instances)),
                        ("active", .int(t.active)), ("overdue", .int(t.overdue)), ("dueSoon", .int(t.dueSoon)),
                    ])
                }
                members.append(("totals", .array(list)))
            }
            return VarlinkReply.ok(members).bytes
        }
        var groups: [Store.GroupSummary] = []
        for i in 0..<3_000 {
            var g = Store.GroupSummary(workflow: "dang-vien-du-bi", group: i % 5 == 0 ? "" : "Chi bộ \"số \(i)\" – Phường\tĐông\\Tây")
            (g.instances, g.active, g.overdue, g.dueSoon) = (i * 1_000_003, i, i % 7, Int.max - i)
            groups.append(g)
        }
        groups[7].workflow = "thi-đua \"2026\""
        for list in [[], Array(groups.prefix(1)), groups] {
            let written = try #require(ControlService.groupsReply(now: "2027-03-01T08:00:00+07:00", list).message)
            #expect(written == tree(list), "\(list.count) groups")
            // Counts a ward can hold, which add up without overflow.
            let modest = list.map { g in
                var g = g
                g.dueSoon %= 1_000
                return g
            }
            let totals = Store.totals(of: modest)
            let top = Store.mostPressing(300, of: modest)
            let limited = try #require(ControlService.groupsReply(now: "2027-03-01T08:00:00+07:00", top, totals: totals).message)
            #expect(limited == tree(top, totals: totals), "\(list.count) groups, with totals")
        }
    }
}
