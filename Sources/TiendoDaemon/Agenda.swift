import Foundation
import Synchronization
public import TiendoCore
import TiendoStore

/// Agenda's answer (interfaces §5 `Agenda`), written straight into JSON text: the same fields and values as
/// `dueItemJSON` gives each item, without a `DueRow` or a JSON tree per item (at 10^6 instances the 7-day agenda
/// holds ~31,000 items, 7.9 MB). From the store's index in memory once it is built, from SQLite before.
extension Views {
    /// Agenda's parameters, `{"items": [DueItem]}`: every open item due at or before `until` (overdue ones
    /// included), earliest first, of `workflow` and `group` when given.
    public func writeAgendaParameters(
        until: Instant, workflow: String?, group: String?, now: Instant, to w: inout ByteWriter
    ) throws {
        let start = w.count
        w.append(#"{"items":["#)
        if let (index, filter) = store.dueIndex?.snapshot(workflow: workflow, group: group) {
            writeAgenda(index, filter: filter, until: until, now: now, to: &w)
        } else {
            try writeAgendaFromRows(until: until, workflow: workflow, group: group, now: now, to: &w)
        }
        w.append("]}")
        Views.lastAgendaBytes.store(w.count - start, ordering: .relaxed)
    }

    /// The room to write the next Agenda answer in: the last one's size (up to 64 MiB) and 64 KiB, so that a large
    /// answer is written without growing its buffer again and again. Pages are only touched as they are written.
    static var agendaSizeHint: Int { min(lastAgendaBytes.load(ordering: .relaxed), 1 << 26) + (1 << 16) }

    /// The size of the last Agenda answer, any daemon thread's.
    static let lastAgendaBytes = Atomic<Int>(0)

    /// Agenda's whole varlink reply. From the index in memory it is handed to `part` in pieces of about `partBytes`
    /// as it is written, so that the I/O thread sends each while the next is written (at 10^6 instances the reader
    /// writes 7.9 MB in 3.5 ms and the kernel takes 3 ms to carry them); the reply returned is the rest. From
    /// SQLite (before the index is built) it is one piece, since a failed read must still be answered with an error.
    func agendaReply(
        until: Instant, workflow: String?, group: String?, now: Instant, partBytes: Int = 256 << 10,
        part: ([UInt8]) -> Void
    ) throws -> VarlinkReply {
        guard let (index, filter) = store.dueIndex?.snapshot(workflow: workflow, group: group) else {
            return try .ok(sizeHint: Views.agendaSizeHint) { w in
                try writeAgendaParameters(until: until, workflow: workflow, group: group, now: now, to: &w)
            }
        }
        // One buffer, reused: each piece is copied out of it while it is still in the cache.
        var w = ByteWriter(capacity: partBytes + (1 << 16))
        var sent = 0
        VarlinkReply.parametersPrefix.withUnsafeBufferPointer { w.append($0) }
        w.append(#"{"items":["#)
        writeAgenda(index, filter: filter, until: until, now: now, to: &w) { w in
            guard w.count >= partBytes else { return }
            sent += w.count
            part(w.withBytes { Array($0) })
            w.removeAll()
        }
        w.append("]}")
        VarlinkReply.parametersSuffix.withUnsafeBufferPointer { w.append($0) }
        let framing = VarlinkReply.parametersPrefix.count + VarlinkReply.parametersSuffix.count
        Views.lastAgendaBytes.store(sent + w.count - framing, ordering: .relaxed)
        return .rest(w.withBytes { Array($0) })
    }

    /// Agenda's items from the index: every string but the instance id and the group is an atom whose JSON text was
    /// written once, and each due's day number was read once, when the atom was made. `afterItem` sees the writer
    /// after each item.
    func writeAgenda(
        _ index: DueIndex, filter: LiveDueIndex.Filter, until: Instant, now: Instant, to w: inout ByteWriter,
        afterItem: (inout ByteWriter) -> Void = { _ in }
    ) {
        // Today's day number in each workflow's zone, by workflow atom (a handful).
        var todays: [(workflow: UInt32, day: Int)] = []
        var lastWorkflow = UInt32.max
        var today = 0
        var first = true
        index.atoms.withBuffers { atoms in
            index.forEach(until: until.seconds) { e, instance, group in
                guard filter.matches(e, group: group) else { return true }
                if e.workflow != lastWorkflow {
                    if let known = todays.first(where: { $0.workflow == e.workflow }) {
                        (lastWorkflow, today) = known
                    } else {
                        let zone = catalog.current[String(decoding: atoms.text(e.workflow), as: UTF8.self)]?.zone ?? .vietnam
                        (lastWorkflow, today) = (e.workflow, zone.date(of: now).dayNumber)
                        todays.append((lastWorkflow, today))
                    }
                }
                let dueDay =
                    atoms.day(e.due)
                    ?? {
                        let zone = catalog.current[String(decoding: atoms.text(e.workflow), as: UTF8.self)]?.zone ?? .vietnam
                        return zone.date(of: Instant(seconds: e.dueEnd)).dayNumber
                    }()
                if !first { w.append(UInt8(ascii: ",")) }
                first = false
                w.append(#"{"workflow":"#)
                w.append(atoms.json(e.workflow))
                w.append(#","instance":"#)
                w.appendJSONString(utf8: instance)
                w.append(#","state":"#)
                w.append(atoms.json(e.state))
                w.append(#","milestone":"#)
                w.append(atoms.json(e.milestone))
                if e.occurrence != 0 {
                    w.append(#","occurrence":"#)
                    w.append(atoms.json(e.occurrence))
                }
                w.append(#","title":"#)
                w.append(atoms.json(e.title))
                w.append(#","due":"#)
                w.append(atoms.json(e.due))
                w.append(#","daysLeft":"#)
                w.appendInt(dueDay - today)
                e.dueEnd <= now.seconds ? w.append(#","overdue":true"#) : w.append(#","overdue":false"#)
                if e.provisional { w.append(#","provisional":true"#) }
                w.append(#","group":"#)
                Views.writeOptional(group, to: &w)
                w.append(UInt8(ascii: "}"))
                afterItem(&w)
                return true
            }
        }
    }

    /// Agenda's parameters from the store's rows (before the index is built), straight into JSON text.
    func writeAgendaFromRows(until: Instant, workflow: String?, group: String?, now: Instant, to w: inout ByteWriter) throws {
        var first = true
        // Today's day number in each workflow's zone. Rows come in due order, so the workflow changes from row to
        // row: every workflow seen is kept (a handful), found by comparing bytes.
        var todays: [(workflow: [UInt8], day: Int)] = []
        var lastWorkflow: [UInt8] = []
        var today = 0
        var dates = Views.LastDate()
        // Every item, as the contract says: no cap (one of 100,000 used to cut the nation's agenda silently). At 10^7
        // instances that is a few hundred thousand items, tens of MB, which clients read (up to 256 MiB).
        try store.forEachDueItem(until: until, workflow: workflow, group: group, limit: Int.max) { row in
            guard let wf = row.text(2), let inst = row.text(0), let title = row.text(6), let due = row.text(7) else { return }
            let dueEnd = Instant(seconds: row.int64(8))
            if !Views.equal(wf, lastWorkflow) {
                if let known = todays.first(where: { Views.equal(wf, $0.workflow) }) {
                    (lastWorkflow, today) = known
                } else {
                    let zone = catalog.current[String(decoding: wf, as: UTF8.self)]?.zone ?? .vietnam
                    (lastWorkflow, today) = (Array(wf), zone.date(of: now).dayNumber)
                    todays.append((lastWorkflow, today))
                }
            }
            let dueDay =
                dates.dayNumber(isoDate: due)
                ?? {
                    let zone = catalog.current[String(decoding: wf, as: UTF8.self)]?.zone ?? .vietnam
                    return zone.date(of: dueEnd).dayNumber
                }()
            if !first { w.append(UInt8(ascii: ",")) }
            first = false
            w.append(#"{"workflow":"#)
            w.appendJSONString(utf8: wf)
            w.append(#","instance":"#)
            w.appendJSONString(utf8: inst)
            w.append(#","state":"#)
            Views.writeOptional(row.text(4), to: &w)
            w.append(#","milestone":"#)
            Views.writeOptional(row.text(5), to: &w)
            if let occurrence = row.text(9) {
                w.append(#","occurrence":"#)
                w.appendJSONString(utf8: occurrence)
            }
            w.append(#","title":"#)
            w.appendJSONString(utf8: title)
            w.append(#","due":"#)
            w.appendJSONString(utf8: due)
            w.append(#","daysLeft":"#)
            w.appendInt(dueDay - today)
            dueEnd <= now ? w.append(#","overdue":true"#) : w.append(#","overdue":false"#)
            if row.int64(10) != 0 { w.append(#","provisional":true"#) }
            w.append(#","group":"#)
            Views.writeOptional(row.text(3), to: &w)
            w.append(UInt8(ascii: "}"))
        }
    }

    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Bool {
        a.count == b.count && (a.isEmpty || b.withUnsafeBufferPointer { memcmp(a.baseAddress!, $0.baseAddress!, a.count) == 0 })
    }

    static func writeOptional(_ text: UnsafeBufferPointer<UInt8>?, to w: inout ByteWriter) {
        if let text { w.appendJSONString(utf8: text) } else { w.append("null") }
    }

    /// `dayNumber(isoDate:)` remembering its last answer: rows come in due order, so most share the date of the
    /// row before (at 10^6 instances, the 31,185 items of a 7-day agenda fall on 224 dates).
    struct LastDate {
        private var text: (UInt64, UInt16) = (0, 0)
        private var day: Int?

        mutating func dayNumber(isoDate text: UnsafeBufferPointer<UInt8>) -> Int? {
            guard text.count >= 10, let p = text.baseAddress else { return Views.dayNumber(isoDate: text) }
            let key = (UnsafeRawPointer(p).loadUnaligned(as: UInt64.self), UnsafeRawPointer(p + 8).loadUnaligned(as: UInt16.self))
            if let day, key == self.text { return day }
            day = Views.dayNumber(isoDate: text)
            self.text = key
            return day
        }
    }

    /// The day number of the `YYYY-MM-DD` that starts `text`, as `CivilDate.parse(prefix(10))` reads it.
    static func dayNumber(isoDate text: UnsafeBufferPointer<UInt8>) -> Int? {
        guard text.count >= 10, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-") else { return nil }
        func number(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                let d = Int(text[i]) - 48
                guard d >= 0 && d <= 9 else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10),
            let date = CivilDate(validYear: y, month: m, day: d)
        else { return nil }
        return date.dayNumber
    }

}
