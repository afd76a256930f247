import Foundation
import GantryCore
import GantryNet
import GantryVenues
import Testing
import VenueSim

/// A Bybit venue with BTCUSDT (0.01 tick, 0.000001 lot) and one funded account, its REST port and signing.
struct BybitDesk {
    static let key = "bybitSimKey1"
    static let secret = "bybitSimSecret1"
    let sim: VenueSimulator
    let venue: SimVenue

    init() throws {
        (sim, venue) = try testSimulator(.bybit, symbols: ["BTCUSDT"], quantityScale: 6, restPort: 0)
        // 2 BTC and 300,000 USDT (quote at price scale + quantity scale = 8 decimals).
        try venue.addBybitKey(apiKey: Self.key, secret: Self.secret, account: 1, deposits: ["BTC": "2", "USDT": "300000"])
    }

    var bestBid: Int64 { venue.books[0].engine.best(.buy)!.raw }
    var bestAsk: Int64 { venue.books[0].engine.best(.sell)!.raw }
    static func price(_ raw: Int64) -> String { FixedPoint.string(raw, scale: 2) }

    /// A signed call: X-BAPI-SIGN over timestamp + key + recv_window + (query | body).
    func call(_ method: String, _ path: String, query: String = "", body: String = "", key: String = key, secret: String = secret, timestamp: Int64? = nil) -> (Int, [String: Any], String) {
        let ts = timestamp ?? WallClock.now().raw / 1_000_000
        let payload = method == "GET" ? query : body
        let sign = BinanceSigning.signature(secret: Array(secret.utf8), payload: Array("\(ts)\(key)5000\(payload)".utf8))
        let headers = [("X-BAPI-API-KEY", key), ("X-BAPI-TIMESTAMP", "\(ts)"), ("X-BAPI-RECV-WINDOW", "5000"), ("X-BAPI-SIGN", sign), ("Content-Type", "application/json")]
        let r = rest(sim, port: venue.restPort!, method, path + (query.isEmpty ? "" : "?" + query), headers: headers, body: body)
        let text = r.map { String(decoding: $0.body, as: UTF8.self) } ?? ""
        return (r?.status ?? 0, json(text), text)
    }

    func create(_ fields: String) -> (Int, [String: Any], String) {
        call("POST", "/v5/order/create", body: #"{"category":"spot","symbol":"BTCUSDT",\#(fields)}"#)
    }
}

@Suite("Bybit v5 spot order entry: signed REST, orders, cancels, open orders, wallet, the private stream", .serialized)
struct BybitOrdersTests {
    @Test("orders: a resting limit, a market buy by value, a PostOnly that would cross (cancelled); cancel; realtime lists; wallet")
    func orders() throws {
        let desk = try BybitDesk()
        let bid = BybitDesk.price(desk.bestBid - 100)
        let (s1, limit, t1) = desk.create(#""side":"Buy","orderType":"Limit","qty":"0.010000","price":"\#(bid)","orderLinkId":"l-1""#)
        #expect(s1 == 200 && limit["retCode"] as? Int == 0 && limit["retMsg"] as? String == "OK", "\(t1)")
        let id = (limit["result"] as? [String: Any])?["orderId"] as? String ?? ""
        #expect((limit["result"] as? [String: Any])?["orderLinkId"] as? String == "l-1" && limit["retExtInfo"] is [String: Any] && limit["time"] is Int)
        let (_, open, openText) = desk.call("GET", "/v5/order/realtime", query: "category=spot&symbol=BTCUSDT")
        let list = ((open["result"] as? [String: Any])?["list"] as? [[String: Any]]) ?? []
        #expect(list.count == 1 && list[0]["orderStatus"] as? String == "New" && list[0]["leavesQty"] as? String == "0.01" && list[0]["positionIdx"] as? Int == 0)
        #expect(openText.contains(#""orderId":"\#(id)","orderLinkId":"l-1","blockTradeId":"","symbol":"BTCUSDT""#), "fields in the documented order")
        let (_, market, _) = desk.create(#""side":"Buy","orderType":"Market","qty":"1000""#)
        let mid = (market["result"] as? [String: Any])?["orderId"] as? String ?? ""
        let (_, bought, _) = desk.call("GET", "/v5/order/realtime", query: "category=spot&orderId=\(mid)")
        let m = (((bought["result"] as? [String: Any])?["list"] as? [[String: Any]]) ?? []).first ?? [:]
        let value = try FixedPoint.parse(m["cumExecValue"] as? String ?? "", scale: 8)
        // What 1000 USDT buys in whole lots (0.001 BTC, about 97 USDT each here).
        #expect(m["orderStatus"] as? String == "Filled" && value > 900 * 100_000_000 && value <= 1_000 * 100_000_000 && m["qty"] as? String == "1000", "\(m)")
        let (_, post, _) = desk.create(#""side":"Buy","orderType":"Limit","qty":"0.01","price":"\#(BybitDesk.price(desk.bestAsk + 5))","timeInForce":"PostOnly""#)
        let pid = (post["result"] as? [String: Any])?["orderId"] as? String ?? ""
        let (_, posted, _) = desk.call("GET", "/v5/order/realtime", query: "category=spot&orderId=\(pid)")
        #expect((((posted["result"] as? [String: Any])?["list"] as? [[String: Any]]) ?? []).first?["orderStatus"] as? String == "Cancelled")
        let (_, canceled, _) = desk.call("POST", "/v5/order/cancel", body: #"{"category":"spot","symbol":"BTCUSDT","orderLinkId":"l-1"}"#)
        #expect(canceled["retCode"] as? Int == 0 && (canceled["result"] as? [String: Any])?["orderId"] as? String == id)
        let (_, again, _) = desk.call("POST", "/v5/order/cancel", body: #"{"category":"spot","symbol":"BTCUSDT","orderId":"\#(id)"}"#)
        #expect(again["retCode"] as? Int == 170213 && again["retMsg"] as? String == "Order does not exist.")
        let (_, closed, _) = desk.call("GET", "/v5/order/realtime", query: "category=spot&openOnly=1")
        #expect(((closed["result"] as? [String: Any])?["list"] as? [[String: Any]])?.count == 3)
        let (_, wallet, _) = desk.call("GET", "/v5/account/wallet-balance", query: "accountType=UNIFIED")
        let coins = ((((wallet["result"] as? [String: Any])?["list"] as? [[String: Any]])?.first)?["coin"] as? [[String: Any]]) ?? []
        #expect(coins.contains { $0["coin"] as? String == "BTC" } && coins.contains { $0["coin"] as? String == "USDT" })
    }

    @Test("wallet balance: the unified account's coins with walletBalance, locked and spotBorrow; accountType is required and must be UNIFIED")
    func walletBalance() throws {
        let desk = try BybitDesk()
        let (_, wallet, _) = desk.call("GET", "/v5/account/wallet-balance", query: "accountType=UNIFIED")
        let list = (wallet["result"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        #expect(list.count == 1 && list.first?["accountType"] as? String == "UNIFIED")
        let btc = (list.first?["coin"] as? [[String: Any]] ?? []).first { $0["coin"] as? String == "BTC" }
        #expect(btc?["walletBalance"] as? String == "2" && btc?["locked"] as? String == "0" && btc?["spotBorrow"] as? String == "0", "\(btc ?? [:])")
        for query in ["", "accountType=SPOT"] {
            let (status, refused, _) = desk.call("GET", "/v5/account/wallet-balance", query: query)
            #expect(status == 200 && refused["retCode"] as? Int == 10001, "\(query): \(refused)")
        }
    }

    @Test("refusals carry Bybit's codes and messages (HTTP 200); a bad key, signature or timestamp is refused first")
    func refusals() throws {
        let desk = try BybitDesk()
        let p = BybitDesk.price(desk.bestBid - 100)
        let cases: [(String, Int, String)] = [
            (#""side":"Buy","orderType":"Limit","qty":"0.01","price":"\#(p)1""#, 170134, "Order price decimal too long."),
            (#""side":"Buy","orderType":"Limit","qty":"0.0000001","price":"\#(p)""#, 170137, "Order volume decimal too long"),
            (#""side":"Hold","orderType":"Limit","qty":"0.01","price":"\#(p)""#, 170117, "Invalid side."),
            (#""side":"Buy","orderType":"Stop","qty":"0.01","price":"\#(p)""#, 170116, "Invalid orderType."),
            (#""side":"Buy","orderType":"Limit","qty":"0.01","price":"\#(p)","timeInForce":"GTD""#, 170115, "Invalid timeInForce."),
            (#""side":"Buy","orderType":"Limit","qty":"0.01""#, 170105, "Parameter 'price' was empty."),
            (#""side":"Buy","orderType":"Limit","qty":"50","price":"\#(p)""#, 170131, "Balance insufficient"),
        ]
        for (fields, code, msg) in cases {
            let (status, body, text) = desk.create(fields)
            #expect(status == 200 && body["retCode"] as? Int == code && body["retMsg"] as? String == msg, "\(text)")
        }
        let (_, unknown, _) = desk.call("POST", "/v5/order/create", body: #"{"category":"spot","symbol":"XYZ","side":"Buy","orderType":"Market","qty":"1"}"#)
        #expect(unknown["retCode"] as? Int == 170121)
        _ = desk.create(#""side":"Buy","orderType":"Limit","qty":"0.01","price":"\#(p)","orderLinkId":"dup""#)
        #expect(desk.create(#""side":"Buy","orderType":"Limit","qty":"0.01","price":"\#(p)","orderLinkId":"dup""#).1["retCode"] as? Int == 170141)
        #expect(desk.call("GET", "/v5/order/realtime", query: "category=spot", key: "nobody").1["retCode"] as? Int == 10003)
        let badSign = desk.call("GET", "/v5/order/realtime", query: "category=spot", secret: "wrong").1
        #expect(badSign["retCode"] as? Int == 10004 && (badSign["retMsg"] as? String)?.hasPrefix("Error sign, please check your signature generation algorithm") == true)
        let late = desk.call("GET", "/v5/order/realtime", query: "category=spot", timestamp: WallClock.now().raw / 1_000_000 - 60_000).1
        #expect(late["retCode"] as? Int == 10002 && (late["retMsg"] as? String)?.contains("recv_window[5000]") == true)
    }

    @Test("the private stream: auth with the signed expiry, then order and execution messages as an IOC fills; bad auth refused")
    func privateStream() throws {
        let desk = try BybitDesk()
        let c = try TestClient(port: desk.venue.port, path: "/v5/private")
        let expires = WallClock.now().raw / 1_000_000 + 10_000
        let bad = c.request(desk.sim, #"{"op":"auth","args":["\#(BybitDesk.key)",\#(expires),"00"]}"#)
        #expect(json(bad.first ?? "")["success"] as? Bool == false && json(bad.first ?? "")["ret_msg"] as? String == "Params Error")
        #expect(json(c.request(desk.sim, #"{"op":"subscribe","args":["order"]}"#).first ?? "")["ret_msg"] as? String == "Request not authorized")
        let sign = BinanceSigning.signature(secret: Array(BybitDesk.secret.utf8), payload: Array("GET/realtime\(expires)".utf8))
        let ok = json(c.request(desk.sim, #"{"req_id":"a1","op":"auth","args":["\#(BybitDesk.key)",\#(expires),"\#(sign)"]}"#).first ?? "")
        #expect(ok["success"] as? Bool == true && ok["op"] as? String == "auth" && ok["req_id"] as? String == "a1")
        #expect(json(c.request(desk.sim, #"{"op":"subscribe","args":["order","execution"]}"#).first ?? "")["success"] as? Bool == true)
        let before = c.received.count
        let (_, placed, _) = desk.create(#""side":"Buy","orderType":"Limit","qty":"0.01","price":"\#(BybitDesk.price(desk.bestAsk + 20))","timeInForce":"IOC""#)
        #expect(placed["retCode"] as? Int == 0)
        c.pump(desk.sim, seconds: 1) { $0.received.count > before + 1 }
        let events = c.received[before...].map(json)
        let executions = events.filter { $0["topic"] as? String == "execution" }.flatMap { $0["data"] as? [[String: Any]] ?? [] }
        let orders = events.filter { $0["topic"] as? String == "order" }.flatMap { $0["data"] as? [[String: Any]] ?? [] }
        #expect(!executions.isEmpty && executions.allSatisfy { $0["isMaker"] as? Bool == false && $0["execType"] as? String == "Trade" && $0["category"] as? String == "spot" })
        // The fee's coin, as the execution topic names it (the simulator charges the quote coin).
        #expect(executions.allSatisfy { $0["feeCurrency"] as? String == "USDT" })
        #expect(orders.last?["orderStatus"] as? String == "Filled" || orders.last?["orderStatus"] as? String == "PartiallyFilledCanceled")
        #expect(events.allSatisfy { $0["creationTime"] is Int && $0["id"] is String })
    }
}
