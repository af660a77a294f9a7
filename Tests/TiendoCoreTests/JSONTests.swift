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
        // The serializer's own escapes, checked against the text they stand for.
        #expect(JSON.string("\u{80}x\u{9B}\u{A0}").serialized() == #""\u0080x\u009b\#u{A0}""#)
    }
}
