import GantryCore

// Coinbase Advanced Trade order entry, REST only (it has no WebSocket order API). Facts from
// docs.cdp.coinbase.com/advanced-trade/reference:
// - retailbrokerageapi_postorder (`POST /api/v3/brokerage/orders`): client_order_id, product_id, side BUY/SELL,
//   order_configuration with one of `market_market_ioc` {base_size | quote_size}, `limit_limit_gtc` {base_size,
//   limit_price, post_only}, `sor_limit_ioc` {base_size, limit_price} (the limit IOC order), `limit_limit_fok`;
// - retailbrokerageapi_cancelorders (`POST /api/v3/brokerage/orders/batch_cancel`): `order_ids`, the venue's ids;
// - retailbrokerageapi_gethistoricalorder (`GET /api/v3/brokerage/orders/historical/{order_id}`) and
//   retailbrokerageapi_gethistoricalorders (`…/historical/batch`, product_ids, order_status);
// - accounts/list-accounts (`GET /api/v3/brokerage/accounts`, RetailBrokerageApi_GetAccounts): `limit` (default 49,
//   at most 250) and `cursor`; answered `{"accounts":[{currency, available_balance{value,currency}, hold{value,
//   currency}, …}],"has_next","cursor","size"}`, the next page fetched with the answer's `cursor` while `has_next`;
// - authentication (coinbase-app/authentication-authorization/api-key-authentication): `Authorization: Bearer`
//   and a JWT signed ES256 per request whose `uri` claim is "<METHOD> <host><path>" (`CoinbaseJWT`).
// The JWT is made and signed per request with OpenSSL's ECDSA, which allocates: the Coinbase path is not
// allocation-free, and its benchmark reports that as measured.

/// Coinbase's order entry codec: the CDP key's name and private key.
public struct CoinbaseOrderEntry: OrderEntryCodec, @unchecked Sendable {
    // @unchecked Sendable: `ES256Key` is an immutable OpenSSL key that OpenSSL lets several threads sign with (see
    // its own declaration); everything else here is a value.
    public let venue: VenueId
    public let instruments: OrderInstruments
    let keyName: String
    let key: ES256Key
    /// The REST host (the `Host` header and the JWT's `uri`).
    public var restHost: InlineText
    /// Always REST.
    public var transport: OrderTransport { .rest }

    /// - Parameters:
    ///   - keyName: The CDP key's name ("organizations/{org_id}/apiKeys/{key_id}").
    ///   - key: Its P-256 private key.
    public init(venue: VenueId, instruments: OrderInstruments, keyName: String, key: ES256Key, restHost: String = "api.coinbase.com") {
        self.venue = venue
        self.instruments = instruments
        self.keyName = keyName
        self.key = key
        self.restHost = InlineText(configured: restHost, "the REST host")
    }

    public mutating func place(_ order: OrderRequest, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let o = try order.validated()
        let i = try instruments.instrument(o.instrument)
        let side = try o.side.text(.upper)
        return try request(&buffer, method: "POST", path: "/api/v3/brokerage/orders", now: now, kind: .place, o.clientOrderId) { w in
            w.text("{\"client_order_id\":\"")
            w.clientOrderId(o.clientOrderId)
            w.text("\",\"product_id\":\"")
            w.text(i.symbol)
            w.text("\",\"side\":\"")
            w.text(side)
            if o.orderType == .market {
                w.text("\",\"order_configuration\":{\"market_market_ioc\":{\"base_size\":\"")
                w.decimal(o.quantity.raw, scale: i.quantityScale)
                w.text("\"}}}")
                return
            }
            switch o.timeInForce {
            case .ioc: w.text("\",\"order_configuration\":{\"sor_limit_ioc\":{\"base_size\":\"")
            case .fok: w.text("\",\"order_configuration\":{\"limit_limit_fok\":{\"base_size\":\"")
            case .gtc: w.text("\",\"order_configuration\":{\"limit_limit_gtc\":{\"base_size\":\"")
            }
            w.decimal(o.quantity.raw, scale: i.quantityScale)
            w.text("\",\"limit_price\":\"")
            w.decimal(o.price.raw, scale: i.priceScale)
            w.text(o.timeInForce == .gtc ? "\",\"post_only\":false}}}" : "\"}}}")
        }
    }

    /// `batch_cancel` of the order's venue id. - Throws: `.invalid` without it (Coinbase cancels by `order_id`).
    public mutating func cancel(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        guard !order.venueOrderId.isEmpty else { throw .invalid("Coinbase cancels by the order_id its acknowledgement gave") }
        return try request(&buffer, method: "POST", path: "/api/v3/brokerage/orders/batch_cancel", now: now, kind: .cancel, order.clientOrderId) { w in
            w.text("{\"order_ids\":[\"")
            w.text(order.venueOrderId)
            w.text("\"]}")
        }
    }

    /// `GET …/orders/historical/{order_id}`. - Throws: `.invalid` without the venue's order id.
    public mutating func query(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        guard !order.venueOrderId.isEmpty else { throw .invalid("Coinbase queries an order by its order_id") }
        return try request(&buffer, method: "GET", path: "/api/v3/brokerage/orders/historical/", pathTail: order.venueOrderId, now: now, kind: .query, order.clientOrderId) { _ in }
    }

    /// Coinbase has no cancel-all: `batch_cancel` takes the ids of the open orders (`openOrders`).
    public mutating func cancelAll(_ instrument: InstrumentId, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        throw .unsupported("Coinbase has no cancel-all; batch_cancel the open orders by id")
    }

    /// `POST …/orders/batch_cancel` of several orders by their venue ids (`order_ids`): Coinbase's way to cancel
    /// every open order, after `openOrders` listed them. - Throws: `.invalid` for no id.
    public mutating func cancelBatch(_ orderIds: [InlineText], now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        guard !orderIds.isEmpty else { throw .invalid("batch_cancel needs at least one order_id") }
        return try request(&buffer, method: "POST", path: "/api/v3/brokerage/orders/batch_cancel", now: now, kind: .cancelAll, ClientOrderId(raw: 0)) { w in
            w.text("{\"order_ids\":[")
            for (k, id) in orderIds.enumerated() {
                w.text(k == 0 ? "\"" : ",\"")
                w.text(id)
                w.byte(0x22)
            }
            w.text("]}")
        }
    }

    /// `GET …/orders/historical/batch?product_ids=…&order_status=OPEN`.
    public mutating func openOrders(_ instrument: InstrumentId, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let i = try instruments.instrument(instrument)
        return try request(
            &buffer, method: "GET", path: "/api/v3/brokerage/orders/historical/batch", now: now, kind: .openOrders, ClientOrderId(raw: 0),
            query: { w in
                w.text("?product_ids=")
                w.text(i.symbol)
                w.text("&order_status=OPEN")
            }) { _ in }
    }

    /// `GET /api/v3/brokerage/accounts?limit=…[&cursor=…]` (accounts/list-accounts): one page of the accounts, each
    /// currency's `available_balance` and `hold`; `has_next` and `cursor` in the answer lead to the next page. The
    /// cursor is percent-encoded into the query; the JWT's `uri` has no query.
    /// - Parameters:
    ///   - limit: Accounts per page, 1…250 (Coinbase's maximum; its default is 49).
    ///   - cursor: The previous page's `cursor`; empty for the first page.
    /// - Throws: `.invalid` for a limit out of 1…250, `.signing`, `.bufferTooSmall`.
    public func listAccounts(limit: Int = 250, cursor: InlineText = InlineText(), now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        guard (1...250).contains(limit) else { throw .invalid("Coinbase lists 1 to 250 accounts a page") }
        return try request(
            &buffer, method: "GET", path: "/api/v3/brokerage/accounts", now: now, kind: .query, ClientOrderId(raw: 0),
            query: { w in
                w.text("?limit=")
                w.unsigned(UInt64(limit))
                guard !cursor.isEmpty else { return }
                w.text("&cursor=")
                cursor.withBytes { Self.percentEncoded($0, into: &w) }
            }) { _ in }
    }

    /// Writes `text` percent-encoded for a query value (RFC 3986: every byte but the unreserved ones as %XX).
    static func percentEncoded(_ text: UnsafeRawBufferPointer, into w: inout ByteWriter) {
        let digits: StaticString = "0123456789ABCDEF"
        for b in text {
            switch b {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E: w.byte(b)
            default:
                w.byte(0x25)
                w.byte(digits.utf8Start[Int(b >> 4)])
                w.byte(digits.utf8Start[Int(b & 0x0F)])
            }
        }
    }

    /// A WebSocket subscription with a JWT (advanced-trade websocket overview and `user` channel):
    /// `{"type":"subscribe","product_ids":[…every configured product…],"channel":<channel>,"jwt":<JWT>}`; the JWT
    /// has no `uri` claim. `user` streams the account's order updates, `heartbeats` keeps the connection open.
    /// - Throws: `.signing` if the key cannot sign, `.bufferTooSmall`.
    public func subscribe(channel: StaticString, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        buffer.begin()
        let jwt = try token(uri: nil, now: now)
        buffer.request.text("{\"type\":\"subscribe\",\"product_ids\":[")
        for (k, i) in instruments.all.enumerated() {
            buffer.request.text(k == 0 ? "\"" : ",\"")
            buffer.request.text(i.symbol)
            buffer.request.byte(0x22)
        }
        buffer.request.text("],\"channel\":\"")
        buffer.request.text(channel)
        buffer.request.text("\",\"jwt\":\"")
        var token = jwt
        token.withUTF8 { buffer.request.bytes(UnsafeRawBufferPointer($0)) }
        buffer.request.text("\"}")
        try buffer.finish()
        return EncodedRequest(transport: .webSocket, kind: .login, requestId: 0)
    }

    /// A JWT with a fresh random nonce: for a REST request (`uri`) or the WebSocket (nil). - Throws: `.signing`.
    func token(uri: String?, now: Nanos) throws(OrderEncodeError) -> String {
        var nonce = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for k in nonce.indices { nonce[k] = rng.next() }
        do throws(VenueCryptoError) {
            return try CoinbaseJWT.make(keyName: keyName, key: key, uri: uri, now: now.raw / 1_000_000_000, nonce: nonce)
        } catch {
            throw .signing(error)
        }
    }

    /// The request: `method path[tail][query]`, `Authorization: Bearer <JWT>`, and the JSON body `body` writes;
    /// `query` writes the query string ("?…") into the request line.
    func request(
        _ buffer: inout OrderRequestBuffer, method: StaticString, path: StaticString, pathTail: InlineText = InlineText(),
        now: Nanos, kind: OrderRequestKind, _ id: ClientOrderId, query: (inout ByteWriter) -> Void = { _ in }, body: (inout ByteWriter) -> Void
    ) throws(OrderEncodeError) -> EncodedRequest {
        buffer.begin()
        body(&buffer.scratch)
        let jwt = try token(uri: "\(method) \(restHost)\(path)\(pathTail)", now: now)
        HTTPRequestBytes.start(&buffer.request, method: method)
        buffer.request.text(path)
        buffer.request.text(pathTail)
        query(&buffer.request)
        HTTPRequestBytes.finishRequestLine(&buffer.request, host: restHost)
        HTTPRequestBytes.header(&buffer.request, "Authorization")
        buffer.request.text("Bearer ")
        var token = jwt
        token.withUTF8 { buffer.request.bytes(UnsafeRawBufferPointer($0)) }
        HTTPRequestBytes.endHeader(&buffer.request)
        if buffer.scratch.count > 0 { buffer.request.text("Content-Type: application/json\r\n") }
        HTTPRequestBytes.body(&buffer.request, buffer.scratch.written)
        try buffer.finish()
        return EncodedRequest(transport: .rest, kind: kind, requestId: 0, clientOrderId: id)
    }
}
