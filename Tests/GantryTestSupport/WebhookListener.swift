import Foundation
import Glibc
import Synchronization

/// A tiny HTTP/1.1 listener on a loopback port for the webhook tests: each connection's request is read (head and
/// `Content-Length` body), the first `failing` are answered 503 (every other one of those is dropped without an
/// answer instead), the rest 200; the bodies of the requests answered 200 are kept. Its thread sleeps in `poll`.
public final class WebhookListener: Sendable {
    public let port: Int
    let fd: Int32
    let state = Mutex<(received: [String], attempts: Int, stopping: Bool)>(([], 0, false))
    let failing: Int
    let done = Atomic<Bool>(false)

    /// Listens on 127.0.0.1 at a free port and starts its thread.
    public init(failing: Int = 0) throws {
        self.failing = failing
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr)
        let bound = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(s, 16) == 0 else {
            close(s)
            throw POSIXError(.EADDRINUSE)
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        port = Int(UInt16(bigEndian: a.sin_port))
        fd = s
        Thread.detachNewThread { [self] in serve() }
    }

    /// `http://127.0.0.1:PORT/hook`.
    public var url: String { "http://127.0.0.1:\(port)/hook" }

    /// The bodies received (answered 200), in order.
    public var received: [String] { state.withLock { $0.received } }

    /// Requests (connections) seen, answered or not.
    public var attempts: Int { state.withLock { $0.attempts } }

    /// Waits until `count` bodies were received or `timeout` seconds passed. - Returns: the bodies.
    public func wait(for count: Int, timeout: Double) -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while received.count < count && Date() < deadline { usleep(20_000) }
        return received
    }

    public func stop() {
        state.withLock { $0.stopping = true }
        while !done.load(ordering: .acquiring) { usleep(5_000) }
        close(fd)
    }

    func serve() {
        defer { done.store(true, ordering: .releasing) }
        while !state.withLock({ $0.stopping }) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0 else { continue }
            let c = accept(fd, nil, nil)
            guard c >= 0 else { continue }
            var tv = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            let body = readRequest(c)
            let attempt = state.withLock { s -> Int in
                s.attempts += 1
                return s.attempts
            }
            if attempt <= failing {
                if attempt % 2 == 0 {
                    close(c)  // dropped without an answer
                    continue
                }
                answer(c, "503 Service Unavailable")
            } else {
                if let body { state.withLock { $0.received.append(body) } }
                answer(c, "200 OK")
            }
            close(c)
        }
    }

    func answer(_ c: Int32, _ status: String) {
        let text = Array("HTTP/1.1 \(status)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
        _ = text.withUnsafeBytes { write(c, $0.baseAddress, $0.count) }
    }

    /// The request's body, read by its Content-Length.
    func readRequest(_ c: Int32) -> String? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4_096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(c, $0.baseAddress, $0.count) }
            guard n > 0 else { return nil }
            buffer += chunk[0..<n]
            let text = String(decoding: buffer, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { continue }
            let head = text[..<end.lowerBound].lowercased()
            let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }.flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            let headBytes = text[..<end.upperBound].utf8.count
            if buffer.count - headBytes >= length { return String(decoding: buffer[headBytes..<(headBytes + length)], as: UTF8.self) }
        }
    }
}
