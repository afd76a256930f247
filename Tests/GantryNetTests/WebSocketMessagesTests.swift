import GantryNet
import Testing

/// Feeds frames (built with `frame`) through the parser and an assembler; returns what each produced.
func assemble(_ frames: [[UInt8]], maxMessage: Int = 1 << 16) -> [String] {
    var assembler = WebSocketMessageAssembler(maxMessage: maxMessage)
    let parser = WebSocketFrameParser(role: .client)
    var out: [String] = []
    for f in frames {
        var bytes = f
        let text: String = bytes.withUnsafeMutableBytes { buffer in
            guard case .frame(let h) = parser.parse(buffer) else { return "parse failed" }
            let payload = UnsafeRawBufferPointer(rebasing: buffer[h.payloadOffset..<h.frameLength])
            switch assembler.receive(h, payload: payload) {
            case .message(let op, let p): return "\(op == .text ? "text" : "binary"):\(String(decoding: p, as: UTF8.self))"
            case .compressedMessage(let op, let p): return "compressed \(op == .text ? "text" : "binary"):\(p.count)"
            case .fragment: return "fragment"
            case .ping(let p): return "ping:\(String(decoding: p, as: UTF8.self))"
            case .pong(let p): return "pong:\(String(decoding: p, as: UTF8.self))"
            case .close(let code, let reason): return "close:\(code):\(String(decoding: reason, as: UTF8.self))"
            case .violation(let code, _): return "violation:\(code.rawValue)"
            }
        }
        out.append(text)
    }
    return out
}

func closeFrame(_ code: UInt16, _ reason: [UInt8] = []) -> [UInt8] {
    frame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)] + reason)
}

@Suite("WebSocket messages")
struct WebSocketMessagesTests {
    @Test("an unfragmented message comes out whole")
    func whole() {
        #expect(assemble([frame(.text, hello)]) == ["text:Hello"])
        #expect(assemble([frame(.binary, [0x41, 0x42])]) == ["binary:AB"])
    }

    @Test("fragments are joined, with pings and pongs answered in between")
    func fragmentsWithControlFrames() {
        let frames = [
            frame(.text, Array("He".utf8), fin: false), frame(.ping, Array("p1".utf8)),
            frame(.continuation, Array("ll".utf8), fin: false), frame(.pong, Array("p2".utf8)),
            frame(.continuation, Array("o".utf8)), frame(.binary, Array("next".utf8)),
        ]
        #expect(assemble(frames) == ["fragment", "ping:p1", "fragment", "pong:p2", "text:Hello", "binary:next"])
    }

    @Test("a code point split across fragments is valid")
    func utf8AcrossFragments() {
        let euro: [UInt8] = [0xE2, 0x82, 0xAC]
        let frames = [frame(.text, [euro[0]], fin: false), frame(.continuation, [euro[1]], fin: false), frame(.continuation, [euro[2]])]
        #expect(assemble(frames) == ["fragment", "fragment", "text:€"])
    }

    @Test("continuation rules are enforced with 1002")
    func continuationRules() {
        #expect(assemble([frame(.continuation, hello)]) == ["violation:1002"])
        #expect(assemble([frame(.text, hello, fin: false), frame(.text, hello)]) == ["fragment", "violation:1002"])
    }

    @Test("invalid UTF-8 in text closes with 1007, whole or fragmented, or cut inside a code point")
    func invalidText() {
        #expect(assemble([frame(.text, [0xC0, 0x80])]) == ["violation:1007"])
        #expect(assemble([frame(.text, [0x41], fin: false), frame(.continuation, [0xED, 0xA0, 0x80])]) == ["fragment", "violation:1007"])
        #expect(assemble([frame(.text, [0xE2, 0x82], fin: false), frame(.continuation, [])]) == ["fragment", "violation:1007"])
        #expect(assemble([frame(.binary, [0xC0, 0x80])]) == ["binary:" + String(decoding: [0xC0, 0x80], as: UTF8.self)])
    }

    @Test("a message over the limit closes with 1009")
    func tooBig() {
        let frames = [frame(.binary, [UInt8](repeating: 1, count: 60), fin: false), frame(.continuation, [UInt8](repeating: 1, count: 60))]
        #expect(assemble(frames, maxMessage: 100) == ["fragment", "violation:1009"])
    }

    @Test("close frames: empty means 1005; codes and reasons are checked")
    func closeFrames() {
        #expect(assemble([frame(.close, [])]) == ["close:1005:"])
        #expect(assemble([closeFrame(1000, Array("bye".utf8))]) == ["close:1000:bye"])
        #expect(assemble([closeFrame(4001)]) == ["close:4001:"])
        #expect(assemble([frame(.close, [0x03])]) == ["violation:1002"])
        for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
            #expect(assemble([closeFrame(code)]) == ["violation:1002"], "code \(code)")
        }
        #expect(assemble([closeFrame(1000, [0xFF])]) == ["violation:1007"])
    }
}
