import Foundation
import TiendoCore

/// Reads a recipient list: a CSV file (UTF-8, `,` `;` or tab, as spreadsheets write it) with the columns `group`
/// (the instance's `group_by` value, e.g. `Chi bộ Khu dân cư số 2`), `email` and optionally `name`; other columns
/// (a phone number, a role) are kept out of the way. Every bad row is reported as `FILE:LINE`.
enum RecipientsCSV {
    static func parse(bytes: [UInt8], file: String, name: String) -> (RecipientList?, [Diagnostic]) {
        var problems: [Diagnostic] = []
        func report(_ line: Int, _ severity: Diagnostic.Severity, _ message: String) {
            problems.append(Diagnostic(file: file, line: line, column: 1, severity: severity, message: message))
        }
        let rows: [CSV.Row]
        do {
            rows = try CSV.parse(bytes: bytes)
        } catch {
            report(error.line, .error, error.reason)
            return (nil, problems)
        }
        // Headers in any letter case («Group», «EMAIL»: a list exported from a spreadsheet).
        func column(_ name: String) -> String { name.trimmingCharacters(in: .whitespaces).lowercased() }
        let header = rows.first?.pairs.map { column($0.0) } ?? []
        for column in ["group", "email"] where !header.contains(column) && !rows.isEmpty {
            report(1, .error, "recipient list '\(name)' needs a '\(column)' column\(didYouMean(column, header))")
        }
        if rows.isEmpty { report(1, .warning, "recipient list '\(name)' has no rows") }
        guard !problems.contains(where: { $0.severity == .error }) else { return (nil, problems) }
        var byGroup: [String: [Mailbox]] = [:]
        var seen: [String: Int] = [:]
        for row in rows {
            let values = Dictionary(row.pairs.map { (column($0.0), $0.1) }, uniquingKeysWith: { first, _ in first })
            // Composed Unicode (NFC), as the records' group names and every page are: a list saved in decomposed
            // form (some editors do) matched no chi bộ and put decomposed names into the To: header.
            func field(_ name: String) -> String {
                (values[name] ?? "").trimmingCharacters(in: .whitespaces).precomposedStringWithCanonicalMapping
            }
            let group = field("group")
            let email = field("email")
            let person = field("name")
            if group.isEmpty {
                report(row.line, .error, "empty 'group'")
                continue
            }
            guard Mailbox.isValidAddress(email) else {
                report(row.line, .error, email.isEmpty ? "empty 'email'" : "'\(email)' is not an email address (ASCII local@domain)")
                continue
            }
            // The same group however spelt (`RecipientList.recipients`): one message per person.
            let seenKey = String(decoding: GroupNames.key(group), as: UTF8.self) + "\n" + email.lowercased()
            if let first = seen[seenKey] {
                report(row.line, .warning, "'\(email)' is listed for '\(group)' already (line \(first)); it gets one message")
                continue
            }
            seen[seenKey] = row.line
            byGroup[group, default: []].append(Mailbox(name: person.isEmpty ? nil : person, address: email))
        }
        guard !problems.contains(where: { $0.severity == .error }) else { return (nil, problems) }
        return (RecipientList(name: name, file: file, byGroup: byGroup), problems)
    }
}
