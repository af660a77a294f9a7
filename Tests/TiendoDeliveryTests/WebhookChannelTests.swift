import NIOPosix
import Testing
import TiendoChannels
import TiendoCore

@testable import TiendoDelivery

/// The webhook channel's own guard on its address: a definition `check` would refuse, made some other way, fails its
/// message instead of trapping in the HTTP client (which stopped the whole sender, every channel's mail with it).
@Suite("webhook channel: an address it cannot use")
struct WebhookChannelTests {
    @Test("a port past 65535 or a password in the url: a permanent failure naming the channel, not a crash")
    func unusableAddress() async throws {
        for url in ["http://127.0.0.1:99999/hooks", "https://hook:bi-mat@cong.example.vn/hooks"] {
            let definition = ChannelDefinition(
                name: "cong", kind: .webhook, host: nil, port: nil, security: .none, username: nil, password: nil, caFile: nil,
                helo: nil, path: nil, url: url, secret: .file("/nonexistent/secret"), timeout: 5, rate: nil, concurrency: 1,
                position: Position(line: 1, column: 1))
            let channel = try WebhookChannel(definition, group: MultiThreadedEventLoopGroup.singleton, version: "test")
            do {
                _ = try await channel.send(.record(key: "k1", body: Array("{}".utf8)), now: Instant(seconds: 1_800_000_000))
                Issue.record("sent to \(url)")
            } catch let f as DeliveryFailure {
                #expect(f.errorClass == .permanent)
                #expect(f.reason.hasPrefix("url của kênh webhook cong không dùng được"), "\(f.reason)")
                #expect(!f.reason.contains("bi-mat"))
            }
            await channel.shutdown()
        }
    }
}
