/// A piece of HTML. Interpolated `String`s are escaped; interpolated `HTML` is inserted as it is, so markup can
/// only come from code, never from data (names, messages, workflow titles).
struct HTML: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    private(set) var text: String

    init(stringLiteral value: String) { text = value }

    init(stringInterpolation: Interpolation) { text = stringInterpolation.text }

    /// Markup written by code (CSS, scripts): not escaped.
    init(unescaped text: String) { self.text = text }

    static let empty = HTML(unescaped: "")

    var description: String { text }

    struct Interpolation: StringInterpolationProtocol {
        var text = ""

        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity + 16 * interpolationCount) }
        mutating func appendLiteral(_ literal: String) { text += literal }
        mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }
        mutating func appendInterpolation(_ value: String?) { if let value { text += HTML.escape(value) } }
        mutating func appendInterpolation(_ value: Int) { text += String(value) }
        mutating func appendInterpolation(_ html: HTML) { text += html.text }
        mutating func appendInterpolation(_ html: HTML?) { if let html { text += html.text } }
        mutating func appendInterpolation(_ list: [HTML]) { for h in list { text += h.text } }
    }

    /// Escapes text for element content and quoted attribute values alike.
    static func escape(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// `items` joined by `separator`.
    static func join(_ items: [HTML], separator: HTML = .empty) -> HTML {
        HTML(unescaped: items.map(\.text).joined(separator: separator.text))
    }

    /// `attribute` when `condition` holds (` selected`, ` checked`, ` disabled`).
    static func flag(_ attribute: String, _ condition: Bool) -> HTML { condition ? HTML(unescaped: " " + attribute) : .empty }
}
