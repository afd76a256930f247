// The trading core's hot steps: a risk decision, an arbitrage's legs decided and guarded, a routing, a strategy
// step. 0 mallocs is a threshold.
import Benchmark
import GantryBook
import GantryCore
import GantryExecution
import GantryRisk
import GantryStrategy

/// Three venues listing BTC/USD with 20-level books, and a risk engine and a router over them.
final class TradingBench {
    var risk: RiskEngine
    var router: SmartOrderRouter
    var mirror: BookMirror
    var host: StrategyHost<NoCustomStrategy>
    let approvable: OrderIntent
    let unaffordable: OrderIntent
    let parent: OrderIntent
    var expiry: OrderReport
    let events: [MarketEvent]
    var next = 0
    let fees: [Int64] = [0, 1_000, 4_000, 6_000]
    let latency: [Nanos] = [.zero, .milliseconds(1), .milliseconds(3), .milliseconds(2)]
    let capacity: [Int64] = [.max, .max, .max, .max]
    var guardian: LegGuard
    /// An arbitrage's legs: buy on a, sell on b.
    var legs: [OrderIntent]
    var verdicts: [RiskVerdict] = []

    init() {
        let registry = try! InstrumentRegistry([
            InstrumentSpec(venue: "a", symbol: "BTCUSDT", tickSize: "0.01", lotSize: "0.00001", priceScale: 2, quantityScale: 8),
            InstrumentSpec(venue: "b", symbol: "BTC/USD", tickSize: "0.1", lotSize: "0.00000001", priceScale: 1, quantityScale: 8),
            InstrumentSpec(venue: "c", symbol: "BTC-USD", tickSize: "0.01", lotSize: "0.00000001", priceScale: 2, quantityScale: 8),
        ])
        let ids = (1...3).map { InstrumentId(raw: UInt32($0)) }
        let universe = try! Universe(registry: registry, listings: [
            .init(instrument: ids[0], pair: "BTC/USD", venueQuote: "USDT"), .init(instrument: ids[1], pair: "BTC/USD"), .init(instrument: ids[2], pair: "BTC/USD"),
        ])
        var limits: [StrategyRiskLimits] = []
        for s in 1...2 {
            var l = StrategyRiskLimits(
                strategy: StrategyId(raw: UInt16(s)), name: "s\(s)", capitalCents: 1_000_000_000, stage: .live, allowedPairs: [PairId(raw: 1)],
                maximumPosition: [0, 1_000_000_000])
            l.maximumOrdersPerSecond = 1_000
            limits.append(l)
        }
        var configuration = RiskConfiguration(strategies: limits)
        configuration.maximumVenueOrdersPerSecond = 1_000
        configuration.takerFees = fees
        configuration.maximumBookAge = .seconds(1_000_000)
        risk = RiskEngine(universe: universe, configuration: configuration)
        router = SmartOrderRouter(venues: 3)
        mirror = BookMirror(universe: universe, depth: 64)
        host = StrategyHost(
            universe: universe,
            entries: [.init(name: "arb", capitalCents: 1, spec: .arbitrage(.init(pair: PairId(raw: 1), minimumEdgeCentiBasisPoints: 1_000_000, maximumQuantity: 1_000_000)))],
            takerFees: fees)
        var events: [MarketEvent] = []
        for (k, id) in ids.enumerated() {
            let v = VenueId(raw: UInt8(k + 1))
            let tick: Int64 = k == 1 ? 1 : 10
            let base: Int64 = k == 1 ? 1_000_000 : 10_000_000
            var message = [MarketEvent(kind: .bookReset, venue: v, instrument: id, receiveTime: .seconds(1))]
            for d in 0..<20 {
                message.append(MarketEvent(kind: .levelChange, side: .buy, venue: v, instrument: id, price: Price(raw: base - tick * Int64(d + 1 + k)), quantity: Quantity(raw: 5_000_000)))
                message.append(MarketEvent(kind: .levelChange, side: .sell, venue: v, instrument: id, price: Price(raw: base + tick * Int64(d + 1 + k)), quantity: Quantity(raw: 5_000_000)))
            }
            message.append(MarketEvent(kind: .messageTimes, venue: v, instrument: id, flags: .endOfMessage, receiveTime: .seconds(1)))
            for e in message {
                risk.onMarket(e, now: .seconds(1))
                mirror.apply(e)
                host.onMarket(e, now: .seconds(1)) { _ in }
            }
            events += message
        }
        for v in 1...3 {
            for asset in 1...universe.assetNames.count {
                risk.setBalance(venue: VenueId(raw: UInt8(v)), asset: AssetId(raw: UInt16(asset)), free: Int128(1) << 90)
            }
        }
        approvable = OrderIntent(
            intentId: 1, signalId: 1, strategy: StrategyId(raw: 1), venue: VenueId(raw: 1), instrument: ids[0], pair: PairId(raw: 1), side: .buy,
            price: Price(raw: 10_000_020), quantity: Quantity(raw: 100_000), triggerTime: .seconds(1), createdTime: .seconds(1))
        var tooBig = approvable
        tooBig.strategy = StrategyId(raw: 2)
        tooBig.venue = VenueId(raw: 3)
        tooBig.instrument = ids[2]
        tooBig.price = Price(raw: 10_000_040)
        unaffordable = tooBig
        parent = OrderIntent(
            intentId: 2, signalId: 2, strategy: StrategyId(raw: 1), venue: .none, instrument: .none, pair: PairId(raw: 1), side: .buy,
            price: Price(raw: 10_000_200), quantity: Quantity(raw: 40_000_000), triggerTime: .seconds(1), createdTime: .seconds(1))
        expiry = OrderReport(
            status: .expired, side: .buy, venue: VenueId(raw: 1), instrument: ids[0], clientOrderId: ClientOrderId(raw: 0), venueOrderId: 0,
            price: approvable.price, lastQuantity: .zero, cumulativeQuantity: .zero, fee: 0, isTaker: true, eventTime: .zero)
        self.events = events
        var sell = approvable
        sell.venue = VenueId(raw: 2)
        sell.instrument = ids[1]
        sell.side = .sell
        sell.price = Price(raw: 999_990)
        var buy = approvable
        buy.legs = 2
        sell.legs = 2
        legs = [buy, sell]
        guardian = LegGuard(universe: universe, strategies: 2)
        verdicts.reserveCapacity(8)
        // Nothing on venue c's USD can pay for 0.001 at 100,000: the balance rule, the last, vetoes it.
        risk.setBalance(venue: VenueId(raw: 3), asset: universe.asset(named: "USD")!, free: 0)
    }

    var clock = Nanos.seconds(1)
    /// A new signal per intent (one signal's intents count together against its capital).
    var signal: UInt64 = 0

    /// One approval, then its expiry booked (the engine's open-order table back where it was). The clock moves
    /// 1.1 ms per order, under the 1,000 orders a second allowed.
    func approveAndExpire() -> Bool {
        var intent = approvable
        signal += 1
        intent.signalId = signal
        clock = clock + .microseconds(1_100)
        let verdict = risk.check(intent, now: clock)
        guard case .approved(let order) = verdict else {
            preconditionFailure("the benchmark's intent was vetoed: \(verdict.decision.reason) \(verdict.decision.observed) \(verdict.decision.limit)")
        }
        expiry.clientOrderId = order.clientOrderId
        return risk.apply(expiry)
    }

    /// An arbitrage's two legs decided together, followed by the leg guard to their fills, and settled (matched).
    func guardedLegs() -> Int {
        signal += 1
        legs[0].signalId = signal
        legs[1].signalId = signal
        clock = clock + .microseconds(2_200)
        verdicts.removeAll(keepingCapacity: true)
        risk.checkLegs(legs, now: clock, into: &verdicts)
        for v in verdicts {
            guard case .approved(let o) = v else { preconditionFailure("a leg was vetoed: \(v.decision.reason)") }
            guardian.onDecision(o.decision)
            var r = expiry
            r.status = .filled
            r.side = o.side
            r.venue = o.venue
            r.instrument = o.instrument
            r.clientOrderId = o.clientOrderId
            r.price = o.price
            r.lastQuantity = o.quantity
            r.cumulativeQuantity = o.quantity
            _ = risk.apply(r)
            guardian.onReport(r)
        }
        var n = 0
        guardian.poll(now: clock, hedge: { _, _ in n += 1 }, event: { _ in n += 1 })
        return n
    }

    /// A decision through every rule, vetoed by the last one.
    func vetoAtBalance() -> RiskReason {
        var intent = unaffordable
        signal += 1
        intent.signalId = signal
        return risk.check(intent, now: .seconds(1)).decision.reason
    }

    func route() -> Int {
        var n = 0
        _ = router.route(
            parent, market: mirror, takerFees: fees, latency: latency, capacity: capacity, now: .seconds(1), maximumBookAge: .seconds(1_000_000)
        ) { _ in n += 1 }
        return n
    }

    /// One book message (a level change and its end) through the strategy host: mirror + arbitrage scan.
    func strategyStep() -> Int {
        let e = events[next]
        next = next + 1 == events.count ? 0 : next + 1
        var n = 0
        host.onMarket(e, now: .seconds(1)) { _ in n += 1 }
        return n
    }
}

nonisolated(unsafe) var tradingBench: TradingBench?

func tradingBenchmarks() {
    let setUp: @Sendable () -> Void = { tradingBench = TradingBench() }
    let tearDown: @Sendable () -> Void = { tradingBench = nil }
    Benchmark("Risk check per intent, approved (with its expiry booked)", configuration: .init(setup: setUp, teardown: tearDown)) { b in
        for _ in b.scaledIterations { blackHole(tradingBench!.approveAndExpire()) }
    }
    Benchmark("Risk check per intent, through every rule to a veto", configuration: .init(setup: setUp, teardown: tearDown)) { b in
        for _ in b.scaledIterations { blackHole(tradingBench!.vetoAtBalance()) }
    }
    Benchmark("Risk check of two arbitrage legs, guarded to their fills", configuration: .init(setup: setUp, teardown: tearDown)) { b in
        for _ in b.scaledIterations { blackHole(tradingBench!.guardedLegs()) }
    }
    Benchmark("Router decision: 0.4 BTC over 3 venues x 20 levels", configuration: .init(setup: setUp, teardown: tearDown)) { b in
        for _ in b.scaledIterations { blackHole(tradingBench!.route()) }
    }
    Benchmark("Strategy host step: mirror apply + arbitrage scan", configuration: .init(setup: setUp, teardown: tearDown)) { b in
        for _ in b.scaledIterations { blackHole(tradingBench!.strategyStep()) }
    }
}
