import GantryCore

/// Why an opening handshake failed (RFC 6455 §4.1–4.2). Each names what was wrong.
public enum WebSocketHandshakeError: Error, Equatable, Sendable, CustomStringConvertible {
    case http(HTTPHeadError)
    case status(Int)
    case missingUpgrade
    case missingConnectionUpgrade
    case badAccept(expected: String, got: String?)
    case unrequestedExtension(String)
    case badRequest(String)

    public var description: String {
        switch self {
        case .http(let e): "handshake response is not HTTP: \(e)"
        case .status(let s): "handshake answered \(s), expected 101"
        case .missingUpgrade: "handshake response lacks Upgrade: websocket"
        case .missingConnectionUpgrade: "handshake response lacks Connection: Upgrade"
        case .badAccept(let e, let g): "Sec-WebSocket-Accept is \(g ?? "missing"), expected \(e)"
        case .unrequestedExtension(let x): "server chose extension \(x), which was not offered"
        case .badRequest(let why): "bad handshake request: \(why)"
        }
    }
}

/// The opening handshake: the client's request, the server's answer, and the checks of each.
public enum WebSocketHandshake {
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// base64(SHA-1(key + GUID)), the value the server must return for `key`.
    public static func acceptValue(forKey key: String) -> String {
        Base64.encode(Crypto.sha1(Array((key + guid).utf8)))
    }

    /// A fresh Sec-WebSocket-Key: 16 random bytes, base64.
    public static func makeKey() -> String { Base64.encode(Crypto.randomBytes(16)) }

    /// The client's upgrade request.
    /// - Parameters:
    ///   - host: The Host header (with ":port" when not the default).
    ///   - path: The request target, e.g. "/ws" or "/stream?streams=btcusdt@depth".
    ///   - key: From `makeKey()`.
    ///   - extraHeaders: E.g. a User-Agent; never secrets (they would be logged by proxies).
    public static func clientRequest(host: String, path: String, key: String, extraHeaders: [(String, String)] = []) -> [UInt8] {
        var text = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        text += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in extraHeaders { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// Checks the server's answer to a request made with `key`.
    /// - Parameter offeredDeflate: Whether the request offered permessage-deflate (`PerMessageDeflateParameters.clientOffer`).
    /// - Returns: The agreed permessage-deflate parameters, nil if the server declined (or none was offered).
    /// - Throws: `WebSocketHandshakeError` naming the first problem.
    @discardableResult
    public static func validate(
        response head: HTTPHead, key: String, offeredDeflate: Bool = false
    ) throws(WebSocketHandshakeError) -> PerMessageDeflateParameters? {
        guard head.status == 101 else { throw .status(head.status) }
        guard head.header("Upgrade")?.lowercased() == "websocket" else { throw .missingUpgrade }
        guard head.header("Connection", containsToken: "upgrade") else { throw .missingConnectionUpgrade }
        let expected = acceptValue(forKey: key)
        let got = head.header("Sec-WebSocket-Accept")
        guard got == expected else { throw .badAccept(expected: expected, got: got) }
        guard let ext = head.header("Sec-WebSocket-Extensions"), !ext.isEmpty else { return nil }
        guard offeredDeflate else { throw .unrequestedExtension(ext) }
        return try PerMessageDeflateParameters.parseResponse(ext)
    }

    /// The server's 101 answer to a client's upgrade request (for the venue simulator).
    /// - Parameter deflate: The permessage-deflate response value, if the server accepted the client's offer.
    /// - Throws: `.badRequest` if the request is not a valid upgrade (the caller answers 400).
    public static func serverResponse(to request: HTTPHead, deflate: String? = nil) throws(WebSocketHandshakeError) -> [UInt8] {
        guard request.startLine.0 == "GET", request.startLine.2 == "HTTP/1.1" else { throw .badRequest("not GET … HTTP/1.1") }
        guard request.header("Upgrade")?.lowercased() == "websocket" else { throw .badRequest("no Upgrade: websocket") }
        guard request.header("Connection", containsToken: "upgrade") else { throw .badRequest("no Connection: Upgrade") }
        guard request.header("Sec-WebSocket-Version") == "13" else { throw .badRequest("Sec-WebSocket-Version is not 13") }
        guard let key = request.header("Sec-WebSocket-Key"), key.utf8.count == 24 else {
            throw .badRequest("Sec-WebSocket-Key is not 16 bytes of base64")
        }
        var text = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(acceptValue(forKey: key))\r\n"
        if let deflate { text += "Sec-WebSocket-Extensions: \(deflate)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }
}
