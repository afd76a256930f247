/// The start line and headers of an HTTP/1.1 request or response (RFC 9112 §2–5), parsed from the bytes
/// received so far. Used for the WebSocket handshake and REST responses: not the per-message path.
public struct HTTPHead: Sendable, Equatable {
    /// For a response: "HTTP/1.1", the status and the reason. For a request: the method, target and version.
    public var startLine: (String, String, String)
    public var headers: [(name: String, value: String)]
    /// Bytes of the head, including the blank line: the body (or the WebSocket frames) start here.
    public var length: Int

    /// The value of the first header called `name` (case-insensitive), if any.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    /// True if header `name` holds `token` in its comma-separated list (case-insensitive), as `Connection` does.
    public func header(_ name: String, containsToken token: String) -> Bool {
        let lower = name.lowercased()
        let wanted = token.lowercased()
        return headers.contains { h in
            h.name.lowercased() == lower
                && h.value.split(separator: ",").contains { $0.trimmingSpaces().lowercased() == wanted }
        }
    }

    /// The response status code (0 if the start line is not a response).
    public var status: Int { startLine.0.hasPrefix("HTTP/") ? Int(startLine.1) ?? 0 : 0 }

    public static func == (a: HTTPHead, b: HTTPHead) -> Bool {
        a.startLine == b.startLine && a.length == b.length && a.headers.map(\.name) == b.headers.map(\.name)
            && a.headers.map(\.value) == b.headers.map(\.value)
    }
}

/// Why an HTTP head could not be parsed.
public enum HTTPHeadError: Error, Equatable, Sendable {
    /// No blank line within the limit.
    case tooLarge(limit: Int)
    /// The start line is not "A B C" with a known version.
    case badStartLine(String)
    /// A header line without a colon, with whitespace before it, or with bytes HTTP forbids.
    case badHeader(String)
}

/// What one parse step found.
public enum HTTPHeadResult: Equatable, Sendable {
    case needMoreBytes
    case head(HTTPHead)
}

/// Finds and parses the head at the start of `bytes`.
/// - Parameter limit: The largest head accepted.
/// - Returns: `.needMoreBytes` until the blank line has arrived.
/// - Throws: `HTTPHeadError`.
public func parseHTTPHead(_ bytes: UnsafeRawBufferPointer, limit: Int = 16 * 1024) throws(HTTPHeadError) -> HTTPHeadResult {
    // Find CRLF CRLF.
    var end = -1
    var i = 0
    let n = min(bytes.count, limit)
    while i + 3 < n {
        if bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            end = i
            break
        }
        i += 1
    }
    if end < 0 {
        if bytes.count >= limit { throw .tooLarge(limit: limit) }
        return .needMoreBytes
    }
    var lines: [String] = []
    var start = 0
    var k = 0
    while k <= end {
        if k == end || (bytes[k] == 13 && bytes[k + 1] == 10) {
            let line = UnsafeRawBufferPointer(rebasing: bytes[start..<k])
            // Field values are visible ASCII, spaces and tabs (obs-text is refused).
            guard line.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 < 127) }) else {
                throw .badHeader(String(decoding: line, as: UTF8.self))
            }
            lines.append(String(decoding: line, as: UTF8.self))
            start = k + 2
            k += 2
            continue
        }
        k += 1
    }
    let parts = lines[0].split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }),
        parts[0] == "HTTP/1.1" || parts[0] == "HTTP/1.0" || parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0"
    else { throw .badStartLine(lines[0]) }
    var headers: [(name: String, value: String)] = []
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { throw .badHeader(line) }
        let name = String(line[..<colon])
        guard !name.isEmpty, !name.contains(" "), !name.contains("\t") else { throw .badHeader(line) }
        headers.append((name, String(line[line.index(after: colon)...]).trimmingSpaces()))
    }
    return .head(HTTPHead(startLine: (parts[0], parts[1], parts[2]), headers: headers, length: end + 4))
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
