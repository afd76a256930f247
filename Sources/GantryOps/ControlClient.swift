import GantryCore
import GantryNet
import Glibc

/// A blocking HTTP/1.1 client of the control plane, for `gantry status|kill|pause|resume` and the tests: one
/// request per connection (`Connection: close`), the body read by `Content-Length` or to the end of the
/// connection, handed out line by line as it arrives (the kill report is streamed).
public struct ControlClient: Sendable {
    public let host: String
    public let port: Int
    let token: Secret?

    /// Why a request failed (connection, timeout, a malformed answer). The token never appears in it.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// - Parameters:
    ///   - url: `http://ADDRESS:PORT` (an IP literal; `[::1]` for IPv6), with or without a trailing `/`.
    ///   - token: Sent as `Authorization: Bearer …`; nil sends none.
    /// - Throws: `Failure` for a URL that is not of that form.
    public init(url: String, token: Secret?) throws(Failure) {
        guard url.hasPrefix("http://") else { throw Failure(description: "\(url): the control URL is http://ADDRESS:PORT") }
        var rest = url.dropFirst("http://".count)
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        do {
            (host, port) = try ControlConfiguration.parseListen(String(rest))
        } catch {
            throw Failure(description: "\(url): the control URL is http://ADDRESS:PORT (\(error))")
        }
        self.token = token
    }

    /// What came back.
    public struct Response: Sendable {
        public var status: Int
        public var head: HTTPHead
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Sends a request and reads the answer, calling `line` with each body line as it arrives.
    /// - Parameters:
    ///   - body: The request's body (a webhook's JSON), sent with `contentType`.
    ///   - timeout: The longest wait for the next bytes.
    /// - Throws: `Failure`.
    @discardableResult
    public func request(
        _ method: String, _ path: String, body: [UInt8] = [], contentType: String? = nil, timeout: Int = 10, line: (String) -> Void = { _ in }
    ) throws(Failure) -> Response {
        let fd = try connect(timeout: timeout)
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nContent-Length: \(body.count)\r\nUser-Agent: gantry\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        if let token { head += "Authorization: Bearer \(token.text)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8) + body
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "\(method) \(path): the request could not be sent (errno \(errno))") }
            off += n
        }
        var buffer: [UInt8] = []
        var parsed: HTTPHead? = nil
        var bodyStart = 0
        var lineStart = 0
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { throw Failure(description: "\(method) \(path): no answer within \(timeout) s") }
            if n < 0 && errno == EINTR { continue }
            if n > 0 { buffer += chunk[0..<n] }
            if parsed == nil {
                let result: HTTPHeadResult
                do { result = try buffer.withUnsafeBytes { try parseHTTPHead($0) } } catch {
                    throw Failure(description: "\(method) \(path): a malformed answer (\(error))")
                }
                if case .head(let h) = result {
                    parsed = h
                    bodyStart = h.length
                    lineStart = h.length
                }
            }
            if parsed != nil {
                while let nl = buffer[lineStart...].firstIndex(of: 10) {
                    line(String(decoding: buffer[lineStart..<nl], as: UTF8.self))
                    lineStart = nl + 1
                }
                if let length = parsed!.header("Content-Length").flatMap(Int.init), buffer.count - bodyStart >= length { break }
            }
            if n == 0 { break }
        }
        guard let h = parsed else { throw Failure(description: "\(method) \(path): the connection closed before an answer") }
        if lineStart < buffer.count { line(String(decoding: buffer[lineStart...], as: UTF8.self)) }
        return Response(status: h.status, head: h, body: Array(buffer[bodyStart...]))
    }

    func connect(timeout: Int) throws(Failure) -> Int32 {
        let v6 = host.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed (errno \(errno))") }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var r: Int32
        if v6 {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &a.sin6_addr)
            r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &a.sin_addr)
            r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        guard r == 0 else {
            let e = errno
            close(fd)
            throw Failure(description: "no gateway answers at http://\(host):\(port) (errno \(e): \(String(cString: strerror(e))))")
        }
        return fd
    }
}
