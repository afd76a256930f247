import GantryCore

// Kraken's trade history of an order, as documented (spot REST "Query Orders Info" with `trades=true`, "Query
// Trades Info"): QueryOrders lists an order's trade ids in `trades`; `POST /0/private/QueryTrades` with `txid` (up
// to 20 trade ids, comma-delimited) answers each trade by its id: {ordertxid, postxid, pair (the REST pair name,
// "XXBTZUSD"), time (seconds), type, ordertype, price, cost, fee (quote), vol, margin, leverage, misc, trade_id,
// maker}. A trade id is the trade's txid ("TGBB7L-HT5LX-J3BZ4A"), the `exec_id` of the trade's execution on
// WebSocket v2 `executions`.
//
// Not confirmed in Kraken's own pages: the error for a trade id the account does not have (answered
// "EOrder:Invalid order", as QueryOrders answers an unknown order here).

extension SimVenue {
    /// A new trade txid in Kraken's form, "TGBB7L-HT5LX-J3BZ4A".
    func krakenTradeTxid() -> String {
        let letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
        return "T" + randomText(5, from: letters) + "-" + randomText(5, from: letters) + "-" + randomText(6, from: letters)
    }

    func krakenQueryTrades(_ account: Int, _ p: [String: String]) -> SimHTTPResponse {
        let ids = (p["txid"] ?? "").split(separator: ",").map(String.init)
        guard !ids.isEmpty, ids.count <= 20 else { return krakenAnswer(errors: ["EGeneral:Invalid arguments:txid"]) }
        var found: [(KrakenOrderRecord, SimTrade)] = []
        for id in ids {
            guard let hit = kraken.orders.values.lazy.filter({ $0.account == account }).compactMap({ o in o.trades.first { $0.venueId == id }.map { (o, $0) } }).first
            else { return krakenAnswer(errors: ["EOrder:Invalid order"]) }
            found.append(hit)
        }
        let list = found.map { o, t -> String in
            let inst = books[o.book].instrument
            let (ps, qs) = (inst.priceScale, inst.quantityScale)
            let pair = Self.krakenAsset(inst.baseAsset) + Self.krakenAsset(inst.quoteAsset)
            let seconds = FixedPoint.string(t.time.raw / 100_000, scale: 4)
            return #""\#(t.venueId)":{"ordertxid":"\#(o.txid)","postxid":"P\#(t.venueId.dropFirst())","pair":"\#(pair)","time":\#(seconds),"type":"\#(o.side == .buy ? "buy" : "sell")","ordertype":"\#(o.type == .limit ? "limit" : "market")","price":"\#(FixedPoint.string(t.price, scale: ps))","cost":"\#(FixedPoint.string(t.value, scale: ps + qs))","fee":"\#(FixedPoint.string(t.fee, scale: ps + qs))","vol":"\#(FixedPoint.string(t.quantity, scale: qs))","margin":"\#(FixedPoint.string(0, scale: ps + qs))","leverage":"0","misc":"","trade_id":\#(t.tradeId),"maker":\#(t.maker)}"#
        }
        return krakenAnswer(errors: [], result: "{" + list.joined(separator: ",") + "}")
    }
}
