import GantryCore

// Coinbase Advanced Trade's trade history of one order. Facts from docs.cdp.coinbase.com/api-reference/
// advanced-trade-api/rest-api/orders/list-fills ("List Fills", RetailBrokerageApi_GetFills):
// `GET /api/v3/brokerage/orders/historical/fills` with the query parameters order_ids (the order's `order_id`s,
// repeated), trade_ids, product_ids, start/end_sequence_timestamp, limit, cursor, sort_by; answered
// `{"fills":[{entry_id, trade_id, order_id, trade_time, trade_type, price, size, commission, product_id,
// sequence_timestamp, liquidity_indicator (MAKER, TAKER), size_in_quote, user_id, side, retail_portfolio_id}],
// "cursor"}`, `commission` in the quote currency; the JWT's `uri` is the path without the query; errors as the
// other endpoints (401 "Unauthorized", `{"error","message"}`). An order without fills lists none.
//
// Trade ids: Coinbase's user channel has none, only `number_of_fills`, so its decoder makes a fill's id from the
// order id's hash plus that count. A listed fill gets the same: the order id's hash plus its rank among the
// order's fills by `sequence_timestamp` (then `trade_id`), so the k-th fill has the id of the user-channel update
// that reported k fills. The rank is counted in place (each fill compared with every other, no copies): a page
// holds at most a few hundred.

extension CoinbaseOrderEntry {
    /// `GET …/orders/historical/fills?order_ids=<order_id>`. - Throws: `.invalid` without the order's order_id.
    public mutating func trades(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let i = try instruments.instrument(order.instrument)
        guard !order.venueOrderId.isEmpty else {
            throw .invalid("Coinbase lists an order's fills by the order_id its acknowledgement gave")
        }
        var request = try self.request(
            &buffer, method: "GET", path: "/api/v3/brokerage/orders/historical/fills", now: now, kind: .trades, order.clientOrderId,
            query: { w in
                w.text("?order_ids=")
                w.text(order.venueOrderId)
            }) { _ in }
        request.instrument = i.id
        return request
    }

    /// Reads a List Fills answer. - Throws: `DecodeError.venue` for an error answer (401's text, `error`).
    public func decodeTrades(_ message: UnsafeRawBufferPointer, _ context: ReplyContext, _ update: (OrderUpdate) -> Void) throws(DecodeError) -> Int {
        if context.httpStatus >= 400, message.first(where: { $0 > 0x20 }) != 0x7B { throw context.refusal(code: 0, message: message) }
        var error: UnsafeRawBufferPointer? = nil
        let fillsStart = try JSONCursor.memberOffset("fills", in: message) { key, s throws(DecodeError) in
            if key.equals("error") || (key.equals("message") && error == nil) { error = try s.scalarText() } else { try s.skipValue() }
        }
        if error != nil || context.httpStatus >= 400 { throw context.refusal(code: 0, message: error) }
        guard fillsStart >= 0 else { throw .missingField("fills") }
        var fills = JSONCursor(message, at: fillsStart)
        var count = 0
        try fills.array { s throws(DecodeError) in
            var mine = try CoinbaseFill(&s)
            // The fill's rank among the same order's fills.
            var rank: UInt64 = 1
            var others = JSONCursor(message, at: fillsStart)
            try others.array { o throws(DecodeError) in
                let other = try CoinbaseFill(&o)
                if other.orderId.elementsEqual(mine.orderId) && other.precedes(mine) { rank += 1 }
            }
            guard !mine.sizeInQuote else { throw .badNumber(field: "size (in the quote currency)", nil) }
            mine.f.tradeId = OrderFields.textHash(mine.orderId) &+ rank
            update(try mine.f.trade(venue: venue, instruments: instruments, context))
            count += 1
        }
        return count
    }
}

/// One fill of a List Fills answer as read.
struct CoinbaseFill {
    var f = OrderFields()
    var orderId = UnsafeRawBufferPointer(start: nil, count: 0)
    var tradeId = UnsafeRawBufferPointer(start: nil, count: 0)
    var sequence = Nanos.zero
    var sizeInQuote = false

    init(_ s: inout JSONCursor) throws(DecodeError) {
        var time = Nanos.zero
        try s.object { key, _, s throws(DecodeError) in
            if key.equals("order_id") {
                orderId = try s.scalarText() ?? orderId
                f.venueOrderId = orderId
            } else if key.equals("trade_id") {
                tradeId = try s.scalarText() ?? tradeId
            } else if key.equals("product_id") {
                f.symbol = try s.scalarText()
            } else if key.equals("side") {
                f.side = try s.scalarText().map { $0.equals("BUY") ? .buy : $0.equals("SELL") ? .sell : .none } ?? .none
            } else if key.equals("price") {
                f.lastPrice = try s.scalarText()
            } else if key.equals("size") {
                f.lastQuantity = try s.scalarText()
            } else if key.equals("commission") {
                f.fee = try s.scalarText()
            } else if key.equals("liquidity_indicator") {
                f.isTaker = !(try s.scalarText()?.equals("MAKER") ?? false)
            } else if key.equals("size_in_quote") {
                sizeInQuote = try s.bool()
            } else if key.equals("trade_time") {
                if let t = try s.scalarText(), !t.isEmpty { time = try WallTimeText.parse(t, "trade_time") }
            } else if key.equals("sequence_timestamp") {
                if let t = try s.scalarText(), !t.isEmpty { sequence = try WallTimeText.parse(t, "sequence_timestamp") }
            } else {
                try s.skipValue()
            }
        }
        f.eventTime = time
        if sequence == .zero { sequence = time }
    }

    /// Whether this fill comes before `other` in the order's sequence (by sequence timestamp, then trade id).
    func precedes(_ other: CoinbaseFill) -> Bool {
        if sequence != other.sequence { return sequence < other.sequence }
        return tradeId.lexicographicallyPrecedes(other.tradeId)
    }
}
