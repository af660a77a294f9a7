import Testing
import TiendoCore
import TiendoDaemon

/// The first pass of an import: a key repeated within the import, or already stored, rejects the whole import and
/// names every such row; nothing is stored. Keys are compared without the workflow's prefix (`Import.swift`), short
/// ones inside the set's storage and long ones on the heap: both must be told apart exactly.
@Suite struct ImportChecksTests {
    static func row(_ key: String) -> [(String, JSON)] {
        [("key", .string(key)), ("started", .string("2027-02-01")), ("chi_bo", .string("Chi bộ 1")), ("han", .string("2027-02-25"))]
    }

    @Test("two callers who pick the same importID stage two imports: neither commits the other's rows")
    func stagedImportsAreTheCallers() throws {
        let (daemon, dir) = try BulkImportTests.daemon(bulkRows: 1000)
        defer { removeTemporaryDirectory(dir) }
        #expect(
            try daemon.importInstances(
                workflow: "han-muc", rows: [Self.row("a1")], actor: 1000, actorName: "ha", importID: "same", final: false)
                == .staged(1))
        #expect(
            try daemon.importInstances(
                workflow: "han-muc", rows: [Self.row("b1")], actor: 1000, actorName: "lan", importID: "same", final: true)
                == .imported(1))
        #expect(try BulkImportTests.contents(daemon).tables["instances"]?.count == 1)
        // The first caller's import is still its own, and goes in whole at its final call.
        #expect(
            try daemon.importInstances(
                workflow: "han-muc", rows: [Self.row("a2")], actor: 1000, actorName: "ha", importID: "same", final: true)
                == .imported(2))
        #expect(try BulkImportTests.contents(daemon).tables["instances"]?.count == 3)
    }

    @Test("a final call finding fewer rows staged than the client sent (a restart dropped the earlier batches) stores nothing")
    func aStagedImportCutByARestartIsRefused() throws {
        let (daemon, dir) = try BulkImportTests.daemon(bulkRows: 1000)
        defer { removeTemporaryDirectory(dir) }
        #expect(
            try daemon.importInstances(
                workflow: "han-muc", rows: [Self.row("a1"), Self.row("a2")], actor: nil, importID: "x", final: false)
                == .staged(2))
        try daemon.store.write { try $0.dropStaged() }  // what a start does with imports clients of an earlier run staged
        do {
            _ = try daemon.importInstances(workflow: "han-muc", rows: [Self.row("a3")], actor: nil, importID: "x", final: true, expected: 3)
            Issue.record("a part of the import was stored")
        } catch {
            #expect("\(error)".contains("chỉ còn 1 trong 3 dòng đã gửi"), "\(error)")
        }
        #expect(try BulkImportTests.contents(daemon).tables["instances"]?.count ?? 0 == 0)
        // The id is free again: the whole file sent anew goes in.
        #expect(
            try daemon.importInstances(
                workflow: "han-muc", rows: [Self.row("a1"), Self.row("a2")], actor: nil, importID: "x", final: false)
                == .staged(2))
        #expect(
            try daemon.importInstances(workflow: "han-muc", rows: [Self.row("a3")], actor: nil, importID: "x", final: true, expected: 3)
                == .imported(3))
    }

    @Test("keys repeated in an import, short or long, or already stored: every such row named, nothing stored")
    func repeatedAndExistingKeys() throws {
        let (daemon, dir) = try BulkImportTests.daemon(bulkRows: 10)
        defer { removeTemporaryDirectory(dir) }
        #expect(try daemon.importInstances(workflow: "han-muc", rows: [Self.row("da-co")], actor: nil) == .imported(1))
        let before = try BulkImportTests.contents(daemon)
        // Long keys differ only past their 15th byte; a key equal to another but for its last character is not
        // a repeat. Rows 4 and 7 repeat rows 1 and 2; row 8 is stored already.
        let long = "ma-so-dang-vien-0000001"
        let rows = [
            Self.row("k1"), Self.row(long), Self.row(long + "2"), Self.row("k1"), Self.row("k12"), Self.row("k"),
            Self.row(long), Self.row("da-co"), Self.row(String(long.dropLast())),
        ]
        #expect {
            try daemon.importInstances(workflow: "han-muc", rows: rows, actor: nil)
        } throws: { error in
            guard case RequestError.importRejected(let problems) = error else { return false }
            return problems.map(\.line) == [4, 7, 8]
                && problems[0].message == "mã hồ sơ «k1» bị lặp trong lần nhập này: mỗi hồ sơ một mã"
                && problems[1].message == "mã hồ sơ «\(long)» bị lặp trong lần nhập này: mỗi hồ sơ một mã"
                && problems[2].message
                    == "mã hồ sơ «da-co» đã có (hồ sơ đã được thêm trước đó): đổi mã khác, hoặc bỏ dòng này nếu đó chính là hồ sơ ấy"
        }
        #expect(try BulkImportTests.contents(daemon) == before)
        // Without the repeats, the same rows are taken.
        let distinct = [0, 1, 2, 4, 5, 8].map { rows[$0] }
        #expect(try daemon.importInstances(workflow: "han-muc", rows: distinct, actor: nil) == .imported(6))
        #expect(try BulkImportTests.contents(daemon).tables["instances"]?.count == 7)
    }

    /// A field that takes a day already come (`max: today`).
    static let duBi = """
        tiendo: 1
        title: Đảng viên dự bị
        fields:
          chi_bo: {type: text, required: true}
          ngay_ket_nap: {type: date, required: true, max: today}
        group_by: chi_bo
        initial: du-bi
        states:
          du-bi:
            deadline: {due: ngay_ket_nap + 12mo}
            on: {xong: xong}
          xong: {final: true}

        """

    @Test("a date after today in a field that takes a day already come: the import names the row, a start is refused")
    func datesNotYetCome() throws {
        let (dir, options) = try SchedulerTests.Fixture.directory()
        defer { removeTemporaryDirectory(dir) }
        try Self.duBi.write(toFile: dir + "/workflows/du-bi.yaml", atomically: true, encoding: .utf8)
        let time = ManualTime(try #require(Zone.vietnam.parseInstant("2027-03-01T08:00:00+07:00")))
        let daemon = try Daemon(options: options, clock: DaemonClock(manual: time), sink: SchedulerTests.CapturingSink())
        #expect(daemon.loadDefinitions().diagnostics.filter { $0.severity == .error }.isEmpty)
        func row(_ key: String, _ date: String) -> [(String, JSON)] {
            [("key", .string(key)), ("chi_bo", .string("Chi bộ 1")), ("ngay_ket_nap", .string(date))]
        }
        #expect {
            try daemon.importInstances(
                workflow: "du-bi", rows: [row("a", "01/03/2027"), row("b", "10/02/2072"), row("c", "2026-03-01")], actor: nil)
        } throws: { error in
            guard case RequestError.importRejected(let problems) = error else { return false }
            return problems.map(\.line) == [2]
                && problems[0].message
                    == "cột 'ngay_ket_nap': ngày 10/02/2072 chưa tới (hôm nay là 01/03/2027): trường này chỉ nhận ngày từ hôm nay trở về trước; kiểm tra lại ngày, tháng, năm"
        }
        #expect(try BulkImportTests.contents(daemon).tables["instances"]?.count ?? 0 == 0)
        #expect {
            try daemon.startInstance(
                workflow: "du-bi", key: "d", data: [("chi_bo", .string("Chi bộ 1")), ("ngay_ket_nap", .string("02/03/2027"))], actor: nil)
        } throws: { error in
            guard case RequestError.invalidData(let field, let reason) = error else { return false }
            return field == "ngay_ket_nap" && reason.hasPrefix("ngày 02/03/2027 chưa tới (hôm nay là 01/03/2027)")
        }
        #expect(
            try daemon.importInstances(workflow: "du-bi", rows: [row("a", "01/03/2027"), row("c", "2026-03-01")], actor: nil)
                == .imported(2))
        // At 00:30 on 02/03 in Hà Nội (17:30 on 01/03 in UTC) it is the 2nd there: a start dated the 2nd is taken.
        time.set(try #require(Zone.vietnam.parseInstant("2027-03-02T00:30:00+07:00")))
        _ = try daemon.startInstance(
            workflow: "du-bi", key: "e", data: [("chi_bo", .string("Chi bộ 1")), ("ngay_ket_nap", .string("02/03/2027"))], actor: nil)
    }
}
