import TiendoCore
import TiendoDelivery

/// A channel whose sender could not be built at start (its `ca_file` not a certificate SSL can read): every send
/// fails for the channel, with the reason, so that the channel is paused and says why while the other channels go
/// on sending. It once stopped tiendo-deliver whole, every channel with it, with only «noSuchFilesystemObject».
struct UnusableChannel: DeliveryChannel {
    let definition: ChannelDefinition
    let reason: String

    func send(_ payload: Payload, now: Instant) async throws -> String? {
        throw DeliveryFailure(.transient, scope: .channel, reason)
    }

    func shutdown() async {}
}
