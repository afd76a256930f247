import Foundation
import GantryCore
import GantryNet
import GantryVenues
import Testing
import VenueSim

/// A Bybit desk with an authenticated trade stream (`/v5/trade`) and a private stream subscribed to order and
/// execution.
struct BybitTradeDesk {
    let desk: BybitDesk
    let trade: TestClient
    let stream: TestClient

    static func auth(_ key: String = BybitDesk.key, secret: String = BybitDesk.secret) -> String {
        let expires = WallClock.now().raw / 1_000_000 + 10_000
        let sign = BinanceSigning.signature(secret: Array(secret.utf8), payload: Array("GET/realtime\(expires)".utf8))
        return #"{"reqId":"a","op":"auth","args":["\#(key)",\#(expires),"\#(sign)"]}"#
    }

    init(authenticate: Bool = true) throws {
        desk = try BybitDesk()
        trade = try TestClient(port: desk.venue.port, path: "/v5/trade")
        stream = try TestClient(port: desk.venue.port, path: "/v5/private")
        trade.pump(desk.sim) { $0.open }
        _ = stream.request(desk.sim, Self.auth())
        _ = stream.request(desk.sim, #"{"op":"subscribe","args":["order","execution"]}"#)
        if authenticate { precondition(json(trade.request(desk.sim, Self.auth()).first ?? "")["retCode"] as? Int == 0, "the trade stream authenticates") }
    }

    /// Sends an order op with a fresh timestamp header and waits for the answer carrying its reqId.
    func op(_ reqId: String, _ op: String, _ arg: String, timestamp: Int64? = nil) -> [String: Any] {
        let ts = timestamp ?? WallClock.now().raw / 1_000_000
        trade.send(#"{"reqId":"\#(reqId)","header":{"X-BAPI-TIMESTAMP":"\#(ts)","X-BAPI-RECV-WINDOW":"5000"},"op":"\#(op)","args":[{\#(arg)}]}"#)
        trade.pump(desk.sim) { c in c.received.contains { $0.contains(#""reqId":"\#(reqId)""#) } }
        return json(trade.received.last { $0.contains(#""reqId":"\#(reqId)""#) } ?? "{}")
    }

    func ioc(_ qty: String, _ link: String) -> String {
        #""category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","timeInForce":"IOC","qty":"\#(qty)","price":"\#(BybitDesk.price(desk.bestAsk + 30))","orderLinkId":"\#(link)""#
    }

    func pushes(_ topic: String) -> [[String: Any]] {
        stream.received.map(json).filter { $0["topic"] as? String == topic }.flatMap { $0["data"] as? [[String: Any]] ?? [] }
    }
}

@Suite("Bybit trade stream (/v5/trade): auth, order.create and order.cancel", .serialized)
struct BybitTradeStreamTests {
    @Test("an IOC fills: the answer with data, header and connId as Bybit documents it; the private stream's executions carry the fills")
    func iocFills() throws {
        let d = try BybitTradeDesk()
        let r = d.op("c1", "order.create", d.ioc("0.020000", "g0000000000000001"))
        #expect(r["retCode"] as? Int == 0 && r["retMsg"] as? String == "OK" && r["op"] as? String == "order.create" && r["connId"] is String)
        let data = r["data"] as? [String: Any] ?? [:]
        let header = r["header"] as? [String: Any] ?? [:]
        #expect(data["orderLinkId"] as? String == "g0000000000000001" && (data["orderId"] as? String)?.isEmpty == false)
        #expect(header["X-Bapi-Limit"] as? String == "20" && header["X-Bapi-Limit-Status"] as? String == "19" && header["Traceid"] is String && header["Timenow"] is String)
        d.stream.pump(d.desk.sim, seconds: 1) { _ in d.pushes("order").contains { $0["orderLinkId"] as? String == "g0000000000000001" } }
        let executions = d.pushes("execution").filter { $0["orderId"] as? String == data["orderId"] as? String }
        let filled = try executions.reduce(Int64(0)) { $0 + (try FixedPoint.parse($1["execQty"] as? String ?? "", scale: 6)) }
        #expect(!executions.isEmpty && filled == 20_000 && d.desk.venue.ledger.balance(1, "BTC").free == 2_020_000)
        #expect(d.pushes("order").last { $0["orderLinkId"] as? String == "g0000000000000001" }?["orderStatus"] as? String == "Filled")
    }

    @Test("a GTC rests and is listed by REST; order.cancel by orderLinkId cancels it; a second cancel is 170213; a reused reqId 20006")
    func restAndCancel() throws {
        let d = try BybitTradeDesk()
        let gtc = #""category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.010000","price":"\#(BybitDesk.price(d.desk.bestBid - 100))","orderLinkId":"g00000000000000a1""#
        let placed = d.op("p", "order.create", gtc)
        #expect(placed["retCode"] as? Int == 0)
        #expect(d.op("p2", "order.create", gtc)["retCode"] as? Int == 170141, "the client id is taken")
        let (_, open, _) = d.desk.call("GET", "/v5/order/realtime", query: "category=spot&symbol=BTCUSDT")
        #expect(((open["result"] as? [String: Any])?["list"] as? [[String: Any]])?.first?["orderLinkId"] as? String == "g00000000000000a1")
        let canceled = d.op("c", "order.cancel", #""category":"spot","symbol":"BTCUSDT","orderLinkId":"g00000000000000a1""#)
        #expect(canceled["retCode"] as? Int == 0 && (canceled["data"] as? [String: Any])?["orderId"] as? String == (placed["data"] as? [String: Any])?["orderId"] as? String)
        #expect(d.op("c2", "order.cancel", #""category":"spot","symbol":"BTCUSDT","orderLinkId":"g00000000000000a1""#)["retCode"] as? Int == 170213)
        #expect(d.op("c2", "order.cancel", #""category":"spot","symbol":"BTCUSDT","orderLinkId":"x""#)["retCode"] as? Int == 20006)
        #expect(d.desk.venue.ledger.balance(1, "USDT").locked == 0)
    }

    @Test("auth: a bad signature is 10004, a second auth 20001; an order before auth or with a stale timestamp is refused")
    func authentication() throws {
        let d = try BybitTradeDesk(authenticate: false)
        #expect(d.op("n", "order.create", d.ioc("0.010000", "g1"))["retCode"] as? Int == 10003)
        #expect(json(d.trade.request(d.desk.sim, BybitTradeDesk.auth(secret: "wrong")).first ?? "")["retCode"] as? Int == 10004)
        let ok = json(d.trade.request(d.desk.sim, BybitTradeDesk.auth()).first ?? "")
        #expect(ok["retCode"] as? Int == 0 && ok["op"] as? String == "auth" && ok["reqId"] as? String == "a")
        #expect(json(d.trade.request(d.desk.sim, BybitTradeDesk.auth()).first ?? "")["retCode"] as? Int == 20001)
        #expect(d.op("s", "order.create", d.ioc("0.010000", "g2"), timestamp: WallClock.now().raw / 1_000_000 - 60_000)["retCode"] as? Int == 10002)
        #expect(d.desk.venue.ledger.balance(1, "BTC").free == 2_000_000)
    }

    @Test("faults: reject (170130), rate limit by fault and beyond the connection's rate (10006), ack timeout (executed, unanswered, pushed)")
    func faults() throws {
        let d = try BybitTradeDesk()
        expectOrderRefusals(d.desk.venue, place: { id in
            let r = d.op(id, "order.create", d.ioc("0.010000", id))
            return (r["retCode"] as? Int).map(String.init)
        }, reject: "170130", rateLimited: "10006", base: "BTC")
        d.desk.venue.faults.inject(.ackTimeout)
        d.trade.send(#"{"reqId":"t","header":{"X-BAPI-TIMESTAMP":"\#(WallClock.now().raw / 1_000_000)"},"op":"order.create","args":[{\#(d.ioc("0.010000", "g0000000000000005"))}]}"#)
        d.stream.pump(d.desk.sim, seconds: 1) { _ in d.pushes("order").contains { $0["orderLinkId"] as? String == "g0000000000000005" } }
        #expect(!d.trade.received.contains { $0.contains(#""reqId":"t""#) } && d.pushes("execution").contains { $0["orderLinkId"] as? String == "g0000000000000005" })
    }
}
