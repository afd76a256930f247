import GantryBook
import GantryCore
import GantryStrategy
import Testing

@Suite("Cross-venue arbitrage: taker/taker after both fees, depth and latency")
struct ArbitrageTests {
    typealias F = Fixture
    /// alpha 10 bp taker, beta 40 bp taker (centi-basis points by venue id).
    static let fees: [Int64] = [0, 1_000, 4_000]

    static func driver(minEdge: Int64 = 100, penalty: Int64 = 0, maxQty: String = "0.5") -> Driver<NoCustomStrategy> {
        let spec = CrossVenueArbitrage.Parameters(
            pair: F.btc, minimumEdgeCentiBasisPoints: minEdge, latencyPenaltyCentiBasisPointsPerMillisecond: penalty,
            maximumQuantity: F.pairQty(maxQty), minimumQuantity: F.pairQty("0.001"), cooldown: .milliseconds(500))
        return Driver(host: StrategyHost(
            universe: F.universe(), entries: [.init(name: "arb", capitalCents: 100_000_000, spec: .arbitrage(spec))], takerFees: fees))
    }

    @Test("an edge past both fees is taken on both venues at once: one signal, the depth both books show while it pays")
    func takesEdge() {
        var d = Self.driver()
        let t = Nanos.seconds(10)
        // alpha asks 100000.00; beta bids 100600.0. After 10 bp and 40 bp: 100100 cost, 100197.6 proceeds ≈ 9.7 bp.
        d.feed(F.snapshot(F.btcA, bids: [("99990", "1")], asks: [("100000", "0.2"), ("100001", "5")], at: t), now: t)
        #expect(d.intents.isEmpty)
        d.feed(F.snapshot(F.btcB, bids: [("100600", "0.3")], asks: [("100700", "1")], at: t), now: t)
        try! #require(d.intents.count == 2)
        let (buy, sell) = (d.intents[0], d.intents[1])
        #expect(buy.signalId == sell.signalId && buy.intentId != sell.intentId)
        // alpha's 0.2 at 100000 against beta's bid, then 0.1 of alpha's 100001 (still ≥ 1 bp after fees): 0.3, all
        // of beta's bid. Each leg's limit is the deepest level it takes; the expected prices their averages.
        #expect(buy.venue == F.venueA && buy.instrument == F.btcA && buy.side == .buy && buy.price == F.price("100001", F.btcA))
        #expect(sell.venue == F.venueB && sell.instrument == F.btcB && sell.side == .sell && sell.price == F.price("100600", F.btcB))
        #expect(buy.quantity == F.qty("0.3", F.btcA) && sell.quantity == F.qty("0.3", F.btcB))
        #expect(buy.expectedPrice == F.price("100000.33", F.btcA) && sell.expectedPrice == F.price("100600", F.btcB), "\(buy.expectedPrice) \(sell.expectedPrice)")
        #expect(buy.timeInForce == .ioc && buy.lane == .entry && buy.pair == F.btc && buy.triggerTime == t)
        #expect(buy.strategy == StrategyId(raw: 1))
    }

    @Test("the exact edge: at the required edge it trades, one price tick below it does not")
    func edgeBoundary() {
        let ask = F.pairPrice("100000")
        // The edge of selling at `bid` on beta (40 bp) after buying at alpha's ask (10 bp).
        let e1 = CrossVenueArbitrage.edge(ask: ask, buyFee: 1_000, bid: F.pairPrice("100600"), sellFee: 4_000)
        #expect(e1 == 975)  // 9.75 bp: (100600 × 0.996 − 100000 × 1.001) / 100100
        var d = Self.driver(minEdge: e1)
        d.feed(F.snapshot(F.btcA, bids: [], asks: [("100000", "1")], at: .seconds(1)), now: .seconds(1))
        d.feed(F.snapshot(F.btcB, bids: [("100599.9", "1")], asks: [], at: .seconds(1)), now: .seconds(1))
        #expect(d.intents.isEmpty, "a tick under the edge")
        d.feed(F.snapshot(F.btcB, bids: [("100600", "1")], asks: [], at: .seconds(1)), now: .seconds(1))
        #expect(d.intents.count == 2)
    }

    @Test("no trade when the fees eat the gap, when a book is stale, or when the venues' latency raises the edge needed")
    func refusals() {
        var d = Self.driver()
        // 40 bp gap, 50 bp of fees.
        d.feed(F.snapshot(F.btcA, bids: [], asks: [("100000", "1")], at: .seconds(1)), now: .seconds(1))
        d.feed(F.snapshot(F.btcB, bids: [("100400", "1")], asks: [], at: .seconds(1)), now: .seconds(1))
        #expect(d.intents.isEmpty)
        // A wide gap, but beta's book goes stale.
        d.feed([MarketEvent(kind: .bookStale, venue: F.venueB, instrument: F.btcB)], now: .seconds(1))
        d.feed(F.snapshot(F.btcA, bids: [], asks: [("99000", "1")], at: .seconds(1)), now: .seconds(1))
        #expect(d.intents.isEmpty)
        // A book older than the age allowed (2 s) is not traded either.
        d.feed(F.snapshot(F.btcB, bids: [("100600", "1")], asks: [], at: .seconds(1)), now: .seconds(1))
        #expect(d.intents.count == 2)
        var e = Self.driver(penalty: 100)  // 1 bp per ms of round trips
        e.host.setVenueLatency(F.venueA, .milliseconds(5))
        e.host.setVenueLatency(F.venueB, .milliseconds(5))
        e.feed(F.snapshot(F.btcA, bids: [], asks: [("100000", "1")], at: .seconds(4)), now: .seconds(4))
        e.feed(F.snapshot(F.btcB, bids: [("100600", "1")], asks: [], at: .seconds(4)), now: .seconds(4))
        #expect(e.intents.isEmpty, "9.75 bp < 1 bp + 10 ms × 1 bp")
        e.feed(F.snapshot(F.btcA, bids: [], asks: [("99000", "1")], at: .seconds(5)), now: .seconds(10))
        #expect(e.intents.isEmpty, "beta's book is 6 s old")
    }

    @Test("after a signal the pair rests for the cooldown; the size is capped and rounded to both lots")
    func cooldownAndSize() {
        var d = Self.driver(maxQty: "0.12345678")
        d.feed(F.snapshot(F.btcA, bids: [], asks: [("100000", "5")], at: .seconds(1)), now: .seconds(1))
        d.feed(F.snapshot(F.btcB, bids: [("101000", "5")], asks: [], at: .seconds(1)), now: .seconds(1))
        #expect(d.intents.count == 2)
        // alpha's lot is 0.00001: 0.12345 on both legs.
        #expect(d.intents[0].quantity == F.qty("0.12345", F.btcA) && d.intents[1].quantity == F.qty("0.12345", F.btcB))
        d.feed(F.snapshot(F.btcB, bids: [("101000", "5")], asks: [], at: .milliseconds(1_200)), now: .milliseconds(1_200))
        #expect(d.intents.count == 2, "within the cooldown")
        d.feed(F.snapshot(F.btcB, bids: [("101000", "5")], asks: [], at: .milliseconds(1_600)), now: .milliseconds(1_600))
        #expect(d.intents.count == 4)
    }
}
