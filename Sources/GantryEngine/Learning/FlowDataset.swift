import GantryBook
import GantryCore
import GantryStrategy

/// One row of the flow model's training set: the features sampled at `time` and what the mid did next.
public struct FlowSample: Sendable, Equatable {
    /// Consecutive samples share a segment; a new one starts with each recording and after each gap (no mid).
    public var segment: Int
    public var time: Nanos
    /// The consolidated mid, pair price scale.
    public var mid: Int64
    public var row: FlowFeatureRow
    /// The mid's return from this sample to the one `horizon` later, in hundredths of a basis point (nil when
    /// that sample is not in the segment).
    public var label: Int64?
}

/// An exchange's on-chain flows at a time, for the training set (none yet in recordings: the on-chain adapter's
/// journal will supply them).
public struct FlowInput: Sendable, Equatable {
    public var time: Nanos
    public var exchangeIndex: Int
    public var inflow: Int64
    public var outflow: Int64
    public init(time: Nanos, exchangeIndex: Int, inflow: Int64, outflow: Int64) {
        self.time = time
        self.exchangeIndex = exchangeIndex
        self.inflow = inflow
        self.outflow = outflow
    }
}

/// Builds the flow model's training set from market events (a recording's or, later, a journal export's), sampling
/// them exactly as `FlowCNNStrategy` does (`FlowFeatureSampler` over a `BookMirror`), and writes it as the CSV that
/// `Tools/train_flow_cnn.py` reads. Where the events come from is the caller's business.
public struct FlowDatasetBuilder {
    public let universe: Universe
    public let pair: PairId
    public let sampleInterval: Nanos
    public let maximumBookAge: Nanos
    /// Samples between a row and its label.
    public let horizonSamples: Int
    public private(set) var samples: [FlowSample] = []
    var nextSegment = 0

    /// Traps unless `sampleInterval` and `horizon` are positive.
    public init(universe: Universe, pair: PairId, sampleInterval: Nanos, maximumBookAge: Nanos, horizon: Nanos) {
        precondition(sampleInterval > .zero && horizon > .zero, "positive sample interval and horizon")
        self.universe = universe
        self.pair = pair
        self.sampleInterval = sampleInterval
        self.maximumBookAge = maximumBookAge
        horizonSamples = max(Int((horizon.raw + sampleInterval.raw - 1) / sampleInterval.raw), 1)
    }

    /// Samples one timeline of events (whole messages in receive-time order, as `Backtester.timeline` makes them)
    /// every `sampleInterval` from its first message, each sample seeing every message received by then; `flows`
    /// (in time order) enter the sample at or after their time. Its rows form new segments.
    /// - Returns: The rows added.
    @discardableResult
    public mutating func add(events: [MarketEvent], flows: [FlowInput] = []) -> Int {
        guard let first = events.first(where: { $0.receiveTime > .zero }) else { return 0 }
        var mirror = BookMirror(universe: universe, depth: 64)
        var sampler = FlowFeatureSampler(pair: pair, maximumBookAge: maximumBookAge, exchanges: 1_024)
        var added: [FlowSample] = []
        var segment = nextSegment
        var open = false
        var next = first.receiveTime
        var f = 0
        func sample(at time: Nanos, _ mirror: borrowing BookMirror) {
            while f < flows.count && flows[f].time <= time {
                sampler.addFlow(exchangeIndex: flows[f].exchangeIndex, inflow: flows[f].inflow, outflow: flows[f].outflow)
                f += 1
            }
            guard let s = sampler.sample(mirror, now: time) else {
                if open { segment += 1 }
                open = false
                return
            }
            open = true
            added.append(FlowSample(segment: segment, time: time, mid: s.mid, row: s.row, label: nil))
        }
        var k = 0
        while k < events.count {
            var end = k
            while end < events.count - 1 && !events[end].flags.contains(.endOfMessage) { end += 1 }
            let time = events[end].receiveTime
            while next < time {
                sample(at: next, mirror)
                next = next + sampleInterval
            }
            for e in events[k...end] { mirror.apply(e) }
            k = end + 1
        }
        sample(at: next, mirror)
        nextSegment = segment + 1
        Self.label(&added, horizon: horizonSamples)
        samples += added
        return added.count
    }

    /// Sets each sample's label: the mid's return to the sample `horizon` later in the same segment.
    static func label(_ rows: inout [FlowSample], horizon: Int) {
        for t in rows.indices {
            let u = t + horizon
            guard u < rows.count, rows[u].segment == rows[t].segment else { continue }
            rows[t].label = FlowFeatureSampler.centiBasisPoints(from: rows[t].mid, to: rows[u].mid)
        }
    }

    /// The CSV header: `segment,time_ns,mid`, the channels, `label_cbp`.
    public static let header = (["segment", "time_ns", "mid"] + FlowFeatureRow.channelNames + ["label_cbp"]).joined(separator: ",")

    /// The samples as CSV (the label empty where unknown).
    public static func csv(_ samples: [FlowSample]) -> String {
        var out = header + "\n"
        for s in samples {
            let r = s.row
            out += "\(s.segment),\(s.time.raw),\(s.mid),\(r.midReturn),\(r.imbalance),\(r.netInflow),\(r.outflow),\(s.label.map(String.init) ?? "")\n"
        }
        return out
    }
}
