import GantryNet

/// A request to the control plane, as read off the wire.
public struct ControlHTTPRequest: Sendable, Equatable {
    public var method: String
    /// The path without the query ("/status").
    public var path: String
    /// The query without "?" ("follow=1").
    public var query: String
    public var head: HTTPHead
    public var body: [UInt8]

    /// The bearer token of the `Authorization` header, if it has one.
    public var bearer: String? {
        guard let value = head.header("Authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: " \t")
    }

    /// Whether the query holds `name=1` (or `name=true`).
    public func flag(_ name: String) -> Bool {
        query.split(separator: "&").contains { $0 == "\(name)=1" || $0 == "\(name)=true" }
    }

    /// The client asked to close after this request (`Connection: close`, or HTTP/1.0 without keep-alive).
    public var wantsClose: Bool {
        head.header("Connection", containsToken: "close") || (head.startLine.2 == "HTTP/1.0" && !head.header("Connection", containsToken: "keep-alive"))
    }
}

/// Why a request could not be read; the connection is answered 400 (or 413) and closed.
public enum ControlHTTPError: Error, Equatable, Sendable {
    case head(HTTPHeadError)
    case body(String)
    case tooLarge
}

/// Reads requests off a connection's bytes: a state machine fed what arrived, giving a whole request (head and a
/// `Content-Length` body) or "need more bytes". Control requests are small: a head over 8 KiB or a body over
/// 4 KiB is refused; chunked request bodies are refused.
public struct ControlRequestReader: Sendable {
    var buffer: [UInt8] = []
    public static let headLimit = 8 * 1_024
    public static let bodyLimit = 4 * 1_024

    public init() {}

    /// Adds bytes received.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) { buffer.append(contentsOf: bytes) }

    /// The next whole request, or nil until more bytes arrive. - Throws: `ControlHTTPError`.
    public mutating func next() throws(ControlHTTPError) -> ControlHTTPRequest? {
        let parsed: HTTPHeadResult
        do { parsed = try buffer.withUnsafeBytes { try parseHTTPHead($0, limit: Self.headLimit) } } catch let e as HTTPHeadError { throw .head(e) } catch {
            throw .body("\(error)")
        }
        guard case .head(let head) = parsed else { return nil }
        guard head.startLine.2.hasPrefix("HTTP/1.") else { throw .body("not a request: \(head.startLine.0)") }
        if head.header("Transfer-Encoding") != nil { throw .body("chunked request bodies are not accepted") }
        var length = 0
        if let text = head.header("Content-Length") {
            guard let n = Int(text), n >= 0 else { throw .body("bad Content-Length \(text)") }
            length = n
        }
        guard length <= Self.bodyLimit else { throw .tooLarge }
        guard buffer.count >= head.length + length else { return nil }
        let body = Array(buffer[head.length..<(head.length + length)])
        buffer.removeFirst(head.length + length)
        let target = head.startLine.1
        let path: String, query: String
        if let q = target.firstIndex(of: "?") {
            path = String(target[..<q])
            query = String(target[target.index(after: q)...])
        } else {
            (path, query) = (target, "")
        }
        return ControlHTTPRequest(method: head.startLine.0, path: path, query: query, head: head, body: body)
    }
}

/// An answer of the control plane: status, content type, body, extra headers.
public struct ControlAnswer: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    public var headers: [(String, String)] = []

    public init(status: Int, contentType: String, body: String, headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = Array(body.utf8)
        self.headers = headers
    }

    public static func == (a: ControlAnswer, b: ControlAnswer) -> Bool {
        a.status == b.status && a.contentType == b.contentType && a.body == b.body && a.headers.map(\.0) == b.headers.map(\.0)
            && a.headers.map(\.1) == b.headers.map(\.1)
    }

    /// A JSON answer.
    public static func json(_ value: JSONValue, status: Int = 200) -> ControlAnswer {
        ControlAnswer(status: status, contentType: "application/json", body: value.text + "\n")
    }

    /// A plain-text answer (one line per step).
    public static func text(_ text: String, status: Int = 200) -> ControlAnswer {
        ControlAnswer(status: status, contentType: "text/plain; charset=utf-8", body: text.hasSuffix("\n") ? text : text + "\n")
    }

    /// The response's bytes: with `Content-Length`, or, when `streaming`, without it and with `Connection: close`
    /// (the body then ends when the server closes the connection).
    public func bytes(close: Bool, streaming: Bool = false) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Type: \(contentType)\r\nCache-Control: no-store\r\n"
        head += "X-Content-Type-Options: nosniff\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !streaming { head += "Content-Length: \(body.count)\r\n" }
        head += close || streaming ? "Connection: close\r\n\r\n" : "\r\n"
        return Array(head.utf8) + body
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 202: "Accepted"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 413: "Payload Too Large"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
