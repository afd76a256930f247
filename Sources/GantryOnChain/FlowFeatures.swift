import GantryCore

/// A rolling feature window for a strategy: per exchange, the last `blocks` blocks' net flow (inflow − outflow)
/// of one token, as `Int64` at `scale` decimals (the token's decimals or fewer; a finer remainder is dropped
/// toward zero, a value beyond `Int64` is clamped and counted). Fed with the adapter's `FlowEvent`s in order:
/// a sealed block's event sets its value (blocks skipped in between are zero), an amendment adds to a block
/// still in the window. Storage is allocated once at `init`; `push` and the reads do not allocate.
///
/// ```
///   values   exchange 0: [b−N+1 … b]   exchange 1: [b−N+1 … b]   …   (a ring per exchange, by block number)
/// ```
public struct FlowFeatures: Sendable {
    public let token: UInt16
    public let exchanges: Int
    public let blocks: Int
    public let scale: Int
    let divisor: Int128
    var values: [Int64]
    /// The newest block in the window (nil until the first sealed block).
    public private(set) var latest: UInt64? = nil
    /// Values clamped to `Int64`, and amendments for blocks already out of the window.
    public private(set) var clamped = 0
    public private(set) var expired = 0

    /// - Parameters:
    ///   - token: The token (an index of the adapter's tokens) whose events are taken; others are ignored.
    ///   - tokenDecimals: The events' scale; `scale` ≤ it.
    /// - Traps if a count is not positive or `scale` is above `tokenDecimals`.
    public init(token: UInt16 = 0, exchanges: Int, blocks: Int, tokenDecimals: Int, scale: Int) {
        precondition(exchanges > 0 && blocks > 0, "a window of blocks for at least one exchange")
        precondition(scale >= 0 && scale <= tokenDecimals, "the features' scale is at most the token's")
        self.token = token
        self.exchanges = exchanges
        self.blocks = blocks
        self.scale = scale
        var d: Int128 = 1
        for _ in scale..<tokenDecimals { d *= 10 }
        divisor = d
        values = Array(repeating: 0, count: exchanges * blocks)
    }

    /// Takes one event of the adapter.
    public mutating func push(_ event: FlowEvent) {
        guard event.token == token, Int(event.exchange) < exchanges else { return }
        let n = event.block
        switch event.kind {
        case .block:
            if let last = latest {
                guard n + UInt64(blocks) > last else {
                    expired += 1
                    return
                }
                if n > last { advance(to: n) }
            } else {
                latest = n
            }
            set(exchange: Int(event.exchange), block: n, convert(event.net))
        case .amendment:
            guard let last = latest, n <= last, n + UInt64(blocks) > last else {
                expired += 1
                return
            }
            let k = index(exchange: Int(event.exchange), block: n)
            let (sum, overflow) = values[k].addingReportingOverflow(convert(event.net))
            if overflow { clamped += 1 }
            values[k] = overflow ? (sum < 0 ? .max : .min) : sum
        }
    }

    /// Exchange `exchange`'s net flow `ago` blocks before the newest (0: the newest); zero before any block.
    /// Traps if `ago` is not below `blocks`.
    public func value(exchange: Int, blocksAgo ago: Int) -> Int64 {
        precondition(ago >= 0 && ago < blocks, "within the window")
        guard let last = latest, UInt64(ago) <= last else { return 0 }
        return values[index(exchange: exchange, block: last - UInt64(ago))]
    }

    /// Copies exchange `exchange`'s series, oldest first, into `out` (its last element is the newest block; a
    /// shorter buffer gets the newest `out.count`).
    public func series(exchange: Int, into out: UnsafeMutableBufferPointer<Int64>) {
        let n = min(out.count, blocks)
        for k in 0..<n { out[out.count - 1 - k] = value(exchange: exchange, blocksAgo: k) }
        for k in 0..<(out.count - n) { out[k] = 0 }
    }

    func index(exchange: Int, block: UInt64) -> Int { exchange * blocks + Int(block % UInt64(blocks)) }

    mutating func set(exchange: Int, block: UInt64, _ v: Int64) { values[index(exchange: exchange, block: block)] = v }

    /// Moves the window to end at `n`: the blocks entering it start at zero.
    mutating func advance(to n: UInt64) {
        let last = latest!
        let steps = min(n - last, UInt64(blocks))
        for k in 1...steps {
            let b = n - steps + k
            for e in 0..<exchanges { values[index(exchange: e, block: b)] = 0 }
        }
        latest = n
    }

    /// A net flow at the token's scale as `Int64` at the features' scale.
    mutating func convert(_ net: Int128) -> Int64 {
        let v = net / divisor
        if v > Int128(Int64.max) || v < Int128(Int64.min) {
            clamped += 1
            return v > 0 ? .max : .min
        }
        return Int64(v)
    }
}
