import Foundation
import GantryCore
import GantryLoop
import GantryNet
import Synchronization
import VenueSim

/// What the client thread reports.
final class ClientCounts: Sendable {
    let messages = Atomic<Int>(0)
    let bytes = Atomic<Int>(0)
    let chainBreaks = Atomic<Int>(0)
    let port = Atomic<Int>(0)
    let steps = Atomic<Int>(0)
}

/// The venue as a stage: the simulator stepping flat out (a step rate it can never keep up with).
struct SimStage: Stage {
    let sim: VenueSimulator
    let counts: ClientCounts
    mutating func poll() -> Int {
        let work = sim.poll()
        counts.steps.store(sim.steps, ordering: .relaxed)
        return work
    }
}

/// Gantry's WebSocket client counting depth updates and checking U/u.
struct CountingClient: Stage, ~Copyable {
    var ws: WebSocketConnection
    let counts: ClientCounts
    var subscribed = false
    var lastU: UInt64 = 0
    static let subscribe = Array(#"{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms"],"id":1}"#.utf8)

    mutating func poll() -> Int {
        var opened = false
        var n = 0
        var bytes = 0
        var breaks = 0
        var last = lastU
        let work = ws.poll { event in
            switch event {
            case .open: opened = true
            case .failed(let why): print("client: \(why)")
            case .closed(let code, _): print("client closed \(code)")
            case .message(_, let p, _):
                n += 1
                bytes += p.count
                // "U":<first>,"u":<last> — read the two numbers in place.
                if let (first, final) = updateIds(p) {
                    if last != 0 && first != last + 1 { breaks += 1 }
                    last = final
                }
            default: break
            }
        }
        lastU = last
        if opened && !subscribed {
            subscribed = true
            Self.subscribe.withUnsafeBytes { _ = ws.send(.text, $0) }
        }
        if n > 0 {
            counts.messages.add(n, ordering: .relaxed)
            counts.bytes.add(bytes, ordering: .relaxed)
            if breaks > 0 { counts.chainBreaks.add(breaks, ordering: .relaxed) }
        }
        return work
    }
}

/// The `U` and `u` of a depthUpdate, found by their keys near the start (a byte loop: the header comes first).
func updateIds(_ p: UnsafeRawBufferPointer) -> (UInt64, UInt64)? {
    var first: UInt64? = nil
    var i = 0
    let n = min(p.count, 200)
    while i + 4 < n {
        // `"U":` or `"u":`
        if p[i] == 0x22 && p[i + 2] == 0x22 && p[i + 3] == 0x3A && (p[i + 1] == 0x55 || p[i + 1] == 0x75) {
            var v: UInt64 = 0
            var k = i + 4
            while k < p.count, p[k] >= 0x30, p[k] <= 0x39 {
                v = v * 10 + UInt64(p[k] - 0x30)
                k += 1
            }
            if p[i + 1] == 0x55 {
                first = v
            } else if let first {
                return (first, v)
            }
            i = k
        } else {
            i += 1
        }
    }
    return nil
}

func runSimBench(seconds: Int, target: Int, enforce: Bool) -> Int32 {
    let machine = Machine.current()
    let cpus = machine.cpus
    let venueCPU = cpus.last ?? 0
    let clientCPU = cpus.first ?? 0
    let counts = ClientCounts()
    let mode: RunnerMode = cpus.count >= 2 ? .busyPoll : .adaptiveShared
    print("gantry-sim-bench: one simulated Binance venue (BTCUSDT, 50 levels a side, the matching engine underneath) on cpu \(venueCPU), Gantry's WebSocket client on cpu \(clientCPU), \(cpus.count) CPU(s) used, \(seconds) s")
    do {
        let venueRunner = try Runner(RunnerSpec(name: "sim", cpu: venueCPU, mode: mode)) { _ in
            let book = SimulatedBook(
                instrument: SimInstrument(symbol: "BTCUSDT", priceScale: 2, quantityScale: 8, tick: 1, lot: 1_000),
                fees: FeeSchedule(makerCentiBasisPoints: 200, takerCentiBasisPoints: 1_000), levels: 50, maxLots: 50_000)
            let venue = try! SimVenue(name: "binance", kind: .binance, books: [book], restPort: nil)
            let sim = VenueSimulator(
                venues: [venue], markets: [MarketParameters(start: 97_000 * 100_000_000, volatilityPerSecond: 100_000_000)],
                assignments: [[0]], stepsPerSecond: 1_000_000, seed: 5)
            // Flat out, but never more than 1 MiB ahead of the reader: the rate is what the venue can push and
            // the client take, not what piles up in a queue.
            sim.holdWhenBacklogged = ProcessInfo.processInfo.environment["SIM_HOLD"].flatMap { Int($0) } ?? (1 << 20)
            counts.port.store(venue.port, ordering: .releasing)
            return SimStage(sim: sim, counts: counts)
        }
        while counts.port.load(ordering: .acquiring) == 0 { usleep(1_000) }
        let port = counts.port.load(ordering: .acquiring)
        let clientRunner = try Runner(RunnerSpec(name: "client", cpu: clientCPU, mode: mode)) { _ in
            CountingClient(ws: try! WebSocketConnection(address: "127.0.0.1", port: port, host: "sim", path: "/stream", tls: nil), counts: counts)
        }
        // Warm up one second, then measure.
        usleep(1_000_000)
        let m0 = counts.messages.load(ordering: .relaxed)
        let b0 = counts.bytes.load(ordering: .relaxed)
        let s0 = counts.steps.load(ordering: .relaxed)
        let t0 = MonotonicClock.now()
        usleep(UInt32(seconds) * 1_000_000)
        let t1 = MonotonicClock.now()
        let m1 = counts.messages.load(ordering: .relaxed)
        let b1 = counts.bytes.load(ordering: .relaxed)
        let s1 = counts.steps.load(ordering: .relaxed)
        clientRunner.stop()
        venueRunner.stop()
        let elapsed = Double((t1 - t0).raw) / 1e9
        let rate = Double(m1 - m0) / elapsed
        let mb = Double(b1 - b0) / elapsed / 1e6
        let breaks = counts.chainBreaks.load(ordering: .relaxed)
        print(String(format: "  depth messages pushed and received: %.0f msgs/s (%.1f MB/s, %.0f bytes each), model steps %.0f/s", rate, mb, Double(b1 - b0) / Double(max(1, m1 - m0)), Double(s1 - s0) / elapsed))
        print("  U/u chain breaks: \(breaks) (0: nothing lost or reordered)")
        let met = rate >= Double(target)
        print("  target ≥ \(target) msgs/s: \(met ? "met" : "NOT MET")")
        if breaks > 0 { return 1 }
        return enforce && !met ? 1 : 0
    } catch {
        print("gantry-sim-bench: \(error)")
        return 1
    }
}
