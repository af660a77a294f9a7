import Foundation
public import TiendoCore
public import TiendoDelivery

/// Email through the local sendmail interface (`/usr/sbin/sendmail` of postfix, exim, msmtp-mta, nullmailer…):
/// the relay, its TLS and its login are the administrator's configuration. The message goes to
/// `sendmail -i -f FROM -t` on standard input; the exit status is read as sysexits.h (`DeliveryFailure.sendmail`).
public final class SendmailChannel: DeliveryChannel {
    public let definition: ChannelDefinition

    public init(_ definition: ChannelDefinition) { self.definition = definition }

    public func send(_ payload: Payload, now: Instant) async throws -> String? {
        guard case .email(let message) = payload else { throw DeliveryFailure(.permanent, "kênh sendmail chỉ gửi thư") }
        let path = definition.path ?? "/usr/sbin/sendmail"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-i", "-f", message.envelopeFrom, "-t"]
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { p in
            exited.continuation.yield(p.terminationReason == .uncaughtSignal ? -p.terminationStatus : p.terminationStatus)
            exited.continuation.finish()
        }
        do {
            try process.run()
        } catch {
            throw DeliveryFailure(.transient, scope: .channel, "không chạy được \(path): \(error.localizedDescription)")
        }
        let pid = process.processIdentifier
        let timeout = definition.timeout
        // Writing blocks while the pipe is full; a child that stops reading is ended by the timeout, which makes
        // the write fail (EPIPE; tiendo-deliver ignores SIGPIPE) instead of hanging.
        let body = message.bytes
        let writer = Thread.detachNewThreadAsync {
            try? input.fileHandleForWriting.write(contentsOf: Data(body))
            try? input.fileHandleForWriting.close()
        }
        let stderrText = Thread.detachNewThreadAsync { () -> String in
            String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        let status: Int32? = await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                for await s in exited.stream { return s }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(timeout))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let status else {
            kill(pid, SIGKILL)
            _ = await writer.value
            throw DeliveryFailure.timeout("sendmail", seconds: timeout)
        }
        _ = await writer.value
        let stderr = await stderrText.value
        if status < 0 {
            throw DeliveryFailure(.transient, scope: .channel, "sendmail bị dừng bởi tín hiệu \(-status): \(stderr)")
        }
        if let failure = DeliveryFailure.sendmail(status: status, stderr: stderr) { throw failure }
        return "sendmail: 0"
    }

    public func shutdown() async {}
}

extension Thread {
    /// Runs blocking work (pipe reads and writes) on its own thread and awaits its result.
    static func detachNewThreadAsync<T: Sendable>(_ work: @escaping @Sendable () -> T) -> Task<T, Never> {
        Task {
            await withCheckedContinuation { c in
                Thread.detachNewThread { c.resume(returning: work()) }
            }
        }
    }
}
