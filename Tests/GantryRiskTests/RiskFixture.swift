import GantryBook
import GantryCore
import GantryTestSupport
@testable import GantryRisk

/// Two venues listing BTC/USD (alpha BTCUSDT at price scale 2, beta BTC/USD at 1; quantities at 8) and alpha's
/// ETH/USD (price 2, quantity 4). Books: BTC 99,990 / 100,010 on both, ETH 3,499 / 3,501.
/// `TwoVenueMarket` with the risk tests' own helpers.
enum R {
    static let btcA = TwoVenueMarket.btcA
    static let btcB = TwoVenueMarket.btcB
    static let ethA = TwoVenueMarket.ethA
    static let alpha = TwoVenueMarket.alpha
    static let beta = TwoVenueMarket.beta
    static let btc = TwoVenueMarket.btc
    static let eth = TwoVenueMarket.eth
    static let s1 = StrategyId(raw: 1)
    static let s2 = StrategyId(raw: 2)

    static func universe() -> Universe { TwoVenueMarket.universe() }
    static func price(_ text: String, _ i: InstrumentId) -> Price { TwoVenueMarket.price(text, i) }
    static func qty(_ text: String, _ i: InstrumentId) -> Quantity { TwoVenueMarket.qty(text, i) }
    static func venue(_ i: InstrumentId) -> VenueId { TwoVenueMarket.venue(i) }

    /// Generous limits for two strategies; each test tightens the one it checks.
    static func configuration(_ change: (inout RiskConfiguration) -> Void = { _ in }) -> RiskConfiguration {
        func limits(_ id: StrategyId) -> StrategyRiskLimits {
            var l = StrategyRiskLimits(
                strategy: id, name: "s\(id.raw)", capitalCents: 100_000_000_00, stage: .live, allowedPairs: [btc, eth],
                maximumPosition: [0, Quantity("100", scale: 8).raw, Quantity("1000", scale: 4).raw])
            l.signalCapitalCentiBasisPoints = 1_000_000  // 100%
            l.maximumOrdersPerSecond = 1_000
            return l
        }
        var c = RiskConfiguration(strategies: [limits(s1), limits(s2)])
        c.maximumOrderCents = .max
        c.maximumVenueOrdersPerSecond = 1_000
        c.takerFees = [0, 1_000, 4_000]
        c.dailyLossLimitCents = .max
        change(&c)
        return c
    }

    /// An engine with books set at time 1 s and rich balances on both venues.
    static func engine(_ change: (inout RiskConfiguration) -> Void = { _ in }) -> RiskEngine {
        var e = RiskEngine(universe: universe(), configuration: configuration(change), firstOrderSequence: 1)
        book(&e, btcA, bid: "99990", ask: "100010", at: .seconds(1))
        book(&e, btcB, bid: "99990", ask: "100010", at: .seconds(1))
        book(&e, ethA, bid: "3499", ask: "3501", at: .seconds(1))
        let u = e.mirror.universe
        for v in [alpha, beta] {
            for a in ["USDT", "USD", "BTC", "ETH"] {
                guard let asset = u.asset(named: a) else { continue }
                e.setBalance(venue: v, asset: asset, free: Int128(1) << 100)
            }
        }
        return e
    }

    static func book(_ e: inout RiskEngine, _ i: InstrumentId, bid: String, ask: String, at t: Nanos) {
        let v = venue(i)
        for ev in [
            MarketEvent(kind: .bookReset, venue: v, instrument: i, flags: .snapshot, receiveTime: t),
            MarketEvent(kind: .levelChange, side: .buy, venue: v, instrument: i, price: price(bid, i), quantity: qty("10", i), receiveTime: t),
            MarketEvent(kind: .levelChange, side: .sell, venue: v, instrument: i, price: price(ask, i), quantity: qty("10", i), receiveTime: t),
            MarketEvent(kind: .messageTimes, venue: v, instrument: i, flags: .endOfMessage, receiveTime: t),
        ] { e.onMarket(ev, now: t) }
    }


    static func intent(
        _ s: StrategyId = s1, _ i: InstrumentId = btcA, _ side: Side = .buy, price p: String = "100010", qty q: String = "0.01",
        signal: UInt64? = nil, lane: OrderLane = .entry, at t: Nanos = .seconds(1)
    ) -> OrderIntent {
        OrderIntent(
            intentId: 1, signalId: signal ?? UInt64.random(in: 1...UInt64.max), strategy: s, venue: venue(i), instrument: i,
            pair: i == ethA ? eth : btc, side: side, price: price(p, i), quantity: qty(q, i), lane: lane, triggerTime: t, createdTime: t)
    }

    /// A fill of the whole approved order at its limit, with `fee` at the instrument's notional scale.
    static func fill(_ o: ApprovedOrder, fee: Int64 = 0) -> OrderReport {
        OrderReport(
            status: .filled, side: o.side, venue: o.venue, instrument: o.instrument, clientOrderId: o.clientOrderId, venueOrderId: 1,
            price: o.price, lastQuantity: o.quantity, cumulativeQuantity: o.quantity, fee: fee, isTaker: true, eventTime: .zero)
    }
}

extension RiskVerdict {
    var order: ApprovedOrder? { if case .approved(let o) = self { o } else { nil } }
    var reason: RiskReason { decision.reason }
}
