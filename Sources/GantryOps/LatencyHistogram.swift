/// A latency histogram with fixed bounds from 1 µs to 10 s (1-2.5-5 steps), for the metrics page: recording is a
/// search over 22 bounds and three additions, with no allocation. Counts are per bucket (not cumulative);
/// values above the last bound count only in `count` and `sum` (the `+Inf` bucket).
public struct LatencyHistogram: Sendable, Equatable {
    /// Each bucket's upper bound (inclusive), in nanoseconds.
    public static let bounds: [Int64] = [
        1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000, 100_000_000, 250_000_000, 500_000_000,
        1_000_000_000, 2_500_000_000, 5_000_000_000, 10_000_000_000,
    ]
    public private(set) var counts: [Int]
    public private(set) var count = 0
    /// Sum of the values recorded, ns.
    public private(set) var sum: Int64 = 0

    public init() { counts = Array(repeating: 0, count: Self.bounds.count) }

    /// Records a latency in nanoseconds (a negative one, a clock step, counts as zero), `times` times.
    public mutating func record(_ nanos: Int64, times: Int = 1) {
        let v = max(nanos, 0)
        count += times
        sum += v * Int64(times)
        if let k = Self.bounds.firstIndex(where: { v <= $0 }) { counts[k] += times }
    }

    /// The smallest bound at or under which at least `fraction` (0…1) of the values lie, in ns (`Int64.max` if
    /// they lie above the last bound); nil when empty. An upper estimate, as bucketed percentiles are.
    public func quantile(_ fraction: Double) -> Int64? {
        guard count > 0 else { return nil }
        let wanted = max(1, Int((Double(count) * fraction).rounded(.up)))
        var seen = 0
        for (k, c) in counts.enumerated() {
            seen += c
            if seen >= wanted { return Self.bounds[k] }
        }
        return .max
    }
}
