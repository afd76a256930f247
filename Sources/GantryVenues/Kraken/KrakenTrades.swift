import GantryCore

// Kraken's trade history of one order, in the two steps its REST API documents. Facts from docs.kraken.com
// (api-reference, spot REST "Query Orders Info" and "Query Trades Info"):
// - `POST /0/private/QueryOrders` with `txid` (the order's id) and `trades=true` answers the order's info with
//   `trades`, the ids of its trades;
// - `POST /0/private/QueryTrades` with `txid` (up to 20 trade ids, comma-delimited) answers
//   `{"error":[],"result":{"<trade id>":{ordertxid, postxid, pair, time, type, ordertype, price, cost, fee, vol,
//   margin, misc, trade_id, maker, …}}}`, `fee` in the quote currency, `time` in seconds;
// - errors are words in `error` ("EOrder:Invalid order"), so `VenueOrderError.code` is 0.
// The trade id is the key, the trade's txid ("TGBB7L-HT5LX-J3BZ4A"), which WebSocket v2 `executions` sends as a
// trade's `exec_id`: both are hashed alike, so a trade seen on both has one id. `pair` is the REST pair name
// ("XXBTZUSD"): the request's instrument stands where the configuration does not know it.

extension KrakenOrderEntry {
    /// `QueryOrders` of the order with `trades=true` (REST): the first of the two requests; its answer gives
    /// `tradesFollowUp` the trade ids. - Throws: `.invalid` without the order's txid.
    public mutating func trades(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let i = try instruments.instrument(order.instrument)
        guard !order.venueOrderId.isEmpty else { throw .invalid("Kraken finds an order's trades by its txid") }
        var request = try rest(&buffer, now: now, path: "/0/private/QueryOrders", kind: .trades, order.clientOrderId) { w in
            w.text("&txid=")
            w.text(order.venueOrderId)
            w.text("&trades=true")
        }
        request.instrument = i.id
        return request
    }

    /// `QueryTrades` of the trade ids a `QueryOrders` answer lists (at most 20, as Kraken takes); nil when it
    /// lists none (the order has not traded).
    /// - Throws: `.answer` for an answer that is not a QueryOrders answer or is Kraken's error, `.unsupported` for
    ///   more than 20 trades.
    public mutating func tradesFollowUp(_ answer: UnsafeRawBufferPointer, _ context: ReplyContext, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest? {
        var count = 0
        do throws(DecodeError) {
            count = try Self.tradeIds(answer, context) { _ in }
        } catch {
            throw .answer(error)
        }
        guard count > 0 else { return nil }
        guard count <= 20 else { throw .unsupported("QueryTrades takes at most 20 trade ids; this order has \(count)") }
        var failed: DecodeError? = nil
        let request = context.request
        var next = try rest(&buffer, now: now, path: "/0/private/QueryTrades", kind: .trades, request?.clientOrderId ?? ClientOrderId(raw: 0)) { w in
            w.text("&txid=")
            var first = true
            do throws(DecodeError) {
                _ = try Self.tradeIds(answer, context) { id in
                    if !first { w.byte(0x2C) }
                    first = false
                    w.bytes(id)
                }
            } catch {
                failed = error  // not reached: the same walk succeeded above
            }
        }
        if let failed { throw .answer(failed) }
        next.instrument = request?.instrument ?? .none
        return next
    }

    /// Walks a QueryOrders answer, handing out each trade id its orders list. - Returns: how many.
    /// - Throws: `.venue` for Kraken's error, `DecodeError` for another message.
    static func tradeIds(_ answer: UnsafeRawBufferPointer, _ context: ReplyContext, _ id: (UnsafeRawBufferPointer) -> Void) throws(DecodeError) -> Int {
        var count = 0
        try walk(answer, context) { _, s throws(DecodeError) in
            try s.object { k, n, s throws(DecodeError) in
                guard k.equals("trades") && n == 0x5B else { return try s.skipValue() }
                try s.array { s throws(DecodeError) in
                    guard let t = try s.scalarText(), !t.isEmpty else { return }
                    id(t)
                    count += 1
                }
            }
        }
        return count
    }

    /// Walks Kraken's `{"error":[…],"result":{key: object}}`, handing each member of `result` to `member`.
    /// - Throws: `.venue` when `error` lists one.
    static func walk(_ message: UnsafeRawBufferPointer, _ context: ReplyContext, _ member: (UnsafeRawBufferPointer, inout JSONCursor) throws(DecodeError) -> Void) throws(DecodeError) {
        var error: UnsafeRawBufferPointer? = nil
        let resultStart = try JSONCursor.memberOffset("result", in: message) { key, s throws(DecodeError) in
            guard key.equals("error") else { return try s.skipValue() }
            try s.array { s throws(DecodeError) in
                let t = try s.scalarText()
                if error == nil { error = t }
            }
        }
        if let error, !error.isEmpty { throw context.refusal(code: 0, message: error) }
        if context.httpStatus >= 400 { throw context.refusal(code: 0, message: nil) }
        guard resultStart >= 0 else { throw .missingField("result") }
        var r = JSONCursor(message, at: resultStart)
        try r.object { key, _, s throws(DecodeError) in try member(key, &s) }
    }

    /// Reads a QueryTrades answer (each trade a fill); a QueryOrders answer (the first step) has none: 0.
    public func decodeTrades(_ message: UnsafeRawBufferPointer, _ context: ReplyContext, _ update: (OrderUpdate) -> Void) throws(DecodeError) -> Int {
        var count = 0
        try Self.walk(message, context) { key, s throws(DecodeError) in
            var f = OrderFields()
            var isTrade = false
            f.tradeId = OrderFields.textHash(key)
            try s.object { k, _, s throws(DecodeError) in
                if k.equals("ordertxid") {
                    isTrade = true
                    f.venueOrderId = try s.scalarText()
                } else if k.equals("pair") {
                    f.symbol = try s.scalarText()
                } else if k.equals("type") {
                    f.side = try s.scalarText().map { $0.equals("buy") ? .buy : $0.equals("sell") ? .sell : .none } ?? .none
                } else if k.equals("price") {
                    f.lastPrice = try s.scalarText()
                } else if k.equals("vol") {
                    f.lastQuantity = try s.scalarText()
                } else if k.equals("fee") {
                    f.fee = try s.scalarText()
                } else if k.equals("maker") {
                    f.isTaker = !(try s.bool())
                } else if k.equals("time") {
                    if let t = try s.scalarText() { f.eventTime = Nanos(raw: try JSONCursor.parsed(t, scale: 9, "time")) }
                } else {
                    try s.skipValue()
                }
            }
            guard isTrade else { return }
            update(try f.trade(venue: venue, instruments: instruments, context))
            count += 1
        }
        return count
    }
}
