import Foundation
import TiendoCore

/// The open due items in memory, in `due_items_by_end`'s order (due end, instance, deadline; strings compared byte by
/// byte, as SQLite's BINARY collation does): what Agenda reads instead of stepping the covering index and decoding
/// eleven columns per item (half of its instructions at 10^6 instances).
///
/// A value: a reader takes a copy (`LiveDueIndex.snapshot`) and walks it while the loop goes on changing its own,
/// which then copies only the arrays it touches (copy-on-write). The items sit in sorted chunks of at most
/// `maxChunk` (an insert moves at most that many), each with the instance ids and groups of its items in one byte
/// array (both come from the instances' data: any number of distinct values, of any length); every other string
/// (workflow, state, milestone, occurrence, title, due, deadline key) comes from the definitions and the calendar and
/// is an atom, held once with its JSON text. No object per item: at 10^6 instances the 238,883 open items took 32 MB
/// of the daemon's memory (about 135 bytes an item, measured while groups were still atoms).
///
/// Written by hand: swift-collections has no sorted container in a release this machine serves, and SQLite is what
/// this replaces.
public struct DueIndex: Sendable {
    /// One item: its due end, its instance and group (bytes in its chunk's `text`, the group right after the
    /// instance; `groupCount` `noGroup` for NULL), the rest as atoms (0 for NULL).
    public struct Entry: Sendable {
        public var dueEnd: Int64
        var instanceStart: UInt32
        var instanceCount: UInt32
        var groupCount: UInt32
        public var deadline: UInt32
        public var workflow: UInt32
        public var state: UInt32
        public var milestone: UInt32
        public var occurrence: UInt32
        public var title: UInt32
        public var due: UInt32
        public var provisional: Bool
    }

    static let noGroup = UInt32.max

    struct Chunk: Sendable {
        var entries: [Entry] = []
        /// The instance ids and groups of `entries`; bytes of removed entries stay until `compact`.
        var text: [UInt8] = []
        var garbage = 0
        /// The workflows (atoms) of its items, perhaps with some whose items have gone since (until `compact`): a
        /// walk for a few workflows skips a chunk holding none of them (`forEach`'s `skippingChunk`).
        var workflows: [UInt32] = []

        func instance(_ e: Entry) -> ArraySlice<UInt8> {
            text[Int(e.instanceStart)..<Int(e.instanceStart + e.instanceCount)]
        }

        /// The bytes its entries use in `text`.
        var liveText: Int { text.count - garbage }

        mutating func compact() {
            var fresh: [UInt8] = []
            fresh.reserveCapacity(entries.reduce(0) { $0 + $1.textBytes })
            for i in entries.indices {
                let e = entries[i]
                entries[i].instanceStart = UInt32(fresh.count)
                fresh.append(contentsOf: text[Int(e.instanceStart)..<Int(e.instanceStart) + e.textBytes])
            }
            text = fresh
            garbage = 0
            workflows = []
            for e in entries where !workflows.contains(e.workflow) { workflows.append(e.workflow) }
        }
    }

    static let maxChunk = 1024
    /// The most bytes of instance ids and groups a chunk holds before it splits: groups come from the data, and one
    /// of 2 KB per instance would otherwise make a chunk of 1,024 items 2 MB.
    static let maxChunkText = 64 << 10

    var chunks: [Chunk] = []
    public internal(set) var atoms = Atoms()
    public private(set) var count = 0

    public init() {}

    /// Where an item is, or would go.
    struct Key {
        var dueEnd: Int64
        var instance: String
        var deadline: String
    }

    /// -1, 0 or 1 as `e` (in `chunk`) sorts before, with or after `key`.
    func compare(_ e: Entry, in chunk: Chunk, _ key: Key) -> Int {
        if e.dueEnd != key.dueEnd { return e.dueEnd < key.dueEnd ? -1 : 1 }
        var k = key.instance
        let c = k.withUTF8 { Atoms.compare(chunk.instance(e), $0) }
        if c != 0 { return c }
        var d = key.deadline
        return d.withUTF8 { atoms.compareText(e.deadline, $0) }
    }

    /// The chunk an item with `key` belongs in (the first whose last item does not sort before it; the last chunk when
    /// every item does), and the position in it of the first item not sorting before it.
    func locate(_ key: Key) -> (chunk: Int, entry: Int)? {
        guard !chunks.isEmpty else { return nil }
        var lo = 0
        var hi = chunks.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if compare(chunks[mid].entries[chunks[mid].entries.count - 1], in: chunks[mid], key) < 0 { lo = mid + 1 } else { hi = mid }
        }
        let chunk = chunks[lo]
        var a = 0
        var b = chunk.entries.count
        while a < b {
            let mid = (a + b) / 2
            if compare(chunk.entries[mid], in: chunk, key) < 0 { a = mid + 1 } else { b = mid }
        }
        return (lo, a)
    }

    /// `row` as an entry, its strings interned through `interner` (its instance and group not placed yet).
    mutating func entry(_ row: DueRow, interner: inout Interner) -> Entry {
        Entry(
            dueEnd: row.dueEnd.seconds, instanceStart: 0, instanceCount: 0, groupCount: 0,
            deadline: interner.atom(row.deadline, in: &atoms), workflow: interner.atom(row.workflow, in: &atoms),
            state: interner.atom(row.state, in: &atoms), milestone: interner.atom(row.milestone, in: &atoms),
            occurrence: interner.atom(row.occurrence, in: &atoms), title: interner.atom(row.title, in: &atoms),
            due: interner.atom(row.due, in: &atoms), provisional: row.provisional)
    }

    /// Adds `row` (its strings interned through `interner`), or replaces the item with its due end, instance and
    /// deadline.
    mutating func insert(_ row: DueRow, interner: inout Interner) {
        let key = Key(dueEnd: row.dueEnd.seconds, instance: row.instance, deadline: row.deadline)
        var entry = entry(row, interner: &interner)
        guard let (c, i) = locate(key) else {
            chunks = [Chunk()]
            Self.place(&entry, row, at: 0, in: &chunks[0])
            count = 1
            return
        }
        if i < chunks[c].entries.count, compare(chunks[c].entries[i], in: chunks[c], key) == 0 {
            // The same item again, its fields (the group too) perhaps changed: the old bytes become garbage.
            chunks[c].garbage += chunks[c].entries[i].textBytes
            chunks[c].entries.remove(at: i)
            Self.place(&entry, row, at: i, in: &chunks[c])
            return
        }
        Self.place(&entry, row, at: i, in: &chunks[c])
        count += 1
        if chunks[c].entries.count > Self.maxChunk || (chunks[c].entries.count > 1 && chunks[c].liveText > Self.maxChunkText) {
            let half = chunks[c].entries.count / 2
            var right = Chunk(entries: Array(chunks[c].entries[half...]), text: chunks[c].text)
            chunks[c].entries.removeSubrange(half...)
            chunks[c].compact()
            right.compact()
            chunks.insert(right, at: c + 1)
        }
    }

    /// Puts `entry` at position `i` of `chunk`, with `row`'s instance and group bytes.
    static func place(_ entry: inout Entry, _ row: DueRow, at i: Int, in chunk: inout Chunk) {
        entry.instanceStart = UInt32(chunk.text.count)
        entry.instanceCount = UInt32(row.instance.utf8.count)
        chunk.text.append(contentsOf: row.instance.utf8)
        if let group = row.group {
            entry.groupCount = UInt32(group.utf8.count)
            chunk.text.append(contentsOf: group.utf8)
        } else {
            entry.groupCount = noGroup
        }
        chunk.entries.insert(entry, at: i)
        if !chunk.workflows.contains(entry.workflow) { chunk.workflows.append(entry.workflow) }
    }

    /// Removes the item with this due end, instance and deadline; false when there is none.
    @discardableResult
    mutating func remove(dueEnd: Int64, instance: String, deadline: String) -> Bool {
        let key = Key(dueEnd: dueEnd, instance: instance, deadline: deadline)
        guard let (c, i) = locate(key), i < chunks[c].entries.count, compare(chunks[c].entries[i], in: chunks[c], key) == 0 else {
            return false
        }
        let removed = chunks[c].entries.remove(at: i)
        count -= 1
        if chunks[c].entries.isEmpty {
            chunks.remove(at: c)
        } else {
            chunks[c].garbage += removed.textBytes
            if chunks[c].garbage > 4096 && chunks[c].garbage * 2 > chunks[c].text.count { chunks[c].compact() }
        }
        return true
    }

    /// Appends `row`, which sorts after every item already here (the build at start reads the rows in order).
    mutating func append(sorted row: DueRow, interner: inout Interner) {
        if chunks.isEmpty || chunks[chunks.count - 1].entries.count >= Self.maxChunk * 3 / 4
            || chunks[chunks.count - 1].liveText >= Self.maxChunkText * 3 / 4
        {
            // Filled to three quarters, so that later inserts find room; its arrays sized for that at once.
            var chunk = Chunk()
            chunk.entries.reserveCapacity(Self.maxChunk)
            let perItem = row.instance.utf8.count + (row.group?.utf8.count ?? 0) + 8
            chunk.text.reserveCapacity(min(Self.maxChunkText, Self.maxChunk * 3 / 4 * perItem))
            chunks.append(chunk)
        }
        var entry = entry(row, interner: &interner)
        let last = chunks.count - 1
        Self.place(&entry, row, at: chunks[last].entries.count, in: &chunks[last])
        count += 1
    }

    /// Calls `body` with each item due at or before `until` (and after `after`, when given), in order, and the bytes
    /// of its instance id and group (nil for NULL); stops early when `body` returns false. The bytes are valid only
    /// during the call. A chunk for whose workflows (atoms, perhaps some whose items have gone) `skippingChunk`
    /// returns true is passed over unread.
    public func forEach(
        after: Int64? = nil, until: Int64, skippingChunk: ([UInt32]) -> Bool = { _ in false },
        _ body: (Entry, UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>?) throws -> Bool
    ) rethrows {
        let lower = after ?? .min
        for chunk in chunks[firstChunk(after: lower)...] {
            if skippingChunk(chunk.workflows) { continue }
            let go = try chunk.entries.withUnsafeBufferPointer { entries in
                try chunk.text.withUnsafeBufferPointer { text in
                    for e in entries {
                        if e.dueEnd <= lower { continue }
                        if e.dueEnd > until { return false }
                        let start = Int(e.instanceStart)
                        let end = start + Int(e.instanceCount)
                        let id = UnsafeBufferPointer(rebasing: text[start..<end])
                        let group =
                            e.groupCount == DueIndex.noGroup ? nil : UnsafeBufferPointer(rebasing: text[end..<end + Int(e.groupCount)])
                        if try !body(e, id, group) { return false }
                    }
                    return true
                }
            }
            if !go { return }
        }
    }

    /// When the earliest item due after `after` falls due (its `dueEnd`), or nil when none does.
    public func firstDueEnd(after: Int64) -> Int64? {
        var found: Int64?
        forEach(after: after, until: .max) { e, _, _ in
            found = e.dueEnd
            return false
        }
        return found
    }

    /// The first chunk whose last item is due after `after`: every chunk before it holds only earlier items.
    func firstChunk(after: Int64) -> Int {
        var lo = 0
        var hi = chunks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if chunks[mid].entries[chunks[mid].entries.count - 1].dueEnd <= after { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Every item as a `DueRow`, in order (tests and checks).
    public func rows() -> [DueRow] {
        var out: [DueRow] = []
        out.reserveCapacity(count)
        forEach(until: .max) { e, id, group in
            out.append(row(e, instance: id, group: group))
            return true
        }
        return out
    }

    /// The item `e` (with its instance id and group bytes, as `forEach` gives them) as a `DueRow`.
    func row(_ e: Entry, instance id: UnsafeBufferPointer<UInt8>, group: UnsafeBufferPointer<UInt8>?) -> DueRow {
        DueRow(
            instance: String(decoding: id, as: UTF8.self), deadline: atoms.text(e.deadline) ?? "", workflow: atoms.text(e.workflow) ?? "",
            group: group.map { String(decoding: $0, as: UTF8.self) }, state: atoms.text(e.state), milestone: atoms.text(e.milestone),
            occurrence: atoms.text(e.occurrence), title: atoms.text(e.title) ?? "", due: atoms.text(e.due) ?? "",
            dueEnd: Instant(seconds: e.dueEnd), provisional: e.provisional)
    }

    /// Whether the chunks are in order, none empty or over-full, each knowing its items' workflows, and `count` adds
    /// up (tests).
    func isWellFormed() -> Bool {
        var total = 0
        var previous: (Chunk, Entry)?
        for chunk in chunks {
            guard !chunk.entries.isEmpty, chunk.entries.count <= Self.maxChunk else { return false }
            for e in chunk.entries {
                if !chunk.workflows.contains(e.workflow) { return false }
                if let (pc, pe) = previous {
                    let key = Key(
                        dueEnd: e.dueEnd, instance: String(decoding: chunk.instance(e), as: UTF8.self),
                        deadline: atoms.text(e.deadline) ?? "")
                    if compare(pe, in: pc, key) >= 0 { return false }
                }
                previous = (chunk, e)
                total += 1
            }
        }
        return total == count
    }
}

extension DueIndex.Entry {
    /// The bytes of its instance and group in its chunk's `text`.
    var textBytes: Int { Int(instanceCount) + (groupCount == DueIndex.noGroup ? 0 : Int(groupCount)) }
}
