import GantryCore

// Binance spot order entry: the WebSocket API (`wss://ws-api.binance.com:443/ws-api/v3`) and, as fallback, the
// REST API. Facts from developers.binance.com/docs/binance-spot-api-docs:
// - websocket-api/request-format: `{"id","method","params"}`, one request per text frame, params in any order;
// - websocket-api/request-security: SIGNED params carry `apiKey`, `timestamp` (ms) and `signature`, the hex
//   HMAC-SHA256 (secret key as key) of every other param sorted by name as `name=value` joined by `&`;
//   `recvWindow` at most 60000 ms;
// - websocket-api/trading-requests: `order.place` (symbol, side BUY/SELL, type LIMIT/MARKET, timeInForce
//   GTC/IOC/FOK, price, quantity, newClientOrderId, newOrderRespType ACK/RESULT/FULL), `order.cancel` and
//   `order.status` (symbol, origClientOrderId), `openOrders.status`, `openOrders.cancelAll` (symbol),
//   `account.status`;
// - rest-api (SIGNED endpoints): `POST /api/v3/order` with the parameters in the query string, the signature
//   over the query string as sent, the key in the `X-MBX-APIKEY` header; `DELETE`/`GET /api/v3/order`,
//   `GET`/`DELETE /api/v3/openOrders`.

/// Binance's order entry codec: the API key, the signing key derived from the secret, the request id counter.
public struct BinanceOrderEntry: OrderEntryCodec, Sendable {
    public let venue: VenueId
    public let instruments: OrderInstruments
    let apiKey: InlineText
    let key: HMACSHA256Key
    /// WebSocket API (default) or REST.
    public var transport: OrderTransport = .webSocket
    /// `recvWindow` in ms, sent with every signed request.
    public var receiveWindow: UInt64 = 5_000
    /// The REST host (the `Host` header).
    public var restHost: InlineText
    /// `newOrderRespType` of new orders: RESULT tells the order's state after matching (an IOC's fill or expiry).
    public var responseType: StaticString = "RESULT"
    /// The next WebSocket request's `id`.
    public private(set) var nextRequestId: UInt64 = 1

    /// - Parameters:
    ///   - apiKey: The API key (sent with every request); traps if longer than `InlineText.capacity`.
    ///   - secret: The secret key; only the HMAC pad states derived from it are kept.
    public init(venue: VenueId, instruments: OrderInstruments, apiKey: String, secret: VenueSecret, restHost: String = "api.binance.com") {
        self.venue = venue
        self.instruments = instruments
        self.apiKey = InlineText(configured: apiKey, "the API key")
        self.key = HMACSHA256Key(secret)
        self.restHost = InlineText(configured: restHost, "the REST host")
    }

    public mutating func place(_ order: OrderRequest, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let o = try order.validated()
        let i = try instruments.instrument(o.instrument)
        let side = try o.side.text(.upper)
        let style = begin(&buffer, method: "order.place", rest: "POST /api/v3/order")
        // Sorted by name: apiKey, newClientOrderId, newOrderRespType, price, quantity, recvWindow, side, symbol,
        // timeInForce, timestamp, type.
        apiKeyParam(&buffer, style)
        buffer.param("newClientOrderId", style) { $0.clientOrderId(o.clientOrderId) }
        buffer.param("newOrderRespType", style) { $0.text(responseType) }
        if o.orderType == .limit { buffer.param("price", style) { $0.decimal(o.price.raw, scale: i.priceScale) } }
        buffer.param("quantity", style) { $0.decimal(o.quantity.raw, scale: i.quantityScale) }
        buffer.param("recvWindow", style, quoted: false) { $0.unsigned(receiveWindow) }
        buffer.param("side", style) { $0.text(side) }
        buffer.param("symbol", style) { $0.text(i.symbol) }
        if o.orderType == .limit {
            let tif: StaticString = o.timeInForce == .ioc ? "IOC" : o.timeInForce == .fok ? "FOK" : "GTC"
            buffer.param("timeInForce", style) { $0.text(tif) }
        }
        buffer.param("timestamp", style, quoted: false) { $0.unsigned(UInt64(now.raw / 1_000_000)) }
        buffer.param("type", style) { $0.text(o.orderType == .limit ? "LIMIT" : "MARKET") }
        return try end(&buffer, style, kind: .place, o.clientOrderId)
    }

    public mutating func cancel(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        try oneOrder(order, now: now, &buffer, method: "order.cancel", rest: "DELETE /api/v3/order", kind: .cancel)
    }

    public mutating func query(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        try oneOrder(order, now: now, &buffer, method: "order.status", rest: "GET /api/v3/order", kind: .query)
    }

    public mutating func cancelAll(_ instrument: InstrumentId, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        try symbolOnly(instrument, now: now, &buffer, method: "openOrders.cancelAll", rest: "DELETE /api/v3/openOrders", kind: .cancelAll)
    }

    public mutating func openOrders(_ instrument: InstrumentId, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        try symbolOnly(instrument, now: now, &buffer, method: "openOrders.status", rest: "GET /api/v3/openOrders", kind: .openOrders)
    }

    /// `account.status` (WebSocket API, USER_DATA): balances and commission rates.
    public mutating func accountStatus(now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let style = begin(&buffer, method: "account.status", rest: "GET /api/v3/account")
        auth(&buffer, style, now: now) { _ in }
        return try end(&buffer, style, kind: .query, ClientOrderId(raw: 0))
    }

    /// `userDataStream.subscribe.signature` (WebSocket API, USER_DATA): this connection receives the account's
    /// user data stream (`executionReport` and `outboundAccountPosition` events) from now on.
    public mutating func userDataSubscribe(now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        guard transport == .webSocket else { throw .unsupported("the user data stream subscription is a WebSocket API request") }
        let style = begin(&buffer, method: "userDataStream.subscribe.signature", rest: "")
        auth(&buffer, style, now: now) { _ in }
        return try end(&buffer, style, kind: .login, ClientOrderId(raw: 0))
    }

    // MARK: - Writing

    /// The request's start; REST requests keep the route for `end` in the request area's first bytes until then.
    mutating func begin(_ buffer: inout OrderRequestBuffer, method: StaticString, rest route: StaticString) -> ParamStyle {
        buffer.begin()
        if transport == .rest {
            buffer.request.text(route)
            return .query
        }
        buffer.request.text("{\"id\":")
        buffer.request.unsigned(nextRequestId)
        buffer.request.text(",\"method\":\"")
        buffer.request.text(method)
        buffer.request.text("\",\"params\":{")
        return .json
    }

    /// `apiKey` among the WebSocket API's params; REST takes the key in its header only (an unknown parameter is
    /// refused there, -1104).
    func apiKeyParam(_ buffer: inout OrderRequestBuffer, _ style: ParamStyle) {
        if case .json = style { buffer.param("apiKey", style) { $0.text(apiKey) } }
    }

    /// `apiKey`, what sorts between it and `recvWindow` (`middle`), `recvWindow`, then `symbol` and `timestamp`
    /// around `afterWindow`: the sorted tail every request without an order shares.
    func auth(_ buffer: inout OrderRequestBuffer, _ style: ParamStyle, now: Nanos, symbol: InlineText? = nil, middle: (inout OrderRequestBuffer) -> Void) {
        apiKeyParam(&buffer, style)
        middle(&buffer)
        buffer.param("recvWindow", style, quoted: false) { $0.unsigned(receiveWindow) }
        if let symbol { buffer.param("symbol", style) { $0.text(symbol) } }
        buffer.param("timestamp", style, quoted: false) { $0.unsigned(UInt64(now.raw / 1_000_000)) }
    }

    mutating func oneOrder(
        _ order: OrderReference, now: Nanos, _ buffer: inout OrderRequestBuffer, method: StaticString, rest: StaticString, kind: OrderRequestKind
    ) throws(OrderEncodeError) -> EncodedRequest {
        let i = try instruments.instrument(order.instrument)
        let style = begin(&buffer, method: method, rest: rest)
        auth(&buffer, style, now: now, symbol: i.symbol) { b in b.param("origClientOrderId", style) { $0.clientOrderId(order.clientOrderId) } }
        return try end(&buffer, style, kind: kind, order.clientOrderId)
    }

    mutating func symbolOnly(
        _ instrument: InstrumentId, now: Nanos, _ buffer: inout OrderRequestBuffer, method: StaticString, rest: StaticString, kind: OrderRequestKind
    ) throws(OrderEncodeError) -> EncodedRequest {
        let i = try instruments.instrument(instrument)
        let style = begin(&buffer, method: method, rest: rest)
        auth(&buffer, style, now: now, symbol: i.symbol) { _ in }
        return try end(&buffer, style, kind: kind, ClientOrderId(raw: 0))
    }

    /// Signs the payload and ends the request: `"signature":"…"}}` for the WebSocket API; for REST the whole
    /// HTTP request, its target the route's path with the payload and the signature as query string.
    mutating func end(_ buffer: inout OrderRequestBuffer, _ style: ParamStyle, kind: OrderRequestKind, _ id: ClientOrderId) throws(OrderEncodeError) -> EncodedRequest {
        if case .json = style {
            buffer.request.text(",\"signature\":\"")
            buffer.request.hexMAC(key, of: buffer.scratch.written)
            buffer.request.text("\"}}")
            try buffer.finish()
            defer { nextRequestId &+= 1 }
            return EncodedRequest(transport: .webSocket, kind: kind, requestId: nextRequestId, clientOrderId: id)
        }
        // The route ("POST /api/v3/order") was written first; the target continues it.
        buffer.request.byte(0x3F)
        buffer.request.bytes(buffer.scratch.written)
        buffer.request.text("&signature=")
        buffer.request.hexMAC(key, of: buffer.scratch.written)
        HTTPRequestBytes.finishRequestLine(&buffer.request, host: restHost)
        HTTPRequestBytes.header(&buffer.request, "X-MBX-APIKEY")
        buffer.request.text(apiKey)
        HTTPRequestBytes.endHeader(&buffer.request)
        HTTPRequestBytes.body(&buffer.request, UnsafeRawBufferPointer(start: nil, count: 0))
        try buffer.finish()
        return EncodedRequest(transport: .rest, kind: kind, requestId: 0, clientOrderId: id)
    }
}
