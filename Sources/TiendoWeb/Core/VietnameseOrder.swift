import Foundation
import TiendoCore

/// The order in which pages list chi bộ and accounts: Vietnamese alphabetical order (a ă â b c d đ e ê … o ô ơ …
/// u ư …, tones after letters: ngang, huyền, hỏi, ngã, sắc, nặng; lower case before upper case) with numbers by
/// value, so «Chi bộ Khu dân cư số 2» comes before «số 10» and «Chi bộ Ấp Bắc» among the A's, as an officer looks
/// for them. tiendod and SQLite give names in byte order («số 1, 10, 11, …, 2», every «Ấ…» after «Z…»).
///
/// Written here rather than taken from ICU (which Foundation's `compare(_:options:range:locale:)` reaches, and
/// whose order the tests check this one against): Foundation exposes no sort keys, only a comparison of two strings
/// at about 2 µs each, which takes 1.9 s to sort a province's 50,000 chi bộ for an export; a key per name, made
/// once, sorts them in a fraction of that.
enum VietnameseOrder {
    /// A key whose lexicographic order is the order above: the letters' and numbers' primary weights, then each
    /// letter's tone, then each letter's case, then the text's bytes (so that different texts never tie).
    struct Key: Comparable {
        fileprivate var units: [UInt32]
        fileprivate let text: String

        static func < (a: Key, b: Key) -> Bool {
            a.units.lexicographicallyPrecedes(b.units) || (a.units == b.units && Array(a.text.utf8).lexicographicallyPrecedes(b.text.utf8))
        }
        // By bytes, as `<` breaks ties: `String`'s own `==` would call «é» composed and decomposed equal.
        static func == (a: Key, b: Key) -> Bool { a.units == b.units && a.text.utf8.elementsEqual(b.text.utf8) }
    }

    /// `texts` in this order.
    static func sorted(_ texts: some Sequence<String>) -> [String] { sorted(Array(texts), by: { $0 }) }

    /// `items` in this order of `name(item)`, items of equal names in their given order.
    static func sorted<T>(_ items: [T], by name: (T) -> String) -> [T] {
        items.enumerated().map { (key(name($0.element)), $0.offset, $0.element) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map(\.2)
    }

    // Primary weights: punctuation and spaces below numbers, numbers below letters, the Vietnamese alphabet (with
    // f, j, w, z where the Latin alphabet has them), then any other letter by its code point.
    private static let numberBase: UInt32 = 0x1_0000
    private static let letterBase: UInt32 = 0x2_0000
    private static let otherBase: UInt32 = 0x3_0000
    private static let alphabet = Array("aăâbcdđeêfghijklmnoôơpqrstuưvwxyz".unicodeScalars)

    /// A letter's primary weight, tone (0 none, 1 huyền, 2 hỏi, 3 ngã, 4 sắc, 5 nặng: the order Vietnamese is
    /// taught in) and case.
    private struct Letter {
        var weight: UInt32
        var tone: UInt32
        var upper: UInt32
    }

    /// Every letter of the Latin blocks Vietnamese is written with (ASCII, Latin-1, Latin Extended A and B, Latin
    /// Extended Additional), decomposed once: a key then needs no normalization of the text.
    private static let letters: [UInt32: Letter] = {
        var out: [UInt32: Letter] = [:]
        let ranges: [ClosedRange<UInt32>] = [0x41...0x5A, 0x61...0x7A, 0xC0...0x24F, 0x1E00...0x1EFF]
        for v in ranges.joined() {
            guard let s = Unicode.Scalar(v), s.properties.isAlphabetic else { continue }
            let parts = Array(String(s).decomposedStringWithCanonicalMapping.unicodeScalars)
            guard let base = parts.first else { continue }
            let lower = base.properties.lowercaseMapping.unicodeScalars.first ?? base
            var letter = lower
            var tone: UInt32 = 0
            // The letters Unicode writes as a base and a mark: ă (breve), â ê ô (circumflex), ơ ư (horn).
            for m in parts.dropFirst() {
                switch (letter, m.value) {
                case ("a", 0x0306): letter = "ă"
                case ("a", 0x0302): letter = "â"
                case ("e", 0x0302): letter = "ê"
                case ("o", 0x0302): letter = "ô"
                case ("o", 0x031B): letter = "ơ"
                case ("u", 0x031B): letter = "ư"
                case (_, 0x0300): tone = 1
                case (_, 0x0309): tone = 2
                case (_, 0x0303): tone = 3
                case (_, 0x0301): tone = 4
                case (_, 0x0323): tone = 5
                default: break
                }
            }
            let weight = alphabet.firstIndex(of: letter).map { letterBase + UInt32($0) } ?? otherBase + letter.value
            out[v] = Letter(weight: weight, tone: tone, upper: lower == base ? 0 : 1)
        }
        return out
    }()

    /// The key of one text.
    static func key(_ text: String) -> Key {
        var primary: [UInt32] = []
        var tones: [UInt32] = []
        var cases: [UInt32] = []
        var digits: [UInt32] = []
        func endNumber() {
            guard !digits.isEmpty else { return }
            // By value: leading zeros dropped, then more digits is larger, then digit by digit.
            let significant = digits.drop { $0 == 0 }
            primary.append(numberBase + UInt32(significant.count))
            primary.append(contentsOf: significant.map { numberBase + $0 })
            digits.removeAll()
        }
        // A text typed with separate marks («A» + U+0302) is read as its composed letters («Â»), which the table holds.
        let composed = FieldDefinition.composed(text)
        for s in composed.unicodeScalars {
            if (0x30...0x39).contains(s.value) {
                digits.append(s.value - 0x30)
                continue
            }
            endNumber()
            if let l = letters[s.value] {
                primary.append(l.weight)
                tones.append(l.tone)
                cases.append(l.upper)
            } else if s.properties.generalCategory == .nonspacingMark {
                // A mark written apart from its letter (text not in NFC): as a tone where it is one.
                let tone: UInt32? = [0x0300: 1, 0x0309: 2, 0x0303: 3, 0x0301: 4, 0x0323: 5][s.value]
                if let tone, let last = tones.indices.last { tones[last] = tone }
            } else if s.properties.isAlphabetic {
                primary.append(otherBase + s.value)
                tones.append(0)
                cases.append(0)
            } else {
                primary.append(min(s.value, numberBase - 1))
            }
        }
        endNumber()
        return Key(units: primary + [0] + tones + [0] + cases, text: text)
    }
}
