import Foundation
import Testing
import TiendoCore
import TiendoVarlink

#if canImport(Glibc)
    import Glibc
#endif

/// `tiendod --restore COPY`: a backup put back in place of the database with the daemon stopped, the files it
/// replaces kept aside together; refused, changing nothing, while a tiendod runs there and for anything that is not a
/// whole copy of tiendo's.
@Suite(.serialized)
struct RestoreTests {
    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func restore(_ d: DaemonProcess, _ copy: String) throws -> (status: Int32, said: String) {
        try run(Build.binary("tiendod"), ["--restore", copy, "--state-dir", d.stateDir])
    }

    func backup(_ d: DaemonProcess) throws -> String {
        let reply = try d.connect().call("vn.tiendo.Extras.Backup", parameters: [])
        return try #require(reply["path"]?.stringValue)
    }

    func importKey(_ d: DaemonProcess, _ key: String) throws {
        _ = try d.call(
            "ImportInstances",
            [
                ("workflow", .string("hop")),
                (
                    "rows",
                    .array([
                        .object([("key", .string(key)), ("started", .string("2026-03-02T09:00:00+07:00")), ("han", .string("2026-03-06"))])
                    ])
                ),
            ])
    }

    /// Read only: a read-write connection would checkpoint the files set aside and remove their -wal.
    func count(_ database: String) throws -> String {
        try run("/usr/bin/sqlite3", ["-readonly", database, "SELECT count(*) FROM instances"]).1.trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    /// What the state directory holds besides the lock and the marker.
    func entries(_ d: DaemonProcess) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: d.stateDir).filter { $0 != "tiendod.lock" && $0 != ".tiendo-state" }.sorted()
    }

    @Test("a database deleted while tiendod runs: nothing more is acknowledged, status says what to do, a backup saves it")
    func deletedWhileRunning() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        try importC1(d)
        func agenda() throws -> [String] {
            (try d.call("Agenda", [("days", .int(30))])["items"]?.arrayValue ?? []).compactMap { $0["instance"]?.stringValue }
        }
        let before = try agenda()
        #expect(before.contains("hop/c1"))
        try FileManager.default.removeItem(atPath: d.stateDir + "/tiendo.sqlite")
        // The change would go into the file tiendod holds open, which the next start does not find: refused.
        var refusal: VarlinkError?
        do {
            _ = try d.call(
                "StartInstance",
                [("workflow", .string("hop")), ("key", .string("c2")), ("data", .object([("han", .string("2026-03-20"))]))])
        } catch let e as VarlinkError {
            refusal = e
        }
        let reason = refusal?.parameters["reason"]?.stringValue ?? ""
        #expect(
            refusal?.name == "org.varlink.service.InternalError" && reason.contains("đã bị xóa hoặc đổi tên"),
            "\(String(describing: refusal))")
        // Rolled back in the file, and in memory: the agenda is what the file holds (the refused case not in it).
        #expect(try agenda() == before)
        // Said at once where an operator looks, with what to do, not at the next timed firing.
        let problem = try d.call("GetStatus")["status"]?["problem"]?["reason"]?.stringValue ?? ""
        #expect(problem.contains("đã bị xóa hoặc đổi tên") && problem.contains("tiendoctl backup"), "\(problem)")
        // The copy holds what was acknowledged (c1), not the refused c2; put back, it is the database again.
        let copy = try backup(d)
        #expect(try count(copy) == "1")
        #expect(d.stop() == 0)
        #expect(try restore(d, copy).status == 0)
        try d.start(fakeTime: "2026-03-02T09:05:00+07:00", rate: 1)
        #expect(try d.call("GetInstance", [("id", .string("hop/c1"))])["instance"]?["id"]?.stringValue == "hop/c1")
        #expect(try d.call("GetStatus")["status"]?["problem"] == nil)
        #expect(d.stop() == 0)
    }

    @Test(
        "the database's log deleted while tiendod runs: nothing more is acknowledged, what was is copied into the database, a restart loses nothing"
    )
    func logDeletedWhileRunning() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        try importC1(d)
        for key in ["c2", "c3"] {
            _ = try d.call(
                "StartInstance",
                [("workflow", .string("hop")), ("key", .string(key)), ("data", .object([("han", .string("2026-03-20"))]))])
        }
        // Acknowledged, and only in the log (no checkpoint yet for so few pages).
        try FileManager.default.removeItem(atPath: d.stateDir + "/tiendo.sqlite-wal")
        var refusal: VarlinkError?
        do {
            _ = try d.call(
                "StartInstance",
                [("workflow", .string("hop")), ("key", .string("c4")), ("data", .object([("han", .string("2026-03-20"))]))])
        } catch let e as VarlinkError {
            refusal = e
        }
        let reason = refusal?.parameters["reason"]?.stringValue ?? ""
        #expect(
            refusal?.name == "org.varlink.service.InternalError" && reason.contains("tiendo.sqlite-wal đã bị xóa hoặc đổi tên"),
            "\(String(describing: refusal))")
        #expect(reason.contains("đã được chép vào cơ sở dữ liệu") && reason.contains("khởi động lại tiendod"), "\(reason)")
        // Still up, and saying so where an operator looks.
        let problem = try d.call("GetStatus")["status"]?["problem"]?["reason"]?.stringValue ?? ""
        #expect(problem.contains("tiendo.sqlite-wal đã bị xóa hoặc đổi tên"), "\(problem)")
        #expect(d.stop() == 0)
        try d.start(fakeTime: "2026-03-02T09:05:00+07:00", rate: 1)
        let ids = try d.call("ListInstances", [])["instances"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
        #expect(ids == ["hop/c1", "hop/c2", "hop/c3"])
        #expect(try d.call("GetStatus")["status"]?["problem"] == nil)
        #expect(d.stop() == 0)
    }

    @Test("a copy replaces the database; the one it replaced is kept aside with its -wal, whole")
    func restores() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        try importC1(d)
        let copy = try backup(d)
        try importKey(d, "c2")
        // Refused while tiendod runs there: its lock says so, and nothing moves.
        let running = try restore(d, copy)
        #expect(running.status == 65, "\(running.said)")
        #expect(running.said.contains("tiendod đang chạy trên \(d.stateDir)") && running.said.contains("systemctl stop"), "\(running.said)")
        #expect(!(try entries(d)).contains { $0.hasPrefix("truoc-khoi-phuc") })
        // Stopped hard: c2 is only in the -wal, which must go with the database it belongs to.
        d.kill9()
        let db = d.stateDir + "/tiendo.sqlite"
        #expect(FileManager.default.fileExists(atPath: db + "-wal"))
        let done = try restore(d, copy)
        #expect(done.status == 0, "\(done.said)")
        // What goes back is said before anything moves: the copy's cases against those in place, and what is lost.
        #expect(
            done.said.contains(
                "Đang kiểm tra bản sao \(copy)…\nBản sao: 1 hồ sơ, bản ghi mới nhất lúc 09:00 ngày 02/03/2026; cơ sở dữ liệu đang có: 2 hồ sơ, "
                    + "bản ghi mới nhất lúc 09:00 ngày 02/03/2026. 1 bản ghi lịch sử ghi sau lúc sao lưu (hồ sơ thêm, bước ghi, việc đánh dấu "
                    + "đã xong) sẽ không còn trong cơ sở dữ liệu dùng tiếp, chỉ còn trong bản được giữ lại (truoc-khoi-phuc-…).\n"
                    + "Đang chép bản sao vào \(d.stateDir)…\nĐang kiểm tra bản chép…\n"),
            "\(done.said)")
        #expect(done.said.contains("Đã khôi phục 1 hồ sơ từ \(copy)"), "\(done.said)")
        let aside = try #require(try entries(d).first { $0.hasPrefix("truoc-khoi-phuc-") })
        #expect(done.said.contains("được giữ trong \(d.stateDir)/\(aside)."), "\(done.said)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: d.stateDir + "/" + aside).sorted()
        #expect(kept.contains("tiendo.sqlite") && kept.contains("tiendo.sqlite-wal"), "\(kept)")
        #expect(try count(d.stateDir + "/" + aside + "/tiendo.sqlite") == "2")
        #expect(!FileManager.default.fileExists(atPath: db + "-wal") && !FileManager.default.fileExists(atPath: db + "-shm"))
        #expect(!(try entries(d)).contains { $0.hasSuffix(".restoring") })
        // The restored database is the copy's: c1, not c2.
        try d.start(fakeTime: "2026-03-02T10:00:00+07:00")
        let ids = try d.call("ListInstances", [])["instances"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
        #expect(ids == ["hop/c1"])
        #expect(d.stop() == 0)
        // Again: the files replaced go to a directory of their own (`-2` within the same second: BackupTests).
        let twice = try restore(d, copy)
        #expect(twice.status == 0, "\(twice.said)")
        #expect(try entries(d).filter { $0.hasPrefix("truoc-khoi-phuc-") }.count == 2)
    }

    @Test("a restore a crash cut short between its renames is finished by the next start: the database set aside keeps its -wal")
    func interruptedRestoreFinished() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        try importC1(d)
        let copy = try backup(d)
        try importKey(d, "c2")
        // Stopped hard: c2 is only in the -wal.
        d.kill9()
        let db = d.stateDir + "/tiendo.sqlite"
        #expect(FileManager.default.fileExists(atPath: db + "-wal"))
        // What a kill -9 after the restore's first rename leaves: its note, the whole copy beside the database, the
        // database aside without its -wal, which is still here.
        let aside = d.stateDir + "/truoc-khoi-phuc-2026-12-07-080000"
        #expect(mkdir(aside, 0o750) == 0)
        try FileManager.default.copyItem(atPath: copy, toPath: d.stateDir + "/.tiendo.sqlite.restoring")
        try Data(((aside as NSString).lastPathComponent + "\n").utf8).write(
            to: URL(fileURLWithPath: d.stateDir + "/.tiendo.sqlite.restore-moving"))
        #expect(rename(db, aside + "/tiendo.sqlite") == 0)
        try d.start(fakeTime: "2026-03-02T10:00:00+07:00")
        let ids = try d.call("ListInstances", [])["instances"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
        #expect(ids == ["hop/c1"])
        #expect(d.stop() == 0)
        #expect(
            d.log.contains(
                "Một lần khôi phục (tiendod --restore) bị ngắt giữa chừng (máy tắt hoặc tiến trình bị dừng) đã được hoàn tất: bản sao đã ở chỗ \(db); cơ sở dữ liệu trước đó (cùng các tệp -wal, -shm nếu có) nằm trọn trong \(aside)"
            ), "\(d.log)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: aside).sorted()
        #expect(kept.contains("tiendo.sqlite") && kept.contains("tiendo.sqlite-wal"), "\(kept)")
        // The set-aside database read with its -wal holds c2, the last change acknowledged before the crash.
        #expect(try count(aside + "/tiendo.sqlite") == "2")
        let left = try entries(d)
        #expect(!left.contains { $0.hasSuffix(".restoring") || $0.hasSuffix(".restore-moving") }, "\(left)")
        // Cut short again, and followed by another restore instead of a start: that one finishes it first, then sets
        // aside what it put in place.
        let second = d.stateDir + "/truoc-khoi-phuc-2026-12-07-090000"
        #expect(mkdir(second, 0o750) == 0)
        try FileManager.default.copyItem(atPath: copy, toPath: d.stateDir + "/.tiendo.sqlite.restoring")
        try Data(((second as NSString).lastPathComponent + "\n").utf8).write(
            to: URL(fileURLWithPath: d.stateDir + "/.tiendo.sqlite.restore-moving"))
        #expect(rename(db, second + "/tiendo.sqlite") == 0)
        let again = try restore(d, copy)
        #expect(again.status == 0, "\(again.said)")
        #expect(again.said.hasPrefix("Một lần khôi phục (tiendod --restore) bị ngắt giữa chừng"), "\(again.said)")
        #expect(again.said.contains("Đã khôi phục 1 hồ sơ từ \(copy)"), "\(again.said)")
        #expect(FileManager.default.fileExists(atPath: second + "/tiendo.sqlite"))
        #expect(try entries(d).filter { $0.hasPrefix("truoc-khoi-phuc-") }.count == 3)
    }

    @Test("a daemon started while a restore holds the state directory says so and exits 65, which systemd does not restart")
    func daemonDuringRestore() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        #expect(d.stop() == 0)
        // The lock as `tiendod --restore` holds it: its mark and pid in the file, the file locked.
        let lock = d.stateDir + "/tiendod.lock"
        try Data("restore 4242\n".utf8).write(to: URL(fileURLWithPath: lock))
        // Held until its input closes.
        let holder = Process()
        let input = Pipe()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["--exclusive", lock, "cat"]
        holder.standardInput = input
        try holder.run()
        defer {
            try? input.fileHandleForWriting.close()
            holder.waitUntilExit()
        }
        #expect(waitUntil(timeout: 10) { (try? run("/usr/bin/flock", ["--exclusive", "--nonblock", lock, "true"]).0) == 1 })
        let p = try d.start(fakeTime: "2026-03-02T10:00:00+07:00", waitReady: false)
        #expect(waitUntil(timeout: 60) { !p.isRunning })
        #expect(p.terminationStatus == 65, "\(d.log)")
        #expect(
            d.log.contains("đang khôi phục cơ sở dữ liệu trong \(d.stateDir) từ một bản sao lưu (tiendod --restore, pid 4242)"), "\(d.log)")
    }

    @Test(
        "root restores as the state directory's owner: a link planted there reaches nothing of root's",
        .enabled(if: geteuid() == 0, "needs root"))
    func rootWorksAsTheOwner() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        try importC1(d)
        let made = try backup(d)
        #expect(d.stop() == 0)
        // The daemon's user (nobody here) owns the directory and what is in it; the copy is readable by it.
        let copy = d.dir.sub("ban-sao.sqlite")
        try FileManager.default.copyItem(atPath: made, toPath: copy)
        for path in [d.dir.path, copy] { chmod(path, 0o755) }
        for file in [d.stateDir] + (try FileManager.default.contentsOfDirectory(atPath: d.stateDir)).map({ d.stateDir + "/" + $0 }) {
            lchown(file, 65534, 65534)
        }
        // Another user, not root: refused before anything is read (it would leave files the daemon's user may not read).
        let other = try run(
            "/usr/bin/setpriv",
            ["--reuid=1", "--regid=1", "--clear-groups", Build.binary("tiendod"), "--restore", copy, "--state-dir", d.stateDir])
        #expect(other.0 == 65 && other.1.contains("thuộc người dùng khác (uid 65534)"), "\(other.1)")
        // A copy the owner may not read: the commands said to hand it over work as they are (its group by its own
        // name, the directory made first: a new server has no backups/ yet).
        let unreadable = d.dir.sub("khong-doc-duoc.sqlite")
        try FileManager.default.copyItem(atPath: made, toPath: unreadable)
        chmod(unreadable, 0o600)
        let told = try restore(d, unreadable)
        #expect(
            told.status == 65
                && told.said.contains(
                    "sudo install -d -o nobody -g nogroup -m 750 \(d.stateDir)/backups && sudo install -o nobody -g nogroup -m 640 \(unreadable)"
                ),
            "\(told.said)")
        // A file of root's, and the lock replaced by a link to it.
        let victim = d.dir.sub("cua-root")
        try Data("bí mật".utf8).write(to: URL(fileURLWithPath: victim))
        chmod(victim, 0o600)
        unlink(d.stateDir + "/tiendod.lock")
        symlink(victim, d.stateDir + "/tiendod.lock")
        let refused = try restore(d, copy)
        #expect(refused.status == 65 && refused.said.contains("liên kết tượng trưng"), "\(refused.said)")
        var st = stat()
        #expect(stat(victim, &st) == 0 && st.st_uid == 0 && st.st_mode & 0o777 == 0o600)
        #expect(try bytes(victim) == Data("bí mật".utf8))
        // Without the link: restored, every new file the directory owner's.
        unlink(d.stateDir + "/tiendod.lock")
        let done = try restore(d, copy)
        #expect(done.status == 0, "\(done.said)")
        for file in try FileManager.default.contentsOfDirectory(atPath: d.stateDir) {
            #expect(lstat(d.stateDir + "/" + file, &st) == 0 && st.st_uid == 65534, "\(file)")
        }
        #expect(stat(d.stateDir + "/tiendo.sqlite", &st) == 0 && st.st_mode & 0o777 == 0o640)
    }

    @Test("another database's copy replaces one that holds cases only when told to; an empty one it replaces as it is")
    func anotherDatabase() throws {
        let here = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        try importC1(here)
        let own = try backup(here)
        let elsewhere = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        for key in ["c7", "c8"] {
            _ = try elsewhere.call(
                "StartInstance",
                [
                    ("workflow", .string("hop")), ("key", .string(key)),
                    ("data", .object([("han", .string("2026-03-06")), ("ma", .string("Chi bộ Đông"))])),
                ])
        }
        let theirs = try backup(elsewhere)
        #expect(elsewhere.stop() == 0)
        // Stopped hard (the cases only in the -wal): the refusal reads through it and leaves it as it was.
        here.kill9()
        let db = here.stateDir + "/tiendo.sqlite"
        let before = try bytes(db)
        let listed = try entries(here)
        let log = try bytes(db + "-wal")
        let refused = try restore(here, theirs)
        #expect(refused.status == 65, "\(refused.said)")
        // The step printed stands before the refusal it led to, in one pipe as in a log file.
        #expect(refused.said.hasPrefix("Đang kiểm tra bản sao \(theirs)…\ntiendod: không khôi phục: "), "\(refused.said)")
        #expect(refused.said.contains("\(theirs) là bản sao của một cơ sở dữ liệu khác (mã "), "\(refused.said)")
        #expect(
            refused.said.contains(
                ": 2 hồ sơ, bản ghi mới nhất lúc 09:00 ngày 02/03/2026, đơn vị nhiều hồ sơ nhất «Chi bộ Đông»), không phải của cơ sở dữ liệu đang có ở \(db) (mã "
            ),
            "\(refused.said)")
        #expect(
            refused.said.contains("chạy lại với --restore-other-database") && refused.said.contains("không thay đổi gì"), "\(refused.said)")
        #expect(try bytes(db) == before && entries(here) == listed && bytes(db + "-wal") == log)
        // Its own copy still goes back without being told anything.
        let again = try restore(here, own)
        #expect(again.status == 0, "\(again.said)")
        // Told to: the other database's cases are here now, and a copy of it is "its own" from then on.
        let told = try run(Build.binary("tiendod"), ["--restore", theirs, "--restore-other-database", "--state-dir", here.stateDir])
        #expect(told.0 == 0 && told.1.contains("Đã khôi phục 2 hồ sơ"), "\(told.1)")
        try here.start(fakeTime: "2026-03-02T10:00:00+07:00")
        let ids = try here.call("ListInstances", [])["instances"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
        #expect(ids == ["hop/c7", "hop/c8"])
        #expect(here.stop() == 0)
        #expect(try restore(here, theirs).status == 0)
        // A database with no case yet (a new machine's first start) takes another's copy as it is.
        let fresh = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        #expect(fresh.stop() == 0)
        let moved = try restore(fresh, own)
        #expect(moved.status == 0 && moved.said.contains("Đã khôi phục 1 hồ sơ"), "\(moved.said)")
        // Alone, the flag is a mistake.
        let alone = try run(Build.binary("tiendod"), ["--restore-other-database", "--state-dir", fresh.stateDir])
        #expect(alone.0 == 64 && alone.1.contains("--restore-other-database chỉ dùng cùng --restore FILE"), "\(alone.1)")
    }

    @Test(
        "a database in place that cannot be read for a reason other than damage is not taken as damaged: another's copy is refused",
        .enabled(if: geteuid() == 0, "needs root"))
    func unreadableInPlace() throws {
        let here = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        try importC1(here)
        let elsewhere = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        try importC1(elsewhere)
        let theirs = here.dir.sub("cua-phuong-khac.sqlite")
        try FileManager.default.copyItem(atPath: try backup(elsewhere), toPath: theirs)
        #expect(elsewhere.stop() == 0)
        // Stopped hard: the case is in the -wal, which a reader must open with its -shm. The daemon's user (nobody)
        // owns the directory; the -shm was left root's by someone looking with `sudo sqlite3`.
        here.kill9()
        let db = here.stateDir + "/tiendo.sqlite"
        for path in [here.dir.path, theirs] { chmod(path, 0o755) }
        for file in [here.stateDir] + (try FileManager.default.contentsOfDirectory(atPath: here.stateDir)).map({ here.stateDir + "/" + $0 })
        {
            lchown(file, 65534, 65534)
        }
        #expect(FileManager.default.fileExists(atPath: db + "-shm") && lchown(db + "-shm", 0, 0) == 0 && chmod(db + "-shm", 0o600) == 0)
        let before = try bytes(db)
        let log = try bytes(db + "-wal")
        let refused = try restore(here, theirs)
        #expect(refused.status == 65, "\(refused.said)")
        // The step printed stands before the refusal it led to, in one pipe as in a log file.
        #expect(refused.said.hasPrefix("Đang kiểm tra bản sao \(theirs)…\ntiendod: không khôi phục: "), "\(refused.said)")
        #expect(
            refused.said.contains("không đọc được cơ sở dữ liệu đang có \(db) để so với bản sao (")
                && refused.said.contains("--restore-other-database") && refused.said.contains("mà không so; không thay đổi gì."),
            "\(refused.said)")
        #expect(try bytes(db) == before && bytes(db + "-wal") == log)
    }

    @Test("a rescued copy whose -wal the daemon's user cannot read: refused, saying to copy both files where it can")
    func copyWithUnreadableLog() throws {
        let from = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        try importC1(from)
        // Stopped hard: the case is in its -wal, which a rescue copies beside the database — left root's.
        from.kill9()
        let rescue = from.dir.sub("cuu")
        try FileManager.default.createDirectory(atPath: rescue, withIntermediateDirectories: true)
        for name in ["tiendo.sqlite", "tiendo.sqlite-wal"] {
            try FileManager.default.copyItem(atPath: from.stateDir + "/" + name, toPath: rescue + "/" + name)
        }
        let into = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        #expect(into.stop() == 0)
        // The daemon's user (nobody) owns the state directory and may read the copy, not its -wal.
        for path in [from.dir.path, into.dir.path] { chmod(path, 0o755) }
        for file in [into.stateDir, rescue, rescue + "/tiendo.sqlite"]
            + (try FileManager.default.contentsOfDirectory(atPath: into.stateDir)).map({ into.stateDir + "/" + $0 })
        {
            lchown(file, 65534, 65534)
        }
        #expect(chmod(rescue + "/tiendo.sqlite-wal", 0o600) == 0)
        let refused = try restore(into, rescue + "/tiendo.sqlite")
        #expect(refused.status == 65, "\(refused.said)")
        #expect(
            refused.said.contains(
                "Có thể vì người dùng nobody không đọc được tệp \(rescue)/tiendo.sqlite-wal đi kèm nó: hãy chép CẢ HAI tệp"),
            "\(refused.said)")
    }

    @Test("a copy from before databases had an id takes the id of the one it replaces: the backups taken since stay its own")
    func copyWithoutID() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        try importC1(d)
        // A backup of this database as an older tiendod took it: no id, and migration v17 not applied.
        let old = try backup(d)
        _ = try run(
            "/usr/bin/sqlite3",
            [old, "DELETE FROM meta WHERE key = 'database_id'; DELETE FROM grdb_migrations WHERE identifier = 'v17-database-id'"])
        try importKey(d, "c2")
        let since = try backup(d)
        #expect(d.stop() == 0)
        let restored = try restore(d, old)
        #expect(restored.status == 0, "\(restored.said)")
        try d.start(fakeTime: "2026-03-02T10:00:00+07:00")
        #expect(d.stop() == 0)
        let back = try restore(d, since)
        #expect(back.status == 0 && back.said.contains("Đã khôi phục 2 hồ sơ"), "\(back.said)")
    }

    @Test("anything but a whole copy of tiendo's is refused and nothing changes")
    func refusals() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        try importC1(d)
        let copy = try backup(d)
        #expect(d.stop() == 0)
        let db = d.stateDir + "/tiendo.sqlite"
        let before = try bytes(db)
        let listed = try entries(d)
        let junk = d.dir.sub("junk.sqlite")
        try Data("không phải cơ sở dữ liệu".utf8).write(to: URL(fileURLWithPath: junk))
        let empty = d.dir.sub("empty.sqlite")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let foreign = d.dir.sub("foreign.sqlite")
        _ = try run("/usr/bin/sqlite3", [foreign, "CREATE TABLE invoices(id INTEGER PRIMARY KEY); INSERT INTO invoices VALUES (1);"])
        let newer = d.dir.sub("newer.sqlite")
        try FileManager.default.copyItem(atPath: copy, toPath: newer)
        _ = try run("/usr/bin/sqlite3", [newer, "INSERT INTO grdb_migrations VALUES ('v99-tuong-lai')"])
        let damaged = d.dir.sub("damaged.sqlite")
        var pages = try bytes(copy)
        // Past the first page (the schema): the tables' pages overwritten.
        for i in 4096..<min(pages.count, 4096 * 4) { pages[i] = 0x5A }
        try pages.write(to: URL(fileURLWithPath: damaged))
        // What a restore cut short left: the next restore replaces it, so it is no copy to restore from.
        let leftover = d.stateDir + "/.tiendo.sqlite.restoring"
        try FileManager.default.copyItem(atPath: copy, toPath: leftover)
        let listedWithLeftover = try entries(d)
        let r = try restore(d, leftover)
        #expect(r.status == 65 && r.said.contains("bản chép dở của một lần khôi phục trước"), "\(r.said)")
        #expect(try FileManager.default.fileExists(atPath: leftover) && entries(d) == listedWithLeftover)
        unlink(leftover)
        let cases: [(String, String)] = [
            (junk, "không phải tệp SQLite"), (empty, "trống"), (d.dir.sub("khong-co.sqlite"), "không có tệp này"),
            (foreign, "chương trình khác"), (newer, "phiên bản tiendod mới hơn"), (damaged, "hỏng"),
            (db, "chính cơ sở dữ liệu đang dùng"), (d.stateDir, "không phải một tệp"),
        ]
        for (file, reason) in cases {
            let r = try restore(d, file)
            #expect(r.status == 65, "\(file): \(r.said)")
            #expect(r.said.contains(reason) && r.said.contains("không thay đổi gì"), "\(file): \(r.said)")
            #expect(try bytes(db) == before, "\(file)")
            #expect(try entries(d) == listed, "\(file)")
        }
        // No state directory at all.
        let nowhere = try run(Build.binary("tiendod"), ["--restore", copy, "--state-dir", d.dir.sub("khong-co")])
        #expect(nowhere.0 == 65 && nowhere.1.contains("không có thư mục trạng thái"), "\(nowhere.1)")
    }
}
