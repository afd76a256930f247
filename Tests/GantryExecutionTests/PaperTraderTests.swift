import GantryCore
import GantryExecution
import GantryTestSupport
import Testing

/// BTC on alpha (price scale 2, quantity 8) and beta (price 1, quantity 8); alpha's taker fee 10 bp.
@Suite("The paper trader: fills after the venue's latency against the book then, depth consumed, queue position; live against paper")
struct PaperTraderTests {
    typealias M = TwoVenueMarket
    static let s1 = StrategyId(raw: 1)

    static func trader() -> PaperTrader {
        var p = PaperTrader(universe: M.universe(), model: PaperModel(latency: [.zero, .milliseconds(5), .milliseconds(5)], takerFees: [0, 1_000, 1_000]), strategies: 2)
        for e in book(M.btcA, bids: [("99990", "1")], asks: [("100000", "1"), ("100010", "2")]) { p.onMarket(e, at: .zero) }
        return p
    }

    static func book(_ i: InstrumentId, bids: [(String, String)], asks: [(String, String)]) -> [MarketEvent] {
        let v = M.venue(i)
        var out = [MarketEvent(kind: .bookReset, venue: v, instrument: i, flags: .snapshot)]
        for (p, q) in bids { out.append(MarketEvent(kind: .levelChange, side: .buy, venue: v, instrument: i, price: M.price(p, i), quantity: M.qty(q, i))) }
        for (p, q) in asks { out.append(MarketEvent(kind: .levelChange, side: .sell, venue: v, instrument: i, price: M.price(p, i), quantity: M.qty(q, i))) }
        out.append(MarketEvent(kind: .messageTimes, venue: v, instrument: i, flags: .endOfMessage))
        return out
    }

    static func decision(_ id: UInt64, side: Side = .buy, price: String, qty: String, tif: TimeInForce = .ioc, reason: RiskReason = .approved) -> RiskDecision {
        let intent = OrderIntent(
            intentId: id, signalId: id, strategy: s1, venue: M.alpha, instrument: M.btcA, pair: M.btc, side: side, timeInForce: tif,
            price: M.price(price, M.btcA), quantity: M.qty(qty, M.btcA), triggerTime: .zero, createdTime: .zero)
        var d = RiskDecision(intent: intent, reason: reason, approvedQuantity: intent.quantity, decidedTime: .zero)
        if reason == .approved { d.clientOrderId = ClientOrderId(strategy: s1, sequence: id) }
        return d
    }

    @Test("an IOC reaches the venue after its latency and takes the book as it then stands; the next order finds the depth consumed until the venue republishes it")
    func latencyAndDepth() {
        var p = Self.trader()
        p.onDecision(Self.decision(1, price: "100010", qty: "2"), at: .milliseconds(1))
        // Before it arrives (at 6 ms) the best ask shrinks to 0.5.
        p.onMarket(MarketEvent(kind: .levelChange, side: .sell, venue: M.alpha, instrument: M.btcA, price: M.price("100000", M.btcA), quantity: M.qty("0.5", M.btcA)), at: .milliseconds(3))
        p.advance(to: .milliseconds(5))
        #expect(p.outcomes[ClientOrderId(strategy: Self.s1, sequence: 1)]?.filled == 0, "not arrived yet")
        p.advance(to: .milliseconds(6))
        let o = p.outcomes[ClientOrderId(strategy: Self.s1, sequence: 1)]!
        // 0.5 at 100,000 and 1.5 at 100,010: 200,015 USDT; fee 10 bp = 200.015, rounded up at the notional scale.
        #expect(o.filled == 200_000_000 && o.notional == Int128(10_000_000) * 50_000_000 + Int128(10_001_000) * 150_000_000 && o.done)
        #expect(o.fee == 2_000_150_000_000 && o.arrivedAt == .milliseconds(6))
        #expect(p.positions[0][Int(M.btc.raw)].quantity == 200_000_000)
        // A second order right after finds 0.5 left at 100,010 (1.5 of 2 consumed).
        p.onDecision(Self.decision(2, price: "100010", qty: "1"), at: .milliseconds(6))
        p.advance(to: .milliseconds(11))
        #expect(p.outcomes[ClientOrderId(strategy: Self.s1, sequence: 2)]?.filled == 50_000_000)
        // The venue republishes 100,010 with 3: all of it is there again.
        p.onMarket(MarketEvent(kind: .levelChange, side: .sell, venue: M.alpha, instrument: M.btcA, price: M.price("100010", M.btcA), quantity: M.qty("3", M.btcA)), at: .milliseconds(12))
        p.onDecision(Self.decision(3, price: "100010", qty: "3"), at: .milliseconds(12))
        p.advance(to: .milliseconds(17))
        #expect(p.outcomes[ClientOrderId(strategy: Self.s1, sequence: 3)]?.filled == 300_000_000)
    }

    @Test("a resting order waits behind the queue shown at its price; prints at its price reach it once the queue ahead has traded")
    func queuePosition() {
        var p = Self.trader()
        p.onDecision(Self.decision(4, price: "99990", qty: "0.5", tif: .gtc), at: .zero)
        p.advance(to: .milliseconds(5))
        let id = ClientOrderId(strategy: Self.s1, sequence: 4)
        #expect(p.openOrders == 1 && p.outcomes[id]?.filled == 0, "rests behind 1 BTC at 99,990")
        func print(_ q: String, at t: Int64) {
            p.onMarket(MarketEvent(kind: .trade, side: .sell, venue: M.alpha, instrument: M.btcA, price: M.price("99990", M.btcA), quantity: M.qty(q, M.btcA)), at: .milliseconds(t))
        }
        print("0.8", at: 6)
        #expect(p.outcomes[id]?.filled == 0)
        print("0.5", at: 7)
        #expect(p.outcomes[id]?.filled == 30_000_000 && p.outcomes[id]?.fee == 0, "0.2 of the queue left, then 0.3 for it, as a maker")
        print("1", at: 8)
        #expect(p.outcomes[id]?.filled == 50_000_000 && p.outcomes[id]?.done == true && p.openOrders == 0)
    }

    @Test("a paper-stage strategy's intent, stopped by risk only for its stage, is traded on paper; a backtest-stage one is not")
    func paperStage() {
        var p = Self.trader()
        p.onDecision(Self.decision(5, price: "100000", qty: "0.1", reason: .stageLimit), at: .zero)
        p.onDecision(Self.decision(6, price: "100000", qty: "0.1", reason: .priceBand), at: .zero)
        var backtestOnly = Self.decision(7, price: "100000", qty: "0.1", reason: .stageLimit)
        backtestOnly.observed = 1
        p.onDecision(backtestOnly, at: .zero)
        p.advance(to: .milliseconds(5))
        #expect(p.outcomes.count == 1 && p.outcomes.values.first?.paperOnly == true && p.outcomes.values.first?.filled == 10_000_000)
    }

    @Test("live against paper: the orders where live paid more come first, with their cost, price difference and latencies; summaries per venue and day")
    func comparison() {
        var p = Self.trader()
        var c = PaperComparison(universe: M.universe())
        for (n, livePrice) in [(UInt64(7), "100000"), (8, "100100")] {
            let d = Self.decision(n, price: "100010", qty: "0.1")
            p.onDecision(d, at: .milliseconds(Int64(n) * 100))
            c.onDecision(d, at: .milliseconds(Int64(n) * 100))
            p.advance(to: .milliseconds(Int64(n) * 100 + 5))
            c.onReport(OrderReport(
                status: .filled, side: .buy, venue: M.alpha, instrument: M.btcA, clientOrderId: d.clientOrderId, venueOrderId: 1, price: M.price(livePrice, M.btcA),
                lastQuantity: M.qty("0.1", M.btcA), cumulativeQuantity: M.qty("0.1", M.btcA), fee: 0, isTaker: true, eventTime: .zero), at: .milliseconds(Int64(n) * 100 + 12))
        }
        let rows = c.discrepancies(paper: p.outcomes)
        #expect(rows.map(\.clientOrderId.sequence) == [8, 7], "the worse one first")
        // Order 8: live 100,100 against paper 100,000 (order 7 took 0.1 of the 1 BTC there, 0.9 was left): 10 bp
        // worse on 0.1 = 10 USDT, less paper's fee of 10 USDT (live's reports carry none here).
        let worst = rows[0]
        #expect(worst.liveAverage == 10_010_000 && worst.paperAverage == 10_000_000 && worst.priceDifferenceCentiBasisPoints == 1_000)
        #expect(worst.costCents == 1_000 - 1_000, "10 USDT worse in price, 10 USDT less in fees (live paid none here)")
        // Nothing in common: nothing costed, the quantity apart.
        #expect(c.discrepancies(paper: [:]).isEmpty)
        #expect(worst.liveLatency == .milliseconds(12) && worst.paperLatency == .milliseconds(10))
        let venues = PaperComparison.summaries(rows, byDay: false)
        #expect(venues.count == 1 && venues[0].orders == 2 && venues[0].venue == M.alpha)
    }
}
