// The ordo-one suite: each Gantry measurement beside its C baseline, with allocation counts.
// `make bench` checks the static thresholds in Thresholds/ (0 mallocs on every hot-path benchmark);
// the interleaved ratio report (gantry-perf-report) prints how Gantry compares with the baselines.
import Benchmark
import BenchSupport
import GantryBook
import GantryVenues
import GantryCore
import GantryNet
import GantryRing

#if canImport(Glibc)
import Glibc
#endif

// Benchmark state lives across closure calls; each benchmark sets it up and tears it down itself, and
// the benchmark runner calls them from one thread.
nonisolated(unsafe) var ringPingPong: RingPingPong?
nonisolated(unsafe) var loopbackStream: LoopbackStream?
let priceSamples = PriceSamples()

/// `n` (0…999) as three digits with leading zeros.
func threeDigits(_ n: Int) -> String {
    let s = "\(n)"
    return String(repeating: "0", count: max(0, 3 - s.count)) + s
}

let benchmarks: @Sendable () -> Void = {
    // Cross-core benchmarks use the caller's CPU and one other (see BenchCPUs); the tool prints the host's
    // processor count. Tags would change the benchmark names and so the threshold file names: none here.
    let cpus = BenchCPUs.current()
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: 1_000,
        maxDuration: .seconds(3),
        maxIterations: 200_000
    )

    // One iteration = one round trip (two cross-core hops). The C baseline first, then the ring.
    Benchmark(
        "C cache-line ping-pong round trip",
        configuration: .init(metrics: [.wallClock], setup: {
            cpus.pinMain()
            CPingPong.start(echoCPU: cpus.other)
        }, teardown: {
            CPingPong.stop()
            cpus.unpinMain()
        })
    ) { _ in
        CPingPong.roundTrip()
    }

    Benchmark(
        "Ring ping-pong round trip",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], setup: {
            cpus.pinMain()
            ringPingPong = try! RingPingPong(echoCPU: cpus.other)
        }, teardown: {
            ringPingPong?.stop()
            ringPingPong = nil
            cpus.unpinMain()
        })
    ) { _ in
        ringPingPong!.roundTrip()
    }

    // One iteration = 1 M values moved to another core, batch 64.
    let transfer = 1_000_000
    let transfers: [(name: String, run: @Sendable () -> Int64)] = [
        ("C SPSC ring transfer 1M", { cRingTransfer(count: transfer, capacity: 4_096, batch: 64, consumerCPU: cpus.other) }),
        ("Ring SPSC transfer 1M", {
            try! gantryRingTransfer(count: transfer, capacity: 4_096, batch: 64, consumers: 1, consumerCPU: cpus.other)
        }),
        ("Ring broadcast x2 transfer 1M", {
            try! gantryRingTransfer(count: transfer, capacity: 4_096, batch: 64, consumers: 2, consumerCPU: cpus.other)
        }),
    ]
    for t in transfers {
        Benchmark(t.name, configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .mega, maxIterations: 50)) { _ in
            cpus.pinMain()
            blackHole(t.run())
            cpus.unpinMain()
        }
    }

    // One iteration = one 10-character price.
    Benchmark(
        "Decimal parse 10-char price",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal, .throughput], scalingFactor: .kilo)
    ) { benchmark in
        for i in benchmark.scaledIterations {
            blackHole(try? FixedPoint.parse(priceSamples.buffers[i & 7], scale: 8))
        }
    }

    // One iteration = parse one 300-byte masked text frame in place (header, unmask, UTF-8 check), as a server
    // does, then mask it back so that the next iteration sees the same bytes.
    Benchmark(
        "WebSocket frame parse 300-byte text",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal, .throughput], scalingFactor: .kilo)
    ) { benchmark in
        let payload = Array(String(repeating: "{\"e\":\"depthUpdate\",\"b\":[[\"0.0123\",\"1.5\"]]}", count: 7).utf8.prefix(300))
        let key: UInt32 = 0x3D21_FA37
        var frame = [UInt8](repeating: 0, count: WebSocketFrameWriter.maxHeaderLength + payload.count)
        let header = frame.withUnsafeMutableBytes {
            WebSocketFrameWriter.writeHeader(into: $0, opcode: .text, length: payload.count, maskKey: key)
        }
        frame.removeLast(WebSocketFrameWriter.maxHeaderLength - header)
        frame.replaceSubrange(header..., with: payload)
        frame.withUnsafeMutableBytes { WebSocketMask.apply(key: key, to: UnsafeMutableRawBufferPointer(rebasing: $0[header...])) }
        let parser = WebSocketFrameParser(role: .server)
        var ok = 0
        frame.withUnsafeMutableBytes { bytes in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                if case .frame(let h) = parser.parse(bytes) {
                    let body = UnsafeMutableRawBufferPointer(rebasing: bytes[h.payloadOffset..<h.frameLength])
                    var utf8 = UTF8Validator()
                    if utf8.feed(UnsafeRawBufferPointer(body)) { ok &+= 1 }
                    WebSocketMask.apply(key: key, to: body)
                }
            }
            benchmark.stopMeasurement()
        }
        blackHole(ok)
    }

    // One iteration = 1,000 Binance-sized depth messages (about 450 bytes) received over loopback from the
    // benchmark venue on another core, plain and TLS (the PKI from scripts/bench-pki.sh, in GANTRY_BENCH_PKI).
    // The malloc count covers the whole process, server included: 0 means 0 per received message.
    let pki = getenv("GANTRY_BENCH_PKI").map { String(cString: $0) }
    for (name, folder) in [("plain", nil), ("TLS", pki)] as [(String, String?)] where name == "plain" || folder != nil {
        Benchmark(
            "WebSocket loopback receive 1000 depth messages \(name)",
            configuration: .init(metrics: [.wallClock, .mallocCountTotal, .throughput], warmupIterations: 20, setup: {
                cpus.pinMain()
                loopbackStream = try LoopbackStream(serverCPU: cpus.other, messagesPerRound: 1_000, pki: folder)
            }, teardown: {
                loopbackStream?.stop()
                loopbackStream = nil
                cpus.unpinMain()
            })
        ) { benchmark in
            for _ in benchmark.scaledIterations { blackHole(loopbackStream!.receiveRound()) }
        }
    }

    // One iteration = 1,000 level updates on a 1,000-level book side, 90 % within 20 ticks of the top (as venue
    // diffs are), a third of them removals; the book stays about the same size. No mallocs.
    Benchmark(
        "Book side set 1000 levels near the top",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal, .throughput])
    ) { benchmark in
        var bids = BookSide(.buy, capacity: 5_000)
        for k in 0..<1_000 { bids.set(Price(raw: 1_000_000 - Int64(k)), Quantity(raw: 10)) }
        var state: UInt64 = 0x1234_5678
        var updates: [(Price, Quantity)] = []
        for _ in 0..<1_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let r = state >> 33
            let depth = Int64(r % 10 == 0 ? r % 1_000 : r % 20)
            updates.append((Price(raw: 1_000_000 - depth), Quantity(raw: r % 3 == 0 ? 0 : Int64(r % 500 + 1))))
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for (p, q) in updates { blackHole(bids.set(p, q)) }
        }
        benchmark.stopMeasurement()
    }

    // One iteration = 1,000 level updates on a full 5,000-level side (Binance's REST snapshot depth), at any
    // depth with equal chance (a diff's levels far from the top, where an insert or removal moves the levels on
    // its shorter side), half of them removals of a held level and half inserts of a new one, so the side stays
    // full. No mallocs.
    Benchmark(
        "Book side set 1000 levels anywhere in 5000",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal, .throughput])
    ) { benchmark in
        var asks = BookSide(.sell, capacity: 5_000)
        // Held: the even ticks; an update removes one and inserts an odd one beside it, then puts both back.
        for k in (0..<5_000).reversed() { asks.set(Price(raw: 1_000_000 + 2 * Int64(k)), Quantity(raw: 10)) }
        var state: UInt64 = 0x8765_4321
        var updates: [(Price, Quantity)] = []
        for _ in 0..<250 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let tick = 1_000_000 + 2 * Int64((state >> 33) % 4_999)
            updates += [
                (Price(raw: tick), .zero), (Price(raw: tick + 1), Quantity(raw: 7)),
                (Price(raw: tick + 1), .zero), (Price(raw: tick), Quantity(raw: 10)),
            ]
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for (p, q) in updates { blackHole(asks.set(p, q)) }
        }
        benchmark.stopMeasurement()
    }

    venueBenchmarks()
    tradingBenchmarks()
    flowModelBenchmarks()
    orderEntryBenchmarks()
    journalBenchmarks()

    // Steady state on one thread: publish and consume through a ring, one event and batches. No mallocs.
    Benchmark(
        "Ring publish+consume MarketEvent (one thread)",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal, .throughput], scalingFactor: .kilo)
    ) { benchmark in
        var local = LocalRing()
        let event = local.event
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            var e = event
            e.sequence = UInt64(i)
            _ = local.producer.tryPublish(e)
            blackHole(local.consumer.tryConsume())
        }
        benchmark.stopMeasurement()
    }

    Benchmark(
        "Ring claim+commit+poll batch 64 (one thread)",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal, .throughput], scalingFactor: .kilo)
    ) { benchmark in
        var local = LocalRing()
        let event = local.event
        var sum: UInt64 = 0
        benchmark.startMeasurement()
        for _ in 0..<(benchmark.scaledIterations.count / 64) {
            let slots = local.producer.claim(upTo: 64)
            for k in 0..<slots.count { slots[k] = event }
            local.producer.commit(slots.count)
            _ = local.consumer.poll(upTo: 64) { batch in for e in batch { sum &+= e.sequence } }
        }
        benchmark.stopMeasurement()
        blackHole(sum)
    }
}

/// A ring whose producer and consumer are both used by the benchmark's own thread.
struct LocalRing: ~Copyable {
    var producer: RingProducer<MarketEvent>
    var consumer: RingConsumer<MarketEvent>
    let event = MarketEvent(kind: .levelChange, side: .buy, venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1))

    init() {
        let ring = try! Ring<MarketEvent>.spsc(capacity: 1_024)
        producer = try! ring.takeProducer()
        consumer = try! ring.takeConsumer()
    }
}
