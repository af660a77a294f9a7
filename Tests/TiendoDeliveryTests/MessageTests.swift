import Foundation
import Testing
import TiendoCore

@testable import TiendoDelivery

/// Decodes what `MIME` writes, independently: unfolds headers, joins encoded-words, splits the multipart body.
struct ParsedMail {
    var headers: [String: String] = [:]
    var rawHeaderLines: [String] = []
    var parts: [(type: String, text: String)] = []

    init(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let (head, body) = text.split(separator: "\r\n\r\n", maxSplits: 1).map(String.init).pair
        rawHeaderLines = head.components(separatedBy: "\r\n")
        var unfolded: [String] = []
        for l in rawHeaderLines {
            if l.hasPrefix(" "), !unfolded.isEmpty { unfolded[unfolded.count - 1] += l } else { unfolded.append(l) }
        }
        for l in unfolded {
            guard let colon = l.firstIndex(of: ":") else { continue }
            headers[String(l[..<colon])] = ParsedMail.decodeWords(String(l[l.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        let boundary = headers["Content-Type"]!.components(separatedBy: "boundary=\"")[1].dropLast()
        for chunk in body.components(separatedBy: "--\(boundary)").dropFirst() where !chunk.hasPrefix("--") {
            let (ph, pb) = chunk.split(separator: "\r\n\r\n", maxSplits: 1).map(String.init).pair
            let type = ph.components(separatedBy: "Content-Type: ")[1].components(separatedBy: ";")[0]
            let data = Data(base64Encoded: pb.replacingOccurrences(of: "\r\n", with: ""))!
            let decoded = String(decoding: data, as: UTF8.self)
            // Canonical text (RFC 2045 §6.8): CRLF and only CRLF ends a line; read back as a mail client shows it.
            #expect(decoded.replacingOccurrences(of: "\r\n", with: "").allSatisfy { $0 != "\n" && $0 != "\r" }, "\(type)")
            parts.append((type, decoded.replacingOccurrences(of: "\r\n", with: "\n")))
        }
    }

    /// RFC 2047 B-encoded UTF-8 words; the white space between two adjacent words is dropped.
    static func decodeWords(_ s: String) -> String {
        var out = ""
        var pendingSpace = ""
        var lastWasWord = false
        for token in s.split(separator: " ", omittingEmptySubsequences: false) {
            if token.hasPrefix("=?UTF-8?B?"), token.hasSuffix("?=") {
                let b64 = token.dropFirst(10).dropLast(2)
                if !lastWasWord { out += pendingSpace }
                out += String(decoding: Data(base64Encoded: String(b64))!, as: UTF8.self)
                lastWasWord = true
            } else {
                out += pendingSpace + token
                lastWasWord = false
            }
            pendingSpace = " "
        }
        return out
    }
}

extension Array where Element == String {
    var pair: (String, String) { (self[0], count > 1 ? self[1] : "") }
}

@Suite struct MessageTests {
    let composer = MessageComposer(routing: RoutingFixture.routing(), definitions: Repo.definitions)
    let dung = Mailbox(name: "Phạm Thị Dung", address: "bithu.kdc2@example.vn")

    func job(
        _ records: [JSON], to: Mailbox, digest: String? = nil, key: String = "k|thu|bithu.kdc2@example.vn", labels: [String?] = [],
        route: String = "r"
    ) -> DeliveryJob {
        let items = records.enumerated().map { i, r in
            let f = FanOut(
                key: "\(key)#\(i)", channel: "thu", recipient: to, route: route, digest: digest,
                digestPeriod: digest == nil ? nil : .week, notBefore: at("2025-12-01T00:00"), expiresAt: nil, series: nil,
                label: i < labels.count ? labels[i] : nil)
            return Delivery(id: Int64(i + 1), fanOut: f, recordKey: "rk\(i)", record: r, createdAt: at("2025-12-01T00:00"))
        }
        return DeliveryJob(messageKey: key, channel: "thu", recipient: to, items: items, leaseUntil: at("2030-01-01T00:00"))
    }

    @Test("a person is greeted as đồng chí, an office or a body by its name alone")
    func greetings() {
        #expect(MessageComposer.greeting("Phạm Thị Dung") == "Kính gửi đồng chí Phạm Thị Dung,")
        #expect(MessageComposer.greeting("Văn phòng Đảng ủy") == "Kính gửi Văn phòng Đảng ủy,")
        #expect(MessageComposer.greeting("Ban Tổ chức Đảng ủy phường") == "Kính gửi Ban Tổ chức Đảng ủy phường,")
        #expect(MessageComposer.greeting("Chi bộ Khu dân cư số 2") == "Kính gửi Chi bộ Khu dân cư số 2,")
        #expect(MessageComposer.greeting("Bảo") == "Kính gửi đồng chí Bảo,")
        #expect(MessageComposer.greeting("Đoàn Thị Hương") == "Kính gửi đồng chí Đoàn Thị Hương,")  // a surname
        #expect(MessageComposer.greeting("Đoàn Thanh niên phường") == "Kính gửi Đoàn Thanh niên phường,")
    }

    @Test func noticeEmail() throws {
        // The reminder was written on Wednesday (7 days left) and is sent on Friday: the subject counts from Friday,
        // and the body's sentence says it is Wednesday's.
        let m = try composer.email(for: job([record(at: "2025-12-03T08:00:00+07:00")], to: dung), now: at("2025-12-05T07:00"))
        #expect(m.envelopeFrom == "vanphong@tayho.example.vn" && m.envelopeTo == "bithu.kdc2@example.vn")
        #expect(m.messageID == "k|thu|bithu=2Ekdc2=40example=2Evn@tayho.example.vn")
        let p = ParsedMail(m.bytes)
        #expect(p.headers["Subject"] == "Còn 5 ngày: «Nộp bản kiểm điểm cá nhân cuối năm» (nhac-viec/nguyen-van-an), hạn chót 10/12/2025")
        #expect(p.headers["From"] == "Văn phòng Đảng ủy phường Tây Hồ <vanphong@tayho.example.vn>")
        #expect(p.headers["To"] == "Phạm Thị Dung <bithu.kdc2@example.vn>")
        #expect(p.headers["Date"] == "Fri, 05 Dec 2025 07:00:00 +0700")
        #expect(p.headers["Message-ID"] == "<k|thu|bithu=2Ekdc2=40example=2Evn@tayho.example.vn>")
        #expect(p.headers["Auto-Submitted"] == "auto-generated")
        #expect(p.headers["X-Tiendo-Instance"] == "nhac-viec/nguyen-van-an")
        #expect(p.parts.map(\.type) == ["text/plain", "text/html"])
        #expect(
            p.parts[0].text == """
                Kính gửi đồng chí Phạm Thị Dung,

                Thông báo ngày 03/12/2025: Còn 7 ngày đến hạn «Nộp bản kiểm điểm cá nhân cuối năm» (nhac-viec/nguyen-van-an), hạn chót 10/12/2025

                Quy trình: Nộp báo cáo kiểm điểm cuối năm
                Hồ sơ: nhac-viec/nguyen-van-an
                Đơn vị: Chi bộ Khu dân cư số 2
                Hạn chót: thứ Tư, 10/12/2025
                Tình trạng (tính đến ngày gửi thư): còn 5 ngày
                Thời điểm thông báo: 08:00 ngày 03/12/2025

                -- 
                Thư gửi tự động từ hệ thống theo dõi tiến độ của Văn phòng Đảng ủy phường Tây Hồ. Đề nghị không trả lời thư này.

                """)
        #expect(
            p.parts[1].text.contains(
                "<tr><th align=\"left\" valign=\"top\">Tình trạng (tính đến ngày gửi thư)</th><td valign=\"top\" style=\"overflow-wrap: anywhere; word-break: break-word\">còn 5 ngày</td></tr>"
            ))
        // A phone's client lays the HTML out at its own width; not urgent, not flagged.
        #expect(p.parts[1].text.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
        #expect(p.headers["Importance"] == nil && p.headers["X-Priority"] == nil)
        // 7-bit clean, CRLF only, header lines under 78 characters, body lines under 998.
        #expect(m.bytes.allSatisfy { $0 < 128 })
        #expect(!String(decoding: m.bytes, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(p.rawHeaderLines.allSatisfy { $0.count <= 78 }, "\(p.rawHeaderLines.filter { $0.count > 78 })")
        // The same message again (a retry) is the same bytes.
        #expect(try composer.email(for: job([record(at: "2025-12-03T08:00:00+07:00")], to: dung), now: at("2025-12-05T07:00")) == m)
    }

    @Test("a notice to someone else than its person names that person in the subject; to the person, not twice")
    func noticeSubjectNamesThePerson() throws {
        let r = record(at: "2025-12-03T08:00:00+07:00")
        func subject(to: Mailbox, route: String = "bi-thu") throws -> String {
            ParsedMail(
                try composer.email(for: job([r], to: to, labels: ["Nguyễn Văn An"], route: route), now: at("2025-12-05T07:00")).bytes
            )
            .headers["Subject"]!
        }
        // To a secretary: the person's name, early (a phone shows the first forty characters or so), not the code.
        #expect(
            try subject(to: dung) == "Còn 5 ngày – Nguyễn Văn An: «Nộp bản kiểm điểm cá nhân cuối năm», hạn chót 10/12/2025")
        // To the person, reached through the record's own field: neither the name nor the code.
        #expect(
            try subject(to: Mailbox(name: "Nguyễn Văn An", address: "an.nguyen@example.vn"), route: "dang-vien")
                == "Còn 5 ngày: «Nộp bản kiểm điểm cá nhân cuối năm», hạn chót 10/12/2025")
        // A secretary of the same name, reached through the route's list, still reads whose it is.
        #expect(
            try subject(to: Mailbox(name: "Nguyễn Văn An", address: "bithu.kdc2@example.vn"))
                == "Còn 5 ngày – Nguyễn Văn An: «Nộp bản kiểm điểm cá nhân cuối năm», hạn chót 10/12/2025")
    }

    @Test("the body's sentence names the person, not the case's code: to the person themself, «đồng chí»")
    func noticeBodyNamesThePerson() throws {
        let r = record(at: "2025-12-05T08:00:00+07:00")
        func text(to: Mailbox, route: String = "bi-thu", labels: [String?] = ["Nguyễn Văn An"], composer: MessageComposer? = nil) throws
            -> String
        {
            let c = composer ?? self.composer
            return ParsedMail(try c.email(for: job([r], to: to, labels: labels, route: route), now: at("2025-12-05T08:00")).bytes)
                .parts[0].text
        }
        let secretary = try text(to: dung)
        #expect(
            secretary.contains(
                "\n\nCòn 7 ngày đến hạn «Nộp bản kiểm điểm cá nhân cuối năm» (hồ sơ của Nguyễn Văn An), hạn chót 10/12/2025\n"))
        #expect(secretary.contains("Hồ sơ: Nguyễn Văn An (nhac-viec/nguyen-van-an)\n"))
        let own = try text(to: Mailbox(name: "Nguyễn Văn An", address: "an.nguyen@example.vn"), route: "dang-vien")
        #expect(own.contains("\n\nCòn 7 ngày đến hạn «Nộp bản kiểm điểm cá nhân cuối năm», hạn chót 10/12/2025\n"), "\(own)")
        #expect(own.contains("Mã hồ sơ: nhac-viec/nguyen-van-an\n") && !own.contains("Hồ sơ: "))
        // No name known: the code stays where the engine wrote it.
        #expect(try text(to: dung, labels: []).contains("«Nộp bản kiểm điểm cá nhân cuối năm» (nhac-viec/nguyen-van-an), hạn chót"))
        // The sentences that say «hồ sơ CODE».
        #expect(
            MessageComposer.naming(
                "Bắt đầu hồ sơ nhac-viec/m1 theo quy trình «A»", instance: "nhac-viec/m1", label: "Trần Thị Bình", personal: false)
                == "Bắt đầu hồ sơ của Trần Thị Bình theo quy trình «A»")
        #expect(
            MessageComposer.naming("Hồ sơ nhac-viec/m1 chuyển từ «A» sang «B»", instance: "nhac-viec/m1", label: nil, personal: true)
                == "Hồ sơ của đồng chí chuyển từ «A» sang «B»")
        // `contact:` says whom to ask, beside «do not reply».
        let withContact = MessageComposer(
            routing: RoutingFixture.routing(
                RoutingFixture.standard.replacingOccurrences(
                    of: "quiet_hours:", with: "contact: Văn phòng Đảng ủy phường, 024 3823 4567\nquiet_hours:")),
            definitions: Repo.definitions)
        #expect(
            try text(to: dung, composer: withContact).hasSuffix(
                "Đề nghị không trả lời thư này; cần hỏi, xin liên hệ: Văn phòng Đảng ủy phường, 024 3823 4567.\n"))
        #expect(try text(to: dung).hasSuffix("Văn phòng Đảng ủy phường Tây Hồ. Đề nghị không trả lời thư này.\n"))
        // Written as a folded block, it is still one line.
        let folded = MessageComposer(
            routing: RoutingFixture.routing(
                RoutingFixture.standard.replacingOccurrences(
                    of: "quiet_hours:", with: "contact: >\n  Văn phòng Đảng ủy phường,\n  024 3823 4567\nquiet_hours:")),
            definitions: Repo.definitions)
        #expect(try text(to: dung, composer: folded).hasSuffix("cần hỏi, xin liên hệ: Văn phòng Đảng ủy phường, 024 3823 4567.\n"))
    }

    @Test("in a digest, a reminder sent after its deadline is listed as overdue, as its line says")
    func lateReminderInADigest() throws {
        let r = record(at: "2025-12-02T08:00:00+07:00", due: "2025-12-05", daysLeft: 3)
        let m = try composer.email(
            for: job([r], to: dung, digest: "bi-thu|thu|bithu.kdc2@example.vn|2025-12-08", labels: ["Nguyễn Văn An"]),
            now: at("2025-12-08T07:30"))
        let text = ParsedMail(m.bytes).parts[0].text
        #expect(text.contains("QUÁ HẠN (1)\n") && !text.contains("SẮP ĐẾN HẠN"), "\(text)")
        #expect(text.contains("- Nguyễn Văn An: «Nộp bản kiểm điểm cá nhân cuối năm», hạn chót 05/12/2025, quá hạn 3 ngày\n"), "\(text)")
    }

    @Test("a due is said with its weekday, a day's or an hour's, and so is the due a calendar change moved")
    func weekdays() throws {
        func text(_ r: JSON) throws -> String {
            ParsedMail(try composer.email(for: job([r], to: dung), now: at("2026-01-20T08:00")).bytes).parts[0].text
        }
        let timed = record(at: "2026-01-20T08:00:00+07:00", due: "2026-01-27T17:00:00+07:00")
        let timedText = try text(timed)
        #expect(timedText.contains("Hạn chót: thứ Ba, 17:00 ngày 27/01/2026\n"), "\(timedText)")
        var moved = record("rescheduled", at: "2026-01-20T08:00:00+07:00", due: "2026-02-02", daysLeft: nil)
        if case .object(var o) = moved {
            o.append(("previousDue", .string("2026-01-30")))
            moved = .object(o)
        }
        let t = try text(moved)
        #expect(t.contains("Hạn cũ: thứ Sáu, 30/01/2026\n") && t.contains("Hạn mới: thứ Hai, 02/02/2026\n"), "\(t)")
        // A new due says how it stands, the more so when it has passed already.
        #expect(t.contains("Tình trạng: còn 13 ngày\n"), "\(t)")
        // Overdue at an hour of the day itself (17:00 passed): not «đến hạn hôm nay» under «Đã quá hạn chót».
        let late = try text(record("overdue", at: "2026-01-20T17:00:00+07:00", due: "2026-01-20T17:00:00+07:00", daysLeft: 0, priority: 4))
        #expect(late.contains("Tình trạng: đã quá giờ hạn chót hôm nay\n") && !late.contains("đến hạn hôm nay"), "\(late)")
    }

    @Test("a digest sent after its day is titled by its day and says it is late")
    func lateDigest() throws {
        let r = record(at: "2025-12-11T08:00:00+07:00", due: "2025-12-12", daysLeft: 1)
        let key = "bi-thu|thu|bithu.kdc2@example.vn|2025-12-11"
        var j = job([r, r], to: dung, digest: key)
        j.items = j.items.map { d in
            var d = d
            d.digestPeriod = .day
            return d
        }
        let held = ParsedMail(try composer.email(for: j, now: at("2025-12-14T09:00")).bytes)
        #expect(held.headers["Subject"]?.hasPrefix("Nhắc việc ngày 11/12/2025") == true, "\(held.headers)")
        #expect(held.parts[0].text.contains("Thư này lẽ ra gửi ngày 11/12/2025, gửi muộn ngày 14/12/2025;"), "\(held.parts[0].text)")
        let onTime = ParsedMail(try composer.email(for: j, now: at("2025-12-11T07:30")).bytes)
        #expect(onTime.headers["Subject"]?.hasPrefix("Nhắc việc ngày 11/12/2025") == true && !onTime.parts[0].text.contains("gửi muộn"))
    }

    @Test("an urgent notice (quiet_hours.urgent, crit by default) says so first and is flagged for mail clients")
    func urgentNotice() throws {
        let r = record("overdue", at: "2025-12-15T08:00:00+07:00", daysLeft: -5, priority: 2)
        let p = ParsedMail(try composer.email(for: job([r], to: dung, labels: ["Nguyễn Văn An"]), now: at("2025-12-15T08:00")).bytes)
        #expect(p.headers["Subject"] == "[Khẩn] Quá hạn 5 ngày – Nguyễn Văn An: «Nộp bản kiểm điểm cá nhân cuối năm», hạn chót 10/12/2025")
        #expect(p.headers["Importance"] == "high" && p.headers["X-Priority"] == "1")
        #expect(p.parts[0].text.contains("Mức độ: khẩn\n") && p.parts[0].text.contains("Tình trạng: quá hạn 5 ngày\n"))
        // In a digest: the line and the subject.
        let digest = ParsedMail(
            try composer.email(
                for: job([r], to: dung, digest: "bi-thu|thu|bithu.kdc2@example.vn|2025-12-15", labels: ["Nguyễn Văn An"]),
                now: at("2025-12-15T08:30")
            ).bytes)
        #expect(digest.headers["Subject"]?.hasPrefix("[Khẩn] Nhắc việc tuần 15/12–21/12/2025") == true)
        #expect(digest.parts[0].text.contains("  - [Khẩn] Nguyễn Văn An: «Nộp bản kiểm điểm cá nhân cuối năm», hạn chót 10/12/2025"))
    }

    @Test func subjectsByKindAndDay() throws {
        func subject(_ j: JSON, now: String) throws -> String {
            ParsedMail(try composer.email(for: job([j], to: dung), now: at(now)).bytes).headers["Subject"]!
        }
        #expect(
            try subject(record(at: "2025-12-09T08:00:00+07:00"), now: "2025-12-10T08:00")
                == "Hôm nay đến hạn: «Nộp bản kiểm điểm cá nhân cuối năm» (nhac-viec/nguyen-van-an), hạn chót 10/12/2025")
        #expect(
            try subject(record("overdue", at: "2025-12-13T08:00:00+07:00", daysLeft: -3, priority: 4), now: "2025-12-15T07:00")
                == "Quá hạn 5 ngày: «Nộp bản kiểm điểm cá nhân cuối năm» (nhac-viec/nguyen-van-an), hạn chót 10/12/2025")
        // A provisional due says so wherever the date appears.
        #expect(
            try subject(record(at: "2027-01-30T08:00:00+07:00", due: "2027-02-08", provisional: true), now: "2027-02-01T08:00")
                == "Còn 7 ngày: «Nộp bản kiểm điểm cá nhân cuối năm» (nhac-viec/nguyen-van-an), hạn chót 08/02/2027 (dự kiến)")
        let done = record(
            "milestone-done", at: "2025-12-09T10:00:00+07:00", due: nil, daysLeft: nil, priority: 6,
            message: "Đã hoàn thành «Nộp bản kiểm điểm cá nhân cuối năm» (nhac-viec/nguyen-van-an)")
        #expect(
            try subject(done, now: "2025-12-09T10:00") == "Đã hoàn thành: «Nộp bản kiểm điểm cá nhân cuối năm» (nhac-viec/nguyen-van-an)")
        // The kind once, then what, whose and (moved) when; never the engine's sentence with the kind said again.
        let moved = record(
            "rescheduled", at: "2025-12-09T10:00:00+07:00", due: "2025-12-14", daysLeft: nil, priority: 5,
            message: "Đổi hạn «Nộp bản kiểm điểm cá nhân cuối năm» (nhac-viec/nguyen-van-an) từ 10/12/2025 sang 14/12/2025")
        #expect(
            try subject(moved, now: "2025-12-09T10:00")
                == "Đổi hạn: «Nộp bản kiểm điểm cá nhân cuối năm» (nhac-viec/nguyen-van-an), hạn mới 14/12/2025")
        let refused = record(
            "rejected", at: "2025-12-09T10:00:00+07:00", due: nil, daysLeft: nil, priority: 4,
            message: "Không thực hiện được sự kiện «x» cho hồ sơ nhac-viec/nguyen-van-an: không có trong trạng thái này")
        let said = try subject(refused, now: "2025-12-09T10:00")
        #expect(
            said.hasPrefix("Thao tác không thực hiện được: «") && said.hasSuffix("» (nhac-viec/nguyen-van-an)")
                && !said.contains("Không thực hiện được sự kiện"), "\(said)"
        )
        let entered: JSON = .object([
            ("at", .string("2025-12-09T10:00:00+07:00")), ("kind", .string("transition")), ("workflow", .string("dang-vien-du-bi")),
            ("instance", .string("dang-vien-du-bi/dv1")), ("state", .string("cho-quyet-dinh")), ("priority", .int(6)),
            ("message", .string("Hồ sơ dang-vien-du-bi/dv1 chuyển từ «Chờ chi bộ xét công nhận chính thức» sang «…»")),
        ])
        #expect(
            try subject(entered, now: "2025-12-09T10:00")
                == "Chuyển trạng thái: «Xét công nhận đảng viên chính thức» (dang-vien-du-bi/dv1) sang "
                + "«Chi bộ đã đề nghị công nhận chính thức — chờ quyết định của cấp ủy có thẩm quyền»")
    }

    @Test func digestEmailGroupsBySectionAndWorkflow() throws {
        let records = [
            record(at: "2025-12-05T08:00:00+07:00", instance: "nhac-viec/tran-thi-binh", due: "2025-12-12"),
            record(
                "overdue", at: "2025-12-06T08:00:00+07:00", instance: "nhac-viec/pham-van-duc", due: "2025-12-05", daysLeft: -1, priority: 4
            ),
            record(at: "2025-12-04T08:00:00+07:00", instance: "nhac-viec/le-van-cuong", due: "2025-12-11"),
            record(
                "transition", at: "2025-12-12T09:00:00+07:00", instance: "nhac-viec/x", due: nil, daysLeft: nil, priority: 6,
                message: "Hồ sơ nhac-viec/x chuyển từ «A» sang «B» <ngay>"),
            // Due on the day the digest goes: not «sắp».
            record(at: "2025-12-05T08:00:00+07:00", instance: "nhac-viec/hoang-thi-em", due: "2025-12-08", daysLeft: 3),
        ]
        let labels = [nil, "Phạm <Văn> Đức", "Lê Văn Cường", "Ngô Thị X", "Hoàng Thị Em"]
        let m = try composer.email(
            for: job(records, to: dung, digest: "bi-thu|thu|bithu.kdc2@example.vn|2025-12-08", labels: labels), now: at("2025-12-08T07:30"))
        let p = ParsedMail(m.bytes)
        #expect(p.headers["Subject"] == "Nhắc việc tuần 08/12–14/12/2025 – Chi bộ Khu dân cư số 2")
        #expect(p.headers["X-Tiendo-Digest"] == "5")
        #expect(
            p.parts[0].text == """
                Kính gửi đồng chí Phạm Thị Dung,

                Nhắc việc tuần 08/12–14/12/2025 – Chi bộ Khu dân cư số 2
                Thư này nhắc 1 việc quá hạn, 1 việc đến hạn hôm nay, 2 việc sắp đến hạn và 1 thông báo khác.

                QUÁ HẠN (1)
                  Nộp báo cáo kiểm điểm cuối năm
                  - Phạm <Văn> Đức: «Nộp bản kiểm điểm cá nhân cuối năm», hạn chót 05/12/2025, quá hạn 3 ngày

                ĐẾN HẠN HÔM NAY (1)
                  Nộp báo cáo kiểm điểm cuối năm
                  - Hoàng Thị Em: «Nộp bản kiểm điểm cá nhân cuối năm», hạn chót 08/12/2025, đến hạn hôm nay

                SẮP ĐẾN HẠN (2)
                  Nộp báo cáo kiểm điểm cuối năm
                  - Lê Văn Cường: «Nộp bản kiểm điểm cá nhân cuối năm», hạn chót 11/12/2025, còn 3 ngày
                  - «Nộp bản kiểm điểm cá nhân cuối năm» (nhac-viec/tran-thi-binh), hạn chót 12/12/2025, còn 4 ngày

                THÔNG BÁO KHÁC (1)
                  Nộp báo cáo kiểm điểm cuối năm
                  - Hồ sơ của Ngô Thị X chuyển từ «A» sang «B» <ngay>

                -- 
                Thư gửi tự động từ hệ thống theo dõi tiến độ của Văn phòng Đảng ủy phường Tây Hồ. Đề nghị không trả lời thư này.

                """)
        // HTML escapes what came from records.
        #expect(p.parts[1].text.contains("<li>Hồ sơ của Ngô Thị X chuyển từ «A» sang «B» &lt;ngay&gt;</li>"))
        #expect(p.parts[1].text.contains("<li>Phạm &lt;Văn&gt; Đức: «Nộp bản kiểm điểm cá nhân cuối năm», hạn chót"))
        #expect(p.parts[1].text.contains("<h3>Quá hạn (1)</h3>"))
    }

    @Test("an office's digest of several chi bộ names each item's chi bộ, and lists at most 200 items, saying how many it leaves")
    func officeDigestOfManyGroups() throws {
        let office = Mailbox(name: "Văn phòng", address: "vanphong@tayho.example.vn")
        let records = (0..<230).map { k in
            record(
                "overdue", at: "2025-12-06T08:00:00+07:00", instance: "nhac-viec/m\(k)", due: "2025-12-05", daysLeft: -1, priority: 4,
                group: "Chi bộ Khu dân cư số \(k % 12 + 1)")
        }
        let labels: [String?] = (0..<230).map { "Đảng viên số \($0)" }
        let m = try composer.email(
            for: job(records, to: office, digest: "van-phong|ngay|vanphong@tayho.example.vn|2025-12-08", labels: labels),
            now: at("2025-12-08T07:30"))
        let p = ParsedMail(m.bytes)
        let text = p.parts[0].text
        #expect(text.contains("QUÁ HẠN (230)\n"))
        #expect(
            text.contains(
                "  - Đảng viên số 13 (Chi bộ Khu dân cư số 2): «Nộp bản kiểm điểm cá nhân cuối năm», hạn chót 05/12/2025, quá hạn 3 ngày\n"),
            "\(text)")
        #expect(text.components(separatedBy: "\n  - ").count - 1 == DigestLayout.maxListed)
        #expect(text.contains("  … và 30 việc nữa của mục này không liệt kê trong thư (mỗi thư liệt kê tối đa 200 việc).\n"))
        #expect(p.parts[1].text.contains("<p>… và 30 việc nữa của mục này"))
        #expect(text.hasSuffix("Đề nghị không trả lời thư này.\n"))
        // With tiendo-web's address known, the items left out are a link away: the agenda of every chi bộ.
        let linked = MessageComposer(
            routing: RoutingFixture.routing(
                RoutingFixture.standard.replacingOccurrences(
                    of: "quiet_hours:", with: "web: https://tiendo.tayho.example.vn/\nquiet_hours:")),
            definitions: Repo.definitions)
        let withLink = ParsedMail(
            try linked.email(
                for: job(
                    records, to: office, digest: "van-phong|ngay|vanphong@tayho.example.vn|2025-12-08", labels: labels, route: "bi-thu"),
                now: at("2025-12-08T07:30")
            ).bytes)
        #expect(
            withLink.parts[0].text.contains(
                "  … và 30 việc nữa của mục này không liệt kê trong thư (mỗi thư liệt kê tối đa 200 việc); xem đủ trên trang việc cần làm "
                    + "của các chi bộ:\n  https://tiendo.tayho.example.vn/?ngay=30\n"), "\(withLink.parts[0].text)")
        #expect(
            withLink.parts[1].text.contains(
                "; <a href=\"https://tiendo.tayho.example.vn/?ngay=30\">xem đủ trên trang việc cần làm của các chi bộ</a>.</p>"))
        // One chi bộ's digest does not repeat its name on every line.
        let one = try composer.email(
            for: job(
                Array(records.prefix(1)), to: dung, digest: "bi-thu|ngay|bithu.kdc2@example.vn|2025-12-08",
                labels: ["Đảng viên số 0"]), now: at("2025-12-08T07:30"))
        #expect(ParsedMail(one.bytes).parts[0].text.contains("  - Đảng viên số 0: «Nộp bản"))
    }

    @Test("a record written long after its time says when it was written; one on time or held for the hours does not")
    func writtenLate() throws {
        // A case entered on 05/12 09:00 whose reminder of 03/12 08:00 was caught up then.
        let late = record(at: "2025-12-03T08:00:00+07:00", late: 2 * 86_400 + 3_600)
        let text = ParsedMail(try composer.email(for: job([late], to: dung), now: at("2025-12-05T09:00")).bytes).parts[0].text
        #expect(text.contains("Thời điểm thông báo: 08:00 ngày 03/12/2025\nHệ thống ghi nhận lúc: 09:00 ngày 05/12/2025\n"), "\(text)")
        // Written on the same day (a daemon stopped four hours), or held for the sending hours (no `late`): no row.
        for r in [record(at: "2025-12-03T08:00:00+07:00", late: 4 * 3_600), record(at: "2025-12-03T08:00:00+07:00")] {
            let m = ParsedMail(try composer.email(for: job([r], to: dung), now: at("2025-12-05T07:00")).bytes)
            #expect(!m.parts[0].text.contains("ghi nhận"))
        }
        // A step taken on a date has no hour: its day alone; an absurd `late` is ignored, not added.
        let midnight = record(
            "transition", at: "2025-10-09T00:00:00+07:00", due: nil, daysLeft: nil, priority: 6, message: "Hồ sơ chuyển", late: Int.max)
        let t = ParsedMail(try composer.email(for: job([midnight], to: dung), now: at("2025-11-30T12:00")).bytes).parts[0].text
        #expect(t.contains("Thời điểm thông báo: ngày 09/10/2025\n") && !t.contains("ghi nhận"), "\(t)")
    }

    @Test("an overdue period among others overdue counts them, this one included; one alone says nothing of it")
    func missedPeriods() throws {
        func overdue(missed: Int) -> JSON {
            guard
                case .object(var o) = record(
                    "overdue", at: "2027-06-01T08:00:00+07:00", due: "2027-05-31", daysLeft: -1, priority: 2,
                    message: "Quá hạn «Đóng đảng phí» kỳ 05/2027", occurrence: "2027-05")
            else { fatalError("a record is an object") }
            o.append(("missed", .int(missed)))
            return .object(o)
        }
        let three = ParsedMail(try composer.email(for: job([overdue(missed: 3)], to: dung), now: at("2027-06-01T08:00")).bytes)
        #expect(
            three.parts[0].text.contains("Số kỳ quá hạn chưa hoàn thành: 3 (kể cả kỳ này)\n"),
            "\(three.parts[0].text)")
        let one = ParsedMail(try composer.email(for: job([overdue(missed: 1)], to: dung), now: at("2027-06-01T08:00")).bytes)
        #expect(!one.parts[0].text.contains("Số kỳ"))
    }

    @Test("a notice says what the workflow says about its task, confidence marks in words; a digest does not")
    func guidance() throws {
        let overdue: JSON = .object([
            ("at", .string("2026-12-07T08:00:00+07:00")), ("kind", .string("overdue")), ("workflow", .string("dang-vien-du-bi")),
            ("instance", .string("dang-vien-du-bi/dv1")), ("state", .string("cho-xet")), ("due", .string("2026-11-26")),
            ("priority", .int(4)), ("message", .string("Quá hạn 11 ngày: «Chi bộ họp xét…» (dang-vien-du-bi/dv1)")),
        ])
        let text = ParsedMail(try composer.email(for: job([overdue], to: dung), now: at("2026-12-07T08:00")).bytes).parts[0].text
        #expect(
            text.contains(
                "\nHướng dẫn: Chi bộ xét và đề nghị công nhận chính thức chậm nhất 30 ngày làm việc kể từ ngày hết 12 tháng dự bị;"),
            "\(text)")
        #expect(text.contains("mục 4.2 (một nguồn, cần đối chiếu).\n") && !text.contains("[M]"), "\(text)")
        let digest = ParsedMail(
            try composer.email(
                for: job([overdue], to: dung, digest: "bi-thu|thu|bithu.kdc2@example.vn|2026-12-07"), now: at("2026-12-07T08:30")
            )
            .bytes)
        #expect(!digest.parts[0].text.contains("Hướng dẫn"))
        #expect(
            ConfidenceMarks.plain("Điều 8 [H]; mục 8.1 [M], mặc định [L]")
                == "Điều 8; mục 8.1 (một nguồn, cần đối chiếu), mặc định (chưa có văn bản xác nhận)")
        // A mark first, or with no space before it.
        #expect(ConfidenceMarks.plain("[H] Điều 8; mục 8.1[M]") == "Điều 8; mục 8.1 (một nguồn, cần đối chiếu)")
    }

    @Test("a provisional due is explained under the message, once in a digest")
    func provisionalExplained() throws {
        let r = record(at: "2027-01-30T08:00:00+07:00", due: "2027-02-08", provisional: true)
        let note =
            "«(dự kiến)»: hạn được tính theo lịch nghỉ lễ, Tết dự kiến của một năm chưa có lịch chính thức; có thể thay đổi khi lịch được công bố."
        let single = ParsedMail(try composer.email(for: job([r], to: dung), now: at("2027-02-01T08:00")).bytes)
        #expect(single.parts[0].text.contains("Hạn chót: thứ Hai, 08/02/2027 (dự kiến)\n") && single.parts[0].text.contains("\n\(note)\n"))
        #expect(single.parts[1].text.contains("<p><small>\(note)</small></p>"))
        let digest = ParsedMail(
            try composer.email(
                for: job([r, r], to: dung, digest: "bi-thu|thu|bithu.kdc2@example.vn|2027-02-01"), now: at("2027-02-01T07:30")
            )
            .bytes)
        #expect(digest.parts[0].text.components(separatedBy: note).count == 2)
        // Provisional only for when it falls (a reminder `1wd` stepping back over a projected year's days,
        // `dueCertain`): its due is known, so neither the mark nor the note.
        guard case .object(var fields) = r else { return #expect(Bool(false)) }
        fields.append(("dueCertain", .bool(true)))
        let certain = ParsedMail(try composer.email(for: job([.object(fields)], to: dung), now: at("2027-02-01T08:00")).bytes)
        #expect(certain.parts[0].text.contains("Hạn chót: thứ Hai, 08/02/2027\n") && !certain.parts[0].text.contains("dự kiến"))
        // Without a provisional due, no note.
        let plain = ParsedMail(
            try composer.email(for: job([record(at: "2025-12-03T08:00:00+07:00")], to: dung), now: at("2025-12-05T07:00")).bytes)
        #expect(!plain.parts[0].text.contains("dự kiến"))
    }

    @Test("an occurrence due in another month than its first is named from that month, in a notice and in a digest")
    func occurrencePeriods() throws {
        let quarter = record(
            at: "2026-12-13T08:00:00+07:00", due: "2026-12-20", message: "Còn 7 ngày đến hạn «Báo cáo quý kỳ từ tháng 09/2026»",
            occurrence: "2026-09")
        let single = ParsedMail(try composer.email(for: job([quarter], to: dung), now: at("2026-12-13T08:05")).bytes)
        #expect(single.parts[0].text.contains("\nKỳ: từ tháng 09/2026\n"), "\(single.parts[0].text)")
        // The subject names the period too: monthly notices of one milestone differ only there.
        #expect(
            single.headers["Subject"]
                == "Còn 7 ngày: «Nộp bản kiểm điểm cá nhân cuối năm» kỳ từ tháng 09/2026 (nhac-viec/nguyen-van-an), hạn chót 20/12/2026")
        let fee = record(at: "2026-03-28T08:00:00+07:00", due: "2026-03-31", occurrence: "2026-03")
        let digest = ParsedMail(
            try composer.email(
                for: job([quarter, fee], to: dung, digest: "bi-thu|thu|bithu.kdc2@example.vn|2026-12-14"), now: at("2026-12-14T07:30")
            ).bytes)
        #expect(digest.parts[0].text.contains(", kỳ từ tháng 09/2026, hạn chót 20/12/2026"), "\(digest.parts[0].text)")
        #expect(digest.parts[0].text.contains(", kỳ 03/2026, hạn chót 31/03/2026"), "\(digest.parts[0].text)")
    }

    @Test("with 'web' set, an email to the office or a secretary links to the record's page; one to a member does not")
    func recordPages() throws {
        let routing = RoutingFixture.routing(
            RoutingFixture.standard.replacingOccurrences(of: "quiet_hours:", with: "web: https://tiendo.tayho.example.vn/\nquiet_hours:"))
        let composer = MessageComposer(routing: routing, definitions: Repo.definitions)
        let page = "https://tiendo.tayho.example.vn/ho-so/nhac-viec/nguyen-van-an"
        func body(_ to: Mailbox, route: String) throws -> ParsedMail {
            ParsedMail(
                try composer.email(for: job([record(at: "2025-12-05T08:00:00+07:00")], to: to, route: route), now: at("2025-12-05T08:00"))
                    .bytes)
        }
        // A secretary from the route's list, the office's fixed address: the page, in words and as a link.
        let secretary = try body(dung, route: "bi-thu")
        #expect(
            secretary.parts[0].text.contains("Thời điểm thông báo: 08:00 ngày 05/12/2025\nXem hồ sơ: \(page)\n"),
            "\(secretary.parts[0].text)")
        // In the HTML, the link by what it opens (a long address breaks mid-word on a phone).
        #expect(
            secretary.parts[1].text.contains(
                "<tr><th align=\"left\" valign=\"top\">Xem hồ sơ</th><td valign=\"top\" style=\"overflow-wrap: anywhere; word-break: break-word\"><a href=\"\(page)\">Mở trang hồ sơ</a></td></tr>"
            ))
        let office = try body(Mailbox(name: "Văn phòng", address: "VANPHONG@tayho.example.vn"), route: "bi-thu")
        #expect(office.parts[0].text.contains("Xem hồ sơ: \(page)\n"))
        // A member reached through the record's `email` field has no account: no link; nor a route no longer in the file.
        let member = try body(Mailbox(name: "Nguyễn Văn An", address: "an@example.vn"), route: "dang-vien")
        #expect(!member.parts[0].text.contains("Xem hồ sơ") && !member.parts[1].text.contains("<a href"))
        #expect(!(try body(dung, route: "da-xoa")).parts[0].text.contains("Xem hồ sơ"))
        let records = [
            record(at: "2025-12-05T08:00:00+07:00", instance: "nhac-viec/tran-thi-binh", due: "2025-12-12"),
            record(
                "transition", at: "2025-12-06T09:00:00+07:00", instance: "nhac-viec/x", due: nil, daysLeft: nil, priority: 6,
                message: "Hồ sơ nhac-viec/x chuyển"),
        ]
        let digest = ParsedMail(
            try composer.email(
                for: job(records, to: dung, digest: "bi-thu|thu|bithu.kdc2@example.vn|2025-12-08", route: "bi-thu"),
                now: at("2025-12-08T07:30")
            ).bytes)
        #expect(
            digest.parts[0].text.contains(
                "  - «Nộp bản kiểm điểm cá nhân cuối năm» (nhac-viec/tran-thi-binh), hạn chót 12/12/2025, còn 4 ngày\n"
                    + "    https://tiendo.tayho.example.vn/ho-so/nhac-viec/tran-thi-binh\n"), "\(digest.parts[0].text)")
        #expect(digest.parts[1].text.contains("<a href=\"https://tiendo.tayho.example.vn/ho-so/nhac-viec/x\">Xem hồ sơ</a></li>"))
        // The digest counts what it lists; the chi bộ's agenda page has everything open, what was sent on its own too.
        // Spaces as `+`: «s%E1%BB%91%202» read as «số 202».
        let agenda = "https://tiendo.tayho.example.vn/?chi-bo=Chi+b%E1%BB%99+Khu+d%C3%A2n+c%C6%B0+s%E1%BB%91+2&ngay=30"
        #expect(
            digest.parts[0].text.contains(
                "Thư này nhắc 1 việc sắp đến hạn và 1 thông báo khác.\n"
                    + "Các việc quá hạn và đến hạn trong 30 ngày tới của Chi bộ Khu dân cư số 2, kể cả những việc đã báo riêng "
                    + "hoặc đã báo trong thư những ngày trước (các mốc đã làm xong như đóng đảng phí, họp chi bộ, nộp báo cáo thì tích "
                    + "chọn và đánh dấu đã xong ngay trên trang này, nhiều việc một lần):\n\(agenda)\n"),
            "\(digest.parts[0].text)")
        let escaped = agenda.replacingOccurrences(of: "&", with: "&amp;")
        #expect(digest.parts[1].text.contains("<a href=\"\(escaped)\">Mở trang việc cần làm</a>"))
        // An office's digest with a record of no group: no group in the subject, no agenda of one group.
        let mixed = ParsedMail(
            try composer.email(
                for: job(
                    [records[0], record(at: "2025-12-05T08:00:00+07:00", instance: "nhac-viec/y", group: nil)], to: dung,
                    digest: "bi-thu|thu|bithu.kdc2@example.vn|2025-12-08", route: "bi-thu"), now: at("2025-12-08T07:30")
            ).bytes)
        #expect(mixed.headers["Subject"] == "Nhắc việc tuần 08/12–14/12/2025" && !mixed.parts[0].text.contains("?chi-bo="))
        // Without 'web' (the standard file): no row, no link, for the secretary too.
        let plain = ParsedMail(
            try self.composer.email(
                for: job([record(at: "2025-12-05T08:00:00+07:00")], to: dung, route: "bi-thu"), now: at("2025-12-05T08:00")
            )
            .bytes)
        #expect(!plain.parts[0].text.contains("Xem hồ sơ") && !plain.parts[1].text.contains("<a href"))
    }

    @Test func mimePieces() {
        #expect(MIME.date(at("2026-03-15T07:05:09"), zone: .vietnam) == "Sun, 15 Mar 2026 07:05:09 +0700")
        #expect(MIME.messageIDLocal("a/b|c:d@e.f=g h") == "a/b|c=3Ad=40e=2Ef=3Dg=20h")
        #expect(MIME.header("X-A", "plain ascii") == "X-A: plain ascii\r\n")
        // A long Vietnamese text: every word at most 75 characters, every line at most 78, nothing lost.
        let long = String(repeating: "Việc cần làm tuần này của Chi bộ Khu dân cư số 2 ", count: 4)
        let h = MIME.header("Subject", long)
        #expect(h.components(separatedBy: "\r\n").allSatisfy { $0.count <= 78 })
        #expect(MIME.encodedWords(long).allSatisfy { $0.count <= 75 })
        // One character longer than a word (a letter under 30 combining marks) is cut between its code points.
        let heavy = "Lê Thị A" + String(String.UnicodeScalarView((0x316...0x333).compactMap(Unicode.Scalar.init))) + " Hoa"
        #expect(MIME.encodedWords(heavy).allSatisfy { $0.count <= 75 })
        #expect(ParsedMail.decodeWords(MIME.encodedWords(heavy).joined(separator: " ")) == heavy)
        // A letter under a dozen marks after a long word and a space: the word is cut before the space, not left over
        // it (an 80-character word).
        let marked =
            "Nguyen Van An Hoang" + String(repeating: "g", count: 15) + "a"
            + String(String.UnicodeScalarView((0x300...0x30D).compactMap(Unicode.Scalar.init)))
        for limit in [36, 45] {
            let words = MIME.encodedWords(marked, maxBytes: limit)
            #expect(words.allSatisfy { $0.count <= 75 }, "\(words)")
            #expect(ParsedMail.decodeWords(words.joined(separator: " ")) == marked)
        }
        let value = h.dropFirst("Subject:".count).replacingOccurrences(of: "\r\n", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(ParsedMail.decodeWords(value) == long)
        #expect(MIME.escapeHTML("<a href=\"x\">Tú & 'Lan'</a>") == "&lt;a href=&quot;x&quot;&gt;Tú &amp; &#39;Lan&#39;&lt;/a&gt;")
        #expect(MIME.mailbox(Mailbox(name: "Say \"hi\"", address: "a@b.vn")) == "\"Say \\\"hi\\\"\" <a@b.vn>")
        // A name of a thousand ASCII letters without a space is encoded, so that its header folds under 78 octets.
        let endless = MIME.header("To", MIME.mailbox(Mailbox(name: String(repeating: "A", count: 1200), address: "a@b.vn")))
        #expect(endless.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(
            ParsedMail.decodeWords(String(endless.dropFirst("To: ".count).replacingOccurrences(of: "\r\n", with: "").prefix { $0 != "<" }))
                .hasPrefix(String(repeating: "A", count: 1200)))
    }
}
