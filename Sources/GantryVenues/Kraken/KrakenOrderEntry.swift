import GantryCore

// Kraken spot order entry: WebSocket v2 (`wss://ws-auth.kraken.com/v2`) and, as fallback and for what it lacks,
// REST. Facts from docs.kraken.com:
// - api-reference/spot-websocket-v2 add_order: `{"method":"add_order","params":{order_type, side, order_qty,
//   symbol ("BTC/USD"), limit_price, time_in_force (gtc, gtd, ioc), cl_ord_id, token},"req_id"}`, quantities and
//   prices as JSON numbers; cancel_order: params `cl_ord_id` (or `order_id`) as a list, and `token`; cancel_all:
//   `token`; the token from REST GetWebSocketsToken;
// - guides/spot-rest-auth: `POST /0/private/<Method>` with a form body holding a strictly increasing `nonce`;
//   headers `API-Key` and `API-Sign` = base64 HMAC-SHA512, keyed with the base64-decoded secret, of the URI path
//   followed by SHA-256(nonce + POST data); AddOrder (pair, type, ordertype, volume, price, timeinforce,
//   cl_ord_id), CancelOrder (txid or cl_ord_id), CancelAll, OpenOrders and ClosedOrders (each filtered by
//   cl_ord_id), QueryOrders (txid), GetWebSocketsToken;
// - api-reference/account-data/get-account-balance: `POST /0/private/Balance` (no field but the nonce) answers
//   `{"error":[],"result":{<asset>: <balance>}}`, every cash balance net of pending withdrawals, by Kraken's asset
//   name (`KrakenAssetNames`).

/// Kraken's order entry codec: the API key, the signing key, the WebSocket token, the request id and the last
/// nonce.
public struct KrakenOrderEntry: OrderEntryCodec, Sendable {
    public let venue: VenueId
    public let instruments: OrderInstruments
    let apiKey: InlineText
    let key: HMACSHA512Key
    /// The WebSocket v2 token (`GetWebSocketsToken`); empty until set.
    public var token = InlineText()
    /// WebSocket v2 (default) or REST for new orders and cancels; queries go by REST.
    public var transport: OrderTransport = .webSocket
    public var restHost: InlineText
    public private(set) var nextRequestId: UInt64 = 1
    /// The last REST nonce (each must be greater).
    public private(set) var lastNonce: UInt64 = 0

    /// - Parameters:
    ///   - secret: The API secret as Kraken gives it, base64-decoded (`VenueSecret(base64:)`).
    public init(venue: VenueId, instruments: OrderInstruments, apiKey: String, secret: VenueSecret, restHost: String = "api.kraken.com") {
        self.venue = venue
        self.instruments = instruments
        self.apiKey = InlineText(configured: apiKey, "the API key")
        self.key = HMACSHA512Key(secret)
        self.restHost = InlineText(configured: restHost, "the REST host")
    }

    /// Sets the WebSocket token from `GetWebSocketsToken`'s answer (`KrakenOrderEntry.token(from:)`).
    public mutating func setToken(_ token: InlineText) { self.token = token }

    public mutating func place(_ order: OrderRequest, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let o = try order.validated()
        let i = try instruments.instrument(o.instrument)
        let side = try o.side.text(.lower)
        if transport == .rest {
            let pair = i.restSymbol.isEmpty ? i.symbol : i.restSymbol
            return try rest(&buffer, now: now, path: "/0/private/AddOrder", kind: .place, o.clientOrderId) { w in
                w.text(o.orderType == .limit ? "&ordertype=limit&type=" : "&ordertype=market&type=")
                w.text(side)
                w.text("&volume=")
                w.decimal(o.quantity.raw, scale: i.quantityScale)
                w.text("&pair=")
                w.text(pair)
                if o.orderType == .limit {
                    w.text("&price=")
                    w.decimal(o.price.raw, scale: i.priceScale)
                    w.text(o.timeInForce == .ioc ? "&timeinforce=IOC" : "&timeinforce=GTC")
                }
                w.text("&cl_ord_id=")
                w.clientOrderId(o.clientOrderId)
            }
        }
        guard !token.isEmpty else { throw .invalid("no WebSocket token yet (GetWebSocketsToken)") }
        return try webSocket(&buffer, method: "add_order", kind: .place, o.clientOrderId) { w in
            w.text(o.orderType == .limit ? "\"order_type\":\"limit\",\"side\":\"" : "\"order_type\":\"market\",\"side\":\"")
            w.text(side)
            w.text("\",\"order_qty\":")
            w.decimal(o.quantity.raw, scale: i.quantityScale)
            w.text(",\"symbol\":\"")
            w.text(i.symbol)
            if o.orderType == .limit {
                w.text("\",\"limit_price\":")
                w.decimal(o.price.raw, scale: i.priceScale)
                w.text(o.timeInForce == .ioc ? ",\"time_in_force\":\"ioc" : ",\"time_in_force\":\"gtc")
            }
            w.text("\",\"cl_ord_id\":\"")
            w.clientOrderId(o.clientOrderId)
            w.byte(0x22)
        }
    }

    public mutating func cancel(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        _ = try instruments.instrument(order.instrument)
        if transport == .rest {
            return try rest(&buffer, now: now, path: "/0/private/CancelOrder", kind: .cancel, order.clientOrderId) { w in
                w.text("&cl_ord_id=")
                w.clientOrderId(order.clientOrderId)
            }
        }
        guard !token.isEmpty else { throw .invalid("no WebSocket token yet (GetWebSocketsToken)") }
        return try webSocket(&buffer, method: "cancel_order", kind: .cancel, order.clientOrderId) { w in
            w.text("\"cl_ord_id\":[\"")
            w.clientOrderId(order.clientOrderId)
            w.text("\"]")
        }
    }

    /// `QueryOrders` by the order's txid (REST; Kraken's WebSocket has no order query, and QueryOrders takes
    /// txids). Without the txid (its answer never came), `OpenOrders` filtered by `cl_ord_id`: an order not open
    /// there is looked for in `ClosedOrders` next (`closedOrderLookup`).
    public mutating func query(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        guard !order.venueOrderId.isEmpty else {
            return try rest(&buffer, now: now, path: "/0/private/OpenOrders", kind: .query, order.clientOrderId) { w in
                w.text("&cl_ord_id=")
                w.clientOrderId(order.clientOrderId)
            }
        }
        return try rest(&buffer, now: now, path: "/0/private/QueryOrders", kind: .query, order.clientOrderId) { w in
            w.text("&txid=")
            w.text(order.venueOrderId)
        }
    }

    /// `ClosedOrders` filtered by `cl_ord_id` (REST): where an order whose txid is not known and that is not open
    /// is found, if Kraken ever had it. Answered as a query.
    public mutating func closedOrderLookup(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        try rest(&buffer, now: now, path: "/0/private/ClosedOrders", kind: .query, order.clientOrderId) { w in
            w.text("&cl_ord_id=")
            w.clientOrderId(order.clientOrderId)
        }
    }

    public mutating func cancelAll(_ instrument: InstrumentId, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        if transport == .rest { return try rest(&buffer, now: now, path: "/0/private/CancelAll", kind: .cancelAll, ClientOrderId(raw: 0)) { _ in } }
        guard !token.isEmpty else { throw .invalid("no WebSocket token yet (GetWebSocketsToken)") }
        return try webSocket(&buffer, method: "cancel_all", kind: .cancelAll, ClientOrderId(raw: 0)) { _ in }
    }

    /// WebSocket v2 `cancel_all_orders_after` (spot-websocket-v2/cancel_after): Kraken's dead-man's switch. Kraken
    /// cancels every open order of the account `seconds` after the last such request; 0 disables it. Kraken takes
    /// fewer than 86,400 seconds and recommends a 60 s timeout refreshed every 15 to 30 s.
    /// - Throws: `.invalid` without a token or for a timeout out of range.
    public mutating func cancelAllAfter(timeout seconds: Int, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        guard (0..<86_400).contains(seconds) else { throw .invalid("cancel_all_orders_after timeout \(seconds) s is not in 0..<86400") }
        guard !token.isEmpty else { throw .invalid("no WebSocket token yet (GetWebSocketsToken)") }
        return try webSocket(&buffer, method: "cancel_all_orders_after", kind: .deadMan, ClientOrderId(raw: 0)) { w in
            w.text("\"timeout\":")
            w.unsigned(UInt64(seconds))
        }
    }

    /// `OpenOrders` (REST): every open order of the account.
    public mutating func openOrders(_ instrument: InstrumentId, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        try rest(&buffer, now: now, path: "/0/private/OpenOrders", kind: .openOrders, ClientOrderId(raw: 0)) { _ in }
    }

    /// WebSocket v2 `subscribe` to the `executions` channel with the token (websocket-v2/executions): the
    /// account's order and fill updates, open orders first as a snapshot. - Throws: `.invalid` without a token.
    public mutating func executionsSubscribe(into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        guard !token.isEmpty else { throw .invalid("no WebSocket token yet (GetWebSocketsToken)") }
        return try webSocket(&buffer, method: "subscribe", kind: .login, ClientOrderId(raw: 0)) { w in w.text("\"channel\":\"executions\"") }
    }

    /// `Balance` (REST): every asset's balance, by Kraken's asset name (`KrakenAssetNames.common` maps them).
    public mutating func accountBalance(now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        try rest(&buffer, now: now, path: "/0/private/Balance", kind: .query, ClientOrderId(raw: 0)) { _ in }
    }

    /// `GetWebSocketsToken` (REST): the token WebSocket v2's private requests carry.
    public mutating func webSocketToken(now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        try rest(&buffer, now: now, path: "/0/private/GetWebSocketsToken", kind: .token, ClientOrderId(raw: 0)) { _ in }
    }

    // MARK: - Writing

    mutating func webSocket(
        _ buffer: inout OrderRequestBuffer, method: StaticString, kind: OrderRequestKind, _ id: ClientOrderId, _ params: (inout ByteWriter) -> Void
    ) throws(OrderEncodeError) -> EncodedRequest {
        buffer.begin()
        buffer.request.text("{\"method\":\"")
        buffer.request.text(method)
        buffer.request.text("\",\"params\":{")
        let before = buffer.request.count
        params(&buffer.request)
        if buffer.request.count > before { buffer.request.byte(0x2C) }
        buffer.request.text("\"token\":\"")
        buffer.request.text(token)
        buffer.request.text("\"},\"req_id\":")
        buffer.request.unsigned(nextRequestId)
        buffer.request.byte(0x7D)
        try buffer.finish()
        defer { nextRequestId &+= 1 }
        return EncodedRequest(transport: .webSocket, kind: kind, requestId: nextRequestId, clientOrderId: id)
    }

    /// A signed private REST call: the body is `nonce=…` and what `fields` adds (each field starting with `&`).
    mutating func rest(
        _ buffer: inout OrderRequestBuffer, now: Nanos, path: StaticString, kind: OrderRequestKind, _ id: ClientOrderId,
        _ fields: (inout ByteWriter) -> Void
    ) throws(OrderEncodeError) -> EncodedRequest {
        let nonce = max(UInt64(now.raw / 1_000_000), lastNonce &+ 1)
        lastNonce = nonce
        buffer.begin()
        buffer.scratch.text("nonce=")
        let nonceStart = buffer.scratch.count
        buffer.scratch.unsigned(nonce)
        let nonceEnd = buffer.scratch.count
        fields(&buffer.scratch)
        let body = buffer.scratch.written
        HTTPRequestBytes.start(&buffer.request, method: "POST")
        buffer.request.text(path)
        HTTPRequestBytes.finishRequestLine(&buffer.request, host: restHost)
        HTTPRequestBytes.header(&buffer.request, "API-Key")
        buffer.request.text(apiKey)
        HTTPRequestBytes.endHeader(&buffer.request)
        HTTPRequestBytes.header(&buffer.request, "API-Sign")
        Self.apiSign(
            key, path: UnsafeRawBufferPointer(start: path.utf8Start, count: path.utf8CodeUnitCount),
            nonce: UnsafeRawBufferPointer(rebasing: body[nonceStart..<nonceEnd]), postData: body, into: &buffer.request)
        HTTPRequestBytes.endHeader(&buffer.request)
        buffer.request.text("Content-Type: application/x-www-form-urlencoded\r\n")
        HTTPRequestBytes.body(&buffer.request, buffer.scratch.written)
        try buffer.finish()
        return EncodedRequest(transport: .rest, kind: kind, requestId: 0, clientOrderId: id)
    }

    /// Writes Kraken's `API-Sign`: base64 HMAC-SHA512 under `key` of `path` followed by SHA-256(`nonce` +
    /// `postData`) (guides/spot-rest-auth).
    public static func apiSign(
        _ key: HMACSHA512Key, path: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, postData: UnsafeRawBufferPointer, into w: inout ByteWriter
    ) {
        var inner = SHA2Hasher<SHA256>()
        inner.update(nonce)
        inner.update(postData)
        var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var signature: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digest) { d in
            inner.finish(into: d.baseAddress!)
            var mac = key.start()
            mac.update(path)
            mac.update(UnsafeRawBufferPointer(d))
            withUnsafeMutableBytes(of: &signature) { mac.finish(into: $0.baseAddress!) }
        }
        withUnsafeBytes(of: signature) { w.base64($0) }
    }
}
