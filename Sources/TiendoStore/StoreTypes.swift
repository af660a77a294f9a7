import GRDB
public import TiendoCore

/// A stored instance row with the columns the daemon needs without decoding the data.
public struct StoredInstance: Sendable {
    public var instance: Instance
    public var stale: Bool
    /// Signature of the stored due items, to skip rewriting them when unchanged.
    public var dueSig: Int64?
    /// The row's rowid: updates by it skip the lookup through the text key's index.
    public var rowid: Int64 = 0
    /// The row's JSON columns as stored (nil when not read from a row): a step's undo snapshot reuses them.
    public var texts: StoredTexts?
    /// What the row was counted under and its wake-up, as read (nil when not read from a row): the commit that
    /// updates the row moves its count from this key without reading the row a second time.
    var prior: PriorRow?

    public init(instance: Instance, stale: Bool, dueSig: Int64? = nil, rowid: Int64 = 0) {
        self.instance = instance
        self.stale = stale
        self.dueSig = dueSig
        self.rowid = rowid
    }
}

/// An instance's JSON columns as the store writes them: its data, completed milestones, notice marks and series.
public struct StoredTexts: Sendable {
    public var data: String
    public var done: String
    public var marks: String
    public var series: String

    /// `instance`'s, its data written as `dataJSON`.
    public init(_ instance: Instance, dataJSON: String) {
        data = dataJSON
        done = Store.encodeMap(instance.done)
        marks = Store.encodeMap(instance.marks)
        series = SeriesState.encode(instance.series)
    }

    init(data: String, done: String, marks: String, series: String) {
        (self.data, self.done, self.marks, self.series) = (data, done, marks, series)
    }

    /// Each text starts as a JSON object does (what the store writes; a snapshot copies them as they are).
    public var areObjects: Bool {
        [data, done, marks, series].allSatisfy { $0.utf8.first == UInt8(ascii: "{") && $0.utf8.last == UInt8(ascii: "}") }
    }
}

/// An open deadline of an instance, kept in `due_items` for the agenda and summaries.
public struct DueRow: Sendable, Hashable {
    public var instance: String
    /// "" for the state deadline, the milestone id, or `M@LABEL` for an occurrence.
    public var deadline: String
    public var workflow: String
    public var group: String?
    public var state: String?
    public var milestone: String?
    /// The occurrence label of a recurring milestone's item.
    public var occurrence: String?
    public var title: String
    public var due: String
    public var dueEnd: Instant
    /// The due depends on a projected calendar year.
    public var provisional: Bool
    public init(
        instance: String, deadline: String, workflow: String, group: String?, state: String?, milestone: String?,
        occurrence: String? = nil, title: String, due: String, dueEnd: Instant, provisional: Bool = false
    ) {
        self.instance = instance
        self.deadline = deadline
        self.workflow = workflow
        self.group = group
        self.state = state
        self.milestone = milestone
        self.occurrence = occurrence
        self.title = title
        self.due = due
        self.dueEnd = dueEnd
        self.provisional = provisional
    }
}

/// One change to write in a batch transaction.
public struct InstanceChange: Sendable {
    public var instance: Instance
    public var group: String?
    public var nextWakeup: Instant?
    public var dueItems: [DueRow]
    public var stale: Bool
    /// The data as JSON, or nil when the stored row's data and group are unchanged (timer firing, an event without data).
    public var dataJSON: String?
    /// The signature of the stored due items when known (`updates(_:)`): equal to `dueSig`, they are not rewritten.
    public var previousDueSig: Int64?
    public var dueSig: Int64
    /// The stored row's rowid when known (timer firing, events), for a cheaper update.
    public var rowid: Int64?
    /// The stored row's count key and wake-up as read (`updates(_:)`).
    var prior: PriorRow?
    /// This change creates its instance, and the caller has checked that no row has its id in the job that
    /// commits it (on the loop thread, the store's only writer: an import's first pass, a start's check). The
    /// commit then neither looks for an old row nor deletes old due items, and inserts with a plain INSERT: a row
    /// that exists after all fails the commit instead of being overwritten.
    public var isNew = false
    public init(instance: Instance, group: String?, nextWakeup: Instant?, dueItems: [DueRow], stale: Bool, dataJSON: String?) {
        self.instance = instance
        self.group = group
        self.nextWakeup = nextWakeup
        self.dueItems = dueItems
        self.stale = stale
        self.dataJSON = dataJSON
        dueSig = InstanceChange.signature(dueItems)
    }

    /// This change updates `row`, which must be the row as stored when the change commits: read in the transaction
    /// that commits it (firing, a calendar change, a request in a group), or on the loop thread just before it
    /// (a request alone: the loop is the store's only writer). The update goes by rowid, due items that did not
    /// change are left alone, and the row is not read again for its count key — a stale `row` would move the
    /// count from the wrong key.
    public mutating func updates(_ row: StoredInstance) {
        previousDueSig = row.dueSig
        guard row.rowid > 0 else { return }
        rowid = row.rowid
        prior = row.prior
    }

    /// FNV-1a over the due items (stable across runs, unlike Hasher).
    static func signature(_ items: [DueRow]) -> Int64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ s: String?) {
            for b in (s ?? "\u{0}").utf8 {
                h ^= UInt64(b)
                h = h &* 0x100_0000_01b3
            }
            h ^= 0xff
            h = h &* 0x100_0000_01b3
        }
        for d in items {
            mix(d.deadline)
            mix(d.group)
            mix(d.state)
            mix(d.milestone)
            mix(d.title)
            mix(d.due)
            mix(String(d.dueEnd.seconds))
            mix(d.occurrence)
            mix(d.provisional ? "p" : nil)
        }
        return Int64(bitPattern: h)
    }
}

/// A stored instance row's count key and wake-up, as read with it.
struct PriorRow: Sendable {
    var key: CountKey
    var wakeup: Int64?
}

/// A history record as stored, with its outbox sequence number.
public struct StoredRecord: Sendable {
    public var seq: Int64
    public var record: TiendoCore.Record
}

/// Rows of the outbox after the sent watermark (`Store.unsent`).
public struct OutboxBatch: Sendable {
    /// The rows that parse as records, in sequence order.
    public var records: [StoredRecord] = []
    /// Rows read, parsed or not.
    public var read = 0
    /// The sequence number of the last row read.
    public var lastSeq: Int64?
}

public enum StoreError: Error, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case notOurs(path: String)
    case notSQLite(path: String)
    case vanished(path: String, zeroBytes: Bool)
    /// Changes made by a newer tiendod that this one does not know (its migrations' names).
    case tooNew(path: String, migrations: [String])
    case corrupt(String)
    /// The database file was deleted or renamed while the store had it open (`Store.checkInPlace`).
    case moved(path: String)
    /// Its log (`-wal`) was; `copied`: the log's frames were checkpointed into the database file, which holds every
    /// change acknowledged before.
    case logMoved(path: String, copied: Bool)
    /// A WAL-mode file with no table and no `-wal` beside it (`Store.inspect`).
    case logMissing(path: String)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r): return "không mở được cơ sở dữ liệu \(p): \(r)"
        case .notOurs(let p): return "\(p) không phải cơ sở dữ liệu của tiendo (bảng lạ, không có dấu tiendo); không động vào nó"
        case .notSQLite(let p): return "\(p) không phải cơ sở dữ liệu SQLite (hỏng hoặc tệp lạ); không động vào nó"
        case .vanished(let p, let zero):
            return (zero ? "\(p) trống (0 byte)" : "không có \(p)")
                + " nhưng thư mục trạng thái cho thấy tiendod đã từng chạy ở đây (có tệp \(StateDirectoryMarker.fileName(forDatabase: p))):"
                + " dữ liệu các hồ sơ có thể đã mất sau một lần khôi phục hoặc chép tệp sai. Hãy khôi phục từ bản sao lưu"
                + " (tiendod --restore TỆP, xem tiendod(8)); nếu thật sự muốn bắt đầu lại với cơ sở dữ liệu rỗng, chạy tiendod một lần với --init"
        case .tooNew(let p, let m):
            return "\(p) đã được một phiên bản tiendod mới hơn nâng cấp (\(m.joined(separator: ", "))) mà phiên bản này không hiểu;"
                + " không mở để khỏi làm sai dữ liệu. Hãy cài lại phiên bản mới hơn, hoặc khôi phục bản sao lưu từ trước khi nâng cấp (tiendod --restore TỆP)"
        case .moved(let p):
            return "tệp cơ sở dữ liệu \(p) đã bị xóa hoặc đổi tên trong khi tiendod đang chạy: từ lúc đó tiendod không nhận thay đổi nào"
                + " (lần khởi động sau sẽ không thấy chúng). Dữ liệu vẫn còn trong tiendod đang chạy: ĐỪNG dừng tiendod; chạy ngay"
                + " «tiendoctl backup» để chép toàn bộ ra một bản sao lưu, rồi dừng tiendod và khôi phục bản sao ấy"
                + " (tiendod --restore TỆP, xem tiendod(8)). Một thay đổi bị từ chối đúng lúc tệp bị xóa có thể vẫn nằm trong bản"
                + " sao ấy: xem lại hồ sơ (tiendoctl show) trước khi làm lại"
        case .logMoved(let p, let copied):
            let stopped =
                "tệp nhật ký giao dịch \(p) đã bị xóa hoặc đổi tên trong khi tiendod đang chạy: "
                + "từ lúc đó tiendod không nhận thay đổi nào"
            if copied {
                return stopped + ". Mọi thay đổi đã nhận trước đó đã được chép vào cơ sở dữ liệu: hãy khởi động lại tiendod"
                    + " (systemctl restart tiendod) để nhận thay đổi trở lại; không mất gì. Đừng xóa tệp nào trong thư mục trạng thái"
            }
            return stopped + " và chưa chép được các thay đổi trong nhật ký ấy vào cơ sở dữ liệu. ĐỪNG dừng tiendod; chạy ngay"
                + " «tiendoctl backup» để chép toàn bộ ra một bản sao lưu, rồi dừng tiendod và khôi phục bản sao ấy"
                + " (tiendod --restore TỆP, xem tiendod(8))"
        case .logMissing(let p):
            let name = p.split(separator: "/").last.map(String.init) ?? p
            return "\(p) là trang đầu của một cơ sở dữ liệu mà mọi thay đổi nằm trong tệp \(p)-wal đi kèm, nhưng không có tệp ấy"
                + " (tệp được chép riêng, không kèm -wal?). tiendod không coi nó là cơ sở dữ liệu mới để khỏi bắt đầu với 0 hồ sơ."
                + " Hãy chép cả \(name) lẫn \(name)-wal từ nơi cũ, hoặc"
                + " khôi phục bản sao lưu (tiendod --restore TỆP, xem tiendod(8)); nếu đây thật là cơ sở dữ liệu mới chưa có gì, xóa tệp ấy"
        case .corrupt(let r):
            return
                "cơ sở dữ liệu hỏng: \(r). tiendod không ghi vào tệp hỏng; hãy khôi phục từ bản sao lưu (tiendod --restore TỆP, xem tiendod(8))"
        }
    }
}
