import GantryCore
import GantryExecution

/// The paper-versus-live report: per venue, per day and per order, worst first (where live did worse than paper,
/// in cents of the quote), with each strategy's paper position and PnL; as text for the terminal and as a
/// self-contained HTML page with SVG charts.
public struct PaperReport: Sendable {
    public let orders: [OrderDiscrepancy]
    public let venues: [PaperComparison.Summary]
    public let days: [PaperComparison.Summary]
    /// Each strategy's paper result per pair: strategy, pair, position (pair quantity), PnL (cents, fees paid).
    public let paper: [(strategy: String, pair: String, quantity: String, pnlCents: Int64)]
    let venueNames: [VenueId: String]
    let universe: Universe

    /// - Parameters:
    ///   - now: The paper clock's latest time (marks use each pair's consolidated mid).
    public init(
        comparison: PaperComparison, trader: borrowing PaperTrader, venueNames: [VenueId: String], strategyNames: [String], now: Nanos
    ) {
        universe = comparison.universe
        self.venueNames = venueNames
        orders = comparison.discrepancies(paper: trader.outcomes)
        venues = PaperComparison.summaries(orders, byDay: false)
        days = PaperComparison.summaries(orders, byDay: true)
        var rows: [(String, String, String, Int64)] = []
        for (k, name) in strategyNames.enumerated() where k < trader.positions.count {
            for pair in universe.pairs {
                let p = trader.positions[k][Int(pair.id.raw)]
                guard p.quantity != 0 || p.cash != 0 else { continue }
                let mid = trader.mirror.consolidatedMid(pair.id, now: now, maxAge: Nanos(raw: Int64.max / 4)) ?? 0
                let perCent = Int128(Universe.power(max(pair.priceScale + pair.quantityScale - 2, 0)))
                rows.append((name, pair.name, FixedPoint.string(p.quantity, scale: pair.quantityScale, trimTrailingZeros: true), Int64(p.pnl(mid: mid) / perCent)))
            }
        }
        paper = rows
    }

    func venue(_ v: VenueId) -> String { venueNames[v] ?? "venue \(v.raw)" }
    static func money(_ cents: Int64) -> String { FixedPoint.string(cents, scale: 2) }
    static func bp(_ centi: Int64) -> String { FixedPoint.string(centi, scale: 2) + " bp" }
    static func ms(_ n: Nanos?) -> String { n.map { "\($0.raw / 1_000_000).\($0.raw / 100_000 % 10) ms" } ?? "-" }
    static func date(_ day: Int64?) -> String {
        guard let day else { return "" }
        let (y, m, d) = CivilDate.from(days: day)
        return "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
    }

    func orderRow(_ o: OrderDiscrepancy) -> [String] {
        let pair = universe.pair(o.pair)
        func q(_ v: Int64) -> String { FixedPoint.string(v, scale: pair.quantityScale, trimTrailingZeros: true) }
        func p(_ v: Int64) -> String { v == 0 ? "-" : FixedPoint.string(v, scale: pair.priceScale) }
        return [
            "\(o.clientOrderId.raw)", venue(o.venue), pair.name, o.side == .buy ? "buy" : "sell", q(o.liveQuantity), q(o.paperQuantity), p(o.liveAverage),
            p(o.paperAverage), Self.bp(o.priceDifferenceCentiBasisPoints), Self.ms(o.liveLatency), Self.ms(o.paperLatency), Self.money(o.costCents),
        ]
    }

    static let orderHeader = ["order", "venue", "pair", "side", "live qty", "paper qty", "live avg", "paper avg", "price diff", "live latency", "paper latency", "cost"]

    /// The terminal's version: per venue, per day, the `limit` worst orders, and paper PnL.
    public func text(limit: Int = 8) -> String {
        var out = "paper against live (\(orders.count) orders; cost: how much worse live did, in the quote):\n"
        for s in venues {
            out += "  \(venue(s.venue)): \(s.orders) orders, cost \(Self.money(s.costCents)), mean price difference \(Self.bp(s.meanPriceDifferenceCentiBasisPoints)), quantity difference \(s.quantityDifference)\n"
        }
        for s in days { out += "  \(Self.date(s.day)) \(venue(s.venue)): \(s.orders) orders, cost \(Self.money(s.costCents))\n" }
        if !orders.isEmpty {
            out += "  worst orders:\n"
            for o in orders.prefix(limit) {
                let r = orderRow(o)
                out += "    \(r[0]) \(r[1]) \(r[3]) live \(r[4])@\(r[6]) paper \(r[5])@\(r[7]) diff \(r[8]) latency \(r[9])/\(r[10]) cost \(r[11])\n"
            }
        }
        for p in paper { out += "  paper \(p.strategy) \(p.pair): position \(p.quantity), PnL \(Self.money(p.pnlCents))\n" }
        return out
    }

    /// The self-contained HTML page with its SVG charts.
    public func html(title: String = "Gantry: paper against live") -> String {
        var page = HTML(title: title)
        page.paragraph("Cost is how much worse live did than paper on each order, in the quote currency: the price difference on the quantity both filled plus the fee difference. Positive: live worse. Worst first.")
        page.heading("Per venue")
        page.chart(SVGChart.bars(name: "venue-cost", title: "Cost by venue", items: venues.map { (venue($0.venue), $0.costCents) }, format: Self.money))
        page.table(
            ["venue", "orders", "cost", "mean price diff", "quantity diff"],
            venues.map { [venue($0.venue), "\($0.orders)", Self.money($0.costCents), Self.bp($0.meanPriceDifferenceCentiBasisPoints), "\($0.quantityDifference)"] })
        page.heading("Per day")
        page.table(["day", "venue", "orders", "cost"], days.map { [Self.date($0.day), venue($0.venue), "\($0.orders)", Self.money($0.costCents)] })
        page.heading("Orders")
        page.chart(SVGChart.histogram(
            name: "price-difference", title: "Live against paper average price, per order (bp, positive: live worse)",
            values: orders.filter { $0.liveQuantity > 0 && $0.paperQuantity > 0 }.map(\.priceDifferenceCentiBasisPoints), format: Self.bp))
        var cumulative: Int64 = 0
        let byTime = orders.sorted { $0.clientOrderId.sequence < $1.clientOrderId.sequence }
        let points = byTime.enumerated().map { k, o -> (x: Int64, y: Int64) in
            cumulative += o.costCents
            return (Int64(k + 1), cumulative)
        }
        page.chart(SVGChart.lines(name: "cumulative-cost", title: "Cumulative cost, order by order", series: [("cost", points)], formatX: { "\($0)" }, formatY: Self.money))
        page.table(Self.orderHeader, orders.map(orderRow))
        page.heading("Paper results")
        page.table(["strategy", "pair", "position", "PnL"], paper.map { [$0.strategy, $0.pair, $0.quantity, Self.money($0.pnlCents)] })
        return page.page
    }
}
