import GantryCore

/// What live did with one order, from its decision and its venue's reports, on the host's clock.
public struct LiveOutcome: Sendable, Equatable {
    public var clientOrderId: ClientOrderId
    public var decidedAt: Nanos
    /// The venue's first word on it (an acknowledgement or a fill), and its first fill, as seen.
    public var firstReportAt: Nanos? = nil
    public var firstFillAt: Nanos? = nil
    public var filled: Int64 = 0
    public var notional: Int128 = 0
    public var fee: Int64 = 0
}

/// Live against paper for one order, at the pair's scales. Cost: how much worse live did than paper, in cents of
/// the quote (positive: live worse): the price and fee differences on the quantity both filled. A quantity one
/// filled beyond the other is reported apart (`quantityDifference`), not costed.
public struct OrderDiscrepancy: Sendable, Equatable {
    public var clientOrderId: ClientOrderId
    public var strategy: StrategyId
    public var venue: VenueId
    public var pair: PairId
    public var side: Side
    /// UTC day of the decision (days since 1970-01-01).
    public var day: Int64
    /// Filled (pair quantity) and average price (pair price scale; 0 when nothing filled).
    public var liveQuantity: Int64
    public var paperQuantity: Int64
    public var liveAverage: Int64
    public var paperAverage: Int64
    /// Live's average against paper's, centi-basis points, positive when live is worse (0 unless both filled).
    public var priceDifferenceCentiBasisPoints: Int64
    public var quantityDifference: Int64
    /// Decision to first fill, live (seen on the host) and paper (modelled).
    public var liveLatency: Nanos?
    public var paperLatency: Nanos?
    public var costCents: Int64
}

/// Compares live fills with the paper trader's, order by order and day by day, worst first.
public struct PaperComparison: Sendable {
    public let universe: Universe
    public private(set) var live: [ClientOrderId: LiveOutcome] = [:]

    public init(universe: Universe) { self.universe = universe }

    /// An approved decision seen at `time`.
    public mutating func onDecision(_ d: RiskDecision, at time: Nanos) {
        guard d.isApproved else { return }
        live[d.clientOrderId] = LiveOutcome(clientOrderId: d.clientOrderId, decidedAt: time)
    }

    /// A live report seen at `time`: its fill counted. - Returns: the order's round trip (decision to the venue's
    /// first word) on its first report, for the paper model's latency.
    @discardableResult
    public mutating func onReport(_ r: OrderReport, at time: Nanos) -> Nanos? {
        guard var o = live[r.clientOrderId] else { return nil }
        var roundTrip: Nanos? = nil
        if o.firstReportAt == nil {
            o.firstReportAt = time
            roundTrip = time - o.decidedAt
        }
        guard r.lastQuantity.raw > 0 else {
            live[r.clientOrderId] = o
            return roundTrip
        }
        if o.firstFillAt == nil { o.firstFillAt = time }
        o.filled += r.lastQuantity.raw
        o.notional += Int128(r.price.raw) * Int128(r.lastQuantity.raw)
        o.fee += r.fee
        live[r.clientOrderId] = o
        return roundTrip
    }

    /// Every order both live and paper saw (paper-only orders have no live side), worst first.
    public func discrepancies(paper: [ClientOrderId: PaperOutcome]) -> [OrderDiscrepancy] {
        paper.compactMap { id, p in discrepancy(id, paper: p) }
            .sorted { ($0.costCents, abs($0.quantityDifference), $0.clientOrderId.raw) > ($1.costCents, abs($1.quantityDifference), $1.clientOrderId.raw) }
    }

    /// Live against paper for one order, if live saw it and paper did not make it up (the alerts' drift rule reads
    /// each order once both have filled it).
    public func discrepancy(_ id: ClientOrderId, paper p: PaperOutcome) -> OrderDiscrepancy? {
        guard !p.paperOnly, let l = live[id] else { return nil }
        let listing = universe.listing(p.instrument)
        guard listing.pair != .none else { return nil }
        let pair = universe.pair(listing.pair)
        let factor = Int128(listing.priceFactor) * Int128(listing.quantityFactor)
        let lq = listing.pairQuantity(Quantity(raw: l.filled)), pq = listing.pairQuantity(Quantity(raw: p.filled))
        let la = lq > 0 ? Int64(l.notional * factor / Int128(lq)) : 0
        let pa = pq > 0 ? Int64(p.notional * factor / Int128(pq)) : 0
        let sign: Int128 = p.side == .buy ? 1 : -1
        var diff: Int64 = 0
        var cost: Int128 = 0
        let common = min(lq, pq)
        if common > 0 {
            diff = Int64(sign * Int128(la - pa) * 1_000_000 / Int128(pa))
            cost += sign * Int128(la - pa) * Int128(common)
            // Fees paid beyond paper's on that quantity, each pro rata, at the pair notional scale.
            cost += (Int128(l.fee) * Int128(common) / Int128(lq) - Int128(p.fee) * Int128(common) / Int128(pq)) * factor
        }
        let perCent = Int128(Universe.power(max(pair.priceScale + pair.quantityScale - 2, 0)))
        return OrderDiscrepancy(
            clientOrderId: id, strategy: p.strategy, venue: p.venue, pair: listing.pair, side: p.side, day: l.decidedAt.raw / 86_400_000_000_000,
            liveQuantity: lq, paperQuantity: pq, liveAverage: la, paperAverage: pa, priceDifferenceCentiBasisPoints: diff,
            quantityDifference: lq - pq, liveLatency: l.firstFillAt.map { $0 - l.decidedAt }, paperLatency: p.filled > 0 ? Nanos(raw: (p.arrivedAt - p.decidedAt).raw * 2) : nil,
            costCents: Int64(cost / perCent))
    }

    /// Per venue, then per day: orders, cost (cents), mean price difference (centi-bp), quantity difference; worst first.
    public struct Summary: Sendable, Equatable {
        public var venue: VenueId
        public var day: Int64?
        public var orders = 0
        public var costCents: Int64 = 0
        public var meanPriceDifferenceCentiBasisPoints: Int64 = 0
        public var quantityDifference: Int64 = 0
    }

    public static func summaries(_ orders: [OrderDiscrepancy], byDay: Bool) -> [Summary] {
        var byKey: [String: (Summary, Int128, Int)] = [:]
        for o in orders {
            let key = byDay ? "\(o.venue.raw)-\(o.day)" : "\(o.venue.raw)"
            var (s, priceSum, priced) = byKey[key] ?? (Summary(venue: o.venue, day: byDay ? o.day : nil), 0, 0)
            s.orders += 1
            s.costCents += o.costCents
            s.quantityDifference += o.quantityDifference
            if o.liveQuantity > 0 && o.paperQuantity > 0 {
                priceSum += Int128(o.priceDifferenceCentiBasisPoints)
                priced += 1
            }
            s.meanPriceDifferenceCentiBasisPoints = priced > 0 ? Int64(priceSum / Int128(priced)) : 0
            byKey[key] = (s, priceSum, priced)
        }
        return byKey.values.map(\.0).sorted { ($0.costCents, $0.venue.raw) > ($1.costCents, $1.venue.raw) }
    }
}
