import GantryCore
import GantryExecution
import GantryLoop
import GantryRing
import GantryRisk

/// A venue's latency drawn from a measured distribution: points of its CDF, (percentile in parts per million,
/// latency), the first at 0 and the last at 1,000,000, linear between.
public struct LatencyDistribution: Sendable, Equatable {
    public var points: [(ppm: Int64, latency: Nanos)]

    public static func == (a: LatencyDistribution, b: LatencyDistribution) -> Bool {
        a.points.count == b.points.count && zip(a.points, b.points).allSatisfy { $0.ppm == $1.ppm && $0.latency == $1.latency }
    }

    /// - Throws: when the points do not start at 0, end at 1,000,000 or rise.
    public init(points: [(ppm: Int64, latency: Nanos)]) throws(BacktestError) {
        guard let first = points.first, let last = points.last, first.ppm == 0, last.ppm == 1_000_000,
            zip(points, points.dropFirst()).allSatisfy({ $0.ppm < $1.ppm && $0.latency <= $1.latency })
        else { throw BacktestError("a latency distribution runs from percentile 0 to 100, rising") }
        self.points = points
    }

    /// From percentiles of a measurement (p50, p90, p99, the minimum and maximum), in milliseconds.
    public static func measured(minimum: Nanos, p50: Nanos, p90: Nanos, p99: Nanos, maximum: Nanos) throws(BacktestError) -> LatencyDistribution {
        try LatencyDistribution(points: [(0, minimum), (500_000, p50), (900_000, p90), (990_000, p99), (1_000_000, maximum)])
    }

    /// The latency at uniform draw `u` in 0..<1,000,000.
    public func sample(_ u: Int64) -> Nanos {
        var k = 1
        while k < points.count - 1 && points[k].ppm <= u { k += 1 }
        let (a, b) = (points[k - 1], points[k])
        let span = max(b.ppm - a.ppm, 1)
        return a.latency + Nanos(raw: Int64(Int128(b.latency.raw - a.latency.raw) * Int128(u - a.ppm) / Int128(span)))
    }
}

/// Why a backtest could not run.
public struct BacktestError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// SplitMix64: the backtester's seeded draws.
struct SplitMix64: Sendable {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<1,000,000.
    mutating func ppm() -> Int64 { Int64(next() % 1_000_000) }
}

/// The backtester's venue in place of order-send: approved orders reach the paper trader after a latency drawn
/// for each, fill against the recorded books, and come back as the venue's reports on the reports ring.
struct PaperVenueStage: Stage, ~Copyable {
    var paper: PaperTrader
    var approved: RingConsumer<ApprovedOrder>
    var market: MarketFanIn
    var reports: RingProducer<OrderReport>
    let latency: [LatencyDistribution?]
    var random: SplitMix64
    let clock: ManualClock
    var orders = 0

    mutating func poll() -> Int {
        var work = market.poll(upTo: 1_024) { batch in
            for e in batch { paper.onMarket(e, at: e.receiveTime) }
        }
        let now = clock.now()
        work += approved.poll(upTo: 256) { batch in
            for order in batch {
                orders += 1
                let v = Int(order.venue.raw)
                let drawn = v < latency.count ? latency[v].map { $0.sample(random.ppm()) } : nil
                paper.onDecision(order.decision, at: now, latency: drawn)
            }
        }
        paper.advance(to: now)
        var out: [OrderReport] = []
        paper.takeReports { out.append($0) }
        var wait = SpinThenYield()
        for r in out { reports.publish(r, waiting: &wait) }
        return work + out.count
    }
}
