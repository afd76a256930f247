import GantryCore

/// Each strategy's equity over time from market events and order reports — fills booked at their prices and fees,
/// positions marked at the consolidated mid — sampled every `interval`: what a backtest and `gantry report` chart.
public struct EquityTracker: ~Copyable {
    var metrics: BacktestMetrics
    let start: Nanos
    let interval: Nanos

    public init(configuration: TradingConfiguration, start: Nanos, interval: Nanos = .seconds(1)) {
        metrics = BacktestMetrics(configuration: configuration, start: start, interval: interval)
        self.start = start
        self.interval = interval
    }

    /// A market event, at `time` on the tracker's clock (samples are taken as time passes, between messages).
    public mutating func market(_ e: MarketEvent, at time: Nanos) { metrics.market(e, at: time) }

    /// An order report: its fill, if any, booked to its strategy.
    public mutating func report(_ r: OrderReport) { metrics.report(r) }

    /// Each strategy's equity (cents of the quote, fees paid) at each sample: seconds since `start`.
    public mutating func finish(at time: Nanos) -> [(strategy: String, points: [(seconds: Int64, cents: Int64)])] {
        metrics.finish(at: time)
        return metrics.results.indices.map { k in
            (metrics.results[k].name, metrics.samples[k].enumerated().map { (n, cents) in (Int64(n + 1) * interval.raw / 1_000_000_000, cents) })
        }
    }
}
