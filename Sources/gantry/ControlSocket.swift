import Foundation
import Glibc

/// The operator's control socket of a running gateway: a Unix stream socket, mode 0600 (only its owner may
/// command the gateway), that `gantry kill` and `gantry ctl` connect to. One command per line; an answer line
/// comes back; a `kill` connection stays open and receives the kill report's lines as its steps happen, then is
/// closed. Polled (non-blocking) from the thread that watches the gateway.
final class ControlSocket {
    let path: String
    let listener: Int32
    var clients: [Client] = []

    struct Client {
        var fd: Int32
        var pending: [UInt8] = []
        /// Receives the kill report.
        var subscribed = false
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Binds `path`. A socket file left by a gateway that is gone is replaced; one a live gateway answers on is not.
    init(path: String) throws {
        self.path = path
        if ControlSocket.connect(path) != nil { throw Failure(description: "\(path): another gateway is listening there") }
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFSOCK else { throw Failure(description: "\(path) exists and is not a socket") }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "control socket: \(String(cString: strerror(errno)))") }
        var address = try ControlSocket.address(path)
        // Created 0600 from the start (no window where another user could connect), then checked.
        let old = umask(0o177)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        umask(old)
        guard bound == 0, listen(fd, 8) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "\(path): cannot listen: \(why)")
        }
        chmod(path, 0o600)
        listener = fd
    }

    deinit {
        for c in clients { close(c.fd) }
        close(listener)
        unlink(path)
    }

    static func address(_ path: String) throws -> sockaddr_un {
        var a = sockaddr_un()
        a.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: a.sun_path) else { throw Failure(description: "\(path): a socket path must be under 108 bytes") }
        withUnsafeMutableBytes(of: &a.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        return a
    }

    /// A blocking connection to the socket at `path`, or nil if nothing listens there.
    static func connect(_ path: String) -> Int32? {
        guard var a = try? address(path) else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        if r != 0 {
            close(fd)
            return nil
        }
        return fd
    }

    /// Accepts connections and reads their commands; `handle` answers each (`subscribe`: the connection receives
    /// the kill report). Connections that closed are dropped.
    func poll(_ handle: (String) -> (answer: String, subscribe: Bool)) {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { break }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            clients.append(Client(fd: fd))
        }
        var gone: [Int] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        for i in clients.indices {
            let n = chunk.withUnsafeMutableBytes { read(clients[i].fd, $0.baseAddress, $0.count) }
            if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                gone.append(i)
                continue
            }
            guard n > 0 else { continue }
            clients[i].pending += chunk[0..<n]
            if clients[i].pending.count > 4_096 {
                gone.append(i)  // not a command: a line that long is dropped with its connection
                continue
            }
            while let nl = clients[i].pending.firstIndex(of: 10) {
                let line = String(decoding: clients[i].pending[..<nl], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                clients[i].pending.removeFirst(nl + 1)
                guard !line.isEmpty else { continue }
                let (answer, subscribe) = handle(line)
                if subscribe { clients[i].subscribed = true }
                send(answer, to: clients[i].fd)
            }
        }
        for i in gone.reversed() {
            close(clients[i].fd)
            clients.remove(at: i)
        }
    }

    /// Sends a line of the kill report to every connection that asked for it.
    func report(_ line: String) {
        for c in clients where c.subscribed { send(line, to: c.fd) }
    }

    /// Ends the kill report: its connections are closed.
    func closeSubscribers() {
        for c in clients where c.subscribed { close(c.fd) }
        clients.removeAll { $0.subscribed }
    }

    func send(_ line: String, to fd: Int32) {
        let bytes = Array((line + "\n").utf8)
        var off = 0
        var tries = 0
        // A reader that does not read (a full socket buffer) loses the line rather than stalling the gateway.
        while off < bytes.count && tries < 100 {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 { off += n } else if errno == EAGAIN || errno == EWOULDBLOCK { tries += 1; usleep(100) } else { break }
        }
    }
}
