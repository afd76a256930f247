import GantryCore
import GantryOps

/// What the control plane shows that the view's text does not keep: latency histograms per stage and per venue,
/// when each book's top last changed, the orders not final yet, and each strategy's peak PnL (for drawdown).
/// Fed by `GatewayView` on the watching thread from the rings it already reads.
struct LiveFigures {
    /// Kernel receive → events on the ring; intent → risk's decision.
    var ingest = LatencyHistogram()
    var decision = LatencyHistogram()
    /// Decision → the venue's first report, as the watching thread sees it, by venue.
    var roundTrip: [VenueId: LatencyHistogram] = [:]
    /// Monotonic time of each book's last top-of-book change.
    var topChanged: [InstrumentId: Nanos] = [:]
    var openOrders: [ClientOrderId: OpenOrder] = [:]
    /// By strategy then pair raw, and by strategy: the highest PnL seen (cents), for drawdown from the peak.
    var pairPeaks: [[Int64]] = []
    var strategyPeaks: [Int64] = []

    struct OpenOrder {
        var venue: VenueId
        var instrument: InstrumentId
        var side: Side
        var price: Price
        var quantity: Quantity
        var filled: Quantity
        var status: String
    }

    mutating func market(_ e: MarketEvent) {
        if e.kind == .messageTimes && e.receiveTime.raw > 0 && e.publishedTime >= e.receiveTime { ingest.record((e.publishedTime - e.receiveTime).raw) }
        if e.kind == .topOfBook { topChanged[e.instrument] = MonotonicClock.now() }
    }

    mutating func decision(_ d: RiskDecision) {
        if d.decidedTime >= d.intent.createdTime { decision.record((d.decidedTime - d.intent.createdTime).raw) }
        guard d.isApproved else { return }
        let i = d.intent
        openOrders[d.clientOrderId] = OpenOrder(
            venue: i.venue, instrument: i.instrument, side: i.side, price: i.price, quantity: d.approvedQuantity, filled: .zero, status: "approved")
    }

    mutating func report(_ r: OrderReport) {
        switch r.status {
        case .filled, .canceled, .expired, .rejected:
            openOrders[r.clientOrderId] = nil
        default:
            var o = openOrders[r.clientOrderId]
                ?? OpenOrder(venue: r.venue, instrument: r.instrument, side: r.side, price: r.price, quantity: r.cumulativeQuantity, filled: .zero, status: "")
            o.filled = r.cumulativeQuantity
            o.status = "\(r.status)"
            openOrders[r.clientOrderId] = o
        }
    }

    mutating func roundTrip(_ venue: VenueId, _ nanos: Int64) { roundTrip[venue, default: LatencyHistogram()].record(nanos) }

    /// Raises the peaks to the PnL now (cents, by strategy then pair raw). - Returns: drawdowns from the peaks.
    mutating func drawdowns(pnl: [[Int64]]) -> (pairs: [[Int64]], strategies: [Int64]) {
        if pairPeaks.count != pnl.count { pairPeaks = pnl.map { $0.map { _ in Int64.min } } }
        if strategyPeaks.count != pnl.count { strategyPeaks = Array(repeating: .min, count: pnl.count) }
        var pairs: [[Int64]] = []
        var strategies: [Int64] = []
        for (k, row) in pnl.enumerated() {
            pairs.append(row.enumerated().map { p, v in
                pairPeaks[k][p] = max(pairPeaks[k][p], v)
                return pairPeaks[k][p] - v
            })
            let total = row.reduce(0, +)
            strategyPeaks[k] = max(strategyPeaks[k], total)
            strategies.append(strategyPeaks[k] - total)
        }
        return (pairs, strategies)
    }
}
