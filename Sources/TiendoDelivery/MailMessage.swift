import Foundation
public import TiendoCore

/// An email ready for SMTP or sendmail: the envelope and the RFC 5322 message (CRLF line ends, 7-bit clean: UTF-8
/// text travels base64-encoded, headers as RFC 2047 encoded-words), not yet dot-stuffed.
public struct MailMessage: Sendable, Hashable {
    public var envelopeFrom: String
    public var envelopeTo: String
    /// Without the angle brackets: `LOCAL@HOST`.
    public var messageID: String
    public var bytes: [UInt8]

    /// Builds a multipart/alternative message (plain text first, HTML second, as RFC 2046 orders them).
    public init(
        from: Mailbox, to: Mailbox, subject: String, date: Instant, zone: Zone, messageID: String,
        extraHeaders: [(String, String)], text: String, html: String
    ) {
        envelopeFrom = from.address
        envelopeTo = to.address
        self.messageID = messageID
        // The boundary cannot occur in base64 text ("=_" never does); derived from the id, so a retry is the
        // same message byte for byte.
        let boundary = "=_tiendo_" + MIME.fnv1a(messageID)
        var h: [(String, String)] = [
            ("Date", MIME.date(date, zone: zone)), ("From", MIME.mailbox(from)), ("To", MIME.mailbox(to)),
            ("Subject", subject), ("Message-ID", "<" + messageID + ">"), ("MIME-Version", "1.0"),
            ("Content-Type", "multipart/alternative; boundary=\"\(boundary)\""),
            // RFC 3834: automatic messages; vacation responders stay quiet.
            ("Auto-Submitted", "auto-generated"),
        ]
        h += extraHeaders
        var out = ""
        for (name, value) in h { out += MIME.header(name, value) }
        out += "\r\n"
        for (type, body) in [("text/plain", text), ("text/html", html)] {
            out += "--\(boundary)\r\nContent-Type: \(type); charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            // Text is CRLF-delimited before it is encoded (RFC 2045 §6.8, RFC 2046 §4.1.1).
            out += MIME.base64Lines(MIME.crlf(body))
        }
        out += "--\(boundary)--\r\n"
        bytes = Array(out.utf8)
    }
}

/// The pieces of MIME that no library in the package set provides (no mail library exists in the Swift mirror).
public enum MIME {
    /// One header field, folded at spaces to lines of at most 78 characters where it can be (RFC 5322 §2.2.3); a
    /// value with non-ASCII text becomes RFC 2047 encoded-words (UTF-8, base64), which never split a character.
    public static func header(_ name: String, _ value: String) -> String {
        let clean = value.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        let text = clean.unicodeScalars.allSatisfy({ $0.isASCII }) ? clean : encodedWords(clean).joined(separator: " ")
        var out = name + ":"
        var length = out.count
        for (i, token) in text.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            if i > 0, length + 1 + token.count > 78 {
                out += "\r\n"
                length = 0
            }
            out += " " + token
            length += 1 + token.count
        }
        return out + "\r\n"
    }

    /// `=?UTF-8?B?…?=` words of at most 36 bytes of text each (48 base64 characters, 60 with the frame). Words
    /// end after a space where one is near, keeping the space inside the word: decoders drop the white space
    /// between encoded-words (RFC 2047 §6.2), and a few also show it, so it must not be the only space there.
    /// A character is kept in one word, unless it alone is longer than a word (a letter under dozens of combining
    /// marks): then it is cut between its code points, which RFC 2047 §5 allows, so no word passes 75 characters.
    public static func encodedWords(_ text: String, maxBytes: Int = 36) -> [String] {
        var chunks: [[UInt8]] = []
        var chunk: [UInt8] = []
        var lastSpace: Int?
        let pieces = text.lazy.flatMap { ch -> [(Character, [UInt8])] in
            let bytes = Array(String(ch).utf8)
            guard bytes.count > maxBytes else { return [(ch, bytes)] }
            return ch.unicodeScalars.map { (ch, Array(String($0).utf8)) }
        }
        for (ch, bytes) in pieces {
            if chunk.count + bytes.count > maxBytes, !chunk.isEmpty {
                // At the last space, unless what follows it would still not leave room for this character (a letter
                // under a dozen marks after a long word): then the word ends here, whole.
                if let cut = lastSpace, cut > 12, chunk.count - cut + bytes.count <= maxBytes {
                    chunks.append(Array(chunk[..<cut]))
                    chunk = Array(chunk[cut...])
                } else {
                    chunks.append(chunk)
                    chunk = []
                }
                lastSpace = nil
            }
            chunk += bytes
            if ch == " " { lastSpace = chunk.count }
        }
        if !chunk.isEmpty || chunks.isEmpty { chunks.append(chunk) }
        return chunks.map { "=?UTF-8?B?" + Data($0).base64EncodedString() + "?=" }
    }

    /// `Name <addr>`: a short ASCII name quoted, any other as encoded-words (RFC 2047 §5 allows them in a phrase), as
    /// long as the rules allow (45 bytes, 72 characters), so that most names are one word. A long ASCII name is
    /// encoded too: quoted, a name of a thousand letters without a space made a line SMTP refuses (RFC 5322's 998).
    public static func mailbox(_ m: Mailbox) -> String {
        guard let name = m.name, !name.isEmpty else { return m.address }
        if name.count <= 60, name.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 }) {
            let quoted = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(quoted)\" <\(m.address)>"
        }
        return encodedWords(name, maxBytes: 45).joined(separator: " ") + " <\(m.address)>"
    }

    /// The text's UTF-8 with every line break as CRLF (a lone CR or LF, or CRLF already): one pass over the bytes,
    /// as a notice may be megabytes long.
    public static func crlf(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { src in
            // At most twice as long (every byte a line feed); written through pointers, a notice of megabytes costs
            // milliseconds even in a debug build.
            [UInt8](unsafeUninitializedCapacity: src.count * 2) { dst, written in
                var n = 0
                var afterCR = false
                for b in src {
                    if b == 10 {
                        if !afterCR {
                            dst[n] = 13
                            dst[n + 1] = 10
                            n += 2
                        }
                        afterCR = false
                    } else if b == 13 {
                        dst[n] = 13
                        dst[n + 1] = 10
                        n += 2
                        afterCR = true
                    } else {
                        dst[n] = b
                        n += 1
                        afterCR = false
                    }
                }
                written = n
            }
        }
    }

    /// Base64 in lines of 76 characters, each ended by CRLF (RFC 2045 §6.8).
    public static func base64Lines(_ bytes: [UInt8]) -> String {
        let b64 = Data(bytes).base64EncodedString()
        var out = ""
        var i = b64.startIndex
        while i < b64.endIndex {
            let j = b64.index(i, offsetBy: 76, limitedBy: b64.endIndex) ?? b64.endIndex
            out += b64[i..<j] + "\r\n"
            i = j
        }
        return out
    }

    /// RFC 5322 §3.3: `Mon, 01 Dec 2025 08:00:00 +0700`, in the workflow zone.
    public static func date(_ t: Instant, zone: Zone) -> String {
        let (d, s) = zone.local(t)
        let off = zone.offset(at: t)
        let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let sign = off < 0 ? "-" : "+"
        return
            "\(days[d.weekday - 1]), \(two(d.day)) \(months[d.month - 1]) \(d.year) \(two(s / 3600)):\(two(s % 3600 / 60)):\(two(s % 60)) "
            + sign + two(abs(off) / 3600) + two(abs(off) % 3600 / 60)
    }

    /// A Message-ID's left part from any key: letters, digits and the atext characters `-_+/|~` stay, every other
    /// byte becomes `=XX` (`=` is atext too; dots are encoded, since a dot-atom cannot start, end or double them).
    public static func messageIDLocal(_ key: String) -> String {
        var out = ""
        for b in key.utf8 {
            switch b {
            case 48...57, 65...90, 97...122, 45, 95, 43, 47, 124, 126: out.unicodeScalars.append(Unicode.Scalar(b))
            default: out += "=" + String(b, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }

    /// 64-bit FNV-1a as hex: a stable short name from a key (not a security measure).
    public static func fnv1a(_ s: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return String(h, radix: 16).leftPadded(16)
    }

    /// HTML text with `& < > " '` escaped.
    public static func escapeHTML(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
