import GantryCore

// OKX's trade history of one order. Facts from www.okx.com/docs-v5/en, "Get transaction details (last 3 days)":
// `GET /api/v5/trade/fills`, signed as every private REST request, query instType (SPOT), instId, ordId, after/
// before (billId), begin/end, limit (max 100); answered `{"code","msg","data":[{instType, instId, tradeId, ordId,
// clOrdId, billId, subType, tag, fillPx, fillSz, fillIdxPx, fillPnl, …, side, posSide, execType (T taker, M
// maker), feeCcy, fee (negative when charged, positive for a rebate), ts, fillTime, feeRate}]}`, a code other
// than "0" with empty data on failure. OKX has no trade history on its WebSocket. An order without fills (or an
// unknown ordId) lists none. `tradeId` is the orders channel's, hashed alike.

extension OKXOrderEntry {
    /// `GET /api/v5/trade/fills?instType=SPOT&instId=…&ordId=…` (REST).
    /// - Throws: `.invalid` without `order.venueOrderId` (OKX's ordId), `.unknownInstrument`.
    public mutating func trades(_ order: OrderReference, now: Nanos, into buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
        let i = try instruments.instrument(order.instrument)
        guard !order.venueOrderId.isEmpty else { throw .invalid("OKX lists an order's fills by its ordId") }
        var request = try rest(&buffer, method: "GET", now: now, kind: .trades, order.clientOrderId, target: { w in
            w.text("/api/v5/trade/fills?instType=SPOT&instId=")
            w.text(i.symbol)
            w.text("&ordId=")
            w.text(order.venueOrderId)
        }) { _ in }
        request.instrument = i.id
        return request
    }

    /// Reads a fills answer. - Throws: `DecodeError.venue` for a `code` other than "0" (or an HTTP error).
    public func decodeTrades(_ message: UnsafeRawBufferPointer, _ context: ReplyContext, _ update: (OrderUpdate) -> Void) throws(DecodeError) -> Int {
        var code: Int64 = 0
        var msg: UnsafeRawBufferPointer? = nil
        let dataStart = try JSONCursor.memberOffset("data", in: message) { key, s throws(DecodeError) in
            if key.equals("code") {
                code = try s.integerText("code")
            } else if key.equals("msg") {
                msg = try s.scalarText()
            } else {
                try s.skipValue()
            }
        }
        if code != 0 || context.httpStatus >= 400 { throw context.refusal(code: code, message: msg) }
        guard dataStart >= 0 else { throw .missingField("data") }
        var d = JSONCursor(message, at: dataStart)
        var count = 0
        try d.array { s throws(DecodeError) in
            var f = OrderFields()
            try s.object { key, _, s throws(DecodeError) in
                if key.equals("instId") {
                    f.symbol = try s.scalarText()
                } else if key.equals("ordId") {
                    f.venueOrderId = try s.scalarText()
                } else if key.equals("clOrdId") {
                    f.clientOrderId = try s.scalarText()
                } else if key.equals("tradeId") {
                    if let t = try s.scalarText(), !t.isEmpty { f.tradeId = OrderFields.orderIdHash(t) }
                } else if key.equals("side") {
                    f.side = try s.scalarText().map { $0.equals("buy") ? .buy : $0.equals("sell") ? .sell : .none } ?? .none
                } else if key.equals("fillPx") {
                    f.lastPrice = try s.scalarText()
                } else if key.equals("fillSz") {
                    f.lastQuantity = try s.scalarText()
                } else if key.equals("fee") {
                    f.fee = try s.scalarText()
                    f.feeNegated = true
                } else if key.equals("feeCcy") {
                    f.feeAsset = try s.scalarText()
                } else if key.equals("execType") {
                    f.isTaker = !(try s.scalarText()?.equals("M") ?? false)
                } else if key.equals("fillTime") {
                    f.eventTime = try s.millisecondsText("fillTime")
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
