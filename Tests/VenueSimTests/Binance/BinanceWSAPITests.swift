import Foundation
import GantryCore
import GantryNet
import GantryVenues
import Testing
import VenueSim

/// Binance's WebSocket API for a desk: signed requests (params sorted, HMAC-SHA256 hex) over `/ws-api/v3`.
struct BinanceWSDesk {
    let desk: BinanceOrderDesk
    let api: TestClient
    let stream: TestClient

    init() throws {
        desk = try BinanceOrderDesk()
        api = try TestClient(port: desk.venue.port, path: "/ws-api/v3")
        stream = try TestClient(port: desk.venue.port, path: "/ws-api/v3")
        api.pump(desk.sim) { $0.open }
        let subscribed = stream.request(desk.sim, signed("s", "userDataStream.subscribe.signature", []))
        precondition(subscribed.first?.contains(#""subscriptionId":0"#) == true, "the user stream subscribes")
    }

    /// A signed request: the params (text values), apiKey and timestamp, and the signature over them sorted.
    func signed(_ id: String, _ method: String, _ params: [(String, String)], secret: String = BinanceOrderDesk.secret) -> String {
        let ts = String(WallClock.now().raw / 1_000_000)
        let all = params + [("apiKey", BinanceOrderDesk.key), ("timestamp", ts)]
        let payload = all.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let sig = BinanceSigning.signature(secret: Array(secret.utf8), payload: Array(payload.utf8))
        let fields = all.map { $0.0 == "timestamp" ? #""timestamp":\#($0.1)"# : #""\#($0.0)":"\#($0.1)""# } + [#""signature":"\#(sig)""#]
        return #"{"id":"\#(id)","method":"\#(method)","params":{\#(fields.joined(separator: ","))}}"#
    }

    /// Sends a signed request on the API connection and waits for its response (the message with its id).
    func call(_ id: String, _ method: String, _ params: [(String, String)], secret: String = BinanceOrderDesk.secret) -> [String: Any] {
        api.send(signed(id, method, params, secret: secret))
        api.pump(desk.sim) { c in c.received.contains { $0.contains(#""id":"\#(id)""#) } }
        return json(api.received.first { $0.contains(#""id":"\#(id)""#) } ?? "{}")
    }

    static func error(_ r: [String: Any]) -> (Int, String) {
        let e = r["error"] as? [String: Any] ?? [:]
        return (e["code"] as? Int ?? 0, e["msg"] as? String ?? "")
    }

    /// The execution reports the user stream has carried.
    var reports: [[String: Any]] {
        stream.received.compactMap { json($0)["event"] as? [String: Any] }.filter { $0["e"] as? String == "executionReport" }
    }

    func ioc(_ qty: String, id: String = "g0000000000000001") -> [(String, String)] {
        [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "IOC"), ("quantity", qty),
         ("price", BinanceOrderDesk.price(desk.bestAsk + 20)), ("newClientOrderId", id)]
    }
}

@Suite("Binance WebSocket API orders: order.place, order.cancel, order.status, openOrders.status, account.status", .serialized)
struct BinanceWSAPITests {
    @Test("an IOC fills (FULL result, rateLimits with the ORDERS counts) and the user stream carries the same fills")
    func iocFills() throws {
        let ws = try BinanceWSDesk()
        let r = ws.call("p1", "order.place", ws.ioc("0.02000"))
        #expect(r["status"] as? Int == 200)
        let result = r["result"] as? [String: Any] ?? [:]
        #expect(result["clientOrderId"] as? String == "g0000000000000001" && result["status"] as? String == "FILLED")
        let fills = result["fills"] as? [[String: Any]] ?? []
        let limits = r["rateLimits"] as? [[String: Any]] ?? []
        #expect(limits.map { $0["rateLimitType"] as? String ?? "" } == ["ORDERS", "ORDERS", "REQUEST_WEIGHT"])
        #expect(limits[0]["interval"] as? String == "SECOND" && limits[0]["intervalNum"] as? Int == 10 && limits[0]["limit"] as? Int == 50 && limits[0]["count"] as? Int == 1)
        ws.stream.pump(ws.desk.sim, seconds: 1) { _ in ws.reports.filter { $0["x"] as? String == "TRADE" }.count >= fills.count }
        let trades = ws.reports.filter { $0["x"] as? String == "TRADE" && $0["c"] as? String == "g0000000000000001" }
        #expect(!fills.isEmpty && trades.map { $0["t"] as? Int ?? -1 } == fills.map { $0["tradeId"] as? Int ?? -2 }, "the same trades, in order")
        #expect(trades.map { $0["l"] as? String ?? "" } == fills.map { $0["qty"] as? String ?? "?" })
        #expect(trades.last?["X"] as? String == "FILLED" && trades.last?["z"] as? String == result["executedQty"] as? String)
    }

    @Test("a GTC rests: order.status, openOrders.status and account.status show it; order.cancel releases it; unknown orders are refused")
    func restQueryCancel() throws {
        let ws = try BinanceWSDesk()
        let price = BinanceOrderDesk.price(ws.desk.bestBid - 300)
        let placed = ws.call("p", "order.place", [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC"), ("quantity", "0.01000"), ("price", price), ("newClientOrderId", "g00000000000000a1"), ("newOrderRespType", "RESULT")])
        let orderId = (placed["result"] as? [String: Any])?["orderId"] as? Int ?? -1
        #expect((placed["result"] as? [String: Any])?["status"] as? String == "NEW" && orderId > 0)
        let status = ws.call("s", "order.status", [("symbol", "BTCUSDT"), ("origClientOrderId", "g00000000000000a1")])
        #expect((status["result"] as? [String: Any])?["orderId"] as? Int == orderId && (status["result"] as? [String: Any])?["isWorking"] as? Bool == true)
        #expect((status["rateLimits"] as? [[String: Any]])?.first?["count"] as? Int ?? 0 >= 4, "order.status weighs 4")
        let open = ws.call("o", "openOrders.status", [("symbol", "BTCUSDT")])
        #expect((open["result"] as? [[String: Any]])?.map { $0["orderId"] as? Int ?? 0 } == [orderId])
        let account = ws.call("a", "account.status", [("omitZeroBalances", "true")])
        let balances = (account["result"] as? [String: Any])?["balances"] as? [[String: String]] ?? []
        let locked = try FixedPoint.parse(balances.first { $0["asset"] == "USDT" }?["locked"] ?? "", scale: 10)
        #expect(locked == ws.desk.venue.ledger.balance(1, "USDT").locked && locked > 0 && balances.count == 2)
        let canceled = ws.call("c", "order.cancel", [("symbol", "BTCUSDT"), ("orderId", String(orderId))])
        #expect((canceled["result"] as? [String: Any])?["status"] as? String == "CANCELED" && ws.desk.venue.ledger.balance(1, "USDT").locked == 0)
        #expect(BinanceWSDesk.error(ws.call("c2", "order.cancel", [("symbol", "BTCUSDT"), ("orderId", String(orderId))])) == (-2011, "Unknown order sent."))
        #expect(BinanceWSDesk.error(ws.call("s2", "order.status", [("symbol", "BTCUSDT"), ("orderId", "999999")])) == (-2013, "Order does not exist."))
        let dup1 = ws.call("d1", "order.place", [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC"), ("quantity", "0.01000"), ("price", price), ("newClientOrderId", "g00000000000000b2")])
        let dup2 = ws.call("d2", "order.place", [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC"), ("quantity", "0.01000"), ("price", price), ("newClientOrderId", "g00000000000000b2")])
        #expect(dup1["status"] as? Int == 200 && BinanceWSDesk.error(dup2) == (-2010, "Duplicate order sent."), "a live order's client id is not taken twice")
        let bad = ws.call("x", "order.place", [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC"), ("quantity", "0.01000"), ("price", price), ("newClientOrderId", "g#1")])
        #expect(BinanceWSDesk.error(bad).0 == -1100)
    }

    @Test("authentication: a bad signature is -1022 (400), an unknown key -2015 (401); nothing is placed")
    func authentication() throws {
        let ws = try BinanceWSDesk()
        let r = ws.call("b", "order.place", ws.ioc("0.01000"), secret: "wrong")
        #expect(r["status"] as? Int == 400 && BinanceWSDesk.error(r) == (-1022, "Signature for this request is not valid."))
        ws.api.send(ws.signed("k", "account.status", []).replacingOccurrences(of: BinanceOrderDesk.key, with: "nobody"))
        ws.api.pump(ws.desk.sim) { c in c.received.contains { $0.contains(#""id":"k""#) } }
        let k = json(ws.api.received.last ?? "")
        #expect(k["status"] as? Int == 401 && BinanceWSDesk.error(k).0 == -2015)
        #expect(ws.desk.venue.ledger.balance(1, "BTC").free == 200_000_000)
    }

    @Test("faults on WebSocket orders: reject (-2010), rate limit (429, -1015, retryAfter) by fault and by the connection's rate, partial fill")
    func faults() throws {
        let ws = try BinanceWSDesk()
        ws.desk.venue.wsOrderWindow = .seconds(3_600)  // one window for the whole test (windows are aligned to the clock)
        ws.desk.venue.faults.inject(.reject)
        let rejected = ws.call("r", "order.place", ws.ioc("0.01000"))
        #expect(rejected["status"] as? Int == 400 && BinanceWSDesk.error(rejected) == (-2010, "Market is closed."))
        ws.desk.venue.faults.inject(.rateLimit)
        let limited = ws.call("l", "order.place", ws.ioc("0.01000", id: "g0000000000000002"))
        let error = limited["error"] as? [String: Any] ?? [:]
        #expect(limited["status"] as? Int == 429 && error["code"] as? Int == -1015 && ((error["data"] as? [String: Any])?["retryAfter"] as? Int ?? 0) > 0)
        #expect(ws.desk.venue.ledger.balance(1, "BTC").free == 200_000_000, "a refused order is not executed")
        ws.desk.venue.wsOrderLimit = 3  // the two above count, one more passes, the fourth is refused
        ws.desk.venue.faults.inject(.partialFill)
        let partial = ws.call("f", "order.place", ws.ioc("0.02000", id: "g0000000000000003"))
        #expect((partial["result"] as? [String: Any])?["status"] as? String == "EXPIRED" && (partial["result"] as? [String: Any])?["executedQty"] as? String == "0.01000000")
        let over = ws.call("o", "order.place", ws.ioc("0.01000", id: "g0000000000000004"))
        #expect(over["status"] as? Int == 429 && BinanceWSDesk.error(over).1 == "Too many new orders; current limit is 3 orders per 3600 SECOND.")
        #expect((over["rateLimits"] as? [[String: Any]])?.first?["count"] as? Int == 4)
    }

    @Test("ack timeout: the order executes, no response comes, the user stream and order.status tell what happened")
    func ackTimeout() throws {
        let ws = try BinanceWSDesk()
        ws.desk.venue.faults.inject(.ackTimeout)
        ws.api.send(ws.signed("t", "order.place", ws.ioc("0.01000", id: "g00000000000000c1")))
        ws.api.pump(ws.desk.sim, seconds: 0.3) { _ in false }
        #expect(!ws.api.received.contains { $0.contains(#""id":"t""#) }, "no response")
        ws.stream.pump(ws.desk.sim, seconds: 1) { _ in ws.reports.contains { $0["X"] as? String == "FILLED" } }
        #expect(ws.reports.contains { $0["c"] as? String == "g00000000000000c1" && $0["X"] as? String == "FILLED" })
        let status = ws.call("q", "order.status", [("symbol", "BTCUSDT"), ("origClientOrderId", "g00000000000000c1")])
        #expect((status["result"] as? [String: Any])?["status"] as? String == "FILLED")
    }

    @Test("a duplicate-report fault sends a fill's executionReport twice; a late-fill fault sends the reports after the response")
    func duplicateAndLate() throws {
        let ws = try BinanceWSDesk()
        ws.desk.venue.faults.inject(.duplicateReport)
        _ = ws.call("d", "order.place", ws.ioc("0.00100", id: "g00000000000000d1"))
        ws.stream.pump(ws.desk.sim, seconds: 1) { _ in ws.reports.filter { $0["x"] as? String == "TRADE" }.count >= 2 }
        let trades = ws.reports.filter { $0["x"] as? String == "TRADE" }
        let first = trades.filter { $0["t"] as? Int == trades.first?["t"] as? Int }
        #expect(first.count == 2 && first[0]["I"] as? Int == first[1]["I"] as? Int, "the first fill's report, twice, with the same execution id")
        ws.desk.venue.lateFillDelay = .milliseconds(150)
        ws.desk.venue.faults.inject(.lateFill)
        let before = ws.reports.count
        let sent = MonotonicClock.now()
        let r = ws.call("l", "order.place", ws.ioc("0.00100", id: "g00000000000000d2"))
        #expect((r["result"] as? [String: Any])?["status"] as? String == "FILLED" && ws.reports.count == before, "the response first")
        ws.stream.pump(ws.desk.sim, seconds: 1) { _ in ws.reports.contains { $0["c"] as? String == "g00000000000000d2" && $0["x"] as? String == "TRADE" } }
        #expect(MonotonicClock.now() - sent >= .milliseconds(150) && ws.reports.contains { $0["c"] as? String == "g00000000000000d2" })
    }

    @Test("a disconnect with an order in flight: the connection drops, the order never reached the book")
    func disconnectInFlight() throws {
        let ws = try BinanceWSDesk()
        ws.api.send(ws.signed("z", "order.place", ws.ioc("0.01000", id: "g00000000000000e1")))
        ws.desk.venue.faults.inject(.disconnect)
        ws.api.pump(ws.desk.sim, seconds: 1) { $0.closed }
        #expect(ws.api.closed && !ws.api.received.contains { $0.contains(#""id":"z""#) })
        let (status, body, _) = ws.desk.call("GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=g00000000000000e1")
        #expect(status == 400 && body["code"] as? Int == -2013 && ws.desk.venue.ledger.balance(1, "BTC").free == 200_000_000)
    }
}
