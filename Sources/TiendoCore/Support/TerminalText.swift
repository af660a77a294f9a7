/// Text from outside (workflow titles, field values, instance keys, file names) made safe to show on a terminal:
/// every character a terminal could act on is written as a visible escape, so a value cannot set the window
/// title (`ESC ] 0;… BEL`), clear the screen (`ESC [2J`), move the cursor, or reorder the line (bidi overrides).
///
/// - `ESC` → `\e`; newline, carriage return, tab → `\n`, `\r`, `\t`;
/// - other C0 controls, DEL and C1 controls (U+0080–U+009F, e.g. the one-character CSI) → `\x07`, `\x9b`;
/// - bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and the line and paragraph
///   separators U+2028, U+2029 → `\u{202e}`.
///
/// Everything else, Vietnamese letters and other printable Unicode included, is unchanged; a backslash is not
/// doubled (human output is for reading, JSON output for programs). Every human printer of `tiendoctl` and the
/// daemon's stderr lines go through this one function.
public enum TerminalText {
    public static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: mayNeedEscape) else { return text }
        // Built as UTF-8 bytes: Vietnamese lines often take this path for one en dash («Chi bộ 1 – Phường 3»), and
        // appending scalar by scalar to a String was 3 % of an import's time on the daemon's stderr.
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 8)
        for u in text.unicodeScalars {
            switch u.value {
            case 0x1B: out.append(contentsOf: #"\e"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0x00...0x1F, 0x7F...0x9F: out.append(contentsOf: ("\\x" + hex(u.value, width: 2)).utf8)
            case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029:
                out.append(contentsOf: ("\\u{" + hex(u.value, width: 4) + "}").utf8)
            default: out.append(contentsOf: u.utf8)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A UTF-8 byte that starts (or is) one of the characters above: C0, DEL, the lead byte of U+0080–U+00BF
    /// (C1), of U+0600–U+063F (U+061C) and of U+2000–U+2FFF (the rest). Text without them is returned as it is.
    @inline(__always)
    static func mayNeedEscape(_ b: UInt8) -> Bool { b < 0x20 || b == 0x7F || b == 0xC2 || b == 0xD8 || b == 0xE2 }

    static func hex(_ v: UInt32, width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
