import GantryBook
import GantryCore

/// Whether a configuration change should go forward: walk-forward over successive windows of the recording, each
/// run with both configurations from a fresh start, and a block bootstrap of the difference in their equity's
/// changes (B less A, per sample) for a confidence interval on its mean.
public struct BacktestComparison: Sendable {
    public enum Verdict: String, Sendable { case promote, hold }

    /// Per window: A's and B's PnL (cents, all strategies).
    public var windows: [(a: Int64, b: Int64)]
    /// The mean difference per sample (cents) and its confidence interval (for the record: ratios and means, Double).
    public var meanDifference: Double
    public var low: Double
    public var high: Double
    public var confidencePercent: Int
    public var samples: Int
    public var verdict: Verdict

    /// Runs both configurations over `windows` successive windows of `events`.
    /// - Parameters:
    ///   - confidencePercent: The interval's confidence; B is promoted only if the whole interval is above zero.
    public static func run(
        a: TradingConfiguration, b: TradingConfiguration, events: [MarketEvent], windows: Int = 4, seed: UInt64,
        latency: [String: LatencyDistribution] = [:], sampleInterval: Nanos = .milliseconds(250), resamples: Int = 4_000, confidencePercent: Int = 95
    ) throws -> BacktestComparison {
        guard windows >= 1, !events.isEmpty else { throw BacktestError("a comparison needs events and at least one window") }
        let first = events.first!.receiveTime, last = events.last!.receiveTime
        let width = max((last - first).raw / Int64(windows), 1)
        var byWindow: [[MarketEvent]] = Array(repeating: [], count: windows)
        var current = 0
        // Each window opens with the books as they stood (a snapshot of every book), then its own messages.
        var books = BookMirror(universe: a.universe, depth: 1_000)
        for e in events {
            // A message stays whole in its window: windows change only after an end of message.
            byWindow[current].append(e)
            _ = books.apply(e)
            if e.flags.contains(.endOfMessage) {
                let next = min(Int((e.receiveTime - first).raw / width), windows - 1)
                if next != current { byWindow[next] = Backtester.snapshot(books, at: e.receiveTime) }
                current = next
            }
        }
        var results: [(Int64, Int64)] = []
        var differences: [Double] = []
        for (k, w) in byWindow.enumerated() where !w.isEmpty {
            let ra = try Backtester.run(a, events: w, seed: seed &+ UInt64(k), latency: latency, sampleInterval: sampleInterval)
            let rb = try Backtester.run(b, events: w, seed: seed &+ UInt64(k), latency: latency, sampleInterval: sampleInterval)
            results.append((ra.strategies.reduce(0) { $0 + $1.pnlCents }, rb.strategies.reduce(0) { $0 + $1.pnlCents }))
            let n = min(ra.equity.count, rb.equity.count)
            var previous: (Int64, Int64) = (0, 0)
            for i in 0..<n {
                differences.append(Double((rb.equity[i] - previous.1) - (ra.equity[i] - previous.0)))
                previous = (ra.equity[i], rb.equity[i])
            }
        }
        guard !differences.isEmpty else { throw BacktestError("no equity samples: the recording is shorter than one sample") }
        // Moving-block bootstrap (blocks of 8 samples keep the changes' short-range dependence).
        var random = SplitMix64(state: seed ^ 0xB007)
        let block = min(8, differences.count)
        var means: [Double] = []
        means.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var total = 0.0
            var taken = 0
            while taken < differences.count {
                let start = Int(random.next() % UInt64(differences.count - block + 1))
                for i in start..<min(start + block, start + differences.count - taken) {
                    total += differences[i]
                    taken += 1
                }
            }
            means.append(total / Double(taken))
        }
        means.sort()
        let tail = (100 - confidencePercent) * resamples / 200
        let low = means[tail], high = means[resamples - 1 - tail]
        let mean = differences.reduce(0, +) / Double(differences.count)
        return BacktestComparison(
            windows: results, meanDifference: mean, low: low, high: high, confidencePercent: confidencePercent, samples: differences.count,
            verdict: low > 0 ? .promote : .hold)
    }
}
