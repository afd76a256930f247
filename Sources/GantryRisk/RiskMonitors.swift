import GantryBook
import GantryCore

extension RiskEngine {
    // MARK: - Post-trade

    /// Books a venue report (fills move positions and balances; a final state releases the reservation).
    /// - Returns: false if it is not an order risk approved (the caller journals and alerts: an unknown order).
    @discardableResult
    public mutating func apply(_ report: OrderReport) -> Bool { ledger.apply(report) }

    /// Applies a market event to risk's books; at the end of a venue message, checks the hard stops of the pair.
    public mutating func onMarket(_ event: MarketEvent, now: Nanos) {
        clock = max(clock, now)
        guard mirror.apply(event) else { return }
        let pair = mirror.universe.listing(event.instrument).pair
        guard pair != .none else { return }
        checkStops(pair, now: now)
    }

    /// Sets a venue's free balance of an asset, at the asset's scale (`ledger.assetScale`): from the venue's
    /// balances at start and after a reconcile.
    public mutating func setBalance(venue: VenueId, asset: AssetId, free: Int128) {
        ledger.setBalance(venue: venue, asset: asset, free: free)
    }

    /// The measured order round trip of `venue`.
    public mutating func setVenueLatency(_ venue: VenueId, _ latency: Nanos) { venueLatency[Int(venue.raw)] = latency }
    /// Whether `venue`'s order entry is connected and ready (order-send's health): flattening prefers ready venues.
    public mutating func setVenueReady(_ venue: VenueId, _ ready: Bool) { venueReady[Int(venue.raw)] = ready }

    /// The kill switch, fired by hand (`gantry kill`, a signal) or by the trigger.
    public mutating func kill() { killed = true }
    /// After a kill has been dealt with, by hand.
    public mutating func resetKill() { killed = false }

    /// Starts a trading day: the daily loss counts from the equity now, and a daily halt is lifted.
    public mutating func startDay() {
        dayStartEquity = portfolioEquityCents()
        halted = false
    }

    /// Hands over (and forgets) the actions and risk's own orders since the last call.
    public mutating func takeActions(_ body: (RiskAction) -> Void, orders: (ApprovedOrder) -> Void) {
        for a in actions { body(a) }
        for o in ownOrders { orders(o) }
        actions.removeAll(keepingCapacity: true)
        ownOrders.removeAll(keepingCapacity: true)
    }

    // MARK: - PnL

    /// A strategy's mark-to-market PnL in cents (all pairs, fees included).
    public func pnlCents(strategy: StrategyId) -> Int64 {
        let k = Int(strategy.raw) - 1
        var total: Int64 = 0
        for pair in mirror.universe.pairs {
            let pos = ledger.positions[k][Int(pair.id.raw)]
            guard pos.quantity != 0 || pos.cash != 0 || pos.fees != 0 else { continue }
            total += ledger.cents(pos.pnl(mid: currentMid(pair.id) ?? 0), pair: pair.id)
        }
        return total
    }

    /// One pair's mark-to-market PnL in cents, all strategies.
    public func pnlCents(pair: PairId) -> Int64 {
        let mid = currentMid(pair) ?? 0
        var total: Int128 = 0
        for k in 0..<limits.count { total += ledger.positions[k][Int(pair.raw)].pnl(mid: mid) }
        return ledger.cents(total, pair: pair)
    }

    /// One strategy's PnL in one pair, in cents.
    public func pnlCents(strategy: StrategyId, pair: PairId) -> Int64 {
        ledger.cents(ledger.positions[Int(strategy.raw) - 1][Int(pair.raw)].pnl(mid: currentMid(pair) ?? 0), pair: pair)
    }

    /// One venue's PnL in cents: the fills on it, marked to market (cash from sells less buys and fees, plus the
    /// base bought less sold at the mid).
    public func pnlCents(venue: VenueId) -> Int64 {
        var total: Int64 = 0
        for pair in mirror.universe.pairs {
            let flow = ledger.venueFlows[Int(venue.raw)][Int(pair.id.raw)]
            guard flow.quantity != 0 || flow.cash != 0 || flow.fees != 0 else { continue }
            total += ledger.cents(flow.pnl(mid: currentMid(pair.id) ?? 0), pair: pair.id)
        }
        return total
    }

    /// All strategies' equity (capital + PnL), in cents.
    public func portfolioEquityCents() -> Int64 {
        limits.reduce(0) { $0 + $1.capitalCents + pnlCents(strategy: $1.strategy) }
    }

    /// The day's loss so far (positive: a loss), in cents.
    public func dailyLossCents() -> Int64 { dayStartEquity - portfolioEquityCents() }

    /// The correlation of two strategies' PnL changes over the returns window, in hundredths (nil: too few or flat).
    public func strategyCorrelation(_ a: StrategyId, _ b: StrategyId) -> Int64? {
        Correlation.hundredths(window(strategyReturns[Int(a.raw) - 1]), window(strategyReturns[Int(b.raw) - 1]))
    }

    /// The correlation of two pairs' returns over the window, in hundredths.
    public func pairCorrelation(_ a: PairId, _ b: PairId) -> Int64? {
        Correlation.hundredths(window(returns[Int(a.raw)]), window(returns[Int(b.raw)]))
    }

    func window(_ ring: [Int64]) -> [Int64] {
        guard returnsCount == ring.count else { return Array(ring.prefix(returnsCount)) }
        return Array(ring[returnsNext...] + ring[..<returnsNext])
    }

    // MARK: - Monitors

    /// Runs the monitors due at `now`: each strategy's drawdown (scaling and halting its size), the day's loss
    /// (halting new positions), the portfolio's drawdown over the kill window (the kill switch), and the rolling
    /// returns behind the correlations.
    public mutating func onTimer(now: Nanos) {
        clock = max(clock, now)
        for k in 0..<limits.count {
            let equity = limits[k].capitalCents + pnlCents(strategy: limits[k].strategy)
            equityPeak[k] = max(equityPeak[k], equity)
            let before = drawdown[k]
            drawdown[k] = Int64(Int128(equityPeak[k] - equity) * 1_000_000 / Int128(max(limits[k].capitalCents, 1)))
            if before < limits[k].drawdownLimitCentiBasisPoints && drawdown[k] >= limits[k].drawdownLimitCentiBasisPoints {
                actions.append(.drawdownScaling(strategy: limits[k].strategy, drawdownCentiBasisPoints: drawdown[k]))
            }
        }
        let loss = dailyLossCents()
        if !halted && loss >= configuration.dailyLossLimitCents {
            halted = true
            actions.append(.dailyLossHalt(lossCents: loss))
        }
        guard now >= nextSample else { return }
        nextSample = now + configuration.returnsInterval
        let equity = portfolioEquityCents()
        portfolio.add(equity, at: now)
        if !killed, let peak = portfolio.peak(within: configuration.killWindow, now: now), peak > 0 {
            let fall = Int64(Int128(peak - equity) * 1_000_000 / Int128(peak))
            if fall >= configuration.killDrawdownCentiBasisPoints {
                killed = true
                actions.append(.kill(drawdownCentiBasisPoints: fall))
            }
        }
        sampleReturns()
    }

    mutating func sampleReturns() {
        let u = mirror.universe
        var sampled = false
        for pair in u.pairs {
            let p = Int(pair.id.raw)
            guard let mid = mirror.consolidatedMid(pair.id, now: clock, maxAge: configuration.maximumBookAge) else { continue }
            let previous = lastMid[p]
            lastMid[p] = mid
            returns[p][returnsNext] = previous == 0 ? 0 : Int64(Int128(mid - previous) * 1_000_000 / Int128(previous))
            sampled = true
        }
        for k in 0..<limits.count {
            let pnl = pnlCents(strategy: limits[k].strategy)
            strategyReturns[k][returnsNext] = pnl - lastPnL[k]
            lastPnL[k] = pnl
        }
        guard sampled, configuration.returnsWindow > 0 else { return }
        returnsNext = (returnsNext + 1) % configuration.returnsWindow
        returnsCount = min(returnsCount + 1, configuration.returnsWindow)
        guard returnsCount >= 3 else { return }
        for a in u.pairs {
            for b in u.pairs where b.id.raw > a.id.raw {
                let c = Correlation.reaches(window(returns[Int(a.id.raw)]), window(returns[Int(b.id.raw)]), thresholdHundredths: configuration.correlationThresholdHundredths)
                correlated[Int(a.id.raw)][Int(b.id.raw)] = c
                correlated[Int(b.id.raw)][Int(a.id.raw)] = c
            }
        }
    }

    /// Each position in `pair` whose loss from its entry passes its strategy's stop is flattened by an order of
    /// risk's own (flatten lane), unless such orders are already pending for all of it.
    mutating func checkStops(_ pair: PairId, now: Nanos) {
        for k in 0..<limits.count where limits[k].stopLossCents > 0 {
            let pos = ledger.positions[k][Int(pair.raw)]
            guard pos.quantity != 0, let mid = mirror.consolidatedMid(pair, now: now, maxAge: configuration.maximumBookAge) else { continue }
            let loss = -ledger.cents(pos.openGain(mid: mid), pair: pair)
            guard loss >= limits[k].stopLossCents else { continue }
            let uncovered = pos.quantity > 0 ? pos.quantity - pos.pendingSell : -pos.quantity - pos.pendingBuy
            guard uncovered > 0 else { continue }
            actions.append(.hardStop(strategy: limits[k].strategy, pair: pair, lossCents: loss))
            if case .approved(let order) = flatten(strategy: limits[k].strategy, pair: pair, now: now) { ownOrders.append(order) }
        }
    }

    /// An order that takes `strategy`'s position in `pair` (less what is pending) back to zero, IOC on the live venue
    /// with the best price for it, limited a price band's half past that price; decided like any intent (lane flatten).
    /// nil when flat or when no live venue can take it.
    public mutating func flatten(strategy: StrategyId, pair: PairId, now: Nanos, signal: UInt64 = 0) -> RiskVerdict? {
        let k = Int(strategy.raw) - 1
        let pos = ledger.positions[k][Int(pair.raw)]
        let side: Side = pos.quantity > 0 ? .sell : .buy
        let amount = pos.quantity > 0 ? pos.quantity - pos.pendingSell : -pos.quantity - pos.pendingBuy
        guard amount > 0 else { return nil }
        let u = mirror.universe
        // The live venue with the best price for it among those whose order entry is ready and whose lot can take all
        // of it; failing that, the best that can take some (the rest is flattened on another venue next time); a
        // venue not ready (unreachable, reconnecting) only when no ready one can (its order waits for it).
        var best: (InstrumentId, Int64, ready: Bool, whole: Bool)? = nil
        for id in u.pair(pair).instruments where mirror.isLive(id, now: now, maxAge: configuration.maximumBookAge) {
            let l = u.listing(id)
            guard let level = side == .sell ? mirror.bestBid(id) : mirror.bestAsk(id), l.venueQuantity(amount).raw > 0 else { continue }
            let price = l.pairPrice(level.price)
            let whole = l.pairQuantity(l.venueQuantity(amount)) == amount
            let ready = venueReady[Int(l.venue.raw)]
            let better: Bool
            if let b = best {
                better = ready != b.ready ? ready : whole != b.whole ? whole : (side == .sell ? price > b.1 : price < b.1)
            } else {
                better = true
            }
            if better { best = (id, price, ready, whole) }
        }
        guard let (instrument, price, _, _) = best else { return nil }
        let l = u.listing(instrument)
        let quantity = l.venueQuantity(amount)
        let slip = configuration.priceBandCentiBasisPoints / 2
        let limit = l.venuePrice(side == .sell ? price - Int64(Int128(price) * Int128(slip) / 1_000_000) : price + Int64(Int128(price) * Int128(slip) / 1_000_000), side: side.opposite)
        let intent = OrderIntent(
            intentId: 0, signalId: signal, strategy: strategy, venue: l.venue, instrument: instrument, pair: pair, side: side, price: limit,
            quantity: quantity, expectedPrice: l.venuePrice(price, side: side.opposite), lane: .flatten, triggerTime: now, createdTime: now)
        return check(intent, now: now)
    }
}
