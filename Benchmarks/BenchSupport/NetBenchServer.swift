// The far side of the network benchmarks: one WebSocket server (plain or TLS) that streams Binance-sized
// depth messages on request and echoes everything else, and a plain-TCP echo for the round-trip floor.
// Gantry's client and picows talk to the same server, so the comparison differs only in the client.
import GantryCore
import GantryLoop
import GantryNet
import Synchronization

/// Binance spot diff-depth messages (`depthUpdate`, 5–20 levels split between bids and asks, prices and
/// quantities as the 8-decimal strings Binance sends), generated from a seed. Laid end to end in one buffer.
public struct DepthMessages: Sendable {
    public let bytes: [UInt8]
    /// Message i is bytes[offsets[i] ..< offsets[i + 1]].
    public let offsets: [Int]

    public var count: Int { offsets.count - 1 }
    public var meanSize: Double { Double(bytes.count) / Double(count) }

    public init(count: Int, seed: UInt64 = 0x6A6E_7472) {
        var state = seed | 1
        func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
        func decimal(_ units: UInt64, _ scale: Int) -> String {
            let digits = String(units)
            let padded = String(repeating: "0", count: max(0, scale + 1 - digits.count)) + digits
            let cut = padded.index(padded.endIndex, offsetBy: -scale)
            return padded[..<cut] + "." + padded[cut...]
        }
        var bytes: [UInt8] = []
        var offsets = [0]
        var updateId: UInt64 = 40_320_000_000
        var mid: UInt64 = 9_712_345  // 97123.45 in cents
        for i in 0..<count {
            // 5–20 levels, mostly 5–15 (a mean of about 11, so about 450 bytes a message).
            let levels = next() % 3 == 0 ? 5 + Int(next() % 16) : 5 + Int(next() % 11)
            let bids = 1 + Int(next() % UInt64(levels - 1))
            if next() % 2 == 0 { mid += next() % 50 } else { mid -= next() % 50 }
            func side(_ n: Int, _ sign: Int64) -> String {
                (0..<n).map { k in
                    let price = UInt64(Int64(mid) + sign * Int64(k + 1 + Int(next() % 3))) * 1_000_000
                    let quantity = next() % 5_000_000_000 == 0 ? 0 : (next() % 250_000_000)
                    return "[\"\(decimal(price, 8))\",\"\(decimal(quantity, 8))\"]"
                }.joined(separator: ",")
            }
            let first = updateId + 1
            updateId += 1 + next() % 9
            let text = "{\"e\":\"depthUpdate\",\"E\":\(1_764_000_000_000 + UInt64(i)),\"s\":\"BTCUSDT\",\"U\":\(first),\"u\":\(updateId),"
                + "\"b\":[\(side(bids, -1))],\"a\":[\(side(levels - bids, 1))]}"
            bytes += Array(text.utf8)
            offsets.append(bytes.count)
        }
        self.bytes = bytes
        self.offsets = offsets
    }
}

/// What the benchmark clients send to the server.
public enum NetBenchProtocol {
    /// "stream N": send N depth messages, then `done`.
    public static let streamPrefix = Array("stream ".utf8)
    /// The message that ends a stream.
    public static let done = Array("done".utf8)

    /// N from a "stream N" request, or nil for any other message (which is echoed).
    public static func streamCount(_ payload: UnsafeRawBufferPointer) -> Int? {
        guard payload.count > streamPrefix.count, payload.count < streamPrefix.count + 12 else { return nil }
        for (i, b) in streamPrefix.enumerated() where payload[i] != b { return nil }
        var n = 0
        for i in streamPrefix.count..<payload.count {
            let d = payload[i] &- 0x30
            guard d < 10 else { return nil }
            n = n * 10 + Int(d)
        }
        return n
    }
}

/// The server stage: accepts one WebSocket client at a time (a new one replaces the old) on one port and
/// one TCP client on another; streams depth messages in batches of up to `batchBytes` per write, echoes
/// other messages, and echoes raw TCP bytes. Allocation-free once connected.
public struct NetBenchServer: Stage, ~Copyable {
    let wsListener: TCPListener
    let tcpListener: TCPListener
    let tls: TLSContext?
    /// The messages end to end, then "done"; message i is wire[offsets[i] ..< offsets[i + 1]].
    let wire: UnsafeMutableRawBufferPointer
    let offsets: [Int]
    var ws: WebSocketConnection? = nil
    var hasWS = false
    var tcp: TCPSocket? = nil
    var hasTCP = false
    /// Messages still to stream, and the index of the next one.
    var remaining = 0
    var next = 0
    /// Messages to echo, as [length: Int32, negative for binary][bytes] records (written in the poll callback, sent after it).
    let echo: UnsafeMutableRawBufferPointer
    let tcpBuffer: UnsafeMutableRawBufferPointer
    let batchBytes = 256 << 10
    let listening = ListenerReadiness()

    /// - Parameters:
    ///   - wsPort, tcpPort: 0 for any free port (read them from `wsListener.port` …).
    ///   - context: The runner's context, whose loop watches the listeners.
    public init(
        host: String = "127.0.0.1", wsPort: Int, tcpPort: Int, tls: TLSContext?, messages: DepthMessages, context: RunnerContext
    ) throws {
        let wsListener = try TCPListener(host: host, port: wsPort)
        let tcpListener = try TCPListener(host: host, port: tcpPort)
        let listening = self.listening
        context.watch(fd: wsListener.fd) { listening.ready = true }
        context.watch(fd: tcpListener.fd) { listening.ready = true }
        self.wsListener = wsListener
        self.tcpListener = tcpListener
        self.tls = tls
        wire = .allocate(byteCount: messages.bytes.count + 4, alignment: 64)
        wire.copyBytes(from: messages.bytes + NetBenchProtocol.done)
        offsets = Array(messages.offsets)
        echo = .allocate(byteCount: 4 << 20, alignment: 64)
        tcpBuffer = .allocate(byteCount: 64 << 10, alignment: 64)
    }

    deinit {
        wire.deallocate()
        echo.deallocate()
        tcpBuffer.deallocate()
    }

    public var wsPort: Int { wsListener.port }
    public var tcpPort: Int { tcpListener.port }

    public mutating func poll() -> Int {
        var work = 0
        // New clients are accepted when the loop saw a listener readable (accept() on an empty queue costs the
        // kernel a socket allocation, which a busy loop must not pay on every turn).
        if listening.ready {
            listening.ready = false
            work += acceptClients()
        }
        if hasWS { work += pollWebSocket() }
        if hasTCP { work += pollTCP() }
        return work
    }

    mutating func acceptClients() -> Int {
        var work = 0
        if let socket = try? wsListener.accept() {
            ws = try? WebSocketConnection(accepted: socket, tls: tls)
            hasWS = ws != nil
            remaining = 0
            work += 1
        }
        let accepted = try? tcpListener.accept()
        if accepted != nil {
            tcp = accepted
            hasTCP = true
            work += 1
        }
        return work
    }

    mutating func pollWebSocket() -> Int {
        var request: Int? = nil
        var closed = false
        var echoed = 0
        let echo = self.echo
        var work = ws!.poll { event in
            switch event {
            case .message(let opcode, let payload, _):
                if let n = NetBenchProtocol.streamCount(payload) {
                    request = n
                } else if echoed + 4 + payload.count <= echo.count {
                    // The length, its sign telling binary from text.
                    let length = Int32(payload.count)
                    echo.storeBytes(of: opcode == .binary ? -length - 1 : length, toByteOffset: echoed, as: Int32.self)
                    if payload.count > 0 { (echo.baseAddress! + echoed + 4).copyMemory(from: payload.baseAddress!, byteCount: payload.count) }
                    echoed += 4 + payload.count
                }
            case .closed: closed = true
            default: break
            }
        }
        if closed {
            ws = nil
            hasWS = false
            return work + 1
        }
        var at = 0
        while at < echoed {
            let stored = Int(echo.load(fromByteOffset: at, as: Int32.self))
            let n = stored < 0 ? -stored - 1 : stored
            ws!.send(stored < 0 ? .binary : .text, UnsafeRawBufferPointer(rebasing: echo[(at + 4)..<(at + 4 + n)]), flush: false)
            at += 4 + n
        }
        if let request {
            remaining = request
            next = 0
        }
        if remaining > 0 {
            while remaining > 0 && (ws?.pendingSend ?? 0) < batchBytes {
                let i = next % (offsets.count - 1)
                let message = UnsafeRawBufferPointer(rebasing: wire[offsets[i]..<offsets[i + 1]])
                ws!.send(.text, message, flush: false)
                next += 1
                remaining -= 1
                work += 1
            }
            if remaining == 0 {
                let done = UnsafeRawBufferPointer(rebasing: wire[wire.count - 4..<wire.count])
                ws!.send(.text, done, flush: false)
            }
        }
        if echoed > 0 || work > 0 { work += ws!.flush() }
        return work
    }

    mutating func pollTCP() -> Int {
        switch tcp!.receive(into: tcpBuffer) {
        case .bytes(let n, _):
            var sent = 0
            while sent < n {
                guard case .sent(let k) = tcp!.send(UnsafeRawBufferPointer(rebasing: tcpBuffer[sent..<n])) else { continue }
                sent += k
            }
            return n
        case .wouldBlock: return 0
        case .closed, .failed:
            tcp = nil
            hasTCP = false
            return 1
        }
    }
}

public struct LoopbackStreamError: Error, CustomStringConvertible {
    public let why: String
    public var description: String { "loopback stream failed: \(why)" }
}

/// Set by the loop's watcher when a listener has a connection waiting; read by the stage on the same thread.
final class ListenerReadiness {
    var ready = true
}

/// A Gantry WebSocket client receiving depth messages from a `NetBenchServer` that runs on a busy-polling
/// runner on another CPU, in this process: for the ordo-one suite, which counts every malloc of the process,
/// server included.
public final class LoopbackStream {
    let runner: Runner
    var client: WebSocketConnection
    let request: [UInt8]
    public let messagesPerRound: Int

    /// - Parameters:
    ///   - pki: A folder with ca.pem, server.pem and server.key for TLS (scripts/bench-pki.sh), or nil for plain.
    public init(serverCPU: Int, messagesPerRound: Int, pki: String?) throws {
        var serverTLS: TLSContext? = nil
        var clientTLS: TLSContext? = nil
        if let pki {
            serverTLS = try TLSContext(serverCertificate: pki + "/server.pem", key: pki + "/server.key")
            clientTLS = try TLSContext(clientTrusting: pki + "/ca.pem")
        }
        let port = Mutex<Int>(0)
        let tls = serverTLS
        runner = try Runner(RunnerSpec(name: "bench-venue", cpu: serverCPU, mode: .busyPoll)) { context in
            let server = try! NetBenchServer(wsPort: 0, tcpPort: 0, tls: tls, messages: DepthMessages(count: 4_096), context: context)
            port.withLock { $0 = server.wsPort }
            return server
        }
        while port.withLock({ $0 }) == 0 {}
        client = try WebSocketConnection(
            address: "127.0.0.1", port: port.withLock { $0 }, host: "localhost", path: "/", tls: clientTLS, maxMessage: 1 << 16
        )
        request = Array("stream \(messagesPerRound)".utf8)
        self.messagesPerRound = messagesPerRound
        var open = false
        var failure: String? = nil
        while !open && failure == nil {
            _ = client.poll { event in
                if case .open = event { open = true }
                if case .failed(let why) = event { failure = "\(why)" }
            }
        }
        if let failure { throw LoopbackStreamError(why: failure) }
    }

    /// Asks for one round of messages and receives all of them. - Returns: Payload bytes received.
    public func receiveRound() -> Int {
        var bytes = 0
        var done = false
        request.withUnsafeBytes { _ = client.send(.text, $0) }
        while !done {
            _ = client.poll { event in
                if case .message(_, let payload, _) = event {
                    if payload.count == 4 && payload[0] == 0x64 && payload[3] == 0x65 { done = true } else { bytes &+= payload.count }
                }
            }
        }
        return bytes
    }

    public func stop() { runner.stop() }
}
