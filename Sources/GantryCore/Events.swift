// The normalized events that travel the rings. Each is a fixed-size value, written in place into a ring
// slot and never changed after it is published. Sizes are budgets, asserted in tests:
//
//   MarketEvent   64 B  ┌kind│side│venue│flags┬instrument──┬sequence────────────────┐
//                       │price/bidPrice│quantity/bidQty│price2/askPrice│quantity2/askQty│
//                       │exchangeTime (wall ns)        │receiveTime (monotonic ns)     ┘
//   (a `messageTimes` event keeps its decode-done and published times where a level keeps price and quantity)
//   OrderIntent   64 B, OrderReport 64 B, RiskDecision 64 B, ControlEvent 32 B.

/// What a `MarketEvent` says.
@frozen
public enum MarketEventKind: UInt8, Sendable, BitwiseCopyable {
    /// One price level of one side changed: `price`, `quantity` (0 removes the level).
    case levelChange = 1
    /// The best bid and ask changed: `price`/`quantity` are the bid, `price2`/`quantity2` the ask.
    case topOfBook = 2
    /// A trade printed: `price`, `quantity`, `side` is the aggressor, `price2.raw` the venue's trade id.
    case trade = 3
    /// The book of `instrument` is stale (gap, bad checksum, disconnect) until a `bookReset` follows.
    case bookStale = 4
    /// The book of `instrument` was rebuilt from a snapshot: consumers drop what they held.
    case bookReset = 5
    /// A synthetic tick (demo and benchmarks).
    case synthetic = 6
    /// The last event of every venue message the ingest stage publishes, flagged `endOfMessage`: the message's
    /// timestamps. `receiveTime` is the kernel's receive time (the stage's own clock for what it found itself:
    /// a REST snapshot's arrival, a silent book, a dropped connection), `decodedTime` when its decode and book
    /// apply were done, `publishedTime` when its events were handed to the ring (just before the cursor store
    /// that makes them visible); `venue`, `instrument`, `sequence` and `exchangeTime` are those of the event
    /// before it.
    case messageTimes = 7
}

/// Bits of `MarketEvent.flags`.
@frozen
public struct MarketEventFlags: OptionSet, Sendable, BitwiseCopyable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The last event of one venue message: consumers may act on a consistent book now.
    public static let endOfMessage = MarketEventFlags(rawValue: 1)
    /// From a snapshot rather than a diff.
    public static let snapshot = MarketEventFlags(rawValue: 2)
}

/// A market-data event: a level change, a top of book, a trade or a book state change. One cache line.
@frozen
public struct MarketEvent: Sendable, BitwiseCopyable {
    public var kind: MarketEventKind
    public var side: Side
    public var venue: VenueId
    public var flags: MarketEventFlags
    public var instrument: InstrumentId
    /// The venue's sequence for this update (Binance `u`, Coinbase `sequence`, OKX `seqId`, …).
    public var sequence: UInt64
    public var price: Price
    public var quantity: Quantity
    public var price2: Price
    public var quantity2: Quantity
    /// The venue's timestamp, wall-clock ns since the epoch (0 if the venue sends none).
    public var exchangeTime: Nanos
    /// When the bytes reached the host (kernel timestamp where available), monotonic ns.
    public var receiveTime: Nanos

    @inlinable
    public init(
        kind: MarketEventKind, side: Side = .none, venue: VenueId, instrument: InstrumentId,
        flags: MarketEventFlags = [], sequence: UInt64 = 0, price: Price = .zero, quantity: Quantity = .zero,
        price2: Price = .zero, quantity2: Quantity = .zero, exchangeTime: Nanos = .zero, receiveTime: Nanos = .zero
    ) {
        self.kind = kind
        self.side = side
        self.venue = venue
        self.flags = flags
        self.instrument = instrument
        self.sequence = sequence
        self.price = price
        self.quantity = quantity
        self.price2 = price2
        self.quantity2 = quantity2
        self.exchangeTime = exchangeTime
        self.receiveTime = receiveTime
    }
}

extension MarketEvent {
    /// A `messageTimes` event's decode-done time, monotonic ns (the `price` field of other kinds).
    @inlinable public var decodedTime: Nanos {
        get { Nanos(raw: price.raw) }
        set { price = Price(raw: newValue.raw) }
    }

    /// A `messageTimes` event's published time, monotonic ns (the `quantity` field of other kinds).
    @inlinable public var publishedTime: Nanos {
        get { Nanos(raw: quantity.raw) }
        set { quantity = Quantity(raw: newValue.raw) }
    }
}

/// How long an order may rest.
@frozen
public enum TimeInForce: UInt8, Sendable, BitwiseCopyable {
    case ioc = 1
    case gtc = 2
    case fok = 3
}

/// Limit or market.
@frozen
public enum OrderType: UInt8, Sendable, BitwiseCopyable {
    case limit = 1
    case market = 2
}

/// A strategy's wish to trade, before risk has seen it. One cache line.
@frozen
public struct OrderIntent: Sendable, BitwiseCopyable {
    public var side: Side
    public var orderType: OrderType
    public var timeInForce: TimeInForce
    public var venue: VenueId
    public var instrument: InstrumentId
    /// Unique per intent; carried by the risk decision and the order.
    public var intentId: UInt64
    /// Intents of one opportunity share a signal id (the 2%-per-signal rule counts them together).
    public var signalId: UInt64
    public var strategy: StrategyId
    public var reserved: UInt16 = 0
    public var reserved2: UInt32 = 0
    public var price: Price
    public var quantity: Quantity
    /// Receive time of the market event that caused the intent (tick-to-order latency starts there).
    public var triggerTime: Nanos
    /// When the strategy produced the intent.
    public var createdTime: Nanos

    @inlinable
    public init(
        intentId: UInt64, signalId: UInt64, strategy: StrategyId, venue: VenueId, instrument: InstrumentId,
        side: Side, orderType: OrderType, timeInForce: TimeInForce, price: Price, quantity: Quantity,
        triggerTime: Nanos, createdTime: Nanos
    ) {
        self.side = side
        self.orderType = orderType
        self.timeInForce = timeInForce
        self.venue = venue
        self.instrument = instrument
        self.intentId = intentId
        self.signalId = signalId
        self.strategy = strategy
        self.price = price
        self.quantity = quantity
        self.triggerTime = triggerTime
        self.createdTime = createdTime
    }
}

/// Why the risk engine vetoed an intent (or `approved`).
@frozen
public enum RiskReason: UInt16, Sendable, BitwiseCopyable {
    case approved = 0
    case pairNotAllowed = 1
    case signalCapitalLimit = 2
    case assetPositionLimit = 3
    case strategyPositionLimit = 4
    case venueCapital = 5
    case correlatedExposure = 6
    case priceBand = 7
    case fatFinger = 8
    case orderRate = 9
    case strategyDrawdown = 10
    case dailyLossLimit = 11
    case killSwitch = 12
    case staleMarketData = 13
}

/// The risk engine's verdict on one intent: an event with a reason, not an error. One cache line.
@frozen
public struct RiskDecision: Sendable, BitwiseCopyable {
    public var side: Side
    public var orderType: OrderType
    public var timeInForce: TimeInForce
    public var venue: VenueId
    public var instrument: InstrumentId
    public var intentId: UInt64
    public var signalId: UInt64
    public var strategy: StrategyId
    /// Approved, or why not.
    public var reason: RiskReason
    public var reserved: UInt32 = 0
    public var price: Price
    /// What may be sent: the intent's quantity, a reduced size (drawdown scaling), or 0 on a veto.
    public var approvedQuantity: Quantity
    /// Receive time of the market event that caused the intent.
    public var triggerTime: Nanos
    /// When risk decided.
    public var decidedTime: Nanos

    /// The decision on `intent`.
    @inlinable
    public init(intent: OrderIntent, reason: RiskReason, approvedQuantity: Quantity, decidedTime: Nanos) {
        side = intent.side
        orderType = intent.orderType
        timeInForce = intent.timeInForce
        venue = intent.venue
        instrument = intent.instrument
        intentId = intent.intentId
        signalId = intent.signalId
        strategy = intent.strategy
        self.reason = reason
        price = intent.price
        self.approvedQuantity = reason == .approved ? approvedQuantity : .zero
        triggerTime = intent.triggerTime
        self.decidedTime = decidedTime
    }

    @inlinable public var isApproved: Bool { reason == .approved }
}

/// The state of an order as a venue reports it.
@frozen
public enum OrderStatus: UInt8, Sendable, BitwiseCopyable {
    case pendingNew = 1
    case new = 2
    case partiallyFilled = 3
    case filled = 4
    case canceled = 5
    case rejected = 6
    case expired = 7
    case pendingCancel = 8
}

/// An order acknowledgement, fill, cancel or reject from a venue. One cache line.
@frozen
public struct OrderReport: Sendable, BitwiseCopyable {
    public var status: OrderStatus
    public var side: Side
    public var venue: VenueId
    /// Who pays the fee in `fee`: true if we took liquidity.
    public var isTaker: Bool
    public var instrument: InstrumentId
    public var clientOrderId: ClientOrderId
    /// The venue's order id, hashed to 64 bits where the venue uses text.
    public var venueOrderId: UInt64
    /// Price of this fill (or the order price for non-fill reports).
    public var price: Price
    /// Quantity of this fill (0 for non-fill reports).
    public var lastQuantity: Quantity
    /// Quantity filled so far.
    public var cumulativeQuantity: Quantity
    /// Fee of this fill in the quote asset, at the notional scale (price scale + quantity scale).
    public var fee: Int64
    /// Venue time of the report, wall-clock ns.
    public var eventTime: Nanos

    @inlinable
    public init(
        status: OrderStatus, side: Side, venue: VenueId, instrument: InstrumentId, clientOrderId: ClientOrderId,
        venueOrderId: UInt64, price: Price, lastQuantity: Quantity, cumulativeQuantity: Quantity, fee: Int64,
        isTaker: Bool, eventTime: Nanos
    ) {
        self.status = status
        self.side = side
        self.venue = venue
        self.isTaker = isTaker
        self.instrument = instrument
        self.clientOrderId = clientOrderId
        self.venueOrderId = venueOrderId
        self.price = price
        self.lastQuantity = lastQuantity
        self.cumulativeQuantity = cumulativeQuantity
        self.fee = fee
        self.eventTime = eventTime
    }
}

/// What a control event asks for.
@frozen
public enum ControlCommand: UInt8, Sendable, BitwiseCopyable {
    case pauseTrading = 1
    case resumeTrading = 2
    case killSwitch = 3
    case resyncBook = 4
    case shutdown = 5
}

/// An operator's or monitor's command to the pipeline. Half a cache line.
@frozen
public struct ControlEvent: Sendable, BitwiseCopyable {
    public var command: ControlCommand
    public var venue: VenueId
    public var strategy: StrategyId
    public var instrument: InstrumentId
    /// A reason code chosen by the sender (e.g. a `RiskReason` raw value for automatic kills).
    public var reason: UInt64
    public var issuedTime: Nanos
    public var sequence: UInt64

    @inlinable
    public init(
        command: ControlCommand, venue: VenueId = .none, strategy: StrategyId = .none,
        instrument: InstrumentId = .none, reason: UInt64 = 0, issuedTime: Nanos, sequence: UInt64
    ) {
        self.command = command
        self.venue = venue
        self.strategy = strategy
        self.instrument = instrument
        self.reason = reason
        self.issuedTime = issuedTime
        self.sequence = sequence
    }
}
