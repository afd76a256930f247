import GantryCore

// Coinbase Advanced Trade's answers and order updates. Facts from docs.cdp.coinbase.com/advanced-trade:
// - create order: `{"success":true,"success_response":{"order_id","product_id","side","client_order_id"},…}` or
//   `{"success":false,"error_response":{"error","message","error_details","new_order_failure_reason",…},…}` (its
//   errors are names, such as INSUFFICIENT_FUND: `VenueOrderError.code` is 0 and the name is the message);
// - batch_cancel: `{"results":[{"success","failure_reason","order_id"}]}`;
// - historical order: `{"order":{order_id, product_id, side, client_order_id, status, filled_size,
//   average_filled_price, total_fees, created_time, …}}`; historical batch: `{"orders":[…],"has_next","cursor"}`;
//   a request without a valid JWT gets HTTP 401 with the plain text "Unauthorized";
// - websocket user channel: `{"channel":"user","timestamp","sequence_num","events":[{"type":"snapshot"|"update",
//   "orders":[{order_id, client_order_id, product_id, order_side, status (PENDING, OPEN, FILLED, CANCELLED,
//   EXPIRED, FAILED, CANCEL_QUEUED), cumulative_quantity, avg_price, total_fees, number_of_fills, limit_price, …}]}]}`
//   with every order field a string. It gives cumulative figures only: updates are `cumulativeOnly`, their fee
//   the order's total in the quote currency, their trade id the order id's hash plus the number of fills;
// - websocket overview: a subscribe is answered by a `subscriptions` message, a refusal by
//   `{"type":"error","message"}`.

extension CoinbaseOrderEntry {
    public func decodeReply(_ message: UnsafeRawBufferPointer, _ context: ReplyContext) throws(DecodeError) -> OrderReply {
        if case .webSocket = context { return try Self.subscriptionReply(message) }
        var request = EncodedRequest(transport: .rest, kind: .place, requestId: 0)
        var httpStatus = 200
        if case .rest(let r, let status) = context {
            request = r
            httpStatus = status
        }
        let requested: ClientOrderId? = request.clientOrderId.raw == 0 ? nil : request.clientOrderId
        var c = JSONCursor(message)
        if httpStatus >= 400, message.first(where: { $0 > 0x20 }) != 0x7B {
            // Not JSON (401's "Unauthorized"): the body is the message.
            return .rejected(VenueOrderError(requestId: 0, clientOrderId: requested, code: 0, httpStatus: httpStatus, message: message))
        }
        var o = CoinbaseOrderObject()
        var listed = 0
        try c.object { key, next, s throws(DecodeError) in
            if key.equals("success") {
                o.success = try s.bool()
            } else if (key.equals("success_response") || key.equals("order")) && next == 0x7B {
                try o.read(&s)
            } else if key.equals("error_response") && next == 0x7B {
                try s.object { k, _, s throws(DecodeError) in
                    if k.equals("error") || (k.equals("message") && o.errorName == nil) { o.errorName = try s.scalarText() } else { try s.skipValue() }
                }
            } else if key.equals("results") && next == 0x5B {
                listed = try s.firstElement { s throws(DecodeError) in try o.read(&s) }
            } else if key.equals("orders") && next == 0x5B {
                listed = try s.elementCount()
            } else if key.equals("error") || key.equals("message") {
                o.errorName = try s.scalarText()
            } else {
                try s.skipValue()
            }
        }
        try c.expectEnd()
        var f = o.f
        let cid = f.clientOrderId.flatMap(ClientOrderIdText.parse) ?? requested
        if o.success == false || httpStatus >= 400 {
            return .rejected(VenueOrderError(requestId: 0, clientOrderId: cid, code: 0, httpStatus: httpStatus, message: o.errorName))
        }
        if request.kind == .openOrders { return .done(requestId: 0, kind: .openOrders, count: listed) }
        guard o.sawOrder, let orderId = o.orderId, !orderId.isEmpty else { return .done(requestId: 0, kind: request.kind, count: listed) }
        f.venueOrderId = orderId
        guard f.status != nil && f.symbol != nil else {
            return .accepted(
                .bare(requestId: 0, kind: request.kind, venue: venue, instrument: f.symbol.flatMap { instruments.instrument(symbol: $0)?.id } ?? .none,
                      side: f.side, clientOrderId: cid, venueOrderId: orderId))
        }
        let report = try f.update(venue: venue, instruments: instruments).report
        return .accepted(OrderAck(requestId: 0, kind: request.kind, report: report, venueOrderId: InlineText(truncating: orderId)))
    }

    /// What a message of the WebSocket says of a subscription (Coinbase's WebSocket takes no orders): the `user`
    /// channel's first event (`snapshot`, the open orders) or a `subscriptions` message means subscribed, as a
    /// login `done`; `{"type":"error","message"}` is a refusal; anything else answers nothing.
    static func subscriptionReply(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> OrderReply {
        var channel: UnsafeRawBufferPointer? = nil
        var type: UnsafeRawBufferPointer? = nil
        var text: UnsafeRawBufferPointer? = nil
        var snapshot = false
        var c = JSONCursor(message)
        try c.object { key, next, s throws(DecodeError) in
            if key.equals("channel") {
                channel = try s.scalarText()
            } else if key.equals("type") {
                type = try s.scalarText()
            } else if key.equals("message") {
                text = try s.scalarText()
            } else if key.equals("events") && next == 0x5B {
                try s.array { s throws(DecodeError) in
                    guard try s.peek() == 0x7B else { return try s.skipValue() }
                    try s.object { k, _, s throws(DecodeError) in
                        if k.equals("type") {
                            let t = try s.scalarText()
                            if t?.equals("snapshot") == true { snapshot = true }
                        } else {
                            try s.skipValue()
                        }
                    }
                }
            } else {
                try s.skipValue()
            }
        }
        try c.expectEnd()
        if type?.equals("error") == true { return .rejected(VenueOrderError(requestId: 0, clientOrderId: nil, code: 0, message: text)) }
        if let channel, channel.equals("subscriptions") || (channel.equals("user") && snapshot) { return .done(requestId: 0, kind: .login, count: 0) }
        return .other
    }

    public func decodeUserStream(_ message: UnsafeRawBufferPointer, _ update: (OrderUpdate) -> Void) throws(DecodeError) -> Int {
        try decodeUserStream(message, naming: { u, _ in update(u) })
    }

    /// As `decodeUserStream(_:_:)`, with each update's `order_id` (what cancels and queries name).
    public func decodeUserStream(_ message: UnsafeRawBufferPointer, naming update: (OrderUpdate, UnsafeRawBufferPointer) -> Void) throws(DecodeError) -> Int {
        var isUser = false
        var time = Nanos.zero
        let eventsStart = try JSONCursor.memberOffset("events", in: message) { key, s throws(DecodeError) in
            if key.equals("channel") {
                isUser = try s.scalarText()?.equals("user") ?? false
            } else if key.equals("timestamp") {
                if let t = try s.scalarText() { time = try WallTimeText.parse(t, "timestamp") }
            } else {
                try s.skipValue()
            }
        }
        guard isUser, eventsStart >= 0 else { return 0 }
        var e = JSONCursor(message, at: eventsStart)
        var count = 0
        try e.array { s throws(DecodeError) in
            try s.object { key, next, s throws(DecodeError) in
                guard key.equals("orders") && next == 0x5B else { return try s.skipValue() }
                try s.array { s throws(DecodeError) in
                    var f = OrderFields()
                    var fills: UInt64 = 0
                    f.eventTime = time
                    try s.object { k, _, s throws(DecodeError) in
                        if k.equals("order_id") {
                            f.venueOrderId = try s.scalarText()
                        } else if k.equals("client_order_id") {
                            f.clientOrderId = try s.scalarText()
                        } else if k.equals("product_id") {
                            f.symbol = try s.scalarText()
                        } else if k.equals("order_side") {
                            f.side = try s.scalarText().map { $0.equals("BUY") ? .buy : $0.equals("SELL") ? .sell : .none } ?? .none
                        } else if k.equals("status") {
                            f.status = try s.scalarText().map(Self.status)
                        } else if k.equals("cumulative_quantity") {
                            f.cumulativeQuantity = try s.scalarText()
                        } else if k.equals("avg_price") {
                            f.lastPrice = try s.scalarText()
                        } else if k.equals("limit_price") {
                            f.price = try s.scalarText()
                        } else if k.equals("total_fees") {
                            f.fee = try s.scalarText()
                        } else if k.equals("number_of_fills") {
                            if let t = try s.scalarText(), !t.isEmpty { fills = try JSONCursor.unsigned(t, "number_of_fills") }
                        } else {
                            try s.skipValue()
                        }
                    }
                    var u = try f.update(venue: venue, instruments: instruments)
                    if u.report.status == .new && u.report.cumulativeQuantity.raw > 0 { u.report.status = .partiallyFilled }
                    if u.report.cumulativeQuantity.raw > 0, let avg = f.lastPrice, !avg.isEmpty {
                        u.report.price = Price(raw: try OrderFields.decimal(avg, scale: instruments.instrument(symbol: f.symbol!)!.priceScale, "avg_price"))
                    }
                    u.cumulativeOnly = true
                    u.tradeId = fills > 0 ? (f.venueOrderId.map(OrderFields.textHash) ?? 0) &+ fills : 0
                    update(u, f.venueOrderId ?? UnsafeRawBufferPointer(start: nil, count: 0))
                    count += 1
                }
            }
        }
        return count
    }

    /// Coinbase's order status as an `OrderStatus`.
    static func status(_ text: UnsafeRawBufferPointer) -> OrderStatus {
        if text.equals("OPEN") { return .new }
        if text.equals("PENDING") || text.equals("QUEUED") { return .pendingNew }
        if text.equals("FILLED") { return .filled }
        if text.equals("CANCELLED") { return .canceled }
        if text.equals("CANCEL_QUEUED") { return .pendingCancel }
        if text.equals("EXPIRED") { return .expired }
        return .rejected
    }
}

/// An order object of Coinbase's answers (success_response, order, a batch_cancel result) as read.
struct CoinbaseOrderObject {
    var f = OrderFields()
    var orderId: UnsafeRawBufferPointer? = nil
    var success: Bool? = nil
    var errorName: UnsafeRawBufferPointer? = nil
    var sawOrder = false

    mutating func read(_ s: inout JSONCursor) throws(DecodeError) {
        sawOrder = true
        try s.object { key, _, s throws(DecodeError) in
            if key.equals("order_id") {
                orderId = try s.scalarText()
            } else if key.equals("client_order_id") {
                f.clientOrderId = try s.scalarText()
            } else if key.equals("product_id") {
                f.symbol = try s.scalarText()
            } else if key.equals("side") {
                f.side = try s.scalarText().map { $0.equals("BUY") ? .buy : $0.equals("SELL") ? .sell : .none } ?? .none
            } else if key.equals("status") {
                f.status = try s.scalarText().map(CoinbaseOrderEntry.status)
            } else if key.equals("filled_size") {
                f.cumulativeQuantity = try s.scalarText()
            } else if key.equals("average_filled_price") {
                f.price = try s.scalarText()
            } else if key.equals("success") {
                success = try s.bool()
            } else if key.equals("failure_reason") {
                errorName = try s.scalarText()
            } else {
                try s.skipValue()
            }
        }
    }
}
