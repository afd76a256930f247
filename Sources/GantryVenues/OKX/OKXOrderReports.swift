import GantryCore

// OKX's answers and order updates. Facts from www.okx.com/docs-v5/en:
// - "WS / Place order" and "WS / Cancel order" responses: `{"id","op","data":[{clOrdId, ordId, tag, ts, sCode,
//   sMsg}],"code","msg","inTime","outTime"}`; `code` "0" when every order succeeded, "1" when the order failed
//   (its `sCode` and `sMsg` say why), another code (and empty data) when the request itself failed;
// - login: `{"event":"login","code":"0","msg":"","connId"}`, failures `{"event":"error","code","msg"}`;
// - REST: `{"code","msg","data":[…]}`, the same items for place and cancel, order objects for queries;
// - "Order channel" (`orders`): `{"arg":{…},"data":[{instId, ordId, clOrdId, side, px, sz, state, accFillSz,
//   fillPx, fillSz, tradeId, fillTime, fillFee, fillFeeCcy, fee, feeCcy, execType, uTime, …}]}`; states `live`,
//   `partially_filled`, `filled`, `canceled`, `mmp_canceled`; `execType` T (taker) or M (maker); a fee is negative
//   when charged and positive for a rebate, in `fillFeeCcy`.

extension OKXOrderEntry {
    public func decodeReply(_ message: UnsafeRawBufferPointer, _ context: ReplyContext) throws(DecodeError) -> OrderReply {
        var c = JSONCursor(message)
        var id: UInt64 = 0
        var code: Int64 = 0
        var msg: UnsafeRawBufferPointer? = nil
        var op: UnsafeRawBufferPointer? = nil
        var event: UnsafeRawBufferPointer? = nil
        var items = 0
        var first: (OrderFields, sCode: Int64, sMsg: UnsafeRawBufferPointer?, ordId: UnsafeRawBufferPointer?)? = nil
        try c.object { key, _, s throws(DecodeError) in
            if key.equals("id") {
                id = try s.scalarText().map(OrderFields.requestId) ?? 0
            } else if key.equals("op") {
                op = try s.scalarText()
            } else if key.equals("event") {
                event = try s.scalarText()
            } else if key.equals("code") {
                code = try s.integerText("code")
            } else if key.equals("msg") {
                msg = try s.scalarText()
            } else if key.equals("data") {
                items = try s.firstElement { s throws(DecodeError) in first = try Self.item(&s) }
            } else {
                try s.skipValue()
            }
        }
        try c.expectEnd()
        var kind = context.restRequest?.kind
        let httpStatus = context.restRequest?.httpStatus ?? 0
        let clientOrderId = context.restRequest?.clientOrderId
        if kind == nil, let op {
            kind = op.equals("order") ? .place : op.equals("cancel-order") ? .cancel : nil
        }
        if let event {
            if event.equals("login") && code == 0 { return .done(requestId: 0, kind: .login, count: 0) }
            if event.equals("error") { return .rejected(VenueOrderError(requestId: id, clientOrderId: nil, code: code, message: msg)) }
            return .other
        }
        if kind == .deadMan {
            // cancel-all-after: `data:[{"triggerTime","tag","ts"}]` when armed, else `code` and `msg` say why not.
            guard code == 0 && httpStatus < 400 else {
                return .rejected(VenueOrderError(requestId: id, clientOrderId: nil, code: code, httpStatus: httpStatus, message: msg))
            }
            return .done(requestId: id, kind: .deadMan, count: items)
        }
        if let (f, sCode, sMsg, ordId) = first {
            let cid = f.clientOrderId.flatMap(ClientOrderIdText.parse) ?? clientOrderId
            if sCode != 0 || (code != 0 && code != 1 && httpStatus == 0) {
                return .rejected(VenueOrderError(requestId: id, clientOrderId: cid, code: sCode != 0 ? sCode : code, httpStatus: httpStatus, message: sCode != 0 ? sMsg : msg))
            }
            if kind == .openOrders { return .done(requestId: id, kind: kind, count: items) }
            guard let ordId, !ordId.isEmpty else { return .rejected(VenueOrderError(requestId: id, clientOrderId: cid, code: code, httpStatus: httpStatus, message: msg)) }
            var fields = f
            fields.venueOrderId = ordId
            let k = kind ?? .place
            // A place or cancel answer says only that the venue took it; a query returns the order itself.
            guard fields.symbol != nil else { return .accepted(.bare(requestId: id, kind: k, venue: venue, clientOrderId: cid, venueOrderId: ordId)) }
            let report = try fields.update(venue: venue, instruments: instruments).report
            return .accepted(OrderAck(requestId: id, kind: k, report: report, venueOrderId: InlineText(truncating: ordId)))
        }
        if code != 0 || httpStatus >= 400 {
            return .rejected(VenueOrderError(requestId: id, clientOrderId: clientOrderId, code: code, httpStatus: httpStatus, message: msg))
        }
        return .done(requestId: id, kind: kind, count: items)
    }

    /// One item of `data`: an order (query, channel) or a place/cancel result (sCode, sMsg).
    static func item(_ s: inout JSONCursor) throws(DecodeError) -> (OrderFields, sCode: Int64, sMsg: UnsafeRawBufferPointer?, ordId: UnsafeRawBufferPointer?) {
        var f = OrderFields()
        var sCode: Int64 = 0
        var sMsg: UnsafeRawBufferPointer? = nil
        var ordId: UnsafeRawBufferPointer? = nil
        try s.object { key, _, s throws(DecodeError) in
            if key.equals("instId") {
                f.symbol = try s.scalarText()
            } else if key.equals("ordId") {
                ordId = try s.scalarText()
            } else if key.equals("clOrdId") {
                f.clientOrderId = try s.scalarText()
            } else if key.equals("side") {
                f.side = try s.scalarText().map { $0.equals("buy") ? .buy : $0.equals("sell") ? .sell : .none } ?? .none
            } else if key.equals("px") {
                f.price = try s.scalarText()
            } else if key.equals("state") {
                f.status = try s.scalarText().map(Self.status)
            } else if key.equals("accFillSz") {
                f.cumulativeQuantity = try s.scalarText()
            } else if key.equals("fillPx") {
                f.lastPrice = try s.scalarText()
            } else if key.equals("fillSz") {
                f.lastQuantity = try s.scalarText()
            } else if key.equals("tradeId") {
                if let t = try s.scalarText(), !t.isEmpty { f.tradeId = OrderFields.orderIdHash(t) }
            } else if key.equals("fillFee") {
                f.fee = try s.scalarText()
                f.feeNegated = true
            } else if key.equals("fillFeeCcy") {
                f.feeAsset = try s.scalarText()
            } else if key.equals("execType") {
                f.isTaker = !(try s.scalarText()?.equals("M") ?? false)
            } else if key.equals("uTime") || key.equals("ts") {
                f.eventTime = try s.millisecondsText("uTime")
            } else if key.equals("sCode") {
                sCode = try s.integerText("sCode")
            } else if key.equals("sMsg") {
                sMsg = try s.scalarText()
            } else {
                try s.skipValue()
            }
        }
        return (f, sCode, sMsg, ordId)
    }

    public func decodeUserStream(_ message: UnsafeRawBufferPointer, _ update: (OrderUpdate) -> Void) throws(DecodeError) -> Int {
        var count = 0
        var isOrders = false
        let dataStart = try JSONCursor.memberOffset("data", in: message) { key, s throws(DecodeError) in
            guard key.equals("arg") else { return try s.skipValue() }
            try s.object { k, _, s throws(DecodeError) in
                if k.equals("channel") { isOrders = try s.scalarText()?.equals("orders") ?? false } else { try s.skipValue() }
            }
        }
        guard isOrders, dataStart >= 0 else { return 0 }
        var d = JSONCursor(message, at: dataStart)
        try d.array { s throws(DecodeError) in
            var (f, _, _, ordId) = try Self.item(&s)
            f.venueOrderId = ordId
            update(try f.update(venue: venue, instruments: instruments))
            count += 1
        }
        return count
    }

    /// OKX's `state` as an `OrderStatus`.
    static func status(_ text: UnsafeRawBufferPointer) -> OrderStatus {
        if text.equals("live") { return .new }
        if text.equals("partially_filled") { return .partiallyFilled }
        if text.equals("filled") { return .filled }
        if text.equals("canceled") || text.equals("mmp_canceled") { return .canceled }
        return .rejected
    }
}
