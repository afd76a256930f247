import GantryCore

// Binance's account trade list, as documented (rest-api "Account trade list (USER_DATA)", `GET /api/v3/myTrades`;
// websocket-api "Account trade history (USER_DATA)", `myTrades`): SIGNED, symbol mandatory (-1102 without it,
// -1121 for an unknown one), orderId (only that order's trades), fromId (trade id ≥ it), limit (default 500, at
// most 1000); a list of {symbol, id, orderId, orderListId, price, qty, quoteQty, commission, commissionAsset,
// time, isBuyer, isMaker, isBestMatch}, oldest first. An orderId the account does not have lists nothing (an
// empty list, not an error). Each trade is the one the user data stream pushed: its `t`, `L`, `l`, `n`, `N`.
//
// Simplifications, stated: startTime and endTime are not taken (the filter by orderId is what order entry uses).

extension SimVenue {
    func binanceMyTrades(_ account: Int, _ p: [String: String]) -> Result<String, BinanceAPIError> {
        let i: Int
        switch binanceSymbol(p) {
        case .failure(let e): return .failure(e)
        case .success(let b): i = b
        }
        var orders = binance.orders.values.filter { $0.book == i && $0.account == account }
        if let text = p["orderId"] {
            guard let id = UInt64(text) else {
                return .failure(Self.binanceError(-1100, "Illegal characters found in parameter 'orderId'; legal range is '^[0-9]{1,20}$'."))
            }
            orders = orders.filter { $0.orderId == id }
        }
        let limit = min(1_000, max(1, p["limit"].flatMap { Int($0) } ?? 500))
        let fromId = p["fromId"].flatMap { UInt64($0) } ?? 0
        let inst = books[i].instrument
        let (ps, qs) = (inst.priceScale, inst.quantityScale)
        let trades = orders.flatMap { o in o.trades.map { (o, $0) } }.filter { $0.1.tradeId >= fromId }
            .sorted { ($0.1.tradeId, $0.0.orderId) < ($1.1.tradeId, $1.0.orderId) }.prefix(limit)
        let list = trades.map { o, t in
            #"{"symbol":"\#(inst.symbol)","id":\#(t.tradeId),"orderId":\#(o.orderId),"orderListId":-1,"price":"\#(FixedPoint.string(t.price, scale: ps))","qty":"\#(FixedPoint.string(t.quantity, scale: qs))","quoteQty":"\#(FixedPoint.string(t.value, scale: ps + qs))","commission":"\#(FixedPoint.string(t.fee, scale: ps + qs))","commissionAsset":"\#(inst.quoteAsset)","time":\#(t.time.raw / 1_000_000),"isBuyer":\#(o.side == .buy),"isMaker":\#(t.maker),"isBestMatch":true}"#
        }
        return .success("[" + list.joined(separator: ",") + "]")
    }
}
