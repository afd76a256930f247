import GantryNet
import Testing

/// Feeds whole frames (as bytes) through a client parser with RSV1 allowed, the assembler and the inflater,
/// as the connection does; returns what came out.
func inflateFrames(_ frames: [[UInt8]], maxMessage: Int = 1 << 16) -> [String] {
    let parser = WebSocketFrameParser(role: .client, maxFramePayload: maxMessage, allowRSV1: true)
    var assembler = WebSocketMessageAssembler(maxMessage: maxMessage)
    var inflater = WebSocketInflater(maxMessage: maxMessage)
    var out: [String] = []
    for frame in frames {
        var bytes = frame
        bytes.withUnsafeMutableBytes { buffer in
            guard case .frame(let h) = parser.parse(buffer) else {
                out.append("parse failed")
                return
            }
            let payload = UnsafeRawBufferPointer(rebasing: buffer[h.payloadOffset..<h.frameLength])
            switch assembler.receive(h, payload: payload) {
            case .compressedMessage(_, let p):
                switch inflater.inflate(p) {
                case .success(let m): out.append(String(decoding: m, as: UTF8.self))
                case .failure(let f): out.append("\(f)")
                }
            case .message(_, let p): out.append("plain:" + String(decoding: p, as: UTF8.self))
            case .fragment: out.append("fragment")
            case .violation(let code, let why): out.append("violation \(code.rawValue): \(why)")
            default: out.append("other")
            }
        }
    }
    return out
}

@Suite("permessage-deflate (RFC 7692)")
struct PerMessageDeflateTests {
    // RFC 7692 §7.2.3: "Hello" compressed, in one frame and in two fragments.
    @Test("the RFC's compressed, fragmented, shared-window, stored-block and two-block examples inflate to Hello")
    func rfcExamples() {
        #expect(inflateFrames([[0xC1, 0x07, 0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]]) == ["Hello"])
        #expect(inflateFrames([[0x41, 0x03, 0xF2, 0x48, 0xCD], [0x80, 0x04, 0xC9, 0xC9, 0x07, 0x00]]) == ["fragment", "Hello"])
        // §7.2.3.2: the second message refers back into the window the first one filled.
        #expect(inflateFrames([
            [0xC1, 0x07, 0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], [0xC1, 0x05, 0xF2, 0x00, 0x11, 0x00, 0x00],
        ]) == ["Hello", "Hello"])
        // §7.2.3.3: a stored (uncompressed) DEFLATE block; §7.2.3.4: two blocks in one message.
        #expect(inflateFrames([[0xC1, 0x0B, 0x00, 0x05, 0x00, 0xFA, 0xFF, 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x00]]) == ["Hello"])
        #expect(inflateFrames([[0xC1, 0x0D, 0xF2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xCA, 0xC9, 0xC9, 0x07, 0x00]]) == ["Hello"])
        // An uncompressed message on the same connection (RSV1 clear) passes through.
        #expect(inflateFrames([[0x81, 0x02, 0x68, 0x69]]) == ["plain:hi"])
    }

    @Test("RSV1 on a continuation frame, corrupt data and a bomb past the limit are refused")
    func badInput() {
        #expect(inflateFrames([[0x41, 0x03, 0xF2, 0x48, 0xCD], [0xC0, 0x04, 0xC9, 0xC9, 0x07, 0x00]])
            == ["fragment", "violation 1002: RSV1 set on a continuation frame"])
        #expect(inflateFrames([[0xC1, 0x03, 0xFF, 0xFF, 0xFF]]).first?.hasPrefix("corrupt") == true)
        // 100 kB of zeros deflate to ~100 bytes; the limit is 1 kB.
        var deflater = WebSocketDeflater(windowBits: 15, noContextTakeover: false)
        let zeros = [UInt8](repeating: 0, count: 100_000)
        let compressed = zeros.withUnsafeBytes { Array(deflater.deflate($0)) }
        #expect(compressed.count < 1_000)
        let frame: [UInt8] = [0xC2, 126, UInt8(compressed.count >> 8), UInt8(compressed.count & 0xFF)] + compressed
        #expect(inflateFrames([frame], maxMessage: 1_024) == ["tooBig"])
    }

    @Test("our deflater's output inflates back, with and without context takeover")
    func roundTrip() {
        for noContext in [false, true] {
            var deflater = WebSocketDeflater(windowBits: 12, noContextTakeover: noContext)
            var inflater = WebSocketInflater(maxMessage: 1 << 16)
            let depth = Array("{\"e\":\"depthUpdate\",\"s\":\"BTCUSDT\",\"b\":[[\"97123.45000000\",\"0.01234000\"]]}".utf8)
            var sizes: [Int] = []
            for _ in 0..<3 {
                let compressed = depth.withUnsafeBytes { Array(deflater.deflate($0)) }
                sizes.append(compressed.count)
                let back = compressed.withUnsafeBytes { p -> [UInt8]? in
                    guard case .success(let m) = inflater.inflate(p) else { return nil }
                    return Array(m)
                }
                #expect(back == depth)
            }
            // With the window kept, repeats compress to a back-reference; without, every message costs the same.
            if noContext { #expect(sizes[0] == sizes[2]) } else { #expect(sizes[2] < sizes[0] / 3) }
        }
    }

    @Test("negotiation: the server's answer is checked parameter by parameter")
    func parseResponse() throws {
        #expect(try PerMessageDeflateParameters.parseResponse("permessage-deflate") == PerMessageDeflateParameters())
        let p = try PerMessageDeflateParameters.parseResponse(
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=10; server_max_window_bits=\"12\"")
        #expect(p.serverNoContextTakeover && !p.clientNoContextTakeover)
        #expect(p.clientMaxWindowBits == 10 && p.serverMaxWindowBits == 12)
        for bad in [
            "x-webkit-deflate-frame", "permessage-deflate, permessage-deflate", "permessage-deflate; client_max_window_bits",
            "permessage-deflate; server_max_window_bits=16", "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover", "permessage-deflate; mystery=1",
            "permessage-deflate; server_no_context_takeover=1",
        ] {
            #expect(throws: WebSocketHandshakeError.self, "\(bad)") { try PerMessageDeflateParameters.parseResponse(bad) }
        }
    }

    @Test("negotiation: the server side takes the first acceptable offer")
    func accept() {
        let chosen = PerMessageDeflateParameters.accept(
            offers: "permessage-deflate; server_max_window_bits=8, permessage-deflate; client_max_window_bits; server_no_context_takeover")
        #expect(chosen?.response == "permessage-deflate; server_no_context_takeover")
        #expect(chosen?.parameters.serverNoContextTakeover == true)
        #expect(PerMessageDeflateParameters.accept(offers: "permessage-deflate; client_max_window_bits=10")?.parameters.clientMaxWindowBits == 10)
        #expect(PerMessageDeflateParameters.accept(offers: "x-webkit-deflate-frame") == nil)
        #expect(PerMessageDeflateParameters.accept(offers: "permessage-deflate; bogus") == nil)
    }

    @Test("a server that answers with an extension we did not offer is refused")
    func unoffered() throws {
        let accept = WebSocketHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==")
        let text = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(accept)\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
        let parsed = try Array(text.utf8).withUnsafeBytes { try parseHTTPHead($0) }
        guard case .head(let head) = parsed else {
            Issue.record("the response did not parse")
            return
        }
        #expect(throws: WebSocketHandshakeError.unrequestedExtension("permessage-deflate")) {
            try WebSocketHandshake.validate(response: head, key: "dGhlIHNhbXBsZSBub25jZQ==")
        }
        #expect(try WebSocketHandshake.validate(response: head, key: "dGhlIHNhbXBsZSBub25jZQ==", offeredDeflate: true) != nil)
    }
}
