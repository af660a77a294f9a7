import Synchronization
import Testing

@testable import TiendoDaemon

@Suite("the control socket's limits fitted to the open-file limit")
struct ServerLimitsTests {
    @Test("connections always leave the daemon its own descriptors")
    func ownDescriptorsKept() {
        // (open-file limit, connections): a quarter of the limit kept, at least 64 and at most 256; 4,096 at most.
        let cases: [(UInt64, Int)] = [(96, 32), (100, 36), (256, 192), (512, 384), (513, 385), (1024, 768), (65536, 4096)]
        for (limit, connections) in cases {
            let l = ServerLimits().fitted(toOpenFileLimit: limit)
            #expect(l.maxConnections == connections, "limit \(limit)")
            #expect(l.reservedForAdmins == min(128, connections / 4), "limit \(limit)")
        }
        #expect(ServerLimits.minimumOpenFiles == 96)
        // A higher limit never allows fewer connections.
        let connections = { (limit: UInt64) in ServerLimits().fitted(toOpenFileLimit: limit).maxConnections }
        #expect((UInt64(97)...5000).filter { connections($0) < connections($0 - 1) } == [])
        // Below the minimum tiendod does not start; the arithmetic still never goes negative.
        #expect(ServerLimits().fitted(toOpenFileLimit: 40).maxConnections == 0)
    }

    @Test("refused calls are logged five times per method and uid in ten seconds, then summed up")
    func refusalsAreRateLimited() {
        let lines = Mutex<[String]>([])
        let refusals = RefusalLog { _, line in lines.withLock { $0.append(line) } }
        for _ in 0..<20_000 { refusals.refused("vn.tiendo.Manager.StartInstance", uid: 65534, pid: 9, "cần root") }
        refusals.refused("vn.tiendo.Manager.StartInstance", uid: 1000, pid: 10, "cần root")
        refusals.refused("vn.tiendo.Delivery.Retry", uid: 65534, pid: 9, "cần root")
        #expect(
            lines.withLock { $0 }
                == Array(repeating: "Từ chối vn.tiendo.Manager.StartInstance của uid 65534 (pid 9): cần root", count: 5) + [
                    "Từ chối vn.tiendo.Manager.StartInstance của uid 1000 (pid 10): cần root",
                    "Từ chối vn.tiendo.Delivery.Retry của uid 65534 (pid 9): cần root",
                ])
    }
}
