@_exported import GantryBook
@_exported import GantryCore
@_exported import GantryStrategy

/// Order-book imbalance: when one venue's best bid holds `ratio` times the quantity of its best ask, buyers
/// outweigh sellers and the price tends to tick up: buy `quantity` through the router, limited a little above the
/// ask; sell it back once the imbalance has turned (or after `holdFor`). One position at a time.
public struct ImbalanceStrategy: Strategy, Sendable {
    public let pair: PairId
    /// Bid quantity over ask quantity, in hundredths (300 = 3×).
    public let ratioHundredths: Int64
    /// Pair quantity scale.
    public let quantity: Int64
    public let holdFor: Nanos
    public private(set) var entries = 0
    public private(set) var exits = 0
    var enteredAt: Nanos? = nil
    var awaitingUntil: Nanos = .zero

    public init(pair: PairId, ratioHundredths: Int64, quantity: Int64, holdFor: Nanos) {
        self.pair = pair
        self.ratioHundredths = ratioHundredths
        self.quantity = quantity
        self.holdFor = holdFor
    }

    public var pairs: [PairId] { [pair] }

    public mutating func onMarket(_ instrument: InstrumentId, market: borrowing BookMirror, _ ctx: inout StrategyContext) {
        guard ctx.now >= awaitingUntil, let bid = market.bestBid(instrument), let ask = market.bestAsk(instrument) else { return }
        let listing = market.universe.listing(instrument)
        let held = ctx.position(pair).quantity
        let buyers = Int128(bid.quantity.raw) * 100 >= Int128(ask.quantity.raw) * Int128(ratioHundredths)
        let sellers = Int128(ask.quantity.raw) * 100 >= Int128(bid.quantity.raw) * Int128(ratioHundredths)
        if held == 0 && buyers {
            let askPrice = listing.pairPrice(ask.price)
            ctx.emitRouted(signal: ctx.newSignal(), pair: pair, side: .buy, limit: askPrice + askPrice / 10_000, quantity: quantity, expected: askPrice)
            entries += 1
            enteredAt = ctx.now
            awaitingUntil = ctx.now + .seconds(2)
        } else if held > 0 && (sellers || ctx.now - (enteredAt ?? ctx.now) >= holdFor) {
            let bidPrice = listing.pairPrice(bid.price)
            ctx.emitRouted(signal: ctx.newSignal(), pair: pair, side: .sell, limit: bidPrice - bidPrice / 10_000, quantity: held, expected: bidPrice)
            exits += 1
            awaitingUntil = ctx.now + .seconds(2)
        }
    }

    public mutating func onFill(_ fill: StrategyFill, market: borrowing BookMirror, _ ctx: inout StrategyContext) {
        awaitingUntil = .zero
        if ctx.position(pair).quantity == 0 { enteredAt = nil }
    }
}

/// A one-venue universe for the replay and the tests: "BTCUSDT" on "sim", pair BTC/USDT, prices at 2 decimals,
/// quantities at 8.
public enum ReplayMarket {
    public static let instrument = InstrumentId(raw: 1)
    public static let venue = VenueId(raw: 1)
    public static let pair = PairId(raw: 1)

    public static func universe() throws -> Universe {
        let registry = try InstrumentRegistry([
            InstrumentSpec(venue: "sim", symbol: "BTCUSDT", tickSize: "0.01", lotSize: "0.00001", priceScale: 2, quantityScale: 8)
        ])
        return try Universe(registry: registry, listings: [.init(instrument: instrument, pair: "BTC/USDT")])
    }

    /// One venue message setting the top of book, as Gantry's ingest stage publishes it.
    public static func top(bid: Int64, bidQuantity: Int64, ask: Int64, askQuantity: Int64, at time: Nanos) -> [MarketEvent] {
        [
            MarketEvent(kind: .bookReset, venue: venue, instrument: instrument, flags: .snapshot, receiveTime: time),
            MarketEvent(kind: .levelChange, side: .buy, venue: venue, instrument: instrument, price: Price(raw: bid), quantity: Quantity(raw: bidQuantity), receiveTime: time),
            MarketEvent(kind: .levelChange, side: .sell, venue: venue, instrument: instrument, price: Price(raw: ask), quantity: Quantity(raw: askQuantity), receiveTime: time),
            MarketEvent(kind: .messageTimes, venue: venue, instrument: instrument, flags: .endOfMessage, receiveTime: time),
        ]
    }
}
