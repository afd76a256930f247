import GantryCore

// OKX v5 spot order entry: the private WebSocket (`wss://ws.okx.com:8443/ws/v5/private`) and, as fallback and for
// what the WebSocket lacks, REST. Facts from www.okx.com/docs-v5/en:
// - websocket-api login: `{"op":"login","args":[{"apiKey","passphrase","timestamp","sign"}]}`, `timestamp` in Unix
//   seconds, `sign` the base64 HMAC-SHA256 (secret key) of timestamp + "GET" + "/users/self/verify";
// - order-book-trading trade "WS / Place order": `{"id","op":"order","args":[{instIdCode | instId, tdMode, side,
//   ordType, sz, px, clOrdId, tgtCcy}]}`, `id` a string of up to 32 letters and digits; "WS / Cancel order":
//   `op:"cancel-order"` with instId and ordId or clOrdId; ordType `market`, `limit`, `ioc`, `fok`, `post_only`;
//   tdMode `cash` for spot without margin; a spot market order's `sz` is in the quote currency for buys unless
//   `tgtCcy` is `base_ccy`;
// - changelog ("Delist instId request parameter in WS order operation channels", 2025-2026): WS order operations
//   take the integer `instIdCode` (from GET /api/v5/public/instruments); when both are sent `instIdCode` takes
//   precedence and `instId` is ignored. The codec sends `instIdCode` when the instrument has one, and `instId`;
// - REST authentication: headers OK-ACCESS-KEY, OK-ACCESS-SIGN (base64 HMAC-SHA256 of timestamp + METHOD +
//   requestPath (with its query) + body), OK-ACCESS-TIMESTAMP (ISO 8601 UTC with milliseconds),
//   OK-ACCESS-PASSPHRASE; `POST /api/v5/trade/order`, `POST /api/v5/trade/cancel-order`, `GET /api/v5/trade/order`
//   (instId, clOrdId), `GET /api/v5/trade/orders-pending` (instType, instId). OKX has no cancel-all for spot;
//   `POST /api/v5/trade/cancel-all-after` (`timeOut` 0 or [10, 120] seconds, a string) is its dead-man's switch.

/// OKX's order entry codec: the API key, passphrase and signing key, the request id counter.
public struct OKXOrderEntry: OrderEntryCodec, Sendable {
    public let venue: VenueId
    public let instruments: OrderInstruments
    let apiKey: InlineText
    let passphrase: InlineText
    let key: HMACSHA256Key
    /// WebSocket (default) or REST for new orders and cancels; queries always go by REST.
    public var transport: OrderTransport = .webSocket
    public var restHost: InlineText
    public private(set) var nextRequestId: UInt64 = 1

    /// - Parameters:
    ///   - passphrase: The passphrase chosen with the key (sent in the login and REST headers, as OKX requires).
    public init(venue: VenueId, instruments: OrderInstruments, apiKey: String, secret: VenueSecret, passphrase: String, restHost: String = "www.okx.com") {
        self.venue = venue
        self.instruments = instruments
        self.apiKey = InlineText(configured: apiKey, "the API key")
        self.passphrase = InlineText(configured: passphrase, "the passphrase")
        self.key = HMACSHA256Key(secret)
        self.restHost = InlineText(configured: restHost, "the REST host")
    }

    /// The private WebSocket's login message.
    public func login(now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        buffer.begin()
        buffer.scratch.unsigned(UInt64(now.raw / 1_000_000_000))
        let seconds = buffer.scratch.count
        buffer.scratch.text("GET/users/self/verify")
        buffer.request.text("{\"op\":\"login\",\"args\":[{\"apiKey\":\"")
        buffer.request.text(apiKey)
        buffer.request.text("\",\"passphrase\":\"")
        buffer.request.text(passphrase)
        buffer.request.text("\",\"timestamp\":\"")
        buffer.request.bytes(UnsafeRawBufferPointer(rebasing: buffer.scratch.written[0..<seconds]))
        buffer.request.text("\",\"sign\":\"")
        buffer.request.base64MAC(key, of: buffer.scratch.written)
        buffer.request.text("\"}]}")
        try buffer.finish()
        return EncodedRequest(transport: .webSocket, kind: .login, requestId: 0)
    }

    public mutating func place(_ order: OrderRequest, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let o = try order.validated()
        let i = try instruments.instrument(o.instrument)
        let side = try o.side.text(.lower)
        let ordType: StaticString = o.orderType == .market ? "market" : o.timeInForce == .ioc ? "ioc" : o.timeInForce == .fok ? "fok" : "limit"
        func fields(_ w: inout ByteWriter, code: Bool) {
            Self.instrument(i, &w, code: code)
            w.text("\",\"tdMode\":\"cash\",\"side\":\"")
            w.text(side)
            w.text("\",\"ordType\":\"")
            w.text(ordType)
            w.text("\",\"sz\":\"")
            w.decimal(o.quantity.raw, scale: i.quantityScale)
            if o.orderType == .limit {
                w.text("\",\"px\":\"")
                w.decimal(o.price.raw, scale: i.priceScale)
            } else if o.side == .buy {
                // A market buy's size is in the base asset, as every order of ours.
                w.text("\",\"tgtCcy\":\"base_ccy")
            }
            w.text("\",\"clOrdId\":\"")
            w.clientOrderId(o.clientOrderId)
            w.byte(0x22)
        }
        if transport == .rest {
            return try rest(&buffer, method: "POST", now: now, kind: .place, o.clientOrderId, target: { $0.text("/api/v5/trade/order") }) { w in
                w.byte(0x7B)
                fields(&w, code: false)
                w.byte(0x7D)
            }
        }
        return try webSocket(&buffer, op: "order", kind: .place, o.clientOrderId) { fields(&$0, code: true) }
    }

    public mutating func cancel(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let i = try instruments.instrument(order.instrument)
        func fields(_ w: inout ByteWriter, code: Bool) {
            Self.instrument(i, &w, code: code)
            w.text("\",\"clOrdId\":\"")
            w.clientOrderId(order.clientOrderId)
            w.byte(0x22)
        }
        if transport == .rest {
            return try rest(&buffer, method: "POST", now: now, kind: .cancel, order.clientOrderId, target: { $0.text("/api/v5/trade/cancel-order") }) { w in
                w.byte(0x7B)
                fields(&w, code: false)
                w.byte(0x7D)
            }
        }
        return try webSocket(&buffer, op: "cancel-order", kind: .cancel, order.clientOrderId) { fields(&$0, code: true) }
    }

    /// `GET /api/v5/trade/order?instId=…&clOrdId=…` (REST only).
    public mutating func query(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let i = try instruments.instrument(order.instrument)
        return try rest(&buffer, method: "GET", now: now, kind: .query, order.clientOrderId, target: { w in
            w.text("/api/v5/trade/order?instId=")
            w.text(i.symbol)
            w.text("&clOrdId=")
            w.clientOrderId(order.clientOrderId)
        }) { _ in }
    }

    /// `GET /api/v5/account/balance` (REST only): every currency's equity, available and frozen balance.
    public mutating func accountBalance(now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        try rest(&buffer, method: "GET", now: now, kind: .query, ClientOrderId(raw: 0), target: { w in w.text("/api/v5/account/balance") }) { _ in }
    }

    /// OKX has no cancel-all for spot orders (its mass cancel is for options).
    public mutating func cancelAll(_ instrument: InstrumentId, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        throw .unsupported("OKX has no cancel-all for spot orders; cancel each open order")
    }

    /// `POST /api/v5/trade/cancel-all-after` with `{"timeOut":"<seconds>"}` (order-book-trading trade "Cancel All
    /// After"): OKX's dead-man's switch. OKX cancels every open order `seconds` after the last such request; 0
    /// disables it. OKX takes 0 or 10 to 120 seconds and answers `data:[{"triggerTime","tag","ts"}]`; the venue
    /// judges the range (a refusal is its answer).
    /// - Throws: `.invalid` for a negative timeout.
    public mutating func cancelAllAfter(timeout seconds: Int, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        guard seconds >= 0 else { throw .invalid("cancel-all-after timeOut \(seconds) s is negative") }
        return try rest(&buffer, method: "POST", now: now, kind: .deadMan, ClientOrderId(raw: 0), target: { $0.text("/api/v5/trade/cancel-all-after") }) { w in
            w.text("{\"timeOut\":\"")
            w.unsigned(UInt64(seconds))
            w.text("\"}")
        }
    }

    /// `POST /api/v5/trade/cancel-batch-orders` (order-book-trading trade "Cancel multiple orders"): a JSON array of
    /// at most 20 `{instId, ordId}`, each answered in `data` with its `sCode` (REST; OKX's way to cancel every open
    /// spot order, after `openOrders` listed them).
    /// - Throws: `.invalid` for no order or more than 20.
    public mutating func cancelBatch(_ orders: [(instrument: InstrumentId, ordId: InlineText)], now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        guard (1...20).contains(orders.count) else { throw .invalid("cancel-batch-orders takes 1 to 20 orders, got \(orders.count)") }
        var symbols: [OrderInstrument] = []
        for o in orders { symbols.append(try instruments.instrument(o.instrument)) }
        return try rest(&buffer, method: "POST", now: now, kind: .cancelAll, ClientOrderId(raw: 0), target: { $0.text("/api/v5/trade/cancel-batch-orders") }) { w in
            w.byte(0x5B)
            for (k, o) in orders.enumerated() {
                if k > 0 { w.byte(0x2C) }
                w.text("{\"instId\":\"")
                w.text(symbols[k].symbol)
                w.text("\",\"ordId\":\"")
                w.text(o.ordId)
                w.text("\"}")
            }
            w.byte(0x5D)
        }
    }

    /// `GET /api/v5/trade/orders-pending?instType=SPOT&instId=…` (REST only).
    public mutating func openOrders(_ instrument: InstrumentId, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let i = try instruments.instrument(instrument)
        return try rest(&buffer, method: "GET", now: now, kind: .openOrders, ClientOrderId(raw: 0), target: { w in
            w.text("/api/v5/trade/orders-pending?instType=SPOT&instId=")
            w.text(i.symbol)
        }) { _ in }
    }

    // MARK: - Writing

    /// `"instIdCode":…,"instId":"…` (the code for WebSocket order operations when known; REST takes `instId`).
    static func instrument(_ i: OrderInstrument, _ w: inout ByteWriter, code: Bool) {
        if code && i.code != 0 {
            w.text("\"instIdCode\":")
            w.unsigned(i.code)
            w.byte(0x2C)
        }
        w.text("\"instId\":\"")
        w.text(i.symbol)
    }

    mutating func webSocket(
        _ buffer: inout OrderRequestBuffer, op: StaticString, kind: OrderRequestKind, _ id: ClientOrderId, _ fields: (inout ByteWriter) -> Void
    ) throws(OrderEncodeError) -> EncodedRequest {
        buffer.begin()
        buffer.request.text("{\"id\":\"")
        buffer.request.unsigned(nextRequestId)
        buffer.request.text("\",\"op\":\"")
        buffer.request.text(op)
        buffer.request.text("\",\"args\":[{")
        fields(&buffer.request)
        buffer.request.text("}]}")
        try buffer.finish()
        defer { nextRequestId &+= 1 }
        return EncodedRequest(transport: .webSocket, kind: kind, requestId: nextRequestId, clientOrderId: id)
    }

    /// A signed REST request: the target and body are written to scratch, signed with the timestamp and method,
    /// then the request is written around them.
    func rest(
        _ buffer: inout OrderRequestBuffer, method: StaticString, now: Nanos, kind: OrderRequestKind, _ id: ClientOrderId,
        target: (inout ByteWriter) -> Void, body: (inout ByteWriter) -> Void
    ) throws(OrderEncodeError) -> EncodedRequest {
        var parts = RESTParts(&buffer)
        target(&buffer.scratch)
        parts.endTarget(buffer)
        body(&buffer.scratch)
        var stamp: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &stamp) { raw in
            var t = ByteWriter.over(raw)
            WallTimeText.writeISOMilliseconds(now, to: &t)
            var mac = key.start()
            mac.update(t.written)
            mac.update(UnsafeRawBufferPointer(start: method.utf8Start, count: method.utf8CodeUnitCount))
            mac.update(parts.target(buffer))
            mac.update(parts.body(buffer))
            HTTPRequestBytes.start(&buffer.request, method: method)
            buffer.request.bytes(parts.target(buffer))
            HTTPRequestBytes.finishRequestLine(&buffer.request, host: restHost)
            HTTPRequestBytes.header(&buffer.request, "OK-ACCESS-KEY")
            buffer.request.text(apiKey)
            HTTPRequestBytes.endHeader(&buffer.request)
            HTTPRequestBytes.header(&buffer.request, "OK-ACCESS-SIGN")
            var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &digest) { d in
                mac.finish(into: d.baseAddress!)
                buffer.request.base64(UnsafeRawBufferPointer(d))
            }
            HTTPRequestBytes.endHeader(&buffer.request)
            HTTPRequestBytes.header(&buffer.request, "OK-ACCESS-TIMESTAMP")
            buffer.request.bytes(t.written)
            HTTPRequestBytes.endHeader(&buffer.request)
            HTTPRequestBytes.header(&buffer.request, "OK-ACCESS-PASSPHRASE")
            buffer.request.text(passphrase)
            HTTPRequestBytes.endHeader(&buffer.request)
            buffer.request.text("Content-Type: application/json\r\n")
            HTTPRequestBytes.body(&buffer.request, parts.body(buffer))
        }
        try buffer.finish()
        return EncodedRequest(transport: .rest, kind: kind, requestId: 0, clientOrderId: id)
    }
}
