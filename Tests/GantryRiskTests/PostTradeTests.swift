import GantryBook
import GantryCore
@testable import GantryRisk
import Testing

@Suite("Risk post-trade: positions and balances from fills, exposure groups, stops, drawdown, daily loss and the kill trigger")
struct PostTradeTests {
    @Test("fills move the position, the venue's balances and the PnL exactly; what an order did not use is released")
    func ledgerExact() {
        var e = R.engine()
        let u = e.mirror.universe
        let usdt = u.asset(named: "USDT")!
        let btc = u.asset(named: "BTC")!
        e.setBalance(venue: R.alpha, asset: usdt, free: 2_000 * 10_000_000_000)  // 2,000 USDT at scale 10
        e.setBalance(venue: R.alpha, asset: btc, free: 0)
        let o = e.check(R.intent(price: "100010", qty: "0.01"), now: .seconds(1)).order!
        // Reserved: 1,000.10 + 10 bp = 1,001.1001.
        #expect(e.ledger.balances[1][Int(usdt.raw)].reserved == 10_011_001_000_000)
        // Half fills at 100,000 with a fee of 0.5 USDT (instrument notional scale 10), then the rest expires.
        var part = R.fill(o, fee: 5_000_000_000)
        part.status = .partiallyFilled
        part.price = R.price("100000", R.btcA)
        part.lastQuantity = R.qty("0.005", R.btcA)
        part.cumulativeQuantity = part.lastQuantity
        let bookedPart = e.apply(part)
        #expect(bookedPart)
        var end = part
        end.status = .expired
        end.lastQuantity = .zero
        end.fee = 0
        let bookedEnd = e.apply(end)
        #expect(bookedEnd)
        #expect(e.ledger.openOrders.isEmpty)
        // Paid 500 + 0.5: 1,499.5 USDT left, none reserved; 0.005 BTC held.
        #expect(e.ledger.balances[1][Int(usdt.raw)] == RiskBalance(free: 14_995_000_000_000, reserved: 0))
        #expect(e.ledger.balances[1][Int(btc.raw)].free == 500_000)
        let pos = e.ledger.positions[0][Int(R.btc.raw)]
        #expect(pos.quantity == 500_000 && pos.pendingBuy == 0 && pos.fees == 5_000_000_000)
        // Marked at the mid 100,000: PnL is the fee, −$0.50.
        #expect(e.pnlCents(strategy: R.s1) == -50 && e.pnlCents(pair: R.btc) == -50 && e.pnlCents(venue: R.alpha) == -50)
        #expect(e.pnlCents(venue: R.beta) == 0)
        // A report of an order risk never approved is refused.
        var stranger = part
        stranger.clientOrderId = ClientOrderId(raw: 12_345)
        let bookedStranger = e.apply(stranger)
        #expect(!bookedStranger)
    }

    @Test("a configured correlated group's combined exposure is capped")
    func configuredGroup() {
        var e = R.engine { $0.correlationGroups = [CorrelationGroup(name: "majors", pairs: [R.btc, R.eth], capCents: 135_010)] }
        let o = e.check(R.intent(price: "100000", qty: "0.01"), now: .seconds(1)).order!
        e.apply(R.fill(o))
        // BTC held: 0.01 × 100,000 = 100,000 cents; 0.1 ETH at 3,501 is 35,010: 135,010, the cap.
        #expect(e.check(R.intent(R.s2, R.ethA, price: "3501", qty: "0.1"), now: .seconds(1)).reason == .approved)
        let past = e.check(R.intent(R.s2, R.ethA, price: "3501", qty: "0.1001"), now: .seconds(1))
        #expect(past.reason == .correlatedExposure && past.decision.observed == 135_045 && past.decision.limit == 135_010)
    }

    @Test("pairs whose rolling returns correlate past the threshold count as one group")
    func measuredCorrelation() {
        var e = R.engine {
            $0.correlationThresholdHundredths = 80
            $0.correlatedCapCents = 135_010
            $0.returnsWindow = 10
        }
        let o = e.check(R.intent(price: "100000", qty: "0.01"), now: .seconds(1)).order!
        e.apply(R.fill(o))
        // Before any returns, ETH is its own group: more is allowed.
        #expect(e.check(R.intent(R.s2, R.ethA, price: "3501", qty: "0.2"), now: .seconds(1)).reason == .approved)
        // BTC and ETH move together for ten samples.
        let moves = [0, 3, -2, 5, 1, -4, 2, 6, -1, 3]
        var btc = 100_000
        var eth = 3_500
        for (k, m) in moves.enumerated() {
            btc += m * 10
            eth += m
            let t = Nanos.seconds(Int64(2 + k))
            R.book(&e, R.btcA, bid: "\(btc - 10)", ask: "\(btc + 10)", at: t)
            R.book(&e, R.btcB, bid: "\(btc - 10)", ask: "\(btc + 10)", at: t)
            R.book(&e, R.ethA, bid: "\(eth - 1)", ask: "\(eth + 1)", at: t)
            e.onTimer(now: t)
        }
        #expect((e.pairCorrelation(R.btc, R.eth) ?? 0) >= 95)
        #expect(e.correlated[Int(R.btc.raw)][Int(R.eth.raw)])
        let t = Nanos.seconds(11)
        let d = e.check(R.intent(R.s2, R.ethA, price: "\(eth + 1)", qty: "0.1", at: t), now: t)
        #expect(d.reason == .correlatedExposure && d.decision.limit == 135_010)
    }

    @Test("a hard stop crossed: risk flattens the position with its own IOC order on the best venue")
    func hardStop() {
        var e = R.engine { $0.strategies[0].stopLossCents = 500 }  // $5
        let o = e.check(R.intent(price: "100000", qty: "0.01"), now: .seconds(1)).order!
        e.apply(R.fill(o))
        // The mid falls to 99,500 on both venues: $5 lost on 0.01, the stop.
        R.book(&e, R.btcA, bid: "99490", ask: "99510", at: .seconds(2))
        R.book(&e, R.btcB, bid: "99495", ask: "99505", at: .seconds(2))
        var actions: [RiskAction] = []
        var orders: [ApprovedOrder] = []
        e.takeActions({ actions.append($0) }, orders: { orders.append($0) })
        #expect(actions == [.hardStop(strategy: R.s1, pair: R.btc, lossCents: 500)])
        try! #require(orders.count == 1)
        let flat = orders[0]
        // Sold on beta, whose bid is higher, the whole 0.01, in the flatten lane.
        #expect(flat.venue == R.beta && flat.side == .sell && flat.quantity == R.qty("0.01", R.btcB) && flat.lane == .flatten)
        // Once pending, the stop does not fire again.
        R.book(&e, R.btcA, bid: "99000", ask: "99020", at: .seconds(3))
        e.takeActions({ actions.append($0) }, orders: { orders.append($0) })
        #expect(orders.count == 1)
        e.apply(R.fill(flat))
        #expect(e.ledger.positions[0][Int(R.btc.raw)].quantity == 0)
    }

    @Test("a strategy's drawdown past its limit scales its new orders down, and past the halt vetoes them")
    func drawdownScaling() {
        var e = R.engine {
            $0.strategies[0].capitalCents = 1_000_000  // $10,000
            $0.strategies[0].drawdownLimitCentiBasisPoints = 5_000  // 0.5%
            $0.strategies[0].drawdownHaltCentiBasisPoints = 10_000  // 1%: $100
        }
        let o = e.check(R.intent(price: "100000", qty: "0.05"), now: .seconds(1)).order!
        e.apply(R.fill(o))
        e.onTimer(now: .seconds(1))
        // A $100 loss on 0.05: the mid from 100,000 to 98,000.
        R.book(&e, R.btcA, bid: "97990", ask: "98010", at: .seconds(2))
        R.book(&e, R.btcB, bid: "97990", ask: "98010", at: .seconds(2))
        e.onTimer(now: .seconds(2))
        #expect(e.drawdown[0] == 10_000)  // $100 of $10,000: 1%, the halt
        let halted = e.check(R.intent(price: "98010", qty: "0.002", at: .seconds(2)), now: .seconds(2))
        #expect(halted.reason == .strategyDrawdown && halted.decision.observed == 10_000 && halted.decision.limit == 10_000)
        // Selling (reducing) is still allowed.
        #expect(e.check(R.intent(R.s1, R.btcA, .sell, price: "97990", qty: "0.01", at: .seconds(2)), now: .seconds(2)).reason == .approved)
        var f = R.engine {
            $0.strategies[0].capitalCents = 10_000_000  // $100,000
            $0.strategies[0].drawdownLimitCentiBasisPoints = 10_000  // 1%: $1,000
            $0.strategies[0].drawdownHaltCentiBasisPoints = 30_000
        }
        let g = f.check(R.intent(price: "100000", qty: "0.5"), now: .seconds(1)).order!  // $1,000 lost at 98,000
        f.apply(R.fill(g))
        f.onTimer(now: .seconds(1))
        R.book(&f, R.btcA, bid: "97990", ask: "98010", at: .seconds(2))
        R.book(&f, R.btcB, bid: "97990", ask: "98010", at: .seconds(2))
        f.onTimer(now: .seconds(2))
        #expect(f.drawdown[0] == 10_000)  // $1,000 of $100,000: at the limit
        var seen: [RiskAction] = []
        f.takeActions({ seen.append($0) }, orders: { _ in })
        #expect(seen == [.drawdownScaling(strategy: R.s1, drawdownCentiBasisPoints: 10_000)])
        let scaled = f.check(R.intent(price: "98010", qty: "0.00101", at: .seconds(2)), now: .seconds(2))
        // Half of 0.00101 on the 0.00001 lot: 0.0005.
        #expect(scaled.reason == .approved && scaled.decision.approvedQuantity == R.qty("0.0005", R.btcA))
    }

    @Test("the daily loss limit halts new positions; reducing ones still go; a new day lifts it")
    func dailyLoss() {
        var e = R.engine { $0.dailyLossLimitCents = 100_000 }  // $1,000
        let o = e.check(R.intent(price: "100000", qty: "1"), now: .seconds(1)).order!
        e.apply(R.fill(o))
        R.book(&e, R.btcA, bid: "98990", ask: "99010", at: .seconds(2))
        R.book(&e, R.btcB, bid: "98990", ask: "99010", at: .seconds(2))
        e.onTimer(now: .seconds(2))  // mid 99,000: −$1,000 on 1 BTC
        #expect(e.halted && e.dailyLossCents() == 100_000)
        var seen: [RiskAction] = []
        e.takeActions({ seen.append($0) }, orders: { _ in })
        #expect(seen == [.dailyLossHalt(lossCents: 100_000)])
        let d = e.check(R.intent(R.s2, price: "99010", qty: "0.001", at: .seconds(2)), now: .seconds(2))
        #expect(d.reason == .dailyLossLimit && d.decision.observed == 100_000 && d.decision.limit == 100_000)
        #expect(e.check(R.intent(R.s1, R.btcA, .sell, price: "98990", qty: "0.05", at: .seconds(2)), now: .seconds(2)).reason == .approved)
        e.startDay()
        let open = !e.halted
        #expect(open)
        #expect(e.check(R.intent(R.s2, price: "99010", qty: "0.001", at: .seconds(2)), now: .seconds(2)).reason == .approved)
        // One cent less than the limit does not halt.
        var f = R.engine { $0.dailyLossLimitCents = 100_001 }
        let g = f.check(R.intent(price: "100000", qty: "1"), now: .seconds(1)).order!
        f.apply(R.fill(g))
        R.book(&f, R.btcA, bid: "98990", ask: "99010", at: .seconds(2))
        R.book(&f, R.btcB, bid: "98990", ask: "99010", at: .seconds(2))
        f.onTimer(now: .seconds(2))
        let fOpen = !f.halted
        #expect(fOpen)
    }

    @Test("a 5% portfolio drawdown within one hour fires the kill switch; then only flattening passes")
    func killTrigger() {
        var e = R.engine {
            $0.strategies[0].capitalCents = 10_000_00  // $10,000 each: $20,000 in all; 5% is $1,000
            $0.strategies[1].capitalCents = 10_000_00
            $0.strategies[0].signalCapitalCentiBasisPoints = 10_000_000  // 10× capital: the signal rule is not tested here
        }
        let o = e.check(R.intent(price: "100000", qty: "0.5"), now: .seconds(1)).order!
        e.apply(R.fill(o))
        e.onTimer(now: .seconds(1))
        // Over 59 minutes the mid falls to 98,002: −$999, 4.995%: no kill.
        R.book(&e, R.btcA, bid: "97992", ask: "98012", at: .seconds(3_540))
        R.book(&e, R.btcB, bid: "97992", ask: "98012", at: .seconds(3_540))
        e.onTimer(now: .seconds(3_540))
        let alive = !e.killed
        #expect(alive)
        // Then to 98,000: −$1,000 within the hour.
        R.book(&e, R.btcA, bid: "97990", ask: "98010", at: .seconds(3_560))
        R.book(&e, R.btcB, bid: "97990", ask: "98010", at: .seconds(3_560))
        e.onTimer(now: .seconds(3_560))
        let dead = e.killed
        #expect(dead)
        var seen: [RiskAction] = []
        e.takeActions({ seen.append($0) }, orders: { _ in })
        #expect(seen.contains(.kill(drawdownCentiBasisPoints: 50_000)))
        let t = Nanos.seconds(3_560)
        #expect(e.check(R.intent(R.s2, price: "98010", qty: "0.001", at: t), now: t).reason == .killSwitch)
        let flat = e.flatten(strategy: R.s1, pair: R.btc, now: t)
        #expect(flat?.reason == .approved && flat?.decision.intent.lane == .flatten)
    }

    @Test("the same fall spread over more than an hour does not fire it")
    func killWindow() {
        var e = R.engine {
            $0.strategies[0].capitalCents = 10_000_00
            $0.strategies[1].capitalCents = 10_000_00
            $0.strategies[0].signalCapitalCentiBasisPoints = 10_000_000
        }
        let o = e.check(R.intent(price: "100000", qty: "0.5"), now: .seconds(1)).order!
        e.apply(R.fill(o))
        e.onTimer(now: .seconds(1))
        // Half the fall, then the rest 61 minutes after the peak: each hour's fall is under 5%.
        R.book(&e, R.btcA, bid: "98990", ask: "99010", at: .seconds(1_800))
        R.book(&e, R.btcB, bid: "98990", ask: "99010", at: .seconds(1_800))
        e.onTimer(now: .seconds(1_800))
        R.book(&e, R.btcA, bid: "98990", ask: "99010", at: .seconds(3_700))
        R.book(&e, R.btcB, bid: "98990", ask: "99010", at: .seconds(3_700))
        e.onTimer(now: .seconds(3_700))
        R.book(&e, R.btcA, bid: "97990", ask: "98010", at: .seconds(5_500))
        R.book(&e, R.btcB, bid: "97990", ask: "98010", at: .seconds(5_500))
        e.onTimer(now: .seconds(5_500))
        let alive = !e.killed
        #expect(alive)
    }

    @Test("the correlation between strategies' returns is measured")
    func strategyCorrelation() {
        var e = R.engine { $0.returnsWindow = 8 }
        let a = e.check(R.intent(R.s1, price: "100000", qty: "0.01"), now: .seconds(1)).order!
        e.apply(R.fill(a))
        let b = e.check(R.intent(R.s2, R.btcA, .sell, price: "100000", qty: "0.01"), now: .seconds(1)).order!
        e.apply(R.fill(b))
        var mid = 100_000
        for (k, m) in [5, -3, 8, -6, 2, 7, -4, 1].enumerated() {
            mid += m
            let t = Nanos.seconds(Int64(2 + k))
            R.book(&e, R.btcA, bid: "\(mid - 10)", ask: "\(mid + 10)", at: t)
            R.book(&e, R.btcB, bid: "\(mid - 10)", ask: "\(mid + 10)", at: t)
            e.onTimer(now: t)
        }
        // Long against short: their returns move exactly opposite.
        #expect(e.strategyCorrelation(R.s1, R.s2) == -100)
    }
}
