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
        // Scanned as UTF-8 bytes, copying runs unchanged and decoding only at a byte that may start a character to
        // escape: Vietnamese lines often hold one such lead byte (the en dash of «Chi bộ 1 – Phường 3» starts like
        // the bidi controls), and decoding every scalar of them was 6 % of an import on the daemon's stderr.
        var copy = text
        let escaped: [UInt8]? = copy.withUTF8 { b in
            guard b.contains(where: mayNeedEscape) else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(b.count + 8)
            var i = 0
            while i < b.count {
                let c = b[i]
                guard mayNeedEscape(c) else {
                    out.append(c)
                    i += 1
                    continue
                }
                // Only ASCII, two-byte (0xC2, 0xD8) and three-byte (0xE2) lead bytes get here; the text is valid UTF-8.
                let length = c < 0x80 ? 1 : c < 0xE0 ? 2 : 3
                let value: UInt32 =
                    switch length {
                    case 1: UInt32(c)
                    case 2: UInt32(c & 0x1F) << 6 | UInt32(b[i + 1] & 0x3F)
                    default: UInt32(c & 0x0F) << 12 | UInt32(b[i + 1] & 0x3F) << 6 | UInt32(b[i + 2] & 0x3F)
                    }
                if let e = escape(value) { out.append(contentsOf: e.utf8) } else { out.append(contentsOf: b[i..<i + length]) }
                i += length
            }
            return out
        }
        guard let escaped else { return text }
        return String(decoding: escaped, as: UTF8.self)
    }

    /// The visible form of a character a terminal could act on, or nil for one shown as it is.
    static func escape(_ v: UInt32) -> String? {
        switch v {
        case 0x1B: #"\e"#
        case 0x0A: #"\n"#
        case 0x0D: #"\r"#
        case 0x09: #"\t"#
        case 0x00...0x1F, 0x7F...0x9F: "\\x" + hex(v, width: 2)
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: "\\u{" + hex(v, width: 4) + "}"
        default: nil
        }
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
