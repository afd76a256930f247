import GantryBook
import GantryCore

/// Taker/taker arbitrage of one pair across venues: when one venue's bid, less its taker fee, pays more than
/// another's ask plus its taker fee, by at least the required edge, buy on the cheap venue and sell on the dear
/// one at once, both IOC at the prices seen, one signal for the two legs.
///
/// The edge required grows with the venues' measured order round trips (the longer the legs take, the likelier
/// the prices have moved), and the size is what both books show within the two limit prices (depth), capped.
public struct CrossVenueArbitrage: Strategy {
    public struct Parameters: Sendable, Equatable {
        public var pair: PairId
        /// The edge after both taker fees that a trade needs, in hundredths of a basis point.
        public var minimumEdgeCentiBasisPoints: Int64
        /// Added to the edge needed per millisecond of the two legs' round trips together.
        public var latencyPenaltyCentiBasisPointsPerMillisecond: Int64
        /// The most one signal trades (pair quantity scale).
        public var maximumQuantity: Int64
        /// The least worth trading (pair quantity scale).
        public var minimumQuantity: Int64
        /// After a signal, the pair is left alone this long (the legs' fills move the books).
        public var cooldown: Nanos
        /// A book older than this is not traded.
        public var maximumBookAge: Nanos

        public init(
            pair: PairId, minimumEdgeCentiBasisPoints: Int64, latencyPenaltyCentiBasisPointsPerMillisecond: Int64 = 0,
            maximumQuantity: Int64, minimumQuantity: Int64 = 1, cooldown: Nanos = .milliseconds(500), maximumBookAge: Nanos = .seconds(2)
        ) {
            self.pair = pair
            self.minimumEdgeCentiBasisPoints = minimumEdgeCentiBasisPoints
            self.latencyPenaltyCentiBasisPointsPerMillisecond = latencyPenaltyCentiBasisPointsPerMillisecond
            self.maximumQuantity = maximumQuantity
            self.minimumQuantity = minimumQuantity
            self.cooldown = cooldown
            self.maximumBookAge = maximumBookAge
        }
    }

    public let parameters: Parameters
    public var pairs: [PairId] { [parameters.pair] }
    var quietUntil: Nanos = .zero
    /// Signals emitted.
    public private(set) var signals = 0

    public init(_ parameters: Parameters) { self.parameters = parameters }

    public mutating func onMarket(_ instrument: InstrumentId, market: borrowing BookMirror, _ ctx: inout StrategyContext) {
        guard ctx.now >= quietUntil else { return }
        let u = market.universe
        let listed = u.pair(parameters.pair).instruments
        var best: (buy: InstrumentId, sell: InstrumentId, edge: Int64)? = nil
        for buy in listed where market.isLive(buy, now: ctx.now, maxAge: parameters.maximumBookAge) {
            guard let ask = market.bestAsk(buy) else { continue }
            let lb = u.listing(buy)
            for sell in listed where sell != buy && market.isLive(sell, now: ctx.now, maxAge: parameters.maximumBookAge) {
                guard let bid = market.bestBid(sell) else { continue }
                let ls = u.listing(sell)
                let edge = Self.edge(
                    ask: lb.pairPrice(ask.price), buyFee: ctx.takerFees[Int(lb.venue.raw)], bid: ls.pairPrice(bid.price),
                    sellFee: ctx.takerFees[Int(ls.venue.raw)])
                let roundTrips = ctx.venueLatency[Int(lb.venue.raw)] + ctx.venueLatency[Int(ls.venue.raw)]
                let needed = parameters.minimumEdgeCentiBasisPoints
                    + parameters.latencyPenaltyCentiBasisPointsPerMillisecond * roundTrips.raw / 1_000_000
                if edge >= needed && edge > (best?.edge ?? .min) { best = (buy, sell, edge) }
            }
        }
        guard let best, let ask = market.bestAsk(best.buy), let bid = market.bestBid(best.sell) else { return }
        let lb = u.listing(best.buy)
        let ls = u.listing(best.sell)
        // Depth: what each book offers at or better than the two limits, the smaller of the two, on both lots.
        let buyable = market.sweep(best.buy, taking: .buy, quantity: parameters.maximumQuantity, limit: lb.pairPrice(ask.price)).filled
        let sellable = market.sweep(best.sell, taking: .sell, quantity: parameters.maximumQuantity, limit: ls.pairPrice(bid.price)).filled
        var quantity = min(buyable, sellable)
        quantity = min(lb.pairQuantity(lb.venueQuantity(quantity)), ls.pairQuantity(ls.venueQuantity(quantity)))
        guard quantity >= parameters.minimumQuantity else { return }
        let signal = ctx.newSignal()
        ctx.emit(
            signal: signal, instrument: best.buy, venue: lb.venue, side: .buy, limit: ask.price, quantity: lb.venueQuantity(quantity),
            pair: parameters.pair)
        ctx.emit(
            signal: signal, instrument: best.sell, venue: ls.venue, side: .sell, limit: bid.price, quantity: ls.venueQuantity(quantity),
            pair: parameters.pair)
        signals += 1
        quietUntil = ctx.now + parameters.cooldown
    }

    /// The edge of buying at `ask` and selling at `bid` after both taker fees, in hundredths of a basis point of
    /// what the buy costs: (bid·(1 − sellFee) − ask·(1 + buyFee)) / (ask·(1 + buyFee)), exact until the division.
    public static func edge(ask: Int64, buyFee: Int64, bid: Int64, sellFee: Int64) -> Int64 {
        let one = Int128(1_000_000)  // a fee of 100% in centi-basis points
        let cost = Int128(ask) * (one + Int128(buyFee))
        let proceeds = Int128(bid) * (one - Int128(sellFee))
        guard cost > 0 else { return .min }
        return Int64((proceeds - cost) * one / cost)
    }
}
