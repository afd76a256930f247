import GantryBook
import GantryCore
import GantryExecution
import Testing

@Suite("Smart order router: splits by all-in cost, within limits and balances")
struct RouterTests {
    static let btcA = InstrumentId(raw: 1)
    static let btcB = InstrumentId(raw: 2)
    static let btcC = InstrumentId(raw: 3)
    static let btc = PairId(raw: 1)

    static func universe() -> Universe {
        let registry = try! InstrumentRegistry([
            InstrumentSpec(venue: "a", symbol: "BTCUSDT", tickSize: "0.01", lotSize: "0.00001", priceScale: 2, quantityScale: 8),
            InstrumentSpec(venue: "b", symbol: "BTC/USD", tickSize: "0.1", lotSize: "0.00000001", priceScale: 1, quantityScale: 8),
            InstrumentSpec(venue: "c", symbol: "BTC-USD", tickSize: "0.01", lotSize: "0.00000001", priceScale: 2, quantityScale: 8),
        ])
        return try! Universe(registry: registry, listings: [
            .init(instrument: btcA, pair: "BTC/USD"), .init(instrument: btcB, pair: "BTC/USD"), .init(instrument: btcC, pair: "BTC/USD"),
        ])
    }

    /// Asks on each venue: (price, qty) pairs, best first.
    static func mirror(_ asks: [InstrumentId: [(String, String)]]) -> BookMirror {
        var m = BookMirror(universe: universe(), depth: 64)
        for (i, levels) in asks {
            let v = VenueId(raw: UInt8(i.raw))
            let scale = i == btcB ? 1 : 2
            m.apply(MarketEvent(kind: .bookReset, venue: v, instrument: i, receiveTime: .seconds(1)))
            m.apply(MarketEvent(kind: .levelChange, side: .buy, venue: v, instrument: i, price: Price("90000", scale: scale), quantity: Quantity("1", scale: 8)))
            for (p, q) in levels {
                m.apply(MarketEvent(kind: .levelChange, side: .sell, venue: v, instrument: i, price: Price(p, scale: scale), quantity: Quantity(q, scale: 8)))
            }
            m.apply(MarketEvent(kind: .messageTimes, venue: v, instrument: i, flags: .endOfMessage, receiveTime: .seconds(1)))
        }
        return m
    }

    static func parent(_ qty: String, limit: String = "101000") -> OrderIntent {
        OrderIntent(
            intentId: 1, signalId: 42, strategy: StrategyId(raw: 2), venue: .none, instrument: .none, pair: btc, side: .buy,
            price: Price(limit, scale: 2), quantity: Quantity(qty, scale: 8), triggerTime: .seconds(1), createdTime: .seconds(1))
    }

    static func route(
        _ m: borrowing BookMirror, _ parent: OrderIntent, fees: [Int64] = [0, 0, 0, 0], latency: [Nanos] = [.zero, .zero, .zero, .zero],
        capacity: [Int64] = [.max, .max, .max, .max]
    ) -> ([OrderIntent], RouteResult) {
        var router = SmartOrderRouter(configuration: RouterConfiguration(latencyPenaltyCentiBasisPointsPerMillisecond: 100), venues: 3)
        var children: [OrderIntent] = []
        let r = router.route(parent, market: m, takerFees: fees, latency: latency, capacity: capacity, now: .seconds(1), maximumBookAge: .seconds(5)) {
            children.append($0)
        }
        return (children, r)
    }

    @Test("a parent larger than any venue's top levels is split, cheapest levels first, one IOC child per venue")
    func split() {
        let m = Self.mirror([
            Self.btcA: [("100000", "0.3"), ("100050", "1")],
            Self.btcB: [("100010", "0.2"), ("100020", "1")],
            Self.btcC: [("100030", "0.4")],
        ])
        let (children, r) = Self.route(m, Self.parent("0.8"))
        // Takes a 0.3 @100000, b 0.2 @100010 and 0.3 @100020: 0.8; c's 100030 is not needed.
        #expect(r.children == 2 && r.residual == 0 && r.routed == 80_000_000)
        #expect(children.map(\.venue.raw) == [1, 2])
        #expect(children[0].quantity == Quantity("0.3", scale: 8) && children[0].price == Price("100000", scale: 2))
        #expect(children[1].quantity == Quantity("0.5", scale: 8) && children[1].price == Price("100020", scale: 1))
        // Its expected price: 0.2 @ 100010 and 0.3 @ 100020 → 100016, rounded up to b's tick: 100016.0.
        #expect(children[1].expectedPrice == Price("100016", scale: 1))
        #expect(children.allSatisfy { $0.signalId == 42 && $0.strategy == StrategyId(raw: 2) && $0.timeInForce == .ioc && !$0.isRouted })
    }

    @Test("fees and latency change the ranking; the limit and each venue's balance cap the take; the rest is residual")
    func costs() {
        let m = Self.mirror([
            Self.btcA: [("100000", "1")],
            Self.btcB: [("100010", "1")],
        ])
        // a charges 20 bp, b 10 bp: b's 100010 costs less in all.
        let (byFee, _) = Self.route(m, Self.parent("0.5"), fees: [0, 2_000, 1_000, 0])
        #expect(byFee.map(\.venue.raw) == [2])
        // Without fees but with b 5 ms slow (1 bp per ms): a wins.
        let (bySpeed, _) = Self.route(m, Self.parent("0.5"), latency: [.zero, .zero, .milliseconds(5), .zero])
        #expect(bySpeed.map(\.venue.raw) == [1])
        // a's balance covers 0.2: the rest goes to b.
        let (byBalance, r1) = Self.route(m, Self.parent("0.5"), capacity: [0, 20_000_000, .max, .max])
        #expect(byBalance.map(\.quantity.raw) == [20_000_000, 30_000_000] && r1.residual == 0)
        // A limit under b's ask leaves only a's level: 1 of 1.5 routed.
        let (byLimit, r2) = Self.route(m, Self.parent("1.5", limit: "100005"))
        #expect(byLimit.count == 1 && r2.routed == 100_000_000 && r2.residual == 50_000_000)
    }
}
