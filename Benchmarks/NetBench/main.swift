// gantry-net-bench: the network benchmarks' server and Gantry's clients. `scripts/bench-net.sh` starts the
// server on one CPU, then runs these clients and the picows peer (Benchmarks/peers/) on the other, and prints
// the side-by-side table. Each client prints one JSON line.
//
//   gantry-net-bench serve --cpu 1 [--cert F --key F] [--messages 4096]
//   gantry-net-bench throughput --port P [--ca F] [--count 200000] [--cpu 0]
//   gantry-net-bench rtt --port P --mode busy|epoll [--tcp] [--count 20000] [--size 64] [--cpu 0]
import BenchSupport
import GantryCore
import GantryLoop
import GantryNet
import Histogram
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

func fail(_ why: String) -> Never {
    let line = Array("gantry-net-bench: \(why)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

/// Prints a line unbuffered (the server's line is read by the script while the server runs on).
func emit(_ text: String) {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}

/// `--key value` options and `--flag` switches.
struct Arguments: Sendable {
    var options: [String: String] = [:]
    var flags: Set<String> = []

    init(_ arguments: ArraySlice<String>) {
        var rest = arguments
        while let a = rest.popFirst() {
            guard a.hasPrefix("--") else { fail("unexpected argument \(a)") }
            let key = String(a.dropFirst(2))
            if let value = rest.first, !value.hasPrefix("--") {
                options[key] = value
                rest.removeFirst()
            } else {
                flags.insert(key)
            }
        }
    }

    func int(_ key: String, _ fallback: Int) -> Int {
        guard let v = options[key] else { return fallback }
        guard let n = Int(v) else { fail("--\(key) wants a number, got \(v)") }
        return n
    }

    /// The CPU the client runs on (the first this process may use, unless --cpu).
    var clientCPU: Int { int("cpu", ThreadAffinity.current().first ?? 0) }
}

let all = CommandLine.arguments.dropFirst()
guard let command = all.first else { fail("usage: gantry-net-bench serve|throughput|rtt [options]") }
let arguments = Arguments(all.dropFirst())
switch command {
case "serve": serve(arguments)
case "throughput": throughput(arguments)
case "rtt": rtt(arguments)
default: fail("unknown command \(command)")
}

/// Runs the plain and the TLS server (plus the TCP echo) on one busy-polling runner until killed.
func serve(_ args: Arguments) -> Never {
    let cpu = args.int("cpu", ThreadAffinity.current().last ?? 0)
    let messages = DepthMessages(count: args.int("messages", 4096))
    var tls: TLSContext? = nil
    if let cert = args.options["cert"], let key = args.options["key"] {
        do { tls = try TLSContext(serverCertificate: cert, key: key) } catch { fail("TLS: \(error)") }
    }
    let ports = Mutex<(Int, Int, Int)?>(nil)
    let made = Mutex<String?>(nil)
    let tlsContext = tls
    let runner: Runner
    do {
        runner = try Runner(RunnerSpec(name: "net-server", cpu: cpu, mode: .busyPoll)) { context in
            do {
                let plain = try NetBenchServer(wsPort: 0, tcpPort: 0, tls: nil, messages: messages, context: context)
                let secure = try NetBenchServer(wsPort: 0, tcpPort: 0, tls: tlsContext, messages: messages, context: context)
                ports.withLock { $0 = (plain.wsPort, secure.wsPort, plain.tcpPort) }
                return FusedStages(plain, secure)
            } catch {
                made.withLock { $0 = "\(error)" }
                fatalError("cannot listen: \(error)")
            }
        }
    } catch { fail("\(error)") }
    while ports.withLock({ $0 }) == nil { usleep(1000) }
    let (ws, wss, tcp) = ports.withLock { $0! }
    emit("ports ws=\(ws) wss=\(wss) tcp=\(tcp) cpu=\(cpu) mean_message_bytes=\(Int(messages.meanSize.rounded()))")
    // Until killed (the runner is used in the loop so that it lives as long).
    while runner.stats.polls >= 0 { sleep(1) }
    fail("unreachable")
}

/// Asks for `count` depth messages and receives them as fast as they come.
func throughput(_ args: Arguments) {
    let clientCPU = args.clientCPU
    _ = ThreadAffinity.pinCurrentThread(to: clientCPU)
    let port = args.int("port", 0)
    let count = args.int("count", 200_000)
    var tls: TLSContext? = nil
    if let ca = args.options["ca"] {
        do { tls = try TLSContext(clientTrusting: ca) } catch { fail("TLS: \(error)") }
    }
    func run(_ n: Int) -> (messages: Int, bytes: Int, seconds: Double) {
        var conn: WebSocketConnection
        do {
            conn = try WebSocketConnection(address: "127.0.0.1", port: port, host: "localhost", path: "/", tls: tls)
        } catch { fail("connect: \(error)") }
        var open = false
        var failure: String? = nil
        while !open && failure == nil {
            _ = conn.poll { event in
                switch event {
                case .open: open = true
                case .failed(let why): failure = "\(why)"
                default: break
                }
            }
        }
        if let failure { fail(failure) }
        let request = Array("stream \(n)".utf8)
        var messages = 0
        var bytes = 0
        var done = false
        let start = MonotonicClock.now()
        request.withUnsafeBytes { _ = conn.send(.text, $0) }
        while !done && failure == nil {
            _ = conn.poll { event in
                switch event {
                case .message(_, let payload, _):
                    if payload.count == 4 && payload.elementsEqual(NetBenchProtocol.done) {
                        done = true
                    } else {
                        messages += 1
                        bytes += payload.count
                    }
                case .failed(let why): failure = "\(why)"
                default: break
                }
            }
        }
        let seconds = Double((MonotonicClock.now() - start).raw) / 1e9
        if let failure { fail(failure) }
        conn.close()
        return (messages, bytes, seconds)
    }
    _ = run(min(count, 20_000))  // warm-up: caches, TLS, the server's buffers
    let r = run(count)
    if r.messages != count { fail("received \(r.messages) of \(count) messages") }
    let rate = Double(r.messages) / r.seconds
    emit(
        "{\"client\":\"gantry\",\"test\":\"throughput\",\"transport\":\"\(tls == nil ? "plain" : "tls")\","
            + "\"messages\":\(r.messages),\"bytes\":\(r.bytes),\"seconds\":\(r.seconds),"
            + "\"msgs_per_s\":\(Int(rate)),\"mb_per_s\":\(Double(r.bytes) / r.seconds / 1e6),\"cpu\":\(clientCPU)}"
    )
}

/// What a round-trip stage hands back when it is done. The main thread blocks on a pipe until then, so that
/// it never wakes on the client's CPU during the measurement (a 10 ms polling loop showed in the p99).
final class RoundTrips: Sendable {
    let result = Mutex<(p50: UInt64, p99: UInt64, p999: UInt64, max: UInt64)?>(nil)
    let failure = Mutex<String?>(nil)
    let done: (read: Int32, write: Int32)

    init() {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { fail("pipe failed") }
        done = (fds[0], fds[1])
    }

    /// Wakes the waiting main thread.
    func signal() {
        var byte: UInt8 = 1
        _ = write(done.write, &byte, 1)
    }

    /// Blocks until `signal`.
    func wait() {
        var byte: UInt8 = 0
        while read(done.read, &byte, 1) < 0 && errno == EINTR {}
    }
}

/// Set by the loop's watcher when the socket is readable; read and cleared by the stage (same thread).
final class Readiness {
    var readable = true
}

/// Sends a `size`-byte message, waits for its echo, records the round trip; `count` times after a warm-up.
/// Over WebSocket (Gantry's client) or raw TCP (the floor). Waiting in epoll, the stage reads its socket only
/// when the loop has seen it readable (a read that would say EAGAIN is a wasted system call per wake-up), as
/// an epoll-driven feed stage does; busy-polling, it reads on every poll.
struct RoundTripStage: Stage, ~Copyable {
    var ws: WebSocketConnection?
    var tcp: TCPSocket?
    let overWebSocket: Bool
    let payload: UnsafeMutableRawBufferPointer
    let tcpBuffer: UnsafeMutableRawBufferPointer
    let count: Int
    let warmup: Int
    let out: RoundTrips
    var histogram = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
    var sent = 0
    var received = 0
    var sentAt = Nanos.zero
    var open = false
    var tcpGot = 0
    /// Waiting in epoll: read only when the loop saw the socket readable.
    let readiness: Readiness?

    init(ws: consuming WebSocketConnection?, tcp: consuming TCPSocket?, size: Int, count: Int, out: RoundTrips, readiness: Readiness?) {
        self.readiness = readiness
        overWebSocket = ws != nil
        self.ws = ws
        self.tcp = tcp
        payload = .allocate(byteCount: size, alignment: 64)
        for i in 0..<size { payload[i] = UInt8(0x61 + i % 26) }
        tcpBuffer = .allocate(byteCount: 64 << 10, alignment: 64)
        self.count = count
        warmup = min(2_000, count / 10)
        self.out = out
        open = !overWebSocket
    }

    deinit {
        payload.deallocate()
        tcpBuffer.deallocate()
    }

    var finished: Bool { received >= count + warmup }

    mutating func completed(at now: Nanos) {
        if received >= warmup { _ = histogram.record(UInt64(max(0, (now - sentAt).raw))) }
        received += 1
        if finished {
            out.result.withLock {
                $0 = (histogram.valueAtPercentile(50), histogram.valueAtPercentile(99), histogram.valueAtPercentile(99.9), histogram.max)
            }
            out.signal()
        }
    }

    mutating func poll() -> Int {
        if finished { return 0 }
        if open, let readiness {
            // Nothing to send until the echo is back, and nothing to read until the loop says so.
            if sent != received {
                if !readiness.readable { return 0 }
                readiness.readable = false
            }
        }
        var work = 0
        if overWebSocket {
            var echoed = false
            var failure: String? = nil
            var opened = false
            work += ws!.poll { event in
                switch event {
                case .open: opened = true
                case .message: echoed = true
                case .failed(let why): failure = "\(why)"
                default: break
                }
            }
            if let failure {
                out.failure.withLock { $0 = failure }
                out.signal()
                received = count + warmup
                return 1
            }
            if opened { open = true }
            if echoed { completed(at: MonotonicClock.now()) }
        } else {
            if case .bytes(let n, _) = tcp!.receive(into: tcpBuffer) {
                tcpGot += n
                work += n
                if tcpGot >= payload.count {
                    tcpGot -= payload.count
                    completed(at: MonotonicClock.now())
                }
            }
        }
        if open && sent == received && !finished {
            sentAt = MonotonicClock.now()
            if overWebSocket {
                ws!.send(.binary, UnsafeRawBufferPointer(payload))
            } else {
                var done = 0
                while done < payload.count {
                    if case .sent(let k) = tcp!.send(UnsafeRawBufferPointer(rebasing: payload[done...])) { done += k }
                }
            }
            sent += 1
            work += 1
        }
        return work
    }
}

/// Round trips on a runner pinned to the client CPU, busy-polling or parked in epoll between messages.
func rtt(_ args: Arguments) {
    let clientCPU = args.clientCPU
    let port = args.int("port", 0)
    let count = args.int("count", 20_000)
    let size = args.int("size", 64)
    let overTCP = args.flags.contains("tcp")
    let modeName = args.options["mode"] ?? "busy"
    let mode: RunnerMode
    switch modeName {
    case "busy": mode = .busyPoll
    case "epoll": mode = .adaptive(spins: 0, yields: 0)
    default: fail("--mode is busy or epoll")
    }
    let out = RoundTrips()
    let runner: Runner
    do {
        runner = try Runner(RunnerSpec(name: "net-rtt", cpu: clientCPU, mode: mode)) { context in
            do {
                let readiness = modeName == "epoll" ? Readiness() : nil
                if overTCP {
                    let socket = try TCPSocket.connect(host: "127.0.0.1", port: port)
                    while socket.connectState() == .inProgress {}
                    context.watch(fd: socket.fd) { readiness?.readable = true }
                    return RoundTripStage(ws: nil, tcp: socket, size: size, count: count, out: out, readiness: readiness)
                }
                let ws = try WebSocketConnection(address: "127.0.0.1", port: port, host: "localhost", path: "/", tls: nil)
                context.watch(fd: ws.fd) { readiness?.readable = true }
                return RoundTripStage(ws: ws, tcp: nil, size: size, count: count, out: out, readiness: readiness)
            } catch {
                fatalError("connect: \(error)")
            }
        }
    } catch { fail("\(error)") }
    out.wait()
    runner.stop()
    if let failure = out.failure.withLock({ $0 }) { fail(failure) }
    let r = out.result.withLock { $0! }
    func us(_ ns: UInt64) -> String { "\((Double(ns) / 10).rounded() / 100)" }
    emit(
        "{\"client\":\"\(overTCP ? "tcp-floor" : "gantry")\",\"test\":\"rtt\",\"mode\":\"\(modeName)\",\"count\":\(count),"
            + "\"size\":\(size),\"p50_us\":\(us(r.p50)),\"p99_us\":\(us(r.p99)),\"p999_us\":\(us(r.p999)),\"max_us\":\(us(r.max)),\"cpu\":\(clientCPU)}"
    )
}
