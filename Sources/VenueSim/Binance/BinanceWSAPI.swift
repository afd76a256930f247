import Foundation
import GantryCore

// Binance's WebSocket API (`/ws-api/v3`), as documented (web-socket-api.md: request and response format, rate
// limits, request security, session authentication, trading and account requests; errors.md):
// - a request is `{"id":…,"method":…,"params":{…}}` (a method may carry a "v3/" prefix), answered
//   `{"id":…,"status":…,"result":…,"rateLimits":[…]}` or `{"id":…,"status":…,"error":{"code":…,"msg":…},
//   "rateLimits":[…]}`; `returnRateLimits: false` leaves `rateLimits` out;
// - SIGNED requests (`order.place`, `order.cancel`, `order.status`, `openOrders.status`, `account.status`)
//   carry `apiKey`, `timestamp` and `signature` (hex HMAC-SHA256 of every other param sorted by name, `k=v`
//   joined with `&`) and optionally `recvWindow`, checked as REST checks them (BinanceAuth.verifyWebSocket);
// - their params and results are REST's (POST/DELETE/GET /api/v3/order, openOrders, account): the same
//   functions answer both;
// - weights 1 (order.place, order.cancel), 4 (order.status), 6 or 80 (openOrders.status with or without a
//   symbol), 20 (account.status), 5 or 20 (myTrades with or without an orderId); `order.place` also reports the ORDERS limits;
// - beyond the order rate, status 429 with -1015 and `data.retryAfter` (when the window ends).
//
// Simplifications, stated: the ORDERS counts are the connection's (Binance counts per account); the
// REQUEST_WEIGHT count is the venue's, shared with REST; `session.logon` is not simulated (Binance takes it
// only with Ed25519 keys, and the simulator's keys are HMAC).
extension SimVenue {
    /// A WebSocket API request: the public and user-stream methods here, the SIGNED ones in `binanceSignedRequest`.
    func binanceAPIRequest(_ client: SimClient, _ object: [String: Any]) {
        let id = binanceID(object["id"])
        func answer(_ status: Int, result: String) { reply(client, #"{"id":\#(id),"status":\#(status),"result":\#(result)}"#) }
        func fail(_ e: BinanceAPIError) { reply(client, #"{"id":\#(id),"status":\#(e.status),"error":\#(e.json)}"#) }
        var method = object["method"] as? String ?? ""
        if method.hasPrefix("v3/") { method.removeFirst(3) }
        var params: [String: String] = [:]
        for (k, v) in object["params"] as? [String: Any] ?? [:] {
            // JSON true and false come as a boolean NSNumber subclass: told apart from numbers by its type.
            if let s = v as? String {
                params[k] = s
            } else if let b = v as? Bool, String(describing: type(of: v)).hasSuffix("Boolean") {
                params[k] = String(b)
            } else if let n = v as? NSNumber {
                params[k] = n.stringValue
            }
        }
        switch method {
        case "ping": answer(200, result: "{}")
        case "time": answer(200, result: #"{"serverTime":\#(venueMilliseconds)}"#)
        case "userDataStream.subscribe.signature":
            switch binance.auth.verifyWebSocket(params, serverTimeMs: venueMilliseconds) {
            case .failure(let e): fail(e)
            case .success(let r):
                if binance.streams.contains(where: { $0.client == client.id && $0.account == r.account }) {
                    return fail(Self.binanceError(-2035, "User Data Stream subscription already active."))
                }
                let n = binance.nextSubscription[client.id, default: 0]
                binance.nextSubscription[client.id] = n + 1
                binance.streams.append((client.id, r.account, n))
                answer(200, result: #"{"subscriptionId":\#(n)}"#)
            }
        case "userDataStream.unsubscribe":
            let which = params["subscriptionId"].flatMap(Int.init)
            binance.streams.removeAll { $0.client == client.id && (which == nil || $0.subscription == which) }
            answer(200, result: "{}")
        case "session.subscriptions":
            let list = binance.streams.filter { $0.client == client.id }.map { #"{"subscriptionId":\#($0.subscription)}"# }
            answer(200, result: "[" + list.joined(separator: ",") + "]")
        case "order.place", "order.cancel", "order.status", "openOrders.status", "account.status", "myTrades":
            binanceSignedRequest(client, id: id, method: method, params)
        default:
            fail(BinanceAPIError(status: 400, code: -1102, msg: "Unknown method '\(method.filter { $0.isLetter || $0 == "." })'"))
        }
    }

    /// A SIGNED WebSocket API request: checked, then answered by the REST endpoint's own function, with the
    /// request's rate limits. An order placement first passes the connection's order rate (and the rate-limit
    /// fault); a placement or cancel's response is subject to the ack-timeout fault, its execution to late-fill.
    func binanceSignedRequest(_ client: SimClient, id: String, method: String, _ params: [String: String]) {
        let ms = venueMilliseconds
        let cost: Int
        switch method {
        case "order.status": cost = 4
        case "openOrders.status": cost = params["symbol"] == nil ? 80 : 6
        case "account.status": cost = 20
        case "myTrades": cost = params["orderId"] == nil ? 20 : 5
        default: cost = 1
        }
        let used = weight.add(cost, atMilliseconds: ms)
        let showLimits = params["returnRateLimits"] != "false"
        var orders: SimOrderAdmission? = nil
        func limits() -> String {
            guard showLimits else { return "" }
            var list: [String] = []
            if let orders {
                if wsOrderLimit > 0 {
                    list.append(#"{"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":\#(max(1, wsOrderWindow.raw / 1_000_000_000)),"limit":\#(wsOrderLimit),"count":\#(orders.count)}"#)
                }
                list.append(#"{"rateLimitType":"ORDERS","interval":"DAY","intervalNum":1,"limit":160000,"count":\#(client.ordersPlaced)}"#)
            }
            list.append(#"{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":\#(weightPerMinute),"count":\#(used)}"#)
            return #","rateLimits":[\#(list.joined(separator: ","))]"#
        }
        func render(_ result: Result<String, BinanceAPIError>) -> String {
            switch result {
            case .success(let json): #"{"id":\#(id),"status":200,"result":\#(json)\#(limits())}"#
            case .failure(let e): #"{"id":\#(id),"status":\#(e.status),"error":\#(e.json)\#(limits())}"#
            }
        }
        let r: BinanceSignedRequest
        switch binance.auth.verifyWebSocket(params, serverTimeMs: ms) {
        case .failure(let e): return reply(client, render(.failure(e)))
        case .success(let ok): r = ok
        }
        switch method {
        case "order.place":
            let admission = admitOrder(client)
            orders = admission
            guard admission.admitted else {
                let seconds = max(1, wsOrderWindow.raw / 1_000_000_000)
                let msg = "Too many new orders; current limit is \(wsOrderLimit) orders per \(seconds) SECOND."
                return orderResponse(client, #"{"id":\#(id),"status":429,"error":{"code":-1015,"msg":"\#(msg)","data":{"serverTime":\#(ms),"retryAfter":\#(admission.windowEndMs)}}\#(limits())}"#)
            }
            client.ordersPlaced += 1
            let result = executing { binancePlace(r.account, r.parameters) }
            orderResponse(client, render(result))
        case "order.cancel": orderResponse(client, render(executing { binanceCancel(r.account, r.parameters) }))
        case "order.status": reply(client, render(binanceQuery(r.account, r.parameters)))
        case "openOrders.status": reply(client, render(binanceOpenOrders(r.account, r.parameters)))
        case "myTrades": reply(client, render(binanceMyTrades(r.account, r.parameters)))
        default: reply(client, render(.success(binanceAccount(r.account, omitZero: r.parameters["omitZeroBalances"] == "true"))))
        }
    }
}
