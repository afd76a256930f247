import GantryBook
import GantryCore
@testable import GantryRisk
import Testing

@Suite("Risk pre-trade: each rule approves at its limit and vetoes one unit past it, with its reason and numbers")
struct PreTradeTests {
    @Test("allowed pairs")
    func pairs() {
        var e = R.engine { $0.strategies[0].allowedPairs = [R.btc] }
        let d = e.check(R.intent(R.s1, R.ethA, price: "3501", qty: "0.1"), now: .seconds(1))
        #expect(d.reason == .pairNotAllowed && d.decision.observed == Int64(R.eth.raw))
        #expect(e.check(R.intent(R.s1, R.btcA), now: .seconds(1)).reason == .approved)
        #expect(e.vetoes[Int(RiskReason.pairNotAllowed.rawValue)] == 1)
    }

    @Test("2% of capital per signal, all the signal's intents together")
    func signalCapital() {
        // $100,000 of capital: 2% is $2,000 = 200,000 cents.
        var e = R.engine {
            $0.strategies[0].capitalCents = 100_000_00
            $0.strategies[0].signalCapitalCentiBasisPoints = 20_000
        }
        // 0.01 at 100,010 is 100,010 cents and the other leg, 0.01 at 99,990, 99,990: 200,000 together, the limit.
        #expect(e.check(R.intent(price: "100010", qty: "0.01", signal: 7), now: .seconds(1)).reason == .approved)
        #expect(e.check(R.intent(R.s1, R.btcA, .sell, price: "99990", qty: "0.01", signal: 7), now: .seconds(1)).reason == .approved)
        // 0.0001 more at 99,990 is 999 cents: 200,999 > 200,000.
        let past = e.check(R.intent(R.s1, R.btcA, .sell, price: "99990", qty: "0.0001", signal: 7), now: .seconds(1))
        #expect(past.reason == .signalCapitalLimit && past.decision.observed == 200_999 && past.decision.limit == 200_000)
        // Exactly to the limit: 10 cents left at 99,990 buys nothing on the lot; a new signal starts from zero.
        var f = R.engine {
            $0.strategies[0].capitalCents = 100_000_00
            $0.strategies[0].signalCapitalCentiBasisPoints = 20_000
        }
        R.book(&f, R.btcA, bid: "99990", ask: "100000", at: .seconds(1))
        #expect(f.check(R.intent(price: "100000", qty: "0.02", signal: 9), now: .seconds(1)).reason == .approved)  // 200,000
        let one = f.check(R.intent(price: "100000", qty: "0.00001", signal: 9), now: .seconds(1))  // one lot: 100 cents past
        #expect(one.reason == .signalCapitalLimit && one.decision.observed == 200_100)
        #expect(f.check(R.intent(price: "100000", qty: "0.00001", signal: 10), now: .seconds(1)).reason == .approved)
    }

    @Test("maximum position per strategy and pair, counting orders still open")
    func strategyPosition() {
        var e = R.engine { $0.strategies[0].maximumPosition = [0, Quantity("0.01", scale: 8).raw, 0] }
        #expect(e.check(R.intent(qty: "0.006"), now: .seconds(1)).reason == .approved)
        #expect(e.check(R.intent(qty: "0.004"), now: .seconds(1)).reason == .approved)  // 0.01 with the open 0.006
        let past = e.check(R.intent(qty: "0.00001"), now: .seconds(1))
        #expect(past.reason == .strategyPositionLimit && past.decision.observed == 1_001_000 && past.decision.limit == 1_000_000)
        // Another strategy has its own limit.
        #expect(e.check(R.intent(R.s2, qty: "0.00001"), now: .seconds(1)).reason == .approved)
    }

    @Test("maximum net position per asset across strategies")
    func assetPosition() {
        var e = R.engine { c in
            let u = R.universe()
            c.maximumAssetPosition = Array(repeating: 0, count: u.assetNames.count + 1)
            c.maximumAssetPosition[Int(u.asset(named: "BTC")!.raw)] = Quantity("0.05", scale: 8).raw
        }
        #expect(e.check(R.intent(R.s1, qty: "0.03"), now: .seconds(1)).reason == .approved)
        #expect(e.check(R.intent(R.s2, R.btcB, price: "100010", qty: "0.02"), now: .seconds(1)).reason == .approved)
        let past = e.check(R.intent(R.s2, R.btcB, price: "100010", qty: "0.00000001"), now: .seconds(1))
        #expect(past.reason == .assetPositionLimit && past.decision.observed == 5_000_001 && past.decision.limit == 5_000_000)
    }

    @Test("available balance per venue: a buy needs its quote and the taker fee, a sell its base")
    func venueBalance() {
        var e = R.engine()
        let u = e.mirror.universe
        let usdt = u.asset(named: "USDT")!
        let btcAsset = u.asset(named: "BTC")!
        // USDT at scale 10: 0.01 × 100,010 = 1,000.10, plus 10 bp = 1,001.1001 USDT.
        e.setBalance(venue: R.alpha, asset: usdt, free: 1_001_100_100_000_0)
        e.setBalance(venue: R.alpha, asset: btcAsset, free: 1_000_000)  // 0.01 BTC
        #expect(e.ledger.assetScale[Int(usdt.raw)] == 10)
        #expect(e.check(R.intent(qty: "0.01"), now: .seconds(1)).reason == .approved)
        let noQuote = e.check(R.intent(qty: "0.00001"), now: .seconds(1))
        #expect(noQuote.reason == .venueCapital && noQuote.decision.limit == 0)
        #expect(e.check(R.intent(R.s1, R.btcA, .sell, price: "99990", qty: "0.01"), now: .seconds(1)).reason == .approved)
        let noBase = e.check(R.intent(R.s2, R.btcA, .sell, price: "99990", qty: "0.00001"), now: .seconds(1))
        #expect(noBase.reason == .venueCapital && noBase.decision.observed == 1_000 && noBase.decision.limit == 0)
    }

    @Test("price bands around the venue's mid and the fat-finger limit")
    func bandsAndFatFinger() {
        var e = R.engine {
            $0.priceBandCentiBasisPoints = 1_001
            $0.maximumOrderCents = 100_110_01
        }
        // Mid 100,000; 100,100.10 is 10.01 bp away.
        #expect(e.check(R.intent(price: "100100.1", qty: "0.001"), now: .seconds(1)).reason == .approved)
        let band = e.check(R.intent(price: "100100.2", qty: "0.001"), now: .seconds(1))
        #expect(band.reason == .priceBand && band.decision.observed == 1_002 && band.decision.limit == 1_001)
        // 1.001 × 100,010 = $100,110.01 of notional passes; one lot more ($1.0001) does not.
        #expect(e.check(R.intent(price: "100010", qty: "1.001"), now: .seconds(1)).reason == .approved)
        let fat = e.check(R.intent(price: "100010", qty: "1.00101"), now: .seconds(1))
        #expect(fat.reason == .fatFinger && fat.decision.observed == 100_111_01 && fat.decision.limit == 100_110_01)
    }

    @Test("order rate per strategy and per venue, in a sliding second")
    func orderRate() {
        var e = R.engine {
            $0.strategies[0].maximumOrdersPerSecond = 3
            $0.maximumVenueOrdersPerSecond = 5
        }
        for _ in 0..<3 { #expect(e.check(R.intent(qty: "0.001"), now: .milliseconds(1_000)).reason == .approved) }
        let past = e.check(R.intent(qty: "0.001"), now: .milliseconds(1_500))
        #expect(past.reason == .orderRate && past.decision.observed == 3 && past.decision.limit == 3)
        // The venue's budget: 3 used; the other strategy gets two more, then none.
        for _ in 0..<2 { #expect(e.check(R.intent(R.s2, qty: "0.001"), now: .milliseconds(1_500)).reason == .approved) }
        let venue = e.check(R.intent(R.s2, qty: "0.001"), now: .milliseconds(1_500))
        #expect(venue.reason == .orderRate && venue.decision.observed == 5 && venue.decision.limit == 5)
        // A second after the first three, there is room again.
        #expect(e.check(R.intent(qty: "0.001"), now: .milliseconds(2_000)).reason == .approved)
        // A flattening order is never held back by the rate rules.
        let flatten = e.check(R.intent(R.s1, R.btcA, .sell, price: "99990", qty: "0.001", lane: .flatten), now: .milliseconds(2_000))
        #expect(flatten.reason == .approved)
    }

    @Test("a stale or resyncing book, an old book, a venue past its latency budget, and one whose order entry is down are not traded")
    func staleAndLatency() {
        var e = R.engine { $0.latencyBudget = [.zero, .milliseconds(20), .zero] }
        e.onMarket(MarketEvent(kind: .bookStale, venue: R.beta, instrument: R.btcB), now: .seconds(1))
        #expect(e.check(R.intent(R.s1, R.btcB), now: .seconds(1)).reason == .staleMarketData)
        let old = e.check(R.intent(), now: .milliseconds(3_001))
        #expect(old.reason == .staleMarketData && old.decision.observed == 2_001_000_000 && old.decision.limit == 2_000_000_000)
        #expect(e.check(R.intent(), now: .seconds(3)).reason == .approved)
        e.setVenueLatency(R.alpha, .milliseconds(20))
        #expect(e.check(R.intent(), now: .seconds(1)).reason == .approved)
        e.setVenueLatency(R.alpha, .milliseconds(20) + Nanos(raw: 1))
        let slow = e.check(R.intent(), now: .seconds(1))
        #expect(slow.reason == .venueLatency && slow.decision.observed == 20_000_001 && slow.decision.limit == 20_000_000)
        // A venue whose order entry is down takes nothing new but flattening.
        e.setVenueLatency(R.alpha, .zero)
        e.setVenueReady(R.alpha, false)
        #expect(e.check(R.intent(), now: .seconds(1)).reason == .venueNotReady)
        #expect(e.check(R.intent(lane: .hedge), now: .seconds(1)).reason == .venueNotReady)
        e.setVenueReady(R.alpha, true)
        #expect(e.check(R.intent(), now: .seconds(1)).reason == .approved)
    }

    @Test("a venue whose price strays from the others is a data fault: vetoed and alerted, not traded")
    func implausiblePrice() {
        var e = R.engine { $0.plausibilityCentiBasisPoints = 10_000 }  // 1%
        // beta's book jumps 1.5% up: an 'opportunity' that is a desynchronized feed.
        R.book(&e, R.btcB, bid: "101490", ask: "101510", at: .seconds(1))
        let d = e.check(R.intent(R.s1, R.btcB, .sell, price: "101490", qty: "0.01"), now: .seconds(1))
        #expect(d.reason == .implausiblePrice && d.decision.observed == 15_000 && d.decision.limit == 10_000)
        var alerts: [RiskAction] = []
        e.takeActions({ alerts.append($0) }, orders: { _ in })
        #expect(alerts == [.implausiblePrice(venue: R.beta, pair: R.btc, deviationCentiBasisPoints: 15_000)])
        // 1% exactly is plausible.
        R.book(&e, R.btcB, bid: "100990", ask: "101010", at: .seconds(1))
        #expect(e.check(R.intent(R.s1, R.btcB, .sell, price: "100990", qty: "0.01"), now: .seconds(1)).reason == .approved)
    }

    @Test("backtest-stage strategies never pass; paper ones are decided but never sent; a pilot's gross exposure is capped")
    func stages() {
        var e = R.engine {
            $0.strategies[0].stage = .paper
            $0.strategies[1].stage = .pilot(capCents: 200_000)  // $2,000
        }
        let paper = e.check(R.intent(R.s1), now: .seconds(1))
        #expect(paper.reason == .stageLimit && paper.decision.observed == 0 && paper.order == nil)
        // The pilot holds 0.01 (at the mid 100,000: $1,000) and may add $1,000; open orders count.
        let first = e.check(R.intent(R.s2, price: "100000", qty: "0.01"), now: .seconds(1)).order!
        let booked = e.apply(R.fill(first))
        #expect(booked)
        #expect(e.check(R.intent(R.s2, price: "100000", qty: "0.01"), now: .seconds(1)).reason == .approved)
        let past = e.check(R.intent(R.s2, price: "100000", qty: "0.00001"), now: .seconds(1))
        #expect(past.reason == .stageLimit && past.decision.observed == 200_100 && past.decision.limit == 200_000)
        // A strategy only backtested is stopped before any rule, told apart from paper (observed 1).
        var b = R.engine { $0.strategies[0].stage = .backtest }
        let only = b.check(R.intent(R.s1), now: .seconds(1))
        #expect(only.reason == .stageLimit && only.decision.observed == 1 && only.order == nil)
    }

    @Test("malformed intents: routed, zero size, an instrument of another venue, an unknown strategy")
    func invalid() {
        var e = R.engine()
        var routed = R.intent()
        routed.venue = .none
        #expect(e.check(routed, now: .seconds(1)).reason == .invalidIntent)
        #expect(e.check(R.intent(qty: "0"), now: .seconds(1)).reason == .invalidIntent)
        var wrongVenue = R.intent()
        wrongVenue.venue = R.beta
        #expect(e.check(wrongVenue, now: .seconds(1)).reason == .invalidIntent)
        #expect(e.check(R.intent(StrategyId(raw: 9)), now: .seconds(1)).reason == .invalidIntent)
    }

    @Test("approvals get unique client order ids carrying their strategy")
    func clientOrderIds() {
        var e = R.engine()
        let a = e.check(R.intent(R.s1), now: .seconds(1)).order!
        let b = e.check(R.intent(R.s2), now: .seconds(1)).order!
        #expect(a.clientOrderId != b.clientOrderId && a.clientOrderId.strategy == R.s1 && b.clientOrderId.strategy == R.s2)
        #expect(a.decision.isApproved && a.quantity == R.qty("0.01", R.btcA) && e.ledger.openOrders.count == 2)
    }
}
