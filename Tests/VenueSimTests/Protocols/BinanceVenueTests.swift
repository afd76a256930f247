import Foundation
import GantryBook
import GantryCore
import GantryNet
import GantryVenues
import Testing
import VenueSim

/// A REST call to the simulator through our HTTP client (the simulator polled meanwhile).
func rest(_ sim: VenueSimulator, port: Int, _ method: String, _ target: String, headers: [(String, String)] = [], body: String = "")
    -> HTTPResponse?
{
    let client = HTTPClient(address: "127.0.0.1", port: port, host: "api.sim.test", tls: nil)
    guard case .success(let id) = client.send(method: method, target: target, headers: headers, body: Array(body.utf8)) else { return nil }
    var response: HTTPResponse? = nil
    let deadline = MonotonicClock.now() + .seconds(3)
    while response == nil && MonotonicClock.now() < deadline {
        _ = sim.poll()
        client.poll { rid, result in if rid == id, case .success(let r) = result { response = r } }
        usleep(200)
    }
    return response
}

@Suite("Binance venue: the market streams and REST depth as Binance documents them", .serialized)
struct BinanceVenueTests {
    @Test("SUBSCRIBE is answered {\"result\":null,\"id\":1}; LIST_SUBSCRIPTIONS lists the names as sent; properties")
    func subscribeAndList() throws {
        let (sim, venue) = try testSimulator(.binance, symbols: ["BTCUSDT"])
        let c = try TestClient(port: venue.port, path: "/stream")
        #expect(c.request(sim, #"{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms","btcusdt@aggTrade"],"id":1}"#) == [#"{"result":null,"id":1}"#])
        #expect(c.request(sim, #"{"method":"LIST_SUBSCRIPTIONS","id":3}"#) == [#"{"result":["btcusdt@depth@100ms","btcusdt@aggTrade"],"id":3}"#])
        #expect(c.request(sim, #"{"method":"UNSUBSCRIBE","params":["btcusdt@aggTrade"],"id":"abc"}"#) == [#"{"result":null,"id":"abc"}"#])
        #expect(c.request(sim, #"{"method":"GET_PROPERTY","params":["combined"],"id":2}"#) == [#"{"result":true,"id":2}"#])
        #expect(c.request(sim, #"{"method":"SET_PROPERTY","params":["combined",false],"id":5}"#) == [#"{"result":null,"id":5}"#])
        #expect(venue.subscriptionCount == 1)
    }

    @Test("bad requests get Binance's error shape: invalid JSON (3), an invalid stream, an unknown method (2)")
    func errors() throws {
        let (sim, venue) = try testSimulator(.binance, symbols: ["BTCUSDT"])
        let c = try TestClient(port: venue.port, path: "/ws")
        #expect(c.request(sim, "{not json") == [#"{"error":{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"},"id":null}"#])
        #expect(c.request(sim, #"{"method":"SUBSCRIBE","params":["BTCUSDT@depth"],"id":4}"#) == [#"{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":4}"#])
        let unknown = c.request(sim, #"{"method":"SUBSCRIBEE","params":[],"id":6}"#)
        #expect(unknown.count == 1 && unknown[0].hasPrefix(#"{"error":{"code":2,"msg":"Invalid request: unknown variant `SUBSCRIBEE`, expected one of `SUBSCRIBE`"#))
        #expect(venue.subscriptionCount == 0, "an invalid request subscribes nothing")
    }

    @Test("depthUpdate: combined-stream wrapper named as subscribed, U is the previous u + 1, levels as strings; raw /ws streams by URL")
    func depthUpdates() throws {
        let (sim, venue) = try testSimulator(.binance, symbols: ["BTCUSDT", "ETHUSDT"], paused: false)
        let c = try TestClient(port: venue.port, path: "/stream?streams=btcusdt@depth")
        let raw = try TestClient(port: venue.port, path: "/ws/ethusdt@depth@100ms")
        c.pump(sim) { $0.received.count >= 20 }
        raw.pump(sim) { $0.received.count >= 5 }
        var lastU: UInt64? = nil
        for text in c.received.prefix(20) {
            let m = json(text)
            #expect(m["stream"] as? String == "btcusdt@depth")
            let data = m["data"] as? [String: Any] ?? [:]
            #expect(data["e"] as? String == "depthUpdate" && data["s"] as? String == "BTCUSDT" && data["E"] is Int)
            let d = try Array(text.utf8).withUnsafeBytes { bytes -> Binance.DepthDiff? in
                if case .depth(let d) = try Binance.decode(bytes) { return d }
                return nil
            }
            guard let d else {
                Issue.record("not a depth diff: \(text.prefix(80))")
                continue
            }
            if let lastU { #expect(d.firstUpdateId == lastU + 1, "U follows the previous u") }
            lastU = d.finalUpdateId
            #expect(d.finalUpdateId >= d.firstUpdateId)
        }
        for text in raw.received.prefix(5) {
            #expect(json(text)["e"] as? String == "depthUpdate" && json(text)["s"] as? String == "ETHUSDT", "a raw stream is not wrapped")
        }
    }

    @Test("GET /api/v3/depth: limit (default 100, capped at 5000), lastUpdateId, errors -1102, -1121, -1100; the weight adds up")
    func restDepth() throws {
        let (sim, venue) = try testSimulator(.binance, symbols: ["BTCUSDT"])
        let port = venue.restPort!
        let r = try #require(rest(sim, port: port, "GET", "/api/v3/depth?symbol=BTCUSDT&limit=10"))
        #expect(r.status == 200)
        let body = json(String(decoding: r.body, as: UTF8.self))
        #expect((body["lastUpdateId"] as? Int).map(UInt64.init) == venue.books[0].updateId)
        let bids = body["bids"] as? [[String]] ?? []
        #expect(bids.count == 10 && (body["asks"] as? [[String]])?.count == 10)
        let (best, _) = venue.books[0].snapshot(depth: 1)
        #expect(bids.first?.first == FixedPoint.string(best[0].price.raw, scale: 2), "prices keep the symbol's decimals")
        #expect(r.head.header("X-MBX-USED-WEIGHT-1M") == "5")
        let all = try #require(rest(sim, port: port, "GET", "/api/v3/depth?symbol=BTCUSDT&limit=6000"))
        #expect(all.status == 200 && (json(String(decoding: all.body, as: UTF8.self))["bids"] as? [Any])?.count == 30)
        #expect(all.head.header("X-MBX-USED-WEIGHT-1M") == "255", "5 + 250 this minute")
        let missing = try #require(rest(sim, port: port, "GET", "/api/v3/depth"))
        #expect(missing.status == 400 && String(decoding: missing.body, as: UTF8.self) == #"{"code":-1102,"msg":"Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."}"#)
        let unknown = try #require(rest(sim, port: port, "GET", "/api/v3/depth?symbol=NOPE"))
        #expect(unknown.status == 400 && String(decoding: unknown.body, as: UTF8.self) == #"{"code":-1121,"msg":"Invalid symbol."}"#)
        let bad = try #require(rest(sim, port: port, "GET", "/api/v3/depth?symbol=BTCUSDT&limit=x"))
        #expect(bad.status == 400 && String(decoding: bad.body, as: UTF8.self).contains("-1100"))
        let time = try #require(rest(sim, port: port, "GET", "/api/v3/time"))
        #expect(time.status == 200 && json(String(decoding: time.body, as: UTF8.self))["serverTime"] is Int)
    }

    @Test("the request weight limit: beyond it 429 with -1003 and Retry-After; a venue's latency delays its messages")
    func limitsAndLatency() throws {
        let (sim, venue) = try testSimulator(.binance, symbols: ["BTCUSDT"])
        venue.weightPerMinute = 12
        let port = venue.restPort!
        let statuses = (0..<3).map { _ in rest(sim, port: port, "GET", "/api/v3/depth?symbol=BTCUSDT")?.status }
        #expect(statuses == [200, 200, 429], "5 + 5 fit in 12, the third 5 does not")
        let refused = try #require(rest(sim, port: port, "GET", "/api/v3/ping"))
        #expect(refused.status == 429 && String(decoding: refused.body, as: UTF8.self).contains(#""code":-1003"#) && Int(refused.head.header("Retry-After") ?? "") != nil)
        venue.latency = .milliseconds(150)
        let c = try TestClient(port: venue.port, path: "/ws/btcusdt@depth")
        c.pump(sim) { $0.open }
        c.pump(sim, seconds: 0.05) { _ in false }
        let sent = MonotonicClock.now()
        sim.step()
        c.pump(sim) { $0.received.contains { $0.contains("depthUpdate") } }
        let waited = MonotonicClock.now() - sent
        #expect(waited >= .milliseconds(150) && waited < .seconds(2), "delivered after the venue's latency (\(waited.raw / 1_000_000) ms)")
    }

    @Test("trade and bookTicker streams: noise traders' trades print with the taker's side; the ticker follows the published top")
    func tradesAndTicker() throws {
        let (sim, venue) = try testSimulator(.binance, symbols: ["BTCUSDT"])
        venue.books[0].noisePpm = 500_000
        let c = try TestClient(port: venue.port, path: "/stream?streams=btcusdt@trade/btcusdt@bookTicker")
        c.pump(sim) { $0.open }
        sim.paused = false
        c.pump(sim, seconds: 3) { c in c.received.filter { $0.contains(#""e":"trade""#) }.count >= 10 && c.received.contains { $0.contains("bookTicker") } }
        sim.paused = true
        var trades = 0
        var lastTradeId: UInt64 = 0
        for text in c.received {
            let m = json(text)
            let stream = m["stream"] as? String
            #expect(stream == "btcusdt@trade" || stream == "btcusdt@bookTicker")
            let data = try JSONSerialization.data(withJSONObject: m["data"] ?? [:])
            try [UInt8](data).withUnsafeBytes { bytes in
                switch try Binance.decode(bytes) {
                case .trade(let t):
                    #expect(t.tradeId > lastTradeId, "trade ids increase")
                    lastTradeId = t.tradeId
                    let quantity = try FixedPoint.parse(t.quantity, scale: 8)
                    #expect(quantity > 0)
                    trades += 1
                case .bookTicker(let b):
                    let bid = try FixedPoint.parse(b.bidPrice, scale: 2)
                    let ask = try FixedPoint.parse(b.askPrice, scale: 2)
                    #expect(b.updateId > 0 && bid < ask)
                default: Issue.record("unexpected: \(text.prefix(80))")
                }
            }
        }
        #expect(trades >= 10)
        // The last ticker is the published top.
        let last = json(json(c.received.last { $0.contains("bookTicker") } ?? "")["data"].flatMap { try? String(decoding: JSONSerialization.data(withJSONObject: $0), as: UTF8.self) } ?? "")
        let (bids, asks) = venue.books[0].snapshot(depth: 1)
        #expect(last["b"] as? String == FixedPoint.string(bids[0].price.raw, scale: 2) && last["A"] as? String == FixedPoint.string(asks[0].quantity.raw, scale: 8))
    }

    @Test("a 429 fault answers Binance's rate-limit error with Retry-After; a 5xx fault a 503")
    func restFaults() throws {
        let (sim, venue) = try testSimulator(.binance, symbols: ["BTCUSDT"])
        venue.faults.inject(.http429)
        let limited = try #require(rest(sim, port: venue.restPort!, "GET", "/api/v3/depth?symbol=BTCUSDT"))
        #expect(limited.status == 429 && limited.head.header("Retry-After") == "1" && String(decoding: limited.body, as: UTF8.self).contains("-1003"))
        venue.faults.inject(.http5xx)
        #expect(rest(sim, port: venue.restPort!, "GET", "/api/v3/ping")?.status == 503)
        #expect(rest(sim, port: venue.restPort!, "GET", "/api/v3/ping")?.status == 200)
        #expect(venue.faults.applied[.http429] == 1 && venue.faults.applied[.http5xx] == 1)
    }
}
