import GantryCore
@testable import GantryRisk
import Testing

@Suite("Risk decides a signal's legs all or none")
struct LegsTests {
    static func legs(_ signal: UInt64, sellQuantity: String = "0.01") -> [OrderIntent] {
        var buy = R.intent(R.s1, R.btcA, .buy, price: "100010", qty: "0.01", signal: signal)
        var sell = R.intent(R.s1, R.btcB, .sell, price: "99990", qty: sellQuantity, signal: signal)
        buy.legs = 2
        sell.legs = 2
        return [buy, sell]
    }

    @Test("both legs approved when both pass; when the second fails, the first is taken back: its reservation, pending quantity and signal capital released")
    func allOrNone() {
        var e = R.engine()
        var out: [RiskVerdict] = []
        e.checkLegs(Self.legs(1), now: .seconds(1), into: &out)
        #expect(out.map(\.reason) == [.approved, .approved])
        // Beta holds 0.01 BTC: a sell of 0.02 cannot be paid, so neither leg goes.
        let u = e.mirror.universe
        let btc = u.asset(named: "BTC")!
        let usdt = u.asset(named: "USDT")!
        e.setBalance(venue: R.beta, asset: btc, free: 1_000_000)
        let usdtBefore = e.ledger.balances[Int(R.alpha.raw)][Int(usdt.raw)]
        let position = e.ledger.positions[0][Int(R.btc.raw)]
        let open = e.ledger.openOrders.count
        out.removeAll()
        e.checkLegs(Self.legs(2, sellQuantity: "0.02"), now: .seconds(1), into: &out)
        #expect(out.map(\.reason) == [.legVetoed, .venueCapital])
        #expect(out[0].decision.observed == Int64(RiskReason.venueCapital.rawValue), "the taken-back leg names the reason of the one that failed")
        #expect(out.allSatisfy { $0.decision.clientOrderId.raw == 0 && $0.decision.approvedQuantity == .zero })
        #expect(e.ledger.balances[Int(R.alpha.raw)][Int(usdt.raw)] == usdtBefore, "the buy leg's USDT is free again")
        #expect(e.ledger.positions[0][Int(R.btc.raw)] == position && e.ledger.openOrders.count == open)
        #expect(e.signals.used(2) == 0, "the signal's capital is returned")
        #expect(e.vetoes[Int(RiskReason.legVetoed.rawValue)] == 1 && e.vetoes[Int(RiskReason.venueCapital.rawValue)] == 1)
        // With the sell payable, the same signal goes whole.
        out.removeAll()
        e.checkLegs(Self.legs(2), now: .seconds(1), into: &out)
        #expect(out.map(\.reason) == [.approved, .approved])
    }

    @Test("a first leg vetoed vetoes the rest without checking them; a leg of another signal makes the group invalid")
    func firstFailsAndStrangers() {
        var e = R.engine { $0.priceBandCentiBasisPoints = 100 }
        var out: [RiskVerdict] = []
        var far = Self.legs(3)
        far[0].price = R.price("101100", R.btcA)  // 1.1% from the mid: past the 1% band
        e.checkLegs(far, now: .seconds(1), into: &out)
        #expect(out.map(\.reason) == [.priceBand, .legVetoed])
        out.removeAll()
        var mixed = Self.legs(4)
        mixed[1].signalId = 5
        e.checkLegs(mixed, now: .seconds(1), into: &out)
        #expect(out.map(\.reason) == [.legVetoed, .invalidIntent])
        #expect(e.ledger.openOrders.isEmpty)
    }

    @Test("an operator's pause and a strategy's pause stop entries, never a hedge or a flattening")
    func pauses() {
        var e = R.engine()
        // A position to hedge and flatten: long 0.02.
        let o = e.check(R.intent(qty: "0.02"), now: .seconds(1)).order!
        e.apply(R.fill(o))
        e.paused = true
        #expect(e.check(R.intent(qty: "0.01"), now: .seconds(1)).reason == .paused)
        #expect(e.check(R.intent(R.s1, R.btcB, .sell, price: "99990", qty: "0.01", lane: .hedge), now: .seconds(1)).reason == .approved)
        #expect(e.check(R.intent(R.s1, R.btcA, .sell, price: "99990", qty: "0.01", lane: .flatten), now: .seconds(1)).reason == .approved)
        e.paused = false
        e.strategyPaused[0] = true
        #expect(e.check(R.intent(qty: "0.01"), now: .seconds(1)).reason == .strategyPaused)
        #expect(e.check(R.intent(R.s2, qty: "0.01"), now: .seconds(1)).reason == .approved, "the other strategy trades on")
    }

    @Test("flattening goes to a venue whose order entry is ready; to one that is not only when no ready venue can take it")
    func flattenPrefersReady() {
        var e = R.engine()
        let o = e.check(R.intent(qty: "0.02"), now: .seconds(1)).order!
        e.apply(R.fill(o))
        // Both venues bid 99,990; alpha, the one the position was bought on, is down: beta takes it.
        e.setVenueReady(R.alpha, false)
        let f = e.flatten(strategy: R.s1, pair: R.btc, now: .seconds(1))
        #expect(f?.reason == .approved && f?.decision.intent.venue == R.beta && f?.decision.intent.lane == .flatten)
        var other = R.engine()
        let o2 = other.check(R.intent(qty: "0.02"), now: .seconds(1)).order!
        other.apply(R.fill(o2))
        other.setVenueReady(R.alpha, false)
        other.setVenueReady(R.beta, false)
        let g = other.flatten(strategy: R.s1, pair: R.btc, now: .seconds(1))
        #expect(g?.reason == .approved, "with no venue ready the flattening order still goes (it waits for its venue)")
    }
}
