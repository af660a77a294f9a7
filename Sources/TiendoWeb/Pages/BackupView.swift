import Hummingbird
import TiendoCore
import TiendoVarlink

/// The database's copies on the accounts page, for administrators (README "For administrators", Backups): the latest
/// one and how many there are, a warning when there is none or the nightly copy seems to have stopped, and a button
/// that takes one now (`vn.tiendo.Extras.Backup`) — before a large import, say. The office sees that its data is
/// kept, which journald alone would tell nobody.
struct BackupView {
    var reply: Extras.Backups.Reply?
    /// Why the copies could not be listed, when they could not.
    var problem: String?

    /// A nightly copy older than this says the timer has stopped (or was never enabled).
    static let staleDays = 2

    static func load(_ app: WebApp) async -> BackupView {
        do {
            return BackupView(reply: try await app.daemon.call(Extras.Backups()), problem: nil)
        } catch {
            return BackupView(reply: nil, problem: PageError.sentence(PageError.daemon(error).message))
        }
    }

    var section: HTML {
        guard let reply else {
            return """
                <h2>Sao lưu dữ liệu</h2>
                <p class="warn">Không đọc được tình trạng sao lưu: \(problem ?? "") Hãy báo cán bộ kỹ thuật phụ trách máy chủ.</p>
                """
        }
        let state: HTML
        let now = Format.zone.parseInstant(reply.now)
        // A copy named after now (by a clock that was ahead) says nothing of when the last night's copy was taken: the
        // age counts from the latest copy not in the future, or a nightly copy stopped since would never be told.
        let past = reply.copies.filter { c in now.map { n in Format.zone.parseInstant(c.at).map { $0 <= n } ?? true } ?? true }
        if let latest = past.first ?? reply.copies.first {
            let age = now.flatMap { now in Format.zone.parseInstant(latest.at).map { Int((now.seconds - $0.seconds) / 86_400) } }
            let count = reply.copies.count == 1 ? "" : "; có \(Format.count(reply.copies.count)) bản"
            let old: HTML =
                (age ?? 0) >= BackupView.staleDays
                ? "<p class=\"warn\">Bản sao gần nhất đã cách đây \(Format.count(age ?? 0)) ngày: việc tự sao lưu mỗi đêm có thể đã ngừng. Hãy bấm «Sao lưu ngay» và báo cán bộ kỹ thuật phụ trách máy chủ.</p>"
                : .empty
            state = """
                <p>Bản sao gần nhất: \(Format.date(latest.at)) (\(Messages.size(Int64(latest.bytes))))\(count), lưu trên máy chủ.</p>\(old)
                """
        } else {
            state =
                "<p class=\"warn\">Chưa có bản sao lưu nào. Hãy bấm «Sao lưu ngay», và nhờ cán bộ kỹ thuật phụ trách máy chủ bật chế độ tự sao lưu mỗi đêm.</p>"
        }
        return """
            <h2>Sao lưu dữ liệu</h2>
            \(state)
            <p class="muted small">Khi chế độ tự sao lưu được bật, máy chủ sao lưu mỗi đêm lúc 02:30 và giữ các bản của 14 ngày gần nhất (bản sao lưu ngay trong ngày không đẩy bản của các đêm trước đi). Mỗi bản là toàn bộ hồ sơ và lịch sử ở một thời điểm. Nên nhờ cán bộ kỹ thuật chép các bản này sang một máy khác (thư mục \(reply.directory)); việc khôi phục từ một bản sao cũng do cán bộ kỹ thuật làm.</p>
            """
    }

    /// The button: its form posts `hanh-dong=sao-luu` to the accounts page.
    static func button(_ context: WebContext) -> HTML {
        """
        <form method="post" class="inline" data-confirm="Sao lưu toàn bộ dữ liệu ngay bây giờ? Việc này mất vài giây đến vài phút; trong lúc đó mọi người vẫn làm việc bình thường.">\(Layout.csrf(context))<input type="hidden" name="hanh-dong" value="sao-luu"><button>Sao lưu ngay</button></form>
        """
    }

    /// Takes a copy now, and says what was done, in a sentence for the flash. Waits for it as the nightly one does
    /// (a province's database takes minutes); a wait that ends first says the copy goes on.
    static func take(_ app: WebApp) async throws -> (ok: Bool, message: String) {
        do {
            let r = try await app.daemon.call(Extras.Backup(), timeout: 3600)
            return (true, "Đã sao lưu \(Format.count(r.instances)) hồ sơ lúc \(Format.date(r.at)) (\(Messages.size(Int64(r.bytes)))).")
        } catch ManagerError.backupFailed(let reason) {
            return (false, PageError.sentence("không sao lưu được: \(reason)") + " Không có gì thay đổi.")
        } catch let e as VarlinkTransportError {
            guard case .timedOut = e.reason else { throw e }
            return (true, "Bản sao vẫn đang được làm và sẽ xong sau ít phút; tải lại trang này sau đó để xem.")
        }
    }
}
