// The flow model's hot steps: one inference (C 4 × T 32, 8 filters of kernel 5), and one strategy sample (features
// from the mirror, the window, the inference, the decision). 0 mallocs is a threshold; µs per call is reported.
import Benchmark
import GantryBook
import GantryCore
import GantryStrategy

/// A flow model with fixed pseudo-random weights over a full window, and a host running it on one book.
final class FlowModelBench {
    var inference: FlowInference
    var window = FlowFeatureWindow(length: 32)
    var host: StrategyHost<NoCustomStrategy>
    var now = Nanos.seconds(1)
    var flip = false

    init() {
        var file = FlowModel.zero(shape: .init(channels: 4, window: 32, filters: 8, kernel: 5)).file
        var x: UInt64 = 42
        func weight() -> Double {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(Int64(x >> 40) - (1 << 23)) / Double(1 << 24)
        }
        file.weights.convWeight = file.weights.convWeight.map { $0.map { $0.map { _ in weight() } } }
        file.weights.convBias = file.weights.convBias.map { _ in weight() }
        file.weights.denseWeight = file.weights.denseWeight.map { _ in weight() }
        file.scaling.mean = [0, 0, 0, 0]
        file.scaling.std = [300, 5_000, 1_000, 1_000]
        let model = try! FlowModel(file: file)
        inference = FlowInference(model: model)
        for t in 0..<32 {
            window.push(FlowFeatureRow(midReturn: Int64(t % 7) * 40 - 120, imbalance: Int64(t % 5) * 1_000 - 2_000, netInflow: Int64(t % 3) * 500 - 500, outflow: 300))
        }
        let registry = try! InstrumentRegistry([
            InstrumentSpec(venue: "a", symbol: "BTCUSDT", tickSize: "0.01", lotSize: "0.00001", priceScale: 2, quantityScale: 8)
        ])
        let universe = try! Universe(registry: registry, listings: [.init(instrument: InstrumentId(raw: 1), pair: "BTC/USDT")])
        // A threshold no output reaches: the step measured is the sample and the inference, not an intent's drain.
        let p = FlowCNNStrategy.Parameters(pair: PairId(raw: 1), model: model, sampleInterval: .milliseconds(100), threshold: 1.0, quantity: 1_000_000)
        host = StrategyHost(universe: universe, entries: [.init(name: "flow", capitalCents: 1, spec: .flowCNN(p))], takerFees: [0, 0])
        let v = VenueId(raw: 1)
        let i = InstrumentId(raw: 1)
        for e in [
            MarketEvent(kind: .bookReset, venue: v, instrument: i, flags: .snapshot, receiveTime: now),
            MarketEvent(kind: .levelChange, side: .buy, venue: v, instrument: i, price: Price(raw: 9_999_950), quantity: Quantity(raw: 200_000_000), receiveTime: now),
            MarketEvent(kind: .levelChange, side: .sell, venue: v, instrument: i, price: Price(raw: 10_000_050), quantity: Quantity(raw: 100_000_000), receiveTime: now),
            MarketEvent(kind: .messageTimes, venue: v, instrument: i, flags: .endOfMessage, receiveTime: now),
        ] { host.onMarket(e, now: now) { _ in } }
        for _ in 0..<40 { _ = sample() }
    }

    func infer() -> Double { inference.run(window) }

    /// One timer of the strategy: a bid size change (so the features move), flows fed, the sample and the model.
    func sample() -> Int {
        now = now + .milliseconds(100)
        flip.toggle()
        let e = MarketEvent(
            kind: .levelChange, side: .buy, venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), flags: .endOfMessage, price: Price(raw: 9_999_950),
            quantity: Quantity(raw: flip ? 300_000_000 : 100_000_000), receiveTime: now)
        var n = 0
        host.onMarket(e, now: now) { _ in n += 1 }
        host.onFlow(exchangeIndex: 0, inflow: 1_000, outflow: flip ? 2_000 : 0)
        host.onTimers(now: now) { _ in n += 1 }
        return n
    }
}

nonisolated(unsafe) var flowModelBench: FlowModelBench?

func flowModelBenchmarks() {
    let setUp: @Sendable () -> Void = { flowModelBench = FlowModelBench() }
    let tearDown: @Sendable () -> Void = { flowModelBench = nil }
    Benchmark(
        "Flow CNN inference C4 T32 F8 K5",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal, .throughput], timeUnits: .microseconds, setup: setUp, teardown: tearDown)
    ) { b in
        for _ in b.scaledIterations { blackHole(flowModelBench!.infer()) }
    }
    Benchmark(
        "Flow CNN strategy sample: features, window, inference",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal, .throughput], timeUnits: .microseconds, setup: setUp, teardown: tearDown)
    ) { b in
        for _ in b.scaledIterations { blackHole(flowModelBench!.sample()) }
    }
}
