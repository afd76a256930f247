import GantryCore
import GantryNet

/// A REST request as a simulated venue sees it.
public struct SimHTTPRequest: Sendable {
    public var method: String
    /// The path without the query ("/api/v3/depth").
    public var path: String
    /// The query string without "?" ("symbol=BTCUSDT&limit=1000"), as sent.
    public var query: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// The first header called `name`, case-insensitive.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    /// The query's parameters, percent-decoded (the first of a repeated name wins).
    public var parameters: [String: String] { Self.form(query) }

    /// `a=1&b=2` as a dictionary, percent-decoded ("+" is a space, as in forms; the first of a repeated name
    /// wins), by the same reading Binance's signature check uses (`BinanceAuth.pairs`).
    public static func form(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in BinanceAuth.pairs(text) where out[key] == nil { out[key] = value }
        return out
    }
}

/// A REST response: status, JSON body, extra headers (Binance's `X-MBX-USED-WEIGHT-1M`, `Retry-After`).
public struct SimHTTPResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    public var headers: [(String, String)]

    public init(status: Int, json: String, headers: [(String, String)] = []) {
        self.status = status
        body = Array(json.utf8)
        self.headers = headers
    }

    public init(status: Int, body: [UInt8], headers: [(String, String)] = []) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 411: "Length Required"
        case 413: "Payload Too Large"
        case 418: "I'm a teapot"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status"
        }
    }
}

/// One kept-alive HTTP/1.1 connection of a simulated venue's REST endpoint (plain TCP, loopback): requests
/// with a Content-Length body (or none) are read whole, answered in order, and the connection is closed after a
/// response when the client asked for `Connection: close` or sent something that is not HTTP/1.1. A class so
/// that a venue can hold several.
final class SimHTTPConnection {
    let socket: TCPSocket
    var inbound: [UInt8] = []
    var outbound: [UInt8] = []
    var closeAfterSend = false
    private(set) var closed = false
    static let maxRequest = 1 << 20

    init(_ socket: consuming TCPSocket) { self.socket = socket }

    /// Reads what arrived and answers each whole request with `respond`.
    /// - Returns: How much work was done.
    func poll(_ respond: (SimHTTPRequest) -> SimHTTPResponse?) -> Int {
        guard !closed else { return 0 }
        var work = 0
        var buffer = [UInt8](repeating: 0, count: 16_384)
        reading: while !closeAfterSend {
            let r = buffer.withUnsafeMutableBytes { socket.receive(into: $0) }
            switch r {
            case .bytes(let n, _):
                inbound += buffer[0..<n]
                work += 1
                if n < buffer.count { break reading }
            case .wouldBlock: break reading
            case .closed, .failed:
                closed = true
                return work + 1
            }
        }
        while !closeAfterSend, let request = nextRequest() {
            work += 1
            if let response = respond(request) { write(response, close: request.header("Connection")?.lowercased() == "close") }
        }
        work += flush()
        return work
    }

    /// Takes the next whole request off `inbound`, answering a malformed one with 400 and closing.
    func nextRequest() -> SimHTTPRequest? {
        guard !inbound.isEmpty else { return nil }
        let parsed: HTTPHeadResult
        do {
            parsed = try inbound.withUnsafeBytes { try parseHTTPHead($0) }
        } catch {
            write(SimHTTPResponse(status: 400, json: #"{"error":"malformed request: \#(error)"}"#), close: true)
            return nil
        }
        guard case .head(let head) = parsed else { return nil }
        guard head.startLine.2 == "HTTP/1.1" || head.startLine.2 == "HTTP/1.0" else {
            write(SimHTTPResponse(status: 400, json: #"{"error":"not HTTP/1.1"}"#), close: true)
            return nil
        }
        var length = 0
        if let te = head.header("Transfer-Encoding"), !te.isEmpty {
            write(SimHTTPResponse(status: 411, json: #"{"error":"chunked request bodies are not accepted"}"#), close: true)
            return nil
        }
        if let cl = head.header("Content-Length") {
            guard let n = Int(cl), n >= 0, n <= Self.maxRequest else {
                write(SimHTTPResponse(status: 413, json: #"{"error":"bad Content-Length"}"#), close: true)
                return nil
            }
            length = n
        }
        guard inbound.count >= head.length + length else { return nil }
        let body = Array(inbound[head.length..<head.length + length])
        inbound.removeFirst(head.length + length)
        let target = head.startLine.1
        let (path, query): (String, String) =
            if let q = target.firstIndex(of: "?") { (String(target[..<q]), String(target[target.index(after: q)...])) } else { (target, "") }
        if head.startLine.2 == "HTTP/1.0" { closeAfterSend = true }
        return SimHTTPRequest(method: head.startLine.0, path: path, query: query, headers: head.headers, body: body)
    }

    func write(_ response: SimHTTPResponse, close: Bool) {
        var head = "HTTP/1.1 \(response.status) \(SimHTTPResponse.reason(response.status))\r\n"
        head += "Content-Type: application/json;charset=UTF-8\r\nContent-Length: \(response.body.count)\r\n"
        for (k, v) in response.headers { head += "\(k): \(v)\r\n" }
        if close {
            head += "Connection: close\r\n"
            closeAfterSend = true
        }
        head += "\r\n"
        outbound += Array(head.utf8)
        outbound += response.body
    }

    /// Sends what is queued. - Returns: 1 if anything was sent.
    func flush() -> Int {
        guard !outbound.isEmpty else {
            if closeAfterSend && !closed {
                socket.shutdownWrite()
                closed = true
            }
            return 0
        }
        let r = outbound.withUnsafeBytes { socket.send($0) }
        switch r {
        case .sent(let n):
            outbound.removeFirst(n)
            if outbound.isEmpty && closeAfterSend {
                socket.shutdownWrite()
                closed = true
            }
            return 1
        case .wouldBlock: return 0
        case .failed:
            closed = true
            return 1
        }
    }
}
