import GantryCore

// Bybit v5 spot order entry: the trade stream (`wss://stream.bybit.com/v5/trade`) and, as fallback, REST.
// Facts from bybit-exchange.github.io/docs/v5:
// - websocket/trade/guideline: `{"op":"auth","args":[apiKey, expires, signature]}`; order requests
//   `{"reqId","header":{"X-BAPI-TIMESTAMP","X-BAPI-RECV-WINDOW"},"op":"order.create"|"order.cancel","args":[{…}]}`,
//   one order per request, accepted while server time − recv window ≤ timestamp < server time + 1000;
// - ws/connect (authentication): signature = hex HMAC-SHA256 of "GET/realtime" + expires (ms);
// - order/create-order: category `spot`, symbol, side `Buy`/`Sell`, orderType `Limit`/`Market`, qty, price,
//   timeInForce `GTC`/`IOC`/`FOK`/`PostOnly`, orderLinkId; a spot market Buy's qty is in the quote coin unless
//   `marketUnit` is `baseCoin`; order/cancel-order: category, symbol, orderLinkId; order/cancel-all: category,
//   symbol; order/open-order (`GET /v5/order/realtime`): category, symbol, orderLinkId, openOnly;
// - guide (authentication): headers X-BAPI-API-KEY, X-BAPI-TIMESTAMP, X-BAPI-RECV-WINDOW, X-BAPI-SIGN = hex
//   HMAC-SHA256 of timestamp + API key + recv window + (the JSON body for POST | the query string for GET);
// - account/wallet-balance (`GET /v5/account/wallet-balance`): `accountType` required, UNIFIED for the unified
//   trading account; answered `result.list[].coin[]` with each coin's `walletBalance`, `locked` (held by spot
//   orders, part of the wallet balance) and `spotBorrow` (old walletBalance = walletBalance − spotBorrow); coins
//   holding nothing are left out.

/// Bybit's order entry codec: the API key and signing key, the request id counter.
public struct BybitOrderEntry: OrderEntryCodec, Sendable {
    public let venue: VenueId
    public let instruments: OrderInstruments
    let apiKey: InlineText
    let key: HMACSHA256Key
    /// The trade stream (default) or REST for new orders and cancels; queries and cancel-all go by REST.
    public var transport: OrderTransport = .webSocket
    public var receiveWindow: UInt64 = 5_000
    public var restHost: InlineText
    public private(set) var nextRequestId: UInt64 = 1

    public init(venue: VenueId, instruments: OrderInstruments, apiKey: String, secret: VenueSecret, restHost: String = "api.bybit.com") {
        self.venue = venue
        self.instruments = instruments
        self.apiKey = InlineText(configured: apiKey, "the API key")
        self.key = HMACSHA256Key(secret)
        self.restHost = InlineText(configured: restHost, "the REST host")
    }

    /// The trade stream's (and private stream's) `auth` message, valid until `expires` (wall clock).
    public func auth(expires: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        buffer.begin()
        buffer.scratch.text("GET/realtime")
        buffer.scratch.unsigned(UInt64(expires.raw / 1_000_000))
        buffer.request.text("{\"op\":\"auth\",\"args\":[\"")
        buffer.request.text(apiKey)
        buffer.request.text("\",")
        buffer.request.unsigned(UInt64(expires.raw / 1_000_000))
        buffer.request.text(",\"")
        buffer.request.hexMAC(key, of: buffer.scratch.written)
        buffer.request.text("\"]}")
        try buffer.finish()
        return EncodedRequest(transport: .webSocket, kind: .login, requestId: 0)
    }

    public mutating func place(_ order: OrderRequest, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let o = try order.validated()
        let i = try instruments.instrument(o.instrument)
        let side = try o.side.text(.title)
        let args: (inout ByteWriter) -> Void = { w in
            w.text("{\"category\":\"spot\",\"symbol\":\"")
            w.text(i.symbol)
            w.text("\",\"side\":\"")
            w.text(side)
            w.text(o.orderType == .limit ? "\",\"orderType\":\"Limit\",\"qty\":\"" : "\",\"orderType\":\"Market\",\"qty\":\"")
            w.decimal(o.quantity.raw, scale: i.quantityScale)
            if o.orderType == .limit {
                w.text("\",\"price\":\"")
                w.decimal(o.price.raw, scale: i.priceScale)
                w.text(o.timeInForce == .ioc ? "\",\"timeInForce\":\"IOC" : o.timeInForce == .fok ? "\",\"timeInForce\":\"FOK" : "\",\"timeInForce\":\"GTC")
            } else if o.side == .buy {
                // A market buy's qty is in the base coin, as every order of ours.
                w.text("\",\"marketUnit\":\"baseCoin")
            }
            w.text("\",\"orderLinkId\":\"")
            w.clientOrderId(o.clientOrderId)
            w.text("\"}")
        }
        if transport == .rest { return try rest(&buffer, post: true, now: now, kind: .place, o.clientOrderId, path: "/v5/order/create", args) }
        return try webSocket(&buffer, op: "order.create", now: now, kind: .place, o.clientOrderId, args)
    }

    public mutating func cancel(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let i = try instruments.instrument(order.instrument)
        let args: (inout ByteWriter) -> Void = { w in
            w.text("{\"category\":\"spot\",\"symbol\":\"")
            w.text(i.symbol)
            w.text("\",\"orderLinkId\":\"")
            w.clientOrderId(order.clientOrderId)
            w.text("\"}")
        }
        if transport == .rest { return try rest(&buffer, post: true, now: now, kind: .cancel, order.clientOrderId, path: "/v5/order/cancel", args) }
        return try webSocket(&buffer, op: "order.cancel", now: now, kind: .cancel, order.clientOrderId, args)
    }

    /// `GET /v5/order/realtime?category=spot&symbol=…&orderLinkId=…` (REST only).
    public mutating func query(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let i = try instruments.instrument(order.instrument)
        return try rest(&buffer, post: false, now: now, kind: .query, order.clientOrderId, path: "/v5/order/realtime") { w in
            w.text("category=spot&symbol=")
            w.text(i.symbol)
            w.text("&orderLinkId=")
            w.clientOrderId(order.clientOrderId)
        }
    }

    /// `POST /v5/order/cancel-all` for the symbol (REST only).
    public mutating func cancelAll(_ instrument: InstrumentId, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let i = try instruments.instrument(instrument)
        return try rest(&buffer, post: true, now: now, kind: .cancelAll, ClientOrderId(raw: 0), path: "/v5/order/cancel-all") { w in
            w.text("{\"category\":\"spot\",\"symbol\":\"")
            w.text(i.symbol)
            w.text("\"}")
        }
    }

    /// `GET /v5/order/realtime?category=spot&symbol=…&openOnly=0`: the open orders (REST only).
    public mutating func openOrders(_ instrument: InstrumentId, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let i = try instruments.instrument(instrument)
        return try rest(&buffer, post: false, now: now, kind: .openOrders, ClientOrderId(raw: 0), path: "/v5/order/realtime") { w in
            w.text("category=spot&symbol=")
            w.text(i.symbol)
            w.text("&openOnly=0")
        }
    }

    /// `GET /v5/account/wallet-balance?accountType=UNIFIED` (REST): each coin's wallet balance in the unified
    /// trading account, the query string signed.
    public func walletBalance(now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        try rest(&buffer, post: false, now: now, kind: .query, ClientOrderId(raw: 0), path: "/v5/account/wallet-balance") { w in w.text("accountType=UNIFIED") }
    }

    // MARK: - Writing

    mutating func webSocket(
        _ buffer: inout OrderRequestBuffer, op: StaticString, now: Nanos, kind: OrderRequestKind, _ id: ClientOrderId, _ args: (inout ByteWriter) -> Void
    ) throws(OrderEncodeError) -> EncodedRequest {
        buffer.begin()
        buffer.request.text("{\"reqId\":\"")
        buffer.request.unsigned(nextRequestId)
        buffer.request.text("\",\"header\":{\"X-BAPI-TIMESTAMP\":\"")
        buffer.request.unsigned(UInt64(now.raw / 1_000_000))
        buffer.request.text("\",\"X-BAPI-RECV-WINDOW\":\"")
        buffer.request.unsigned(receiveWindow)
        buffer.request.text("\"},\"op\":\"")
        buffer.request.text(op)
        buffer.request.text("\",\"args\":[")
        args(&buffer.request)
        buffer.request.text("]}")
        try buffer.finish()
        defer { nextRequestId &+= 1 }
        return EncodedRequest(transport: .webSocket, kind: kind, requestId: nextRequestId, clientOrderId: id)
    }

    /// A signed REST request: `payload` is the JSON body (POST) or the query string (GET).
    func rest(
        _ buffer: inout OrderRequestBuffer, post: Bool, now: Nanos, kind: OrderRequestKind, _ id: ClientOrderId, path: StaticString,
        _ payload: (inout ByteWriter) -> Void
    ) throws(OrderEncodeError) -> EncodedRequest {
        buffer.begin()
        payload(&buffer.scratch)
        let ms = UInt64(now.raw / 1_000_000)
        var stamp: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &stamp) { raw in
            var t = ByteWriter.over(raw)
            t.unsigned(ms)
            let window = t.count
            t.unsigned(receiveWindow)
            let timestamp = UnsafeRawBufferPointer(rebasing: t.written[0..<window])
            var mac = key.start()
            mac.update(timestamp)
            apiKey.withBytes { mac.update($0) }
            mac.update(UnsafeRawBufferPointer(rebasing: t.written[window...]))
            mac.update(buffer.scratch.written)
            HTTPRequestBytes.start(&buffer.request, method: post ? "POST" : "GET")
            buffer.request.text(path)
            if !post {
                buffer.request.byte(0x3F)
                buffer.request.bytes(buffer.scratch.written)
            }
            HTTPRequestBytes.finishRequestLine(&buffer.request, host: restHost)
            HTTPRequestBytes.header(&buffer.request, "X-BAPI-API-KEY")
            buffer.request.text(apiKey)
            HTTPRequestBytes.endHeader(&buffer.request)
            HTTPRequestBytes.header(&buffer.request, "X-BAPI-TIMESTAMP")
            buffer.request.bytes(timestamp)
            HTTPRequestBytes.endHeader(&buffer.request)
            HTTPRequestBytes.header(&buffer.request, "X-BAPI-RECV-WINDOW")
            buffer.request.bytes(UnsafeRawBufferPointer(rebasing: t.written[window...]))
            HTTPRequestBytes.endHeader(&buffer.request)
            HTTPRequestBytes.header(&buffer.request, "X-BAPI-SIGN")
            var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &digest) { d in
                mac.finish(into: d.baseAddress!)
                buffer.request.hex(UnsafeRawBufferPointer(d))
            }
            HTTPRequestBytes.endHeader(&buffer.request)
            if post { buffer.request.text("Content-Type: application/json\r\n") }
            HTTPRequestBytes.body(&buffer.request, post ? buffer.scratch.written : UnsafeRawBufferPointer(start: nil, count: 0))
        }
        try buffer.finish()
        return EncodedRequest(transport: .rest, kind: kind, requestId: 0, clientOrderId: id)
    }
}
