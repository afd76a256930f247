import GantryCore

// Binance's trade history of one order. Facts from developers.binance.com/docs/binance-spot-api-docs:
// - websocket-api/account-requests, "Account trade history (USER_DATA)": method `myTrades`, SIGNED, params
//   symbol (mandatory), orderId (LONG; only that order's trades), startTime, endTime, fromId, limit (default
//   500, max 1000), apiKey, recvWindow, signature, timestamp; weight 5 with orderId; the result is a list of
//   {symbol, id (the trade id), orderId, orderListId, price, qty, quoteQty, commission, commissionAsset, time,
//   isBuyer, isMaker, isBestMatch}. It takes the venue's orderId, not our client order id;
// - rest-api, "Account trade list (USER_DATA)": `GET /api/v3/myTrades` with the same parameters and list;
//   errors `{"code","msg"}` with an HTTP 4xx status. An order without trades (or an unknown orderId) lists none.
// The trade id is the user data stream's `t` (executionReport), so a trade seen on both has one id.

extension BinanceOrderEntry {
    /// `myTrades` (WebSocket API) or `GET /api/v3/myTrades` (REST) of one order, by its orderId.
    /// - Throws: `.invalid` without `order.venueOrderId` (the decimal orderId), `.unknownInstrument`.
    public mutating func trades(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let i = try instruments.instrument(order.instrument)
        guard !order.venueOrderId.isEmpty, order.venueOrderId.withBytes({ b in b.allSatisfy { $0 &- 0x30 < 10 } }) else {
            throw .invalid("Binance's myTrades takes the venue's orderId (decimal)")
        }
        let style = begin(&buffer, method: "myTrades", rest: "GET /api/v3/myTrades")
        // Sorted by name: apiKey, orderId, recvWindow, symbol, timestamp.
        auth(&buffer, style, now: now, symbol: i.symbol) { b in b.param("orderId", style, quoted: false) { $0.text(order.venueOrderId) } }
        var request = try end(&buffer, style, kind: .trades, order.clientOrderId)
        request.instrument = i.id
        return request
    }

    /// Reads a `myTrades` answer: `{"id","status","result":[trades]}` (WebSocket API) or the bare list (REST).
    /// - Throws: `DecodeError.venue` for `{"code","msg"}` (REST) or an `error` member (WebSocket API).
    public func decodeTrades(_ message: UnsafeRawBufferPointer, _ context: ReplyContext, _ update: (OrderUpdate) -> Void) throws(DecodeError) -> Int {
        var c = JSONCursor(message)
        if try c.peek() == 0x5B {
            let n = try list(&c, context, update)
            try c.expectEnd()
            return n
        }
        var id: UInt64 = 0
        var status: Int64 = 0
        var code: Int64? = nil
        var msg: UnsafeRawBufferPointer? = nil
        var resultStart = -1
        try c.object { key, next, s throws(DecodeError) in
            if key.equals("id") {
                id = try Self.requestId(&s)
            } else if key.equals("status") {
                status = try s.integerText("status")
            } else if key.equals("result") && next == 0x5B {
                resultStart = s.offset
                try s.skipValue()
            } else if key.equals("error") && next == 0x7B {
                let (k, m) = try Self.error(&s)
                (code, msg) = (k, m)
            } else if key.equals("code") {
                code = try s.integerText("code")
            } else if key.equals("msg") {
                msg = try s.scalarText()
            } else {
                try s.skipValue()
            }
        }
        try c.expectEnd()
        if let code {
            let http = context.request?.transport == .rest ? context.httpStatus : Int(status)
            throw context.refusal(requestId: id, code: code, httpStatus: http, message: msg)
        }
        guard resultStart >= 0 else { throw .missingField("result") }
        var r = JSONCursor(message, at: resultStart)
        return try list(&r, context, update)
    }

    /// The list of trades at the cursor.
    func list(_ c: inout JSONCursor, _ context: ReplyContext, _ update: (OrderUpdate) -> Void) throws(DecodeError) -> Int {
        var count = 0
        try c.array { s throws(DecodeError) in
            var f = OrderFields()
            try s.object { key, _, s throws(DecodeError) in
                if key.equals("symbol") {
                    f.symbol = try s.scalarText()
                } else if key.equals("id") {
                    let t = try s.integerText("id")
                    f.tradeId = t > 0 ? UInt64(t) : 0
                } else if key.equals("orderId") {
                    f.venueOrderId = try s.scalarText()
                } else if key.equals("price") {
                    f.lastPrice = try s.scalarText()
                } else if key.equals("qty") {
                    f.lastQuantity = try s.scalarText()
                } else if key.equals("commission") {
                    f.fee = try s.scalarText()
                } else if key.equals("commissionAsset") {
                    f.feeAsset = try s.scalarText()
                } else if key.equals("time") {
                    f.eventTime = try s.millisecondsText("time")
                } else if key.equals("isBuyer") {
                    f.side = try s.bool() ? .buy : .sell
                } else if key.equals("isMaker") {
                    f.isTaker = !(try s.bool())
                } else {
                    try s.skipValue()
                }
            }
            update(try f.trade(venue: venue, instruments: instruments, context))
            count += 1
        }
        return count
    }
}
