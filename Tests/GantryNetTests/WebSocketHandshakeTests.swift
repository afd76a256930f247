import Foundation
import GantryNet
import Testing

func head(_ text: String) throws -> HTTPHead {
    let bytes = Array(text.utf8)
    let result = try bytes.withUnsafeBytes { try parseHTTPHead($0) }
    guard case .head(let h) = result else { throw HTTPHeadError.badStartLine("incomplete") }
    return h
}

@Suite("Opening handshake")
struct WebSocketHandshakeTests {
    @Test("the accept value of the RFC's example key (§1.3)")
    func rfcAccept() {
        #expect(WebSocketHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test("keys are 16 fresh random bytes")
    func keys() {
        let a = WebSocketHandshake.makeKey()
        let b = WebSocketHandshake.makeKey()
        #expect(a.utf8.count == 24 && b.utf8.count == 24 && a != b)
    }

    @Test("our server's answer to our client's request validates")
    func roundTrip() throws {
        let key = WebSocketHandshake.makeKey()
        let request = WebSocketHandshake.clientRequest(host: "stream.example:9443", path: "/ws/btcusdt@depth", key: key)
        let parsed = try head(String(decoding: request, as: UTF8.self))
        #expect(parsed.startLine == ("GET", "/ws/btcusdt@depth", "HTTP/1.1"))
        #expect(parsed.length == request.count)
        let response = try WebSocketHandshake.serverResponse(to: parsed)
        let answer = try head(String(decoding: response, as: UTF8.self))
        try WebSocketHandshake.validate(response: answer, key: key)
    }

    @Test("a wrong or missing accept, a non-101 status, missing upgrade headers and unoffered extensions are refused")
    func refusals() throws {
        let key = "dGhlIHNhbXBsZSBub25jZQ=="
        let good = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
        try WebSocketHandshake.validate(response: try head(good), key: key)
        // Header names and the Upgrade/Connection tokens are case-insensitive; Connection may list several tokens.
        try WebSocketHandshake.validate(
            response: try head("HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"),
            key: key)
        #expect(throws: WebSocketHandshakeError.status(200)) {
            try WebSocketHandshake.validate(response: try head("HTTP/1.1 200 OK\r\n\r\n"), key: key)
        }
        #expect(throws: WebSocketHandshakeError.badAccept(expected: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", got: "AAAA")) {
            try WebSocketHandshake.validate(response: try head(good.replacingOccurrences("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "AAAA")), key: key)
        }
        #expect(throws: WebSocketHandshakeError.missingUpgrade) {
            try WebSocketHandshake.validate(response: try head(good.replacingOccurrences("Upgrade: websocket\r\n", "")), key: key)
        }
        #expect(throws: WebSocketHandshakeError.missingConnectionUpgrade) {
            try WebSocketHandshake.validate(response: try head(good.replacingOccurrences("Connection: Upgrade", "Connection: close")), key: key)
        }
        #expect(throws: WebSocketHandshakeError.unrequestedExtension("permessage-deflate")) {
            try WebSocketHandshake.validate(
                response: try head(good.replacingOccurrences("\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n")), key: key)
        }
    }

    @Test("a server refuses requests that are not valid upgrades")
    func badRequests() throws {
        let ok = "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        _ = try WebSocketHandshake.serverResponse(to: try head(ok))
        for (from, to) in [("GET", "POST"), ("Version: 13", "Version: 8"), ("Upgrade: websocket\r\n", ""), ("dGhlIHNhbXBsZSBub25jZQ==", "short")] {
            #expect(throws: WebSocketHandshakeError.self) { _ = try WebSocketHandshake.serverResponse(to: try head(ok.replacingOccurrences(from, to))) }
        }
    }
}

@Suite("HTTP heads")
struct HTTPHeadTests {
    static let response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Mbx-Used-Weight: 5\r\n\r\n{}"

    @Test("every prefix before the blank line asks for more; the whole head parses with the body after it")
    func prefixes() throws {
        let bytes = Array(Self.response.utf8)
        for end in 0..<(bytes.count - 2) {
            let r = try bytes[0..<end].withUnsafeBytes { try parseHTTPHead($0) }
            #expect(r == .needMoreBytes, "prefix \(end)")
        }
        let h = try head(Self.response)
        #expect(h.status == 200)
        #expect(h.header("content-length") == "2")
        #expect(h.length == bytes.count - 2)
    }

    @Test("malformed heads are refused with the line at fault")
    func malformed() {
        #expect(throws: HTTPHeadError.badStartLine("HTTP/1.1200 OK")) { _ = try head("HTTP/1.1200 OK\r\n\r\n") }
        #expect(throws: HTTPHeadError.badHeader("NoColon")) { _ = try head("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n") }
        #expect(throws: HTTPHeadError.badHeader(" Folded: x")) { _ = try head("HTTP/1.1 200 OK\r\n Folded: x\r\n\r\n") }
        let huge = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 20_000)
        #expect(throws: HTTPHeadError.tooLarge(limit: 16_384)) { _ = try head(huge) }
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        replacingOccurrences(of: target, with: replacement)
    }
}
