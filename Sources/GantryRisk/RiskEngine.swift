import GantryBook
import GantryCore

/// What risk said of an intent.
public enum RiskVerdict: Sendable {
    /// Send this order.
    case approved(ApprovedOrder)
    /// Not sent: the decision says why and what was compared.
    case vetoed(RiskDecision)

    public var decision: RiskDecision {
        switch self {
        case .approved(let o): o.decision
        case .vetoed(let d): d
        }
    }
}

/// The central veto: one single-threaded owner of limits, positions, balances, PnL and the halt states. Every
/// intent passes `check`; only its approvals (`ApprovedOrder`, which nothing else can make) reach order-send.
/// Post-trade, `apply(report)` books fills, `onMarket` keeps its own books (marks, staleness, hard stops) and
/// `onTimer` runs the monitors (drawdown scaling, the daily loss halt, the one-hour kill trigger, correlations).
/// Time comes only from the `now` passed in: the same inputs give the same decisions.
public struct RiskEngine: ~Copyable {
    public let configuration: RiskConfiguration
    public var mirror: BookMirror
    public internal(set) var ledger: RiskLedger
    /// Manual pause (operator, failed check): no new entries; flattening and leg hedges go on.
    public var paused = false
    /// The kill switch fired: nothing but flattening until `resetKill`.
    public internal(set) var killed = false
    /// The day's loss passed its limit.
    public internal(set) var halted = false
    /// Strategies paused (repeated leg rollbacks), by `StrategyId.raw − 1`.
    public var strategyPaused: [Bool]
    /// Each strategy's equity peak and current drawdown (centi-basis points of capital).
    public internal(set) var equityPeak: [Int64]
    public internal(set) var drawdown: [Int64]
    /// Venue order round trips (measured by order-send), by `VenueId.raw`.
    public internal(set) var venueLatency: [Nanos]
    /// Whether each venue's order entry is ready, by `VenueId.raw` (true until order-send says otherwise).
    public internal(set) var venueReady: [Bool]
    /// Vetoes by reason, by `RiskReason.rawValue`.
    public internal(set) var vetoes: [Int]
    /// What happened besides decisions, for the stage to publish (drained with `takeActions`).
    public internal(set) var actions: [RiskAction] = []
    /// Orders risk itself made (hard stops), approved, for the stage to send.
    public internal(set) var ownOrders: [ApprovedOrder] = []
    var strategyRate: [RateWindow]
    var venueRate: [RateWindow]
    var signals = SignalTable()
    var nextOrder: UInt64
    var dayStartEquity: Int64 = 0
    var portfolio: EquityWindow
    var nextSample: Nanos = .zero
    /// The latest time seen.
    var clock: Nanos = .zero
    /// Scratch for the plausibility check's mids (capacity: the listings).
    var midScratch: [Int64] = []
    /// Per pair: the last sampled mid and the rolling returns (centi-basis points), aligned by sample.
    var lastMid: [Int64]
    var returns: [[Int64]]
    /// Per strategy: its last sampled PnL and its rolling PnL changes (cents).
    var lastPnL: [Int64]
    var strategyReturns: [[Int64]]
    var returnsCount = 0
    var returnsNext = 0
    /// Pairs found correlated (both ways), by `PairId.raw`.
    public internal(set) var correlated: [[Bool]]
    let limits: [StrategyRiskLimits]

    /// - Parameters:
    ///   - firstOrderSequence: The first client order sequence (unique across restarts: from the journal, or the
    ///     wall clock in ms).
    public init(universe: Universe, configuration: RiskConfiguration, firstOrderSequence: UInt64 = 1, depth: Int = 64) {
        self.configuration = configuration
        mirror = BookMirror(universe: universe, depth: depth)
        var byId = configuration.strategies.sorted { $0.strategy.raw < $1.strategy.raw }
        precondition(byId.enumerated().allSatisfy { $0.offset + 1 == Int($0.element.strategy.raw) }, "strategy ids are 1, 2, … in order")
        byId = byId.map { s in
            var s = s
            if s.maximumPosition.count < universe.pairs.count + 1 { s.maximumPosition += Array(repeating: 0, count: universe.pairs.count + 1 - s.maximumPosition.count) }
            return s
        }
        limits = byId
        ledger = RiskLedger(universe: universe, strategies: byId.count)
        strategyPaused = Array(repeating: false, count: byId.count)
        equityPeak = byId.map(\.capitalCents)
        drawdown = Array(repeating: 0, count: byId.count)
        let venues = universe.registry.venueNames.count + 1
        venueLatency = Array(repeating: .zero, count: venues)
        venueReady = Array(repeating: true, count: venues)
        vetoes = Array(repeating: 0, count: RiskReason.allCases.count)
        strategyRate = byId.map { RateWindow(limit: $0.maximumOrdersPerSecond) }
        venueRate = Array(repeating: RateWindow(limit: configuration.maximumVenueOrdersPerSecond), count: venues)
        nextOrder = firstOrderSequence
        portfolio = EquityWindow(capacity: Int(max(configuration.killWindow.raw / max(configuration.returnsInterval.raw, 1), 1)) + 1)
        let pairs = universe.pairs.count + 1
        lastMid = Array(repeating: 0, count: pairs)
        returns = Array(repeating: Array(repeating: 0, count: configuration.returnsWindow), count: pairs)
        lastPnL = Array(repeating: 0, count: byId.count)
        strategyReturns = Array(repeating: Array(repeating: 0, count: configuration.returnsWindow), count: byId.count)
        correlated = Array(repeating: Array(repeating: false, count: pairs), count: pairs)
        actions.reserveCapacity(64)
        midScratch.reserveCapacity(universe.listings.count)
        ownOrders.reserveCapacity(64)
        dayStartEquity = byId.reduce(0) { $0 + $1.capitalCents }
    }

    // MARK: - Pre-trade

    /// Decides one intent. An approval reserves its balance, counts against its signal and rate limits, and gets
    /// its client order id.
    public mutating func check(_ intent: OrderIntent, now: Nanos) -> RiskVerdict {
        let verdict = decide(intent, now: now)
        if case .vetoed(let d) = verdict { vetoes[Int(d.reason.rawValue)] += 1 }
        return verdict
    }

    func veto(_ intent: OrderIntent, _ reason: RiskReason, _ observed: Int64, _ limit: Int64, _ now: Nanos) -> RiskVerdict {
        .vetoed(RiskDecision(intent: intent, reason: reason, approvedQuantity: .zero, observed: observed, limit: limit, decidedTime: now))
    }

    mutating func decide(_ intent: OrderIntent, now: Nanos) -> RiskVerdict {
        clock = max(clock, now)
        let k = Int(intent.strategy.raw) - 1
        let listing = mirror.universe.listing(intent.instrument)
        guard !intent.isRouted, k >= 0, k < limits.count, listing.pair != .none, listing.venue == intent.venue,
            intent.quantity.raw > 0, intent.price.raw > 0, intent.side != .none
        else { return veto(intent, .invalidIntent, 0, 0, now) }
        let limit = limits[k]
        let pair = listing.pair
        let p = Int(pair.raw)
        let pairQuantity = listing.pairQuantity(intent.quantity)
        let position = ledger.positions[k][p]
        // An order that only brings the strategy's position toward zero (flattening, unwinding) is never blocked
        // by the rules that limit new risk.
        let reducing = intent.side == .buy
            ? position.quantity < 0 && position.quantity + position.pendingBuy + pairQuantity <= 0
            : position.quantity > 0 && position.quantity - position.pendingSell - pairQuantity >= 0
        let protective = intent.lane != .entry
        // Halts.
        if killed && intent.lane != .flatten { return veto(intent, .killSwitch, 1, 0, now) }
        // A pause stops new positions; hedges of legs already out and flattening go on.
        if paused && !protective { return veto(intent, .paused, 1, 0, now) }
        if strategyPaused[k] && !protective { return veto(intent, .strategyPaused, 1, 0, now) }
        if halted && !protective && !reducing { return veto(intent, .dailyLossLimit, dailyLossCents(), configuration.dailyLossLimitCents, now) }
        if limit.stage == .backtest { return veto(intent, .stageLimit, 1, 0, now) }
        guard limit.allowedPairs.contains(pair) else { return veto(intent, .pairNotAllowed, Int64(pair.raw), 0, now) }
        // Market data and the venue.
        let status = mirror.status(intent.instrument)
        guard status.state == .live else { return veto(intent, .staleMarketData, Int64(status.state.rawValue), Int64(BookState.live.rawValue), now) }
        let age = now - status.lastUpdate
        guard age <= configuration.maximumBookAge else { return veto(intent, .staleMarketData, age.raw, configuration.maximumBookAge.raw, now) }
        let budget = latencyBudget(intent.venue)
        guard venueLatency[Int(intent.venue.raw)] <= budget else {
            return veto(intent, .venueLatency, venueLatency[Int(intent.venue.raw)].raw, budget.raw, now)
        }
        if !venueReady[Int(intent.venue.raw)] && intent.lane != .flatten { return veto(intent, .venueNotReady, 0, 1, now) }
        guard let mid = mirror.pairMid(intent.instrument) else { return veto(intent, .staleMarketData, 0, 1, now) }
        if let deviation = deviationFromOthers(intent.instrument, mid: mid, now: now), deviation > configuration.plausibilityCentiBasisPoints {
            actions.append(.implausiblePrice(venue: intent.venue, pair: pair, deviationCentiBasisPoints: deviation))
            return veto(intent, .implausiblePrice, deviation, configuration.plausibilityCentiBasisPoints, now)
        }
        let limitPrice = listing.pairPrice(intent.price)
        let band = abs(Exact.centiBasisPoints(limitPrice, from: mid))
        guard band <= configuration.priceBandCentiBasisPoints else { return veto(intent, .priceBand, band, configuration.priceBandCentiBasisPoints, now) }
        // Size.
        var quantity = intent.quantity.raw
        var orderCents = ledger.cents(Int128(limitPrice) * Int128(pairQuantity), pair: pair)
        guard orderCents <= configuration.maximumOrderCents else { return veto(intent, .fatFinger, orderCents, configuration.maximumOrderCents, now) }
        if intent.lane != .flatten {
            guard strategyRate[k].allows(now) else {
                return veto(intent, .orderRate, Int64(strategyRate[k].recent(now)), Int64(limit.maximumOrdersPerSecond), now)
            }
            guard venueRate[Int(intent.venue.raw)].allows(now) else {
                return veto(intent, .orderRate, Int64(venueRate[Int(intent.venue.raw)].recent(now)), Int64(configuration.maximumVenueOrdersPerSecond), now)
            }
        }
        if !reducing {
            if drawdown[k] >= limit.drawdownHaltCentiBasisPoints {
                return veto(intent, .strategyDrawdown, drawdown[k], limit.drawdownHaltCentiBasisPoints, now)
            }
            if drawdown[k] >= limit.drawdownLimitCentiBasisPoints {
                // Scaled down, on the venue's lot.
                quantity = quantity * limit.drawdownScalePercent / 100 / listing.lot * listing.lot
                guard quantity > 0 else { return veto(intent, .strategyDrawdown, drawdown[k], limit.drawdownLimitCentiBasisPoints, now) }
                orderCents = ledger.cents(Int128(limitPrice) * Int128(listing.pairQuantity(Quantity(raw: quantity))), pair: pair)
            }
            let scaledPair = listing.pairQuantity(Quantity(raw: quantity))
            let signalLimit = Exact.mulDiv(limit.capitalCents, limit.signalCapitalCentiBasisPoints, 1_000_000)
            let signalUsed = signals.used(intent.signalId) + orderCents
            guard signalUsed <= signalLimit else { return veto(intent, .signalCapitalLimit, signalUsed, signalLimit, now) }
            let projected = abs(ledger.projected(k, pair, adding: scaledPair, side: intent.side))
            guard projected <= limit.maximumPosition[p] else { return veto(intent, .strategyPositionLimit, projected, limit.maximumPosition[p], now) }
            if let assetCheck = assetPosition(pair: pair, adding: scaledPair, side: intent.side) {
                return veto(intent, .assetPositionLimit, assetCheck.observed, assetCheck.limit, now)
            }
            if let group = correlatedExposure(pair: pair, addingCents: orderCents) {
                return veto(intent, .correlatedExposure, group.observed, group.limit, now)
            }
            if case .pilot(let cap) = limit.stage {
                let gross = grossExposureCents(strategy: k) + orderCents
                guard gross <= cap else { return veto(intent, .stageLimit, gross, cap, now) }
            }
        }
        // The venue's balance.
        let fee = configuration.takerFees.count > Int(intent.venue.raw) ? configuration.takerFees[Int(intent.venue.raw)] : 0
        let need = ledger.requirement(listing, side: intent.side, price: intent.price.raw, quantity: quantity, feeCentiBasisPoints: fee)
        let asset = Int(intent.side == .buy ? listing.quote.raw : listing.base.raw)
        let free = ledger.balances[Int(intent.venue.raw)][asset].free
        guard need <= free else { return veto(intent, .venueCapital, Self.clamp(need), Self.clamp(free), now) }
        if limit.stage == .paper { return veto(intent, .stageLimit, 0, 0, now) }
        // Approved.
        let id = ClientOrderId(strategy: intent.strategy, sequence: nextOrder)
        nextOrder += 1
        ledger.open(id, intent, quantity: quantity, listing: listing, feeCentiBasisPoints: fee)
        signals.add(intent.signalId, orderCents)
        strategyRate[k].record(now)
        venueRate[Int(intent.venue.raw)].record(now)
        var decision = RiskDecision(intent: intent, reason: .approved, approvedQuantity: Quantity(raw: quantity), decidedTime: now)
        decision.clientOrderId = id
        return .approved(ApprovedOrder(decision))
    }

    static func clamp(_ x: Int128) -> Int64 { x > Int128(Int64.max) ? .max : x < Int128(Int64.min) ? .min : Int64(x) }

    func latencyBudget(_ venue: VenueId) -> Nanos {
        let i = Int(venue.raw)
        let b = i < configuration.latencyBudget.count ? configuration.latencyBudget[i] : .zero
        return b == .zero ? .milliseconds(250) : b
    }

    /// How far `instrument`'s mid strays from the median of the pair's other live venues' mids (centi-basis
    /// points), nil when no other venue is live. Uses the engine's scratch: no allocation.
    mutating func deviationFromOthers(_ instrument: InstrumentId, mid: Int64, now: Nanos) -> Int64? {
        let u = mirror.universe
        midScratch.removeAll(keepingCapacity: true)
        for id in u.pair(u.listing(instrument).pair).instruments where id != instrument && mirror.isLive(id, now: now, maxAge: configuration.maximumBookAge) {
            guard let m = mirror.pairMid(id) else { continue }
            // Insertion in order: a pair lists on a handful of venues.
            var j = midScratch.count
            midScratch.append(m)
            while j > 0 && midScratch[j - 1] > m {
                midScratch[j] = midScratch[j - 1]
                j -= 1
            }
            midScratch[j] = m
        }
        let n = midScratch.count
        guard n > 0 else { return nil }
        let median = n % 2 == 1 ? midScratch[n / 2] : (midScratch[n / 2 - 1] + midScratch[n / 2]) / 2
        return abs(Exact.centiBasisPoints(mid, from: median))
    }

    /// The base asset's net position across strategies and pairs after the order, if past its limit.
    func assetPosition(pair: PairId, adding quantity: Int64, side: Side) -> (observed: Int64, limit: Int64)? {
        let u = mirror.universe
        let base = u.pair(pair).base
        let a = Int(base.raw)
        guard a < configuration.maximumAssetPosition.count, configuration.maximumAssetPosition[a] > 0 else { return nil }
        var net: Int128 = 0
        for q in u.pairs where q.base == base {
            let f = ledger.baseFactor[Int(q.id.raw)]
            for k in 0..<limits.count {
                let pos = ledger.positions[k][Int(q.id.raw)]
                net += Int128(side == .buy ? pos.quantity + pos.pendingBuy : pos.quantity - pos.pendingSell) * f
            }
        }
        net += Int128(side == .buy ? quantity : -quantity) * ledger.baseFactor[Int(pair.raw)]
        let observed = Self.clamp(net < 0 ? -net : net)
        return observed > configuration.maximumAssetPosition[a] ? (observed, configuration.maximumAssetPosition[a]) : nil
    }

    /// The gross exposure (cents) of all strategies in `pair`, at its consolidated mid.
    func pairExposureCents(_ pair: PairId) -> Int64 {
        guard let mid = currentMid(pair) else { return 0 }
        var net: Int64 = 0
        for k in 0..<limits.count { net += ledger.positions[k][Int(pair.raw)].quantity }
        return ledger.cents(Int128(abs(net)) * Int128(mid), pair: pair)
    }

    /// One strategy's gross exposure across pairs, its open orders included as if filled (cents).
    func grossExposureCents(strategy k: Int) -> Int64 {
        var total: Int64 = 0
        for pair in mirror.universe.pairs {
            let pos = ledger.positions[k][Int(pair.id.raw)]
            let q = abs(pos.quantity) + pos.pendingBuy + pos.pendingSell
            guard q != 0, let mid = currentMid(pair.id) else { continue }
            total += ledger.cents(Int128(abs(q)) * Int128(mid), pair: pair.id)
        }
        return total
    }

    /// The pair's consolidated mid now, or the last one sampled while its books were live.
    func currentMid(_ pair: PairId) -> Int64? {
        if let m = mirror.consolidatedMid(pair, now: clock, maxAge: configuration.maximumBookAge) { return m }
        return lastMid[Int(pair.raw)] != 0 ? lastMid[Int(pair.raw)] : nil
    }

    /// A configured group's, or the pairs correlated with `pair`'s, combined exposure after the order, if past its cap.
    func correlatedExposure(pair: PairId, addingCents: Int64) -> (observed: Int64, limit: Int64)? {
        for group in configuration.correlationGroups where group.pairs.contains(pair) {
            let total = group.pairs.reduce(addingCents) { $0 + pairExposureCents($1) }
            if total > group.capCents { return (total, group.capCents) }
        }
        let row = correlated[Int(pair.raw)]
        guard row.contains(true) else { return nil }
        var total = addingCents + pairExposureCents(pair)
        for q in mirror.universe.pairs where row[Int(q.id.raw)] { total += pairExposureCents(q.id) }
        return total > configuration.correlatedCapCents ? (total, configuration.correlatedCapCents) : nil
    }
}
