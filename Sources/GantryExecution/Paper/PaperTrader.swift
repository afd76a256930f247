import GantryBook
import GantryCore

/// How the paper venue fills: latency to each venue, taker fees. Everything in it is exact.
public struct PaperModel: Sendable, Equatable {
    /// One-way latency to each venue, by `VenueId.raw`, until measured (`PaperTrader.observeRoundTrip`).
    public var latency: [Nanos]
    /// Taker fees, by `VenueId.raw`, in hundredths of a basis point.
    public var takerFees: [Int64]
    /// Degradation of the edge, in percent: each fill better than the pair's consolidated mid (the edge it caught)
    /// gives up this share of that distance (the backtester's robustness runs: 15, 25, 40).
    public var degradePercent: Int64 = 0

    public init(latency: [Nanos], takerFees: [Int64], degradePercent: Int64 = 0) {
        self.latency = latency
        self.takerFees = takerFees
        self.degradePercent = degradePercent
    }
}

/// What paper made of one order.
public struct PaperOutcome: Sendable, Equatable {
    public var clientOrderId: ClientOrderId
    public var strategy: StrategyId
    public var venue: VenueId
    public var instrument: InstrumentId
    public var side: Side
    /// When it was decided and when it reached the paper venue (the host's clock).
    public var decidedAt: Nanos
    public var arrivedAt: Nanos
    /// Filled quantity and notional (venue scales), fee (quote at the instrument's notional scale).
    public var filled: Int64 = 0
    public var notional: Int128 = 0
    public var fee: Int64 = 0
    /// Its strategy's stage is paper: it never went to a venue.
    public var paperOnly: Bool
    /// Ended (filled, or the rest expired).
    public var done = false
}

/// The paper trader: beside live, on the same market events and the same approved intents (and the intents of
/// strategies in the paper stage, which risk stops before a venue), it fills each order as a venue would have:
/// after the venue's latency, against the book as it then stands, taking the depth earlier paper orders have
/// not already consumed (a level's consumption is forgotten when the venue publishes a new quantity for it), an
/// IOC's rest expiring; a resting order waits behind the queue displayed at its price, which trades and
/// cancellations ahead of it shorten. Its own positions and PnL per strategy and pair. Deterministic: time is
/// what the host passes (event receive times and its own clock, one clock for both).
public struct PaperTrader: ~Copyable {
    public var model: PaperModel
    public private(set) var mirror: BookMirror
    /// Orders on their way to the paper venue, in arrival order.
    var inFlight: [Pending] = []
    /// Resting (not IOC) orders: what is still ahead of each in its price's queue.
    var resting: [Resting] = []
    /// Per instrument: quantity taken by paper at a (side, price) the venue has not republished since.
    var consumed: [[Consumed]]
    public private(set) var outcomes: [ClientOrderId: PaperOutcome] = [:]
    /// By strategy (`StrategyId.raw − 1`), then `PairId.raw`: position, cash and fees at the pair's scales.
    public private(set) var positions: [[PaperPosition]]
    var nextPaperId: UInt64 = 1
    /// Reports of paper fills and ends, as a venue would send them, when `reporting` (the backtester's venue).
    public var reporting = false
    public private(set) var reports: [OrderReport] = []
    /// The latest time seen (the marks and the reports' times).
    var clock: Nanos = .zero

    struct Pending {
        var id: ClientOrderId
        var intent: OrderIntent
        var quantity: Int64
        var arrival: Nanos
    }

    struct Resting {
        var id: ClientOrderId
        var intent: OrderIntent
        var left: Int64
        var ahead: Int64
    }

    struct Consumed {
        var side: Side
        var price: Int64
        var quantity: Int64
    }

    public init(universe: Universe, model: PaperModel, strategies: Int) {
        self.model = model
        mirror = BookMirror(universe: universe, depth: 1_000)
        consumed = Array(repeating: [], count: universe.listings.count + 1)
        positions = Array(repeating: Array(repeating: PaperPosition(), count: universe.pairs.count + 1), count: strategies)
    }

    /// A market event at `time`: paper orders due before it execute against the book as it stood, then it applies.
    public mutating func onMarket(_ e: MarketEvent, at time: Nanos) {
        advance(to: time)
        clock = max(clock, time)
        let i = Int(e.instrument.raw)
        switch e.kind {
        case .levelChange:
            if i < consumed.count { consumed[i].removeAll { $0.side == e.side && $0.price == e.price.raw } }
            // A resting order's queue shrinks when its level's displayed quantity falls below what was ahead.
            for k in resting.indices where resting[k].intent.instrument == e.instrument && resting[k].intent.side == e.side && resting[k].intent.price == e.price {
                resting[k].ahead = min(resting[k].ahead, e.quantity.raw)
            }
        case .bookReset:
            if i < consumed.count { consumed[i].removeAll() }
        case .trade:
            trade(e, at: time)
        default: break
        }
        _ = mirror.apply(e)
    }

    /// Takes a decision seen at `time`: an approval (or a paper-stage strategy's intent, which risk stopped only for
    /// its stage) becomes a paper order arriving after the venue's latency.
    public mutating func onDecision(_ d: RiskDecision, at time: Nanos) {
        onDecision(d, at: time, latency: nil)
    }

    /// As `onDecision(_:at:)`, with this order's latency to its venue (drawn by the backtester) instead of the model's.
    public mutating func onDecision(_ d: RiskDecision, at time: Nanos, latency: Nanos?) {
        let paperOnly = d.reason == .stageLimit && d.observed == 0 && d.limit == 0
        guard d.isApproved || paperOnly else { return }
        let intent = d.intent
        let id: ClientOrderId
        if paperOnly {
            id = ClientOrderId(strategy: intent.strategy, sequence: 1 << 47 | nextPaperId)
            nextPaperId += 1
        } else {
            id = d.clientOrderId
        }
        let v = Int(intent.venue.raw)
        let arrival = time + (latency ?? (v < model.latency.count ? model.latency[v] : .zero))
        let quantity = paperOnly ? intent.quantity.raw : d.approvedQuantity.raw
        outcomes[id] = PaperOutcome(
            clientOrderId: id, strategy: intent.strategy, venue: intent.venue, instrument: intent.instrument, side: intent.side, decidedAt: time,
            arrivedAt: arrival, paperOnly: paperOnly)
        var k = inFlight.count
        inFlight.append(Pending(id: id, intent: intent, quantity: quantity, arrival: arrival))
        while k > 0 && inFlight[k - 1].arrival > arrival {
            inFlight.swapAt(k, k - 1)
            k -= 1
        }
    }

    /// Learns a venue's one-way latency from a live round trip (half of it, smoothed: 7/8 old, 1/8 new).
    public mutating func observeRoundTrip(_ venue: VenueId, _ roundTrip: Nanos) {
        let v = Int(venue.raw)
        guard v < model.latency.count, roundTrip.raw > 0 else { return }
        let half = roundTrip.raw / 2
        model.latency[v] = model.latency[v] == .zero ? Nanos(raw: half) : Nanos(raw: (model.latency[v].raw * 7 + half) / 8)
    }

    /// Executes the paper orders that have arrived by `time`.
    public mutating func advance(to time: Nanos) {
        clock = max(clock, time)
        var n = 0
        while n < inFlight.count && inFlight[n].arrival <= time { n += 1 }
        guard n > 0 else { return }
        for k in 0..<n { execute(inFlight[k]) }
        inFlight.removeFirst(n)
    }

    mutating func execute(_ p: Pending) {
        let u = mirror.universe
        let l = u.listing(p.intent.instrument)
        let i = Int(p.intent.instrument.raw)
        var left = p.quantity
        let buying = p.intent.side == .buy
        let limit = p.intent.price.raw
        var fills: [(Int64, Int64)] = []
        mirror.withBook(p.intent.instrument) { book in
            book.withSide(buying ? .sell : .buy) { side in
                var d = 0
                while left > 0 && d < side.count {
                    let level = side.level(d)
                    d += 1
                    if buying ? level.price.raw > limit : level.price.raw < limit { break }
                    let taken = consumed[i].first { $0.side == (buying ? .sell : .buy) && $0.price == level.price.raw }?.quantity ?? 0
                    let take = min(left, level.quantity.raw - taken)
                    guard take > 0 else { continue }
                    fills.append((level.price.raw, take))
                    left -= take
                }
            }
        }
        for (price, quantity) in fills {
            let side: Side = buying ? .sell : .buy
            if let k = consumed[i].firstIndex(where: { $0.side == side && $0.price == price }) {
                consumed[i][k].quantity += quantity
            } else {
                consumed[i].append(Consumed(side: side, price: price, quantity: quantity))
            }
            book(p.id, p.intent, price: price, quantity: quantity, l: l)
        }
        if left > 0 && p.intent.timeInForce != .ioc && p.intent.timeInForce != .fok {
            // Rests behind what the venue shows at its price.
            let shown = mirror.withBook(p.intent.instrument) { book in
                book.withSide(p.intent.side) { side in
                    (0..<side.count).first { side.level($0).price == p.intent.price }.map { side.level($0).quantity.raw } ?? 0
                }
            }
            resting.append(Resting(id: p.id, intent: p.intent, left: left, ahead: shown))
            report(p.id, p.intent, status: .new, price: p.intent.price.raw, quantity: 0)
        } else {
            outcomes[p.id]?.done = true
            report(p.id, p.intent, status: left == 0 ? .filled : .expired, price: p.intent.price.raw, quantity: 0)
        }
    }

    /// A venue's report of `id` (a fill when `quantity` > 0), kept when `reporting`.
    mutating func report(_ id: ClientOrderId, _ intent: OrderIntent, status: OrderStatus, price: Int64, quantity: Int64, fee: Int64 = 0) {
        guard reporting, let o = outcomes[id] else { return }
        reports.append(OrderReport(
            status: status, side: intent.side, venue: intent.venue, instrument: intent.instrument, clientOrderId: id, venueOrderId: id.raw,
            price: Price(raw: price), lastQuantity: Quantity(raw: quantity), cumulativeQuantity: Quantity(raw: o.filled), fee: fee, isTaker: true, eventTime: clock))
    }

    /// Hands over the reports made since the last call.
    public mutating func takeReports(_ body: (OrderReport) -> Void) {
        for r in reports { body(r) }
        reports.removeAll(keepingCapacity: true)
    }

    /// A print at `e.price`: resting paper orders at that price or better for the aggressor are reached once the
    /// queue ahead of them has traded away.
    mutating func trade(_ e: MarketEvent, at time: Nanos) {
        let l = mirror.universe.listing(e.instrument)
        var k = 0
        while k < resting.count {
            var r = resting[k]
            let reached = r.intent.instrument == e.instrument && e.side != r.intent.side
                && (r.intent.side == .buy ? e.price.raw <= r.intent.price.raw : e.price.raw >= r.intent.price.raw)
            guard reached else {
                k += 1
                continue
            }
            var traded = e.quantity.raw
            let passed = min(traded, r.ahead)
            r.ahead -= passed
            traded -= passed
            let fill = min(traded, r.left)
            if fill > 0 { book(r.id, r.intent, price: r.intent.price.raw, quantity: fill, l: l, maker: true) }
            r.left -= fill
            if r.left == 0 {
                outcomes[r.id]?.done = true
                report(r.id, r.intent, status: .filled, price: r.intent.price.raw, quantity: 0)
                resting.remove(at: k)
            } else {
                resting[k] = r
                k += 1
            }
        }
    }

    mutating func book(_ id: ClientOrderId, _ intent: OrderIntent, price bookPrice: Int64, quantity: Int64, l: Listing, maker: Bool = false) {
        let v = Int(intent.venue.raw)
        let price = degraded(bookPrice, intent.side, l)
        let notional = Int128(price) * Int128(quantity)
        let rate = maker || v >= model.takerFees.count ? 0 : model.takerFees[v]
        // The fee at the instrument's notional scale, rounded up as venues do.
        let fee = Int64((notional * Int128(rate) + 999_999) / 1_000_000)
        outcomes[id]?.filled += quantity
        outcomes[id]?.notional += notional
        outcomes[id]?.fee += fee
        report(id, intent, status: .partiallyFilled, price: price, quantity: quantity, fee: fee)
        let k = Int(intent.strategy.raw) - 1
        guard k >= 0 && k < positions.count, l.pair != .none else { return }
        let q = l.pairQuantity(Quantity(raw: quantity))
        let pairNotional = Int128(l.pairPrice(Price(raw: price))) * Int128(q)
        var p = positions[k][Int(l.pair.raw)]
        p.quantity += intent.side == .buy ? q : -q
        p.cash += intent.side == .buy ? -pairNotional : pairNotional
        p.fees += Int128(fee) * Int128(l.priceFactor) * Int128(l.quantityFactor)
        positions[k][Int(l.pair.raw)] = p
    }

    /// `price` (venue scale) less `model.degradePercent` of its distance on the good side of the pair's
    /// consolidated mid, on the venue's tick grid (rounded against the order).
    func degraded(_ price: Int64, _ side: Side, _ l: Listing) -> Int64 {
        guard model.degradePercent > 0, l.pair != .none,
            let mid = mirror.consolidatedMid(l.pair, now: clock, maxAge: Nanos(raw: Int64.max / 4))
        else { return price }
        let pairPrice = l.pairPrice(Price(raw: price))
        let edge = side == .buy ? mid - pairPrice : pairPrice - mid
        guard edge > 0 else { return price }
        let worse = side == .buy ? pairPrice + edge * model.degradePercent / 100 : pairPrice - edge * model.degradePercent / 100
        // Rounded against the order: a buy up, a sell down (the opposite of a limit's rounding).
        return l.venuePrice(worse, side: side == .buy ? .sell : .buy).raw
    }

    /// Paper orders not executed or still resting.
    public var openOrders: Int { inFlight.count + resting.count }
}

/// A paper position at the pair's scales.
public struct PaperPosition: Sendable, Equatable {
    public var quantity: Int64 = 0
    public var cash: Int128 = 0
    public var fees: Int128 = 0
    public init() {}
    /// Marked at `mid` (pair notional scale), fees paid.
    public func pnl(mid: Int64) -> Int128 { cash - fees + Int128(quantity) * Int128(mid) }
}
