import Testing

@testable import TiendoCore

@Suite("JSON text")
struct JSONTests {
    @Test("strings: quotes, backslashes and control characters escaped; Vietnamese copied as UTF-8")
    func strings() {
        #expect(JSON.string("Chi bộ \"Khu 3\"\\\n\t\r\u{1}\u{1F}").serialized() == #""Chi bộ \"Khu 3\"\\\n\t\r\u0001\u001f""#)
        #expect(JSON.string("").serialized() == #""""#)
        #expect(JSON.string("đảng viên dự bị").bytes() == Array(#""đảng viên dự bị""#.utf8))
    }

    @Test(
        "numbers",
        arguments: [
            (JSON.int(0), "0"), (.int(7), "7"), (.int(10), "10"), (.int(-42), "-42"), (.int(1_083), "1083"),
            (.int(Int.max), "9223372036854775807"), (.int(Int.min), "-9223372036854775808"),
            (.double(2.5), "2.5"), (.double(3), "3.0"), (.double(.nan), "null"),
        ])
    func numbers(value: JSON, text: String) {
        #expect(value.serialized() == text)
    }

    @Test("compact and pretty forms parse back to the same value")
    func roundTrip() throws {
        let v = JSON.object([
            ("a", .array([.int(1), .null, .bool(true), .bool(false), .object([])])), ("b", .array([])),
            ("c", .object([("đ", .string("x\"y"))])),
        ])
        #expect(v.serialized() == #"{"a":[1,null,true,false,{}],"b":[],"c":{"đ":"x\"y"}}"#)
        #expect(try JSON.parse(v.serialized()) == v)
        let pretty = v.serialized(pretty: true)
        #expect(pretty.contains("\n  \"b\": []"))
        #expect(try JSON.parse(pretty) == v)
    }

    @Test("ByteWriter writes the same bytes as the JSON serializer, across many growths of its buffer")
    func byteWriter() {
        let strings = [
            "", "a", "Chi bộ \"Khu 3\"\\\n\t\r\u{1}\u{1F}", "\u{7F}\u{80}\u{9B}31m\u{9F}\u{A0}«Đ»", "Ê\u{C2}",
            "đảng viên dự bị", String(repeating: "Nguyễn Thị Hà ", count: 300) + "\"",
        ]
        let ints = [0, 7, 10, -1, -42, 1_083, Int.max, Int.min]
        var w = ByteWriter(capacity: 1)
        var expected: [UInt8] = []
        for round in 0..<50 {
            for s in strings {
                var s = s
                s.withUTF8 { w.appendJSONString(utf8: $0) }
                expected += JSON.string(s).bytes()
                w.append(UInt8(ascii: ","))
                expected.append(UInt8(ascii: ","))
            }
            for i in ints {
                w.appendInt(i &+ round)
                expected += JSON.int(i &+ round).bytes()
                w.append(#":"#)
                expected += Array(":".utf8)
            }
        }
        #expect(w.withBytes { Array($0) } == expected)
        // Bytes no Swift String holds, with the text expected written out.
        let raw: [([UInt8], [UInt8])] = [
            ([0x61, 0xC2], [0x22, 0x61, 0xC2, 0x22]),  // a last 0xC2 is copied
            ([0xC2, 0x41, 0x62], Array(#""\u0041b""#.utf8)),  // 0xC2 before ASCII (not UTF-8): escaped with the next byte
            ([0xC2, 0x9B, 0x5B], Array(#""\u009b[""#.utf8)),  // U+009B, a C1 control
            ([0xC2, 0xA0], [0x22, 0xC2, 0xA0, 0x22]),  // U+00A0 is copied
        ]
        for (input, text) in raw {
            var one = ByteWriter(capacity: 1)
            input.withUnsafeBufferPointer { one.appendJSONString(utf8: $0) }
            var viaArray: [UInt8] = []
            input.withUnsafeBufferPointer { JSON.writeString(utf8: $0, to: &viaArray) }
            #expect(one.withBytes { Array($0) } == text, "\(input)")
            #expect(viaArray == text, "\(input)")
        }
        // The serializer's own escapes, checked against the text they stand for.
        #expect(JSON.string("\u{80}x\u{9B}\u{A0}").serialized() == #""\u0080x\u009b\#u{A0}""#)
    }

    @Test("ByteWriter over a caller's buffer writes in place until it is full, then moves to its own and leaves the buffer")
    func byteWriterInPlace() {
        let text = Array("Chi bộ \"Khu 3\" — đảng viên dự bị".utf8)
        var expected: [UInt8] = []
        for _ in 0..<40 { text.withUnsafeBufferPointer { JSON.writeString(utf8: $0, to: &expected) } }
        // A string reserves room for its worst case (every byte escaped as six), so in place needs that much slack.
        let enough = expected.count + 6 * text.count + 2
        for room in [0, 1, 100, expected.count - 1, enough, enough + 50] {
            var buffer = [UInt8](repeating: 0xEE, count: room)
            let (inPlace, bytes) = buffer.withUnsafeMutableBufferPointer { b in
                var w = ByteWriter(over: b)
                for _ in 0..<40 { text.withUnsafeBufferPointer { w.appendJSONString(utf8: $0) } }
                return (w.isInPlace, w.withBytes { Array($0) })
            }
            #expect(bytes == expected, "room \(room)")
            #expect(inPlace == (room >= enough), "room \(room)")
            if inPlace {
                #expect(Array(buffer.prefix(expected.count)) == expected && buffer.dropFirst(expected.count).allSatisfy { $0 == 0xEE })
            }
        }
    }

    @Test("the word-at-a-time scan finds the same escapes as a byte-by-byte one, wherever they fall in a word")
    func escapeScan() {
        // Bytes on both sides of every boundary the word test draws, Vietnamese lead and trail bytes, and 0xC2 before
        // a C1 control, before U+00A0…U+00BF and at the end.
        let alphabet: [UInt8] = [
            0x00, 0x09, 0x0A, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x41, 0x5B, 0x5C, 0x5D, 0x61, 0x7E, 0x7F, 0x80, 0x9B, 0x9F,
            0xA0, 0xBF, 0xC1, 0xC2, 0xC3, 0xE1, 0xBB, 0xFF,
        ]
        /// The rule stated once, byte by byte: what `writeString` escapes.
        func reference(_ b: [UInt8], from: Int) -> Int {
            var i = from
            while i < b.count {
                let u = b[i]
                if u < 0x20 || u == 0x22 || u == 0x5C || u == 0x7F || (u == 0xC2 && i + 1 < b.count && b[i + 1] < 0xA0) { return i }
                i += 1
            }
            return b.count
        }
        var seed: UInt64 = 0x2026_1202
        func next() -> UInt64 {  // SplitMix64: the same cases on every run
            seed &+= 0x9E37_79B9_7F4A_7C15
            var z = seed
            z = (z ^ (z >> 30)) &* 0xBF58_476C_E484_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        /// Mostly plain letters, so that long clean runs (the words skipped) are common; one byte in `k` from `alphabet`.
        func randomBytes(_ count: Int, specialOneIn k: UInt64) -> [UInt8] {
            (0..<count).map { _ in next() % k == 0 ? alphabet[Int(next() % UInt64(alphabet.count))] : UInt8(0x61 + next() % 26) }
        }
        var checked = 0
        for _ in 0..<3_000 {
            let count = Int(next() % 40)
            let bytes = randomBytes(count, specialOneIn: 4)
            bytes.withUnsafeBufferPointer { b in
                for from in 0...count {
                    #expect(JSON.nextEscape(in: b, from: from) == reference(bytes, from: from), "\(bytes) from \(from)")
                    checked += 1
                }
            }
        }
        #expect(checked > 50_000)
        // The writer that scans and copies in one pass writes what the serializer writes, for strings of every length
        // around a word and its tail.
        for _ in 0..<3_000 {
            let count = Int(next() % 40)
            let bytes = randomBytes(count, specialOneIn: 6)
            var w = ByteWriter(capacity: 1)
            var expected: [UInt8] = []
            bytes.withUnsafeBufferPointer { b in
                w.appendJSONString(utf8: b)
                JSON.writeString(utf8: b, to: &expected)
            }
            #expect(w.withBytes { Array($0) } == expected, "\(bytes)")
        }
        // Each class of byte alone, at each position of a word and past it.
        for special: [UInt8] in [[0x00], [0x1F], [0x22], [0x5C], [0x7F], [0xC2, 0x85], [0xC2, 0xA0], [0xC2]] {
            for at in 0..<20 {
                var bytes = [UInt8](repeating: 0x61, count: 24)
                bytes.replaceSubrange(at..<min(24, at + special.count), with: special.prefix(24 - at))
                bytes.withUnsafeBufferPointer { b in
                    #expect(JSON.nextEscape(in: b, from: 0) == reference(bytes, from: 0), "\(special) at \(at)")
                }
            }
        }
    }

    @Test("a record's JSON text is its JSON tree serialized, byte for byte, with every field set or none")
    func recordText() {
        let at = Instant(seconds: 1_764_900_000)
        var full = Record(
            at: at, utcOffset: 25_200, kind: .overdue, workflow: "dang-vien-du-bi", instance: "dang-vien-du-bi/\"a\\b\"",
            state: "chờ-xét", from: "du-bi", to: "cho-xet", event: "bieu-quyet", milestone: "m1", occurrence: "2026-03",
            due: "2026-12-31", previousDue: "2026-12-24", daysLeft: -3, missed: 2, priority: 2, late: 3_600, provisional: true,
            group: "Chi bộ số 3 – Phường \u{1F}", actor: 1_001, message: "Quá hạn 3 ngày «Xét công nhận»\nđảng viên chính thức")
        full.actorName = "Nguyễn Văn An"
        let bare = Record(at: at, utcOffset: -3_600, kind: .started, workflow: "w", instance: nil, priority: 6, message: "")
        for r in [full, bare] {
            #expect(String(decoding: r.jsonText, as: UTF8.self) == r.json.serialized())
        }
    }

    @Test("a repeated key is refused in a small object and in a large one, found in linear time")
    func repeatedKeys() throws {
        #expect(throws: JSON.ParseError.self) { try JSON.parse(#"{"a":1,"b":2,"a":3}"#) }
        // 30,000 keys: a scan per key took half a minute on the control socket's I/O thread.
        let keys = (0..<30_000).map { "\"k\($0)\":0" }
        let big = try JSON.parse("{" + keys.joined(separator: ",") + "}")
        #expect(big.objectValue?.count == 30_000)
        #expect(throws: JSON.ParseError.self) { try JSON.parse("{" + keys.joined(separator: ",") + #","k20":1}"#) }
        #expect(throws: JSON.ParseError.self) { try JSON.parse("{" + keys.prefix(16).joined(separator: ",") + #","k3":1}"#) }
        #expect(throws: JSON.ParseError.self) { try JSON.parse("{" + keys.prefix(17).joined(separator: ",") + #","k16":1}"#) }
    }
}
