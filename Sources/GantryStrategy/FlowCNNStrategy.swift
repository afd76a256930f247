import GantryBook
import GantryCore

/// The learned flow model on one pair (`kind = "flow_cnn"`): every `sampleInterval` it samples a feature row (the
/// consolidated mid's return, the top-of-book imbalance, and the exchange flows fed through `onFlow` since the
/// last sample, zero until fed) into a rolling window, and once the window is full runs the model on it.
///
/// An output at or above `threshold` wants `quantity` long (and renews the hold); at or below −`threshold` it
/// wants flat (or `quantity` short when `allowShort`); a position held `holdTime` past its last signal goes back to
/// flat. The difference from the position is traded with one IOC intent at a time, routed or on the venue with the
/// best price, limited to that price plus a slippage band. No allocation after `init`.
public struct FlowCNNStrategy: Strategy {
    public enum Routing: Sendable, Equatable {
        /// The router splits the order over venues (its children are IOC).
        case routed
        /// One IOC order on the live venue with the best price for the side.
        case bestVenue
    }

    public struct Parameters: Sendable {
        public var pair: PairId
        /// A model whose validation passed (`FlowModel.load`), of `FlowFeatureRow.channels` channels.
        public var model: FlowModel
        public var sampleInterval: Nanos
        /// |output| that makes a signal (0…1).
        public var threshold: Double
        /// The position wanted on a signal (pair quantity scale).
        public var quantity: Int64
        public var allowShort: Bool
        /// How long a position is kept after its last signal.
        public var holdTime: Nanos
        public var routing: Routing
        public var slippageCentiBasisPoints: Int64
        public var maximumBookAge: Nanos
        /// An order not seen filled within this time no longer blocks the next one.
        public var orderTimeout: Nanos
        /// How many exchange indices `onFlow` accepts.
        public var flowExchanges: Int

        public init(
            pair: PairId, model: FlowModel, sampleInterval: Nanos, threshold: Double, quantity: Int64, allowShort: Bool = false,
            holdTime: Nanos = .seconds(5), routing: Routing = .routed, slippageCentiBasisPoints: Int64 = 1_000, maximumBookAge: Nanos = .seconds(2),
            orderTimeout: Nanos = .seconds(5), flowExchanges: Int = 8
        ) {
            self.pair = pair
            self.model = model
            self.sampleInterval = sampleInterval
            self.threshold = threshold
            self.quantity = quantity
            self.allowShort = allowShort
            self.holdTime = holdTime
            self.routing = routing
            self.slippageCentiBasisPoints = slippageCentiBasisPoints
            self.maximumBookAge = maximumBookAge
            self.orderTimeout = orderTimeout
            self.flowExchanges = flowExchanges
        }
    }

    public let parameters: Parameters
    public var pairs: [PairId] { [parameters.pair] }
    public var timerInterval: Nanos? { parameters.sampleInterval }
    var sampler: FlowFeatureSampler
    public private(set) var window: FlowFeatureWindow
    var inference: FlowInference
    /// The model's last output (nil before the window first fills).
    public private(set) var lastOutput: Double? = nil
    public private(set) var target: Int64 = 0
    var lastSignal: Nanos = .zero
    var awaitingUntil: Nanos = .zero
    public private(set) var signals = 0

    /// Traps if the model is not of `FlowFeatureRow.channels` channels, or failed its validation.
    public init(_ parameters: Parameters) {
        precondition(parameters.model.shape.channels == FlowFeatureRow.channels, "the model reads the flow features' channels")
        precondition(!parameters.model.failedValidation, "a model that failed its validation is never run")
        self.parameters = parameters
        sampler = FlowFeatureSampler(pair: parameters.pair, maximumBookAge: parameters.maximumBookAge, exchanges: parameters.flowExchanges)
        window = FlowFeatureWindow(length: parameters.model.shape.window)
        inference = FlowInference(model: parameters.model)
    }

    /// Exchange `exchangeIndex`'s inflow and outflow (at the flows' scale) since the last call: they go into the
    /// next sample's flow channels.
    public mutating func onFlow(exchangeIndex: Int, inflow: Int64, outflow: Int64) {
        sampler.addFlow(exchangeIndex: exchangeIndex, inflow: inflow, outflow: outflow)
    }

    /// Model runs so far.
    public var inferences: Int { inference.runs }

    public mutating func onMarket(_ instrument: InstrumentId, market: borrowing BookMirror, _ ctx: inout StrategyContext) {}

    public mutating func onFill(_ fill: StrategyFill, market: borrowing BookMirror, _ ctx: inout StrategyContext) {
        if ctx.position(parameters.pair).quantity == target { awaitingUntil = .zero }
    }

    public mutating func onTimer(market: borrowing BookMirror, _ ctx: inout StrategyContext) {
        guard let sample = sampler.sample(market, now: ctx.now) else {
            window.removeAll()
            return
        }
        let mid = sample.mid
        window.push(sample.row)
        guard window.isFull else { return }
        let y = inference.run(window)
        lastOutput = y
        let held = ctx.position(parameters.pair).quantity
        if y >= parameters.threshold {
            target = parameters.quantity
            lastSignal = ctx.now
            signals += 1
        } else if y <= -parameters.threshold {
            target = parameters.allowShort ? -parameters.quantity : 0
            lastSignal = ctx.now
            signals += 1
        } else if target != 0 && ctx.now - lastSignal >= parameters.holdTime {
            target = 0
        }
        let delta = target - held
        guard delta != 0, ctx.now >= awaitingUntil else { return }
        order(delta > 0 ? .buy : .sell, abs(delta), mid: mid, market: market, &ctx)
    }

    mutating func order(_ side: Side, _ quantity: Int64, mid: Int64, market: borrowing BookMirror, _ ctx: inout StrategyContext) {
        let band = parameters.slippageCentiBasisPoints
        switch parameters.routing {
        case .routed:
            ctx.emitRouted(
                signal: ctx.newSignal(), pair: parameters.pair, side: side, limit: Slippage.limit(mid: mid, side: side, centiBasisPoints: band),
                quantity: quantity, expected: mid)
        case .bestVenue:
            guard let (instrument, price) = Self.bestVenue(market, pair: parameters.pair, side: side, now: ctx.now, maxAge: parameters.maximumBookAge) else { return }
            let l = market.universe.listing(instrument)
            let q = l.venueQuantity(quantity)
            guard q.raw > 0 else { return }
            ctx.emit(
                signal: ctx.newSignal(), instrument: instrument, venue: l.venue, side: side,
                limit: l.venuePrice(Slippage.limit(mid: price, side: side, centiBasisPoints: band), side: side), quantity: q,
                expected: l.venuePrice(price, side: side), pair: parameters.pair)
        }
        awaitingUntil = ctx.now + parameters.orderTimeout
    }

    /// The live book of `pair` with the lowest ask (to buy) or the highest bid (to sell), and that price at the
    /// pair's scale.
    static func bestVenue(_ market: borrowing BookMirror, pair: PairId, side: Side, now: Nanos, maxAge: Nanos) -> (InstrumentId, Int64)? {
        var best: (InstrumentId, Int64)? = nil
        for id in market.universe.pair(pair).instruments where market.isLive(id, now: now, maxAge: maxAge) {
            let l = market.universe.listing(id)
            guard let level = side == .buy ? market.bestAsk(id) : market.bestBid(id) else { continue }
            let p = l.pairPrice(level.price)
            if let b = best, side == .buy ? p >= b.1 : p <= b.1 { continue }
            best = (id, p)
        }
        return best
    }
}
