import ImbalanceStrategy
import Testing

@Suite("An external strategy inside Gantry's strategy host")
struct ImbalanceStrategyTests {
    static func host() throws -> StrategyHost<ImbalanceStrategy> {
        StrategyHost(
            universe: try ReplayMarket.universe(),
            entries: [.init(name: "imbalance", capitalCents: 1_000_000, spec: .custom(ImbalanceStrategy(pair: ReplayMarket.pair, ratioHundredths: 300, quantity: 1_000_000, holdFor: .seconds(5))))],
            takerFees: [0, 1_000])
    }

    @Test("three times the bid quantity at the ask buys through the router; a fill, then the imbalance turning, sells it back")
    func roundTrip() throws {
        var host = try Self.host()
        var intents: [OrderIntent] = []
        for e in ReplayMarket.top(bid: 9_999_999, bidQuantity: 200_000_000, ask: 10_000_001, askQuantity: 100_000_000, at: .seconds(1)) {
            host.onMarket(e, now: .seconds(1)) { intents.append($0) }
        }
        #expect(intents.isEmpty, "2× is not enough")
        for e in ReplayMarket.top(bid: 9_999_999, bidQuantity: 300_000_000, ask: 10_000_001, askQuantity: 100_000_000, at: .seconds(2)) {
            host.onMarket(e, now: .seconds(2)) { intents.append($0) }
        }
        try #require(intents.count == 1)
        #expect(intents[0].isRouted && intents[0].side == .buy && intents[0].quantity.raw == 1_000_000 && intents[0].expectedPrice.raw == 10_000_001)
        // The strategy sees its fill only through its context: it has no way to send an order itself.
        let fill = OrderReport(
            status: .filled, side: .buy, venue: ReplayMarket.venue, instrument: ReplayMarket.instrument,
            clientOrderId: ClientOrderId(strategy: StrategyId(raw: 1), sequence: 1), venueOrderId: 1, price: Price(raw: 10_000_001),
            lastQuantity: Quantity(raw: 1_000_000), cumulativeQuantity: Quantity(raw: 1_000_000), fee: 0, isTaker: true, eventTime: .zero)
        host.onReport(fill, now: .seconds(2)) { intents.append($0) }
        #expect(host.contexts[0].position(ReplayMarket.pair).quantity == 1_000_000)
        for e in ReplayMarket.top(bid: 9_999_999, bidQuantity: 100_000_000, ask: 10_000_001, askQuantity: 400_000_000, at: .seconds(3)) {
            host.onMarket(e, now: .seconds(3)) { intents.append($0) }
        }
        try #require(intents.count == 2)
        #expect(intents[1].side == .sell && intents[1].quantity.raw == 1_000_000)
    }
}
