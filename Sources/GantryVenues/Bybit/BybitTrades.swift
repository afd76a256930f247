import GantryCore

// Bybit's trade history of one order. Facts from bybit-exchange.github.io/docs/v5/order/execution ("Get Trade
// History"): `GET /v5/execution/list`, signed as every GET (the query string), query category (spot), symbol,
// orderId, orderLinkId (orderId and orderLinkId take precedence over symbol), startTime, endTime, execType,
// limit ([1, 100], default 50), cursor; answered `{"retCode","retMsg","result":{"nextPageCursor","category",
// "list":[{symbol, orderId, orderLinkId, side, orderPrice, orderQty, leavesQty, orderType, execFee, execId,
// execPrice, execQty, execType, execValue, execTime, feeCurrency, isMaker, feeRate, …}]},"retExtInfo","time"}`,
// sorted by execTime descending; an order without executions lists none. The items are the `execution` topic's,
// read by the same reader, so `execId` and the fee come out as the user stream has them.

extension BybitOrderEntry {
    /// `GET /v5/execution/list?category=spot&symbol=…&orderId=…` (by `orderLinkId` when the venue's id is not
    /// known) (REST).
    public mutating func trades(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let i = try instruments.instrument(order.instrument)
        var request = try rest(&buffer, post: false, now: now, kind: .trades, order.clientOrderId, path: "/v5/execution/list") { w in
            w.text("category=spot&symbol=")
            w.text(i.symbol)
            if order.venueOrderId.isEmpty {
                w.text("&orderLinkId=")
                w.clientOrderId(order.clientOrderId)
            } else {
                w.text("&orderId=")
                w.text(order.venueOrderId)
            }
        }
        request.instrument = i.id
        return request
    }

    /// Reads an execution list. - Throws: `DecodeError.venue` for a `retCode` other than 0.
    public func decodeTrades(_ message: UnsafeRawBufferPointer, _ context: ReplyContext, _ update: (OrderUpdate) -> Void) throws(DecodeError) -> Int {
        var code: Int64 = 0
        var msg: UnsafeRawBufferPointer? = nil
        var listStart = -1
        var c = JSONCursor(message)
        try c.object { key, next, s throws(DecodeError) in
            if key.equals("retCode") {
                code = try s.integerText("retCode")
            } else if key.equals("retMsg") {
                msg = try s.scalarText()
            } else if key.equals("result") && next == 0x7B {
                try s.object { k, n, s throws(DecodeError) in
                    if k.equals("list") && n == 0x5B {
                        listStart = s.offset
                    }
                    try s.skipValue()
                }
            } else {
                try s.skipValue()
            }
        }
        try c.expectEnd()
        if code != 0 || context.httpStatus >= 400 { throw context.refusal(code: code, message: msg) }
        guard listStart >= 0 else { throw .missingField("list") }
        var l = JSONCursor(message, at: listStart)
        var count = 0
        try l.array { s throws(DecodeError) in
            let f = try Self.order(&s)
            update(try f.trade(venue: venue, instruments: instruments, context, defaultFeeAsset: .other))
            count += 1
        }
        return count
    }
}
