public import TiendoCore

/// Imports of any size as ONE unit: rows that fit in one message go in one `ImportInstances` call; more are sent in
/// batches staged under a fresh `importID` (an extension, README) and committed by the last call, so nothing is
/// stored unless every row is. Diagnostics of `ManagerError.importRejected` number rows 1… over the whole import.
public struct ImportBatches {
    /// Rows per call, and bytes per call, well below the 8 MiB message limit even with wide rows.
    public static let maxRows = 5_000
    public static let maxBytes = 6 << 20

    /// The rows split into calls: index ranges into the rows.
    public static func split(_ rows: [JSON]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        var bytes = 0
        for (i, r) in rows.enumerated() {
            let size = r.bytes().count + 1
            if i > start, i - start == maxRows || bytes + size > maxBytes {
                out.append(start..<i)
                start = i
                bytes = 0
            }
            bytes += size
        }
        if start < rows.count { out.append(start..<rows.count) }
        return out
    }
}

extension ManagerClient {
    /// Imports every row or none; `progress(sent, total)` is called after each staged batch. The last call, which
    /// stores everything in one transaction, may take a while for very large imports: it gets a longer timeout.
    public func importAll(
        workflow: String, rows: [JSON], actor: String? = nil, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> Int {
        let batches = ImportBatches.split(rows)
        if batches.count <= 1 { return try importInstances(workflow: workflow, rows: rows, actor: actor) }
        let id = "i" + String(UInt64.random(in: 0...UInt64.max), radix: 36) + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        for (n, range) in batches.enumerated() {
            let last = n == batches.count - 1
            var client = self
            // The commit starts every row: allow a second per 2,000 rows beyond the usual timeout.
            if last, timeout > 0 { client.timeout = max(timeout, 60 + Double(rows.count) / 2000) }
            let imported = try client.call(
                Manager.ImportInstances(
                    workflow: workflow, rows: Array(rows[range]), importID: id, final: last, expected: last ? rows.count : nil,
                    actor: actor))
            if last { return imported }
            progress(range.upperBound, rows.count)
        }
        return 0
    }
}
