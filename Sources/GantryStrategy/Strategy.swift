import GantryBook
import GantryCore

/// A trading strategy: it watches the books, its fills and its timers and emits intents. It never sends an
/// order: the intents it emits go to the router and to risk, and only risk's approvals reach a venue.
///
/// Strategies read time only from their context (`ctx.now`, set by the host from an injected clock) and keep
/// no other state than their own: for the same events, fills and clock they emit the same intents, so the
/// backtester and the journal's replay run them unchanged. Called on the signal stage's thread; no allocation
/// is expected after `init`.
public protocol Strategy {
    /// The pairs whose books wake this strategy (`onMarket`).
    var pairs: [PairId] { get }
    /// How often `onTimer` runs (nil: never).
    var timerInterval: Nanos? { get }
    /// A venue message has changed `instrument`'s book (one of `pairs`); every book is consistent.
    mutating func onMarket(_ instrument: InstrumentId, market: borrowing BookMirror, _ ctx: inout StrategyContext)
    /// One of this strategy's orders filled (in part); `ctx`'s positions already include it.
    mutating func onFill(_ fill: StrategyFill, market: borrowing BookMirror, _ ctx: inout StrategyContext)
    /// The timer fired.
    mutating func onTimer(market: borrowing BookMirror, _ ctx: inout StrategyContext)
}

extension Strategy {
    public var timerInterval: Nanos? { nil }
    public mutating func onFill(_ fill: StrategyFill, market: borrowing BookMirror, _ ctx: inout StrategyContext) {}
    public mutating func onTimer(market: borrowing BookMirror, _ ctx: inout StrategyContext) {}
}

/// A fill of one of the strategy's orders, at the pair's scales.
@frozen
public struct StrategyFill: Sendable, BitwiseCopyable, Equatable {
    public var pair: PairId
    public var venue: VenueId
    public var instrument: InstrumentId
    public var side: Side
    /// Pair price scale.
    public var price: Int64
    /// Pair quantity scale.
    public var quantity: Int64
    /// In the pair's quote, at the pair's notional scale (price scale + quantity scale).
    public var fee: Int64
    public var clientOrderId: ClientOrderId
}

/// A strategy's own book-keeping per pair, from its fills: position, cash and fees at the pair's scales.
@frozen
public struct StrategyPosition: Sendable, BitwiseCopyable, Equatable {
    /// Base held (pair quantity scale); negative is short.
    public var quantity: Int64 = 0
    /// Quote received less quote paid, fees excluded (pair notional scale).
    public var cash: Int128 = 0
    /// Fees paid (pair notional scale).
    public var fees: Int128 = 0

    public init() {}

    /// Mark-to-market PnL at `mid` (pair price scale), at the pair's notional scale.
    @inlinable public func pnl(mid: Int64) -> Int128 { cash - fees + Int128(quantity) * Int128(mid) }
}

/// What a strategy sees of itself and what it may do: read its positions and the clock, and emit intents.
public struct StrategyContext: Sendable {
    public let id: StrategyId
    public let name: String
    /// Its capital, in cents of the pairs' quote currency.
    public let capitalCents: Int64
    /// The current time of the injected clock (monotonic ns).
    public internal(set) var now: Nanos = .zero
    /// Receive time of the market event being handled (`now` for timers and fills).
    public internal(set) var triggerTime: Nanos = .zero
    /// Positions by `PairId.raw`.
    public internal(set) var positions: [StrategyPosition]
    /// Taker fees by `VenueId.raw`, in hundredths of a basis point.
    public internal(set) var takerFees: [Int64]
    /// Each venue's measured order round trip by `VenueId.raw` (zero until measured).
    public internal(set) var venueLatency: [Nanos]
    /// The intents emitted and not yet taken by the host (capacity fixed at init).
    var outbox: [OrderIntent]
    let outboxCapacity: Int
    var nextSignal: UInt64 = 0
    var dropped = 0

    init(id: StrategyId, name: String, capitalCents: Int64, pairs: Int, venues: Int, takerFees: [Int64], outboxCapacity: Int = 32) {
        self.id = id
        self.name = name
        self.capitalCents = capitalCents
        positions = Array(repeating: StrategyPosition(), count: pairs + 1)
        self.takerFees = takerFees
        venueLatency = Array(repeating: .zero, count: venues + 1)
        outbox = []
        outbox.reserveCapacity(outboxCapacity)
        self.outboxCapacity = outboxCapacity
    }

    /// The strategy's position in `pair`.
    @inlinable public func position(_ pair: PairId) -> StrategyPosition { positions[Int(pair.raw)] }

    /// A new signal id: intents of one opportunity share it (risk's per-signal capital rule sums them).
    public mutating func newSignal() -> UInt64 {
        nextSignal += 1
        return UInt64(id.raw) << 48 | nextSignal
    }

    /// Emits an intent to trade `instrument` on its venue, at the instrument's scales. - Returns: false if the
    /// outbox is full (the intent is dropped and counted: a strategy emitting that much in one step is broken).
    @discardableResult
    public mutating func emit(
        signal: UInt64, instrument: InstrumentId, venue: VenueId, side: Side, limit: Price, quantity: Quantity,
        expected: Price? = nil, lane: OrderLane = .entry, pair: PairId = .none, legs: UInt8 = 0
    ) -> Bool {
        push(OrderIntent(
            intentId: 0, signalId: signal, strategy: id, venue: venue, instrument: instrument, pair: pair, side: side,
            price: limit, quantity: quantity, expectedPrice: expected, lane: lane, legs: legs, triggerTime: triggerTime, createdTime: now))
    }

    /// Emits an intent for the router: trade `quantity` of `pair` at `limit` or better, at the pair's scales.
    @discardableResult
    public mutating func emitRouted(
        signal: UInt64, pair: PairId, side: Side, limit: Int64, quantity: Int64, expected: Int64? = nil, lane: OrderLane = .entry
    ) -> Bool {
        push(OrderIntent(
            intentId: 0, signalId: signal, strategy: id, venue: .none, instrument: .none, pair: pair, side: side,
            price: Price(raw: limit), quantity: Quantity(raw: quantity), expectedPrice: Price(raw: expected ?? limit), lane: lane,
            triggerTime: triggerTime, createdTime: now))
    }

    mutating func push(_ intent: OrderIntent) -> Bool {
        guard outbox.count < outboxCapacity else {
            dropped += 1
            return false
        }
        outbox.append(intent)
        return true
    }

    /// Books a fill into the position.
    mutating func book(_ fill: StrategyFill) {
        let notional = Int128(fill.price) * Int128(fill.quantity)
        let i = Int(fill.pair.raw)
        if fill.side == .buy {
            positions[i].quantity += fill.quantity
            positions[i].cash -= notional
        } else {
            positions[i].quantity -= fill.quantity
            positions[i].cash += notional
        }
        positions[i].fees += Int128(fill.fee)
    }
}
