import AsyncHTTPClient
import Foundation
public import NIOCore
import NIOHTTP1
import NIOSSL
public import TiendoCore
public import TiendoDelivery

/// Records to an HTTP endpoint: `POST` of the record's JSON with `Idempotency-Key` (the record's key), signed per
/// Standard Webhooks (`webhook-id` = the same key, `webhook-timestamp`, `webhook-signature`). Redirects are not
/// followed; 408, 429 and 5xx are retried, honouring `Retry-After`; other statuses are permanent.
public final class WebhookChannel: DeliveryChannel {
    public let definition: ChannelDefinition
    let client: HTTPClient
    /// `tiendo-deliver/<version>`.
    let userAgent: String

    public init(_ definition: ChannelDefinition, group: any EventLoopGroup, version: String) throws {
        self.definition = definition
        userAgent = "tiendo-deliver/\(version)"
        var tls: TLSConfiguration?
        if let ca = definition.caFile {
            var c = TLSConfiguration.makeClientConfiguration()
            c.trustRoots = .file(ca)
            tls = c
        }
        let t = TimeAmount.seconds(definition.timeout)
        client = HTTPClient(
            eventLoopGroup: group,
            configuration: HTTPClient.Configuration(
                tlsConfiguration: tls, redirectConfiguration: .disallow, timeout: .init(connect: t, read: t)))
    }

    public func send(_ payload: Payload, now: Instant) async throws -> String? {
        guard case .record(let key, let body) = payload, let url = definition.url, let secret = definition.secret else {
            throw DeliveryFailure(.permanent, "kênh webhook chỉ gửi bản ghi")
        }
        // Checked when the file is read (`WebhookURL`); again here, for a definition made elsewhere: the HTTP client
        // traps on a port past 65535, which would stop every channel. Not quoted: it may carry a password.
        if let parsed = URL(string: url), WebhookURL.problem(url, parsed) != nil {
            throw DeliveryFailure(
                .permanent,
                "url của kênh webhook \(definition.name) không dùng được (cổng ngoài 1–65535, có tên người dùng hoặc mật khẩu, "
                    + "hoặc có dấu cách); hãy sửa tệp định tuyến (tiendo-deliver check nói chỗ sai)")
        }
        let secretText = try Secrets.read(secret)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: userAgent)
        request.headers.add(name: "Idempotency-Key", value: key)
        request.headers.add(name: "webhook-id", value: key)
        request.headers.add(name: "webhook-timestamp", value: String(now.seconds))
        request.headers.add(
            name: "webhook-signature", value: WebhookSignature.sign(secret: secretText, id: key, timestamp: now.seconds, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        let status: Int
        let headers: HTTPHeaders
        let text: String
        do {
            let response = try await client.execute(request, timeout: .seconds(definition.timeout))
            status = Int(response.status.code)
            headers = response.headers
            text = await WebhookChannel.snippet(of: response.body, within: definition.timeout)
        } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout {
            throw DeliveryFailure.timeout("webhook \(url)", seconds: definition.timeout)
        } catch {
            throw DeliveryFailure.connection("webhook \(url): \(ConnectionErrorText.describe(error))")
        }
        let retryAfter = headers.first(name: "Retry-After").flatMap { RetryAfter.seconds($0, now: now) }
        // A redirect is a dead letter (not followed): where it pointed is what the operator needs to mend the url.
        let said =
            (300..<400).contains(status)
            ? headers.first(name: "Location").map {
                "chuyển hướng tới \($0); webhook không đi theo chuyển hướng, sửa url trong tệp định tuyến"
            }
                ?? text : text
        if let failure = DeliveryFailure.http(status: status, retryAfter: retryAfter, body: said) { throw failure }
        return headers.first(name: "X-Request-Id") ?? "HTTP \(status)"
    }

    /// The start of a response's body, for a failure's reason: at most `limit` bytes, the rest not read, and what
    /// arrived within `seconds` (a receiver sending its body a byte at a time held the channel for half an hour per
    /// message: the request's timeout had ended with the response's head). The status alone says what became of the
    /// record: a receiver that answers 2xx with a large body, or drops the connection while sending it, has taken the
    /// record, and posting it again would only repeat it.
    static func snippet(of body: HTTPClientResponse.Body, limit: Int = 4096, within seconds: Int64) async -> String {
        let bytes = await withTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                var bytes: [UInt8] = []
                do {
                    // Cancelled at the deadline: the loop ends with what arrived.
                    for try await chunk in body {
                        bytes += chunk.readableBytesView.prefix(limit - bytes.count)
                        if bytes.count >= limit { break }
                    }
                } catch {
                    // What arrived is enough to say why; the status decides.
                }
                return bytes
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return nil
            }
            // The first to finish (the body read, or the deadline) cancels the other; the read returns what it has.
            var read: [UInt8] = []
            for await finished in group {
                if let finished { read = finished }
                group.cancelAll()
            }
            return read
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func shutdown() async {
        try? await client.shutdown()
    }
}
