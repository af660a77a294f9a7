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
}
