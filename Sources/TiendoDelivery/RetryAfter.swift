import Foundation
public import TiendoCore

/// HTTP `Retry-After` (RFC 9110 §10.2.3): delta-seconds, or an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`)
/// turned into seconds from `now`. Nil when unreadable; never negative, and at most `longest` (a year), so that no
/// instant computed from it overflows (`Retry-After: 9223372036854775807` once crashed the sender at every restart).
public enum RetryAfter {
    public static let longest: Int64 = 366 * 86_400

    public static func seconds(_ value: String, now: Instant) -> Int64? {
        let v = value.trimmingCharacters(in: [" ", "\t"])
        if let n = Int64(v), n >= 0 { return min(n, longest) }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let parts = v.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let m = months.firstIndex(of: String(parts[2])),
            let year = Int(parts[3]), let date = CivilDate(validYear: year, month: m + 1, day: day)
        else { return nil }
        let hms = parts[4].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3, hms[0] < 24, hms[1] < 60, hms[2] < 61 else { return nil }
        let t = Int64(date.dayNumber) * 86_400 + Int64(hms[0] * 3600 + hms[1] * 60 + hms[2])
        return min(max(0, t - now.seconds), longest)
    }
}
