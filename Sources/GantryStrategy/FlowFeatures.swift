import GantryBook
import GantryCore

/// One sample of the flow model's features: plain `Int64` series, one per channel, made from fixed-point prices,
/// sizes and flows (the model turns them into `Double` itself, with its stored scaling).
///
/// | channel | unit |
/// |---|---|
/// | `midReturn` | the consolidated mid's change since the previous sample, hundredths of a basis point |
/// | `imbalance` | top-of-book imbalance (bid size − ask size) / (bid size + ask size), basis points (−10,000…10,000) |
/// | `netInflow` | exchange inflow less outflow during the sample, at the flows' scale |
/// | `outflow` | exchange outflow during the sample, at the flows' scale |
@frozen
public struct FlowFeatureRow: Sendable, BitwiseCopyable, Equatable {
    public var midReturn: Int64
    public var imbalance: Int64
    public var netInflow: Int64
    public var outflow: Int64

    /// The channels' names, in order, as the weights file lists them (a model trained on others is refused).
    public static let channelNames = ["mid_return_cbp", "imbalance_bp", "net_inflow", "outflow"]
    public static let channels = 4

    @inlinable
    public init(midReturn: Int64, imbalance: Int64, netInflow: Int64, outflow: Int64) {
        self.midReturn = midReturn
        self.imbalance = imbalance
        self.netInflow = netInflow
        self.outflow = outflow
    }

    /// Channel `c` (0…3, in `channelNames`' order).
    @inlinable
    public subscript(channel c: Int) -> Int64 {
        switch c {
        case 0: midReturn
        case 1: imbalance
        case 2: netInflow
        default: outflow
        }
    }
}

/// The last `length` feature rows, oldest first when read. Storage is allocated once at `init`.
///
/// ```
///   values  [channel 0: slot 0 … slot length−1][channel 1: …][channel 2: …][channel 3: …]   (a ring per channel)
/// ```
public struct FlowFeatureWindow: Sendable {
    public let length: Int
    @usableFromInline var values: [Int64]
    /// The slot the next row goes to (the oldest row's once full).
    @usableFromInline var next = 0
    public private(set) var count = 0

    /// Traps if `length` is not positive.
    public init(length: Int) {
        precondition(length > 0, "a window of at least one sample")
        self.length = length
        values = Array(repeating: 0, count: length * FlowFeatureRow.channels)
    }

    public var isFull: Bool { count == length }

    /// Adds a row, dropping the oldest when full.
    public mutating func push(_ row: FlowFeatureRow) {
        values[next] = row.midReturn
        values[length + next] = row.imbalance
        values[2 * length + next] = row.netInflow
        values[3 * length + next] = row.outflow
        next = next + 1 == length ? 0 : next + 1
        if count < length { count += 1 }
    }

    /// Forgets every row (the series restarts: a gap in the market).
    public mutating func removeAll() {
        count = 0
        next = 0
    }

    /// Channel `channel`'s value `t` samples after the oldest row kept (0 ≤ t < count).
    @inlinable
    public func value(channel: Int, t: Int) -> Int64 {
        let start = count == length ? next : 0
        let slot = start + t < length ? start + t : start + t - length
        return values[channel * length + slot]
    }

    /// Writes `(value − mean[c]) · inverseDeviation[c]` of every channel, oldest first, channel after channel,
    /// into `out` (`channels × length` values). No allocation. Traps unless full.
    @inlinable
    public func scaled(into out: UnsafeMutableBufferPointer<Double>, mean: UnsafeBufferPointer<Double>, inverseDeviation: UnsafeBufferPointer<Double>) {
        precondition(isFull && out.count == values.count, "a full window into a buffer of its size")
        values.withUnsafeBufferPointer { v in
            for c in 0..<FlowFeatureRow.channels {
                let m = mean[c]
                let s = inverseDeviation[c]
                let base = c * length
                // Oldest first: from `next` to the end, then from the start to `next`.
                var o = base
                for slot in next..<length {
                    out[o] = (Double(v[base + slot]) - m) * s
                    o += 1
                }
                for slot in 0..<next {
                    out[o] = (Double(v[base + slot]) - m) * s
                    o += 1
                }
            }
        }
    }
}

/// Makes feature rows from the book mirror and the flows fed in: the consolidated mid's return since the last
/// sample, the pair's top-of-book imbalance over its live books, and the flows summed since the last sample
/// (zero until fed). The strategy and `gantry train`'s training set use this same code, so what the model
/// learns from is what it is later shown. No allocation after `init`.
public struct FlowFeatureSampler: Sendable {
    public let pair: PairId
    public let maximumBookAge: Nanos
    var previousMid: Int64? = nil
    var inflow: [Int64]
    var outflow: [Int64]
    /// Flows for an exchange index beyond those configured (ignored), and sums clamped to `Int64`.
    public private(set) var ignoredFlows = 0
    public private(set) var clampedFlows = 0

    /// - Parameter exchanges: How many exchange indices `addFlow` accepts (0…exchanges−1).
    public init(pair: PairId, maximumBookAge: Nanos, exchanges: Int = 8) {
        precondition(exchanges > 0, "at least one exchange")
        self.pair = pair
        self.maximumBookAge = maximumBookAge
        inflow = Array(repeating: 0, count: exchanges)
        outflow = Array(repeating: 0, count: exchanges)
    }

    /// Adds an exchange's inflow and outflow (at the flows' scale) to the sample being gathered.
    public mutating func addFlow(exchangeIndex: Int, inflow i: Int64, outflow o: Int64) {
        guard exchangeIndex >= 0 && exchangeIndex < inflow.count else {
            ignoredFlows += 1
            return
        }
        inflow[exchangeIndex] = add(inflow[exchangeIndex], i)
        outflow[exchangeIndex] = add(outflow[exchangeIndex], o)
    }

    mutating func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (s, overflow) = a.addingReportingOverflow(b)
        guard overflow else { return s }
        clampedFlows += 1
        return b > 0 ? .max : .min
    }

    /// The row at `now`, and the mid it was made from (pair price scale); nil when the pair has no mid (no live
    /// book with both sides): the mid is then forgotten, so the next row's return is 0 (a new series). The flows
    /// gathered are taken into the row (and kept for the next one when there is none).
    public mutating func sample(_ market: borrowing BookMirror, now: Nanos) -> (row: FlowFeatureRow, mid: Int64)? {
        guard let mid = market.consolidatedMid(pair, now: now, maxAge: maximumBookAge), mid > 0 else {
            previousMid = nil
            return nil
        }
        let r = previousMid.map { Self.centiBasisPoints(from: $0, to: mid) } ?? 0
        previousMid = mid
        var net: Int64 = 0
        var out: Int64 = 0
        for k in inflow.indices {
            net = add(net, add(inflow[k], -outflow[k]))
            out = add(out, outflow[k])
            inflow[k] = 0
            outflow[k] = 0
        }
        return (FlowFeatureRow(midReturn: r, imbalance: Self.imbalance(market, pair: pair, now: now, maxAge: maximumBookAge), netInflow: net, outflow: out), mid)
    }

    /// The change from `a` to `b` in hundredths of a basis point of `a` (exact, then truncated). Traps if `a` ≤ 0.
    @inlinable
    public static func centiBasisPoints(from a: Int64, to b: Int64) -> Int64 {
        precondition(a > 0, "a positive reference")
        return Int64(clamping: (Int128(b) - Int128(a)) * 1_000_000 / Int128(a))
    }

    /// The sizes at the best bid and best ask of `pair`'s live books (pair quantity scale), summed over venues, as
    /// (bid − ask) / (bid + ask) in basis points; 0 when there are none.
    public static func imbalance(_ market: borrowing BookMirror, pair: PairId, now: Nanos, maxAge: Nanos) -> Int64 {
        var bid: Int128 = 0
        var ask: Int128 = 0
        let u = market.universe
        for id in u.pair(pair).instruments where market.isLive(id, now: now, maxAge: maxAge) {
            let l = u.listing(id)
            if let b = market.bestBid(id) { bid += Int128(l.pairQuantity(b.quantity)) }
            if let a = market.bestAsk(id) { ask += Int128(l.pairQuantity(a.quantity)) }
        }
        guard bid + ask > 0 else { return 0 }
        return Int64((bid - ask) * 10_000 / (bid + ask))
    }
}
