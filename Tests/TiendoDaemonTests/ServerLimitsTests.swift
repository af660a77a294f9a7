import Testing

@testable import TiendoDaemon

@Suite("the control socket's limits fitted to the open-file limit")
struct ServerLimitsTests {
    @Test("connections always leave the daemon its own descriptors")
    func ownDescriptorsKept() {
        // (open-file limit, connections): 64 kept up to 512, 256 above, 4,096 at most.
        let cases: [(UInt64, Int)] = [(96, 32), (100, 36), (512, 448), (513, 257), (1024, 768), (65536, 4096)]
        for (limit, connections) in cases {
            let l = ServerLimits().fitted(toOpenFileLimit: limit)
            #expect(l.maxConnections == connections, "limit \(limit)")
            #expect(l.reservedForAdmins == min(128, connections / 4), "limit \(limit)")
        }
        #expect(ServerLimits.minimumOpenFiles == 96)
        // Below the minimum tiendod does not start; the arithmetic still never goes negative.
        #expect(ServerLimits().fitted(toOpenFileLimit: 40).maxConnections == 0)
    }
}
