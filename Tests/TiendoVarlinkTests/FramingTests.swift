import Testing
import TiendoCore

@testable import TiendoVarlink

/// Feeds `chunks` to a fresh reader, collecting messages after each one.
private func read(_ chunks: [[UInt8]], max: Int = VarlinkFraming.maxMessageBytes) throws -> [JSON] {
    var reader = VarlinkMessageReader(maxMessageBytes: max)
    var out: [JSON] = []
    for c in chunks {
        reader.append(c)
        while let m = try reader.nextMessage() { out.append(m) }
    }
    try reader.finish()
    return out
}

private let messages: [JSON] = [
    .object([("method", .string("vn.tiendo.Manager.GetStatus"))]),
    .object([("parameters", .object([("id", .string("bau-cu-xvi/tây-hồ")), ("n", .int(-42))])), ("continues", .bool(true))]),
    .object([("error", .string("vn.tiendo.Manager.NoSuchInstance")), ("parameters", .object([("id", .string("a\u{0}b"))]))]),
]
private let stream: [UInt8] = messages.flatMap(VarlinkFraming.frame)

@Suite struct FramingTests {
    @Test("several messages in one chunk come out in order")
    func severalInOneChunk() throws {
        #expect(try read([stream]) == messages)
    }

    @Test("a stream split at every byte boundary gives the same messages")
    func everySplit() throws {
        for i in 0...stream.count {
            #expect(try read([Array(stream[..<i]), Array(stream[i...])]) == messages, "split at \(i)")
        }
        #expect(try read(stream.map { [$0] }) == messages)
    }

    @Test("an escaped NUL inside a string is not a terminator")
    func escapedNul() throws {
        let text = String(decoding: VarlinkFraming.frame(messages[2]).dropLast(), as: UTF8.self)
        #expect(text.contains("\\u0000"))
        #expect(try read([VarlinkFraming.frame(messages[2])]) == [messages[2]])
    }

    @Test("each byte is searched once and moved at most twice (compaction, the buffer's doubling), however the stream is cut")
    func linear() throws {
        // A 6 MiB reply arriving in 64 KiB pieces, followed by small messages in 1-byte pieces.
        let big = VarlinkFraming.frame(.object([("parameters", .object([("blob", .string(String(repeating: "x", count: 6 << 20)))]))]))
        let small = Array(stream)
        var reader = VarlinkMessageReader()
        var got = 0
        var offset = 0
        while offset < big.count {
            let end = min(offset + (64 << 10), big.count)
            reader.append(big[offset..<end])
            offset = end
            while try reader.nextMessage() != nil { got += 1 }
        }
        for b in small {
            reader.append([b])
            while try reader.nextMessage() != nil { got += 1 }
        }
        #expect(got == 1 + messages.count)
        #expect(reader.searchedByteCount == big.count + small.count)
        #expect(reader.movedByteCount <= 2 * (big.count + small.count))
        #expect(!reader.hasPartialMessage)
    }

    @Test("a message over the byte budget is an error, one at the budget is not")
    func oversize() throws {
        let atLimit = VarlinkFraming.frame(.string(String(repeating: "a", count: 98)))  // 100 bytes + NUL
        #expect(try read([atLimit], max: 100) == [.string(String(repeating: "a", count: 98))])
        #expect(throws: VarlinkFramingError.messageTooLarge(limit: 99)) { try read([atLimit], max: 99) }
        // Reported as soon as the budget is exceeded, without waiting for the NUL.
        var reader = VarlinkMessageReader(maxMessageBytes: 100)
        reader.append([UInt8](repeating: UInt8(ascii: " "), count: 100))
        #expect(try reader.nextMessage() == nil)
        reader.append([UInt8(ascii: " ")])
        #expect(throws: VarlinkFramingError.messageTooLarge(limit: 100)) { try reader.nextMessage() }
        #expect("\(VarlinkFramingError.messageTooLarge(limit: 8 << 20))".contains("8 MiB"))
    }

    @Test("bytes without a terminator at the end of the stream are reported")
    func missingTerminator() throws {
        #expect(throws: VarlinkFramingError.truncated(bytes: 5)) { try read([stream + Array("{\"a\":".utf8)]) }
        var reader = VarlinkMessageReader()
        reader.append(Array("{}".utf8))
        #expect(try reader.nextMessage() == nil)
        #expect(reader.hasPartialMessage && reader.bufferedByteCount == 2)
        #expect(throws: VarlinkFramingError.truncated(bytes: 2)) { try reader.finish() }
    }

    @Test("invalid JSON or UTF-8 is reported and consumed; the next message still reads")
    func invalidMessages() throws {
        for bad: [UInt8] in [Array("{\"a\":}".utf8), [0x22, 0xFF, 0xFE, 0x22], Array("{\"a\":1} x".utf8), []] {
            var reader = VarlinkMessageReader()
            reader.append(bad + [0] + VarlinkFraming.frame(messages[0]))
            do {
                _ = try reader.nextMessage()
                Issue.record("accepted \(bad)")
            } catch {
                guard case .invalidJSON = error else {
                    Issue.record("\(error)")
                    continue
                }
            }
            #expect(try reader.nextMessage() == messages[0])
        }
    }

    @Test("receive writes into the reader's own buffer: any split reads whole, no old byte shows through, room is kept")
    func receiveInPlace() throws {
        let big = VarlinkFraming.frame(.object([("blob", .string(String(repeating: "x", count: 300_000)))]))
        let small = VarlinkFraming.frame(messages[1])
        let replies = [big, small, big, small, small]
        for retained in [1 << 20, 1000] {
            var reader = VarlinkMessageReader()
            reader.retainedBytes = retained
            var got: [[UInt8]] = []
            var movedAfterFirstBig = 0
            for (round, framed) in replies.enumerated() {
                var offset = 0
                var calls = 0
                while offset < framed.count {
                    calls += 1
                    let n = reader.receive(room: 1000) { raw in
                        // Pieces of odd sizes, never more than the room offered; every third call nothing.
                        let n = min(raw.count, framed.count - offset, calls % 3 == 0 ? 0 : 6_997 + round)
                        framed.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + n])) }
                        return n
                    }
                    offset += n
                    while let m = try reader.nextMessageBytes() { got.append(m) }
                }
                if round == 0 { movedAfterFirstBig = reader.movedByteCount }
            }
            #expect(got == replies.map { Array($0.dropLast()) }, "retained \(retained)")
            #expect(!reader.hasPartialMessage)
            if retained > big.count {
                #expect(reader.movedByteCount == movedAfterFirstBig, "the second big reply found its room")
            } else {
                #expect(reader.movedByteCount > movedAfterFirstBig, "the room was given back, so it grew again")
            }
        }
    }

    @Test("raw message bytes come without the terminator")
    func rawBytes() throws {
        var reader = VarlinkMessageReader()
        reader.append(stream)
        #expect(try reader.nextMessageBytes() == messages[0].bytes())
        #expect(try reader.nextMessage() == messages[1])
        #expect(try reader.nextMessageBytes() == messages[2].bytes())
        #expect(try reader.nextMessageBytes() == nil)
    }
}

@Suite struct EnvelopeTests {
    @Test("a call round-trips; empty parameters and false flags are left out")
    func request() throws {
        let r = VarlinkRequest(method: "vn.tiendo.Manager.Watch", more: true)
        #expect(r.json.serialized() == #"{"method":"vn.tiendo.Manager.Watch","more":true}"#)
        let full = VarlinkRequest(method: "m.X", parameters: [("a", .int(1))], oneway: true)
        #expect(try VarlinkRequest(json: full.json) == full)
        #expect(full.framed().last == 0)
        #expect(try VarlinkRequest(json: JSON.parse(#"{"method":"m.X","parameters":null}"#)).parameterList.isEmpty)
    }

    @Test("calls and replies of the wrong shape are named")
    func malformed() throws {
        #expect(throws: VarlinkEnvelopeError.notAnObject) { try VarlinkRequest(json: .array([])) }
        #expect(throws: VarlinkEnvelopeError.missingMethod) { try VarlinkRequest(json: JSON.parse(#"{"method":1}"#)) }
        #expect(throws: VarlinkEnvelopeError.parametersNotAnObject) {
            try VarlinkRequest(json: JSON.parse(#"{"method":"a.B","parameters":[]}"#))
        }
        #expect(throws: VarlinkEnvelopeError.invalidMember("error")) { try VarlinkResponse(json: JSON.parse(#"{"error":3}"#)) }
        #expect(throws: VarlinkEnvelopeError.invalidMember("continues")) {
            try VarlinkResponse(json: JSON.parse(#"{"continues":"yes"}"#))
        }
    }

    @Test("a reply round-trips in tiendod's member order, and an error reply becomes a VarlinkError")
    func response() throws {
        let r = VarlinkResponse(parameters: [("id", .string("x/y"))], error: "vn.tiendo.Manager.NoSuchInstance")
        #expect(r.json.serialized() == #"{"error":"vn.tiendo.Manager.NoSuchInstance","parameters":{"id":"x/y"}}"#)
        #expect(try VarlinkResponse(json: r.json) == r)
        let e = try #require(r.varlinkError)
        #expect(e.shortName == "NoSuchInstance" && e.interface == "vn.tiendo.Manager" && e["id"] == .string("x/y"))
        #expect(try VarlinkResponse(json: JSON.parse(#"{"continues":true}"#)).parameters == .object([]))
    }
}
