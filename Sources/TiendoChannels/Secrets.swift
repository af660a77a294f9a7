import Foundation
import TiendoDelivery

/// Reads a secret when it is needed (each new connection or request), so a rotated password or credential is
/// picked up without a restart. A missing secret is the channel's problem, not the message's: transient.
enum Secrets {
    static func read(_ source: SecretSource, environment: [String: String] = ProcessInfo.processInfo.environment) throws(DeliveryFailure)
        -> String
    {
        let path: String
        switch source {
        case .file(let p): path = p
        case .credential(let name):
            guard let dir = environment["CREDENTIALS_DIRECTORY"], !dir.isEmpty else {
                throw DeliveryFailure(
                    .transient, scope: .channel,
                    "chưa có thông tin bí mật '\(name)': CREDENTIALS_DIRECTORY chưa đặt (LoadCredential= trong unit)")
            }
            path = (dir as NSString).appendingPathComponent(name)
        }
        guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
            throw DeliveryFailure(.transient, scope: .channel, "không đọc được thông tin bí mật \(path)")
        }
        // Files written by `echo` end with a newline that is not part of the secret.
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        guard !text.isEmpty else { throw DeliveryFailure(.transient, scope: .channel, "thông tin bí mật \(path) trống") }
        return text
    }
}
