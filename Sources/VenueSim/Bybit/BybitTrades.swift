import GantryCore

// Bybit's trade history, as documented (v5/order/execution, "Get Trade History", `GET /v5/execution/list`):
// signed as every GET; category (mandatory: spot here), symbol, orderId, orderLinkId (orderId, then orderLinkId,
// take precedence over symbol), limit ([1, 100], default 50), cursor; `{"retCode":0,"retMsg":"OK","result":
// {"nextPageCursor","category","list":[executions]},"retExtInfo":{},"time"}`, newest first by execTime; an order
// the account does not have lists nothing. Each execution is the one the `execution` topic pushed (its execId,
// price, quantity, fee), in the same fields without `category`; `leavesQty` is what the order had left after it.
//
// Simplifications, stated: one page (no cursor), no startTime/endTime window.

extension SimVenue {
    func bybitExecutionList(_ account: Int, _ p: [String: String]) -> SimHTTPResponse {
        guard p["category"] == "spot" else { return bybitEnvelope(10001, "params error: the simulator trades category spot") }
        var orders = bybit.orders.values.filter { $0.account == account }
        if let id = p["orderId"], !id.isEmpty {
            orders = orders.filter { $0.orderId == id }
        } else if let link = p["orderLinkId"], !link.isEmpty {
            orders = orders.filter { $0.orderLinkId == link }
        } else if let symbol = p["symbol"], !symbol.isEmpty {
            orders = orders.filter { books[$0.book].instrument.symbol == symbol }
        }
        let limit = min(100, max(1, p["limit"].flatMap { Int($0) } ?? 50))
        var listed: [(BybitOrderRecord, SimTrade, Int64)] = []
        for o in orders {
            var done: Int64 = 0
            for t in o.trades {
                done += t.quantity
                listed.append((o, t, max(0, o.qty - done)))
            }
        }
        listed.sort { (Int($0.1.venueId) ?? 0) > (Int($1.1.venueId) ?? 0) }
        let items = listed.prefix(limit).map { o, t, leaves in "{" + bybitExecutionFields(o, t, leaves: leaves) }
        return bybitEnvelope(0, "OK", result: #"{"nextPageCursor":"","category":"spot","list":[\#(items.joined(separator: ","))]}"#)
    }
}
