import GantryCore

/// Where an answer came from, so a decoder knows its shape: a WebSocket order API message names its request
/// itself; a REST body does not, so the caller says which request it answers and with what HTTP status.
@frozen
public enum ReplyContext: Sendable, BitwiseCopyable {
    case webSocket
    case rest(EncodedRequest, httpStatus: Int)
    /// A WebSocket answer the caller matched to its request by the request id, for answers that do not name
    /// their order (Binance's `myTrades`).
    case matched(EncodedRequest)
}

/// A venue's refusal of a request, as a value: its numeric code where the venue has one (Binance -2010, OKX
/// 51008, Bybit 170131; 0 where the venue answers in words only, Kraken and Coinbase) and its message, cut to
/// `InlineText.capacity` bytes (Kraken's and Coinbase's error names are the message).
@frozen
public struct VenueOrderError: Sendable, BitwiseCopyable, Equatable, CustomStringConvertible {
    public var requestId: UInt64
    public var clientOrderId: ClientOrderId?
    public var code: Int64
    /// The HTTP status for REST answers (0 for WebSocket ones).
    public var httpStatus: Int
    public var message: InlineText

    @inlinable
    public init(requestId: UInt64, clientOrderId: ClientOrderId?, code: Int64, httpStatus: Int = 0, message: UnsafeRawBufferPointer?) {
        self.requestId = requestId
        self.clientOrderId = clientOrderId
        self.code = code
        self.httpStatus = httpStatus
        self.message = message.map { InlineText(truncating: $0) } ?? InlineText()
    }

    public var description: String { "venue error \(code): \(message)" }
}

/// A venue's acceptance of a request about one order: the venue's order id (as sent, and hashed into the
/// report), and what the answer said of the order's state.
@frozen
public struct OrderAck: Sendable, BitwiseCopyable {
    public var requestId: UInt64
    public var kind: OrderRequestKind
    /// The order as the answer describes it: status `new` where the answer says no more (an ACK), the cumulative
    /// quantity where it says so (Binance RESULT, a query); `lastQuantity` and `fee` are 0 (fills come on the user
    /// stream).
    public var report: OrderReport
    /// The venue's order id as it sent it (Coinbase needs it to cancel).
    public var venueOrderId: InlineText
}

/// What a venue's answer says.
@frozen
public enum OrderReply: Sendable, BitwiseCopyable {
    /// A request about one order was accepted.
    case accepted(OrderAck)
    /// The venue refused the request (or one order of it).
    case rejected(VenueOrderError)
    /// A request with no single order was done: a login, a cancel-all (`count` orders), an open-orders list
    /// (`count` orders).
    case done(requestId: UInt64, kind: OrderRequestKind?, count: Int)
    /// A message of the order connection that answers no request (a heartbeat, a status notice).
    case other
}

/// In which asset a fill's fee was charged.
@frozen
public enum FeeAsset: UInt8, Sendable, BitwiseCopyable {
    /// No fee (not a fill, or none charged).
    case none = 0
    /// The quote asset: `report.fee` is it, at the notional scale.
    case quote = 1
    /// The base asset: `report.fee` is its value at the fill price (fee × last price, exact, at the notional
    /// scale); `nativeFee` keeps the amount in the base asset at the quantity scale.
    case base = 2
    /// Another asset (BNB, a fee token): `report.fee` is 0 and `nativeFee` keeps the amount at
    /// `OrderUpdate.otherFeeScale`; converting it needs that asset's price, which the order path does not have.
    case other = 3
}

/// One order or fill update from a user stream: the `OrderReport` that order-send publishes, and what it needs
/// to publish it once (the venue's trade id, for de-duplication) and to read the fee.
@frozen
public struct OrderUpdate: Sendable, BitwiseCopyable {
    /// The scale of `nativeFee` for a fee in another asset.
    public static let otherFeeScale = 12

    public var report: OrderReport
    /// The venue's trade (execution) id of this fill, hashed to 64 bits where it is text; 0 when the update is
    /// not a fill.
    public var tradeId: UInt64
    public var feeAsset: FeeAsset
    /// The fee in the asset charged (see `FeeAsset`).
    public var nativeFee: Int64
    /// True where the venue reports only cumulative figures (Coinbase's user channel): `report.lastQuantity` is
    /// then 0, `report.price` the average fill price and `report.fee` the order's fees so far; the last fill is
    /// the difference of `cumulativeQuantity` and `fee` from the previous update of the order.
    public var cumulativeOnly: Bool

    @inlinable
    public init(report: OrderReport, tradeId: UInt64 = 0, feeAsset: FeeAsset = .none, nativeFee: Int64 = 0, cumulativeOnly: Bool = false) {
        self.report = report
        self.tradeId = tradeId
        self.feeAsset = feeAsset
        self.nativeFee = nativeFee
        self.cumulativeOnly = cumulativeOnly
    }
}

extension ReplyContext {
    /// The request the answer is known to answer (REST, or a matched WebSocket answer).
    var request: EncodedRequest? {
        switch self {
        case .webSocket: nil
        case .rest(let r, _), .matched(let r): r
        }
    }

    /// What a REST answer's context says of its request: its kind, the HTTP status and the order asked about;
    /// nil for a WebSocket message (which names its request itself).
    var restRequest: (kind: OrderRequestKind, httpStatus: Int, clientOrderId: ClientOrderId?)? {
        guard case .rest(let request, let status) = self else { return nil }
        return (request.kind, status, request.clientOrderId.raw == 0 ? nil : request.clientOrderId)
    }
}

extension OrderAck {
    /// The ack of an answer that says only that the venue took the request (a place is `new`, a cancel
    /// `pendingCancel`): the venue's order id and ours, nothing of the order's state.
    static func bare(requestId: UInt64, kind: OrderRequestKind, venue: VenueId, instrument: InstrumentId = .none, side: Side = .none,
                     clientOrderId: ClientOrderId?, venueOrderId: UnsafeRawBufferPointer) -> OrderAck {
        let report = OrderReport(
            status: kind == .cancel ? .pendingCancel : .new, side: side, venue: venue, instrument: instrument,
            clientOrderId: clientOrderId ?? ClientOrderId(raw: 0), venueOrderId: OrderFields.orderIdHash(venueOrderId), price: .zero,
            lastQuantity: .zero, cumulativeQuantity: .zero, fee: 0, isTaker: false, eventTime: .zero)
        return OrderAck(requestId: requestId, kind: kind, report: report, venueOrderId: InlineText(truncating: venueOrderId))
    }
}

extension JSONCursor {
    /// Reads the array at the cursor: its first element with `first`, the others stepped over.
    /// - Returns: How many elements it has.
    mutating func firstElement(_ first: (inout JSONCursor) throws(DecodeError) -> Void) throws(DecodeError) -> Int {
        var n = 0
        try array { s throws(DecodeError) in
            n += 1
            if n == 1 { try first(&s) } else { try s.skipValue() }
        }
        return n
    }

    /// Steps over the array at the cursor. - Returns: How many elements it has.
    mutating func elementCount() throws(DecodeError) -> Int { try firstElement { s throws(DecodeError) in try s.skipValue() } }

    /// Walks the top-level object that is the whole of `message`: the value of member `name` is stepped over and
    /// its offset returned (-1 if absent), every other member is handed to `other`, which must read or skip it.
    /// For stream messages whose data array is read once the rest of the message says what it is.
    static func memberOffset(
        _ name: StaticString, in message: UnsafeRawBufferPointer, _ other: (UnsafeRawBufferPointer, inout JSONCursor) throws(DecodeError) -> Void
    ) throws(DecodeError) -> Int {
        var c = JSONCursor(message)
        var at = -1
        try c.object { key, _, s throws(DecodeError) in
            if key.equals(name) {
                at = s.offset
                try s.skipValue()
            } else {
                try other(key, &s)
            }
        }
        try c.expectEnd()
        return at
    }
}

extension InlineText {
    /// The text of a configured value (an API key, a host); traps if it is longer than `capacity` (a
    /// configuration error, found at start-up).
    init(configured text: String, _ what: StaticString) {
        guard let t = InlineText(text) else { preconditionFailure("\(what) is longer than \(InlineText.capacity) bytes") }
        self = t
    }
}
