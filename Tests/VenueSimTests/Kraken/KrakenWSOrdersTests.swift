import Foundation
import GantryCore
import GantryNet
import GantryVenues
import Testing
import VenueSim

/// A Kraken desk with a WebSocket token (REST GetWebSocketsToken), an order connection and an executions one.
struct KrakenWSDesk {
    let desk: KrakenDesk
    let token: String
    let ws: TestClient
    let executions: TestClient

    init() throws {
        desk = try KrakenDesk()
        token = (desk.call("GetWebSocketsToken")["result"] as? [String: Any])?["token"] as? String ?? ""
        ws = try TestClient(port: desk.venue.port, path: "/v2")
        executions = try TestClient(port: desk.venue.port, path: "/v2")
        ws.pump(desk.sim) { $0.received.count >= 1 }  // the status message
        executions.pump(desk.sim) { $0.received.count >= 1 }
        _ = executions.request(desk.sim, #"{"method":"subscribe","params":{"channel":"executions","token":"\#(token)","snap_orders":false}}"#)
    }

    /// Sends a method with `params` (JSON members, the token added) and waits for the answer carrying `reqId`.
    func call(_ method: String, _ params: String, reqId: Int, token: String? = nil) -> [String: Any] {
        ws.send(#"{"method":"\#(method)","params":{\#(params),"token":"\#(token ?? self.token)"},"req_id":\#(reqId)}"#)
        ws.pump(desk.sim) { c in c.received.contains { $0.contains(#""req_id":\#(reqId),"#) } }
        return json(ws.received.last { $0.contains(#""req_id":\#(reqId),"#) } ?? "{}")
    }

    func ioc(_ qty: String, _ clOrdId: String) -> String {
        #""order_type":"limit","side":"buy","order_qty":\#(qty),"symbol":"BTC/USD","limit_price":\#(KrakenDesk.price(desk.bestAsk + 30)),"time_in_force":"ioc","cl_ord_id":"\#(clOrdId)""#
    }

    /// The executions updates so far.
    var updates: [[String: Any]] {
        executions.received.map(json).filter { $0["channel"] as? String == "executions" && $0["type"] as? String == "update" }.flatMap { $0["data"] as? [[String: Any]] ?? [] }
    }
}

@Suite("Kraken WebSocket v2 orders: add_order and cancel_order with a token", .serialized)
struct KrakenWSOrdersTests {
    @Test("an IOC add_order fills: the answer's shape as Kraken documents it; the executions channel carries the same fill")
    func iocFills() throws {
        let d = try KrakenWSDesk()
        let r = d.call("add_order", d.ioc("0.02", "g0000000000000001"), reqId: 7)
        #expect(r["success"] as? Bool == true && r["method"] as? String == "add_order" && r["req_id"] as? Int == 7)
        let result = r["result"] as? [String: Any] ?? [:]
        let orderId = result["order_id"] as? String ?? ""
        #expect(orderId.count == 19 && result["cl_ord_id"] as? String == "g0000000000000001" && r["time_in"] is String && r["time_out"] is String)
        d.executions.pump(d.desk.sim, seconds: 1) { _ in d.updates.contains { $0["order_id"] as? String == orderId && $0["exec_type"] as? String == "filled" } }
        let trades = d.updates.filter { $0["order_id"] as? String == orderId && $0["exec_type"] as? String == "trade" }
        let filled = trades.reduce(0.0) { $0 + ($1["last_qty"] as? Double ?? 0) }
        #expect(!trades.isEmpty && abs(filled - 0.02) < 1e-12 && d.desk.venue.ledger.balance(1, "BTC").free == 202_000_000)
    }

    @Test("a GTC rests (OpenOrders over REST lists it); cancel_order by cl_ord_id cancels it; again is EOrder:Unknown order; bad client ids refused")
    func restAndCancel() throws {
        let d = try KrakenWSDesk()
        let gtc = #""order_type":"limit","side":"buy","order_qty":0.01,"symbol":"BTC/USD","limit_price":\#(KrakenDesk.price(d.desk.bestBid - 50)),"cl_ord_id":"g00000000000000a1""#
        let placed = d.call("add_order", gtc, reqId: 1)
        let orderId = (placed["result"] as? [String: Any])?["order_id"] as? String ?? ""
        let open = (d.desk.call("OpenOrders")["result"] as? [String: Any])?["open"] as? [String: Any] ?? [:]
        #expect(placed["success"] as? Bool == true && (open[orderId] as? [String: Any])?["cl_ord_id"] as? String == "g00000000000000a1")
        let canceled = d.call("cancel_order", #""cl_ord_id":["g00000000000000a1"]"#, reqId: 2)
        #expect(canceled["success"] as? Bool == true && (canceled["result"] as? [String: Any])?["order_id"] as? String == orderId)
        let again = d.call("cancel_order", #""order_id":["\#(orderId)"]"#, reqId: 3)
        #expect(again["success"] as? Bool == false && again["error"] as? String == "EOrder:Unknown order")
        #expect(d.call("add_order", d.ioc("0.01", "a-client-id-far-too-long"), reqId: 4)["error"] as? String == "EGeneral:Invalid arguments:cl_ord_id")
        #expect(d.call("add_order", d.ioc("0.01", "4c5e6f70-1a2b-4c3d-8e9f-0a1b2c3d4e5f"), reqId: 5)["success"] as? Bool == true, "a UUID is a client id")
        #expect(d.desk.venue.ledger.balance(1, "USD").locked == 0)
    }

    @Test("a bad token is refused and places nothing")
    func authentication() throws {
        let d = try KrakenWSDesk()
        let r = d.call("add_order", d.ioc("0.01", "g1"), reqId: 9, token: "nope")
        #expect(r["success"] as? Bool == false && r["error"] as? String == "EAccount:Invalid permissions")
        #expect(d.desk.venue.ledger.balance(1, "BTC").free == 200_000_000)
    }

    @Test("faults: reject (EService), rate limit by fault and beyond the connection's rate (EOrder:Rate limit exceeded), partial fill, ack timeout")
    func faults() throws {
        let d = try KrakenWSDesk()
        var reqId = 0
        expectOrderRefusals(d.desk.venue, place: { id in
            reqId += 1
            return d.call("add_order", d.ioc("0.01", id), reqId: reqId)["error"] as? String
        }, reject: "EService:Market in cancel_only mode", rateLimited: "EOrder:Rate limit exceeded", base: "BTC")
        d.desk.venue.faults.inject(.partialFill)
        #expect(d.call("add_order", d.ioc("0.02", "g0000000000000005"), reqId: 10)["success"] as? Bool == true)
        #expect(d.desk.venue.ledger.balance(1, "BTC").free == 201_000_000, "half filled, the rest expired")
        d.desk.venue.faults.inject(.ackTimeout)
        d.ws.send(#"{"method":"add_order","params":{\#(d.ioc("0.01", "g0000000000000006")),"token":"\#(d.token)"},"req_id":11}"#)
        d.executions.pump(d.desk.sim, seconds: 1) { _ in d.updates.contains { $0["cl_ord_id"] as? String == "g0000000000000006" && $0["exec_type"] as? String == "filled" } }
        #expect(!d.ws.received.contains { $0.contains(#""req_id":11,"#) } && d.updates.contains { $0["cl_ord_id"] as? String == "g0000000000000006" })
    }
}
