import Foundation
import Logging
import Testing
import TiendoCore

@testable import TiendoDaemon

#if canImport(Glibc)
    import Glibc
#endif

/// The journald side of the daemon without journald: field names, the fields of each record, the choice
/// between journal and stderr, and the swift-log handler. tests/systemd/run.sh checks the same against a real
/// journald.
@Suite("journald fields and the swift-log handler")
struct JournalTests {
    @Test(
        "field names are sanitised the way journald wants them",
        arguments: [
            ("TIENDO_WORKFLOW", "TIENDO_WORKFLOW"), ("peer.uid", "PEER_UID"), ("_PID", "PID"), ("__x", "X"),
            ("2fa", "F_2FA"), ("message_id", "MESSAGE_ID"), ("a--b  c", "A_B_C"), ("trailing-", "TRAILING"),
            ("đơn vị", "N_V"), ("", nil), ("___", nil), ("-", nil),
        ] as [(String, String?)])
    func fieldNames(key: String, expected: String?) {
        #expect(JournalSink.fieldName(key) == expected)
    }

    @Test("a field name is at most 64 characters and never starts with _ or a digit")
    func fieldNameShape() throws {
        for key in [String(repeating: "x", count: 200), "_9lives", "9", "ünïcödé key", "a.b.c.d"] {
            let name = try #require(JournalSink.fieldName(key))
            #expect(name.count <= 64)
            #expect(!name.hasPrefix("_"))
            #expect(!(name.first?.isNumber ?? true))
            #expect(name.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        }
    }

    @Test("each record kind has the MESSAGE_ID of the contract")
    func messageIDs() {
        let ids: [Record.Kind: String] = [
            .started: "7fc65e76f4bd48da9f9cc041a9703815", .transition: "191c025266eb4042a81d0aa1723e4566",
            .reminder: "c2cc632f530944469689268137a570f1", .overdue: "1d773565e2744a6398541be00857352e",
            .milestoneDone: "9abb45fca86e484c91fc8a743361b03d", .completed: "349c50abd7d443f68be5859b0e1b7717",
            .rejected: "02b4e58797ec42688fb4af34549a35fb", .rescheduled: "0ace3b42fda54bef90841aaef0545938",
            .undone: "030a1f5194ed41f29d7d528f2eda1b6c",
        ]
        for kind in Record.Kind.allCases { #expect(kind.messageID == ids[kind]) }
        #expect(Set(ids.values).count == Record.Kind.allCases.count)
    }

    @Test("a reminder carries exactly the fields that apply")
    func reminderFields() {
        let r = Record(
            at: Instant(seconds: 1_763_254_800), utcOffset: 7 * 3600, kind: .reminder, workflow: "bau-cu-xvi",
            instance: "bau-cu-xvi/ba-dinh", milestone: "thanh-lap-ubbc", due: "2025-11-30", daysLeft: 14, priority: 5,
            group: "Hà Nội", message: "Còn 14 ngày đến hạn «Thành lập Ủy ban bầu cử»")
        let f = JournalSink.fields(of: r)
        #expect(
            f.map(\.0) == [
                "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "MESSAGE_ID", "TIENDO_KIND", "TIENDO_WORKFLOW", "TIENDO_INSTANCE",
                "TIENDO_MILESTONE", "TIENDO_DUE", "TIENDO_DAYS_LEFT", "TIENDO_GROUP",
            ])
        let d = Dictionary(uniqueKeysWithValues: f)
        #expect(d["PRIORITY"] == "5")
        #expect(d["SYSLOG_IDENTIFIER"] == "tiendod")
        #expect(d["MESSAGE_ID"] == "c2cc632f530944469689268137a570f1")
        #expect(d["TIENDO_KIND"] == "reminder")
        #expect(d["TIENDO_DAYS_LEFT"] == "14")
        #expect(d["TIENDO_GROUP"] == "Hà Nội")
    }

    @Test("a late operator transition carries from, to, event, late and actor")
    func transitionFields() {
        let r = Record(
            at: Instant(seconds: 0), utcOffset: 0, kind: .transition, workflow: "w", instance: "w/k", state: "b",
            from: "a", to: "b", event: "duyet", daysLeft: -2, priority: 6, late: 90, actor: 1000, message: "m")
        let d = Dictionary(uniqueKeysWithValues: JournalSink.fields(of: r))
        #expect(d["TIENDO_FROM"] == "a" && d["TIENDO_TO"] == "b" && d["TIENDO_EVENT"] == "duyet" && d["TIENDO_STATE"] == "b")
        #expect(d["TIENDO_LATE_SEC"] == "90" && d["TIENDO_ACTOR_UID"] == "1000" && d["TIENDO_DAYS_LEFT"] == "-2")
        #expect(d["TIENDO_MILESTONE"] == nil && d["TIENDO_DUE"] == nil && d["TIENDO_GROUP"] == nil)
        #expect(d["TIENDO_ACTOR_NAME"] == nil)
    }

    @Test("the person a front end acted for goes to TIENDO_ACTOR_NAME and survives the record's JSON")
    func actorNameField() throws {
        var r = Record(
            at: Instant(seconds: 0), utcOffset: 25_200, kind: .milestoneDone, workflow: "w", instance: "w/k", milestone: "m",
            priority: 6, actor: 998, message: "m")
        r.actorName = "Nguyễn Thị Hà"
        let d = Dictionary(uniqueKeysWithValues: JournalSink.fields(of: r))
        #expect(d["TIENDO_ACTOR_UID"] == "998" && d["TIENDO_ACTOR_NAME"] == "Nguyễn Thị Hà")
        let back = try #require(Record(json: r.json))
        #expect(back.actorName == "Nguyễn Thị Hà" && back == r)
        #expect(r.json.serialized().contains(#""actor":998,"actorName":"Nguyễn Thị Hà","message""#))
    }

    @Test("a provisional rescheduled record of an occurrence: occurrence, previous due, provisional in contract order")
    func rescheduledFields() {
        let r = Record(
            at: Instant(seconds: 0), utcOffset: 0, kind: .rescheduled, workflow: "w", instance: "w/k", state: "s",
            milestone: "dang-phi", occurrence: "2027-03", due: "2027-04-02", previousDue: "2027-03-31", daysLeft: 17,
            priority: 5, provisional: true, actor: 0, message: "m")
        let f = JournalSink.fields(of: r)
        #expect(
            f.map(\.0).dropFirst(4) == [
                "TIENDO_KIND", "TIENDO_WORKFLOW", "TIENDO_INSTANCE", "TIENDO_STATE", "TIENDO_MILESTONE", "TIENDO_OCCURRENCE",
                "TIENDO_DUE", "TIENDO_PREVIOUS_DUE", "TIENDO_DAYS_LEFT", "TIENDO_PROVISIONAL", "TIENDO_ACTOR_UID",
            ])
        let d = Dictionary(uniqueKeysWithValues: f)
        #expect(d["MESSAGE_ID"] == "0ace3b42fda54bef90841aaef0545938")
        #expect(d["TIENDO_OCCURRENCE"] == "2027-03" && d["TIENDO_PREVIOUS_DUE"] == "2027-03-31" && d["TIENDO_PROVISIONAL"] == "1")
    }

    @Test("an overdue notice of an occurrence carries missed; a record that is not provisional has no such field")
    func missedField() {
        let r = Record(
            at: Instant(seconds: 0), utcOffset: 0, kind: .overdue, workflow: "w", instance: "w/k", milestone: "dang-phi",
            occurrence: "2027-05", due: "2027-05-31", daysLeft: -1, missed: 3, priority: 2, late: 4000, message: "m")
        let d = Dictionary(uniqueKeysWithValues: JournalSink.fields(of: r))
        #expect(d["TIENDO_MISSED"] == "3" && d["TIENDO_LATE_SEC"] == "4000")
        #expect(d["TIENDO_PROVISIONAL"] == nil && d["TIENDO_PREVIOUS_DUE"] == nil && d["TIENDO_DUE_CERTAIN"] == nil)
        // Provisional for its instant only: the journal says the due is known, as the JSON does.
        var certain = r
        certain.provisional = true
        certain.dueCertain = true
        let c = Dictionary(uniqueKeysWithValues: JournalSink.fields(of: certain))
        #expect(c["TIENDO_PROVISIONAL"] == "1" && c["TIENDO_DUE_CERTAIN"] == "1")
    }

    @Test("stderr lines say how late in words and name rescheduled records")
    func stderrLines() {
        let r = Record(
            at: Instant(seconds: 0), utcOffset: 0, kind: .rescheduled, workflow: "w", instance: "w/k", priority: 5, late: 3 * 3600 + 300,
            message: "Đổi hạn")
        #expect(StderrSink.line(r) == "1970-01-01T00:00:00+00:00 <5> đổi-hạn w/k: Đổi hạn (trễ 3 giờ 5 phút)")
        // A start entered after its date was not late work: it says when it was written.
        let started = Record(
            at: Instant(seconds: 0), utcOffset: 0, kind: .started, workflow: "w", instance: "w/k", priority: 6, late: 40 * 86_400,
            message: "Bắt đầu")
        #expect(StderrSink.line(started).hasSuffix("w/k: Bắt đầu (ghi vào hệ thống sau 40 ngày)"))
        // A notice written with that entry (its catch-up) is nobody's lateness; one written later still is.
        let entered = Messages.entries([started])
        let caughtUp = Record(
            at: Instant(seconds: 30 * 86_400), utcOffset: 0, kind: .overdue, workflow: "w", instance: "w/k", priority: 4,
            late: 10 * 86_400, message: "Quá hạn")
        #expect(StderrSink.line(caughtUp, entered: entered).hasSuffix("w/k: Quá hạn (ghi khi đưa hồ sơ vào hệ thống)"))
        let later = Record(
            at: Instant(seconds: 41 * 86_400), utcOffset: 0, kind: .overdue, workflow: "w", instance: "w/k", priority: 4,
            late: 3600, message: "Quá hạn")
        #expect(StderrSink.line(later, entered: entered).hasSuffix("w/k: Quá hạn (trễ 1 giờ)"))
        // Started on time (no `late`) with dates in the past (admitted last year): its catch-up is no lateness either.
        let today = Record(
            at: Instant(seconds: 400 * 86_400), utcOffset: 0, kind: .started, workflow: "w", instance: "w/n", priority: 6,
            message: "Bắt đầu")
        let transition = Record(
            at: Instant(seconds: 77 * 86_400), utcOffset: 0, kind: .transition, workflow: "w", instance: "w/n", priority: 6,
            late: 323 * 86_400, message: "Chuyển")
        #expect(StderrSink.line(transition, entered: Messages.entries([today])).hasSuffix("w/n: Chuyển (ghi khi đưa hồ sơ vào hệ thống)"))
    }

    @Test("daemon messages: MESSAGE_ID, sanitised extra fields that cannot override the sink's own, CODE_*")
    func daemonMessageFields() {
        let f = JournalSink.fields(
            priority: 9, message: "m", event: .definitionRejected,
            extra: [("tiendo.file", "/x.yaml"), ("MESSAGE", "spoof"), ("priority", "0"), ("_UID", "0")],
            code: CodeLocation(file: "TiendoDaemon/Daemon.swift", line: 42, function: "load()"))
        let names = f.map(\.0)
        #expect(names.filter { $0 == "MESSAGE" }.count == 1)
        #expect(names.filter { $0 == "PRIORITY" }.count == 1)
        let d = Dictionary(f, uniquingKeysWith: { a, _ in a })
        #expect(d["PRIORITY"] == "7")  // clamped to syslog's range
        #expect(d["MESSAGE_ID"] == "4a3cffc124104efab64e17b4e67c8cb2")
        #expect(d["TIENDO_FILE"] == "/x.yaml")
        #expect(d["UID"] == "0")  // never a trusted `_` field
        #expect(d["CODE_FILE"] == "TiendoDaemon/Daemon.swift" && d["CODE_LINE"] == "42" && d["CODE_FUNC"] == "load()")
    }

    @Test("the journal is chosen only when $JOURNAL_STREAM names stderr's device and inode")
    func journalStreamMatching() {
        var st = stat()
        #expect(fstat(STDERR_FILENO, &st) == 0)
        #expect(!JournalStream.isJournal(STDERR_FILENO, journalStream: nil))
        #expect(JournalStream.isJournal(STDERR_FILENO, journalStream: "\(st.st_dev):\(st.st_ino)"))
        #expect(!JournalStream.isJournal(STDERR_FILENO, journalStream: "\(st.st_dev):\(st.st_ino + 1)"))
        #expect(!JournalStream.isJournal(STDERR_FILENO, journalStream: "garbage"))
    }

    @Test("the swift-log handler passes level, metadata, MESSAGE_ID and the call site to the sink")
    func logHandler() throws {
        let sink = CapturingSink()
        var logger = Logger(label: "test") { _ in SinkLogHandler(writer: sink) }
        logger[metadataKey: "peer.uid"] = "1000"
        logger.warning(
            "từ chối", metadata: ["message_id": "\(DaemonEvent.definitionRejected.rawValue)", "tiendo.workflow": "thi-dua"])
        logger.debug("not at info level")
        let m = try #require(sink.messages.first)
        #expect(sink.messages.count == 1)
        #expect(m.priority == 4 && m.message == "từ chối" && m.event == .definitionRejected)
        #expect(m.fields.map(\.0).sorted() == ["peer.uid", "tiendo.workflow"])
        #expect(m.code?.file.hasSuffix("JournalTests.swift") == true && m.code?.function.hasPrefix("logHandler") == true)
        #expect(SinkLogHandler.level(3) == .error && SinkLogHandler.priority(.critical) == 2)
    }

    @Test("a daemon event's metadata gives MESSAGE_ID and journal fields; the call site is the Logger's caller")
    func eventMetadata() throws {
        let sink = CapturingSink()
        let logger = Logger(label: "test") { _ in SinkLogHandler(writer: sink) }
        logger.notice("x", metadata: .event(.catchUp, [("TIENDO_LATE_ITEMS", "3")])); let line = #line
        let m = try #require(sink.messages.first)
        #expect(m.priority == 5 && m.event == .catchUp)
        #expect(m.fields.map(\.0) == ["TIENDO_LATE_ITEMS"] && m.fields.first?.1 == "3")
        #expect(m.code?.file == "TiendoDaemonTests/JournalTests.swift" && m.code?.line == UInt(line))
    }
}

final class CapturingSink: RecordSink, LogWriter, @unchecked Sendable {
    struct Message {
        var priority: Int
        var message: String
        var event: DaemonEvent?
        var fields: [(String, String)]
        var code: CodeLocation?
    }
    private let lock = NSLock()
    private var captured: [Message] = []
    var messages: [Message] { lock.withLock { captured } }
    func emit(_ records: [Record]) -> Bool { true }
    func log(_ priority: Int, _ message: String, event: DaemonEvent?, fields: [(String, String)], code: CodeLocation?) {
        lock.withLock { captured.append(Message(priority: priority, message: message, event: event, fields: fields, code: code)) }
    }
}
