import Foundation
import TiendoCore
import TiendoVarlink

#if canImport(Glibc)
    import Glibc
#endif

/// The benchmark's use of TiendoVarlink's client: requests framed once up front, replies taken as raw bytes so
/// latency is measured up to the last byte, before any client-side parsing.
enum Varlink {
    /// `vn.tiendo.Manager.METHOD` with `parameters`, framed (JSON text and NUL).
    static func message(_ method: String, _ parameters: [(String, JSON)]) -> [UInt8] {
        VarlinkRequest(method: Manager.interface + "." + method, parameters: parameters).framed()
    }

    /// Parses a raw reply and turns a varlink error into a thrown error.
    static func check(_ raw: [UInt8], method: String) throws -> JSON {
        var bytes = raw
        let reply: VarlinkResponse
        do {
            reply = try VarlinkResponse(json: JSON.parse(bytes: &bytes))
        } catch {
            throw BenchError("\(method): reply is not a varlink reply: \(error)")
        }
        if let e = reply.error { throw BenchError("\(method): \(e) \(reply.parameters.serialized().prefix(600))") }
        return reply.parameters
    }

    /// Fast check for an error reply without parsing a large body: tiendod writes errors starting with `{"error"`.
    static func isError(_ raw: [UInt8]) -> Bool {
        let prefix = Array("{\"error\"".utf8)
        return raw.count >= prefix.count && Array(raw[0..<prefix.count]) == prefix
    }

    /// A call that ran out of the run's budget (the connection's timeout): a skipped scenario, not a failure.
    static func timedOut(_ e: VarlinkTransportError) -> Bool {
        if case .timedOut = e.reason { return true }
        return false
    }

    /// Waits until a connection to `path` succeeds (the daemon binds its socket before READY).
    static func waitForSocket(_ path: String, timeout: Double) throws -> VarlinkConnection {
        let deadline = Clock.now() + timeout
        while true {
            if let c = try? VarlinkConnection(path: path, timeout: 900) { return c }
            if Clock.now() > deadline { throw BenchError("no socket at \(path) after \(timeout) s") }
            usleep(2000)
        }
    }
}

extension VarlinkConnection {
    /// Seconds a call may take from now on (at least one), so a stuck daemon cannot hang the run.
    func setTimeout(_ seconds: Double) { timeout = max(1, seconds) }
}
