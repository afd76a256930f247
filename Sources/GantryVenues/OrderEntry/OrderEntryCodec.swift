import GantryCore

/// The order-send stage's view of one venue's order entry: pure codecs, with the venue's session state (keys,
/// the request id counter, a token) in the conforming value. The stage is generic over it, so nothing per message
/// goes through an existential or a class:
///
/// ```
///   risk ring ─► OrderRequest ─► codec.place(…, into: &buffer) ─► buffer.bytes ─► socket (WebSocket text / HTTP)
///   socket ─► codec.decodeReply(…)       ─► OrderReply  (ack with the venue's id, or VenueOrderError)
///   user stream ─► codec.decodeUserStream(…) ─► OrderUpdate per order or fill (OrderReport + trade id)
///   codec.trades(…) ─► venue ─► codec.decodeTrades(…) ─► OrderUpdate per trade of one order (backfill after a drop)
/// ```
///
/// Encoders write the exact bytes of the request (a WebSocket text message, or a whole HTTP/1.1 request for the
/// REST forms) into the caller's `OrderRequestBuffer`, sign it, and allocate nothing (Coinbase's ES256 JWT is the
/// exception, in OpenSSL). Decoders read the venue's JSON in place.
public protocol OrderEntryCodec {
    /// The venue, as interned from configuration.
    var venue: VenueId { get }

    /// A new order: limit IOC, limit GTC or market.
    /// - Parameters:
    ///   - now: Wall-clock time (the venues' timestamps and nonces come from it; the codec reads no clock).
    /// - Throws: `OrderEncodeError` (an unknown instrument, a buffer too small).
    mutating func place(_ order: OrderRequest, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest

    /// Cancels one order, by client order id (Coinbase: by the venue's order id in `order.venueOrderId`).
    mutating func cancel(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest

    /// Asks for one order's state.
    mutating func query(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest

    /// Cancels every open order of the instrument. - Throws: `.unsupported` where the venue has no such request.
    mutating func cancelAll(_ instrument: InstrumentId, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest

    /// Lists the open orders of the instrument.
    mutating func openOrders(_ instrument: InstrumentId, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest

    /// Reads the venue's answer to a request: a WebSocket order API message, or a REST response body.
    /// - Throws: `DecodeError` for a message that is not what the venue sends.
    func decodeReply(_ message: UnsafeRawBufferPointer, _ context: ReplyContext) throws(DecodeError) -> OrderReply

    /// Reads a user-stream message (order and execution updates): `update` is called once per order or fill in
    /// it. - Returns: How many updates; 0 for a message of the stream that carries none (an ack, a heartbeat).
    /// - Throws: `DecodeError` for a message that is not what the venue sends.
    func decodeUserStream(_ message: UnsafeRawBufferPointer, _ update: (OrderUpdate) -> Void) throws(DecodeError) -> Int

    /// Asks for the trades (fills) of one order from the venue's trade history: by our client order id, or by the
    /// venue's order id in `order.venueOrderId` where the venue lists trades only by it (Binance, OKX, Kraken,
    /// Coinbase). The request's `kind` is `.trades` and it names the order's instrument.
    /// - Throws: `OrderEncodeError` (`.invalid` without a venue order id the venue needs, an unknown instrument).
    mutating func trades(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest

    /// Reads a trade-history answer: `update` is called once per trade, as a fill (status `.partiallyFilled`, the
    /// trade's price, `lastQuantity` its quantity, its fee as `decodeUserStream` reads fees, `tradeId` hashed as
    /// the user stream hashes it, so a trade seen on both has one id; the client order id from the answer, else
    /// from the request in `context`). `cumulativeQuantity` is 0: a trade says nothing of the order's total.
    /// - Returns: How many trades (0 for an order without trades, or for an answer that lists trade ids only, which
    ///   `tradesFollowUp` turns into the request for their fills).
    /// - Throws: `DecodeError.venue` for the venue's refusal (its code and message), `DecodeError` for a message
    ///   that is not what the venue sends.
    func decodeTrades(_ message: UnsafeRawBufferPointer, _ context: ReplyContext, _ update: (OrderUpdate) -> Void) throws(DecodeError) -> Int

    /// The second request of a venue whose trade history takes two (Kraken: QueryOrders names the order's trade
    /// ids, QueryTrades gives their fills), from the first answer; nil when `decodeTrades` read the fills already
    /// (every other venue, and an order without trades).
    /// - Throws: `OrderEncodeError.answer` for a first answer that cannot be read, other `OrderEncodeError`s as
    ///   `trades` does.
    mutating func tradesFollowUp(_ answer: UnsafeRawBufferPointer, _ context: ReplyContext, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest?

    /// As `decodeUserStream(_:_:)`, handing with each update the venue's order id as the message writes it (bytes
    /// of `message`; empty where the decoder does not keep it): what Kraken's queries and Coinbase's cancels and
    /// queries name an order by, when its answer never came.
    func decodeUserStream(_ message: UnsafeRawBufferPointer, naming update: (OrderUpdate, UnsafeRawBufferPointer) -> Void) throws(DecodeError) -> Int
}

extension OrderEntryCodec {
    /// One request lists the trades: no follow-up.
    public mutating func tradesFollowUp(_ answer: UnsafeRawBufferPointer, _ context: ReplyContext, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest? { nil }

    /// Venues whose requests name orders by our client order id need no more than the updates.
    public func decodeUserStream(_ message: UnsafeRawBufferPointer, naming update: (OrderUpdate, UnsafeRawBufferPointer) -> Void) throws(DecodeError) -> Int {
        try decodeUserStream(message) { update($0, UnsafeRawBufferPointer(start: nil, count: 0)) }
    }
}

/// How an encoded request travels.
public enum OrderTransport: UInt8, Sendable, BitwiseCopyable {
    /// One WebSocket text message on the venue's order connection.
    case webSocket = 1
    /// A whole HTTP/1.1 request on the venue's REST connection.
    case rest = 2
}

/// What a request asks.
public enum OrderRequestKind: UInt8, Sendable, BitwiseCopyable {
    case place = 1, cancel, query, cancelAll, openOrders, login, token
    /// One order's trades from the venue's trade history (`OrderEntryCodec.trades`).
    case trades
    /// The venue's dead-man's switch, armed or refreshed (Kraken `cancel_all_orders_after`, OKX `cancel-all-after`).
    case deadMan
}

/// What an encoder wrote: how to send it and how to match its answer.
@frozen
public struct EncodedRequest: Sendable, BitwiseCopyable, Equatable {
    public var transport: OrderTransport
    public var kind: OrderRequestKind
    /// The id the venue echoes in its WebSocket answer (`id`, `reqId`, `req_id`); 0 for REST.
    public var requestId: UInt64
    public var clientOrderId: ClientOrderId
    /// The instrument a trade-history request is about (`.none` for other requests): its answer may name the pair
    /// otherwise than the configuration (Kraken's "XXBTZUSD").
    public var instrument: InstrumentId

    @inlinable
    public init(
        transport: OrderTransport, kind: OrderRequestKind, requestId: UInt64, clientOrderId: ClientOrderId = ClientOrderId(raw: 0),
        instrument: InstrumentId = .none
    ) {
        self.transport = transport
        self.kind = kind
        self.requestId = requestId
        self.clientOrderId = clientOrderId
        self.instrument = instrument
    }
}

/// A new order as order-send hands it to a codec.
@frozen
public struct OrderRequest: Sendable, BitwiseCopyable {
    public var clientOrderId: ClientOrderId
    public var instrument: InstrumentId
    public var side: Side
    public var orderType: OrderType
    /// IOC or GTC for limit orders (FOK where the venue has it); ignored for market orders.
    public var timeInForce: TimeInForce
    /// At the instrument's price scale; ignored for market orders.
    public var price: Price
    /// At the instrument's quantity scale, in the base asset (market buys too).
    public var quantity: Quantity

    @inlinable
    public init(
        clientOrderId: ClientOrderId, instrument: InstrumentId, side: Side, orderType: OrderType, timeInForce: TimeInForce,
        price: Price, quantity: Quantity
    ) {
        self.clientOrderId = clientOrderId
        self.instrument = instrument
        self.side = side
        self.orderType = orderType
        self.timeInForce = timeInForce
        self.price = price
        self.quantity = quantity
    }

    /// The order risk approved, with the client order id risk gave it.
    @inlinable
    public init(_ decision: RiskDecision) {
        self.init(
            clientOrderId: decision.clientOrderId, instrument: decision.intent.instrument, side: decision.intent.side,
            orderType: decision.intent.orderType, timeInForce: decision.intent.timeInForce, price: decision.intent.price,
            quantity: decision.approvedQuantity)
    }
}

/// An order to cancel or query: our id, and the venue's id where one is needed (Coinbase cancels and queries by
/// the `order_id` its acknowledgement gave).
@frozen
public struct OrderReference: Sendable, BitwiseCopyable {
    public var clientOrderId: ClientOrderId
    public var instrument: InstrumentId
    /// The venue's order id as it sent it (empty if unknown).
    public var venueOrderId: InlineText

    @inlinable
    public init(clientOrderId: ClientOrderId, instrument: InstrumentId, venueOrderId: InlineText = InlineText()) {
        self.clientOrderId = clientOrderId
        self.instrument = instrument
        self.venueOrderId = venueOrderId
    }
}

/// Why a request could not be encoded.
public enum OrderEncodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The instrument is not configured for this venue's codec.
    case unknownInstrument(InstrumentId)
    /// The request did not fit the buffer.
    case bufferTooSmall(capacity: Int)
    /// The venue has no such request (over this transport).
    case unsupported(String)
    /// A value the venue cannot take (a side of `none`, a zero quantity, no token yet).
    case invalid(String)
    /// Signing failed (Coinbase's ES256 key).
    case signing(VenueCryptoError)
    /// An answer a request is made from could not be read (Kraken's QueryOrders before QueryTrades).
    case answer(DecodeError)

    public var description: String {
        switch self {
        case .unknownInstrument(let i): "instrument \(i.raw) is not configured for this venue"
        case .bufferTooSmall(let c): "the order request does not fit \(c) bytes"
        case .unsupported(let what): "not supported: \(what)"
        case .invalid(let why): "invalid order: \(why)"
        case .signing(let e): "signing failed: \(e)"
        case .answer(let e): "the answer to build the request from: \(e)"
        }
    }
}

/// One instrument as a venue's order entry needs it: its symbol, scales and assets (to recognise a fee in the
/// quote or base asset).
@frozen
public struct OrderInstrument: Sendable, BitwiseCopyable {
    public var id: InstrumentId
    /// The venue's symbol in its order API ("BTCUSDT", "BTC-USDT", "BTC/USD", "BTC-USD").
    public var symbol: InlineText
    /// The symbol of the REST fallback where it differs (Kraken's "XBTUSD"); empty: `symbol`.
    public var restSymbol: InlineText
    public var baseAsset: InlineText
    public var quoteAsset: InlineText
    public var priceScale: Int
    public var quantityScale: Int
    /// OKX's numeric `instIdCode` (0: unknown).
    public var code: UInt64

    /// - Traps if a text is longer than `InlineText.capacity` or a scale out of `0...18` (configuration).
    public init(
        id: InstrumentId, symbol: String, baseAsset: String, quoteAsset: String, priceScale: Int, quantityScale: Int,
        restSymbol: String = "", code: UInt64 = 0
    ) {
        precondition((0...FixedPoint.maxScale).contains(priceScale) && (0...FixedPoint.maxScale).contains(quantityScale), "scale out of range")
        precondition(priceScale + quantityScale <= FixedPoint.maxScale, "the notional scale must be at most 18")
        guard let s = InlineText(symbol), let r = InlineText(restSymbol), let b = InlineText(baseAsset), let q = InlineText(quoteAsset) else {
            preconditionFailure("instrument text too long")
        }
        self.id = id
        self.symbol = s
        self.restSymbol = r
        self.baseAsset = b
        self.quoteAsset = q
        self.priceScale = priceScale
        self.quantityScale = quantityScale
        self.code = code
    }

    /// The notional scale (price scale + quantity scale): fees are reported at it.
    @inlinable public var notionalScale: Int { priceScale &+ quantityScale }
}

/// A venue's instruments for order entry, looked up by id (encoding) or by symbol bytes (decoding). A handful
/// per venue: a linear scan, no hashing.
public struct OrderInstruments: Sendable {
    public let all: [OrderInstrument]

    public init(_ instruments: [OrderInstrument]) { all = instruments }

    /// The instrument with `id`. - Throws: `.unknownInstrument`.
    @inlinable
    public func instrument(_ id: InstrumentId) throws(OrderEncodeError) -> OrderInstrument {
        for i in all where i.id == id { return i }
        throw .unknownInstrument(id)
    }

    /// The instrument whose symbol (or REST symbol) is `symbol`, if configured.
    @inlinable
    public func instrument(symbol: UnsafeRawBufferPointer) -> OrderInstrument? {
        for i in all where i.symbol.equals(symbol) || (!i.restSymbol.isEmpty && i.restSymbol.equals(symbol)) { return i }
        return nil
    }
}
