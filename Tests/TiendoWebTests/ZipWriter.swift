import CZlib

@testable import TiendoSheets

/// ZIP archives for the tests of the workbook import (`ZipArchive` reads them): entries deflated by zlib, or given
/// as they are, with whatever sizes and checksum a test wants to claim.
enum ZipWriter {
    struct Entry {
        var name: String
        var data: [UInt8]
        var method: UInt16 = 8
        var size: Int
        var crc: UInt32
    }

    /// Each part deflated, with its true size and checksum.
    static func archive(_ parts: [(String, [UInt8])]) -> [UInt8] {
        archive(entries: parts.map { Entry(name: $0.0, data: deflated($0.1), size: $0.1.count, crc: ZipArchive.crc32($0.1)) })
    }

    static func archive(entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = []
        var directory: [UInt8] = []
        func u16(_ v: Int, _ to: inout [UInt8]) { to += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: Int, _ to: inout [UInt8]) {
            to += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)]
        }
        // The fields the local header and the directory's entry share, from "version needed" to the name's length
        // (a fixed date, 06/12/2025, and no flags).
        func shared(_ e: Entry, _ name: [UInt8], _ to: inout [UInt8]) {
            for v in [20, 0, Int(e.method), 0, 0x5B86] { u16(v, &to) }
            for v in [Int(e.crc), e.data.count, e.size] { u32(v, &to) }
            u16(name.count, &to)
        }
        for e in entries {
            let name = Array(e.name.utf8)
            let offset = out.count
            u32(0x0403_4B50, &out)
            shared(e, name, &out)
            u16(0, &out)
            out += name + e.data
            u32(0x0201_4B50, &directory)
            u16(20, &directory)
            shared(e, name, &directory)
            directory += Array(repeating: 0, count: 12)
            u32(offset, &directory)
            directory += name
        }
        let start = out.count
        out += directory
        u32(0x0605_4B50, &out)
        u32(0, &out)
        u16(entries.count, &out)
        u16(entries.count, &out)
        u32(directory.count, &out)
        u32(start, &out)
        u16(0, &out)
        return out
    }

    /// Raw deflate (no zlib header), as ZIP stores it.
    static func deflated(_ bytes: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        precondition(
            deflateInit2_(
                &stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
                == Z_OK)
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
        var input = bytes
        let written: Int = input.withUnsafeMutableBufferPointer { inBuffer in
            out.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return Int(stream.total_out)
            }
        }
        return Array(out.prefix(written))
    }
}
