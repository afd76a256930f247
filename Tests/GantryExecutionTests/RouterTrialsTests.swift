import GantryBook
import GantryCore
import GantryExecution
import Testing
import VenueSim

@Suite("The router against the single best venue, over seeded trials on VenueSim's books and matching")
struct RouterTrialsTests {
    /// Three venues' BTC books moved by one seeded market (their prices diverging), each venue's fees its own.
    static func market(seed: UInt64) -> VenueSimulator {
        let fees: [Int64] = [1_000, 1_000, 1_000]  // taker 10 bp on each
        let venues = (0..<3).map { k in
            try! SimVenue(
                name: "v\(k)", kind: .binance,
                books: [
                    SimulatedBook(
                        instrument: SimInstrument(symbol: "BTCUSDT", priceScale: 2, quantityScale: 8, tick: 50, lot: 1_000),
                        fees: FeeSchedule(makerCentiBasisPoints: 200, takerCentiBasisPoints: fees[k]), levels: 20, maxLots: 20_000)
                ], restPort: nil)
        }
        let sim = VenueSimulator(
            venues: venues,
            markets: [MarketParameters(start: 97_000 * 100_000_000, volatilityPerSecond: 2_000_000_000, divergencesPerMinute: 30, divergence: 500_000_000, convergenceMilliseconds: 3_000)],
            assignments: [[0], [0], [0]], stepsPerSecond: 50, seed: seed)
        sim.paused = true
        for _ in 0..<Int(seed % 97 + 50) { sim.step() }
        for v in venues { v.books[0].deposit(account: 1, base: 1_000 * 100_000_000, quote: 100_000_000 * 10_000_000_000) }
        return sim
    }

    static let takerFees: [Int64] = [0, 1_000, 1_000, 1_000]

    static func universe() -> Universe {
        let registry = try! InstrumentRegistry((1...3).map {
            InstrumentSpec(venue: "v\($0 - 1)", symbol: "BTCUSDT", tickSize: "0.5", lotSize: "0.00001", priceScale: 2, quantityScale: 8)
        })
        return try! Universe(registry: registry, listings: (1...3).map { .init(instrument: InstrumentId(raw: UInt32($0)), pair: "BTC/USDT") })
    }

    /// The simulator's books as the gateway's mirror would hold them.
    static func mirror(_ sim: VenueSimulator) -> BookMirror {
        var m = BookMirror(universe: universe(), depth: 64)
        for (k, v) in sim.venues.enumerated() {
            let id = InstrumentId(raw: UInt32(k + 1))
            let venue = VenueId(raw: UInt8(k + 1))
            let (bids, asks) = v.books[0].snapshot(depth: 20)
            m.apply(MarketEvent(kind: .bookReset, venue: venue, instrument: id, receiveTime: .seconds(1)))
            for l in bids { m.apply(MarketEvent(kind: .levelChange, side: .buy, venue: venue, instrument: id, price: l.price, quantity: l.quantity)) }
            for l in asks { m.apply(MarketEvent(kind: .levelChange, side: .sell, venue: venue, instrument: id, price: l.price, quantity: l.quantity)) }
            m.apply(MarketEvent(kind: .messageTimes, venue: venue, instrument: id, flags: .endOfMessage, receiveTime: .seconds(1)))
        }
        return m
    }

    /// Executes an IOC buy on venue `k` of `sim`: quantity filled, and what it cost with the taker fee (quote scale).
    static func execute(_ sim: VenueSimulator, venue k: Int, price: Price, quantity: Quantity) -> (filled: Int64, cost: Int128) {
        let (result, _) = sim.venues[k].books[0].submit(account: 1, side: .buy, type: .limit, timeInForce: .ioc, price: price, quantity: quantity)
        let filled = result.fills.reduce(Int64(0)) { $0 + $1.quantity.raw }
        let cost = result.fills.reduce(Int128(0)) { $0 + Int128($1.price.raw) * Int128($1.quantity.raw) + Int128($1.takerFee) }
        return (filled, cost)
    }

    @Test("over 50 seeded trials a parent larger than any venue's top levels is split where the books interleave, and its average fill (fees in) beats the single best venue's")
    func fiftyTrials() {
        var savings: [Double] = []  // basis points, for the report only; the comparison itself is exact
        var routedBetter = 0
        var routedFilledMore = 0
        var routedWorse = 0
        var split = 0
        for seed in UInt64(1)...50 {
            let routedSim = Self.market(seed: seed)
            let singleSim = Self.market(seed: seed)
            let m = Self.mirror(routedSim)
            // Larger than any venue's top five levels: 1.5 × the deepest top five.
            var deepest: Int64 = 0
            var bestVenue = 0
            var bestCost: Int128 = .max
            for k in 0..<3 {
                let id = InstrumentId(raw: UInt32(k + 1))
                deepest = max(deepest, m.withBook(id) { $0.asks.cumulativeQuantity(depth: 5).raw })
                if let ask = m.bestAsk(id) {
                    let allIn = Int128(ask.price.raw) * (1_000_000 + Int128(Self.takerFees[k + 1]))
                    if allIn < bestCost { (bestCost, bestVenue) = (allIn, k) }
                }
            }
            let quantity = Quantity(raw: deepest * 3 / 2 / 1_000 * 1_000)
            let top = m.bestAsk(InstrumentId(raw: UInt32(bestVenue + 1)))!.price.raw
            let limit = Price(raw: top + top / 200)  // 50 bp over the best ask
            let parent = OrderIntent(
                intentId: 1, signalId: seed, strategy: StrategyId(raw: 1), venue: .none, instrument: .none, pair: PairId(raw: 1), side: .buy,
                price: limit, quantity: quantity, triggerTime: .seconds(1), createdTime: .seconds(1))
            var router = SmartOrderRouter(configuration: RouterConfiguration(latencyPenaltyCentiBasisPointsPerMillisecond: 0), venues: 3)
            var children: [OrderIntent] = []
            let r = router.route(
                parent, market: m, takerFees: Self.takerFees, latency: [.zero, .zero, .zero, .zero], capacity: [.max, .max, .max, .max], now: .seconds(1),
                maximumBookAge: .seconds(10)) { children.append($0) }
            if r.children >= 2 { split += 1 }
            var routed: (filled: Int64, cost: Int128) = (0, 0)
            for c in children {
                let x = Self.execute(routedSim, venue: Int(c.venue.raw) - 1, price: c.price, quantity: c.quantity)
                routed = (routed.filled + x.filled, routed.cost + x.cost)
            }
            let single = Self.execute(singleSim, venue: bestVenue, price: limit, quantity: quantity)
            // Average all-in price per unit, compared exactly: routed.cost / routed.filled < single.cost / single.filled.
            if routed.cost * Int128(single.filled) < single.cost * Int128(routed.filled) { routedBetter += 1 }
            if routed.cost * Int128(single.filled) > single.cost * Int128(routed.filled) { routedWorse += 1 }
            if routed.filled >= single.filled { routedFilledMore += 1 }
            let routedAverage = Double(routed.cost) / Double(routed.filled)
            let singleAverage = Double(single.cost) / Double(single.filled)
            savings.append((singleAverage - routedAverage) / singleAverage * 10_000)
        }
        let mean = savings.reduce(0, +) / Double(savings.count)
        print("router trials: split in \(split) of 50; the routed average fill beat the single best venue's in \(routedBetter), matched it in \(50 - routedBetter - routedWorse), was worse in \(routedWorse); filled as much or more in \(routedFilledMore); mean saving \(String(format: "%.2f", mean)) bp (min \(String(format: "%.2f", savings.min()!)), max \(String(format: "%.2f", savings.max()!)))")
        #expect(mean > 0, "on average the routed fill is cheaper")
        #expect(routedWorse == 0, "never worse than the single best venue")
        #expect(split >= 25 && routedBetter >= 25, "split, and cheaper, in most trials")
        #expect(routedFilledMore == 50)
    }
}
