import Foundation
import Testing
import TiendoCore

@testable import TiendoDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// A reply sent in parts (`Dispatch.deferredInParts`, Agenda's way) through a real `VarlinkServer` on a Unix socket.
@Suite("varlink: replies sent in parts")
struct VarlinkPartsTests {
    /// `Parts`: 40 parts of 64 KiB (part k filled with byte k), then the rest, written on another thread with a
    /// pause between the first 30 parts; `Broken`: two parts, then an abort; `Small`: a plain deferred reply.
    final class Handler: VarlinkHandler {
        static let partBytes = 64 << 10
        static var expected: [UInt8] {
            var m = Array(#"{"parameters":{"x":""#.utf8)
            for k in 0..<40 { m += [UInt8](repeating: UInt8(ascii: "a") + UInt8(k % 26), count: partBytes) }
            return m + Array(#""}}"#.utf8) + [0]
        }

        func handle(method: String, parameters: [(String, JSON)], more: Bool, oneway: Bool, peer: Peer) -> Dispatch {
            switch method {
            case "t.Parts":
                return .deferredInParts { part, reply in
                    Thread.detachNewThread {
                        let all = Handler.expected
                        var at = 0
                        while all.count - at > Handler.partBytes {
                            part(Array(all[at..<at + Handler.partBytes]))
                            at += Handler.partBytes
                            // The last parts and the rest back to back: they reach the I/O thread together.
                            if at < 30 * Handler.partBytes { usleep(200) }
                        }
                        reply(.rest(Array(all[at...])))
                    }
                }
            case "t.Broken":
                return .deferredInParts { part, reply in
                    Thread.detachNewThread {
                        part(Array(#"{"parameters":{"x":"#.utf8))
                        part([UInt8](repeating: UInt8(ascii: "z"), count: 1000))
                        reply(.abort)
                    }
                }
            default:
                return .deferred { reply in reply(.ok([("method", .string(method))])) }
            }
        }
    }

    /// A server on a fresh socket, and a connected client (blocking, 10 s timeout).
    static func start() throws -> (client: Int32, dir: String) {
        let dir = try makeTemporaryDirectory("parts")
        let path = dir + "/s.sock"
        func address() -> sockaddr_un {
            var a = sockaddr_un()
            a.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &a.sun_path) { p in
                for (i, b) in path.utf8.enumerated() { p[i] = b }
            }
            return a
        }
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var a = address()
        let bound = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0 && listen(listener, 8) == 0)
        VarlinkServer(listenFD: listener, handler: Handler(), log: { _, _ in }).start()
        let client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var b = address()
        let connected = withUnsafePointer(to: &b) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(connected == 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return (client, dir)
    }

    /// Sends calls, then reads until `messages` NULs arrived or the connection closed.
    static func call(_ fd: Int32, _ methods: [String], messages: Int) -> (bytes: [UInt8], closed: Bool) {
        var request: [UInt8] = []
        for m in methods { request += Array(#"{"method":"\#(m)"}"#.utf8) + [0] }
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var out: [UInt8] = []
        var nuls = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while nuls < messages {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return (out, true) }
            nuls += buffer[0..<n].count { $0 == 0 }
            out += buffer[0..<n]
        }
        return (out, false)
    }

    @Test("the parts and the rest arrive as one message, in order, and the next call's reply follows it")
    func partsInOrder() throws {
        let (client, dir) = try Self.start()
        defer {
            close(client)
            removeTemporaryDirectory(dir)
        }
        let (bytes, closed) = Self.call(client, ["t.Parts", "t.Small"], messages: 2)
        #expect(!closed)
        let expected = Handler.expected
        #expect(bytes.count == expected.count + #"{"parameters":{"method":"t.Small"}}"#.utf8.count + 1)
        #expect(Bool(Array(bytes.prefix(expected.count)) == expected))
        #expect(String(decoding: bytes[expected.count...].dropLast(), as: UTF8.self) == #"{"parameters":{"method":"t.Small"}}"#)
    }

    @Test("a reply that cannot be finished after its first parts closes the connection before any NUL")
    func abortCloses() throws {
        let (client, dir) = try Self.start()
        defer {
            close(client)
            removeTemporaryDirectory(dir)
        }
        let (bytes, closed) = Self.call(client, ["t.Broken"], messages: 1)
        #expect(closed)
        #expect(!bytes.contains(0) && bytes.count == #"{"parameters":{"x":"#.utf8.count + 1000)
    }
}
