import Foundation
import GantryCore
import GantryNet
import GantryVenues
import Testing
import VenueSim

/// An OKX desk with a logged-in private stream subscribed to `orders`, on which orders are also placed.
struct OKXWSDesk {
    let desk: OKXDesk
    let ws: TestClient

    init(login: Bool = true) throws {
        desk = try OKXDesk()
        ws = try TestClient(port: desk.venue.port, path: "/ws/v5/private")
        ws.pump(desk.sim) { $0.open }
        guard login else { return }
        let stamp = String(WallClock.now().raw / 1_000_000_000)
        let sign = Base64.encode(Crypto.hmacSHA256(key: Array(OKXDesk.secret.utf8), Array("\(stamp)GET/users/self/verify".utf8)))
        _ = ws.request(desk.sim, #"{"op":"login","args":[{"apiKey":"\#(OKXDesk.key)","passphrase":"\#(OKXDesk.passphrase)","timestamp":"\#(stamp)","sign":"\#(sign)"}]}"#)
        _ = ws.request(desk.sim, #"{"id":"sub","op":"subscribe","args":[{"channel":"orders","instType":"SPOT"}]}"#)
    }

    var code: Int { desk.venue.okxInstIdCode("BTC-USDT")! }

    /// Sends an op and waits for the answer carrying its id.
    func op(_ id: String, _ op: String, _ arg: String) -> [String: Any] {
        ws.send(#"{"id":"\#(id)","op":"\#(op)","args":[{\#(arg)}]}"#)
        ws.pump(desk.sim) { c in c.received.contains { $0.contains(#""id":"\#(id)""#) && $0.contains(#""op":"\#(op)""#) } }
        return json(ws.received.last { $0.contains(#""id":"\#(id)""#) && $0.contains(#""op":"\#(op)""#) } ?? "{}")
    }

    func ioc(_ sz: String, _ clOrdId: String) -> String {
        #""instIdCode":\#(code),"tdMode":"cash","side":"buy","ordType":"ioc","sz":"\#(sz)","px":"\#(OKXDesk.price(desk.bestAsk + 30))","clOrdId":"\#(clOrdId)""#
    }

    /// The `orders` pushes so far.
    var pushes: [[String: Any]] { ws.received.map(json).filter { ($0["arg"] as? [String: Any])?["channel"] as? String == "orders" }.map(OKXDesk.first) }
}

@Suite("OKX WebSocket orders: op order and cancel-order on the private stream", .serialized)
struct OKXWSOrdersTests {
    @Test("an IOC by instIdCode fills: the answer's shape as OKX documents it; the orders channel pushes the same fill")
    func iocFills() throws {
        let d = try OKXWSDesk()
        let r = d.op("o1", "order", d.ioc("0.020", "g0000000000000001"))
        #expect(r["code"] as? String == "0" && r["msg"] as? String == "" && (r["inTime"] as? String)?.count == 16 && r["outTime"] is String)
        let ack = OKXDesk.first(r)
        #expect(ack["sCode"] as? String == "0" && ack["clOrdId"] as? String == "g0000000000000001" && ack["subCode"] as? String == "" && ack["tag"] as? String == "")
        #expect(shape(d.ws.received.last { $0.contains(#""id":"o1""#) } ?? "").prefix(4) == ["id:s", "op:s", "data:a", "clOrdId:s"])
        d.ws.pump(d.desk.sim, seconds: 1) { _ in d.pushes.contains { $0["ordId"] as? String == ack["ordId"] as? String } }
        let push = d.pushes.last { $0["ordId"] as? String == ack["ordId"] as? String } ?? [:]
        #expect(push["state"] as? String == "filled" && push["accFillSz"] as? String == "0.02" && push["clOrdId"] as? String == "g0000000000000001")
        #expect(d.desk.venue.ledger.balance(1, "BTC").free == 202_000_000)
    }

    @Test("a GTC rests and is found by REST; cancel-order by clOrdId cancels it; a second cancel fails with 51400; a live clOrdId is not taken twice")
    func restAndCancel() throws {
        let d = try OKXWSDesk()
        let gtc = #""instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","sz":"0.01","px":"\#(OKXDesk.price(d.desk.bestBid - 50))","clOrdId":"g00000000000000a1""#
        let placed = OKXDesk.first(d.op("p", "order", gtc))
        let ordId = placed["ordId"] as? String ?? ""
        #expect(placed["sCode"] as? String == "0" && !ordId.isEmpty)
        #expect(OKXDesk.first(d.op("p2", "order", gtc))["sCode"] as? String == "51016")
        let (_, queried, _) = d.desk.call("GET", "/api/v5/trade/order?instId=BTC-USDT&ordId=\(ordId)")
        #expect(OKXDesk.first(queried)["state"] as? String == "live")
        let canceled = d.op("c", "cancel-order", #""instIdCode":\#(d.code),"clOrdId":"g00000000000000a1""#)
        #expect(canceled["code"] as? String == "0" && OKXDesk.first(canceled)["ordId"] as? String == ordId && OKXDesk.first(canceled)["tag"] == nil)
        let again = d.op("c2", "cancel-order", #""instIdCode":\#(d.code),"ordId":"\#(ordId)""#)
        #expect(again["code"] as? String == "1" && OKXDesk.first(again)["sCode"] as? String == "51400")
        #expect(d.desk.venue.ledger.balance(1, "USDT").locked == 0)
    }

    @Test("before login an order gets 60011; a malformed request 60013 Invalid args; neither reaches the book")
    func authentication() throws {
        let d = try OKXWSDesk(login: false)
        #expect(d.op("n", "order", d.ioc("0.01", "g1"))["code"] as? String == "60011")
        let login = try OKXWSDesk()
        login.ws.send(#"{"id":"m","op":"order","args":[]}"#)
        login.ws.pump(login.desk.sim) { c in c.received.contains { $0.contains(#""id":"m""#) } }
        let malformed = json(login.ws.received.last ?? "")
        #expect(malformed["code"] as? String == "60013" && malformed["msg"] as? String == "Invalid args" && (malformed["data"] as? [Any])?.isEmpty == true)
        #expect(d.desk.venue.ledger.balance(1, "BTC").free == 200_000_000)
    }

    @Test("faults: reject (code 1, its sCode), rate limit by fault and beyond the connection's rate (sCode 50011), ack timeout (executed, unanswered, pushed)")
    func faults() throws {
        let d = try OKXWSDesk()
        expectOrderRefusals(d.desk.venue, place: { id in
            let r = d.op(id, "order", d.ioc("0.01", id))
            return r["code"] as? String == "1" ? OKXDesk.first(r)["sCode"] as? String : r["code"] as? String
        }, reject: "51000", rateLimited: "50011", base: "BTC")
        d.desk.venue.faults.inject(.ackTimeout)
        d.ws.send(#"{"id":"t","op":"order","args":[{\#(d.ioc("0.01", "g0000000000000005"))}]}"#)
        d.ws.pump(d.desk.sim, seconds: 1) { _ in d.pushes.contains { $0["clOrdId"] as? String == "g0000000000000005" } }
        #expect(!d.ws.received.contains { $0.contains(#""id":"t""#) } && d.pushes.contains { $0["clOrdId"] as? String == "g0000000000000005" && $0["state"] as? String == "filled" })
    }
}
