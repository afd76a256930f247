import Foundation
import GantryCore
import GantryNet
import GantryVenues
import Testing
import VenueSim

/// A Kraken venue with BTC/USD (0.1 tick, 0.00001 lot) and one funded account, its REST port and signing.
final class KrakenDesk {
    static let key = "krakenSimKey+1="
    static let secret = Data("kraken-sim-secret-bytes".utf8).base64EncodedString()
    let sim: VenueSimulator
    let venue: SimVenue
    var nonce = UInt64(WallClock.now().raw / 1_000)

    init() throws {
        (sim, venue) = try testSimulator(.kraken, symbols: ["BTC/USD"], priceScale: 1, restPort: 0)
        // 2 BTC and 300,000 USD (quote at price scale + quantity scale = 9 decimals).
        try venue.addKrakenKey(apiKey: Self.key, secret: Self.secret, account: 1, deposits: ["BTC": "2", "USD": "300000"])
    }

    var bestBid: Int64 { venue.books[0].engine.best(.buy)!.raw }
    var bestAsk: Int64 { venue.books[0].engine.best(.sell)!.raw }
    static func price(_ raw: Int64) -> String { FixedPoint.string(raw, scale: 1) }

    /// A private call: form body with the nonce, API-Sign = base64 HMAC-SHA512(secret, path + SHA256(nonce + body)).
    func call(_ method: String, _ fields: String = "", key: String = key, secret: String = secret, nonce fixed: UInt64? = nil) -> [String: Any] {
        nonce += 1
        let n = fixed ?? nonce
        let body = "nonce=\(n)" + (fields.isEmpty ? "" : "&" + fields)
        let path = "/0/private/\(method)"
        let sign = Base64.encode(Crypto.hmacSHA512(key: [UInt8](Data(base64Encoded: secret)!), Array(path.utf8) + Crypto.sha256(Array("\(n)\(body)".utf8))))
        let r = rest(sim, port: venue.restPort!, "POST", path, headers: [("API-Key", key), ("API-Sign", sign), ("Content-Type", "application/x-www-form-urlencoded")], body: body)
        return json(r.map { String(decoding: $0.body, as: UTF8.self) } ?? "")
    }

    static func errors(_ body: [String: Any]) -> [String] { body["error"] as? [String] ?? ["(no error array)"] }
}

@Suite("Kraken spot trading: signed REST (nonce, HMAC-SHA512), AddOrder, CancelOrder, Open/QueryOrders, Balance, executions", .serialized)
struct KrakenOrdersTests {
    @Test("a resting limit and a market order: txids and descriptions, OpenOrders, QueryOrders, CancelOrder, Balance")
    func orders() throws {
        let desk = try KrakenDesk()
        let price = KrakenDesk.price(desk.bestBid - 50)
        let added = desk.call("AddOrder", "ordertype=limit&type=buy&volume=0.01&pair=XBTUSD&price=\(price)&cl_ord_id=g1")
        #expect(KrakenDesk.errors(added).isEmpty)
        let result = added["result"] as? [String: Any] ?? [:]
        let txid = (result["txid"] as? [String])?.first ?? ""
        #expect(txid.count == 19 && txid.hasPrefix("O") && (result["descr"] as? [String: String])?["order"] == "buy 0.01000000 XBTUSD @ limit \(price)")
        let open = ((desk.call("OpenOrders")["result"] as? [String: Any])?["open"] as? [String: Any])?[txid] as? [String: Any] ?? [:]
        #expect(open["status"] as? String == "open" && open["vol"] as? String == "0.01000000" && open["cl_ord_id"] as? String == "g1")
        let market = desk.call("AddOrder", "ordertype=market&type=sell&volume=0.02&pair=BTC/USD&cl_ord_id=g2")
        let mid = ((market["result"] as? [String: Any])?["txid"] as? [String])?.first ?? ""
        let sold = (desk.call("QueryOrders", "txid=\(mid)")["result"] as? [String: Any])?[mid] as? [String: Any] ?? [:]
        #expect(sold["status"] as? String == "closed" && sold["vol_exec"] as? String == "0.02000000" && sold["closetm"] != nil)
        // OrderInfo names the pair by its REST altname, as Kraken's QueryOrders example does ("XBTUSD").
        #expect((sold["descr"] as? [String: Any])?["pair"] as? String == "XBTUSD")
        let closed = desk.call("ClosedOrders", "cl_ord_id=g2")["result"] as? [String: Any] ?? [:]
        #expect(Array((closed["closed"] as? [String: Any] ?? [:]).keys) == [mid] && closed["count"] as? Int == 1)
        // OpenOrders and ClosedOrders filtered by cl_ord_id: the resting order is open, the market one closed.
        let openByClient = (desk.call("OpenOrders", "cl_ord_id=g1")["result"] as? [String: Any])?["open"] as? [String: Any] ?? [:]
        #expect(Array(openByClient.keys) == [txid])
        #expect(((desk.call("OpenOrders", "cl_ord_id=g2")["result"] as? [String: Any])?["open"] as? [String: Any])?.isEmpty == true)
        let closedNone = desk.call("ClosedOrders", "cl_ord_id=g1")["result"] as? [String: Any] ?? [:]
        #expect((closedNone["closed"] as? [String: Any])?.isEmpty == true && closedNone["count"] as? Int == 0)
        #expect((desk.call("CancelOrder", "txid=\(txid)")["result"] as? [String: Any])?["count"] as? Int == 1)
        #expect(KrakenDesk.errors(desk.call("CancelOrder", "txid=\(txid)")) == ["EOrder:Unknown order"])
        let balance = desk.call("Balance")["result"] as? [String: String] ?? [:]
        #expect(balance["XXBT"] == "1.98000000" && balance["ZUSD"] != nil)
    }

    @Test("Kraken's documented signature example: its API-Sign is accepted for its payload, a changed payload is not")
    func documentedSignature() throws {
        let (sim, venue) = try testSimulator(.kraken, symbols: ["BTC/USD"], priceScale: 1, restPort: 0)
        let secret = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
        try venue.addKrakenKey(apiKey: "docKey", secret: secret, account: 1)
        let body = "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
        let sign = "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
        let headers = [("API-Key", "docKey"), ("API-Sign", sign), ("Content-Type", "application/x-www-form-urlencoded")]
        let r = rest(sim, port: venue.restPort!, "POST", "/0/private/AddOrder", headers: headers, body: body)
        // The signature holds; the order then fails on the account's (empty) funds.
        #expect(KrakenDesk.errors(json(String(decoding: r?.body ?? [], as: UTF8.self))) == ["EOrder:Insufficient funds"])
        let changed = rest(sim, port: venue.restPort!, "POST", "/0/private/AddOrder", headers: headers, body: body.replacingOccurrences(of: "1.25", with: "1.26"))
        #expect(KrakenDesk.errors(json(String(decoding: changed?.body ?? [], as: UTF8.self))) == ["EAPI:Invalid signature"])
    }

    @Test("refusals: key, signature and nonce first; then the pair, the arguments, post-only and funds")
    func refusals() throws {
        let desk = try KrakenDesk()
        #expect(KrakenDesk.errors(desk.call("Balance", key: "nobody")) == ["EAPI:Invalid key"])
        #expect(KrakenDesk.errors(desk.call("Balance", secret: Data("wrong".utf8).base64EncodedString())) == ["EAPI:Invalid signature"])
        #expect(KrakenDesk.errors(desk.call("Balance")).isEmpty)
        #expect(KrakenDesk.errors(desk.call("Balance", nonce: 5)) == ["EAPI:Invalid nonce"], "a nonce must grow")
        let p = KrakenDesk.price(desk.bestBid - 50)
        let cases: [(String, String)] = [
            ("ordertype=limit&type=buy&volume=0.01&pair=DOGEXYZ&price=\(p)", "EQuery:Unknown asset pair"),
            ("ordertype=limit&type=buy&volume=0.000001&pair=XBTUSD&price=\(p)", "EGeneral:Invalid arguments:volume"),
            ("ordertype=limit&type=buy&volume=0.01&pair=XBTUSD&price=\(p)5", "EGeneral:Invalid arguments:price"),
            ("ordertype=limit&type=buy&volume=50&pair=XBTUSD&price=\(p)", "EOrder:Insufficient funds"),
            ("ordertype=limit&type=buy&volume=0.01&pair=XBTUSD&price=\(KrakenDesk.price(desk.bestAsk + 10))&oflags=post", "EOrder:Post only order"),
        ]
        for (fields, error) in cases { #expect(KrakenDesk.errors(desk.call("AddOrder", fields)) == [error], "\(fields)") }
    }

    @Test("executions over WebSocket with a token: the open orders' snapshot, then new, trade and filled as an IOC fills")
    func executions() throws {
        let desk = try KrakenDesk()
        let price = KrakenDesk.price(desk.bestBid - 50)
        _ = desk.call("AddOrder", "ordertype=limit&type=buy&volume=0.01&pair=XBTUSD&price=\(price)")
        let token = (desk.call("GetWebSocketsToken")["result"] as? [String: Any])?["token"] as? String ?? ""
        let c = try TestClient(port: desk.venue.port, path: "/v2")
        c.pump(desk.sim) { $0.received.count >= 1 }
        let bad = json(c.request(desk.sim, #"{"method":"subscribe","params":{"channel":"executions","token":"nope"}}"#).first ?? "")
        #expect(bad["success"] as? Bool == false)
        let replies = c.request(desk.sim, #"{"method":"subscribe","params":{"channel":"executions","token":"\#(token)","snap_orders":true}}"#, expecting: 2)
        #expect(json(replies[0])["success"] as? Bool == true && json(replies[1])["type"] as? String == "snapshot")
        #expect((json(replies[1])["data"] as? [[String: Any]])?.first?["order_status"] as? String == "new")
        let before = c.received.count
        _ = desk.call("AddOrder", "ordertype=limit&type=buy&volume=0.01&pair=XBTUSD&price=\(KrakenDesk.price(desk.bestAsk + 30))&timeinforce=IOC")
        c.pump(desk.sim, seconds: 1) { $0.received.count >= before + 3 }
        let types = c.received[before...].compactMap { ((json($0)["data"] as? [[String: Any]])?.first?["exec_type"] as? String) }
        #expect(types.first == "new" && types.contains("trade") && types.last == "filled", "\(types)")
        let trade = c.received[before...].map { (json($0)["data"] as? [[String: Any]])?.first ?? [:] }.first { $0["exec_type"] as? String == "trade" } ?? [:]
        #expect(trade["liquidity_ind"] as? String == "t" && trade["last_qty"] is Double && (trade["fees"] as? [[String: Any]])?.first?["asset"] as? String == "USD")
    }
}
