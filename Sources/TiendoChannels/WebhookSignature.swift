import Crypto
import Foundation

/// Standard Webhooks signatures (standardwebhooks.com): `webhook-signature: v1,BASE64(HMAC-SHA256(key,
/// "ID.TIMESTAMP.BODY"))`. A secret written `whsec_BASE64` is the base64 of the key, as the scheme's libraries
/// issue them; any other secret is used as its UTF-8 bytes.
public enum WebhookSignature {
    public static func key(fromSecret secret: String) -> [UInt8] {
        if secret.hasPrefix("whsec_"), let d = Data(base64Encoded: String(secret.dropFirst(6))) { return [UInt8](d) }
        return Array(secret.utf8)
    }

    public static func sign(secret: String, id: String, timestamp: Int64, body: [UInt8]) -> String {
        var message = Array("\(id).\(timestamp).".utf8)
        message += body
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key(fromSecret: secret)))
        return "v1," + Data(mac).base64EncodedString()
    }
}
