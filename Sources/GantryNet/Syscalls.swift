// Every C call of GantryNet passes through this file.
import CGantry
import COpenSSL

#if canImport(Glibc)
import Glibc
#endif

enum Crypto {
    /// SHA-1 of `bytes` (only for the WebSocket handshake, where RFC 6455 prescribes it).
    static func sha1(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha1(), nil)
        }
        precondition(ok == 1 && length == 20, "OpenSSL SHA-1 failed")
        return digest
    }

    /// Fills `buffer` from OpenSSL's CSPRNG.
    static func fillRandom(_ buffer: UnsafeMutableRawBufferPointer) {
        let ok = RAND_bytes(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(buffer.count))
        precondition(ok == 1, "OpenSSL RAND_bytes failed")
    }

    /// `count` bytes from OpenSSL's CSPRNG.
    static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let ok = RAND_bytes(&bytes, Int32(count))
        precondition(ok == 1, "OpenSSL RAND_bytes failed")
        return bytes
    }
}

enum SocketSys {
    static let wouldBlock = EAGAIN
    static let invalidArgument = EINVAL
    static func connect(host: String, port: Int, receiveBuffer: Int, sendBuffer: Int) -> Int32 {
        host.withCString { gantry_tcp_connect($0, Int32(port), Int32(receiveBuffer), Int32(sendBuffer)) }
    }
    static func listen(host: String, port: Int, backlog: Int) -> Int32 {
        host.withCString { gantry_tcp_listen($0, Int32(port), Int32(backlog)) }
    }
    static func localPort(_ fd: Int32) -> Int32 { gantry_local_port(fd) }
    static func accept(_ fd: Int32) -> Int32 { gantry_tcp_accept(fd) }
    static func pendingError(_ fd: Int32) -> Int32 { gantry_socket_error(fd) }
    static func receive(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ kernelNs: inout Int64) -> Int {
        gantry_recv_timestamped(fd, buffer.baseAddress, UInt(buffer.count), &kernelNs)
    }
    static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int {
        gantry_send(fd, buffer.baseAddress, UInt(buffer.count))
    }
    /// True once a non-blocking connect has finished (the socket is writable).
    static func isWritable(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        return poll(&p, 1, 0) == 1 && p.revents & Int16(POLLOUT) != 0
    }
    static func shutdownWrite(_ fd: Int32) { _ = shutdown(fd, Int32(SHUT_WR)) }
    static func close(_ fd: Int32) { _ = Glibc.close(fd) }
}

/// Host names to addresses, once, before connecting (the sockets take IP literals only).
public enum NameResolution {
    /// The first address `getaddrinfo` gives for `host` (IPv4 preferred), as a literal; nil if it does not resolve.
    public static func firstAddress(_ host: String) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(first) }
        var best: String? = nil
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let n = node {
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            if n.pointee.ai_family == AF_INET, let sa = n.pointee.ai_addr {
                var a = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                if inet_ntop(AF_INET, &a, &text, socklen_t(text.count)) != nil { return literal(text) }
            } else if n.pointee.ai_family == AF_INET6, best == nil, let sa = n.pointee.ai_addr {
                var a = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                if inet_ntop(AF_INET6, &a, &text, socklen_t(text.count)) != nil { best = literal(text) }
            }
            node = n.pointee.ai_next
        }
        return best
    }

    /// The text of a NUL-terminated C buffer.
    static func literal(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
