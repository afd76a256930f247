import GantryBook
import GantryCore

/// A configured strategy: one of the built-ins with its parameters, or a custom one (a plugin's type).
public enum StrategySpec<Custom: Strategy> {
    case arbitrage(CrossVenueArbitrage.Parameters)
    case movingAverageCrossover(MovingAverageCrossover.Parameters)
    case bollinger(BollingerReversion.Parameters)
    case flowCNN(FlowCNNStrategy.Parameters)
    case custom(Custom)
}

extension StrategySpec: Sendable where Custom: Sendable {}
extension StrategyHost.Entry: Sendable where Custom: Sendable {}

/// A strategy type for hosts that run only the built-ins.
public struct NoCustomStrategy: Strategy, Sendable {
    public var pairs: [PairId] { [] }
    public mutating func onMarket(_ instrument: InstrumentId, market: borrowing BookMirror, _ ctx: inout StrategyContext) {}
}

/// The signal stage's strategies: the book mirror they all read, each strategy with its own context (capital,
/// positions, outbox), their timers, and the fills routed back to their owners. Strategies of each kind live in
/// an array of their own type, so a call is a direct (generic, inlinable) call, not an existential one; a
/// plugin's strategies are the `Custom` type. Deterministic: time comes only from the `now` passed in.
public struct StrategyHost<Custom: Strategy>: ~Copyable {
    public var mirror: BookMirror
    public private(set) var arbitrages: [CrossVenueArbitrage] = []
    public private(set) var crossovers: [MovingAverageCrossover] = []
    public private(set) var bollingers: [BollingerReversion] = []
    public private(set) var flows: [FlowCNNStrategy] = []
    public private(set) var customs: [Custom] = []
    /// By `StrategyId.raw − 1`.
    public private(set) var contexts: [StrategyContext] = []
    /// Per strategy: which kind and the index in its kind's array.
    var slots: [(kind: UInt8, index: Int)] = []
    var nextTimer: [Nanos] = []
    var interval: [Nanos?] = []
    /// Strategies to wake per pair, by `PairId.raw`.
    var byPair: [[Int]]
    var nextIntent: UInt64 = 0

    /// One configured strategy: its name, capital and spec.
    public struct Entry {
        public var name: String
        public var capitalCents: Int64
        public var spec: StrategySpec<Custom>
        public init(name: String, capitalCents: Int64, spec: StrategySpec<Custom>) {
            self.name = name
            self.capitalCents = capitalCents
            self.spec = spec
        }
    }

    /// - Parameters:
    ///   - takerFees: By `VenueId.raw`, in hundredths of a basis point.
    public init(universe: Universe, entries: [Entry], takerFees: [Int64], depth: Int = 1_000) {
        mirror = BookMirror(universe: universe, depth: depth)
        byPair = Array(repeating: [], count: universe.pairs.count + 1)
        let venues = universe.registry.venueNames.count
        var fees = takerFees
        if fees.count < venues + 1 { fees += Array(repeating: 0, count: venues + 1 - fees.count) }
        for (k, entry) in entries.enumerated() {
            let id = StrategyId(raw: UInt16(k + 1))
            contexts.append(StrategyContext(
                id: id, name: entry.name, capitalCents: entry.capitalCents, pairs: universe.pairs.count, venues: venues, takerFees: fees))
            let pairs: [PairId]
            let timer: Nanos?
            switch entry.spec {
            case .arbitrage(let p):
                let s = CrossVenueArbitrage(p)
                (pairs, timer) = (s.pairs, s.timerInterval)
                slots.append((0, arbitrages.count))
                arbitrages.append(s)
            case .movingAverageCrossover(let p):
                let s = MovingAverageCrossover(p)
                (pairs, timer) = (s.pairs, s.timerInterval)
                slots.append((1, crossovers.count))
                crossovers.append(s)
            case .bollinger(let p):
                let s = BollingerReversion(p)
                (pairs, timer) = (s.pairs, s.timerInterval)
                slots.append((2, bollingers.count))
                bollingers.append(s)
            case .flowCNN(let p):
                let s = FlowCNNStrategy(p)
                (pairs, timer) = (s.pairs, s.timerInterval)
                slots.append((4, flows.count))
                flows.append(s)
            case .custom(let s):
                (pairs, timer) = (s.pairs, s.timerInterval)
                slots.append((3, customs.count))
                customs.append(s)
            }
            for p in pairs where Int(p.raw) < byPair.count { byPair[Int(p.raw)].append(k) }
            interval.append(timer)
            nextTimer.append(.zero)
        }
    }

    public var count: Int { contexts.count }

    /// Applies a market event to the mirror; at the end of a venue message, wakes the strategies of the
    /// instrument's pair. Intents go to `emit`.
    public mutating func onMarket(_ event: MarketEvent, now: Nanos, emit: (OrderIntent) -> Void) {
        guard mirror.apply(event) else { return }
        let pair = mirror.universe.listing(event.instrument).pair
        guard pair != .none else { return }
        for k in byPair[Int(pair.raw)] {
            contexts[k].now = now
            contexts[k].triggerTime = event.receiveTime
            call(k, instrument: event.instrument, fill: nil)
            drain(k, emit)
        }
    }

    /// Books a report's fill into its strategy's position and tells the strategy. Reports without a fill, or of
    /// another host's orders, are ignored.
    public mutating func onReport(_ report: OrderReport, now: Nanos, emit: (OrderIntent) -> Void) {
        let k = Int(report.clientOrderId.strategy.raw) - 1
        guard report.lastQuantity.raw > 0, k >= 0, k < contexts.count else { return }
        let l = mirror.universe.listing(report.instrument)
        guard l.pair != .none else { return }
        let fill = StrategyFill(
            pair: l.pair, venue: report.venue, instrument: report.instrument, side: report.side, price: l.pairPrice(report.price),
            quantity: l.pairQuantity(report.lastQuantity), fee: report.fee &* l.priceFactor &* l.quantityFactor,
            clientOrderId: report.clientOrderId)
        contexts[k].book(fill)
        contexts[k].now = now
        contexts[k].triggerTime = now
        call(k, instrument: report.instrument, fill: fill)
        drain(k, emit)
    }

    /// Whether a strategy's timer is due at `now` (`onTimers` would run it).
    public func timerDue(_ now: Nanos) -> Bool {
        for k in interval.indices where interval[k] != nil && now >= nextTimer[k] { return true }
        return false
    }

    /// Runs the timers due at `now`.
    public mutating func onTimers(now: Nanos, emit: (OrderIntent) -> Void) {
        for k in 0..<contexts.count {
            guard let every = interval[k], now >= nextTimer[k] else { continue }
            nextTimer[k] = nextTimer[k] == .zero ? now + every : max(nextTimer[k] + every, now)
            contexts[k].now = now
            contexts[k].triggerTime = now
            call(k, instrument: nil, fill: nil)
            drain(k, emit)
        }
    }

    /// Exchange `exchangeIndex`'s on-chain inflow and outflow (at the flows' scale) since the last call, for every
    /// flow-model strategy: they enter each one's next sample.
    public mutating func onFlow(exchangeIndex: Int, inflow: Int64, outflow: Int64) {
        for i in flows.indices { flows[i].onFlow(exchangeIndex: exchangeIndex, inflow: inflow, outflow: outflow) }
    }

    /// The measured order round trip of `venue`, for every strategy.
    public mutating func setVenueLatency(_ venue: VenueId, _ latency: Nanos) {
        for k in contexts.indices where Int(venue.raw) < contexts[k].venueLatency.count { contexts[k].venueLatency[Int(venue.raw)] = latency }
    }

    /// Intents dropped because a strategy's outbox was full.
    public var droppedIntents: Int { contexts.reduce(0) { $0 + $1.dropped } }

    mutating func call(_ k: Int, instrument: InstrumentId?, fill: StrategyFill?) {
        let (kind, i) = slots[k]
        switch kind {
        case 0: Self.dispatch(&arbitrages[i], mirror, &contexts[k], instrument, fill)
        case 1: Self.dispatch(&crossovers[i], mirror, &contexts[k], instrument, fill)
        case 2: Self.dispatch(&bollingers[i], mirror, &contexts[k], instrument, fill)
        case 4: Self.dispatch(&flows[i], mirror, &contexts[k], instrument, fill)
        default: Self.dispatch(&customs[i], mirror, &contexts[k], instrument, fill)
        }
    }

    static func dispatch<S: Strategy>(
        _ s: inout S, _ mirror: borrowing BookMirror, _ ctx: inout StrategyContext, _ instrument: InstrumentId?, _ fill: StrategyFill?
    ) {
        if let fill {
            s.onFill(fill, market: mirror, &ctx)
        } else if let instrument {
            s.onMarket(instrument, market: mirror, &ctx)
        } else {
            s.onTimer(market: mirror, &ctx)
        }
    }

    /// Numbers and hands over what strategy `k` emitted.
    mutating func drain(_ k: Int, _ emit: (OrderIntent) -> Void) {
        guard !contexts[k].outbox.isEmpty else { return }
        for var intent in contexts[k].outbox {
            nextIntent += 1
            intent.intentId = nextIntent
            emit(intent)
        }
        contexts[k].outbox.removeAll(keepingCapacity: true)
    }
}
