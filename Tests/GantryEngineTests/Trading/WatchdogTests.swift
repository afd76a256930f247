import Foundation
import GantryCore
@testable import GantryEngine
import GantryOps
import GantryTestSupport
import GantryVenues
import Testing
import VenueSim

/// `gantry watchdog` against a `gantry run` that is `kill -9`ed with orders resting on three simulated venues.
///
/// How the orders come to rest, said plainly: the gateway sends IOC orders only, which never rest, so the test
/// places GTC limit orders far from the market itself, on the gateway's own accounts, signed with the same
/// credentials through the same codecs (as a gateway with resting orders would have them). The watchdog cannot
/// tell them from the gateway's: it cancels every open order of the account, whoever placed it.
@Suite("gantry watchdog: the gateway killed with orders open, every one cancelled at the venues", .serialized)
struct WatchdogTests {
    /// Places a GTC limit order on the venue's first instrument through its REST API; the venue's answer.
    static func placeResting(_ v: SweepVenue, side: Side, price: Int64, quantity: Int64, id: UInt64) throws -> String {
        var codec = try VenueSweep.Codec(v)
        let order = OrderRequest(
            clientOrderId: ClientOrderId(strategy: StrategyId(raw: 9), sequence: id), instrument: v.instruments.all[0].id, side: side, orderType: .limit,
            timeInForce: .gtc, price: Price(raw: price), quantity: Quantity(raw: quantity))
        let body = try VenueSweep.call(v, nil) { b throws(OrderEncodeError) in
            if codec.binance != nil { return try codec.binance!.place(order, now: WallClock.now(), into: &b) }
            if codec.okx != nil { return try codec.okx!.place(order, now: WallClock.now(), into: &b) }
            if codec.kraken != nil { return try codec.kraken!.place(order, now: WallClock.now(), into: &b) }
            if codec.coinbase != nil { return try codec.coinbase!.place(order, now: WallClock.now(), into: &b) }
            return try codec.bybit!.place(order, now: WallClock.now(), into: &b)
        }
        return String(decoding: body, as: UTF8.self)
    }

    @Test("kill -9 of the gateway with 6 orders resting on Binance, OKX and Bybit: the watchdog (watching its pid, or its control plane alone) cancels them all within 2 s of the kill, verifies and reports it, and the venues' books hold no order of ours", arguments: [true, false])
    func killNine(watchingPid: Bool) throws {
        let g = try GantryControlTests.Gateway(seconds: 120)
        var finished = false
        defer { if !finished { _ = g.finish() } }
        let url = try #require(g.url(), "no control plane URL printed:\n\(g.text)")
        let configuration = try TradingConfiguration(toml: try String(contentsOfFile: g.config, encoding: .utf8))
        var credentials: [String: VenueCredentials] = [:]
        for a in configuration.accounts { credentials[a.venue] = try VenueCredentials.load(a) }
        let venues = try SweepVenue.configured(configuration, sim: true, credentials: credentials)
        #expect(venues.map(\.name) == ["binance", "okx", "bybit"])
        // The watchdog, watching the gateway's control plane and pid.
        let watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: g.binary)
        watchdog.arguments = ["watchdog", "--sim", "--config", g.config, "--control", url, "--deadline", "10"] + (watchingPid ? ["--pid", "\(g.process.processIdentifier)"] : [])
        let out = g.dir.appendingPathComponent("watchdog.txt")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        watchdog.standardOutput = handle
        watchdog.standardError = handle
        try watchdog.run()
        defer { if watchdog.isRunning { watchdog.terminate() } }
        func said() -> String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        let watching = MonotonicClock.now() + .seconds(20)
        while !said().contains("watchdog: watching") && MonotonicClock.now() < watching { usleep(50_000) }
        #expect(said().contains("watchdog: watching"), "the watchdog watches:\n\(said())")
        // Two resting orders a venue, far from the ~97,000 market: a buy at 90,000 and a sell at 105,000.
        let scales = [(2, 8), (1, 8), (2, 6)]
        for (k, v) in venues.enumerated() {
            let (ps, qs) = scales[k]
            func p(_ whole: Int64) -> Int64 { whole * Int64(pow(10.0, Double(ps))) }
            let q = Int64(pow(10.0, Double(qs))) / 1_000
            let buy = try Self.placeResting(v, side: .buy, price: p(90_000), quantity: q, id: UInt64(10 + 2 * k))
            let sell = try Self.placeResting(v, side: .sell, price: p(105_000), quantity: q, id: UInt64(11 + 2 * k))
            #expect(!buy.contains("error") && !sell.contains("error"), "\(v.name) took the orders: \(buy) \(sell)")
        }
        let open = try venues.map { try VenueSweep.openOrders($0, tls: nil).count }
        #expect(open == [2, 2, 2], "two orders rest on each venue before the kill")
        // kill -9.
        let killed = MonotonicClock.now()
        kill(g.process.processIdentifier, SIGKILL)
        var resultAt: Nanos? = nil
        while MonotonicClock.now() - killed < .seconds(15) {
            if resultAt == nil && said().contains("result: ") { resultAt = MonotonicClock.now() }
            if !watchdog.isRunning { break }
            usleep(5_000)
        }
        if resultAt == nil && said().contains("result: ") { resultAt = MonotonicClock.now() }
        watchdog.waitUntilExit()
        try? handle.close()
        let text = said()
        print("gantry watchdog said:\n\(text)")
        let toResult = resultAt.map { ($0 - killed).raw / 1_000_000 }
        print("watchdog (\(watchingPid ? "pid and polls" : "polls alone")): every open order cancelled and verified \(toResult.map { "\($0) ms" } ?? "NEVER") after kill -9")
        #expect(watchdog.terminationStatus == 0, "the watchdog exits 0 once every venue is verified empty")
        #expect(text.contains("result: ok: no open order at any venue"))
        #expect((toResult ?? .max) < 2_000, "cancelled and verified within 2 s of the kill")
        for name in ["binance", "okx", "bybit"] {
            #expect(text.contains("  \(name): 2 open order(s)") && text.contains("  \(name): no open order left"), "\(name) swept")
        }
        #expect(text.contains("DELETE /api/v3/openOrders BTCUSDT") && text.contains("cancel-batch-orders (2 orders, code 0)") && text.contains("/v5/order/cancel-all BTCUSDT"))
        let report = try #require(text.split(separator: "\n").first { $0.hasPrefix("watchdog report: ") })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.dropFirst(17).utf8)) as? [String: Any])
        #expect(json["ok"] as? Bool == true && (json["trigger"] as? String ?? "").contains(watchingPid ? "process" : "4 polls missed"))
        // The venues' own books: no order of the account left.
        _ = g.finish()
        finished = true
        for v in g.sim.sim.venues {
            let left = v.books.flatMap { $0.engine.openOrders(account: 1) }
            #expect(left.isEmpty, "\(v.name): \(left.count) order(s) of ours still in the book")
        }
    }

    @Test("Bybit, Kraken and Coinbase in-process: three resting orders each listed, cancelled with the venue's mass cancel (cancel-all, CancelAll, batch_cancel) and listed again as none; the books hold none", arguments: [VenueKind.bybit, .kraken, .coinbase])
    func sweep(_ kind: VenueKind) throws {
        let desk = try BalanceDesk(kind)  // its simulator thread is stopped when it goes
        let instrument = OrderInstrument(
            id: InstrumentId(raw: 1), symbol: desk.symbol, baseAsset: "BTC", quoteAsset: kind == .bybit ? "USDT" : "USD", priceScale: desk.priceScale, quantityScale: 8)
        let v = SweepVenue(name: kind.rawValue, id: VenueId(raw: 1), kind: kind, rest: desk.rest, credentials: desk.credentials, instruments: OrderInstruments([instrument]))
        // Far from the book: buys 10% under its bid, a sell 10% over its ask.
        let (bid, ask) = desk.paused { (desk.venue.books[0].engine.best(.buy)!.raw, desk.venue.books[0].engine.best(.sell)!.raw) }
        for (k, (side, price)) in [(Side.buy, bid * 9 / 10), (.buy, bid * 8 / 10), (.sell, ask * 11 / 10)].enumerated() {
            let answer = try Self.placeResting(v, side: side, price: price, quantity: 100_000, id: UInt64(20 + k))
            #expect(!answer.contains("\"error\":[\"") && !answer.contains("\"success\":false"), "\(kind): \(answer)")
        }
        #expect(try VenueSweep.openOrders(v, tls: nil).count == 3, "three orders rest")
        let sent = try VenueSweep.cancel(v, open: try VenueSweep.openOrders(v, tls: nil), tls: nil)
        print("\(kind) sweep sent: \(sent)")
        #expect(sent.count == 1)
        #expect(try VenueSweep.openOrders(v, tls: nil).isEmpty, "none listed after the mass cancel")
        let left = desk.paused { desk.venue.books[0].engine.openOrders(account: 1) }
        #expect(left.isEmpty, "the book holds no order of the account")
    }
}
