import Foundation
import TiendoCore
import TiendoDaemon
import TiendoDelivery

/// The sender's log: structured journal entries with their own MESSAGE_IDs (`systemd/tiendo-deliver.catalog`)
/// when stderr is the journal, readable lines on stderr otherwise (a terminal, the tests).
final class DeliveryLog: DeliveryObserver {
    /// MESSAGE_IDs of the sender's entries.
    enum Event: String {
        case sent = "54314ee9443645ee8b5bb3b8c2383f05"
        case retry = "4cfc0083db14434e91643a23ced5f811"
        case dead = "1a268f152e1b4affa2092893f5794cb7"
        case expired = "13f7d36f8c6d41d486692fd22a3dbfb0"
        case channelPaused = "e1a7df88fc40408b850e57ce4b9c75bc"
        case channelResumed = "bae2ebcfcd0949fcac04cc2d555548fe"
        case lifecycle = "c1d88fd053c449f892dfad2c5676e263"
    }

    static let identifier = "tiendo-deliver"
    let journal: Bool
    let verbose: Bool

    init(verbose: Bool) {
        journal = JournalSink.stderrIsJournal()
        self.verbose = verbose
    }

    func log(_ priority: Int, _ message: String, event: Event? = nil, fields: [(String, String)] = []) {
        if journal {
            var f: [(String, String)] = [
                ("MESSAGE", message), ("PRIORITY", String(priority)), ("SYSLOG_IDENTIFIER", DeliveryLog.identifier),
            ]
            if let event { f.append(("MESSAGE_ID", event.rawValue)) }
            f += fields
            JournalSink.send(f)
        } else {
            let extra = fields.isEmpty ? "" : " [" + fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ") + "]"
            FileHandle.standardError.write(Data("\(DeliveryLog.identifier): \(message)\(extra)\n".utf8))
        }
    }

    func fields(_ job: DeliveryJob) -> [(String, String)] {
        var f: [(String, String)] = [
            ("TIENDO_CHANNEL", job.channel), ("TIENDO_MESSAGE_KEY", job.messageKey),
            ("TIENDO_DELIVERY_IDS", job.items.map { String($0.id) }.joined(separator: ",")),
        ]
        if let r = job.recipient { f.append(("TIENDO_RECIPIENT", r.address)) }
        if job.items.count == 1, let n = try? Notice(json: job.items[0].record) {
            f.append(("TIENDO_WORKFLOW", n.workflow))
            if let i = n.instance { f.append(("TIENDO_INSTANCE", i)) }
            f.append(("TIENDO_KIND", n.kind))
        }
        return f
    }

    func describe(_ job: DeliveryJob) -> String {
        let what = job.isDigest ? "bản tổng hợp \(job.items.count) việc" : "thông báo #\(job.items[0].id)"
        return "\(what) qua kênh \(job.channel)" + (job.recipient.map { " tới \($0.address)" } ?? "")
    }

    func record(_ event: DeliveryEvent) {
        switch event {
        case .sent(let job, let provider, _):
            guard verbose || journal else { return }
            log(6, "Đã gửi \(describe(job))" + (provider.map { " (\($0))" } ?? ""), event: .sent, fields: fields(job))
        case .retry(let job, let f, let next):
            log(
                4, "Gửi \(describe(job)) chưa được, thử lại lúc \(Zone.vietnam.vietnamese(next)): \(f.reason)", event: .retry,
                fields: fields(job) + [("TIENDO_ERROR_CLASS", f.errorClass.rawValue), ("TIENDO_NEXT_ATTEMPT", Zone.vietnam.iso(next))])
        case .dead(let job, let f):
            log(
                3, "Không gửi được \(describe(job)), chuyển vào thư chết: \(f.reason)", event: .dead,
                fields: fields(job) + [("TIENDO_ERROR_CLASS", f.errorClass.rawValue)])
        case .expired(let d, let reason):
            log(
                5, "Bỏ thông báo #\(d.id) qua kênh \(d.channel): \(reason)", event: .expired,
                fields: [("TIENDO_CHANNEL", d.channel), ("TIENDO_DELIVERY_IDS", String(d.id))])
        case .held(let job, let until):
            guard verbose || journal else { return }
            log(6, "Giữ \(describe(job)) đến \(Zone.vietnam.vietnamese(until)): ngoài giờ gửi", fields: fields(job))
        case .channelPaused(let channel, let f, let until):
            log(
                4, "Tạm dừng kênh \(channel) đến \(Zone.vietnam.vietnamese(until)): \(f.reason)", event: .channelPaused,
                fields: [("TIENDO_CHANNEL", channel)])
        case .channelResumed(let channel):
            log(5, "Kênh \(channel) gửi được trở lại", event: .channelResumed, fields: [("TIENDO_CHANNEL", channel)])
        case .queueError(let text):
            log(3, "Lỗi hàng đợi: \(text)")
        }
    }
}
