import GantryCore

// Kraken's answers and order updates. Facts from docs.kraken.com:
// - spot-websocket-v2 add_order / cancel_order / cancel_all responses: `{"method","req_id","result":{"order_id",
//   "cl_ord_id"} | {"count"},"success":true,"time_in","time_out"}`, or `{"error":"EOrder:…","method","req_id",
//   "success":false,…}`; cancel_all_orders_after's: `"result":{"currentTime","triggerTime"}` (RFC 3339), read as
//   done (the dead-man's switch armed); Kraken's errors are words ("EOrder:Insufficient funds"), so `VenueOrderError.code` is 0;
// - REST: `{"error":[…],"result":{…}}` (AddOrder's result `{"descr","txid":[…]}`, CancelOrder's `{"count"}`,
//   GetWebSocketsToken's `{"token","expires"}`, QueryOrders' `{txid: OrderInfo}`, OpenOrders' `{"open":{txid:
//   OrderInfo}}`, ClosedOrders' `{"closed":{…},"count"}`); OrderInfo (account-data/query-orders-info): status
//   pending, open, closed, canceled or expired, `vol`, `vol_exec`, `cl_ord_id`, `descr` {pair (the REST altname,
//   "XBTUSD"), type, price}, amounts as strings;
// - spot-websocket-v2 executions: `{"channel":"executions","type":"snapshot"|"update","data":[{order_id, cl_ord_id,
//   symbol, side, order_type, order_qty, limit_price, exec_type, order_status (pending_new, new,
//   partially_filled, filled, canceled, expired), cum_qty, last_qty, last_price, exec_id, trade_id,
//   liquidity_ind (t/m), fees [{asset, qty}], timestamp (RFC 3339)}],"sequence"}`, numbers as JSON numbers.

extension KrakenOrderEntry {
    public func decodeReply(_ message: UnsafeRawBufferPointer, _ context: ReplyContext) throws(DecodeError) -> OrderReply {
        var c = JSONCursor(message)
        var id: UInt64 = 0
        var method: UnsafeRawBufferPointer? = nil
        var error: UnsafeRawBufferPointer? = nil
        var success: Bool? = nil
        var orderId: UnsafeRawBufferPointer? = nil
        var clOrdId: UnsafeRawBufferPointer? = nil
        var count = 0
        var isChannel = false
        var kind = context.restRequest?.kind
        // QueryOrders, OpenOrders or ClosedOrders asked about one order: its OrderInfo, keyed by its txid.
        var info: (txid: UnsafeRawBufferPointer, order: KrakenOrderInfo)? = nil
        try c.object { key, next, s throws(DecodeError) in
            if key.equals("req_id") {
                id = try s.uint64("req_id")
            } else if key.equals("method") {
                method = try s.scalarText()
            } else if key.equals("channel") {
                isChannel = true
                try s.skipValue()
            } else if key.equals("success") {
                success = try s.bool()
            } else if key.equals("error") {
                if next == 0x5B {
                    // REST: a list of error texts; the first says why.
                    try s.array { s throws(DecodeError) in
                        let t = try s.scalarText()
                        if error == nil { error = t }
                    }
                } else {
                    error = try s.scalarText()
                }
            } else if key.equals("result") && next == 0x7B {
                try s.object { k, n, s throws(DecodeError) in
                    if k.equals("order_id") {
                        orderId = try s.scalarText()
                    } else if k.equals("cl_ord_id") {
                        clOrdId = try s.scalarText()
                    } else if k.equals("count") {
                        count = Int(try s.uint64("count"))
                    } else if k.equals("txid") && n == 0x5B {
                        try s.array { s throws(DecodeError) in
                            let t = try s.scalarText()
                            if orderId == nil { orderId = t }
                        }
                    } else if (k.equals("open") || k.equals("closed")) && n == 0x7B {
                        try s.object { txid, _, s throws(DecodeError) in
                            count += 1
                            if kind == .query && info == nil { info = (txid, try KrakenOrderInfo.read(&s)) } else { try s.skipValue() }
                        }
                    } else if kind == .query && n == 0x7B && info == nil {
                        // QueryOrders: {txid: OrderInfo}.
                        count += 1
                        info = (k, try KrakenOrderInfo.read(&s))
                    } else {
                        try s.skipValue()
                    }
                }
            } else {
                try s.skipValue()
            }
        }
        try c.expectEnd()
        if isChannel { return .other }
        let httpStatus = context.restRequest?.httpStatus ?? 0
        let requested = context.restRequest?.clientOrderId
        if kind == nil, let method {
            kind = method.equals("add_order") ? .place : method.equals("cancel_order") ? .cancel : method.equals("cancel_all") ? .cancelAll
                : method.equals("cancel_all_orders_after") ? .deadMan : nil
            // A subscription's answer (the executions channel): done, by its req_id.
            if kind == nil && success == true && (method.equals("subscribe") || method.equals("unsubscribe")) {
                return .done(requestId: id, kind: nil, count: 0)
            }
            if kind == nil && success != false { return .other }
        }
        let cid = clOrdId.flatMap(ClientOrderIdText.parse) ?? requested
        if let error, !error.isEmpty {
            return .rejected(VenueOrderError(requestId: id, clientOrderId: cid, code: 0, httpStatus: httpStatus, message: error))
        }
        if success == false || httpStatus >= 400 {
            return .rejected(VenueOrderError(requestId: id, clientOrderId: cid, code: 0, httpStatus: httpStatus, message: nil))
        }
        if kind == .query, let info {
            let report = try info.order.report(txid: info.txid, venue: venue, instruments: instruments, requested: requested)
            return .accepted(OrderAck(requestId: id, kind: .query, report: report, venueOrderId: InlineText(truncating: info.txid)))
        }
        guard let orderId, !orderId.isEmpty, kind == .place || kind == .cancel else { return .done(requestId: id, kind: kind, count: count) }
        return .accepted(.bare(requestId: id, kind: kind ?? .place, venue: venue, clientOrderId: cid, venueOrderId: orderId))
    }

    /// The token of a `GetWebSocketsToken` answer. - Throws: `.missingField` if it has none (an error answer).
    public static func token(from message: UnsafeRawBufferPointer) throws(DecodeError) -> InlineText {
        var c = JSONCursor(message)
        var token: InlineText? = nil
        try c.object { key, next, s throws(DecodeError) in
            if key.equals("result") && next == 0x7B {
                try s.object { k, _, s throws(DecodeError) in
                    if k.equals("token") { token = try s.scalarText().flatMap(InlineText.init) } else { try s.skipValue() }
                }
            } else {
                try s.skipValue()
            }
        }
        try c.expectEnd()
        guard let token else { throw .missingField("token") }
        return token
    }

    public func decodeUserStream(_ message: UnsafeRawBufferPointer, _ update: (OrderUpdate) -> Void) throws(DecodeError) -> Int {
        try decodeUserStream(message, naming: { u, _ in update(u) })
    }

    /// As `decodeUserStream(_:_:)`, with each update's `order_id` (the txid QueryOrders takes).
    public func decodeUserStream(_ message: UnsafeRawBufferPointer, naming update: (OrderUpdate, UnsafeRawBufferPointer) -> Void) throws(DecodeError) -> Int {
        var isExecutions = false
        let dataStart = try JSONCursor.memberOffset("data", in: message) { key, s throws(DecodeError) in
            if key.equals("channel") { isExecutions = try s.scalarText()?.equals("executions") ?? false } else { try s.skipValue() }
        }
        guard isExecutions, dataStart >= 0 else { return 0 }
        var d = JSONCursor(message, at: dataStart)
        var count = 0
        try d.array { s throws(DecodeError) in
            var f = OrderFields()
            var tradeId: UInt64 = 0
            try s.object { key, next, s throws(DecodeError) in
                if key.equals("symbol") {
                    f.symbol = try s.scalarText()
                } else if key.equals("order_id") {
                    f.venueOrderId = try s.scalarText()
                } else if key.equals("cl_ord_id") {
                    f.clientOrderId = try s.scalarText()
                } else if key.equals("side") {
                    f.side = try s.scalarText().map { $0.equals("buy") ? .buy : $0.equals("sell") ? .sell : .none } ?? .none
                } else if key.equals("limit_price") {
                    f.price = try s.scalarText()
                } else if key.equals("order_status") {
                    f.status = try s.scalarText().map(Self.status)
                } else if key.equals("cum_qty") {
                    f.cumulativeQuantity = try s.scalarText()
                } else if key.equals("last_qty") {
                    f.lastQuantity = try s.scalarText()
                } else if key.equals("last_price") {
                    f.lastPrice = try s.scalarText()
                } else if key.equals("exec_id") {
                    if let t = try s.scalarText(), !t.isEmpty { f.tradeId = OrderFields.textHash(t) }
                } else if key.equals("trade_id") {
                    tradeId = try s.scalarText().map { t throws(DecodeError) in try JSONCursor.unsigned(t, "trade_id") } ?? 0
                } else if key.equals("liquidity_ind") {
                    f.isTaker = !(try s.scalarText()?.equals("m") ?? false)
                } else if key.equals("timestamp") {
                    if let t = try s.scalarText() { f.eventTime = try WallTimeText.parse(t, "timestamp") }
                } else if key.equals("fees") && next == 0x5B {
                    try s.array { s throws(DecodeError) in
                        try s.object { k, _, s throws(DecodeError) in
                            if k.equals("asset") && f.feeAsset == nil {
                                f.feeAsset = try s.scalarText()
                            } else if k.equals("qty") && f.fee == nil {
                                f.fee = try s.scalarText()
                            } else {
                                try s.skipValue()
                            }
                        }
                    }
                } else {
                    try s.skipValue()
                }
            }
            if f.tradeId == 0 { f.tradeId = tradeId }
            update(try f.update(venue: venue, instruments: instruments), f.venueOrderId ?? UnsafeRawBufferPointer(start: nil, count: 0))
            count += 1
        }
        return count
    }

    /// Kraken's `order_status` as an `OrderStatus`.
    static func status(_ text: UnsafeRawBufferPointer) -> OrderStatus {
        if text.equals("new") { return .new }
        if text.equals("pending_new") { return .pendingNew }
        if text.equals("partially_filled") { return .partiallyFilled }
        if text.equals("filled") { return .filled }
        if text.equals("canceled") { return .canceled }
        if text.equals("expired") { return .expired }
        return .rejected
    }
}

/// One OrderInfo of QueryOrders, OpenOrders or ClosedOrders, as read (byte ranges of the answer).
struct KrakenOrderInfo {
    var status: UnsafeRawBufferPointer? = nil
    var volume: UnsafeRawBufferPointer? = nil
    var executed: UnsafeRawBufferPointer? = nil
    var clientOrderId: UnsafeRawBufferPointer? = nil
    var pair: UnsafeRawBufferPointer? = nil
    var side: Side = .none
    var price: UnsafeRawBufferPointer? = nil

    static func read(_ s: inout JSONCursor) throws(DecodeError) -> KrakenOrderInfo {
        var o = KrakenOrderInfo()
        try s.object { key, next, s throws(DecodeError) in
            if key.equals("status") {
                o.status = try s.scalarText()
            } else if key.equals("vol") {
                o.volume = try s.scalarText()
            } else if key.equals("vol_exec") {
                o.executed = try s.scalarText()
            } else if key.equals("cl_ord_id") {
                o.clientOrderId = try s.scalarText()
            } else if key.equals("descr") && next == 0x7B {
                try s.object { k, _, s throws(DecodeError) in
                    if k.equals("pair") {
                        o.pair = try s.scalarText()
                    } else if k.equals("type") {
                        o.side = try s.scalarText().map { $0.equals("buy") ? .buy : $0.equals("sell") ? .sell : .none } ?? .none
                    } else if k.equals("price") {
                        o.price = try s.scalarText()
                    } else {
                        try s.skipValue()
                    }
                }
            } else {
                try s.skipValue()
            }
        }
        return o
    }

    /// The order as a report: `open` is new or partially filled by `vol_exec`; `closed` is filled, or expired when
    /// less than `vol` executed (an IOC's or market order's rest: a GTC closes only when it is filled).
    /// - Throws: `.missingField` for a status or pair not sent, `.unknownSymbol` for a pair not configured.
    func report(txid: UnsafeRawBufferPointer, venue: VenueId, instruments: OrderInstruments, requested: ClientOrderId?) throws(DecodeError) -> OrderReport {
        guard let status else { throw .missingField("status") }
        guard let pair else { throw .missingField("descr.pair") }
        guard let instrument = instruments.instrument(symbol: pair) else { throw .unknownSymbol }
        let qs = instrument.quantityScale
        let executed = try OrderFields.decimal(self.executed, scale: qs, "vol_exec")
        let volume = try OrderFields.decimal(self.volume, scale: qs, "vol")
        let s: OrderStatus
        if status.equals("open") {
            s = executed > 0 ? .partiallyFilled : .new
        } else if status.equals("pending") {
            s = .pendingNew
        } else if status.equals("closed") {
            s = executed >= volume ? .filled : .expired
        } else if status.equals("canceled") {
            s = .canceled
        } else if status.equals("expired") {
            s = .expired
        } else {
            throw .malformed(offset: 0, expected: "an OrderInfo status (pending, open, closed, canceled, expired)")
        }
        return OrderReport(
            status: s, side: side, venue: venue, instrument: instrument.id,
            clientOrderId: clientOrderId.flatMap(ClientOrderIdText.parse) ?? requested ?? ClientOrderId(raw: 0), venueOrderId: OrderFields.orderIdHash(txid),
            price: Price(raw: try OrderFields.decimal(price, scale: instrument.priceScale, "descr.price")), lastQuantity: .zero,
            cumulativeQuantity: Quantity(raw: executed), fee: 0, isTaker: true, eventTime: .zero)
    }
}
