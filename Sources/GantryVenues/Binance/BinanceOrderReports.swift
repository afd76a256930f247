import GantryCore

// Binance's answers and order updates. Facts from developers.binance.com/docs/binance-spot-api-docs:
// - websocket-api/response-format: `{"id","status","result"}` or `{"id","status","error":{"code","msg"}}`, with
//   `rateLimits`; REST errors are `{"code","msg"}` with an HTTP 4xx status;
// - websocket-api/trading-requests: order results (symbol, orderId, clientOrderId, or origClientOrderId for a
//   cancel, transactTime, price, origQty, executedQty, cummulativeQuoteQty, status, timeInForce, type, side);
// - enums: order status NEW, PENDING_NEW, PARTIALLY_FILLED, FILLED, CANCELED, PENDING_CANCEL, REJECTED, EXPIRED,
//   EXPIRED_IN_MATCH;
// - user-data-stream: `executionReport` (s symbol, c client order id, C the original client order id of a cancel,
//   S side, X order status, i order id, l last quantity, z cumulative quantity, L last price, p price, n commission,
//   N commission asset, T transaction time, t trade id (-1 when not a trade), m maker), delivered bare (listen key
//   streams) or as `{"subscriptionId","event"}` (WebSocket API subscriptions).
//
// Fees: `n` in `N`. In the quote asset it is the fee; in the base asset it is valued at the fill price; in another
// asset (BNB) it is kept in `OrderUpdate.nativeFee` and `report.fee` is 0 (see `FeeAsset`).

extension BinanceOrderEntry {
    public func decodeReply(_ message: UnsafeRawBufferPointer, _ context: ReplyContext) throws(DecodeError) -> OrderReply {
        var c = JSONCursor(message)
        if case .rest(let request, let httpStatus) = context {
            if try c.peek() == 0x5B {
                let n = try c.elementCount()
                try c.expectEnd()
                return .done(requestId: 0, kind: request.kind, count: n)
            }
            return try result(&c, requestId: 0, kind: request.kind, httpStatus: httpStatus, clientOrderId: request.clientOrderId, topLevel: true)
        }
        var id: UInt64 = 0
        var status: Int64 = 0
        var reply = OrderReply.other
        var found = false
        var resultStart = -1
        var errorStart = -1
        try c.object { key, _, s throws(DecodeError) in
            if key.equals("id") {
                id = try Self.requestId(&s)
            } else if key.equals("status") {
                status = try s.integerText("status")
            } else if key.equals("result") {
                resultStart = s.offset
                try s.skipValue()
            } else if key.equals("error") {
                errorStart = s.offset
                try s.skipValue()
            } else {
                try s.skipValue()
            }
        }
        try c.expectEnd()
        // The result or error is read again once `id` is known (it may come first).
        if errorStart >= 0 {
            var e = JSONCursor(message, at: errorStart)
            let (code, msg) = try Self.error(&e)
            return .rejected(VenueOrderError(requestId: id, clientOrderId: nil, code: code, httpStatus: Int(status), message: msg))
        }
        if resultStart >= 0 {
            var r = JSONCursor(message, at: resultStart)
            found = true
            if try r.peek() == 0x5B {
                reply = .done(requestId: id, kind: nil, count: try r.elementCount())
            } else {
                reply = try result(&r, requestId: id, kind: nil, httpStatus: 0, clientOrderId: ClientOrderId(raw: 0), topLevel: false)
            }
        }
        return found ? reply : .other
    }

    /// An `id` sent as a number or a string of digits; 0 for another id (not one of ours: ours are numbers).
    static func requestId(_ s: inout JSONCursor) throws(DecodeError) -> UInt64 {
        guard let text = try s.scalarText() else { return 0 }
        return OrderFields.requestId(text)
    }

    /// `{"code":…,"msg":…}`.
    static func error(_ s: inout JSONCursor) throws(DecodeError) -> (Int64, UnsafeRawBufferPointer?) {
        var code: Int64 = 0
        var msg: UnsafeRawBufferPointer? = nil
        try s.object { key, _, s throws(DecodeError) in
            if key.equals("code") {
                code = try s.integerText("code")
            } else if key.equals("msg") {
                msg = try s.scalarText()
            } else {
                try s.skipValue()
            }
        }
        return (code, msg)
    }

    /// An order result (place, cancel, status), or a REST error body (`code`, `msg`).
    func result(
        _ s: inout JSONCursor, requestId: UInt64, kind: OrderRequestKind?, httpStatus: Int, clientOrderId: ClientOrderId, topLevel: Bool
    ) throws(DecodeError) -> OrderReply {
        var f = OrderFields()
        var original: UnsafeRawBufferPointer? = nil
        var code: Int64? = nil
        var msg: UnsafeRawBufferPointer? = nil
        var sawTransact = false
        var orderId: UnsafeRawBufferPointer? = nil
        try s.object { key, _, s throws(DecodeError) in
            if key.equals("symbol") {
                f.symbol = try s.scalarText()
            } else if key.equals("orderId") {
                orderId = try s.scalarText()
            } else if key.equals("clientOrderId") {
                f.clientOrderId = try s.scalarText()
            } else if key.equals("origClientOrderId") {
                original = try s.scalarText()
            } else if key.equals("price") {
                f.price = try s.scalarText()
            } else if key.equals("executedQty") {
                f.cumulativeQuantity = try s.scalarText()
            } else if key.equals("status") {
                f.status = try s.scalarText().map(Self.status)
            } else if key.equals("side") {
                f.side = try s.scalarText().map { $0.equals("BUY") ? .buy : $0.equals("SELL") ? .sell : .none } ?? .none
            } else if key.equals("transactTime") || key.equals("updateTime") {
                sawTransact = sawTransact || key.equals("transactTime")
                f.eventTime = try s.millisecondsText("transactTime")
            } else if key.equals("code") {
                code = try s.integerText("code")
            } else if key.equals("msg") {
                msg = try s.scalarText()
            } else {
                try s.skipValue()
            }
        }
        if topLevel { try s.expectEnd() }
        if code != nil || httpStatus >= 400 {
            return .rejected(
                VenueOrderError(requestId: requestId, clientOrderId: clientOrderId.raw == 0 ? nil : clientOrderId, code: code ?? 0, httpStatus: httpStatus, message: msg))
        }
        guard orderId != nil else { return .done(requestId: requestId, kind: kind, count: 0) }
        if let original, !original.isEmpty { f.clientOrderId = original }
        f.venueOrderId = orderId
        // An ACK result says no status: the order is new.
        if f.status == nil { f.status = .new }
        let update = try f.update(venue: venue, instruments: instruments)
        let guessed: OrderRequestKind = original != nil ? .cancel : sawTransact ? .place : .query
        return .accepted(OrderAck(requestId: requestId, kind: kind ?? guessed, report: update.report, venueOrderId: orderId.map { InlineText(truncating: $0) } ?? InlineText()))
    }

    public func decodeUserStream(_ message: UnsafeRawBufferPointer, _ update: (OrderUpdate) -> Void) throws(DecodeError) -> Int {
        var c = JSONCursor(message)
        var e = ExecutionReportFields()
        try c.object { key, next, s throws(DecodeError) in
            if key.equals("event") && next == 0x7B {
                try s.object { k, _, s throws(DecodeError) in try e.read(k, &s) }
            } else {
                try e.read(key, &s)
            }
        }
        try c.expectEnd()
        guard e.isExecution else { return 0 }
        if let original = e.original, !original.isEmpty { e.f.clientOrderId = original }
        e.f.venueOrderId = e.orderId
        update(try e.f.update(venue: venue, instruments: instruments))
        return 1
    }
}

/// An `executionReport`'s fields as read (the message's own, or inside a subscription's `event`).
struct ExecutionReportFields {
    var f = OrderFields()
    var isExecution = false
    var original: UnsafeRawBufferPointer? = nil
    var orderId: UnsafeRawBufferPointer? = nil

    /// Reads one member (single-letter keys, case-sensitive).
    mutating func read(_ key: UnsafeRawBufferPointer, _ s: inout JSONCursor) throws(DecodeError) {
        guard key.count == 1 else { return try s.skipValue() }
        switch key[0] {
        case UInt8(ascii: "e"): isExecution = try s.scalarText()?.equals("executionReport") ?? false
        case UInt8(ascii: "s"): f.symbol = try s.scalarText()
        case UInt8(ascii: "c"): f.clientOrderId = try s.scalarText()
        case UInt8(ascii: "C"): original = try s.scalarText()
        case UInt8(ascii: "S"): f.side = try s.scalarText().map { $0.equals("BUY") ? .buy : $0.equals("SELL") ? .sell : .none } ?? .none
        case UInt8(ascii: "X"): f.status = try s.scalarText().map(BinanceOrderEntry.status)
        case UInt8(ascii: "i"): orderId = try s.scalarText()
        case UInt8(ascii: "l"): f.lastQuantity = try s.scalarText()
        case UInt8(ascii: "z"): f.cumulativeQuantity = try s.scalarText()
        case UInt8(ascii: "L"): f.lastPrice = try s.scalarText()
        case UInt8(ascii: "p"): f.price = try s.scalarText()
        case UInt8(ascii: "n"): f.fee = try s.scalarText()
        case UInt8(ascii: "N"): f.feeAsset = try s.scalarText()
        case UInt8(ascii: "T"): f.eventTime = try s.millisecondsText("T")
        case UInt8(ascii: "t"):
            let t = try s.integerText("t")
            f.tradeId = t > 0 ? UInt64(t) : 0
        case UInt8(ascii: "m"): f.isTaker = !(try s.bool())
        default: try s.skipValue()
        }
    }
}

extension BinanceOrderEntry {
    /// Binance's order status text as an `OrderStatus`.
    static func status(_ text: UnsafeRawBufferPointer) -> OrderStatus {
        if text.equals("NEW") { return .new }
        if text.equals("PARTIALLY_FILLED") { return .partiallyFilled }
        if text.equals("FILLED") { return .filled }
        if text.equals("CANCELED") { return .canceled }
        if text.equals("PENDING_CANCEL") { return .pendingCancel }
        if text.equals("PENDING_NEW") { return .pendingNew }
        if text.equals("EXPIRED") || text.equals("EXPIRED_IN_MATCH") { return .expired }
        return .rejected
    }
}
