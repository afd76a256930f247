import GantryCore

// Bybit's answers and order updates. Facts from bybit-exchange.github.io/docs/v5:
// - websocket/trade/guideline responses: `{"reqId","retCode","retMsg","op","data":{"orderId","orderLinkId"},
//   "retExtInfo","header","connId"}`; `retCode` 0 on success, the error code otherwise (v5/error: 10001 params,
//   10004 signature, 170xxx spot order errors); the auth answer `{"retCode","retMsg","op":"auth","connId"}`;
// - ws/connect (the private stream): auth and subscribe answered `{"success","ret_msg","conn_id","req_id"?,"op"}`;
// - REST: `{"retCode","retMsg","result":{…},"retExtInfo","time"}`; order/open-order's result `{"list":[…]}`;
// - websocket/private/order (`order` topic): data[] of orders (symbol, orderId, orderLinkId, side, price,
//   orderStatus New/PartiallyFilled/Filled/Cancelled/Rejected/PartiallyFilledCanceled, cumExecQty, updatedTime);
// - websocket/private/execution (`execution` topic): data[] of fills (symbol, orderId, orderLinkId, side, execId,
//   execPrice, execQty, execFee, feeCurrency, isMaker, orderQty, leavesQty, execTime).
// Fees are read from `execution` only (an `order` update's cumExecFee is cumulative): in `feeCurrency`; where a
// message does not name it the fee is kept as `.other` (see `FeeAsset`) rather than guessed.

extension BybitOrderEntry {
    public func decodeReply(_ message: UnsafeRawBufferPointer, _ context: ReplyContext) throws(DecodeError) -> OrderReply {
        var c = JSONCursor(message)
        var id: UInt64 = 0
        var code: Int64 = 0
        var msg: UnsafeRawBufferPointer? = nil
        var op: UnsafeRawBufferPointer? = nil
        var orderId: UnsafeRawBufferPointer? = nil
        var linkId: UnsafeRawBufferPointer? = nil
        var listed = 0
        var first: OrderFields? = nil
        var success: Bool? = nil
        try c.object { key, next, s throws(DecodeError) in
            if key.equals("reqId") || key.equals("req_id") {
                id = try s.scalarText().map(OrderFields.requestId) ?? 0
            } else if key.equals("retCode") {
                code = try s.integerText("retCode")
            } else if key.equals("retMsg") || key.equals("ret_msg") {
                msg = try s.scalarText()
            } else if key.equals("success") {
                success = try s.bool()
            } else if key.equals("op") {
                op = try s.scalarText()
            } else if (key.equals("data") || key.equals("result")) && next == 0x7B {
                try s.object { key, next, s throws(DecodeError) in
                    if key.equals("orderId") {
                        orderId = try s.scalarText()
                    } else if key.equals("orderLinkId") {
                        linkId = try s.scalarText()
                    } else if key.equals("list") && next == 0x5B {
                        listed = try s.firstElement { s throws(DecodeError) in first = try Self.order(&s) }
                    } else {
                        try s.skipValue()
                    }
                }
            } else {
                try s.skipValue()
            }
        }
        try c.expectEnd()
        var kind = context.restRequest?.kind
        let httpStatus = context.restRequest?.httpStatus ?? 0
        let requested = context.restRequest?.clientOrderId
        if success == false {
            // The private stream refused an auth or a subscription: no code, the reason in ret_msg.
            return .rejected(VenueOrderError(requestId: id, clientOrderId: nil, code: code, message: msg))
        }
        if kind == nil, let op {
            kind = op.equals("order.create") ? .place : op.equals("order.cancel") ? .cancel : op.equals("auth") ? .login : nil
            if kind == nil && success == true && op.equals("subscribe") { return .done(requestId: id, kind: nil, count: 0) }
            if kind == nil && code == 0 { return .other }
        }
        let cid = linkId.flatMap(ClientOrderIdText.parse) ?? requested
        if code != 0 || httpStatus >= 400 {
            return .rejected(VenueOrderError(requestId: id, clientOrderId: cid, code: code, httpStatus: httpStatus, message: msg))
        }
        if kind == .login || kind == .cancelAll { return .done(requestId: id, kind: kind, count: 0) }
        if kind == .openOrders { return .done(requestId: id, kind: kind, count: listed) }
        if var f = first, kind == .query {
            f.venueOrderId = f.venueOrderId ?? orderId
            let report = try f.update(venue: venue, instruments: instruments).report
            return .accepted(OrderAck(requestId: id, kind: .query, report: report, venueOrderId: f.venueOrderId.map { InlineText(truncating: $0) } ?? InlineText()))
        }
        guard let orderId, !orderId.isEmpty else { return .done(requestId: id, kind: kind, count: listed) }
        return .accepted(.bare(requestId: id, kind: kind ?? .place, venue: venue, clientOrderId: cid, venueOrderId: orderId))
    }

    /// An order (`order` topic, order/open-order list) or an execution (`execution` topic).
    static func order(_ s: inout JSONCursor) throws(DecodeError) -> OrderFields {
        var f = OrderFields()
        try s.object { key, _, s throws(DecodeError) in
            if key.equals("symbol") {
                f.symbol = try s.scalarText()
            } else if key.equals("orderId") {
                f.venueOrderId = try s.scalarText()
            } else if key.equals("orderLinkId") {
                f.clientOrderId = try s.scalarText()
            } else if key.equals("side") {
                f.side = try s.scalarText().map { $0.equals("Buy") ? .buy : $0.equals("Sell") ? .sell : .none } ?? .none
            } else if key.equals("price") || key.equals("orderPrice") {
                f.price = try s.scalarText()
            } else if key.equals("orderStatus") {
                f.status = try s.scalarText().map(Self.status)
            } else if key.equals("cumExecQty") {
                f.cumulativeQuantity = try s.scalarText()
            } else if key.equals("execPrice") {
                f.lastPrice = try s.scalarText()
            } else if key.equals("execQty") {
                f.lastQuantity = try s.scalarText()
            } else if key.equals("orderQty") {
                f.orderQuantity = try s.scalarText()
            } else if key.equals("leavesQty") {
                f.leavesQuantity = try s.scalarText()
            } else if key.equals("execFee") {
                f.fee = try s.scalarText()
            } else if key.equals("feeCurrency") {
                f.feeAsset = try s.scalarText()
            } else if key.equals("execId") {
                if let t = try s.scalarText(), !t.isEmpty { f.tradeId = OrderFields.orderIdHash(t) }
            } else if key.equals("isMaker") {
                f.isTaker = !(try s.bool())
            } else if key.equals("updatedTime") || key.equals("execTime") {
                f.eventTime = try s.millisecondsText("updatedTime")
            } else {
                try s.skipValue()
            }
        }
        return f
    }

    public func decodeUserStream(_ message: UnsafeRawBufferPointer, _ update: (OrderUpdate) -> Void) throws(DecodeError) -> Int {
        var topic = 0  // 1 order, 2 execution
        let dataStart = try JSONCursor.memberOffset("data", in: message) { key, s throws(DecodeError) in
            guard key.equals("topic") else { return try s.skipValue() }
            let t = try s.scalarText()
            topic = t.map { $0.equals("order") || $0.equals("order.spot") ? 1 : $0.equals("execution") || $0.equals("execution.spot") ? 2 : 0 } ?? 0
        }
        guard topic != 0, dataStart >= 0 else { return 0 }
        var d = JSONCursor(message, at: dataStart)
        var count = 0
        try d.array { s throws(DecodeError) in
            var f = try Self.order(&s)
            if topic == 2 {
                // An execution carries no order status: what is left says it.
                f.status = f.leavesQuantity.map(OrderFields.isZero) ?? false ? .filled : .partiallyFilled
                update(try f.update(venue: venue, instruments: instruments, defaultFeeAsset: .other))
            } else {
                f.fee = nil
                update(try f.update(venue: venue, instruments: instruments))
            }
            count += 1
        }
        return count
    }

    /// Bybit's `orderStatus` as an `OrderStatus`.
    static func status(_ text: UnsafeRawBufferPointer) -> OrderStatus {
        if text.equals("New") || text.equals("Untriggered") || text.equals("Triggered") { return .new }
        if text.equals("PartiallyFilled") { return .partiallyFilled }
        if text.equals("Filled") { return .filled }
        if text.equals("Cancelled") || text.equals("PartiallyFilledCanceled") || text.equals("Deactivated") { return .canceled }
        return .rejected
    }
}
