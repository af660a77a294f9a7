/// Reads CSV as spreadsheet programs write it: UTF-8 with or without BOM, quoted fields with doubled quotes and
/// embedded newlines, CRLF, LF or (old Mac) CR line ends, comma or semicolon separators (detected from the header).
public enum CSV {
    public struct Row: Sendable {
        /// The row's number as a spreadsheet shows it, from 1 (the text line where it starts when no cell above it
        /// has a line break).
        public var line: Int
        public var values: [String: String]
        /// Header order.
        public var pairs: [(String, String)]
    }

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "dòng \(line): \(reason)" }
    }

    public static func parse(bytes: [UInt8]) throws(ParseError) -> [Row] { try table(bytes: bytes).rows }

    /// Cells in one line at most, as a workbook's columns (`Workbook.maxColumns`).
    public static let maxColumns = 200

    /// The header's line and the rows under it. `isHeader`, given, picks the header among the first 100 lines (its
    /// trimmed cells): a list Excel saves from a sheet with a title keeps the title's lines above its column names
    /// («DANH SÁCH ĐẢNG VIÊN;;», «;;»), which are left out as the workbook's are. The first line when none is.
    public static func table(bytes: [UInt8], isHeader: (([String]) -> Bool)? = nil) throws(ParseError) -> (headerLine: Int, rows: [Row]) {
        var b = bytes[...]
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { b = b.dropFirst(3) }
        guard let text = String(validating: Array(b), as: UTF8.self) else {
            throw ParseError(line: firstBadLine(Array(b)), reason: "tệp không phải UTF-8 (hãy lưu dưới dạng CSV UTF-8)")
        }
        var scalars = Array(text.unicodeScalars)
        // A file whose lines end in a lone CR (Excel for old Macs) has no LF at all: its CRs are its line ends.
        if !scalars.contains("\n") && scalars.contains("\r") { scalars = scalars.map { $0 == "\r" ? "\n" : $0 } }
        // Separator: the first of ',', ';' or tab found outside quotes in the header line. With title lines above it
        // (`isHeader`), the header is the first line that, split by one of them, names a field: a title such as
        // «Phường Tây Hồ, ngày 30/11/2026;;» (Excel does not quote a comma in a file it writes with `;`) would
        // otherwise give `,` (review, 07/12/2026).
        var sep: Unicode.Scalar = ","
        var found = false
        if let isHeader {
            var lines = 0
            var start = 0
            while !found, start < scalars.count, lines < 100 {
                let end = scalars[start...].firstIndex(of: "\n") ?? scalars.count
                let line = String(String.UnicodeScalarView(scalars[start..<end]))
                for candidate: Unicode.Scalar in [",", ";", "\t"] where line.unicodeScalars.contains(candidate) {
                    let cells = line.split(separator: Character(candidate), omittingEmptySubsequences: false).map { cell in
                        String(cell.drop { " \r\"".contains($0) }.reversed().drop { " \r\"".contains($0) }.reversed())
                    }
                    if isHeader(cells) {
                        sep = candidate
                        found = true
                        break
                    }
                }
                start = end + 1
                lines += 1
            }
        }
        var inQ = false
        for c in scalars where !found {
            if c == "\"" { inQ.toggle() }
            if !inQ, c == "\n" { break }
            if !inQ, c == "," || c == ";" || c == "\t" {
                sep = c
                break
            }
        }
        var records: [(Int, [String])] = []
        var field = String.UnicodeScalarView()
        var fields: [String] = []
        var line = 1
        var recordLine = 1
        // Rows as a spreadsheet numbers them: a cell with line breaks is one row. Rows are named by these, so that
        // «Dòng 3» is the row Excel shows as 3 (a name typed over two lines above it once made it «Dòng 5»); a broken
        // quote is said at the text line where its row begins.
        var row = 1
        var recordRow = 1
        var i = 0
        var quoted = false
        var fieldStarted = false
        // Just after a quoted cell's closing quote: only a separator or the line's end may follow (spaces are
        // passed over). `"A"B` is no cell Excel writes; read as `AB` it changed a name without a word.
        var afterQuote = false
        while i < scalars.count {
            let c = scalars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < scalars.count, scalars[i + 1] == "\"" {
                        field.append("\"")
                        i += 2
                        continue
                    }
                    quoted = false
                    afterQuote = true
                    i += 1
                    continue
                }
                if c == "\n" { line += 1 }
                field.append(c)
                i += 1
                continue
            }
            if afterQuote {
                if c == " " {
                    i += 1
                    continue
                }
                guard c == sep || c == "\r" || c == "\n" else {
                    throw ParseError(
                        line: line,
                        reason:
                            "sau dấu ngoặc kép đóng một ô có chữ '\(Character(c))': dấu ngoặc kép trong một ô được viết thành hai dấu (\"\"), và cả ô đặt trong ngoặc kép"
                    )
                }
                afterQuote = false
            }
            switch c {
            case "\"" where !fieldStarted || field.isEmpty:
                quoted = true
                fieldStarted = true
            case sep:
                fields.append(String(field))
                field = String.UnicodeScalarView()
                fieldStarted = false
                // As a workbook's columns (`Workbook.maxColumns`): 900,000 headings held a thread of tiendo-web for
                // five minutes and 600 MB, each checked against every field (import audit, 07/12/2026).
                if fields.count >= maxColumns {
                    throw ParseError(
                        line: recordLine,
                        reason: "dòng có hơn \(maxColumns) ô; một danh sách nhập có tối đa \(maxColumns) cột (kiểm tra dấu phân cách)")
                }
            case "\r":
                break
            case "\n":
                fields.append(String(field))
                field = String.UnicodeScalarView()
                fieldStarted = false
                if !(fields.count == 1 && fields[0].isEmpty) { records.append((recordRow, fields)) }
                fields = []
                line += 1
                recordLine = line
                row += 1
                recordRow = row
            default:
                field.append(c)
                fieldStarted = true
            }
            i += 1
        }
        if quoted { throw ParseError(line: recordLine, reason: "dấu ngoặc kép chưa đóng") }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(String(field))
            records.append((recordRow, fields))
        }
        if let isHeader, let h = records.prefix(100).firstIndex(where: { isHeader($0.1.map { $0.trimmingCharactersInSet(" ") }) }) {
            records.removeFirst(h)
        }
        guard let header = records.first else { throw ParseError(line: 1, reason: "tệp trống, cần một dòng tiêu đề") }
        var names = header.1.map { $0.trimmingCharactersInSet(" ") }
        // Separators at the end of the header (as some programs write them at the end of every line) name no column;
        // as many empty cells at the end of a row are dropped below, and only as many: in a file without them, an
        // empty last cell past the header is a sign of a separator typed inside a cell, which must not go unseen.
        var unnamed = 0
        while names.count > 1, names.last!.isEmpty {
            names.removeLast()
            unnamed += 1
        }
        var seen = Set<String>()
        for n in names {
            if n.isEmpty { throw ParseError(line: header.0, reason: "tiêu đề có cột không tên") }
            if !seen.insert(n).inserted { throw ParseError(line: header.0, reason: "cột '\(n)' bị lặp trong tiêu đề") }
        }
        // A line of nothing but separators or spaces is a blank line.
        let rows = records.dropFirst().compactMap { line, cells -> (Int, [String])? in
            var cells = cells
            if cells.count <= names.count + unnamed {
                while cells.count > names.count, cells.last!.allSatisfy(\.isWhitespace) { cells.removeLast() }
            }
            if cells.count != names.count, cells.allSatisfy({ $0.allSatisfy(\.isWhitespace) }) { return nil }
            return (line, cells)
        }
        // Every row whose cells do not match the header is named at once (one is often a name typed with the
        // separator in it), not the first alone.
        let misfits = rows.filter { $0.1.count != names.count }
        if let first = misfits.first {
            var reason = misfit(first.1, names, unnamed: unnamed, separator: sep)
            let others = misfits.dropFirst().map(\.0)
            if !others.isEmpty {
                let shown = others.prefix(10).map(String.init).joined(separator: ", ")
                reason += "; số ô cũng sai ở dòng \(shown)" + (others.count > 10 ? " và \(others.count - 10) dòng khác" : "")
            }
            throw ParseError(line: first.0, reason: reason)
        }
        var out: [Row] = []
        for (ln, values) in rows {
            var dict: [String: String] = [:]
            var pairs: [(String, String)] = []
            for (n, v) in zip(names, values) {
                dict[n] = v
                pairs.append((n, v))
            }
            out.append(Row(line: ln, values: dict, pairs: pairs))
        }
        return (header.0, out)
    }

    /// A row whose cells do not match the header's columns, as its cells were read under them: the cell out of place
    /// is then seen where it fell (`ho_ten «Trần», chi_bo «Bình», thừa «Chi bộ 2»`), not only at the end.
    /// `unnamed`: the header's empty names after its last column (a cell there means the column needs a name).
    static func misfit(_ cells: [String], _ names: [String], unnamed: Int, separator: Unicode.Scalar) -> String {
        func shown(_ v: String) -> String { "«" + (v.count > 30 ? v.prefix(30) + "…" : v) + "»" }
        if cells.count > names.count, cells.count <= names.count + unnamed,
            let k = cells.lastIndex(where: { !$0.allSatisfy(\.isWhitespace) })
        {
            return "ô thứ \(k + 1) có giá trị \(shown(cells[k])) nhưng cột thứ \(k + 1) của dòng tiêu đề không có tên; "
                + "hãy đặt tên cho cột đó hoặc xóa giá trị"
        }
        let paired = zip(names, cells).map { "\($0) \(shown($1))" }
        let read = paired.prefix(12).joined(separator: ", ") + (paired.count > 12 ? ", …" : "")
        var reason = "có \(cells.count) ô, tiêu đề có \(names.count) cột; đọc được \(read)"
        if cells.count > names.count {
            let extra = cells[names.count...]
            reason +=
                ", thừa " + extra.prefix(3).map(shown).joined(separator: ", ") + (extra.count > 3 ? " và \(extra.count - 3) ô nữa" : "")
            switch separator {
            case ",": reason += "; nếu trong một ô có dấu phẩy, hãy đặt cả ô trong ngoặc kép (như \"Trần, Bình\")"
            case ";": reason += "; nếu trong một ô có dấu chấm phẩy, hãy đặt cả ô trong ngoặc kép (như \"Trần; Bình\")"
            default: reason += "; nếu trong một ô có dấu tab, hãy đặt cả ô trong ngoặc kép"
            }
        } else {
            reason += "; thiếu ô của cột " + names[cells.count...].map { "'\($0)'" }.joined(separator: ", ")
        }
        return reason
    }

    static func firstBadLine(_ bytes: [UInt8]) -> Int { YAMLTree.firstInvalidUTF8(bytes).line }
}

/// Turns CSV rows into instance rows for a workflow: `key`, `started` and typed fields, every bad row reported.
public enum InstanceRows {
    public struct Row: Sendable {
        public var line: Int
        public var key: String?
        public var started: Instant?
        public var data: InstanceData
    }

    /// `^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`
    public static func isValidKey(_ key: String) -> Bool {
        let u = Array(key.utf8)
        guard (1...128).contains(u.count) else { return false }
        func alnum(_ c: UInt8) -> Bool { (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) }
        return alnum(u[0]) && u.dropFirst().allSatisfy { alnum($0) || $0 == 46 || $0 == 95 || $0 == 45 }
    }

    /// Converts rows; returns every problem as `FILE:LINE: cột 'NAME': …` diagnostics (all-or-nothing). Dates may be
    /// written day first, as spreadsheets in a Vietnamese locale save them (`HumanDate`).
    /// `start`: when a row without a `started` cell starts (simulate's `--from`), which a year's default counts from.
    public static func convert(_ rows: [CSV.Row], def: WorkflowDefinition, file: String, start: Instant? = nil) -> Result<
        [Row], DiagnosticList
    > {
        var out: [Row] = []
        var problems: [Diagnostic] = []
        var keys = Set<String>()
        func bad(_ line: Int, _ m: String) {
            problems.append(Diagnostic(file: file, line: line, column: 1, severity: .error, message: m))
        }
        // A date column written month first, said once: its rows the check lets through would be swapped.
        let dated = HumanDate.monthFirstColumns(rows.map { ($0.line, $0.pairs) }) { name in
            name == "started" || [.date, .datetime].contains(def.field(name)?.type)
        }
        for (name, found) in dated { bad(found.line, HumanDate.monthFirstColumn(name, found: found)) }
        for r in rows {
            var data: InstanceData = [:]
            var key: String?
            var started: Instant?
            var ok = true
            for (name, raw) in r.pairs {
                let value = raw.trimmingCharactersInSet(" ")
                if name == "key" {
                    if !value.isEmpty {
                        if !isValidKey(value) {
                            bad(r.line, "mã hồ sơ '\(value)' không hợp lệ (\(Messages.keyRule))")
                            ok = false
                        } else if !keys.insert(value).inserted {
                            bad(r.line, "mã hồ sơ '\(value)' bị lặp trong tệp")
                            ok = false
                        }
                        key = value
                    }
                    continue
                }
                if name == "started" {
                    if !value.isEmpty {
                        switch HumanDate.instant(value, zone: def.zone) {
                        case .valid(let t): started = t
                        case .invalid(let reason):
                            bad(r.line, "cột 'started': \(reason)")
                            ok = false
                        }
                    }
                    continue
                }
                guard let f = def.field(name) else {
                    bad(
                        r.line,
                        "cột '\(name)' không phải trường của quy trình '\(def.id)'\(vietnameseSuggestion(name, def.fields.map(\.name)))")
                    ok = false
                    continue
                }
                if value.isEmpty { continue }
                switch f.parse(text: value, zone: def.zone) {
                case .success(let v): data[name] = v
                case .failure(let e):
                    bad(r.line, "cột '\(e.field)': \(e.reason)")
                    ok = false
                }
            }
            if ok {
                switch def.complete(data, started: (started ?? start).map { def.zone.date(of: $0) }) {
                case .success(let d): out.append(Row(line: r.line, key: key, started: started, data: d))
                case .failure(let e): bad(r.line, "cột '\(e.field)': \(e.reason)")
                }
            }
        }
        return problems.isEmpty ? .success(out) : .failure(DiagnosticList(items: problems))
    }
}
