import Foundation
import GantryCore

// The venues' mass cancels, as documented, for the watchdog that cancels every open order of an account when its
// gateway stops answering:
// - Binance spot `DELETE /api/v3/openOrders` (SIGNED, `symbol` required): every open order on the symbol cancelled,
//   answered with the array of their cancel answers; with none open, -2011 "Unknown order sent." (HTTP 400);
// - OKX `POST /api/v5/trade/cancel-batch-orders`: a JSON array of at most 20 `{instId, ordId | clOrdId}`, answered
//   `data:[{clOrdId, ordId, ts, sCode, sMsg}]` one per order, `code` "0" when all were cancelled, "1" when none
//   ("All operations failed"), "2" when some ("Batch operation partially succeeded");
// - Bybit `POST /v5/order/cancel-all` (`category` spot; `symbol` optional for spot: without it every spot order):
//   answered `result:{list:[{orderId, orderLinkId}], success:"1"}`;
// - Kraken REST `CancelAll` (nonce only): every open order of the account, answered `result:{count}`.
// Coinbase has no mass cancel (`orders/batch_cancel` takes ids, already served by CoinbaseOrders).
// Simplifications, stated: OKX's answer to more than 20 orders is code 51000 "Parameter error" (the exact code is
// not confirmed); each cancelled order is reported on the user streams exactly as a single cancel is.
extension SimVenue {
    /// `DELETE /api/v3/openOrders`: the symbol's open orders of the account, each cancelled as `DELETE /api/v3/order`.
    func binanceCancelAll(_ account: Int, _ p: [String: String]) -> Result<String, BinanceAPIError> {
        let i: Int
        switch binanceSymbol(p) {
        case .failure(let e): return .failure(e)
        case .success(let b): i = b
        }
        let open = binance.orders.values.filter { $0.account == account && $0.isOpen && $0.book == i }.sorted { ($0.time, $0.orderId) < ($1.time, $1.orderId) }
        guard !open.isEmpty else { return .failure(Self.binanceError(-2011, "Unknown order sent.")) }
        var answers: [String] = []
        for r in open {
            switch binanceCancel(account, ["symbol": books[i].instrument.symbol, "orderId": "\(r.orderId)"]) {
            case .success(let json): answers.append(json)
            case .failure(let e): return .failure(e)
            }
        }
        return .success("[" + answers.joined(separator: ",") + "]")
    }

    /// `POST /api/v5/trade/cancel-batch-orders`: each `{instId, ordId | clOrdId}` of the array cancelled as
    /// `cancel-order`.
    func okxCancelBatch(_ account: Int, _ body: [UInt8]) -> SimHTTPResponse {
        guard let items = (try? JSONSerialization.jsonObject(with: Data(body))) as? [[String: Any]] else {
            return SimHTTPResponse(status: 400, json: #"{"code":"50002","msg":"JSON syntax error","data":[]}"#)
        }
        guard (1...20).contains(items.count) else { return SimHTTPResponse(status: 200, json: #"{"code":"51000","msg":"Parameter error","data":[]}"#) }
        let acks = items.map { item in
            okxCancel(account, item.compactMapValues { $0 as? String })
        }
        let done = acks.filter { $0.sCode == "0" }.count
        let (code, msg) = done == acks.count ? ("0", "") : done == 0 ? ("1", "All operations failed") : ("2", "Batch operation partially succeeded")
        let us = venueMilliseconds * 1_000
        return SimHTTPResponse(
            status: 200, json: #"{"code":"\#(code)","msg":"\#(msg)","data":[\#(acks.map(\.json).joined(separator: ","))],"inTime":"\#(us)","outTime":"\#(us)"}"#)
    }

    /// `POST /v5/order/cancel-all` for spot: the symbol's open orders of the account (every spot order without one).
    func bybitCancelAll(_ account: Int, _ p: [String: String]) -> BybitAnswer {
        guard p["category"] == "spot" else { return bybitAnswer(10001, "params error: the simulator trades category spot") }
        let symbol = p["symbol"].flatMap { $0.isEmpty ? nil : $0 }
        let open = bybit.orders.values.filter { $0.account == account && $0.isOpen && (symbol == nil || books[$0.book].instrument.symbol == symbol) }
            .sorted { ($0.created, $0.orderId) < ($1.created, $1.orderId) }
        var list: [String] = []
        for r in open {
            let a = bybitCancel(account, ["category": "spot", "symbol": books[r.book].instrument.symbol, "orderId": r.orderId])
            if a.retCode == 0 { list.append(#"{"orderId":"\#(r.orderId)","orderLinkId":"\#(r.orderLinkId)"}"#) }
        }
        return bybitAnswer(0, "OK", result: #"{"list":[\#(list.joined(separator: ","))],"success":"1"}"#)
    }

    /// Kraken's REST `CancelAll`: every open order of the account. - Returns: how many were cancelled.
    func krakenCancelAll(_ account: Int) -> Int {
        let open = kraken.orders.values.filter { $0.account == account && $0.status == "open" }
        return open.reduce(0) { n, r in
            if case .success = krakenCancel(account, ["txid": r.txid]) { return n + 1 }
            return n
        }
    }
}
