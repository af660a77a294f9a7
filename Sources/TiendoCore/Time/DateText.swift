/// Dates and times as text, written byte by byte: every record's `at` and every due is formatted, and building them
/// from padded pieces cost a dozen string allocations each. Years outside 0…9999 fall back to the general form.
enum DateText {
    /// Writes ASCII into a string of at most `capacity` bytes.
    struct Writer {
        let buffer: UnsafeMutableBufferPointer<UInt8>
        var count = 0

        mutating func byte(_ b: UInt8) {
            buffer[count] = b
            count += 1
        }

        /// `value` (0 ≤ value < 10^width) in `width` digits.
        mutating func digits(_ value: Int, _ width: Int) {
            var v = value
            var i = count + width - 1
            while i >= count {
                buffer[i] = UInt8(48 + v % 10)
                v /= 10
                i -= 1
            }
            count += width
        }

        /// `YYYY-MM-DD` (`iso`) or `DD/MM/YYYY`.
        mutating func date(_ d: CivilDate, iso: Bool) {
            let (y, m, day) = d.civil
            if iso {
                digits(y, 4)
                byte(UInt8(ascii: "-"))
                digits(m, 2)
                byte(UInt8(ascii: "-"))
                digits(day, 2)
            } else {
                digits(day, 2)
                byte(UInt8(ascii: "/"))
                digits(m, 2)
                byte(UInt8(ascii: "/"))
                digits(y, 4)
            }
        }

        /// ` ngày ` (UTF-8), between an hour and its date in a sentence: «17:00 ngày 01/02/2026».
        mutating func onDay() {
            for b in " ngày ".utf8 { byte(b) }
        }

        /// `HH:MM`, and `:SS` when `seconds`.
        mutating func time(_ secondOfDay: Int, seconds: Bool) {
            digits(secondOfDay / 3600, 2)
            byte(UInt8(ascii: ":"))
            digits((secondOfDay % 3600) / 60, 2)
            if seconds {
                byte(UInt8(ascii: ":"))
                digits(secondOfDay % 60, 2)
            }
        }

        /// `Z` when `z`, else `±HH:MM`.
        mutating func offset(_ offset: Int, z: Bool) {
            if z { return byte(UInt8(ascii: "Z")) }
            byte(UInt8(ascii: offset < 0 ? "-" : "+"))
            let a = abs(offset)
            digits(a / 3600, 2)
            byte(UInt8(ascii: ":"))
            digits((a % 3600) / 60, 2)
        }
    }

    /// Years the fixed-width forms can write.
    static func fits(_ d: CivilDate) -> Bool { (0...9999).contains(d.year) }

    static func write(capacity: Int, _ body: (inout Writer) -> Void) -> String {
        String(unsafeUninitializedCapacity: capacity) { buffer in
            var w = Writer(buffer: buffer)
            body(&w)
            return w.count
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS±HH:MM` (`Z` for UTC when `z`), the contract's ISO instant.
    static func iso(_ date: CivilDate, secondOfDay: Int, offset: Int, z: Bool) -> String {
        guard fits(date), abs(offset) < 100 * 3600 else {
            return date.iso + "T" + pad(secondOfDay / 3600, 2) + ":" + pad((secondOfDay % 3600) / 60, 2) + ":"
                + pad(secondOfDay % 60, 2)
                + (z ? "Z" : (offset < 0 ? "-" : "+") + pad(abs(offset) / 3600, 2) + ":" + pad((abs(offset) % 3600) / 60, 2))
        }
        return write(capacity: 25) { w in
            w.date(date, iso: true)
            w.byte(UInt8(ascii: "T"))
            w.time(secondOfDay, seconds: true)
            w.offset(offset, z: z)
        }
    }
}
