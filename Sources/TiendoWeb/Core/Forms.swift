import MultipartKit
import NIOCore

/// A submitted form: its fields in order (a name may repeat) and its uploaded files.
struct Form: Sendable {
    struct Upload: Sendable {
        var field: String
        var filename: String
        var bytes: [UInt8]
    }

    var fields: [(String, String)] = []
    var uploads: [Upload] = []

    init(fields: [(String, String)] = [], uploads: [Upload] = []) {
        self.fields = fields
        self.uploads = uploads
    }

    subscript(_ name: String) -> String? { fields.first { $0.0 == name }?.1 }

    /// A field trimmed of spaces; nil when absent or blank.
    func text(_ name: String) -> String? {
        guard let v = self[name]?.trimmingSpaces, !v.isEmpty else { return nil }
        return v
    }

    func upload(_ field: String) -> Upload? { uploads.first { $0.field == field } }

    /// Why a body could not be read as a form.
    struct Malformed: Error, Sendable {
        var reason: String
    }

    /// Reads an `application/x-www-form-urlencoded` or `multipart/form-data` body.
    static func parse(contentType: String?, body: ByteBuffer) throws(Malformed) -> Form {
        let type = contentType?.lowercased() ?? ""
        if type.hasPrefix("multipart/form-data") {
            guard let boundary = Form.parameter("boundary", in: contentType ?? "") else {
                throw Malformed(reason: "biểu mẫu thiếu ranh giới multipart")
            }
            return try multipart(body, boundary: boundary)
        }
        if type.isEmpty || type.hasPrefix("application/x-www-form-urlencoded") {
            // Browsers send a UTF-8 page's forms in UTF-8: bytes that are not (a hand-made request, another
            // encoding) are refused, not stored with «�» in a name.
            guard let text = String(validating: body.readableBytesView, as: UTF8.self) else { throw Malformed(reason: unreadable) }
            var fields: [(String, String)] = []
            for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let name = String(validating: percentDecodedBytes(parts[0]), as: UTF8.self),
                    let value = String(validating: parts.count > 1 ? percentDecodedBytes(parts[1]) : [], as: UTF8.self)
                else { throw Malformed(reason: unreadable) }
                fields.append((name, value))
            }
            return Form(fields: fields)
        }
        throw Malformed(reason: "kiểu nội dung '\(contentType ?? "")' không phải biểu mẫu")
    }

    /// `a=1&b=x+y` → [(a, 1), (b, x y)]; also used for query strings.
    static func urlEncoded(_ text: String) -> [(String, String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (percentDecoded(parts[0]), parts.count > 1 ? percentDecoded(parts[1]) : "")
        }
    }

    /// Why a form with bytes that are not UTF-8 is refused.
    static let unreadable = "chữ gửi lên không phải mã UTF-8"

    static func percentDecoded(_ s: Substring) -> String { String(decoding: percentDecodedBytes(s), as: UTF8.self) }

    static func percentDecodedBytes(_ s: Substring) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = s.utf8.makeIterator()
        while let b = it.next() {
            switch b {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                // A `%` not followed by two hex digits stays as it was written.
                let h = it.next()
                let l = h == nil ? nil : it.next()
                if let h, let l, let v = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16) {
                    bytes.append(v)
                } else {
                    bytes.append(b)
                    if let h { bytes.append(h) }
                    if let l { bytes.append(l) }
                }
            default: bytes.append(b)
            }
        }
        return bytes
    }

    /// `name=value` (quoted or not) in a header such as `multipart/form-data; boundary=x`.
    static func parameter(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingSpaces.lowercased() == name else { continue }
            var v = kv[1].trimmingSpaces
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
            return v
        }
        return nil
    }

    static func multipart(_ body: ByteBuffer, boundary: String) throws(Malformed) -> Form {
        final class Collector {
            var form = Form()
            var unreadable = false
            var headers: [(String, String)] = []
            var bytes: [UInt8] = []
        }
        let c = Collector()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in c.headers.append((name.lowercased(), value)) }
        parser.onBody = { buffer in c.bytes += buffer.readBytes(length: buffer.readableBytes) ?? [] }
        parser.onPartComplete = {
            let disposition = c.headers.first { $0.0 == "content-disposition" }?.1 ?? ""
            if let name = Form.parameter("name", in: disposition) {
                if let filename = Form.parameter("filename", in: disposition) {
                    c.form.uploads.append(Upload(field: name, filename: filename, bytes: c.bytes))
                } else if let value = String(validating: c.bytes, as: UTF8.self) {
                    c.form.fields.append((name, value))
                } else {
                    c.unreadable = true
                }
            }
            c.headers = []
            c.bytes = []
        }
        do { try parser.execute(body) } catch { throw Malformed(reason: "biểu mẫu multipart hỏng") }
        if c.unreadable { throw Malformed(reason: unreadable) }
        return c.form
    }
}
