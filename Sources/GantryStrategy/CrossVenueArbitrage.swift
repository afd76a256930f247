import GantryBook
import GantryCore

/// Taker/taker arbitrage of one pair across venues: when one venue's bid, less its taker fee, pays more than
/// another's ask plus its taker fee, by at least the required edge, buy on the cheap venue and sell on the dear
/// one at once, both IOC at the prices seen, one signal for the two legs.
///
/// The edge required grows with the venues' measured order round trips (the longer the legs take, the likelier
/// the prices have moved). The size is what both books show at level pairs that still pay that edge (depth),
/// capped; each leg's limit is the deepest level it takes.
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
        guard let best else { return }
        let lb = u.listing(best.buy)
        let ls = u.listing(best.sell)
        let buyFee = ctx.takerFees[Int(lb.venue.raw)]
        let sellFee = ctx.takerFees[Int(ls.venue.raw)]
        let roundTrips = ctx.venueLatency[Int(lb.venue.raw)] + ctx.venueLatency[Int(ls.venue.raw)]
        let needed = parameters.minimumEdgeCentiBasisPoints + parameters.latencyPenaltyCentiBasisPointsPerMillisecond * roundTrips.raw / 1_000_000
        // Depth: walk both books from the top while the level pair still pays the edge after fees, up to the size
        // cap; each leg's limit is the deepest level it takes.
        var quantity: Int64 = 0
        var buyLimit = Price.zero
        var sellLimit = Price.zero
        var buyNotional: Int128 = 0
        var sellNotional: Int128 = 0
        market.withBook(best.buy) { buyBook in
            market.withBook(best.sell) { sellBook in
                buyBook.withSide(.sell) { asks in
                    sellBook.withSide(.buy) { bids in
                        var i = 0
                        var j = 0
                        var askLeft = asks.count > 0 ? lb.pairQuantity(asks.level(0).quantity) : 0
                        var bidLeft = bids.count > 0 ? ls.pairQuantity(bids.level(0).quantity) : 0
                        while quantity < parameters.maximumQuantity && i < asks.count && j < bids.count {
                            let a = asks.level(i)
                            let b = bids.level(j)
                            let ap = lb.pairPrice(a.price)
                            let bp = ls.pairPrice(b.price)
                            guard Self.edge(ask: ap, buyFee: buyFee, bid: bp, sellFee: sellFee) >= needed else { break }
                            let take = min(askLeft, bidLeft, parameters.maximumQuantity - quantity)
                            quantity += take
                            buyLimit = a.price
                            sellLimit = b.price
                            buyNotional += Int128(ap) * Int128(take)
                            sellNotional += Int128(bp) * Int128(take)
                            askLeft -= take
                            bidLeft -= take
                            if askLeft == 0 {
                                i += 1
                                if i < asks.count { askLeft = lb.pairQuantity(asks.level(i).quantity) }
                            }
                            if bidLeft == 0 {
                                j += 1
                                if j < bids.count { bidLeft = ls.pairQuantity(bids.level(j).quantity) }
                            }
                        }
                    }
                }
            }
        }
        let pairQuantity = quantity
        quantity = min(lb.pairQuantity(lb.venueQuantity(quantity)), ls.pairQuantity(ls.venueQuantity(quantity)))
        guard quantity >= parameters.minimumQuantity, quantity > 0 else { return }
        let signal = ctx.newSignal()
        let buyExpected = lb.venuePrice(Int64(buyNotional / Int128(pairQuantity)), side: .sell)
        let sellExpected = ls.venuePrice(Int64(sellNotional / Int128(pairQuantity)), side: .buy)
        ctx.emit(
            signal: signal, instrument: best.buy, venue: lb.venue, side: .buy, limit: buyLimit, quantity: lb.venueQuantity(quantity),
            expected: buyExpected, pair: parameters.pair, legs: 2)
        ctx.emit(
            signal: signal, instrument: best.sell, venue: ls.venue, side: .sell, limit: sellLimit, quantity: ls.venueQuantity(quantity),
            expected: sellExpected, pair: parameters.pair, legs: 2)
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
