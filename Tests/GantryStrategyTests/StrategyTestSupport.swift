import GantryBook
import GantryCore
import GantryStrategy
import GantryTestSupport

/// `TwoVenueMarket` with the strategy tests' own helpers.
enum Fixture {
    static let btcA = TwoVenueMarket.btcA
    static let btcB = TwoVenueMarket.btcB
    static let ethA = TwoVenueMarket.ethA
    static let venueA = TwoVenueMarket.alpha
    static let venueB = TwoVenueMarket.beta
    static let btc = TwoVenueMarket.btc

    static func universe() -> Universe { TwoVenueMarket.universe() }
    static func price(_ text: String, _ i: InstrumentId) -> Price { TwoVenueMarket.price(text, i) }
    static func qty(_ text: String, _ i: InstrumentId) -> Quantity { TwoVenueMarket.qty(text, i) }
    /// Pair scale: BTC/USD prices at 2 decimals, quantities at 8.
    static func pairPrice(_ text: String) -> Int64 { Price(text, scale: 2).raw }
    static func pairQty(_ text: String) -> Int64 { Quantity(text, scale: 8).raw }

    /// A venue message that resets `instrument`'s book to these levels (best first), as the ingest stage publishes it.
    static func snapshot(_ i: InstrumentId, bids: [(String, String)], asks: [(String, String)], at time: Nanos) -> [MarketEvent] {
        let venue = i == btcB ? venueB : venueA
        var out = [MarketEvent(kind: .bookReset, venue: venue, instrument: i, flags: .snapshot, receiveTime: time)]
        for (p, q) in bids {
            out.append(MarketEvent(kind: .levelChange, side: .buy, venue: venue, instrument: i, flags: .snapshot, price: price(p, i), quantity: qty(q, i), receiveTime: time))
        }
        for (p, q) in asks {
            out.append(MarketEvent(kind: .levelChange, side: .sell, venue: venue, instrument: i, flags: .snapshot, price: price(p, i), quantity: qty(q, i), receiveTime: time))
        }
        out.append(MarketEvent(kind: .messageTimes, venue: venue, instrument: i, flags: .endOfMessage, receiveTime: time))
        return out
    }

    /// A filled report of `quantity` at `price` for strategy `strategy`'s order.
    static func fill(_ strategy: UInt16, _ i: InstrumentId, _ side: Side, price p: String, qty q: String, fee: Int64 = 0, seq: UInt64 = 1) -> OrderReport {
        OrderReport(
            status: .filled, side: side, venue: i == btcB ? venueB : venueA, instrument: i,
            clientOrderId: ClientOrderId(strategy: StrategyId(raw: strategy), sequence: seq), venueOrderId: 1, price: price(p, i),
            lastQuantity: qty(q, i), cumulativeQuantity: qty(q, i), fee: fee, isTaker: true, eventTime: .zero)
    }
}


/// Feeds events and collects intents.
struct Driver<Custom: Strategy>: ~Copyable {
    var host: StrategyHost<Custom>
    var intents: [OrderIntent] = []

    mutating func feed(_ events: [MarketEvent], now: Nanos) {
        var out: [OrderIntent] = []
        for e in events { host.onMarket(e, now: now) { out.append($0) } }
        intents += out
    }

    mutating func timers(_ now: Nanos) {
        var out: [OrderIntent] = []
        host.onTimers(now: now) { out.append($0) }
        intents += out
    }

    mutating func report(_ r: OrderReport, now: Nanos) {
        var out: [OrderIntent] = []
        host.onReport(r, now: now) { out.append($0) }
        intents += out
    }
}
