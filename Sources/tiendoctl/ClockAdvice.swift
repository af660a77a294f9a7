import TiendoCore

/// What the technical officer is told while tiendod refuses operators' changes for its clock (`ClockBehind`, and
/// `DaemonStatus.clockBehind`): both instants, and what to do on the server — the web's words for ward officers say
/// whom to ask instead.
enum ClockAdvice {
    static func text(now: String, newest: String) -> String {
        let shown = { (iso: String) in Zone.vietnam.parseInstant(iso).map { Zone.vietnam.dateAndTime($0) } ?? iso }
        return "đồng hồ của máy chủ đang chỉ \(shown(now)), sớm hơn bản ghi mới nhất (\(shown(newest))) quá một ngày; "
            + "tiendod từ chối mọi thao tác (thêm, nhập, ghi bước, hoàn tác) cho tới khi đồng hồ đúng lại. Hãy chỉnh đồng hồ "
            + "(timedatectl status; timedatectl set-ntp true, hoặc timedatectl set-time 'YYYY-MM-DD HH:MM'); nếu chính giờ đang chỉ "
            + "mới đúng (bản ghi mới nhất được ghi khi đồng hồ chạy nhanh), khởi động lại tiendod một lần với --trust-clock "
            + "(xem tiendod(8))"
    }
}
