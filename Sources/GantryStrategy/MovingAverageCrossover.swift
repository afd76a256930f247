import GantryBook
import GantryCore

/// Trend following on one pair: the consolidated mid is sampled on a timer; when the fast moving average crosses
/// above the slow one the strategy buys up to its target position, and when it crosses below it sells back to
/// flat (spot: no shorting). Orders are routed, limited to the mid plus a slippage band.
public struct MovingAverageCrossover: Strategy {
    public struct Parameters: Sendable, Equatable {
        public var pair: PairId
        /// Samples in the fast and the slow average (fast < slow).
        public var fastWindow: Int
        public var slowWindow: Int
        public var sampleInterval: Nanos
        /// The position held while the fast average is above the slow one (pair quantity scale).
        public var quantity: Int64
        /// How far past the mid the limit may be, in hundredths of a basis point.
        public var slippageCentiBasisPoints: Int64
        public var maximumBookAge: Nanos
        /// An order not seen filled within this time no longer blocks the next one (the target is chased again).
        public var orderTimeout: Nanos

        public init(
            pair: PairId, fastWindow: Int, slowWindow: Int, sampleInterval: Nanos, quantity: Int64, slippageCentiBasisPoints: Int64 = 1_000,
            maximumBookAge: Nanos = .seconds(2), orderTimeout: Nanos = .seconds(5)
        ) {
            self.orderTimeout = orderTimeout
            self.pair = pair
            self.fastWindow = fastWindow
            self.slowWindow = slowWindow
            self.sampleInterval = sampleInterval
            self.quantity = quantity
            self.slippageCentiBasisPoints = slippageCentiBasisPoints
            self.maximumBookAge = maximumBookAge
        }
    }

    public let parameters: Parameters
    public var pairs: [PairId] { [parameters.pair] }
    public var timerInterval: Nanos? { parameters.sampleInterval }
    var fast: RollingWindow
    var slow: RollingWindow
    /// Whether the fast average was above the slow one at the last full sample (nil before).
    var wasAbove: Bool? = nil
    /// The position wanted since the last crossing.
    public private(set) var target: Int64 = 0
    var awaitingUntil: Nanos = .zero
    public private(set) var crossings = 0

    public init(_ parameters: Parameters) {
        precondition(parameters.fastWindow > 0 && parameters.fastWindow < parameters.slowWindow, "the fast window is shorter")
        self.parameters = parameters
        fast = RollingWindow(capacity: parameters.fastWindow)
        slow = RollingWindow(capacity: parameters.slowWindow)
    }

    public mutating func onMarket(_ instrument: InstrumentId, market: borrowing BookMirror, _ ctx: inout StrategyContext) {}

    public mutating func onTimer(market: borrowing BookMirror, _ ctx: inout StrategyContext) {
        guard let mid = market.consolidatedMid(parameters.pair, now: ctx.now, maxAge: parameters.maximumBookAge) else { return }
        fast.add(mid)
        slow.add(mid)
        if slow.isFull, let f = fast.mean, let s = slow.mean, f != s {
            let above = f > s
            if let was = wasAbove, was != above {
                crossings += 1
                target = above ? parameters.quantity : 0
                awaitingUntil = .zero
            }
            wasAbove = above
        }
        // Chase the target: one order at a time, again after a timeout if its fills never came.
        let delta = target - ctx.position(parameters.pair).quantity
        guard delta != 0, ctx.now >= awaitingUntil else { return }
        let side: Side = delta > 0 ? .buy : .sell
        ctx.emitRouted(
            signal: ctx.newSignal(), pair: parameters.pair, side: side,
            limit: Slippage.limit(mid: mid, side: side, centiBasisPoints: parameters.slippageCentiBasisPoints),
            quantity: abs(delta), expected: mid)
        awaitingUntil = ctx.now + parameters.orderTimeout
    }

    public mutating func onFill(_ fill: StrategyFill, market: borrowing BookMirror, _ ctx: inout StrategyContext) {
        if ctx.position(parameters.pair).quantity == target { awaitingUntil = .zero }
    }
}

/// Limit prices a band away from a reference price.
public enum Slippage {
    /// `mid` moved `centiBasisPoints` against the taker: up for a buy, down for a sell (exact, then truncated).
    @inlinable
    public static func limit(mid: Int64, side: Side, centiBasisPoints: Int64) -> Int64 {
        let move = Int64(Int128(mid) * Int128(centiBasisPoints) / 1_000_000)
        return side == .buy ? mid + move : mid - move
    }
}
