import Foundation
import GantryCore
import GantryNet
import GantryVenues
import Testing
import VenueSim

/// A Coinbase venue with BTC-USD (0.01 tick, 0.00001 lot), a CDP key for account 1, and JWT-authenticated calls.
struct CoinbaseDesk {
    static let keyName = "organizations/sim/apiKeys/k1"
    let sim: VenueSimulator
    let venue: SimVenue
    let key = ES256Key.generate()

    init() throws {
        (sim, venue) = try testSimulator(.coinbase, symbols: ["BTC-USD"], restPort: 0)
        // 2 BTC and 300,000 USD (quote at price scale + quantity scale = 10 decimals).
        try venue.addCoinbaseKey(name: Self.keyName, publicKey: try ES256Key(publicKeyPEM: key.publicKeyPEM), account: 1, deposits: ["BTC": "2", "USD": "300000"])
    }

    func jwt(_ uri: String?, key: ES256Key? = nil, now: Int64 = WallClock.now().raw / 1_000_000_000) throws -> String {
        try CoinbaseJWT.make(keyName: Self.keyName, key: key ?? self.key, uri: uri, now: now, nonce: [1, 2, 3, 4])
    }

    func call(_ method: String, _ path: String, _ body: String = "", jwt: String? = nil) throws -> (Int, [String: Any], String) {
        let token = try jwt ?? self.jwt("\(method) api.sim.test\(path.split(separator: "?").first!)")
        let r = rest(sim, port: venue.restPort!, method, path, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")], body: body)
        let text = r.map { String(decoding: $0.body, as: UTF8.self) } ?? ""
        return (r?.status ?? 0, json(text), text)
    }

    func order(_ side: String, _ configuration: String, id: String = UUID().uuidString) throws -> (Int, [String: Any], String) {
        try call("POST", "/api/v3/brokerage/orders", #"{"client_order_id":"\#(id)","product_id":"BTC-USD","side":"\#(side)","order_configuration":\#(configuration)}"#)
    }

    var bestBid: Int64 { venue.books[0].engine.best(.buy)!.raw }
    var bestAsk: Int64 { venue.books[0].engine.best(.sell)!.raw }
    static func price(_ raw: Int64) -> String { FixedPoint.string(raw, scale: 2) }
}

@Suite("Coinbase Advanced Trade order entry: CDP JWT auth, orders, cancels, history, accounts, the user channel", .serialized)
struct CoinbaseOrdersTests {
    @Test("JWT authentication: a token for another uri, an expired one, another key's, or none is 401 Unauthorized")
    func authentication() throws {
        let desk = try CoinbaseDesk()
        #expect(try desk.call("GET", "/api/v3/brokerage/accounts").0 == 200)
        let wrongUri = try desk.jwt("GET api.sim.test/api/v3/brokerage/orders")
        let expired = try desk.jwt("GET api.sim.test/api/v3/brokerage/accounts", now: WallClock.now().raw / 1_000_000_000 - 300)
        let otherKey = try desk.jwt("GET api.sim.test/api/v3/brokerage/accounts", key: ES256Key.generate())
        for token in [wrongUri, expired, otherKey, "not.a.jwt"] {
            let (status, _, text) = try desk.call("GET", "/api/v3/brokerage/accounts", jwt: token)
            #expect(status == 401 && text == "Unauthorized")
        }
    }

    @Test("a market IOC buy fills, a resting GTC is OPEN then CANCELLED; history, batch_cancel results and accounts")
    func ordersAndCancels() throws {
        let desk = try CoinbaseDesk()
        let (s1, market, t1) = try desk.order("BUY", #"{"market_market_ioc":{"base_size":"0.01"}}"#, id: "m1")
        #expect(s1 == 200 && market["success"] as? Bool == true, "\(t1)")
        let mid = (market["success_response"] as? [String: Any])?["order_id"] as? String ?? ""
        let (_, history, _) = try desk.call("GET", "/api/v3/brokerage/orders/historical/\(mid)")
        let filled = history["order"] as? [String: Any] ?? [:]
        #expect(filled["status"] as? String == "FILLED" && filled["filled_size"] as? String == "0.01" && filled["order_type"] as? String == "MARKET")
        #expect(filled["time_in_force"] as? String == "IMMEDIATE_OR_CANCEL" && filled["number_of_fills"] as? String != "0")
        // The same client_order_id again returns the original order, not a new one.
        let (_, replayed, _) = try desk.order("BUY", #"{"market_market_ioc":{"base_size":"0.01"}}"#, id: "m1")
        #expect((replayed["success_response"] as? [String: Any])?["order_id"] as? String == mid)
        let price = CoinbaseDesk.price(desk.bestBid - 300)
        let (_, limit, _) = try desk.order("BUY", #"{"limit_limit_gtc":{"base_size":"0.02","limit_price":"\#(price)","post_only":true}}"#)
        let lid = (limit["success_response"] as? [String: Any])?["order_id"] as? String ?? ""
        let (_, open, _) = try desk.call("GET", "/api/v3/brokerage/orders/historical/batch?order_status=OPEN")
        #expect((open["orders"] as? [[String: Any]])?.map { $0["order_id"] as? String } == [lid])
        let (_, cancel, cancelText) = try desk.call("POST", "/api/v3/brokerage/orders/batch_cancel", #"{"order_ids":["\#(lid)","nope"]}"#)
        let results = cancel["results"] as? [[String: Any]] ?? []
        #expect(results.count == 2 && results[0]["success"] as? Bool == true && results[0]["failure_reason"] as? String == "UNKNOWN_CANCEL_FAILURE_REASON", "\(cancelText)")
        #expect(results[1]["success"] as? Bool == false && results[1]["failure_reason"] as? String == "UNKNOWN_CANCEL_ORDER")
        let (_, again, _) = try desk.call("POST", "/api/v3/brokerage/orders/batch_cancel", #"{"order_ids":["\#(lid)"]}"#)
        #expect((again["results"] as? [[String: Any]])?.first?["failure_reason"] as? String == "DUPLICATE_CANCEL_REQUEST")
        // By quote_size: what 1,000 USD takes from the asks.
        let (_, byQuote, _) = try desk.order("BUY", #"{"market_market_ioc":{"quote_size":"1000"}}"#)
        let qid = (byQuote["success_response"] as? [String: Any])?["order_id"] as? String ?? ""
        let quoted = (try desk.call("GET", "/api/v3/brokerage/orders/historical/\(qid)").1["order"] as? [String: Any]) ?? [:]
        let value = try FixedPoint.parse(quoted["filled_value"] as? String ?? "0", scale: 10)
        #expect(quoted["status"] as? String == "FILLED" && value <= 1_000 * 10_000_000_000 && value > 990 * 10_000_000_000)
        _ = try desk.order("SELL", #"{"market_market_ioc":{"base_size":"0.01"}}"#)
        let (_, accounts, _) = try desk.call("GET", "/api/v3/brokerage/accounts")
        let btc = (accounts["accounts"] as? [[String: Any]])?.first { $0["currency"] as? String == "BTC" }
        // 2 BTC, + 0.01 bought, + what 1,000 USD bought, − 0.01 sold.
        let expected = 200_000_000 + (try FixedPoint.parse(quoted["filled_size"] as? String ?? "0", scale: 8))
        let available = try FixedPoint.parse((btc?["available_balance"] as? [String: Any])?["value"] as? String ?? "0", scale: 8)
        #expect(available == expected && accounts["has_next"] as? Bool == false)
    }

    @Test("List Accounts pages: 49 unless limit says, has_next and a cursor while more follow; a bad limit is 400")
    func accountPages() throws {
        let desk = try CoinbaseDesk()
        let (_, all, _) = try desk.call("GET", "/api/v3/brokerage/accounts")
        let currencies = ((all["accounts"] as? [[String: Any]]) ?? []).compactMap { $0["currency"] as? String }
        #expect(currencies.count == 2 && all["has_next"] as? Bool == false && all["cursor"] as? String == "" && all["size"] as? Int == 2)
        let (_, first, _) = try desk.call("GET", "/api/v3/brokerage/accounts?limit=1")
        let cursor = try #require(first["cursor"] as? String)
        #expect(first["has_next"] as? Bool == true && !cursor.isEmpty && first["size"] as? Int == 1)
        let (_, second, _) = try desk.call("GET", "/api/v3/brokerage/accounts?limit=1&cursor=\(cursor)")
        #expect(second["has_next"] as? Bool == false && second["cursor"] as? String == "")
        let paged = ((first["accounts"] as? [[String: Any]]) ?? []) + ((second["accounts"] as? [[String: Any]]) ?? [])
        #expect(paged.compactMap { $0["currency"] as? String } == currencies)
        for bad in ["limit=0", "limit=251", "limit=x", "cursor=-1"] { #expect(try desk.call("GET", "/api/v3/brokerage/accounts?\(bad)").0 == 400, "\(bad)") }
    }

    @Test("rejections are HTTP 200 with success:false and the documented failure reasons")
    func rejections() throws {
        let desk = try CoinbaseDesk()
        let crossing = CoinbaseDesk.price(desk.bestAsk + 100)
        let cases: [(String, String, String)] = [
            ("BUY", #"{"limit_limit_gtc":{"base_size":"0.000001","limit_price":"90000"}}"#, "INVALID_SIZE_PRECISION"),
            ("BUY", #"{"limit_limit_gtc":{"base_size":"0.01","limit_price":"90000.001"}}"#, "INVALID_PRICE_PRECISION"),
            ("HOLD", #"{"limit_limit_gtc":{"base_size":"0.01","limit_price":"90000"}}"#, "INVALID_SIDE"),
            ("BUY", #"{"stop_limit_stop_limit_gtc":{"base_size":"0.01"}}"#, "UNSUPPORTED_ORDER_CONFIGURATION"),
            ("BUY", #"{"limit_limit_gtc":{"base_size":"0.01","limit_price":"\#(crossing)","post_only":true}}"#, "INVALID_LIMIT_PRICE_POST_ONLY"),
            ("BUY", #"{"limit_limit_gtc":{"base_size":"100","limit_price":"90000"}}"#, "INSUFFICIENT_FUND"),
        ]
        for (side, config, reason) in cases {
            let (status, body, text) = try desk.order(side, config)
            let error = body["error_response"] as? [String: Any] ?? [:]
            #expect(status == 200 && body["success"] as? Bool == false && error["new_order_failure_reason"] as? String == reason, "\(text)")
        }
        let (_, product, _) = try desk.call("POST", "/api/v3/brokerage/orders", #"{"client_order_id":"x","product_id":"DOGE-XYZ","side":"BUY","order_configuration":{"market_market_ioc":{"base_size":"1"}}}"#)
        #expect((product["error_response"] as? [String: Any])?["new_order_failure_reason"] as? String == "INVALID_PRODUCT_ID")
        #expect(desk.venue.books[0].engine.openOrders(account: 1).isEmpty)
    }

    @Test("the user channel: a snapshot of open orders, then updates as the market fills the order, every field a string")
    func userChannel() throws {
        let desk = try CoinbaseDesk()
        let price = CoinbaseDesk.price(desk.bestBid - 200)
        let (_, resting, _) = try desk.order("BUY", #"{"limit_limit_gtc":{"base_size":"0.005","limit_price":"\#(price)"}}"#, id: "r1")
        #expect(resting["success"] as? Bool == true)
        let c = try TestClient(port: desk.venue.port, path: "/")
        let bad = c.request(desk.sim, #"{"type":"subscribe","channel":"user","jwt":"\#(try desk.jwt("GET x/y"))"}"#)
        #expect(bad == [#"{"type":"error","message":"authentication failure"}"#], "a REST token (with a uri) is not a WebSocket token")
        let snapshot = json(c.request(desk.sim, #"{"type":"subscribe","channel":"user","product_ids":["BTC-USD"],"jwt":"\#(try desk.jwt(nil))"}"#).first ?? "")
        #expect(snapshot["channel"] as? String == "user" && snapshot["sequence_num"] as? Int == 0, "errors carry no sequence number")
        let event = (snapshot["events"] as? [[String: Any]])?.first ?? [:]
        let orders = event["orders"] as? [[String: String]] ?? []
        #expect(event["type"] as? String == "snapshot" && orders.count == 1 && orders.first?["client_order_id"] == "r1" && orders.first?["order_type"] == "Limit")
        #expect(orders.first?["status"] == "OPEN" && orders.first?["leaves_quantity"] == "0.005" && orders.first?["post_only"] == "false")
        // The market moves down through the bid: fills arrive as updates.
        desk.sim.paused = false
        desk.sim.diverge(market: 0, slot: 0, by: -400 * 1_000_000)
        c.pump(desk.sim, seconds: 2) { $0.received.contains { $0.contains(#""status":"FILLED""#) } }
        let updates = c.received.dropFirst(2).map { json($0) }.filter { $0["channel"] as? String == "user" }
        let last = (updates.last?["events"] as? [[String: Any]])?.first?["orders"] as? [[String: String]]
        #expect(last?.first?["status"] == "FILLED" && last?.first?["cumulative_quantity"] == "0.005" && last?.first?["number_of_fills"] != "0")
        let (_, history, _) = try desk.call("GET", "/api/v3/brokerage/orders/historical/batch?order_status=FILLED")
        #expect((history["orders"] as? [[String: Any]])?.count == 1)
    }

    @Test("Coinbase takes orders by REST only, so the order faults hit its create order: rate_limit is its 429, not executed; ack_timeout executes it and never answers")
    func orderFaults() throws {
        let desk = try CoinbaseDesk()
        desk.venue.faults.inject(.rateLimit)
        let (status, limited, _) = try desk.order("BUY", #"{"market_market_ioc":{"base_size":"0.01"}}"#, id: "f1")
        #expect(status == 429 && limited["error"] as? String == "RATE_LIMIT_EXCEEDED")
        #expect((try desk.call("GET", "/api/v3/brokerage/orders/historical/batch").1["orders"] as? [Any])?.isEmpty == true, "not executed")
        desk.venue.faults.inject(.ackTimeout)
        let client = HTTPClient(address: "127.0.0.1", port: desk.venue.restPort!, host: "api.sim.test", tls: nil)
        let token = try desk.jwt("POST api.sim.test/api/v3/brokerage/orders")
        let body = #"{"client_order_id":"f2","product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"base_size":"0.01"}}}"#
        guard case .success = client.send(
            method: "POST", target: "/api/v3/brokerage/orders", headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
            body: Array(body.utf8))
        else { Issue.record("not sent"); return }
        var answered = false
        let deadline = MonotonicClock.now() + .milliseconds(300)
        while MonotonicClock.now() < deadline {
            _ = desk.sim.poll()
            _ = client.poll { _, _ in answered = true }
            usleep(200)
        }
        #expect(!answered, "no answer")
        let orders = try desk.call("GET", "/api/v3/brokerage/orders/historical/batch").1["orders"] as? [[String: Any]] ?? []
        #expect(orders.count == 1 && orders.first?["client_order_id"] as? String == "f2" && orders.first?["status"] as? String == "FILLED", "executed all the same")
    }
}
