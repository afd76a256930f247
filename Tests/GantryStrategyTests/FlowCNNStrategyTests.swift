import Foundation
import GantryBook
import GantryCore
import GantryStrategy
import Testing

@Suite("The flow_cnn strategy: features from the books and the flows fed in, the model every sample, IOC intents past the threshold")
struct FlowCNNStrategyTests {
    typealias F = Fixture

    /// A hand-made model over 4 samples: the output is tanh of the window's mean imbalance (in units of 2,500 bp)
    /// less its mean net inflow (in units of 1,000): bids heavier than asks, or coins leaving the exchanges, are
    /// bullish.
    static func model() throws -> FlowModel {
        var f = FlowModel.zero(shape: .init(channels: 4, window: 4, filters: 4, kernel: 1)).file
        f.weights.convWeight = [[[0], [1], [0], [0]], [[0], [-1], [0], [0]], [[0], [0], [-1], [0]], [[0], [0], [1], [0]]]
        f.weights.denseWeight = [1, -1, 1, -1]
        f.scaling.std = [1, 2_500, 1_000, 1]
        f.validation.passed = true
        return try FlowModel(file: f)
    }

    static func driver(routing: FlowCNNStrategy.Routing = .routed, allowShort: Bool = false) throws -> Driver<NoCustomStrategy> {
        let p = FlowCNNStrategy.Parameters(
            pair: F.btc, model: try model(), sampleInterval: .seconds(1), threshold: 0.5, quantity: F.pairQty("0.1"), allowShort: allowShort,
            holdTime: .seconds(3), routing: routing, slippageCentiBasisPoints: 500)
        return Driver(host: StrategyHost(universe: F.universe(), entries: [.init(name: "flow", capitalCents: 1_000_000, spec: .flowCNN(p))], takerFees: [0, 0, 0]))
    }

    /// Alpha's book around 100,000 with these sizes at the top, then the timer, at `second`.
    static func tick(_ d: inout Driver<NoCustomStrategy>, _ second: Int64, bid: String = "1", ask: String = "1") {
        let now = Nanos.seconds(second)
        d.feed(F.snapshot(F.btcA, bids: [("99999", bid)], asks: [("100001", ask)], at: now), now: now)
        d.timers(now)
    }

    @Test("balanced books never signal; bids three times the asks signal a buy once the window shows it; asks heavier sell back to flat")
    func imbalanceSequence() throws {
        var d = try Self.driver()
        for s in 1...6 { Self.tick(&d, Int64(s)) }
        #expect(d.intents.isEmpty && d.host.flows[0].lastOutput == 0 && d.host.flows[0].inferences == 3, "runs from the 4th sample, output 0")
        // Imbalance (3 − 1)/(3 + 1) = 5,000 bp = 2 units: the window's mean reaches 1 unit at the second such row.
        Self.tick(&d, 7, bid: "3")
        #expect(d.intents.isEmpty && abs(d.host.flows[0].lastOutput! - tanh(0.5)) < 1e-12, "one row of four: tanh(0.5) is under 0.5")
        Self.tick(&d, 8, bid: "3")
        try #require(d.intents.count == 1)
        let buy = d.intents[0]
        #expect(buy.isRouted && buy.side == .buy && buy.pair == F.btc && buy.quantity.raw == F.pairQty("0.1") && buy.timeInForce == .ioc)
        #expect(buy.expectedPrice.raw == F.pairPrice("100000") && buy.price.raw == F.pairPrice("100050"), "the mid plus 5 bp")
        Self.tick(&d, 9, bid: "3")
        #expect(d.intents.count == 1, "one order at a time")
        d.report(F.fill(1, F.btcA, .buy, price: "100001", qty: "0.1"), now: .seconds(9))
        for s in 10...12 { Self.tick(&d, Int64(s), ask: "3") }
        try #require(d.intents.count == 2, "the third heavy-ask row turns the window's mean to −1 unit")
        #expect(d.intents[1].side == .sell && d.intents[1].quantity.raw == F.pairQty("0.1"))
    }

    @Test("flows fed through onFlow enter the next sample: outflows from the exchanges signal a buy on balanced books; zero until fed")
    func flows() throws {
        var d = try Self.driver()
        for s in 1...4 { Self.tick(&d, Int64(s)) }
        #expect(d.intents.isEmpty && d.host.flows[0].lastOutput == 0)
        for s in 5...6 {
            d.host.onFlow(exchangeIndex: 0, inflow: 500, outflow: 1_500)  // net −1,000: one unit
            d.host.onFlow(exchangeIndex: 3, inflow: 0, outflow: 1_000)  // and another
            d.host.onFlow(exchangeIndex: 99, inflow: 1_000_000, outflow: 0)  // beyond the configured exchanges: ignored
            Self.tick(&d, Int64(s))
        }
        #expect(d.host.flows[0].window.value(channel: 2, t: 3) == -2_000 && d.host.flows[0].window.value(channel: 3, t: 3) == 2_500)
        try #require(d.intents.count == 1)
        #expect(d.intents[0].side == .buy)
        Self.tick(&d, 7)
        #expect(d.host.flows[0].window.value(channel: 2, t: 3) == 0, "a sample without flows has zero flow")
    }

    @Test("best_venue: one IOC order on the venue with the lowest ask, at its own scales; allow_short: a negative signal goes short")
    func bestVenueAndShort() throws {
        var d = try Self.driver(routing: .bestVenue, allowShort: true)
        for s in 1...4 {
            let now = Nanos.seconds(Int64(s))
            d.feed(F.snapshot(F.btcB, bids: [("99998", "1")], asks: [("100000.5", "1")], at: now), now: now)
            Self.tick(&d, Int64(s), bid: "9")
        }
        try #require(d.intents.count == 1)
        let buy = d.intents[0]
        #expect(!buy.isRouted && buy.venue == F.venueB && buy.instrument == F.btcB && buy.side == .buy)
        #expect(buy.quantity == F.qty("0.1", F.btcB) && buy.expectedPrice == F.price("100000.5", F.btcB))
        #expect(buy.price == F.price("100050.5", F.btcB), "100,000.50 plus 5 bp (50.00), on beta's 0.1 tick")

        var short = try Self.driver(allowShort: true)
        for s in 1...4 { Self.tick(&short, Int64(s), ask: "9") }
        try #require(short.intents.count == 1)
        #expect(short.intents[0].side == .sell && short.intents[0].quantity.raw == F.pairQty("0.1"))
    }

    @Test("a position is closed once held past hold_ms without a new signal; a gap in the books restarts the window")
    func holdAndGap() throws {
        var d = try Self.driver()
        for s in 1...4 { Self.tick(&d, Int64(s), bid: "9") }
        try #require(d.intents.count == 1)
        d.report(F.fill(1, F.btcA, .buy, price: "100001", qty: "0.1"), now: .seconds(4))
        for s in 5...10 { Self.tick(&d, Int64(s)) }  // balanced: still a signal for three samples, then held 3 s past the last
        try #require(d.intents.count == 2)
        #expect(d.intents[1].side == .sell)
        // No book update for 10 s: the books are too old at the next timer, the window empties.
        d.timers(.seconds(20))
        #expect(d.host.flows[0].window.count == 0)
        Self.tick(&d, 21, bid: "9")
        #expect(d.host.flows[0].window.count == 1)
    }
}
