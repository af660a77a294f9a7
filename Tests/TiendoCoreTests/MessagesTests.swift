import Testing

@testable import TiendoCore

/// Vietnamese text for people shared by the daemon and the CLI.
@Suite struct MessagesTests {
    @Test(
        "lateness reads in days from one day up, in hours and minutes below, never in raw seconds",
        arguments: [
            (302 * 86_400 + 5000, "trễ 302 ngày"), (86_400, "trễ 1 ngày"), (3 * 3600 + 5 * 60 + 59, "trễ 3 giờ 5 phút"),
            (7200, "trễ 2 giờ"), (45 * 60, "trễ 45 phút"), (60, "trễ 1 phút"), (20, "trễ 20 giây"), (-5, "trễ 0 giây"),
        ])
    func lateness(_ seconds: Int, _ text: String) {
        #expect(Messages.lateness(seconds: seconds) == text)
    }

    @Test("a file's size: one decimal after a comma, the next unit from 1.000 on")
    func sizes() {
        let cases: [(Int64, String)] = [
            (0, "0 KB"), (409_600, "409,6 KB"), (999_940, "999,9 KB"), (999_960, "1 MB"), (12_000_000, "12 MB"),
            (1_449_999_999, "1,4 GB"), (999_960_000, "1 GB"), (12_345_000_000_000, "12.345 GB"),
        ]
        for (bytes, text) in cases { #expect(Messages.size(bytes) == text, "\(bytes)") }
    }

    @Test("an instant for people: «ngày» in a sentence, date first in a table, a datetime value's data form unchanged")
    func instantForms() throws {
        let zone = Zone.vietnam
        let t = try #require(zone.parseInstant("2026-02-01T17:00:00+07:00"))
        #expect(zone.vietnamese(t) == "17:00 ngày 01/02/2026")
        #expect(zone.dateAndTime(t) == "01/02/2026 17:00")
        // A datetime field's value is a group key and what filters match: its form may not move under stored keys.
        #expect(Value.datetime(t).display(zone: zone) == "17:00 01/02/2026")
        #expect(RecordText.human("2026-02-01T17:00:00+07:00") == "17:00 ngày 01/02/2026" && RecordText.human("2026-02-01") == "01/02/2026")
    }
}
