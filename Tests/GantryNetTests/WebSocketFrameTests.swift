import GantryNet
import Testing

/// Parses `bytes` (a copy) and returns the result and the payload as text, if a frame.
func parse(_ bytes: [UInt8], role: WebSocketFrameParser.Role, max: Int = 1 << 20) -> (WebSocketParseResult, [UInt8]) {
    var copy = bytes
    return copy.withUnsafeMutableBytes { buffer in
        let result = WebSocketFrameParser(role: role, maxFramePayload: max).parse(buffer)
        if case .frame(let h) = result {
            return (result, Array(buffer[h.payloadOffset..<h.frameLength]))
        }
        return (result, [])
    }
}

/// Builds a frame with the writer: header, then the payload masked with `key` if given.
func frame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, key: UInt32? = nil) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: WebSocketFrameWriter.maxHeaderLength)
    let n = header.withUnsafeMutableBytes {
        WebSocketFrameWriter.writeHeader(into: $0, fin: fin, opcode: opcode, length: payload.count, maskKey: key)
    }
    var body = payload
    if let key { body.withUnsafeMutableBytes { WebSocketMask.apply(key: key, to: $0) } }
    return Array(header[0..<n]) + body
}

let hello = Array("Hello".utf8)
/// RFC 6455 §5.7's masking key 37 fa 21 3d, as the wire bytes loaded natively.
let rfcKey: UInt32 = ([0x37, 0xFA, 0x21, 0x3D] as [UInt8]).withUnsafeBytes { $0.load(as: UInt32.self) }

@Suite("RFC 6455 frames")
struct WebSocketFrameTests {
    @Test("the RFC's own examples (§5.7) parse to their payloads")
    func rfcExamples() {
        let unmasked: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]
        let masked: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        let (r1, p1) = parse(unmasked, role: .client)
        #expect(r1 == .frame(WebSocketFrameHeader(fin: true, rsv1: false, opcode: .text, payloadOffset: 2, payloadLength: 5)))
        #expect(p1 == hello)
        let (r2, p2) = parse(masked, role: .server)
        #expect(r2 == .frame(WebSocketFrameHeader(fin: true, rsv1: false, opcode: .text, payloadOffset: 6, payloadLength: 5)))
        #expect(p2 == hello)
        let first: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6C]
        let (r3, p3) = parse(first, role: .client)
        #expect(r3 == .frame(WebSocketFrameHeader(fin: false, rsv1: false, opcode: .text, payloadOffset: 2, payloadLength: 3)))
        #expect(p3 == Array("Hel".utf8))
        let pong: [UInt8] = [0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        #expect(parse(pong, role: .server).1 == hello)
        // The writer produces the RFC's bytes exactly.
        #expect(frame(.text, hello) == unmasked)
        #expect(frame(.text, hello, key: rfcKey) == masked)
        let binary256 = frame(.binary, [UInt8](repeating: 7, count: 256))
        #expect(Array(binary256[0..<4]) == [0x82, 0x7E, 0x01, 0x00])
        let binary64k = frame(.binary, [UInt8](repeating: 7, count: 65_536))
        #expect(Array(binary64k[0..<10]) == [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])
    }

    static let sizes = [0, 1, 7, 8, 9, 125, 126, 127, 1_000, 65_535, 65_536, 70_001]

    @Test("every frame parses whole, and every prefix asks for more bytes", arguments: sizes)
    func everyPrefix(size: Int) {
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for (role, key) in [(WebSocketFrameParser.Role.client, UInt32?.none), (.server, rfcKey)] {
            let bytes = frame(.binary, payload, key: key)
            let (whole, body) = parse(bytes, role: role)
            guard case .frame(let h) = whole else {
                Issue.record("size \(size): \(whole)")
                continue
            }
            #expect(h.frameLength == bytes.count)
            #expect(body == payload)
            // Split at every offset (byte by byte for small frames; sampled for large ones).
            let step = bytes.count > 2_000 ? 997 : 1
            for end in stride(from: 0, to: bytes.count, by: step) {
                let (partial, _) = parse(Array(bytes[0..<end]), role: role)
                #expect(partial == .needMoreBytes, "size \(size) prefix \(end)")
            }
        }
    }

    @Test("two frames back to back parse one after the other")
    func backToBack() {
        let bytes = frame(.text, hello) + frame(.ping, Array("p".utf8))
        let (first, _) = parse(bytes, role: .client)
        guard case .frame(let h) = first else { Issue.record("\(first)"); return }
        let (second, body) = parse(Array(bytes[h.frameLength...]), role: .client)
        guard case .frame(let h2) = second else { Issue.record("\(second)"); return }
        #expect(h2.opcode == .ping && body == Array("p".utf8))
    }

    @Test("masking a word at a time equals masking byte by byte, at every length and alignment")
    func maskMatchesDefinition() {
        for length in 0..<40 {
            for shift in 0..<8 {
                var data = (0..<(length + shift)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
                let original = data
                data.withUnsafeMutableBytes { WebSocketMask.apply(key: rfcKey, to: UnsafeMutableRawBufferPointer(rebasing: $0[shift...])) }
                let keyBytes: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
                let expected = Array(original[0..<shift]) + original[shift...].enumerated().map { $0.element ^ keyBytes[$0.offset % 4] }
                #expect(data == expected, "length \(length) shift \(shift)")
            }
        }
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let role: WebSocketFrameParser.Role
        let code: WebSocketCloseCode
        var testDescription: String { name }
    }

    static let bad: [Bad] = [
        Bad(name: "RSV1 without extension", bytes: [0xC1, 0x00], role: .client, code: .protocolError),
        Bad(name: "RSV2 set", bytes: [0xA1, 0x00], role: .client, code: .protocolError),
        Bad(name: "RSV3 set", bytes: [0x91, 0x00], role: .client, code: .protocolError),
        Bad(name: "opcode 3", bytes: [0x83, 0x00], role: .client, code: .protocolError),
        Bad(name: "opcode 0xB", bytes: [0x8B, 0x00], role: .client, code: .protocolError),
        Bad(name: "fragmented ping", bytes: [0x09, 0x00], role: .client, code: .protocolError),
        Bad(name: "close payload of 126", bytes: [0x88, 0x7E, 0x00, 0x7E], role: .client, code: .protocolError),
        Bad(name: "unmasked client frame to a server", bytes: [0x81, 0x00], role: .server, code: .protocolError),
        Bad(name: "masked server frame to a client", bytes: [0x81, 0x80, 1, 2, 3, 4], role: .client, code: .protocolError),
        Bad(name: "16-bit length under 126", bytes: [0x82, 0x7E, 0x00, 0x05], role: .client, code: .protocolError),
        Bad(name: "64-bit length under 65536", bytes: [0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0x01, 0x00], role: .client, code: .protocolError),
        Bad(name: "64-bit length with the high bit", bytes: [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0], role: .client, code: .protocolError),
        Bad(name: "oversize frame", bytes: [0x82, 0x7F, 0, 0, 0, 0, 0x40, 0, 0, 0], role: .client, code: .messageTooBig),
    ]

    @Test("protocol violations are reported with the close code to send", arguments: bad)
    func violations(_ c: Bad) {
        let (result, _) = parse(c.bytes, role: c.role)
        guard case .violation(let code, let reason) = result else {
            Issue.record("\(c.name): \(result)")
            return
        }
        #expect(code == c.code)
        #expect(!reason.isEmpty)
    }

    @Test("a frame over the configured limit is refused before its payload arrives")
    func limit() {
        let (result, _) = parse([0x82, 0x7E, 0x10, 0x00], role: .client, max: 1_000)
        #expect(result == .violation(.messageTooBig, reason: "frame of 4096 bytes"))
    }
}
