// The far side of the ingest benchmark: a Bybit-speaking venue that answers a subscription with a book
// snapshot and then streams deltas at a fixed rate, so that latency is measured at a known load rather than
// flat out. The deltas come from a model book, so they never cross it and their update ids are contiguous:
// every one of them goes through the real sync.
import GantryCore
import GantryLoop
import GantryNet

/// Bybit v5 `orderbook.200.BTCUSDT` messages: one snapshot, then deltas with contiguous `u`, generated from a
/// seeded model book (prices within 100 ticks of a drifting mid, never crossed). Laid end to end in one buffer.
public struct BybitFeedMessages: Sendable {
    public let snapshot: [UInt8]
    public let bytes: [UInt8]
    /// Delta i is bytes[offsets[i] ..< offsets[i + 1]].
    public let offsets: [Int]
    public let firstUpdateId: UInt64 = 1_000

    public var count: Int { offsets.count - 1 }
    public var meanSize: Double { Double(bytes.count) / Double(count) }

    public init(count: Int, seed: UInt64 = 0x4279_6269) {
        var state = seed | 1
        func next(_ n: Int) -> Int {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return Int((state &* 0x2545_F491_4F6C_DD1D) >> 33) % n
        }
        func price(_ ticks: Int) -> String { "\(ticks / 100).\(ticks % 100 < 10 ? "0" : "")\(ticks % 100)" }
        func size(_ thousandths: Int) -> String {
            "\(thousandths / 1000).\(String(repeating: "0", count: 3 - String(thousandths % 1000).count))\(thousandths % 1000)"
        }
        var mid = 9_712_345
        var bids: [Int: Int] = [:]
        var asks: [Int: Int] = [:]
        for d in 1...100 {
            bids[mid - d] = 1 + next(5_000)
            asks[mid + d] = 1 + next(5_000)
        }
        func levels(_ side: [Int: Int], descending: Bool) -> String {
            side.keys.sorted(by: descending ? (>) : (<)).map { #"["\#(price($0))","\#(size(side[$0]!))"]"# }.joined(separator: ",")
        }
        var u = firstUpdateId
        var seq: UInt64 = 80_000_000
        let ts = 1_764_000_000_000
        snapshot = Array(
            #"{"topic":"orderbook.200.BTCUSDT","type":"snapshot","ts":\#(ts),"data":{"s":"BTCUSDT","b":[\#(levels(bids, descending: true))],"a":[\#(levels(asks, descending: false))],"u":\#(u),"seq":\#(seq)},"cts":\#(ts)}"#.utf8)
        var bytes: [UInt8] = []
        var offsets = [0]
        for i in 0..<count {
            var b: [(Int, Int)] = []
            var a: [(Int, Int)] = []
            // The mid drifts a tick now and then; levels it passes are removed, as are levels beyond 100 ticks.
            let move = next(10) == 0 ? (next(2) == 0 ? -1 : 1) : 0
            mid += move
            for p in bids.keys where p >= mid || p < mid - 100 {
                bids[p] = nil
                b.append((p, 0))
            }
            for p in asks.keys where p <= mid || p > mid + 100 {
                asks[p] = nil
                a.append((p, 0))
            }
            for _ in 0..<(4 + next(9)) {
                let d = 1 + (next(4) == 0 ? next(100) : next(12))
                let q = next(5) == 0 ? 0 : 1 + next(5_000)
                if next(2) == 0 {
                    b.append((mid - d, q))
                    bids[mid - d] = q == 0 ? nil : q
                } else {
                    a.append((mid + d, q))
                    asks[mid + d] = q == 0 ? nil : q
                }
            }
            u += 1
            seq += UInt64(1 + next(50))
            let text = #"{"topic":"orderbook.200.BTCUSDT","type":"delta","ts":\#(ts + i),"data":{"s":"BTCUSDT","b":[\#(b.map { #"["\#(price($0.0))","\#(size($0.1))"]"# }.joined(separator: ","))],"a":[\#(a.map { #"["\#(price($0.0))","\#(size($0.1))"]"# }.joined(separator: ","))],"u":\#(u),"seq":\#(seq)},"cts":\#(ts + i)}"#
            bytes += Array(text.utf8)
            offsets.append(bytes.count)
        }
        self.bytes = bytes
        self.offsets = offsets
    }
}

/// The paced venue: one client at a time; a subscribe gets Bybit's reply and the snapshot, then `count`
/// deltas are sent at `rate` per second (each when it is due by the clock: no bursts beyond what the poll
/// granularity makes), then nothing. Allocation-free once connected.
public struct PacedFeedServer: Stage, ~Copyable {
    let listener: TCPListener
    let tls: TLSContext?
    let messages: BybitFeedMessages
    let wire: UnsafeMutableRawBufferPointer
    let rate: Int
    var ws: WebSocketConnection? = nil
    var hasWS = false
    var started = false
    var start = Nanos.zero
    var sent = 0
    let listening = ListenerReadiness()
    static let subscribe = Array(#""op":"subscribe""#.utf8)
    static let reply = Array(#"{"success":true,"ret_msg":"","conn_id":"bench","req_id":"","op":"subscribe"}"#.utf8)

    /// When each delta was handed to the kernel (monotonic ns), if the caller wants it: delta i at index i.
    let sendTimes: UnsafeMutablePointer<Int64>?

    public init(
        tls: TLSContext?, messages: BybitFeedMessages, rate: Int, context: RunnerContext, sendTimes: UnsafeMutablePointer<Int64>? = nil
    ) throws {
        self.sendTimes = sendTimes
        listener = try TCPListener(host: "127.0.0.1", port: 0)
        let listening = self.listening
        context.watch(fd: listener.fd) { listening.ready = true }
        self.tls = tls
        self.messages = messages
        self.rate = rate
        wire = .allocate(byteCount: messages.bytes.count, alignment: 64)
        wire.copyBytes(from: messages.bytes)
    }

    deinit { wire.deallocate() }

    public var port: Int { listener.port }

    public mutating func poll() -> Int {
        var work = 0
        if listening.ready {
            listening.ready = false
            if let socket = try? listener.accept() {
                ws = try? WebSocketConnection(accepted: socket, tls: tls)
                hasWS = ws != nil
                started = false
                sent = 0
                work += 1
            }
        }
        guard hasWS else { return work }
        var subscribed = false
        var closed = false
        work += ws!.poll { event in
            switch event {
            case .message(_, let payload, _):
                if payload.count > 20 && payload.firstRange(of: Self.subscribe) != nil { subscribed = true }
            case .closed: closed = true
            default: break
            }
        }
        if closed {
            ws = nil
            hasWS = false
            return work + 1
        }
        if subscribed {
            Self.reply.withUnsafeBytes { _ = ws!.send(.text, $0, flush: false) }
            messages.snapshot.withUnsafeBytes { _ = ws!.send(.text, $0, flush: false) }
            started = true
            start = MonotonicClock.now()
            sent = 0
            work += ws!.flush()
        }
        if started && sent < messages.count {
            let due = min(messages.count, Int((MonotonicClock.now() - start).raw * Int64(rate) / 1_000_000_000))
            if due > sent {
                let first = sent
                while sent < due {
                    let m = UnsafeRawBufferPointer(rebasing: wire[messages.offsets[sent]..<messages.offsets[sent + 1]])
                    ws!.send(.text, m, flush: false)
                    sent += 1
                }
                work += ws!.flush()
                if let sendTimes {
                    let now = MonotonicClock.now().raw
                    for i in first..<sent { sendTimes[i] = now }
                }
            }
        }
        return work
    }
}
