import Synchronization
import TiendoCore

/// The files imported lately, by their content, so that the same file sent again is not imported twice without a
/// word. Rows without a code get a new one each time: a form sent twice (a double click, the browser's «resubmit»,
/// or a retry after a proxy gave up at 60 s while the import went on) made every record twice (audit, 07/12/2026).
/// In memory: a restart forgets them, which a retry within the hour never crosses in practice.
final class RecentImports: Sendable {
    struct Entry: Sendable {
        var workflow: String
        var file: String
        var account: String
        /// By tiendod's clock (its fake one in tests and demos), as every time the pages show.
        var at: Instant
        /// Nil while the import runs.
        var imported: Int?
    }

    /// How long an identical file is asked about.
    static let window: Int64 = 24 * 3600
    static let kept = 200

    private let entries = Mutex<[String: Entry]>([:])

    /// The content's key: the workflow and the SHA-256 of the bytes (TiendoCore's, as definitions' digests).
    static func key(workflow: String, bytes: [UInt8]) -> String { "\(workflow)|\(SHA256.hex(bytes))" }

    /// The same content imported (or being imported) within the window, if any; else records this one as running.
    func begin(_ key: String, workflow: String, file: String, account: String, now: Instant) -> Entry? {
        entries.withLock { all in
            all = all.filter { now.seconds - $0.value.at.seconds < RecentImports.window }
            if let earlier = all[key] { return earlier }
            if all.count >= RecentImports.kept, let oldest = all.min(by: { $0.value.at < $1.value.at })?.key { all[oldest] = nil }
            all[key] = Entry(workflow: workflow, file: file, account: account, at: now, imported: nil)
            return nil
        }
    }

    /// Records how the import ended: how many records, or forgets it when nothing was imported.
    func end(_ key: String, imported: Int?) {
        entries.withLock { all in
            guard let n = imported else {
                all[key] = nil
                return
            }
            all[key]?.imported = n
        }
    }
}
