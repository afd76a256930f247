import GantryCore

/// `gantry report`'s page: whichever of its sections the run had — latency per stage, PnL and drawdown per
/// strategy over time, paper against live, backtest degradation — as one self-contained HTML page with SVG charts.
public struct GatewayReport {
    var page: HTML
    public private(set) var charts: [String] = []

    public init(title: String) { page = HTML(title: title) }

    static func micros(_ ns: Int64) -> String { "\(ns / 1_000).\(abs(ns) / 100 % 10) µs" }
    static func money(_ cents: Int64) -> String { FixedPoint.string(cents, scale: 2) }

    /// Percentile `p` (of 100) of sorted `values`.
    static func percentile(_ sorted: [Int64], _ p: Int) -> Int64 {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, sorted.count * p / 100)]
    }

    /// Each stage's latency samples (ns): a histogram each (the slowest 0.1% left out of the chart, not the table)
    /// and a table of percentiles.
    public mutating func latency(_ stages: [(name: String, samples: [Int64])]) {
        page.heading("Latency per stage")
        var rows: [[String]] = []
        for (k, s) in stages.enumerated() {
            let sorted = s.samples.sorted()
            rows.append([s.name, "\(sorted.count)"] + [50, 90, 99].map { Self.micros(Self.percentile(sorted, $0)) } + [Self.micros(sorted.last ?? 0)])
            let shown = Array(sorted.prefix(max(sorted.count - sorted.count / 1_000, 1)))
            let name = "latency-\(k)"
            page.chart(SVGChart.histogram(name: name, title: "\(s.name) (µs)", values: shown, buckets: 30, format: Self.micros))
            charts.append(name)
        }
        page.table(["stage", "samples", "p50", "p90", "p99", "max"], rows)
    }

    /// Each strategy's PnL over time (seconds, cents) and its drawdown from its running peak.
    public mutating func pnl(_ series: [(strategy: String, points: [(seconds: Int64, cents: Int64)])]) {
        page.heading("PnL and drawdown per strategy")
        page.chart(SVGChart.lines(
            name: "pnl", title: "PnL (quote, fees paid)", series: series.map { ($0.strategy, $0.points.map { ($0.seconds, $0.cents) }) }, formatX: { "\($0) s" },
            formatY: Self.money))
        let drawdowns = series.map { s -> (name: String, points: [(x: Int64, y: Int64)]) in
            var peak = Int64.min
            return (s.strategy, s.points.map { p in
                peak = max(peak, p.cents)
                return (p.seconds, p.cents - peak)
            })
        }
        page.chart(SVGChart.lines(name: "drawdown", title: "Drawdown from the running peak", series: drawdowns, formatX: { "\($0) s" }, formatY: Self.money))
        charts += ["pnl", "drawdown"]
        page.table(["strategy", "final PnL", "worst drawdown"], drawdowns.enumerated().map { k, d in
            [d.name, Self.money(series[k].points.last?.cents ?? 0), Self.money(d.points.map(\.y).min() ?? 0)]
        })
    }

    /// Paper against live (the paper report's per-venue costs and worst orders).
    public mutating func paper(_ report: PaperReport) {
        page.heading("Paper against live")
        page.chart(SVGChart.bars(name: "paper-venue-cost", title: "Cost of live against paper, by venue", items: report.venues.map { (report.venue($0.venue), $0.costCents) }, format: Self.money))
        charts.append("paper-venue-cost")
        page.table(PaperReport.orderHeader, report.orders.prefix(20).map(report.orderRow))
    }

    /// A backtest's PnL per strategy at each degradation of the edge.
    public mutating func degradation(_ runs: [(percent: Int64, strategies: [(name: String, pnlCents: Int64)])]) {
        page.heading("Backtest: PnL as the edge degrades")
        let names = runs.first?.strategies.map(\.name) ?? []
        let series = names.enumerated().map { k, name in
            (name: name, points: runs.map { (x: $0.percent, y: $0.strategies[k].pnlCents) })
        }
        page.chart(SVGChart.lines(name: "degradation", title: "PnL by degradation of the edge", series: series, formatX: { "\($0)%" }, formatY: Self.money))
        charts.append("degradation")
        page.table(["strategy"] + runs.map { "\($0.percent)%" }, names.enumerated().map { k, n in [n] + runs.map { Self.money($0.strategies[k].pnlCents) } })
    }

    public mutating func note(_ text: String) { page.paragraph(text) }

    public var html: String { page.page }
}
