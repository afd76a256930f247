import GantryCore
import GantryExecution
import GantryTestSupport
import Testing

/// The leg guard alone, fed decisions and reports as risk and the venues would give them (BTC on alpha at price
/// scale 2 and beta at 1, both quantity scale 8; pair scales 2 and 8).
@Suite("The leg guard: an arbitrage whose legs end unequal is hedged or unwound within the band; rollbacks in a row pause the strategy")
struct LegGuardTests {
    typealias M = TwoVenueMarket
    static let s1 = StrategyId(raw: 1)

    /// Guarded orders get ids 1, 2, … in the order they are approved.
    struct Harness {
        var guardian = LegGuard(
            universe: M.universe(), configuration: LegGuardConfiguration(slippageBandCentiBasisPoints: 2_000, attempts: 2, retryDelay: .milliseconds(100), pauseAfter: 3),
            strategies: 1)
        var next: UInt64 = 1
        var events: [LegEvent] = []
        var hedges: [(OrderIntent, VenueId)] = []

        /// Approves an intent (a leg or a hedge child) and returns its client order id.
        mutating func approve(_ intent: OrderIntent) -> ClientOrderId {
            var d = RiskDecision(intent: intent, reason: .approved, approvedQuantity: intent.quantity, decidedTime: .zero)
            d.clientOrderId = ClientOrderId(strategy: intent.strategy, sequence: next)
            next += 1
            guardian.onDecision(d)
            return d.clientOrderId
        }

        /// The two legs of signal `signal`: buy 0.1 on alpha at 100,000, sell 0.1 on beta at 100,050.
        mutating func legs(signal: UInt64) -> (buy: ClientOrderId, sell: ClientOrderId) {
            let buy = OrderIntent(
                intentId: 1, signalId: signal, strategy: s1, venue: M.alpha, instrument: M.btcA, pair: M.btc, side: .buy,
                price: M.price("100000", M.btcA), quantity: M.qty("0.1", M.btcA), legs: 2, triggerTime: .zero, createdTime: .zero)
            let sell = OrderIntent(
                intentId: 2, signalId: signal, strategy: s1, venue: M.beta, instrument: M.btcB, pair: M.btc, side: .sell,
                price: M.price("100050", M.btcB), quantity: M.qty("0.1", M.btcB), legs: 2, triggerTime: .zero, createdTime: .zero)
            return (approve(buy), approve(sell))
        }

        mutating func report(_ id: ClientOrderId, _ i: InstrumentId, _ side: Side, _ status: OrderStatus, filled: String = "0", at price: String = "0", total: String? = nil) {
            guardian.onReport(OrderReport(
                status: status, side: side, venue: M.venue(i), instrument: i, clientOrderId: id, venueOrderId: 1, price: M.price(price, i),
                lastQuantity: M.qty(filled, i), cumulativeQuantity: M.qty(total ?? filled, i), fee: 0, isTaker: true, eventTime: .zero))
        }

        mutating func poll(_ t: Nanos) {
            var got: [(OrderIntent, VenueId)] = []
            var seen: [LegEvent] = []
            guardian.poll(now: t, hedge: { got.append(($0, $1)) }, event: { seen.append($0) })
            hedges = got
            events += seen
        }
    }

    @Test("legs that fill equally end the signal quietly; a short fill is hedged at once, routed and limited to the band")
    func shortFillHedged() {
        var h = Harness()
        let a = h.legs(signal: 7)
        h.report(a.buy, M.btcA, .buy, .filled, filled: "0.1", at: "100000")
        h.report(a.sell, M.btcB, .sell, .filled, filled: "0.1", at: "100050")
        h.poll(.seconds(1))
        #expect(h.events.isEmpty && h.hedges.isEmpty && h.guardian.inFlight == 0 && h.guardian.stats.matched == 1)
        // The sell leg fills 0.04 of 0.1: long 0.06.
        let b = h.legs(signal: 8)
        h.report(b.buy, M.btcA, .buy, .filled, filled: "0.1", at: "100000")
        h.report(b.sell, M.btcB, .sell, .partiallyFilled, filled: "0.04", at: "100050")
        h.poll(.seconds(2))
        #expect(h.hedges.isEmpty, "nothing before every leg has ended")
        h.report(b.sell, M.btcB, .sell, .expired, total: "0.04")
        h.poll(.seconds(2))
        #expect(h.events == [.legging(strategy: Self.s1, pair: M.btc, signal: 8, residual: 6_000_000)])
        #expect(h.hedges.count == 1)
        guard let (hedge, avoid) = h.hedges.first else { return }
        // Sell 0.06, routed, hedge lane, the same signal; limit 20 bp under the sell leg's expected 100,050 (pair
        // price scale 2): 100,050 × 0.998 = 99,849.90, rounded up inside the band.
        #expect(hedge.isRouted && hedge.side == .sell && hedge.lane == .hedge && hedge.signalId == 8 && hedge.pair == M.btc)
        #expect(hedge.quantity.raw == 6_000_000 && hedge.price.raw == 9_984_990 && hedge.expectedPrice.raw == 10_005_000)
        #expect(avoid == .none, "a short fill is no reason to avoid the venue")
        // The router sends it to beta (a hedge); it fills at 100,040: 1 bp worse than expected.
        var child = hedge
        child.venue = M.beta
        child.instrument = M.btcB
        child.price = M.price("99850", M.btcB)
        child.quantity = M.qty("0.06", M.btcB)
        let c = h.approve(child)
        h.poll(.seconds(2))
        #expect(h.events.count == 1, "still open while the hedge is")
        h.report(c, M.btcB, .sell, .filled, filled: "0.06", at: "100040")
        h.poll(.seconds(2))
        #expect(h.events.last == .closed(strategy: Self.s1, pair: M.btc, signal: 8, hedged: 6_000_000, unwound: 0, elsewhere: 0, worstSlippageCentiBasisPoints: 99, consecutive: 0))
        #expect(h.guardian.inFlight == 0 && h.guardian.stats.closed == 1 && h.guardian.stats.rollbacks == 0, "completed on the short leg's venue: a hedge, not a rollback")
    }

    @Test("a leg the venue rejects is unwound on the other venue (the rejecting one is avoided): a rollback; three in a row pause the strategy, once; a matched signal ends the run")
    func rejectsPause() {
        var h = Harness()
        for signal in UInt64(1)...4 {
            let l = h.legs(signal: signal)
            h.report(l.buy, M.btcA, .buy, .filled, filled: "0.1", at: "100000")
            h.report(l.sell, M.btcB, .sell, .rejected)
            h.poll(.seconds(Int64(signal)))
            guard let (hedge, avoid) = h.hedges.first else {
                Issue.record("no hedge for signal \(signal)")
                return
            }
            #expect(avoid == M.beta, "beta rejected: the hedge avoids it")
            var child = hedge
            child.venue = M.alpha
            child.instrument = M.btcA
            child.quantity = M.qty("0.1", M.btcA)
            let c = h.approve(child)
            h.report(c, M.btcA, .sell, .filled, filled: "0.1", at: "99990")
            h.poll(.seconds(Int64(signal)))
        }
        let runs = h.events.compactMap { e -> Int? in if case .closed(_, _, _, _, _, _, _, let n) = e { n } else { nil } }
        #expect(runs == [1, 2, 3, 4], "each unwound signal is a rollback, in a row")
        #expect(h.events.filter { if case .paused = $0 { true } else { false } } == [.paused(strategy: Self.s1, rollbacks: 3)])
        let unwound = h.events.compactMap { e -> Int64? in if case .closed(_, _, _, _, let u, _, _, _) = e { u } else { nil } }
        #expect(unwound == [10_000_000, 10_000_000, 10_000_000, 10_000_000], "each unwound on alpha, the filled leg's venue")
        // A matched signal ends the run.
        let m = h.legs(signal: 9)
        h.report(m.buy, M.btcA, .buy, .filled, filled: "0.1", at: "100000")
        h.report(m.sell, M.btcB, .sell, .filled, filled: "0.1", at: "100050")
        h.poll(.seconds(10))
        #expect(h.guardian.consecutive[0] == 0)
    }

    @Test("a residual the hedge does not close is unwound after the delay, inside the band around the filled leg's fill; then left open and said so")
    func leftOpen() {
        var h = Harness()
        let l = h.legs(signal: 3)
        h.report(l.buy, M.btcA, .buy, .filled, filled: "0.1", at: "100000")
        h.report(l.sell, M.btcB, .sell, .expired)
        h.poll(.seconds(1))
        #expect(h.hedges.count == 1)
        // Risk vetoes the only child (say, a stale book): nothing is open, the attempt failed.
        var child = h.hedges[0].0
        child.venue = M.beta
        child.instrument = M.btcB
        h.guardian.onDecision(RiskDecision(intent: child, reason: .staleMarketData, approvedQuantity: .zero, decidedTime: .seconds(1)))
        h.poll(.seconds(1))
        #expect(h.hedges.isEmpty, "the retry waits its delay")
        h.poll(.seconds(1) + .milliseconds(100))
        #expect(h.hedges.count == 1, "the second attempt")
        // It unwinds: sells the 0.1 back, routed, inside the band around the buy leg's fill (100,000 − 20 bp; pair scale 2).
        if let (unwind, avoid) = h.hedges.first {
            #expect(unwind.isRouted && unwind.side == .sell && unwind.lane == .hedge && avoid == .none)
            #expect(unwind.price.raw == 9_980_000 && unwind.quantity.raw == 10_000_000 && unwind.expectedPrice.raw == 10_000_000)
        }
        h.poll(.seconds(2))
        #expect(h.events.last == .open(strategy: Self.s1, pair: M.btc, signal: 3, residual: 10_000_000, consecutive: 1))
        #expect(h.guardian.inFlight == 0 && h.guardian.stats.leftOpen == 1 && h.guardian.stats.hedgeVetoes == 1 && h.guardian.stats.attempts == 2)
    }
}
