import GantryCore

/// Where an order stands, as Gantry knows it. An order is never "failed" on a network error: it becomes
/// `unknown` until the venue confirms what happened to it (`reconciled` then holds the confirmed final state).
@frozen
public enum OrderState: UInt8, Sendable, BitwiseCopyable, Equatable {
    /// Approved by risk, not yet written to the venue's connection.
    case pending = 0
    /// Written to the socket; no answer yet.
    case sent = 1
    /// The venue accepted it and it rests (or is being matched).
    case acknowledged = 2
    case partiallyFilled = 3
    case filled = 4
    case cancelled = 5
    case rejected = 6
    /// An IOC's unfilled rest, or a GTC past its time.
    case expired = 7
    /// A timeout or a dropped connection left its fate unknown: query the venue.
    case unknown = 8

    /// No further fills are expected (late fills after a cancel are still booked).
    @inlinable public var isFinal: Bool {
        switch self {
        case .filled, .cancelled, .rejected, .expired: true
        default: false
        }
    }
}

/// What happened to an order, from the venue or from Gantry's own clock and connections.
public enum OrderEvent: Sendable, Equatable {
    /// Its bytes were written to the venue's connection at this time.
    case sent(at: Nanos)
    /// The venue acknowledged it, with its order id.
    case acknowledged(venueOrderId: UInt64)
    /// A fill: the venue's trade id, this fill's price and quantity, the venue's cumulative quantity, the fee.
    case fill(tradeId: UInt64, price: Price, quantity: Quantity, cumulative: Quantity, fee: Int64, isTaker: Bool)
    /// The venue confirmed a final state (cancelled, expired, rejected, filled) with its cumulative quantity.
    case final(OrderStatus, cumulative: Quantity)
    /// The venue refused it with its error code.
    case rejected(code: Int32)
    /// No answer within the order timeout, or the connection dropped with it in flight.
    case lost
    /// A query (or the order history after a reconnect) says this: its status and cumulative quantity.
    case queried(OrderStatus, cumulative: Quantity)
}

/// What applying an event did: a new state, a fill to book (exactly once), or nothing (a duplicate or a late echo).
public struct OrderTransition: Sendable, Equatable {
    public var from: OrderState
    public var to: OrderState
    /// A fill not seen before (booked by risk, strategies and the journal).
    public var newFill: Bool
    /// The event was a duplicate or came after the order was final and changed nothing.
    public var ignored: Bool
    /// Quantity the venue says filled beyond the fills seen (a query after a loss): fills to backfill from history.
    public var missingFills: Quantity
}

/// One order's state machine: idempotent by client order id, trade ids de-duplicated, cumulative quantity
/// never going backwards, final states kept (a late fill after a cancel is booked, the state stays cancelled).
public struct TrackedOrder: Sendable, Equatable {
    public let order: OrderSpec
    public private(set) var state: OrderState = .pending
    /// The confirmed final state when it was `unknown` first (reconciled), else nil.
    public private(set) var reconciledFrom: OrderState? = nil
    public private(set) var venueOrderId: UInt64 = 0
    public private(set) var filled: Quantity = .zero
    /// Cumulative notional of the fills (venue notional scale) and fees.
    public private(set) var filledNotional: Int128 = 0
    public private(set) var fees: Int64 = 0
    public private(set) var sentAt: Nanos = .zero
    /// The venue's trade ids seen (the last 16, inline: fills of one order come close together).
    var tradeIds = RecentTradeIds()
    /// Its final report has been published (once, after its fills).
    public internal(set) var finalReported = false

    public init(_ order: OrderSpec) {
        self.order = order
    }

    /// Applies one event.
    public mutating func apply(_ event: OrderEvent) -> OrderTransition {
        let from = state
        var t = OrderTransition(from: from, to: from, newFill: false, ignored: false, missingFills: .zero)
        switch event {
        case .sent(let at):
            if state == .pending {
                state = .sent
                sentAt = at
            } else {
                t.ignored = true
            }
        case .acknowledged(let id):
            if venueOrderId == 0 { venueOrderId = id }
            if state == .pending || state == .sent || state == .unknown { state = filled.raw > 0 ? .partiallyFilled : .acknowledged } else { t.ignored = true }
        case .fill(let tradeId, let price, let quantity, let cumulative, let fee, _):
            guard !tradeIds.contains(tradeId), quantity.raw > 0 else {
                t.ignored = true
                break
            }
            tradeIds.append(tradeId)
            filled = filled + quantity
            // The venue counts more than the fills seen: some were missed (a dropped stream): backfill them.
            if cumulative > filled { t.missingFills = cumulative - filled }
            filledNotional += Int128(price.raw) * Int128(quantity.raw)
            fees += fee
            t.newFill = true
            if !state.isFinal {
                state = filled >= order.quantity ? .filled : .partiallyFilled
            }
        case .final(let status, let cumulative):
            if state.isFinal && state != .filled && Self.state(status) == .filled && cumulative >= order.quantity {
                // A cancel raced a fill: the venue's word is final.
                state = .filled
            } else if state.isFinal {
                t.ignored = true
            } else {
                state = Self.state(status)
            }
            if cumulative > filled { t.missingFills = cumulative - filled }
        case .rejected:
            if state.isFinal { t.ignored = true } else { state = .rejected }
        case .lost:
            if state.isFinal { t.ignored = true } else { state = .unknown }
        case .queried(let status, let cumulative):
            let confirmed = Self.state(status)
            if cumulative > filled { t.missingFills = cumulative - filled }
            if state == .unknown {
                if confirmed.isFinal {
                    reconciledFrom = .unknown
                    state = confirmed
                } else {
                    state = confirmed == .pending ? .acknowledged : confirmed
                }
            } else if !state.isFinal {
                state = confirmed.isFinal || confirmed.rawValue > state.rawValue ? confirmed : state
            } else {
                t.ignored = t.missingFills.raw == 0
            }
        }
        t.to = state
        return t
    }

    /// Keeps the venue's order id from an answer that says nothing else of the order's progress (a query's).
    mutating func noteVenueOrderId(_ id: UInt64) { if venueOrderId == 0 { venueOrderId = id } }

    /// The state a venue status means.
    public static func state(_ status: OrderStatus) -> OrderState {
        switch status {
        case .pendingNew: .sent
        case .new, .pendingCancel: .acknowledged
        case .partiallyFilled: .partiallyFilled
        case .filled: .filled
        case .canceled: .cancelled
        case .rejected: .rejected
        case .expired: .expired
        }
    }

    /// The average fill price (venue price scale), nil before any fill.
    public var averagePrice: Price? {
        filled.raw == 0 ? nil : Price(raw: Int64(filledNotional / Int128(filled.raw)))
    }
}

/// What an order is: the approved order as sent.
@frozen
public struct OrderSpec: Sendable, BitwiseCopyable, Equatable {
    public var clientOrderId: ClientOrderId
    public var venue: VenueId
    public var instrument: InstrumentId
    public var side: Side
    public var type: OrderType
    public var timeInForce: TimeInForce
    public var price: Price
    public var quantity: Quantity
    public var lane: OrderLane
    public var signalId: UInt64

    public init(
        clientOrderId: ClientOrderId, venue: VenueId, instrument: InstrumentId, side: Side, type: OrderType = .limit, timeInForce: TimeInForce = .ioc,
        price: Price, quantity: Quantity, lane: OrderLane = .entry, signalId: UInt64 = 0
    ) {
        self.clientOrderId = clientOrderId
        self.venue = venue
        self.instrument = instrument
        self.side = side
        self.type = type
        self.timeInForce = timeInForce
        self.price = price
        self.quantity = quantity
        self.lane = lane
        self.signalId = signalId
    }
}

/// The last 16 trade ids of an order, inline: no allocation per order.
struct RecentTradeIds: Sendable, Equatable {
    var ids = SIMD16<UInt64>(repeating: 0)
    var count = 0
    var next = 0

    func contains(_ id: UInt64) -> Bool {
        for i in 0..<min(count, 16) where ids[i] == id { return true }
        return false
    }

    mutating func append(_ id: UInt64) {
        ids[next] = id
        next = (next + 1) & 15
        count += 1
    }
}
