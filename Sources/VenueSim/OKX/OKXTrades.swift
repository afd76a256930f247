import GantryCore

// OKX's transaction details, as documented ("Get transaction details (last 3 days)", `GET /api/v5/trade/fills`):
// signed as every private request; query instType, instId, ordId, after/before (billId), limit (at most 100,
// default 100); `{"code":"0","msg":"","data":[{instType, instId, tradeId, ordId, clOrdId, billId, subType, tag,
// fillPx, fillSz, fillIdxPx, fillPnl, fillPxVol, fillPxUsd, fillMarkVol, fillFwdPx, fillMarkPx, side, posSide,
// execType, feeCcy, fee, ts, fillTime, feeRate, tradeQuoteCcy}]}`, newest first, `fee` negative when charged;
// an ordId the account does not have lists nothing. Each fill is the one the orders channel pushed (its tradeId,
// fillPx, fillSz, fillFee).

extension OKXOrderRecord {
    /// Books one fill: the totals, the last fill's fields the orders channel shows, and the trade.
    mutating func fill(_ f: SimFill, maker: Bool, time ms: Int64) {
        let trade = SimTrade(f, maker: maker, time: Nanos(raw: ms * 1_000_000))
        accFill += trade.quantity
        fillValue += trade.value
        fee += trade.fee
        (lastFillPx, lastFillSz, lastTradeId, lastFillFee, lastFillMaker) = (trade.price, trade.quantity, trade.tradeId, trade.fee, maker)
        updated = ms
        trades.append(trade)
    }
}

extension SimVenue {
    func okxFills(_ account: Int, _ p: [String: String]) -> SimHTTPResponse {
        if let type = p["instType"], !["SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"].contains(type) {
            return SimHTTPResponse(status: 200, json: #"{"code":"51000","msg":"Parameter instType error","data":[]}"#)
        }
        let limit = min(100, max(1, p["limit"].flatMap { Int($0) } ?? 100))
        let orders = okx.orders.values.filter {
            $0.account == account && (p["instId"] == nil || books[$0.book].instrument.symbol == p["instId"]) && (p["ordId"] == nil || $0.ordId == p["ordId"])
        }
        let fills = orders.flatMap { o in o.trades.map { (o, $0) } }.sorted { ($0.1.tradeId, $0.0.ordId) > ($1.1.tradeId, $1.0.ordId) }.prefix(limit)
        let data = fills.map { o, t -> String in
            let inst = books[o.book].instrument
            let (ps, qs) = (inst.priceScale, inst.quantityScale)
            func d(_ v: Int64, _ s: Int) -> String { FixedPoint.string(v, scale: s, trimTrailingZeros: true) }
            let ms = t.time.raw / 1_000_000
            let fee = t.fee == 0 ? "0" : "-" + d(t.fee, ps + qs)
            let rate = FixedPoint.string(t.maker ? books[o.book].engine.fees.makerCentiBasisPoints : books[o.book].engine.fees.takerCentiBasisPoints, scale: 6, trimTrailingZeros: true)
            return #"{"instType":"SPOT","instId":"\#(inst.symbol)","tradeId":"\#(t.tradeId)","ordId":"\#(o.ordId)","clOrdId":"\#(o.clOrdId)","billId":"\#(t.tradeId + 700_000_000_000)","subType":"\#(o.side == .buy ? "1" : "2")","tag":"","fillPx":"\#(d(t.price, ps))","fillSz":"\#(d(t.quantity, qs))","fillIdxPx":"","fillPnl":"0","fillPxVol":"","fillPxUsd":"","fillMarkVol":"","fillFwdPx":"","fillMarkPx":"","side":"\#(o.side == .buy ? "buy" : "sell")","posSide":"net","execType":"\#(t.maker ? "M" : "T")","feeCcy":"\#(inst.quoteAsset)","fee":"\#(fee)","ts":"\#(ms)","fillTime":"\#(ms)","feeRate":"-\#(rate)","tradeQuoteCcy":"\#(inst.quoteAsset)"}"#
        }
        return SimHTTPResponse(status: 200, json: #"{"code":"0","msg":"","data":[\#(data.joined(separator: ","))]}"#)
    }
}
