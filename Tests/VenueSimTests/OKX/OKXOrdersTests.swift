import Foundation
import GantryCore
import GantryNet
import GantryVenues
import Testing
import VenueSim

/// An OKX venue with BTC-USDT (0.1 tick, 0.00001 lot) and one funded account, its REST port and signing.
struct OKXDesk {
    static let key = "okxSimKey1"
    static let secret = "okxSimSecret1"
    static let passphrase = "okxPass1"
    let sim: VenueSimulator
    let venue: SimVenue

    init() throws {
        (sim, venue) = try testSimulator(.okx, symbols: ["BTC-USDT"], priceScale: 1, restPort: 0)
        // 2 BTC and 300,000 USDT (quote at price scale + quantity scale = 9 decimals).
        try venue.addOKXKey(apiKey: Self.key, secret: Self.secret, passphrase: Self.passphrase, account: 1, deposits: ["BTC": "2", "USDT": "300000"])
    }

    var bestBid: Int64 { venue.books[0].engine.best(.buy)!.raw }
    var bestAsk: Int64 { venue.books[0].engine.best(.sell)!.raw }
    static func price(_ raw: Int64) -> String { FixedPoint.string(raw, scale: 1) }

    static func isoNow(offsetMs: Int64 = 0) -> String {
        var w = SimWriter(capacity: 32)
        w.isoTime(WallClock.now() + .milliseconds(offsetMs), digits: 3)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// A signed call: base64 HMAC-SHA256 of timestamp + METHOD + path?query + body.
    func call(_ method: String, _ path: String, body: String = "", key: String = key, secret: String = secret, passphrase: String = passphrase, offsetMs: Int64 = 0) -> (Int, [String: Any], String) {
        let stamp = Self.isoNow(offsetMs: offsetMs)
        let sign = Base64.encode(Crypto.hmacSHA256(key: Array(secret.utf8), Array((stamp + method + path + body).utf8)))
        let headers = [("OK-ACCESS-KEY", key), ("OK-ACCESS-SIGN", sign), ("OK-ACCESS-TIMESTAMP", stamp), ("OK-ACCESS-PASSPHRASE", passphrase), ("Content-Type", "application/json")]
        let r = rest(sim, port: venue.restPort!, method, path, headers: headers, body: body)
        let text = r.map { String(decoding: $0.body, as: UTF8.self) } ?? ""
        return (r?.status ?? 0, json(text), text)
    }

    func place(_ fields: String) -> (Int, [String: Any], String) {
        call("POST", "/api/v5/trade/order", body: #"{"instId":"BTC-USDT","tdMode":"cash",\#(fields)}"#)
    }

    static func first(_ body: [String: Any]) -> [String: Any] { (body["data"] as? [[String: Any]])?.first ?? [:] }
}

@Suite("OKX v5 spot order entry: signed REST, orders, cancels, queries, balance, the private orders channel", .serialized)
struct OKXOrdersTests {
    @Test("a resting limit, a market buy by quote, an IOC, a post_only that would cross (canceled, source 31); cancel; queries; balance")
    func orders() throws {
        let desk = try OKXDesk()
        let (s1, limit, t1) = desk.place(#""side":"buy","ordType":"limit","sz":"0.010","px":"\#(OKXDesk.price(desk.bestBid - 50))","clOrdId":"gantry1""#)
        #expect(s1 == 200 && limit["code"] as? String == "0" && OKXDesk.first(limit)["sCode"] as? String == "0" && limit["inTime"] is String, "\(t1)")
        let id = OKXDesk.first(limit)["ordId"] as? String ?? ""
        let (_, pending, pendingText) = desk.call("GET", "/api/v5/trade/orders-pending?instType=SPOT&instId=BTC-USDT")
        #expect(OKXDesk.first(pending)["state"] as? String == "live" && OKXDesk.first(pending)["clOrdId"] as? String == "gantry1")
        #expect(pendingText.contains(#"{"instType":"SPOT","instId":"BTC-USDT","tgtCcy":"","ccy":"","ordId":"\#(id)""#), "fields in the documented order")
        let (_, market, _) = desk.place(#""side":"buy","ordType":"market","sz":"500""#)
        let (_, bought, _) = desk.call("GET", "/api/v5/trade/order?instId=BTC-USDT&ordId=\(OKXDesk.first(market)["ordId"] as? String ?? "")")
        let m = OKXDesk.first(bought)
        #expect(m["state"] as? String == "filled" && m["tgtCcy"] as? String == "quote_ccy" && m["sz"] as? String == "500" && (m["fee"] as? String)?.hasPrefix("-") == true)
        let (_, post, _) = desk.place(#""side":"buy","ordType":"post_only","sz":"0.01","px":"\#(OKXDesk.price(desk.bestAsk + 10))""#)
        let (_, posted, _) = desk.call("GET", "/api/v5/trade/order?instId=BTC-USDT&ordId=\(OKXDesk.first(post)["ordId"] as? String ?? "")")
        #expect(OKXDesk.first(posted)["state"] as? String == "canceled" && OKXDesk.first(posted)["cancelSource"] as? String == "31")
        let (_, cancel, _) = desk.call("POST", "/api/v5/trade/cancel-order", body: #"{"instId":"BTC-USDT","clOrdId":"gantry1"}"#)
        #expect(cancel["code"] as? String == "0" && OKXDesk.first(cancel)["ordId"] as? String == id)
        let (_, again, _) = desk.call("POST", "/api/v5/trade/cancel-order", body: #"{"instId":"BTC-USDT","ordId":"\#(id)"}"#)
        #expect(again["code"] as? String == "1" && OKXDesk.first(again)["sCode"] as? String == "51400")
        let (_, missing, _) = desk.call("GET", "/api/v5/trade/order?instId=BTC-USDT&ordId=1")
        #expect(missing["code"] as? String == "51603" && missing["msg"] as? String == "Order does not exist.")
        let (_, balance, _) = desk.call("GET", "/api/v5/account/balance")
        let details = OKXDesk.first(balance)["details"] as? [[String: Any]] ?? []
        #expect(details.contains { $0["ccy"] as? String == "BTC" && ($0["availBal"] as? String ?? "").hasPrefix("2.00") })
    }

    @Test("refusals: authentication with HTTP 401 and 501xx codes, orders with code 1 and the order's sCode")
    func refusals() throws {
        let desk = try OKXDesk()
        #expect(desk.call("GET", "/api/v5/account/balance", key: "nobody").1["code"] as? String == "50111")
        #expect(desk.call("GET", "/api/v5/account/balance", secret: "wrong").0 == 401)
        #expect(desk.call("GET", "/api/v5/account/balance", secret: "wrong").1["code"] as? String == "50113")
        #expect(desk.call("GET", "/api/v5/account/balance", passphrase: "nope").1["code"] as? String == "50105")
        #expect(desk.call("GET", "/api/v5/account/balance", offsetMs: -60_000).1["code"] as? String == "50102")
        let p = OKXDesk.price(desk.bestBid - 50)
        let cases: [(String, String)] = [
            (#""side":"buy","ordType":"limit","sz":"0.000015","px":"\#(p)""#, "51121"),
            (#""side":"buy","ordType":"limit","sz":"0.01","px":"\#(p)5""#, "51150"),
            (#""side":"hold","ordType":"limit","sz":"0.01","px":"\#(p)""#, "51000"),
            (#""side":"buy","ordType":"limit","sz":"50","px":"\#(p)""#, "51008"),
        ]
        for (fields, code) in cases {
            let (status, body, text) = desk.place(fields)
            #expect(status == 200 && body["code"] as? String == "1" && OKXDesk.first(body)["sCode"] as? String == code, "\(text)")
        }
        let (_, unknown, _) = desk.call("POST", "/api/v5/trade/order", body: #"{"instId":"BTC-XXX","tdMode":"cash","side":"buy","ordType":"market","sz":"1"}"#)
        #expect(OKXDesk.first(unknown)["sCode"] as? String == "51001")
        _ = desk.place(#""side":"buy","ordType":"limit","sz":"0.01","px":"\#(p)","clOrdId":"dup""#)
        #expect(OKXDesk.first(desk.place(#""side":"buy","ordType":"limit","sz":"0.01","px":"\#(p)","clOrdId":"dup""#).1)["sCode"] as? String == "51016")
    }

    @Test("the private stream: login with the signed verify path, then orders pushes as an IOC fills; no login, no subscription")
    func privateOrders() throws {
        let desk = try OKXDesk()
        let c = try TestClient(port: desk.venue.port, path: "/ws/v5/private")
        #expect(json(c.request(desk.sim, #"{"op":"subscribe","args":[{"channel":"orders","instType":"SPOT"}]}"#).first ?? "")["code"] as? String == "60011")
        let stamp = String(WallClock.now().raw / 1_000_000_000)
        let bad = c.request(desk.sim, #"{"op":"login","args":[{"apiKey":"\#(OKXDesk.key)","passphrase":"\#(OKXDesk.passphrase)","timestamp":"\#(stamp)","sign":"x"}]}"#)
        #expect(json(bad.first ?? "")["code"] as? String == "60009")
        let sign = Base64.encode(Crypto.hmacSHA256(key: Array(OKXDesk.secret.utf8), Array("\(stamp)GET/users/self/verify".utf8)))
        let ok = json(c.request(desk.sim, #"{"op":"login","args":[{"apiKey":"\#(OKXDesk.key)","passphrase":"\#(OKXDesk.passphrase)","timestamp":"\#(stamp)","sign":"\#(sign)"}]}"#).first ?? "")
        #expect(ok["event"] as? String == "login" && ok["code"] as? String == "0")
        #expect(json(c.request(desk.sim, #"{"id":"s1","op":"subscribe","args":[{"channel":"orders","instType":"SPOT"}]}"#).first ?? "")["event"] as? String == "subscribe")
        let before = c.received.count
        let (_, placed, _) = desk.place(#""side":"buy","ordType":"ioc","sz":"0.020","px":"\#(OKXDesk.price(desk.bestAsk + 30))""#)
        #expect(placed["code"] as? String == "0")
        c.pump(desk.sim, seconds: 1) { $0.received.count > before }
        let push = json(c.received.last ?? "")
        let order = OKXDesk.first(push)
        #expect((push["arg"] as? [String: Any])?["channel"] as? String == "orders" && ["filled", "canceled"].contains(order["state"] as? String ?? ""))
        #expect(order["execType"] as? String == "T" && order["code"] as? String == "0" && order["accFillSz"] as? String != "0")
    }
}
