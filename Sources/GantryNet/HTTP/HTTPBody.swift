import GantryCore

/// Why an HTTP/1.1 body could not be read.
public enum HTTPBodyError: Error, Equatable, Sendable {
    case badChunkSize(String)
    case badChunkTerminator
    case tooLarge(limit: Int)
    case badContentLength(String)
}

/// How a response body is delimited (RFC 9112 §6.3).
public enum HTTPBodyFraming: Equatable, Sendable {
    case none
    case contentLength(Int)
    case chunked
    /// Until the connection closes (HTTP/1.0 style); the connection cannot be reused.
    case untilClose

    /// The framing a response head declares.
    /// - Parameter status: 1xx, 204 and 304 responses have no body.
    /// - Throws: `HTTPBodyError.badContentLength` for a value that is not a non-negative integer.
    public static func of(_ head: HTTPHead) throws(HTTPBodyError) -> HTTPBodyFraming {
        let status = head.status
        if (100..<200).contains(status) || status == 204 || status == 304 { return .none }
        if head.header("Transfer-Encoding", containsToken: "chunked") { return .chunked }
        if let value = head.header("Content-Length") {
            guard let n = Int(value), n >= 0 else { throw .badContentLength(value) }
            return n == 0 ? .none : .contentLength(n)
        }
        return .untilClose
    }
}

/// Decodes a body fed in pieces as they arrive: content-length or chunked (sizes, extensions, trailers),
/// appending the payload to `body`. Running out of bytes is `false` from `feed`, not an error.
public struct HTTPBodyDecoder: Sendable {
    public let framing: HTTPBodyFraming
    public let limit: Int
    public private(set) var body: [UInt8] = []
    public private(set) var isComplete: Bool

    private enum Chunked: Sendable { case size, data(Int), dataEnd, trailer }
    private var chunked = Chunked.size
    private var line: [UInt8] = []

    public init(framing: HTTPBodyFraming, limit: Int = 64 << 20) {
        self.framing = framing
        self.limit = limit
        isComplete = framing == .none
        if case .contentLength(let n) = framing { body.reserveCapacity(min(n, limit)) }
    }

    /// Consumes bytes of the body.
    /// - Returns: How many of `bytes` belonged to this body (the rest is the next response).
    /// - Throws: `HTTPBodyError`.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(HTTPBodyError) -> Int {
        switch framing {
        case .none: return 0
        case .untilClose:
            guard body.count + bytes.count <= limit else { throw .tooLarge(limit: limit) }
            body.append(contentsOf: bytes)
            return bytes.count
        case .contentLength(let total):
            guard total <= limit else { throw .tooLarge(limit: limit) }
            let n = min(total - body.count, bytes.count)
            body.append(contentsOf: bytes[0..<n])
            if body.count == total { isComplete = true }
            return n
        case .chunked:
            return try feedChunked(bytes)
        }
    }

    /// The connection closed: completes an `untilClose` body; anything else incomplete is truncated.
    /// - Returns: true if the body is whole.
    public mutating func finishAtClose() -> Bool {
        if framing == .untilClose { isComplete = true }
        return isComplete
    }

    private mutating func feedChunked(_ bytes: UnsafeRawBufferPointer) throws(HTTPBodyError) -> Int {
        var i = 0
        while i < bytes.count && !isComplete {
            switch chunked {
            case .size, .trailer:
                let b = bytes[i]
                i += 1
                if b != 10 {
                    line.append(b)
                    guard line.count <= 4_096 else { throw .badChunkSize("line over 4096 bytes") }
                    continue
                }
                if line.last == 13 { line.removeLast() }
                if case .trailer = chunked {
                    if line.isEmpty { isComplete = true }  // the blank line after the trailers
                    line.removeAll(keepingCapacity: true)
                    continue
                }
                let text = String(decoding: line.prefix { $0 != UInt8(ascii: ";") }, as: UTF8.self)
                    .trimmingSpaces()
                // Hex digits only (RFC 9112 §7.1): `Int(_:radix:)` alone also takes a sign, and "-1" would be a
                // negative size.
                guard !text.isEmpty, text.utf8.count <= 15, text.utf8.allSatisfy({ Hex.value($0) != nil }),
                    let size = Int(text, radix: 16)
                else {
                    throw .badChunkSize(String(decoding: line, as: UTF8.self))
                }
                line.removeAll(keepingCapacity: true)
                guard body.count + size <= limit else { throw .tooLarge(limit: limit) }
                chunked = size == 0 ? .trailer : .data(size)
            case .data(let remaining):
                let n = min(remaining, bytes.count - i)
                body.append(contentsOf: bytes[i..<(i + n)])
                i += n
                chunked = remaining == n ? .dataEnd : .data(remaining - n)
            case .dataEnd:
                let b = bytes[i]
                i += 1
                if b == 13 && line.isEmpty {
                    line.append(13)
                } else if b == 10 {
                    line.removeAll(keepingCapacity: true)
                    chunked = .size
                } else {
                    throw .badChunkTerminator
                }
            }
        }
        return i
    }
}

/// Builds HTTP/1.1 requests into a reusable buffer, without Foundation.
public struct HTTPRequestWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 4_096) { bytes.reserveCapacity(capacity) }

    /// Writes a whole request (keep-alive; Content-Length when there is a body).
    public mutating func write(
        method: String, target: String, host: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) {
        bytes.removeAll(keepingCapacity: true)
        append(method); append(" "); append(target); append(" HTTP/1.1\r\nHost: "); append(host); append("\r\n")
        for (name, value) in headers {
            precondition(!name.contains("\r") && !name.contains("\n") && !value.contains("\r") && !value.contains("\n"),
                         "header injection")
            append(name); append(": "); append(value); append("\r\n")
        }
        if !body.isEmpty || method == "POST" || method == "PUT" {
            append("Content-Length: "); append(String(body.count)); append("\r\n")
        }
        append("\r\n")
        bytes.append(contentsOf: body)
    }

    private mutating func append(_ s: String) { bytes.append(contentsOf: s.utf8) }
}
