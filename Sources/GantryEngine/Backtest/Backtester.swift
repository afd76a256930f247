import GantryBook
import GantryCore
import GantryExecution
import GantryLoop
import GantryRing
import GantryRisk
import GantryStrategy

/// One strategy's backtest figures. Money in cents of the quote; Sharpe from the equity's changes per sample.
public struct StrategyBacktest: Sendable, Equatable {
    public var name: String
    public var pnlCents: Int64 = 0
    public var maximumDrawdownCents: Int64 = 0
    /// Annualized (24/7) from per-sample equity changes; 0 when equity never moved. For the record only: a ratio,
    /// not money, so a Double.
    public var sharpe: Double = 0
    public var orders = 0
    public var fills = 0
    /// Pair quantity approved, and filled: the fill ratio.
    public var orderedQuantity: Int64 = 0
    public var filledQuantity: Int64 = 0
    /// Notional traded, cents: turnover (divided by capital in `turnover`).
    public var tradedCents: Int64 = 0
    public var capitalCents: Int64 = 0

    public var fillRatioPercent: Int64 { orderedQuantity == 0 ? 0 : filledQuantity * 100 / orderedQuantity }
    /// Traded notional over capital, in hundredths.
    public var turnoverHundredths: Int64 { capitalCents == 0 ? 0 : tradedCents * 100 / capitalCents }
}

/// A backtest's outcome.
public struct BacktestResult: Sendable, Equatable {
    public var strategies: [StrategyBacktest]
    public var events: Int
    public var vetoes: Int
    public var degradePercent: Int64
    public var seed: UInt64
    /// Recorded time covered.
    public var span: Nanos
    /// Every strategy's equity together (cents), sampled every `sampleInterval`.
    public var equity: [Int64]
}

/// Replays recorded market events through the gateway's own stages — the signal stage (strategies and router),
/// the risk stage (every rule, the leg guard) — on one thread, joined by the same rings, with a manual clock set
/// to each message's receive time; the venue is the paper trader (latency drawn per order from a measured
/// distribution, depth consumed, queue position, fees). The same events, configuration and seed give the same
/// result, to the unit.
public enum Backtester {
    /// - Parameters:
    ///   - latency: Each venue's order latency distribution by name (absent: the paper model's 1 ms).
    ///   - degradePercent: The share of each fill's edge over the consolidated mid given up (robustness).
    ///   - sampleInterval: How often equity is sampled for drawdown and Sharpe.
    ///   - flows: The configured chain's on-chain flow events (in receive-time order), for the strategies that take
    ///     them: each reaches the signal stage before the first market message received after it.
    public static func run(
        _ configuration: TradingConfiguration, events: [MarketEvent], flows: [FlowEvent] = [], seed: UInt64, latency: [String: LatencyDistribution] = [:],
        degradePercent: Int64 = 0, sampleInterval: Nanos = .seconds(1)
    ) throws -> BacktestResult {
        let universe = configuration.universe
        let registry = configuration.market.registry
        let venues = registry.venueNames.count + 1
        // Events name instruments by the recording's ids: they must be this configuration's.
        for e in events where e.instrument != .none {
            guard let i = registry.instrument(e.instrument), i.venue == e.venue else {
                throw BacktestError("the recording's instrument \(e.instrument.raw) on venue \(e.venue.raw) is not this configuration's: record with the same configuration's [[venues]]")
            }
        }
        let clock = ManualClock(start: events.first?.receiveTime ?? .zero)
        let market = try Ring<MarketEvent>.broadcast(capacity: 1 << 16, consumers: 3)
        let intents = try Ring<OrderIntent>.spsc(capacity: 4_096)
        let approved = try Ring<ApprovedOrder>.spsc(capacity: 4_096)
        let reports = try Ring<OrderReport>.broadcast(capacity: 1 << 15, consumers: 3)
        let decisions = try Ring<RiskDecision>.broadcast(capacity: 1 << 15, consumers: 1)
        // Every strategy is backtested as it would trade live (a pilot keeps its cap): backtest and paper stages
        // are for the gateway.
        var riskConfiguration = configuration.risk
        for k in riskConfiguration.strategies.indices {
            switch riskConfiguration.strategies[k].stage {
            case .backtest, .paper: riskConfiguration.strategies[k].stage = .live
            case .pilot, .live: break
            }
        }
        var engine = RiskEngine(universe: universe, configuration: riskConfiguration, firstOrderSequence: 1)
        // Balances are not what a backtest tests: every venue holds plenty of every asset.
        for v in 1..<venues {
            for a in 1...max(universe.assetNames.count, 1) { engine.setBalance(venue: VenueId(raw: UInt8(v)), asset: AssetId(raw: UInt16(a)), free: Int128(1) << 100) }
        }
        let host = StrategyHost<NoCustomStrategy>(universe: universe, entries: configuration.strategies, takerFees: configuration.risk.takerFees)
        var signal = SignalStage(
            host: host, router: SmartOrderRouter(configuration: configuration.router, venues: registry.venueNames.count),
            market: try MarketFanIn(count: 1) { _ in try market.takeConsumer(0) }, reports: try reports.takeConsumer(0), control: nil,
            intents: try intents.takeProducer(), clock: clock, takerFees: configuration.risk.takerFees, maximumBookAge: configuration.risk.maximumBookAge)
        var risk = RiskStage(
            engine: engine, intents: try intents.takeConsumer(), market: try MarketFanIn(count: 1) { _ in try market.takeConsumer(1) },
            reports: try reports.takeConsumer(1), control: nil, orders: try approved.takeProducer(), decisions: try decisions.takeProducer(), raise: nil,
            clock: clock, legs: configuration.legs, router: configuration.router)
        var paper = PaperTrader(
            universe: universe,
            model: PaperModel(latency: Array(repeating: .milliseconds(1), count: venues), takerFees: configuration.risk.takerFees, degradePercent: degradePercent),
            strategies: configuration.strategies.count)
        paper.reporting = true
        var table: [LatencyDistribution?] = Array(repeating: nil, count: venues)
        for (name, d) in latency {
            guard let id = registry.venue(named: name) else { throw BacktestError("latency for \(name), which is not a configured venue") }
            table[Int(id.raw)] = d
        }
        var venue = PaperVenueStage(
            paper: paper, approved: try approved.takeConsumer(), market: try MarketFanIn(count: 1) { _ in try market.takeConsumer(2) },
            reports: try reports.takeProducer(), latency: table, random: SplitMix64(state: seed), clock: clock)
        let flowRing = try Ring<FlowEvent>.spsc(capacity: 1 << 12)
        var flowProducer = try flowRing.takeProducer()
        if let chain = configuration.chains.first { signal.attach(flows: try flowRing.takeConsumer(), scaling: chain.scaling) }
        var f = configuration.chains.isEmpty ? flows.count : 0
        var metrics = BacktestMetrics(configuration: configuration, start: clock.now(), interval: sampleInterval)
        var reportsOut = try reports.takeConsumer(2)
        var decisionsOut = try decisions.takeConsumer(0)
        var producer = try market.takeProducer()
        var wait = SpinThenYield()

        func settle() {
            for _ in 0..<64 {
                var work = signal.poll() + risk.poll() + venue.poll()
                work += decisionsOut.poll(upTo: 4_096) { for d in $0 { metrics.decision(d) } }
                work += reportsOut.poll(upTo: 4_096) { for r in $0 { metrics.report(r) } }
                if work == 0 { return }
            }
        }
        var k = 0
        while k < events.count {
            // One venue message at a time: its events, then the stages, at its receive time.
            var end = k
            while end < events.count - 1 && !events[end].flags.contains(.endOfMessage) { end += 1 }
            let time = events[end].receiveTime.raw > 0 ? events[end].receiveTime : clock.now()
            if time > clock.now() { clock.set(time) }
            while f < flows.count && flows[f].receiveTime <= time {
                // The ring holds 4,096: a block's flows never come near that between two messages.
                if !flowProducer.tryPublish(flows[f]) { settle() }
                else { f += 1 }
            }
            for e in events[k...end] {
                producer.publish(e, waiting: &wait)
                metrics.market(e, at: clock.now())
            }
            settle()
            k = end + 1
        }
        // What is still on its way ends: a second of recorded time passes with no new market data.
        for _ in 0..<10 {
            clock.advance(by: .milliseconds(100))
            settle()
        }
        metrics.finish(at: clock.now())
        return BacktestResult(
            strategies: metrics.results, events: events.count, vetoes: metrics.vetoes, degradePercent: degradePercent, seed: seed,
            span: (events.last?.receiveTime ?? .zero) - (events.first?.receiveTime ?? .zero),
            equity: metrics.samples.isEmpty ? [] : metrics.samples[0].indices.map { i in metrics.samples.reduce(0) { $0 + $1[i] } })
    }

    /// Every live book of `mirror` as a snapshot message each (reset, levels, end of message) at `time`: what a
    /// replay starting mid-recording opens with.
    public static func snapshot(_ mirror: borrowing BookMirror, at time: Nanos) -> [MarketEvent] {
        var out: [MarketEvent] = []
        for l in mirror.universe.listings where l.instrument != .none && mirror.status(l.instrument).state == .live {
            out.append(MarketEvent(kind: .bookReset, venue: l.venue, instrument: l.instrument, flags: .snapshot, receiveTime: time))
            mirror.withBook(l.instrument) { book in
                for side in [Side.buy, .sell] {
                    book.withSide(side) { levels in
                        for d in 0..<levels.count {
                            let level = levels.level(d)
                            out.append(MarketEvent(kind: .levelChange, side: side, venue: l.venue, instrument: l.instrument, price: level.price, quantity: level.quantity, receiveTime: time))
                        }
                    }
                }
            }
            out.append(MarketEvent(kind: .messageTimes, venue: l.venue, instrument: l.instrument, flags: .endOfMessage, receiveTime: time))
        }
        return out
    }

    /// Several venues' recorded events as one timeline: whole messages (each ends with its `endOfMessage`), ordered
    /// by their receive time (ties keep their recorded order).
    public static func timeline(_ events: [MarketEvent]) -> [MarketEvent] {
        var messages: [ArraySlice<MarketEvent>] = []
        var start = 0
        for (k, e) in events.enumerated() where e.flags.contains(.endOfMessage) {
            messages.append(events[start...k])
            start = k + 1
        }
        if start < events.count { messages.append(events[start...]) }
        return messages.enumerated()
            .sorted { ($0.element.last!.receiveTime, $0.offset) < ($1.element.last!.receiveTime, $1.offset) }
            .flatMap(\.element)
    }
}

/// Positions and equity per strategy from the reports, marked at the consolidated mid, sampled for drawdown
/// and Sharpe.
struct BacktestMetrics: ~Copyable {
    let universe: Universe
    var mirror: BookMirror
    var positions: [[(q: Int64, cash: Int128, fees: Int128)]]
    var results: [StrategyBacktest]
    var samples: [[Int64]]
    var nextSample: Nanos
    let interval: Nanos
    var vetoes = 0
    /// Each pair's last consolidated mid (a mark when a book is momentarily one-sided).
    var lastMid: [Int64]

    init(configuration: TradingConfiguration, start: Nanos, interval: Nanos) {
        universe = configuration.universe
        mirror = BookMirror(universe: universe, depth: 64)
        positions = Array(repeating: Array(repeating: (0, 0, 0), count: universe.pairs.count + 1), count: configuration.strategies.count)
        results = configuration.strategies.map { StrategyBacktest(name: $0.name, capitalCents: $0.capitalCents) }
        samples = Array(repeating: [], count: configuration.strategies.count)
        lastMid = Array(repeating: 0, count: universe.pairs.count + 1)
        nextSample = start + interval
        self.interval = interval
    }

    mutating func market(_ e: MarketEvent, at time: Nanos) {
        _ = mirror.apply(e)
        // Sampled between messages only: inside one, a book may be half applied (its top removed, the new one not
        // yet in).
        guard e.flags.contains(.endOfMessage) else { return }
        while time >= nextSample {
            sample()
            nextSample = nextSample + interval
        }
    }

    mutating func decision(_ d: RiskDecision) {
        let k = Int(d.intent.strategy.raw) - 1
        guard k >= 0 && k < results.count else { return }
        guard d.isApproved else {
            vetoes += 1
            return
        }
        results[k].orders += 1
        let l = universe.listing(d.intent.instrument)
        results[k].orderedQuantity += l.pairQuantity(d.approvedQuantity)
    }

    mutating func report(_ r: OrderReport) {
        let k = Int(r.clientOrderId.strategy.raw) - 1
        guard r.lastQuantity.raw > 0, k >= 0 && k < results.count else { return }
        let l = universe.listing(r.instrument)
        guard l.pair != .none else { return }
        let pair = universe.pair(l.pair)
        let q = l.pairQuantity(r.lastQuantity)
        let notional = Int128(l.pairPrice(r.price)) * Int128(q)
        var p = positions[k][Int(l.pair.raw)]
        p.q += r.side == .buy ? q : -q
        p.cash += r.side == .buy ? -notional : notional
        p.fees += Int128(r.fee) * Int128(l.priceFactor) * Int128(l.quantityFactor)
        positions[k][Int(l.pair.raw)] = p
        results[k].fills += 1
        results[k].filledQuantity += q
        results[k].tradedCents += Int64(notional / Int128(Universe.power(max(pair.priceScale + pair.quantityScale - 2, 0))))
    }

    func equity(_ k: Int) -> Int64 {
        var total: Int128 = 0
        for pair in universe.pairs {
            let p = positions[k][Int(pair.id.raw)]
            guard p.q != 0 || p.cash != 0 else { continue }
            let mid = mirror.consolidatedMid(pair.id, now: .zero, maxAge: Nanos(raw: Int64.max / 4)) ?? lastMid[Int(pair.id.raw)]
            total += (p.cash - p.fees + Int128(p.q) * Int128(mid)) / Int128(Universe.power(max(pair.priceScale + pair.quantityScale - 2, 0)))
        }
        return Int64(total)
    }

    mutating func sample() {
        for pair in universe.pairs {
            if let m = mirror.consolidatedMid(pair.id, now: .zero, maxAge: Nanos(raw: Int64.max / 4)) { lastMid[Int(pair.id.raw)] = m }
        }
        for k in results.indices { samples[k].append(equity(k)) }
    }

    mutating func finish(at time: Nanos) {
        sample()
        let perYear = Double(365 * 24 * 3_600) / Double(max(interval.raw, 1)) * 1e9
        for k in results.indices {
            results[k].pnlCents = equity(k)
            var peak: Int64 = 0
            var worst: Int64 = 0
            for e in samples[k] {
                peak = max(peak, e)
                worst = max(worst, peak - e)
            }
            results[k].maximumDrawdownCents = worst
            let changes = zip(samples[k].dropFirst(), samples[k]).map { Double($0 - $1) }
            guard changes.count > 1 else { continue }
            let mean = changes.reduce(0, +) / Double(changes.count)
            let variance = changes.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(changes.count - 1)
            results[k].sharpe = variance > 0 ? mean / variance.squareRoot() * perYear.squareRoot() : 0
        }
    }
}
