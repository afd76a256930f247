import GantryCore

/// Why a socket operation failed; `errno` is the system's.
public enum NetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not an IPv4 or IPv6 literal (names are resolved before, off the hot path).
    case badAddress(String)
    case system(operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .badAddress(let a): "\(a) is not an IPv4 or IPv6 address"
        case .system(let op, let e): "\(op) failed (errno \(e))"
        }
    }
}

/// What a non-blocking receive found.
public enum ReceiveResult: Equatable, Sendable {
    /// `count` bytes; `kernelTime` is when the kernel received them (SO_TIMESTAMPNS, wall clock), or zero.
    case bytes(Int, kernelTime: Nanos)
    case wouldBlock
    /// The peer closed its side.
    case closed
    case failed(errno: Int32)
}

/// What a non-blocking send did.
public enum SendResult: Equatable, Sendable {
    case sent(Int)
    case wouldBlock
    case failed(errno: Int32)
}

/// Where a non-blocking connect is.
public enum ConnectState: Equatable, Sendable {
    case inProgress
    case connected
    case failed(errno: Int32)
}

/// A non-blocking TCP connection with TCP_NODELAY and kernel receive timestamps, read and written directly
/// (recvmsg/send) by the stage that owns it: no copies, no allocation, no callbacks between the socket and
/// the decoder. One owner: `~Copyable`; the descriptor is closed when it is dropped.
public struct TCPSocket: ~Copyable, Sendable {
    /// The file descriptor (for `RunnerContext.watch`).
    public let fd: Int32

    init(fd: Int32) { self.fd = fd }

    deinit { SocketSys.close(fd) }

    /// Starts connecting to `host` (an IPv4 or IPv6 literal) on `port`.
    /// - Parameters:
    ///   - receiveBuffer, sendBuffer: SO_RCVBUF / SO_SNDBUF in bytes; 0 keeps the system's.
    /// - Throws: `NetError` if the socket cannot be made or the connect fails at once.
    public static func connect(host: String, port: Int, receiveBuffer: Int = 0, sendBuffer: Int = 0) throws(NetError) -> TCPSocket {
        let fd = SocketSys.connect(host: host, port: port, receiveBuffer: receiveBuffer, sendBuffer: sendBuffer)
        if fd == -SocketSys.invalidArgument { throw .badAddress(host) }
        guard fd >= 0 else { throw .system(operation: "connect to \(host):\(port)", errno: -fd) }
        return TCPSocket(fd: fd)
    }

    /// Whether the connect has finished, and how.
    public func connectState() -> ConnectState {
        guard SocketSys.isWritable(fd) else { return .inProgress }
        let e = SocketSys.pendingError(fd)
        return e == 0 ? .connected : .failed(errno: e)
    }

    /// Reads what is waiting into `buffer`, never blocking.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> ReceiveResult {
        var kernel: Int64 = 0
        let n = SocketSys.receive(fd, buffer, &kernel)
        if n > 0 { return .bytes(n, kernelTime: Nanos(raw: kernel)) }
        if n == 0 { return .closed }
        if n == -Int(SocketSys.wouldBlock) { return .wouldBlock }
        return .failed(errno: Int32(-n))
    }

    /// Sends as much of `bytes` as the kernel takes now, never blocking.
    public func send(_ bytes: UnsafeRawBufferPointer) -> SendResult {
        let n = SocketSys.send(fd, bytes)
        if n >= 0 { return .sent(n) }
        if n == -Int(SocketSys.wouldBlock) { return .wouldBlock }
        return .failed(errno: Int32(-n))
    }

    /// Half-closes: the peer reads end of stream; we can still read.
    public func shutdownWrite() { SocketSys.shutdownWrite(fd) }

    /// Converts a kernel receive time (wall clock) to the monotonic clock, for latencies measured from it.
    /// A read without one (zero: no timestamp came with the data) is timed at the read, now: the receive times
    /// of events and the silence clocks of books stay meaningful.
    @inlinable
    public static func monotonic(fromKernel kernel: Nanos) -> Nanos {
        if kernel.raw == 0 { return MonotonicClock.now() }
        return MonotonicClock.now() - (WallClock.now() - kernel)
    }
}

/// A non-blocking listening socket (the venue simulator's side).
public struct TCPListener: ~Copyable, Sendable {
    public let fd: Int32
    /// The bound port (useful with port 0).
    public let port: Int

    /// Listens on `host` (an IPv4 or IPv6 literal), `port` 0 for any free port.
    /// - Throws: `NetError`.
    public init(host: String, port: Int, backlog: Int = 128) throws(NetError) {
        let fd = SocketSys.listen(host: host, port: port, backlog: backlog)
        if fd == -SocketSys.invalidArgument { throw .badAddress(host) }
        guard fd >= 0 else { throw .system(operation: "listen on \(host):\(port)", errno: -fd) }
        self.fd = fd
        self.port = Int(SocketSys.localPort(fd))
    }

    deinit { SocketSys.close(fd) }

    /// The next pending connection, or nil if none is waiting. - Throws: `NetError`.
    public func accept() throws(NetError) -> TCPSocket? {
        let fd = SocketSys.accept(fd)
        if fd == -SocketSys.wouldBlock { return nil }
        guard fd >= 0 else { throw .system(operation: "accept", errno: -fd) }
        return TCPSocket(fd: fd)
    }
}
