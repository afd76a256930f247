import GantryBook
import GantryCore

/// Mean reversion on one pair with Bollinger bands: the consolidated mid is sampled on a timer; below the lower
/// band (mean − k·σ) the strategy buys its quantity, and once the mid is back at the mean (or above the upper band)
/// it sells what it holds. Orders are routed, limited to the mid plus a slippage band; one order at a time.
public struct BollingerReversion: Strategy {
    public struct Parameters: Sendable, Equatable {
        public var pair: PairId
        public var window: Int
        /// The band's width in hundredths of a standard deviation (200 = 2σ).
        public var widthHundredths: Int64
        public var sampleInterval: Nanos
        /// The position taken below the band (pair quantity scale).
        public var quantity: Int64
        public var slippageCentiBasisPoints: Int64
        public var maximumBookAge: Nanos
        /// An order not seen filled within this time no longer blocks the next one.
        public var orderTimeout: Nanos

        public init(
            pair: PairId, window: Int, widthHundredths: Int64 = 200, sampleInterval: Nanos, quantity: Int64,
            slippageCentiBasisPoints: Int64 = 1_000, maximumBookAge: Nanos = .seconds(2), orderTimeout: Nanos = .seconds(5)
        ) {
            self.pair = pair
            self.window = window
            self.widthHundredths = widthHundredths
            self.sampleInterval = sampleInterval
            self.quantity = quantity
            self.slippageCentiBasisPoints = slippageCentiBasisPoints
            self.maximumBookAge = maximumBookAge
            self.orderTimeout = orderTimeout
        }
    }

    public let parameters: Parameters
    public var pairs: [PairId] { [parameters.pair] }
    public var timerInterval: Nanos? { parameters.sampleInterval }
    var window: RollingWindow
    var awaitingUntil: Nanos = .zero
    public private(set) var entries = 0
    public private(set) var exits = 0

    public init(_ parameters: Parameters) {
        precondition(parameters.window > 1, "a band needs two samples or more")
        self.parameters = parameters
        window = RollingWindow(capacity: parameters.window)
    }

    /// The band (lower, mean, upper) over the samples so far (nil until the window is full).
    public var band: (lower: Int64, mean: Int64, upper: Int64)? {
        guard window.isFull, let mean = window.mean, let sd = window.standardDeviation else { return nil }
        let half = Int64(Int128(sd) * Int128(parameters.widthHundredths) / 100)
        return (mean - half, mean, mean + half)
    }

    public mutating func onMarket(_ instrument: InstrumentId, market: borrowing BookMirror, _ ctx: inout StrategyContext) {}

    public mutating func onFill(_ fill: StrategyFill, market: borrowing BookMirror, _ ctx: inout StrategyContext) {
        awaitingUntil = .zero
    }

    public mutating func onTimer(market: borrowing BookMirror, _ ctx: inout StrategyContext) {
        guard let mid = market.consolidatedMid(parameters.pair, now: ctx.now, maxAge: parameters.maximumBookAge) else { return }
        window.add(mid)
        guard let band, ctx.now >= awaitingUntil else { return }
        let held = ctx.position(parameters.pair).quantity
        if held < parameters.quantity && mid < band.lower {
            order(.buy, parameters.quantity - held, mid: mid, &ctx)
            entries += 1
        } else if held > 0 && mid >= band.mean {
            order(.sell, held, mid: mid, &ctx)
            exits += 1
        }
    }

    mutating func order(_ side: Side, _ quantity: Int64, mid: Int64, _ ctx: inout StrategyContext) {
        ctx.emitRouted(
            signal: ctx.newSignal(), pair: parameters.pair, side: side,
            limit: Slippage.limit(mid: mid, side: side, centiBasisPoints: parameters.slippageCentiBasisPoints), quantity: quantity,
            expected: mid)
        awaitingUntil = ctx.now + parameters.orderTimeout
    }
}
