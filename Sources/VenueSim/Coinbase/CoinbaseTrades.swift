import GantryCore

// Coinbase Advanced Trade's fills, as documented (api-reference/advanced-trade-api/rest-api/orders/list-fills,
// `GET /api/v3/brokerage/orders/historical/fills`): query order_ids (also the older order_id), trade_ids,
// product_ids, limit, cursor; `{"fills":[{entry_id, trade_id, order_id, trade_time, trade_type, price, size,
// commission, product_id, sequence_timestamp, liquidity_indicator, size_in_quote, user_id, side,
// retail_portfolio_id}],"cursor":""}`; an order the account does not have lists nothing. Each fill is one the
// user channel counted in the order's `number_of_fills` and `total_fees`.
//
// Simplifications, stated: listed newest first by sequence timestamp, one page (no cursor); each fill's sequence
// timestamp is distinct (the venue's clock, made strictly increasing) so an order's fills have one order.

extension SimVenue {
    /// A fill as the order's record keeps it: a trade_id (UUID) and the next sequence timestamp.
    func coinbaseTrade(_ f: SimFill, maker: Bool) -> SimTrade {
        let time = max(venueTime, coinbase.lastSequence + .microseconds(1))
        coinbase.lastSequence = time
        return SimTrade(f, maker: maker, venueId: uuid(), time: time)
    }

    func coinbaseFills(_ account: Int, _ p: [String: String]) -> String {
        let wanted = p["order_ids"] ?? p["order_id"]
        let orders = coinbase.orders.values.filter {
            $0.account == account && (wanted == nil || $0.orderId == wanted) && (p["product_ids"] == nil || books[$0.book].instrument.symbol == p["product_ids"])
        }
        let limit = max(1, p["limit"].flatMap { Int($0) } ?? 1_000)
        let fills = orders.flatMap { o in o.trades.map { (o, $0) } }.sorted { $0.1.time > $1.1.time }.prefix(limit)
        let list = fills.map { o, t -> String in
            let inst = books[o.book].instrument
            let (ps, qs) = (inst.priceScale, inst.quantityScale)
            var time = SimWriter(capacity: 40)
            time.isoTime(t.time, digits: 6)
            let stamp = String(decoding: time.bytes, as: UTF8.self)
            return #"{"entry_id":"\#(t.venueId.reversed().map(String.init).joined())","trade_id":"\#(t.venueId)","order_id":"\#(o.orderId)","trade_time":"\#(stamp)","trade_type":"FILL","price":"\#(FixedPoint.string(t.price, scale: ps, trimTrailingZeros: true))","size":"\#(FixedPoint.string(t.quantity, scale: qs, trimTrailingZeros: true))","commission":"\#(FixedPoint.string(t.fee, scale: ps + qs, trimTrailingZeros: true))","product_id":"\#(inst.symbol)","sequence_timestamp":"\#(stamp)","liquidity_indicator":"\#(t.maker ? "MAKER" : "TAKER")","size_in_quote":false,"user_id":"\#(o.account)","side":"\#(o.side == .buy ? "BUY" : "SELL")","retail_portfolio_id":""}"#
        }
        return #"{"fills":[\#(list.joined(separator: ","))],"cursor":""}"#
    }
}
