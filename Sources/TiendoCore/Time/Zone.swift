import Foundation

/// A point in time: whole seconds since 1970-01-01T00:00:00Z.
public struct Instant: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var seconds: Int64
    public init(seconds: Int64) { self.seconds = seconds }
    public static func < (a: Instant, b: Instant) -> Bool { a.seconds < b.seconds }
    public func adding(seconds s: Int64) -> Instant { Instant(seconds: seconds + s) }
    public static let distantFuture = Instant(seconds: Int64.max / 4)
    public static let distantPast = Instant(seconds: Int64.min / 4)
    public var description: String { Zone.utc.iso(self) }

    public init(from decoder: any Decoder) throws {
        seconds = try decoder.singleValueContainer().decode(Int64.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(seconds)
    }
}

/// A time zone with civil conversions. Wraps Foundation's tz database, with a fast path for the
/// modern era of zones that no longer change their offset (such as Asia/Ho_Chi_Minh since 1975).
public struct Zone: Sendable, Hashable {
    public let identifier: String
    private let tz: TimeZone
    /// From this instant on the offset never changes (no DST, no further rule changes seen).
    private let fixedFrom: Int64?
    private let fixedOffset: Int

    public static let utc = Zone(fixed: "UTC", offset: 0)
    public static let vietnam = Zone(identifier: "Asia/Ho_Chi_Minh")!

    private init(fixed id: String, offset: Int) {
        identifier = id
        tz = TimeZone(secondsFromGMT: offset)!
        fixedFrom = Int64.min
        fixedOffset = offset
    }

    public init?(identifier: String) {
        guard !identifier.isEmpty, let tz = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        self.tz = tz
        // 1980-01-01: if no DST transition happens after it and the offset is the same across two centuries,
        // treat the offset as fixed from then on.
        let probe = Date(timeIntervalSince1970: 315_532_800)
        let a = tz.secondsFromGMT(for: probe)
        let b = tz.secondsFromGMT(for: Date(timeIntervalSince1970: 4_102_444_800))  // 2100
        if tz.nextDaylightSavingTimeTransition(after: probe) == nil, a == b {
            fixedFrom = 315_532_800
            fixedOffset = a
        } else {
            fixedFrom = nil
            fixedOffset = 0
        }
    }

    public static func == (a: Zone, b: Zone) -> Bool { a.identifier == b.identifier }
    public func hash(into h: inout Hasher) { h.combine(identifier) }

    /// The offset from `instant` on, when it no longer changes after it (Asia/Ho_Chi_Minh since 1980): instants
    /// from then on are local time minus one constant, so day steps are steps of 86,400 seconds.
    func fixedOffset(from instant: Instant) -> Int? {
        guard let f = fixedFrom, instant.seconds >= f else { return nil }
        return fixedOffset
    }

    /// From when the offset no longer changes (`Int64.max`: never), and that offset.
    var fixedSince: (from: Int64, offset: Int) { (fixedFrom ?? .max, fixedOffset) }

    /// UTC offset in seconds at an instant.
    public func offset(at instant: Instant) -> Int {
        if let f = fixedFrom, instant.seconds >= f { return fixedOffset }
        return tz.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant.seconds)))
    }

    /// The instant of a local date and time. In a gap (spring forward) the later offset applies; in an
    /// overlap the earlier instant is chosen.
    public func instant(_ date: CivilDate, _ time: TimeOfDay = TimeOfDay(hour: 0, minute: 0), second: Int = 0) -> Instant {
        let local = Int64(date.dayNumber) * 86_400 + Int64(time.minutes * 60 + second)
        if let f = fixedFrom, local - Int64(fixedOffset) >= f { return Instant(seconds: local - Int64(fixedOffset)) }
        var guess = local - Int64(offset(at: Instant(seconds: local)))
        let o2 = offset(at: Instant(seconds: guess))
        guess = local - Int64(o2)
        let o3 = offset(at: Instant(seconds: guess))
        if o3 != o2 { guess = local - Int64(max(o2, o3)) }
        return Instant(seconds: guess)
    }

    /// Local calendar date of an instant.
    public func date(of instant: Instant) -> CivilDate {
        let local = instant.seconds + Int64(offset(at: instant))
        return CivilDate(dayNumber: Int(floorDiv(local, 86_400)))
    }

    /// Local date and seconds since local midnight.
    public func local(_ instant: Instant) -> (date: CivilDate, secondOfDay: Int) {
        let local = instant.seconds + Int64(offset(at: instant))
        let day = floorDiv(local, 86_400)
        return (CivilDate(dayNumber: Int(day)), Int(local - day * 86_400))
    }

    /// Start of the local day after `date`: the instant a date deadline ends.
    public func endOfDay(_ date: CivilDate) -> Instant { instant(date.adding(days: 1)) }

    /// ISO 8601 with this zone's offset, whole seconds: `2025-11-23T08:00:00+07:00`.
    public func iso(_ instant: Instant) -> String {
        let off = offset(at: instant)
        let (d, s) = local(instant)
        return DateText.iso(d, secondOfDay: s, offset: off, z: off == 0 && identifier == "UTC")
    }

    /// `01/02/2026 17:00`, a table's cell (the web's, tiendoctl's and tiendo-deliver's tables).
    public func dateAndTime(_ instant: Instant) -> String {
        let (d, s) = local(instant)
        return d.vietnamese + " " + hourMinute(s)
    }

    /// `17:00 01/02/2026`: a datetime field's value as data (`Value.display`: a group key, what `--where` and an
    /// account's chi bộ list match), kept in the form it has always had so that stored keys still match.
    public func timeThenDate(_ instant: Instant) -> String {
        let (d, s) = local(instant)
        return hourMinute(s) + " " + d.vietnamese
    }

    /// `17:00` of a second of the day.
    private func hourMinute(_ secondOfDay: Int) -> String { pad(secondOfDay / 3600, 2) + ":" + pad((secondOfDay % 3600) / 60, 2) }

    /// `17:00 ngày 01/02/2026` for people, as Vietnamese documents write an hour and its day in a sentence.
    public func vietnamese(_ instant: Instant) -> String {
        let (d, s) = local(instant)
        guard DateText.fits(d) else { return hourMinute(s) + " ngày " + d.vietnamese }
        return DateText.write(capacity: 22) { w in
            w.time(s, seconds: false)
            w.onDay()
            w.date(d, iso: false)
        }
    }

    /// Parses ISO 8601 `YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]`; without an offset the time is local to this zone.
    /// A bare `YYYY-MM-DD` means 00:00 local.
    public func parseInstant(_ text: some StringProtocol) -> Instant? {
        let s = String(text)
        if let d = CivilDate.parse(s) { return instant(d) }
        let u = Array(s.utf8)
        guard u.count >= 16, u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: " ") else { return nil }
        guard let d = CivilDate.parse(s.prefix(10)), let t = TimeOfDay.parse(String(decoding: u[11..<16], as: UTF8.self))
        else { return nil }
        var i = 16
        var sec = 0
        if i < u.count, u[i] == UInt8(ascii: ":") {
            guard let ss = digits(u, i + 1, 2), ss < 60 else { return nil }
            sec = ss
            i += 3
        }
        if i == u.count { return instant(d, t, second: sec) }
        if u[i] == UInt8(ascii: "Z"), i + 1 == u.count {
            return Instant(seconds: Int64(d.dayNumber) * 86_400 + Int64(t.minutes * 60 + sec))
        }
        guard u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-"), u.count == i + 6, u[i + 3] == UInt8(ascii: ":"),
            let oh = digits(u, i + 1, 2), let om = digits(u, i + 4, 2), oh < 24, om < 60
        else { return nil }
        let off = (oh * 3600 + om * 60) * (u[i] == UInt8(ascii: "-") ? -1 : 1)
        return Instant(seconds: Int64(d.dayNumber) * 86_400 + Int64(t.minutes * 60 + sec) - Int64(off))
    }
}

@inline(__always)
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
