// The normalized events that travel the rings. Each is a fixed-size value, written in place into a ring
// slot and never changed after it is published. Sizes are budgets, asserted in tests:
//
//   MarketEvent   64 B  ┌kind│side│venue│flags┬instrument──┬sequence────────────────┐
//                       │price/bidPrice│quantity/bidQty│price2/askPrice│quantity2/askQty│
//                       │exchangeTime (wall ns)        │receiveTime (monotonic ns)     ┘
//   (a `messageTimes` event keeps its decode-done and published times where a level keeps price and quantity)
//   OrderIntent 72 B, RiskDecision 120 B (the intent and the verdict), OrderReport 64 B, ControlEvent 32 B.

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

/// The priority lane an order takes at its venue's rate budget: a lower lane goes first.
@frozen
public enum OrderLane: UInt8, Sendable, BitwiseCopyable, Comparable {
    /// Cancels, and orders that flatten a position (hard stops, the kill switch).
    case flatten = 0
    /// A hedge or unwind of an arbitrage leg that failed or filled short.
    case hedge = 1
    /// A new position.
    case entry = 2

    @inlinable public static func < (a: OrderLane, b: OrderLane) -> Bool { a.rawValue < b.rawValue }
}

/// A strategy's wish to trade, before risk has seen it. 72 bytes.
///
/// An intent names a venue and that venue's instrument, with its price and quantity at the instrument's scales;
/// or it asks to be routed (`venue == .none`, `instrument == .none`): then `pair` says what to trade and the
/// prices and quantity are at the pair's scales, and the router turns it into venue intents, which risk sees.
@frozen
public struct OrderIntent: Sendable, BitwiseCopyable {
    public var side: Side
    public var orderType: OrderType
    public var timeInForce: TimeInForce
    public var venue: VenueId
    public var lane: OrderLane
    /// How many intents of this signal go together, all or none (an arbitrage's legs); 0 or 1: this one alone.
    /// Risk decides a group only when all of it has arrived, and vetoes all of it if it vetoes one.
    public var legs: UInt8 = 0
    public var pair: PairId
    public var instrument: InstrumentId
    public var strategy: StrategyId
    public var reserved2: UInt16 = 0
    /// Unique per intent; carried by the risk decision and the order.
    public var intentId: UInt64
    /// Intents of one opportunity share a signal id (the 2%-per-signal rule counts them together).
    public var signalId: UInt64
    /// The limit: the worst price the strategy accepts.
    public var price: Price
    public var quantity: Quantity
    /// The price the strategy expects to get (its signal's price): what slippage and paper fills compare with.
    public var expectedPrice: Price
    /// Receive time of the market event that caused the intent (tick-to-order latency starts there).
    public var triggerTime: Nanos
    /// When the strategy produced the intent.
    public var createdTime: Nanos

    @inlinable
    public init(
        intentId: UInt64, signalId: UInt64, strategy: StrategyId, venue: VenueId, instrument: InstrumentId, pair: PairId = .none,
        side: Side, orderType: OrderType = .limit, timeInForce: TimeInForce = .ioc, price: Price, quantity: Quantity,
        expectedPrice: Price? = nil, lane: OrderLane = .entry, legs: UInt8 = 0, triggerTime: Nanos, createdTime: Nanos
    ) {
        self.side = side
        self.legs = legs
        self.orderType = orderType
        self.timeInForce = timeInForce
        self.venue = venue
        self.lane = lane
        self.pair = pair
        self.instrument = instrument
        self.strategy = strategy
        self.intentId = intentId
        self.signalId = signalId
        self.price = price
        self.quantity = quantity
        self.expectedPrice = expectedPrice ?? price
        self.triggerTime = triggerTime
        self.createdTime = createdTime
    }

    /// The intent asks the router to choose venues.
    @inlinable public var isRouted: Bool { venue == .none }
}

/// Why the risk engine vetoed an intent (or `approved`). Each decision also carries the figure the rule compared
/// and the limit it compared it with (`RiskDecision.observed`, `.limit`), in the unit the case names.
@frozen
public enum RiskReason: UInt16, Sendable, BitwiseCopyable, CaseIterable {
    case approved = 0
    /// The pair is not in the strategy's allowed pairs (observed: the pair id).
    case pairNotAllowed = 1
    /// The signal's intents together would pass 2% (configurable) of the strategy's capital (pair notional scale).
    case signalCapitalLimit = 2
    /// The position in the base asset across strategies would pass its maximum (pair quantity scale).
    case assetPositionLimit = 3
    /// The strategy's position in the pair would pass its maximum (pair quantity scale).
    case strategyPositionLimit = 4
    /// The venue's free balance cannot pay for it (the venue's asset at the pair's notional or quantity scale).
    case venueCapital = 5
    /// A correlated group's combined exposure would pass its cap (pair notional scale).
    case correlatedExposure = 6
    /// The limit strays past the band around the venue's own mid (centi-basis points).
    case priceBand = 7
    /// The order's notional or quantity passes the fat-finger limit (pair notional scale).
    case fatFinger = 8
    /// The strategy's or venue's orders in the last second pass the rate limit (orders).
    case orderRate = 9
    /// The strategy's drawdown passed its hard limit (centi-basis points of capital).
    case strategyDrawdown = 10
    /// The day's loss passed the daily limit: trading is halted (pair notional scale).
    case dailyLossLimit = 11
    /// The kill switch fired: nothing new until it is reset.
    case killSwitch = 12
    /// The venue's book is stale, resyncing or silent past its budget (ns since its last update).
    case staleMarketData = 13
    /// The venue's measured order round trip is past its budget (ns).
    case venueLatency = 14
    /// The venue's price strays from the other venues' past the plausibility band: a data fault, not an
    /// opportunity (centi-basis points).
    case implausiblePrice = 15
    /// The strategy's stage does not allow it: paper, or pilot past its capital cap (pair notional scale).
    case stageLimit = 16
    /// Trading is paused by the operator or a failed check.
    case paused = 17
    /// The strategy is paused (repeated leg rollbacks).
    case strategyPaused = 18
    /// The intent is malformed: zero or negative size or price, an unknown instrument, a routed intent.
    case invalidIntent = 19
    /// Another leg of the same signal was vetoed: a signal's legs go all or none (observed: that leg's reason code).
    case legVetoed = 20
    /// The venue's order entry is down, reconnecting or reconciling orders a drop left unknown: nothing new goes
    /// there until it is ready again (flattening aside).
    case venueNotReady = 21
}

/// The risk engine's verdict on one intent: an event with a reason and the numbers it compared, not an error.
@frozen
public struct RiskDecision: Sendable, BitwiseCopyable {
    /// The intent decided on.
    public var intent: OrderIntent
    /// Approved, or why not.
    public var reason: RiskReason
    public var reserved: UInt16 = 0
    public var reserved2: UInt32 = 0
    /// The id the order goes out with (assigned by risk on approval; zero on a veto).
    public var clientOrderId: ClientOrderId = ClientOrderId(raw: 0)
    /// What may be sent: the intent's quantity, a reduced size (drawdown scaling), or 0 on a veto.
    public var approvedQuantity: Quantity
    /// The figure the deciding rule compared (see `RiskReason` for its unit; 0 for an approval).
    public var observed: Int64
    /// The limit it was compared with.
    public var limit: Int64
    /// When risk decided.
    public var decidedTime: Nanos

    /// The decision on `intent`.
    @inlinable
    public init(
        intent: OrderIntent, reason: RiskReason, approvedQuantity: Quantity, observed: Int64 = 0, limit: Int64 = 0, decidedTime: Nanos
    ) {
        self.intent = intent
        self.reason = reason
        self.approvedQuantity = reason == .approved ? approvedQuantity : .zero
        self.observed = observed
        self.limit = limit
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

/// A venue's order connection as order-send sees it, published every ~100 ms for risk (the latency budget) and
/// the strategies and router (latency-aware edges and routing). Half a cache line.
@frozen
public struct VenueHealth: Sendable, BitwiseCopyable, Equatable {
    public var venue: VenueId
    /// The order session is ready (connected, logged in, nothing being reconciled).
    public var ready: Bool
    /// The last order round trip measured (bytes written → the venue's answer).
    public var roundTrip: Nanos
    public var time: Nanos

    @inlinable
    public init(venue: VenueId, ready: Bool, roundTrip: Nanos, time: Nanos) {
        self.venue = venue
        self.ready = ready
        self.roundTrip = roundTrip
        self.time = time
    }
}
