import GantryBook
import GantryCore
import GantryStrategy
import Testing

@Suite("Moving-average crossover and Bollinger reversion on the consolidated mid, the host and the rolling window")
struct SignalStrategyTests {
    typealias F = Fixture

    /// One timer tick with both venues' books around `mid` (pair scale, 2 decimals), one second apart.
    static func tick<C: Strategy>(_ d: inout Driver<C>, second: Int64, mid: String) {
        let m = Price(mid, scale: 2).raw
        let bid = FixedPoint.string(m - 100, scale: 2)
        let ask = FixedPoint.string(m + 100, scale: 2)
        let now = Nanos.seconds(second)
        d.feed(F.snapshot(F.btcA, bids: [(bid, "1")], asks: [(ask, "1")], at: now), now: now)
        d.timers(now)
    }

    static func crossover() -> Driver<NoCustomStrategy> {
        let p = MovingAverageCrossover.Parameters(
            pair: F.btc, fastWindow: 2, slowWindow: 4, sampleInterval: .seconds(1), quantity: F.pairQty("0.1"), slippageCentiBasisPoints: 500)
        return Driver(host: StrategyHost(
            universe: F.universe(), entries: [.init(name: "ma", capitalCents: 1_000_000, spec: .movingAverageCrossover(p))], takerFees: [0, 0, 0]))
    }

    @Test("the fast average crossing above the slow one buys the target, crossing below sells back to flat")
    func crossover() {
        var d = Self.crossover()
        for (s, mid) in ["100", "100", "100", "100"].enumerated() { Self.tick(&d, second: Int64(s + 1), mid: mid) }
        #expect(d.intents.isEmpty)
        Self.tick(&d, second: 5, mid: "90")  // fast below: the first full comparison sets the side, no trade
        #expect(d.intents.isEmpty)
        Self.tick(&d, second: 6, mid: "120")  // fast (105) above slow (102.5): buy
        try! #require(d.intents.count == 1)
        let buy = d.intents[0]
        #expect(buy.isRouted && buy.pair == F.btc && buy.side == .buy && buy.quantity.raw == F.pairQty("0.1"))
        #expect(buy.expectedPrice.raw == F.pairPrice("120") && buy.price.raw == F.pairPrice("120.06"))  // 5 bp over the mid
        Self.tick(&d, second: 7, mid: "130")
        #expect(d.intents.count == 1, "its order is in flight")
        d.report(F.fill(1, F.btcA, .buy, price: "120", qty: "0.1"), now: .seconds(7))
        #expect(d.host.contexts[0].position(F.btc).quantity == F.pairQty("0.1"))
        Self.tick(&d, second: 8, mid: "131")
        #expect(d.intents.count == 1, "held at the target")
        Self.tick(&d, second: 9, mid: "60")
        Self.tick(&d, second: 10, mid: "50")  // fast 55 < slow ~93: sell back to flat
        try! #require(d.intents.count == 2)
        #expect(d.intents[1].side == .sell && d.intents[1].quantity.raw == F.pairQty("0.1"))
    }

    @Test("an unfilled order is chased again only after its timeout")
    func chaseAfterTimeout() {
        var d = Self.crossover()
        for (s, mid) in ["100", "100", "100", "100", "90", "120", "130"].enumerated() { Self.tick(&d, second: Int64(s + 1), mid: mid) }
        #expect(d.intents.count == 1)
        Self.tick(&d, second: 8, mid: "131")
        Self.tick(&d, second: 10, mid: "131")
        #expect(d.intents.count == 1, "within 5 s")
        Self.tick(&d, second: 11, mid: "131")
        #expect(d.intents.count == 2 && d.intents[1].side == .buy)
    }

    static func bollinger() -> Driver<NoCustomStrategy> {
        let p = BollingerReversion.Parameters(
            pair: F.btc, window: 5, widthHundredths: 150, sampleInterval: .seconds(1), quantity: F.pairQty("0.2"))
        return Driver(host: StrategyHost(
            universe: F.universe(), entries: [.init(name: "bb", capitalCents: 1_000_000, spec: .bollinger(p))], takerFees: [0, 0, 0]))
    }

    @Test("Bollinger: a mid under the lower band buys; back at the mean, it sells what it holds")
    func bollinger() {
        var d = Self.bollinger()
        for (s, mid) in ["100", "101", "99", "100", "100"].enumerated() { Self.tick(&d, second: Int64(s + 1), mid: mid) }
        #expect(d.intents.isEmpty)
        Self.tick(&d, second: 6, mid: "95")
        try! #require(d.intents.count == 1)
        #expect(d.intents[0].side == .buy && d.intents[0].quantity.raw == F.pairQty("0.2") && d.intents[0].expectedPrice.raw == F.pairPrice("95"))
        d.report(F.fill(1, F.btcA, .buy, price: "95", qty: "0.2"), now: .seconds(6))
        Self.tick(&d, second: 7, mid: "96")
        #expect(d.intents.count == 1, "below the mean still")
        Self.tick(&d, second: 8, mid: "101")
        try! #require(d.intents.count == 2)
        #expect(d.intents[1].side == .sell && d.intents[1].quantity.raw == F.pairQty("0.2"))
    }

    @Test("three strategies at once each keep their own positions; the same inputs give the same intents")
    func determinismAndSeparation() {
        func run() -> ([OrderIntent], [StrategyPosition]) {
            let arb = CrossVenueArbitrage.Parameters(pair: F.btc, minimumEdgeCentiBasisPoints: 100, maximumQuantity: F.pairQty("0.5"))
            let ma = MovingAverageCrossover.Parameters(pair: F.btc, fastWindow: 2, slowWindow: 3, sampleInterval: .seconds(1), quantity: F.pairQty("0.1"))
            let bb = BollingerReversion.Parameters(pair: F.btc, window: 3, sampleInterval: .seconds(1), quantity: F.pairQty("0.1"))
            var d = Driver(host: StrategyHost<NoCustomStrategy>(
                universe: F.universe(),
                entries: [
                    .init(name: "arb", capitalCents: 1, spec: .arbitrage(arb)), .init(name: "ma", capitalCents: 1, spec: .movingAverageCrossover(ma)),
                    .init(name: "bb", capitalCents: 1, spec: .bollinger(bb)),
                ], takerFees: [0, 1_000, 1_000]))
            var x: UInt64 = 7
            for s in 1...40 {
                x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let mid = 100_000 + Int(x >> 54) - 512
                Self.tick(&d, second: Int64(s), mid: "\(mid)")
                if s % 7 == 0 {
                    d.feed(F.snapshot(F.btcB, bids: [("\(mid + 400)", "1")], asks: [("\(mid + 500)", "1")], at: .seconds(Int64(s))), now: .seconds(Int64(s)))
                }
            }
            d.report(F.fill(2, F.btcA, .buy, price: "100000", qty: "0.1"), now: .seconds(41))
            d.report(F.fill(3, F.btcB, .sell, price: "100001", qty: "0.05", fee: 7), now: .seconds(41))
            return (d.intents, d.host.contexts.map { $0.position(F.btc) })
        }
        let (a, pa) = run()
        let (b, pb) = run()
        #expect(!a.isEmpty)
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) { #expect(withUnsafeBytes(of: x) { Array($0) } == withUnsafeBytes(of: y) { Array($0) }) }
        #expect(Set(a.map(\.strategy.raw)).count >= 2, "at least two strategies traded")
        #expect(pa == pb)
        #expect(pa[0].quantity == 0 && pa[1].quantity == F.pairQty("0.1") && pa[2].quantity == -F.pairQty("0.05"))
        // beta's fee of 7 at its notional scale (1 + 8) is 70 at the pair's (2 + 8).
        #expect(pa[2].fees == 70)
    }

    @Test("the rolling window's mean and standard deviation are exact integers")
    func rollingWindow() {
        var w = RollingWindow(capacity: 4)
        for x in [2, 4, 4, 4, 5, 5, 7, 9] as [Int64] { w.add(x) }
        #expect(w.isFull && w.mean == 6)  // 5, 5, 7, 9
        #expect(w.standardDeviation == 1)  // √2.75 = 1.66 → 1
        var v = RollingWindow(capacity: 8)
        for x in [2, 4, 4, 4, 5, 5, 7, 9] as [Int64] { v.add(x * 1_000_000) }
        #expect(v.mean == 5_000_000 && v.standardDeviation == 2_000_000)
    }
}

/// A plugin's strategy, as an external package would write it: buys once when the spread is wide.
struct WideSpreadProbe: Strategy {
    var pairs: [PairId] { [Fixture.btc] }
    var fired = false
    mutating func onMarket(_ instrument: InstrumentId, market: borrowing BookMirror, _ ctx: inout StrategyContext) {
        guard !fired, let b = market.bestBid(instrument), let a = market.bestAsk(instrument), a.price.raw - b.price.raw > 1_000 else { return }
        fired = true
        ctx.emit(signal: ctx.newSignal(), instrument: instrument, venue: market.universe.listing(instrument).venue, side: .buy, limit: a.price, quantity: Quantity(raw: 1))
    }
}

@Suite("Custom strategies")
struct CustomStrategyTests {
    @Test("a custom strategy type runs beside a built-in, sees the books and emits through its context only")
    func custom() {
        var d = Driver(host: StrategyHost<WideSpreadProbe>(
            universe: Fixture.universe(),
            entries: [
                .init(name: "probe", capitalCents: 1, spec: .custom(WideSpreadProbe())),
                .init(name: "arb", capitalCents: 1, spec: .arbitrage(.init(pair: Fixture.btc, minimumEdgeCentiBasisPoints: 10_000, maximumQuantity: 1))),
            ], takerFees: []))
        d.feed(Fixture.snapshot(Fixture.btcA, bids: [("100", "1")], asks: [("120", "1")], at: .seconds(1)), now: .seconds(1))
        #expect(d.intents.count == 1 && d.intents[0].strategy == StrategyId(raw: 1) && d.intents[0].venue == Fixture.venueA)
        #expect(d.host.count == 2)
    }
}
