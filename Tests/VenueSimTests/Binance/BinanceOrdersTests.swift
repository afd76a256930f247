import Foundation
import GantryCore
import GantryNet
import GantryVenues
import Testing
import VenueSim

/// A Binance venue with BTCUSDT (0.01 tick, 0.00001 lot) and one funded account, its REST port and signing.
struct BinanceOrderDesk {
    static let key = "simKey1"
    static let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    let sim: VenueSimulator
    let venue: SimVenue

    init() throws {
        (sim, venue) = try testSimulator(.binance, symbols: ["BTCUSDT"])
        // 2 BTC and 300,000 USDT (quote at price scale + quantity scale = 10 decimals).
        try venue.addAccount(BinanceCredentials(apiKey: Self.key, secret: Self.secret, account: 1), deposits: ["BTC": "2", "USDT": "300000"])
    }

    var bestBid: Int64 { venue.books[0].engine.best(.buy)!.raw }
    var bestAsk: Int64 { venue.books[0].engine.best(.sell)!.raw }

    /// A SIGNED call: the parameters in the query string with timestamp and signature.
    func call(_ method: String, _ path: String, _ params: String, key: String = key, secret: String = secret, sign: Bool = true) -> (Int, [String: Any], String) {
        var query = params + (params.isEmpty ? "" : "&") + "timestamp=\(WallClock.now().raw / 1_000_000)"
        if sign { query += "&signature=" + BinanceSigning.signature(secret: Array(secret.utf8), payload: Array(query.utf8)) }
        let r = rest(sim, port: venue.restPort!, method, path + "?" + query, headers: [("X-MBX-APIKEY", key)])
        let text = r.map { String(decoding: $0.body, as: UTF8.self) } ?? ""
        return (r?.status ?? 0, json(text), text)
    }

    static func price(_ raw: Int64) -> String { FixedPoint.string(raw, scale: 2) }
}

@Suite("Binance order entry: SIGNED REST orders, cancels, queries, the account, and the user data stream", .serialized)
struct BinanceOrdersTests {
    @Test("a LIMIT IOC buy through the ask fills at the makers' prices (FULL response, fees); the feed shows the levels taken")
    func iocFills() throws {
        let desk = try BinanceOrderDesk()
        let feed = try TestClient(port: desk.venue.port, path: "/ws/btcusdt@depth")
        feed.pump(desk.sim) { $0.open }
        let ask = desk.bestAsk
        let (status, body, text) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.05000&price=\(BinanceOrderDesk.price(ask + 2))&newClientOrderId=gantry1")
        #expect(status == 200, "\(text)")
        #expect(body["clientOrderId"] as? String == "gantry1" && body["orderListId"] as? Int == -1 && body["type"] as? String == "LIMIT")
        let fills = body["fills"] as? [[String: Any]] ?? []
        #expect(!fills.isEmpty && fills.allSatisfy { ($0["commissionAsset"] as? String) == "USDT" && $0["tradeId"] is Int })
        let executed = try FixedPoint.parse(body["executedQty"] as? String ?? "", scale: 8)
        let filledSum = try fills.reduce(Int64(0)) { $0 + (try FixedPoint.parse($1["qty"] as? String ?? "", scale: 8)) }
        #expect(executed == filledSum && executed > 0)
        #expect(body["status"] as? String == (executed == 5_000_000 ? "FILLED" : "EXPIRED"), "an IOC's unfilled rest expires")
        #expect(text.hasPrefix(#"{"symbol":"BTCUSDT","orderId":"#) && text.contains(#""selfTradePreventionMode":"NONE","fills":["#), "fields in the documented order")
        feed.pump(desk.sim, seconds: 1) { $0.received.contains { $0.contains("depthUpdate") } }
        #expect(feed.received.contains { $0.contains(#""a":[[""# + BinanceOrderDesk.price(ask)) }, "the taken ask level is published")
        // The account's balances moved by exactly the fills and their fees.
        let (_, account, _) = desk.call("GET", "/api/v3/account", "")
        let balances = account["balances"] as? [[String: String]] ?? []
        #expect(balances.first { $0["asset"] == "BTC" }?["free"] == FixedPoint.string(200_000_000 + executed, scale: 8))
        #expect(account["accountType"] as? String == "SPOT" && account["canTrade"] as? Bool == true)
    }

    @Test("a GTC order rests (NEW, workingTime), is listed, queried and canceled; unknown orders get -2011 and -2013")
    func restAndCancel() throws {
        let desk = try BinanceOrderDesk()
        let price = BinanceOrderDesk.price(desk.bestBid - 500)
        let (s1, placed, t1) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=\(price)&newOrderRespType=RESULT")
        #expect(s1 == 200 && placed["status"] as? String == "NEW" && placed["workingTime"] is Int && placed["fills"] == nil, "\(t1)")
        let id = placed["orderId"] as? Int ?? -1
        let (_, _, open) = desk.call("GET", "/api/v3/openOrders", "symbol=BTCUSDT")
        #expect(open.contains(#""orderId":\#(id),"#) && open.hasPrefix("["))
        let (_, queried, _) = desk.call("GET", "/api/v3/order", "symbol=BTCUSDT&orderId=\(id)")
        #expect(queried["status"] as? String == "NEW" && queried["isWorking"] as? Bool == true && queried["price"] as? String == price)
        #expect(desk.venue.books[0].engine.quantity(.buy, at: Price(raw: desk.bestBid - 500)).raw == 1_000_000)
        let (s2, canceled, _) = desk.call("DELETE", "/api/v3/order", "symbol=BTCUSDT&orderId=\(id)")
        #expect(s2 == 200 && canceled["status"] as? String == "CANCELED" && canceled["origClientOrderId"] as? String == placed["clientOrderId"] as? String)
        #expect(desk.venue.books[0].engine.quantity(.buy, at: Price(raw: desk.bestBid - 500)).raw == 0)
        let (s3, again, _) = desk.call("DELETE", "/api/v3/order", "symbol=BTCUSDT&orderId=\(id)")
        #expect(s3 == 400 && again["code"] as? Int == -2011 && again["msg"] as? String == "Unknown order sent.")
        let (s4, missing, _) = desk.call("GET", "/api/v3/order", "symbol=BTCUSDT&orderId=999999")
        #expect(s4 == 400 && missing["code"] as? Int == -2013 && missing["msg"] as? String == "Order does not exist.")
        let (_, _, none) = desk.call("GET", "/api/v3/openOrders", "")
        #expect(none == "[]")
    }

    @Test("bad orders are refused with Binance's codes and messages; nothing reaches the book")
    func refusals() throws {
        let desk = try BinanceOrderDesk()
        let p = BinanceOrderDesk.price(desk.bestBid - 100)
        let cases: [(String, Int, String)] = [
            ("symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.01&price=\(p)", -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."),
            ("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&price=\(p)", -1106, "Parameter 'price' sent when not required."),
            ("symbol=BTCUSDT&side=HOLD&type=LIMIT&timeInForce=GTC&quantity=0.01&price=\(p)", -1117, "Invalid side."),
            ("symbol=BTCUSDT&side=BUY&type=LIMITT&timeInForce=GTC&quantity=0.01&price=\(p)", -1116, "Invalid orderType."),
            ("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTD&quantity=0.01&price=\(p)", -1115, "Invalid timeInForce."),
            ("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=\(p)5", -1013, "Filter failure: PRICE_FILTER"),
            ("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.000015&price=\(p)", -1013, "Filter failure: LOT_SIZE"),
            ("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1e-2&price=\(p)", -1100, "Illegal characters found in parameter 'quantity'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'."),
            ("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=50&price=\(p)", -2010, "Account has insufficient balance for requested action."),
            ("symbol=XYZ&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=\(p)", -1121, "Invalid symbol."),
        ]
        for (params, code, msg) in cases {
            let (status, body, _) = desk.call("POST", "/api/v3/order", params)
            #expect(status == 400 && body["code"] as? Int == code && body["msg"] as? String == msg, "\(params)")
        }
        let (s1, dup1, _) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=\(p)&newClientOrderId=same")
        let (s2, dup2, _) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=\(p)&newClientOrderId=same")
        #expect(s1 == 200 && dup1["status"] as? String == "NEW" && s2 == 400 && dup2["msg"] as? String == "Duplicate order sent.")
        let (s3, badSig, _) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=\(p)", secret: "wrong")
        #expect(s3 == 400 && badSig["code"] as? Int == -1022)
        let (s4, badKey, _) = desk.call("GET", "/api/v3/account", "", key: "nobody")
        #expect(s4 == 401 && badKey["code"] as? Int == -2015)
        let resting = desk.venue.books[0].engine.openOrders(account: 1)
        #expect(resting.count == 1, "only the one valid order rests")
    }

    @Test("the user data stream (WebSocket API, subscribe.signature): NEW, TRADE, EXPIRED reports and balances; a maker filled by the market")
    func userDataStream() throws {
        let desk = try BinanceOrderDesk()
        let stream = try TestClient(port: desk.venue.port, path: "/ws-api/v3")
        let ts = WallClock.now().raw / 1_000_000
        let payload = "apiKey=\(BinanceOrderDesk.key)&timestamp=\(ts)"
        let sig = BinanceSigning.signature(secret: Array(BinanceOrderDesk.secret.utf8), payload: Array(payload.utf8))
        let replies = stream.request(desk.sim, #"{"id":"s1","method":"userDataStream.subscribe.signature","params":{"apiKey":"\#(BinanceOrderDesk.key)","timestamp":\#(ts),"signature":"\#(sig)"}}"#)
        #expect(replies == [#"{"id":"s1","status":200,"result":{"subscriptionId":0}}"#])
        let bad = stream.request(desk.sim, #"{"id":2,"method":"userDataStream.subscribe.signature","params":{"apiKey":"\#(BinanceOrderDesk.key)","timestamp":\#(ts),"signature":"00"}}"#)
        #expect(json(bad.first ?? "")["status"] as? Int == 400 && (json(bad.first ?? "")["error"] as? [String: Any])?["code"] as? Int == -1022)
        // An IOC that takes part of the book: NEW, then a TRADE per fill, then EXPIRED for the rest (partial-fill fault).
        desk.venue.faults.inject(.partialFill)
        let before = stream.received.count
        let (status, body, _) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.02000&price=\(BinanceOrderDesk.price(desk.bestAsk + 50))")
        #expect(status == 200 && body["status"] as? String == "EXPIRED" && body["executedQty"] as? String == "0.01000000", "half filled, the rest expired")
        stream.pump(desk.sim, seconds: 1) { $0.received.count > before + 2 }
        let events = stream.received[before...].map { json($0) }
        let reports = events.compactMap { $0["event"] as? [String: Any] }.filter { $0["e"] as? String == "executionReport" }
        #expect(reports.first?["x"] as? String == "NEW" && reports.last?["x"] as? String == "EXPIRED")
        #expect(reports.contains { $0["x"] as? String == "TRADE" && $0["m"] as? Bool == false && $0["N"] as? String == "USDT" })
        #expect(events.contains { ($0["event"] as? [String: Any])?["e"] as? String == "outboundAccountPosition" })
        #expect(events.allSatisfy { $0["subscriptionId"] as? Int == 0 })
        // A resting sell just above the mid; the market moves up through it: the fill is reported to its owner.
        let sellPrice = desk.bestAsk + 1
        let (s2, resting, _) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.00100&price=\(BinanceOrderDesk.price(sellPrice))&newClientOrderId=maker1")
        #expect(s2 == 200 && resting["status"] as? String == "NEW")
        let mark = stream.received.count
        desk.sim.paused = false
        desk.sim.diverge(market: 0, slot: 0, by: 40 * 1_000_000)  // up 40 ticks
        stream.pump(desk.sim, seconds: 2) { c in c.received[mark...].contains { $0.contains(#""x":"TRADE""#) && $0.contains(#""c":"maker1""#) } }
        let makerReport = stream.received[mark...].map { json($0)["event"] as? [String: Any] ?? [:] }.first { $0["c"] as? String == "maker1" && $0["x"] as? String == "TRADE" }
        #expect(makerReport?["m"] as? Bool == true && makerReport?["X"] as? String == "FILLED")
        let (_, queried, _) = desk.call("GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=maker1")
        #expect(queried["status"] as? String == "FILLED" && queried["executedQty"] as? String == "0.00100000")
    }

    @Test("a clock-skew fault moves the venue's clock: serverTime jumps and a timestamp within recvWindow falls outside it")
    func clockSkew() throws {
        let desk = try BinanceOrderDesk()
        let before = json(String(decoding: rest(desk.sim, port: desk.venue.restPort!, "GET", "/api/v3/time")?.body ?? [], as: UTF8.self))["serverTime"] as? Int ?? 0
        desk.venue.faults.schedule(SimFault(kind: .clockSkew, start: desk.venue.elapsedNow, duration: .seconds(10), milliseconds: 3_000))
        let after = json(String(decoding: rest(desk.sim, port: desk.venue.restPort!, "GET", "/api/v3/time")?.body ?? [], as: UTF8.self))["serverTime"] as? Int ?? 0
        #expect(after - before >= 3_000 && after - before < 4_000)
        let (status, body, _) = desk.call("GET", "/api/v3/account", "recvWindow=1000")
        #expect(status == 400 && body["code"] as? Int == -1021 && body["msg"] as? String == "Timestamp for this request is outside of the recvWindow.")
        #expect(desk.call("GET", "/api/v3/account", "recvWindow=5000").0 == 200, "a wider window still takes it")
    }

    @Test("a latency-spike fault holds market data back for its window, in order, then delivers it")
    func latencySpike() throws {
        let desk = try BinanceOrderDesk()
        let c = try TestClient(port: desk.venue.port, path: "/ws/btcusdt@depth")
        c.pump(desk.sim) { $0.open }
        c.pump(desk.sim, seconds: 0.05) { _ in false }
        desk.venue.faults.schedule(SimFault(kind: .latency, start: desk.venue.elapsedNow, duration: .milliseconds(300), milliseconds: 200))
        let sent = MonotonicClock.now()
        desk.sim.step()
        desk.sim.step()
        c.pump(desk.sim) { $0.received.count >= 2 }
        let waited = MonotonicClock.now() - sent
        #expect(waited >= .milliseconds(200), "held for the spike (\(waited.raw / 1_000_000) ms)")
        let ids = c.received.compactMap { (json($0)["u"] as? Int, json($0)["U"] as? Int) }
        #expect(ids.count == 2 && ids[1].1 == ids[0].0.map { $0 + 1 }, "in order: the second U follows the first u")
        #expect((desk.venue.faults.applied[.latency] ?? 0) >= 2)
    }

    @Test("LIMIT_MAKER rests or is refused (-2010), never takes; MARKET by quoteOrderQty buys what the amount takes; stop types are said to be unsimulated")
    func makerAndQuoteOrders() throws {
        let desk = try BinanceOrderDesk()
        let (s1, rests, _) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.01&price=\(BinanceOrderDesk.price(desk.bestBid - 10))&newOrderRespType=RESULT")
        #expect(s1 == 200 && rests["status"] as? String == "NEW" && rests["type"] as? String == "LIMIT_MAKER")
        let (s2, takes, _) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.01&price=\(BinanceOrderDesk.price(desk.bestAsk))")
        #expect(s2 == 400 && takes["code"] as? Int == -2010 && takes["msg"] as? String == "Order would immediately match and take.")
        let (s3, byQuote, t3) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=1000")
        let spent = try FixedPoint.parse(byQuote["cummulativeQuoteQty"] as? String ?? "", scale: 10)
        #expect(s3 == 200 && byQuote["status"] as? String == "FILLED" && byQuote["origQuoteOrderQty"] as? String == "1000.0000000000", "\(t3)")
        #expect(spent <= 1_000 * 10_000_000_000 && spent > 990 * 10_000_000_000, "spent at most the amount, within a lot of it")
        let (s4, neither, _) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET")
        #expect(s4 == 400 && neither["code"] as? Int == -1102)
        let (s5, stop, _) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=SELL&type=STOP_LOSS&quantity=0.01&stopPrice=1")
        #expect(s5 == 400 && stop["code"] as? Int == -1000 && (stop["msg"] as? String)?.contains("not simulated") == true)
    }

    @Test("a reject fault refuses the next order with -2010")
    func rejectFault() throws {
        let desk = try BinanceOrderDesk()
        desk.venue.faults.inject(.reject)
        let (status, body, _) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=\(BinanceOrderDesk.price(desk.bestBid - 100))")
        #expect(status == 400 && body["code"] as? Int == -2010 && desk.venue.faults.applied[.reject] == 1)
        let (again, _, _) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=\(BinanceOrderDesk.price(desk.bestBid - 100))")
        #expect(again == 200)
    }
}
