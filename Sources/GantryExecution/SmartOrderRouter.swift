import GantryBook
import GantryCore

/// How the router weighs venues.
public struct RouterConfiguration: Sendable, Equatable {
    /// Expected adverse move per millisecond of a venue's order round trip, in hundredths of a basis point: what
    /// a slow venue's price is worth less.
    public var latencyPenaltyCentiBasisPointsPerMillisecond: Int64
    /// Levels considered per venue.
    public var levelsPerVenue: Int

    public init(latencyPenaltyCentiBasisPointsPerMillisecond: Int64 = 10, levelsPerVenue: Int = 20) {
        self.latencyPenaltyCentiBasisPointsPerMillisecond = latencyPenaltyCentiBasisPointsPerMillisecond
        self.levelsPerVenue = levelsPerVenue
    }
}

/// What a routing did with a parent.
public struct RouteResult: Sendable, Equatable {
    /// Children emitted.
    public var children: Int
    /// Pair quantity the children cover, and what is left (no level within the limit, a venue's balance, lots).
    public var routed: Int64
    public var residual: Int64
}

/// Splits a routed parent intent (pair, side, limit and quantity at the pair's scales) into IOC child intents,
/// one per venue, by expected all-in cost: the levels each venue's book shows within the limit, each venue's
/// taker fee and a penalty for its order round trip, within what each venue's balance can pay for. Levels are
/// taken cheapest first across venues; each child's limit is the worst level it takes, so an IOC child fills
/// what the book showed or less. Allocation-free after `init` (a fixed scratch of candidate levels).
public struct SmartOrderRouter: Sendable {
    public var configuration: RouterConfiguration
    var candidates: [Candidate]
    var perVenue: [VenueFill]

    struct Candidate: Sendable {
        var instrument: InstrumentId
        var venue: VenueId
        /// Pair scales.
        var price: Int64
        var quantity: Int64
        /// The venue's lot in pair quantity: what a child's size is a multiple of.
        var unit: Int64
        /// Price after fee and latency penalty, ×10⁶ (a buy minimizes it, a sell maximizes it).
        var effective: Int128
    }

    struct VenueFill: Sendable {
        var instrument = InstrumentId.none
        var quantity: Int64 = 0
        var worst: Int64 = 0
        var notional: Int128 = 0
    }

    public init(configuration: RouterConfiguration = RouterConfiguration(), venues: Int) {
        self.configuration = configuration
        candidates = []
        candidates.reserveCapacity(max(venues, 1) * configuration.levelsPerVenue)
        perVenue = Array(repeating: VenueFill(), count: venues + 1)
    }

    /// Routes `parent` (`parent.isRouted`). - Parameters:
    ///   - takerFees: By `VenueId.raw`, hundredths of a basis point.
    ///   - latency: Each venue's order round trip, by `VenueId.raw`.
    ///   - capacity: The most (pair quantity) each venue's balance lets this side take, by `VenueId.raw`.
    ///   - emit: Receives each child intent (venue scales), in venue order.
    public mutating func route(
        _ parent: OrderIntent, market: borrowing BookMirror, takerFees: [Int64], latency: [Nanos], capacity: [Int64], now: Nanos,
        maximumBookAge: Nanos, emit: (OrderIntent) -> Void
    ) -> RouteResult {
        precondition(parent.isRouted && parent.pair != .none, "the router takes routed intents")
        let u = market.universe
        let buying = parent.side == .buy
        let one: Int128 = 1_000_000
        candidates.removeAll(keepingCapacity: true)
        for id in u.pair(parent.pair).instruments where market.isLive(id, now: now, maxAge: maximumBookAge) {
            let l = u.listing(id)
            let v = Int(l.venue.raw)
            let fee = v < takerFees.count ? Int128(takerFees[v]) : 0
            let ms = v < latency.count ? Int128(latency[v].raw / 1_000_000) : 0
            let adjust = fee + ms * Int128(configuration.latencyPenaltyCentiBasisPointsPerMillisecond)
            market.withBook(id) { book in
                book.withSide(buying ? .sell : .buy) { side in
                    for d in 0..<min(side.count, configuration.levelsPerVenue) {
                        let level = side.level(d)
                        let price = l.pairPrice(level.price)
                        if buying ? price > parent.price.raw : price < parent.price.raw { break }
                        let effective = Int128(price) * (buying ? one + adjust : one - adjust)
                        candidates.append(Candidate(
                            instrument: id, venue: l.venue, price: price, quantity: l.pairQuantity(level.quantity), unit: l.pairQuantity(Quantity(raw: l.lot)),
                            effective: effective))
                    }
                }
            }
        }
        // Cheapest first (insertion sort: a few dozen levels, each venue's already in order).
        if candidates.count > 1 {
            for i in 1..<candidates.count {
                let c = candidates[i]
                var j = i - 1
                while j >= 0 && (buying ? candidates[j].effective > c.effective : candidates[j].effective < c.effective) {
                    candidates[j + 1] = candidates[j]
                    j -= 1
                }
                candidates[j + 1] = c
            }
        }
        for v in perVenue.indices { perVenue[v] = VenueFill() }
        var left = parent.quantity.raw
        for c in candidates where left > 0 {
            let v = Int(c.venue.raw)
            let room = (v < capacity.count ? capacity[v] : .max) - perVenue[v].quantity
            // On the venue's lot: what a coarse lot leaves goes to the next venue (a finer lot may take it).
            var take = min(left, c.quantity, room)
            take -= take % max(c.unit, 1)
            guard take > 0 else { continue }
            perVenue[v].instrument = c.instrument
            perVenue[v].quantity += take
            perVenue[v].worst = c.price
            perVenue[v].notional += Int128(c.price) * Int128(take)
            left -= take
        }
        var result = RouteResult(children: 0, routed: 0, residual: 0)
        for v in perVenue.indices where perVenue[v].quantity > 0 {
            let f = perVenue[v]
            let l = u.listing(f.instrument)
            let quantity = l.venueQuantity(f.quantity)
            guard quantity.raw > 0 else { continue }
            let pairQuantity = l.pairQuantity(quantity)
            // The worst level taken, on the venue's tick grid (a buy's limit rounds up onto a price the book shows).
            let limit = l.venuePrice(f.worst, side: buying ? .sell : .buy)
            let expected = l.venuePrice(Int64(f.notional / Int128(f.quantity)), side: buying ? .sell : .buy)
            emit(OrderIntent(
                intentId: 0, signalId: parent.signalId, strategy: parent.strategy, venue: l.venue, instrument: f.instrument, pair: parent.pair,
                side: parent.side, price: limit, quantity: quantity, expectedPrice: expected, lane: parent.lane, triggerTime: parent.triggerTime,
                createdTime: parent.createdTime))
            result.children += 1
            result.routed += pairQuantity
        }
        result.residual = parent.quantity.raw - result.routed
        return result
    }
}
