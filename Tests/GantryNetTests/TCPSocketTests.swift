import GantryCore
import GantryLoop
import GantryNet
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Waits until `body` returns a value, up to two seconds.
func eventually<T>(_ body: () throws -> T?) rethrows -> T? {
    let deadline = MonotonicClock.now() + .seconds(2)
    while MonotonicClock.now() < deadline {
        if let v = try body() { return v }
        usleep(200)
    }
    return nil
}

/// The next connection on `listener`, waiting up to two seconds.
func acceptEventually(_ listener: borrowing TCPListener) throws -> TCPSocket {
    let deadline = MonotonicClock.now() + .seconds(2)
    while MonotonicClock.now() < deadline {
        if let socket = try listener.accept() { return socket }
        usleep(200)
    }
    throw NetError.system(operation: "accept (timed out)", errno: ETIMEDOUT)
}

/// Reads everything that arrives within the deadline until `count` bytes are in.
func receiveAll(_ socket: borrowing TCPSocket, count: Int) -> ([UInt8], Nanos) {
    var got: [UInt8] = []
    var kernel = Nanos.zero
    var buffer = [UInt8](repeating: 0, count: 65_536)
    let deadline = MonotonicClock.now() + .seconds(5)
    while got.count < count && MonotonicClock.now() < deadline {
        let r = buffer.withUnsafeMutableBytes { socket.receive(into: $0) }
        switch r {
        case .bytes(let n, let k):
            got += buffer[0..<n]
            if kernel == .zero { kernel = k }
        case .wouldBlock: usleep(100)
        case .closed, .failed: return (got, kernel)
        }
    }
    return (got, kernel)
}

@Suite("TCP sockets", .serialized)
struct TCPSocketTests {
    @Test("loopback: connect, accept, exchange bytes both ways with kernel receive timestamps, see the close")
    func loopback() throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        #expect(listener.port > 0)
        let client = try TCPSocket.connect(host: "127.0.0.1", port: listener.port)
        let server = try acceptEventually(listener)
        #expect(eventually { client.connectState() == .connected ? true : nil } == true)

        let message = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var sent = 0
        while sent < message.count {
            let r = message[sent...].withUnsafeBytes { client.send($0) }
            if case .sent(let n) = r { sent += n } else { usleep(100) }
        }
        let before = WallClock.now()
        let (received, kernel) = receiveAll(server, count: message.count)
        #expect(received == message)
        // The kernel stamped the first bytes on arrival: a wall-clock time within the last few seconds.
        #expect(kernel > before - .seconds(5) && kernel <= WallClock.now())
        #expect(TCPSocket.monotonic(fromKernel: kernel) <= MonotonicClock.now())

        let reply = Array("pong".utf8)
        _ = reply.withUnsafeBytes { server.send($0) }
        #expect(receiveAll(client, count: 4).0 == reply)

        server.shutdownWrite()
        var buffer = [UInt8](repeating: 0, count: 16)
        let closed = eventually { () -> Bool? in
            let r = buffer.withUnsafeMutableBytes { client.receive(into: $0) }
            return r == .closed ? true : nil
        }
        #expect(closed == true)
    }

    @Test("a refused connection is reported with its errno")
    func refused() throws {
        var port = 0
        do {
            let listener = try TCPListener(host: "127.0.0.1", port: 0)
            port = listener.port
        }  // closed: nothing listens there now
        do {
            let socket = try TCPSocket.connect(host: "127.0.0.1", port: port)
            let state = eventually { () -> ConnectState? in
                let s = socket.connectState()
                return s == .inProgress ? nil : s
            }
            #expect(state == .failed(errno: ECONNREFUSED))
        } catch {
            #expect(error == .system(operation: "connect to 127.0.0.1:\(port)", errno: ECONNREFUSED))
        }
    }

    @Test("names and malformed addresses are refused before any socket is made")
    func badAddress() {
        #expect(throws: NetError.badAddress("localhost")) { _ = try TCPSocket.connect(host: "localhost", port: 80) }
        #expect(throws: NetError.badAddress("1.2.3")) { _ = try TCPListener(host: "1.2.3", port: 0) }
    }

    @Test("IPv6 loopback works too")
    func ipv6() throws {
        guard let listener = try? TCPListener(host: "::1", port: 0) else { return }  // no IPv6 on this host
        let client = try TCPSocket.connect(host: "::1", port: listener.port)
        let server = try acceptEventually(listener)
        _ = Array("x".utf8).withUnsafeBytes { client.send($0) }
        #expect(receiveAll(server, count: 1).0 == Array("x".utf8))
    }
}

/// Echoes every byte it reads from its socket; woken by the runner's watcher when parked.
struct EchoSocketStage: Stage, ~Copyable {
    let socket: TCPSocket
    var buffer = [UInt8](repeating: 0, count: 4_096)
    let wakeups: WakeCounter

    mutating func poll() -> Int {
        let r = buffer.withUnsafeMutableBytes { socket.receive(into: $0) }
        guard case .bytes(let n, _) = r else { return 0 }
        _ = buffer[0..<n].withUnsafeBytes { socket.send($0) }
        return n
    }
}

final class WakeCounter: Sendable {
    let count = Atomic<Int>(0)
}

@Suite("Sockets on runners", .serialized)
struct SocketRunnerTests {
    /// Forbidden outcome: bytes that arrive while the runner is parked and never wake it.
    @Test("a parked adaptive runner wakes for socket data through its watcher")
    func parkedRunnerWakesForData() throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let client = try TCPSocket.connect(host: "127.0.0.1", port: listener.port)
        let accepted = try acceptEventually(listener)
        let box = Handoff(accepted)
        let wakeups = WakeCounter()
        let runner = try Runner(RunnerSpec(name: "echo-net", cpu: nil, mode: .adaptive(spins: 10, yields: 2))) { context in
            let socket = box.take()!
            context.watch(fd: socket.fd) { wakeups.count.add(1, ordering: .relaxed) }
            return EchoSocketStage(socket: socket, wakeups: wakeups)
        }
        for round in 0..<20 {
            let deadline = MonotonicClock.now() + .seconds(2)
            while !runner.isParked && MonotonicClock.now() < deadline { usleep(200) }  // let the runner park
            let message = Array("round \(round)".utf8)
            _ = message.withUnsafeBytes { client.send($0) }
            #expect(receiveAll(client, count: message.count).0 == message)
        }
        #expect(runner.stats.parks > 0)
        #expect(wakeups.count.load(ordering: .relaxed) > 0)
        runner.stop()
    }
}
