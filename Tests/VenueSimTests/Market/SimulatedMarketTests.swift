import Foundation
import GantryBook
import GantryCore
import GantryNet
import GantryVenues
import Testing
@testable import VenueSim

@Suite("Market model, simulated books, faults, writer and configuration")
struct SimulatedMarketTests {
    @Test("the model is deterministic for a seed; a venue's divergence opens and closes again")
    func model() {
        let p = MarketParameters(start: 97_000 * 100_000_000, volatilityPerSecond: 500_000_000, divergencesPerMinute: 600, divergence: 2_000_000_000, convergenceMilliseconds: 500)
        var a = MarketModel(parameters: p, venues: 3, stepsPerSecond: 100, seed: 9)
        var b = MarketModel(parameters: p, venues: 3, stepsPerSecond: 100, seed: 9)
        var c = MarketModel(parameters: p, venues: 3, stepsPerSecond: 100, seed: 10)
        var opened = 0
        var differs = false
        var maxGap: Int64 = 0
        for _ in 0..<6_000 {
            a.advance()
            b.advance()
            c.advance()
            #expect(a.fair == b.fair && a.offsets == b.offsets)
            if a.fair != c.fair { differs = true }
            if a.offsets.contains(p.divergence) || a.offsets.contains(-p.divergence) { opened += 1 }
            maxGap = max(maxGap, a.offsets.map(abs).max()!)
        }
        #expect(differs, "another seed, another path")
        #expect(opened > 0 && maxGap == p.divergence, "venues diverge by the configured amount")
        // With no new divergences, every offset converges to zero within the convergence time.
        var quiet = MarketModel(parameters: MarketParameters(start: p.start, volatilityPerSecond: 0, divergencesPerMinute: 0, divergence: p.divergence, convergenceMilliseconds: 500), venues: 2, stepsPerSecond: 100, seed: 1)
        quiet.diverge(venue: 0, by: p.divergence)
        for _ in 0..<60 { quiet.advance() }
        #expect(quiet.offsets == [0, 0] && quiet.fair == p.start)
    }

    @Test("a book's published levels always equal the engine's depth; never crossed; update ids count the changes")
    func publishedEqualsEngine() {
        let book = SimulatedBook(
            instrument: SimInstrument(symbol: "BTCUSDT", priceScale: 2, quantityScale: 8, tick: 1, lot: 1_000),
            fees: FeeSchedule(makerCentiBasisPoints: 100, takerCentiBasisPoints: 1_000), levels: 20, maxLots: 1_000)
        var random = SimRandom(seed: 4)
        var mid: Int64 = 9_700_000
        book.open(midTicks: mid, random: &random)
        book.deposit(account: 1, base: 100_000_000_000, quote: 1_000_000_000_000_000_000)
        for step in 0..<2_000 {
            mid += Int64(random.below(7)) - 3
            let before = book.updateId
            let changes = book.step(midTicks: mid, random: &random)
            #expect(book.updateId == before + UInt64(changes.count))
            if step % 100 == 7 {
                // A client's IOC buy sweeps a few levels: what it took shows in the published book at once.
                let best = book.engine.best(.sell)!
                let (result, swept) = book.submit(account: 1, side: .buy, type: .limit, timeInForce: .ioc, price: Price(raw: best.raw + 3), quantity: Quantity(raw: 5_000_000))
                #expect(!result.fills.isEmpty && swept.contains { $0.side == .sell })
            }
            let engineBids = book.engine.depth(.buy).map { BookLevel(price: $0.price, quantity: $0.quantity) }
            let engineAsks = book.engine.depth(.sell).map { BookLevel(price: $0.price, quantity: $0.quantity) }
            let (bids, asks) = book.snapshot(depth: 10_000)
            #expect(bids == engineBids && asks == engineAsks)
            #expect(bids.first!.price < asks.first!.price)
        }
    }

    @Test("faults: one-shots are used once; a window hits every n-th message; a scripted disconnect fires once")
    func faults() {
        var f = SimFaultState(script: [
            SimFault(kind: .gap, start: .seconds(1), duration: .seconds(1), every: 3),
            SimFault(kind: .disconnect, start: .seconds(2)),
            SimFault(kind: .latency, start: .zero, duration: .milliseconds(500), milliseconds: 40),
            SimFault(kind: .badChecksum, start: .seconds(5)),
        ])
        let once = [f.take(.badChecksum, elapsed: .milliseconds(4_999)), f.take(.badChecksum, elapsed: .milliseconds(5_100)), f.take(.badChecksum, elapsed: .seconds(6))]
        #expect(once == [false, true, false], "a fault without a duration hits the first message after its start, once")
        f.inject(.duplicate, count: 2)
        let duplicates = (0..<3).map { _ in f.take(.duplicate, elapsed: .zero) }
        #expect(duplicates == [true, true, false])
        let early = f.take(.gap, elapsed: .milliseconds(500))
        #expect(!early)
        let hits = (0..<9).map { _ in f.take(.gap, elapsed: .milliseconds(1_500)) }
        #expect(hits == [false, false, true, false, false, true, false, false, true])
        let late = f.take(.gap, elapsed: .milliseconds(2_000))
        #expect(!late, "the window is closed at its end")
        #expect(f.active(.latency, elapsed: .milliseconds(499))?.milliseconds == 40 && f.active(.latency, elapsed: .milliseconds(500)) == nil)
        let drops = [f.disconnectDue(elapsed: .milliseconds(1_999)), f.disconnectDue(elapsed: .seconds(2)), f.disconnectDue(elapsed: .seconds(3))]
        #expect(drops == [false, true, false])
        #expect(f.applied == [.duplicate: 2, .gap: 3, .disconnect: 1, .badChecksum: 1])
    }

    @Test("the writer: ISO times, decimals at a scale, escaped strings, integers")
    func writer() {
        var w = SimWriter()
        w.isoTime(Nanos(raw: 1_675_974_770_714_964_855))
        w.raw(" ")
        w.isoTime(Nanos(raw: 951_782_400_000_000_000), digits: 6)  // 2000-02-29, a leap day
        w.raw(" ")
        w.decimal(-12_345, scale: 3)
        w.raw(" ")
        w.decimal(1_200, scale: 4, trim: true)
        w.raw(" ")
        w.int(Int64.min)
        w.raw(" ")
        w.quoted("a\"b\\c\n")
        #expect(String(decoding: w.bytes, as: UTF8.self) == #"2023-02-09T20:32:50.714964855Z 2000-02-29T00:00:00.000000Z -12.345 0.12 -9223372036854775808 "a\"b\\c\u000a""#)
    }

    @Test("REST requests are read whole however they arrive: split at every offset, keep-alive, bodies")
    func httpRequests() throws {
        let text = "POST /api/v3/order?symbol=BTCUSDT&side=BUY HTTP/1.1\r\nHost: x\r\nX-MBX-APIKEY: k\r\nContent-Length: 11\r\n\r\nquantity=1&GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n\r\n"
        let bytes = Array(text.utf8)
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        let client = try TCPSocket.connect(host: "127.0.0.1", port: listener.port)
        var accepted: TCPSocket? = nil
        let deadline = MonotonicClock.now() + .seconds(2)
        while accepted == nil && MonotonicClock.now() < deadline { accepted = try listener.accept() }
        guard let socket = accepted else { throw NetError.system(operation: "accept", errno: 0) }
        let connection = SimHTTPConnection(socket)
        _ = client
        for split in 0...bytes.count {
            connection.inbound = Array(bytes[..<split])
            var got: [SimHTTPRequest] = []
            while let r = connection.nextRequest() { got.append(r) }
            connection.inbound += Array(bytes[split...])
            while let r = connection.nextRequest() { got.append(r) }
            #expect(got.count == 2 && connection.inbound.isEmpty)
            #expect(got.first?.method == "POST" && got.first?.path == "/api/v3/order" && got.first?.parameters["side"] == "BUY")
            #expect(got.first.map { String(decoding: $0.body, as: UTF8.self) } == "quantity=1&" && got.first?.header("x-mbx-apikey") == "k")
            #expect(got.last?.method == "GET" && got.last?.path == "/api/v3/ping" && got.last?.query == "")
        }
        #expect(SimHTTPRequest.form("a=1%2B2&b=x+y&a=3&c") == ["a": "1+2", "b": "x y", "c": ""])
    }

    @Test("a venue's request rate limit answers in the venue's own words: Bybit 10006, OKX 50011 (429), Kraken EAPI:Rate limit exceeded, Coinbase 429")
    func rateLimits() throws {
        let expected: [(SimProtocol, Int, String)] = [
            (.bybit, 200, #""retCode":10006"#), (.okx, 429, #""code":"50011""#), (.kraken, 200, #"EAPI:Rate limit exceeded"#),
            (.coinbase, 429, #""RATE_LIMIT_EXCEEDED""#),
        ]
        for (kind, status, text) in expected {
            // Three calls within one second: the third is refused. (A second boundary between them resets the
            // count; then the round is run again.)
            var refusedOnce = false
            for _ in 0..<3 where !refusedOnce {
                let (sim, venue) = try testSimulator(kind, symbols: ["X"], restPort: 0)
                venue.requestsPerSecond = 2
                var answers: [(Int, String)] = []
                for _ in 0..<3 {
                    let r = rest(sim, port: venue.restPort!, "GET", "/anything")
                    answers.append((r?.status ?? 0, r.map { String(decoding: $0.body, as: UTF8.self) } ?? ""))
                }
                let refused = answers.filter { $0.0 == status && $0.1.contains(text) }
                #expect(venue.stats.rejectedRequests == refused.count, "\(kind): every refusal in the venue's words: \(answers)")
                refusedOnce = refused.count == 1 && answers.last.map { $0.0 == status && $0.1.contains(text) } == true
            }
            #expect(refusedOnce, "\(kind): the third request in a second is refused")
        }
    }

    @Test("a seed replays a session: the same books, the same order ids; everything sent and received (REST too) can be recorded")
    func determinismAndRecording() throws {
        func session() throws -> ([String], [BookLevel], [String]) {
            let (sim, venue) = try testSimulator(.coinbase, symbols: ["BTC-USD"], seed: 77, restPort: 0)  // paused: only the steps below move it
            var lines: [String] = []
            sim.record { lines.append($0.line) }
            let key = ES256Key.generate()
            try venue.addCoinbaseKey(name: "k", publicKey: try ES256Key(publicKeyPEM: key.publicKeyPEM), account: 1, deposits: ["BTC": "1"])
            for _ in 0..<50 { sim.step() }
            let token = try CoinbaseJWT.make(keyName: "k", key: key, uri: "POST api.sim.test/api/v3/brokerage/orders", now: WallClock.now().raw / 1_000_000_000, nonce: [1])
            let r = rest(sim, port: venue.restPort!, "POST", "/api/v3/brokerage/orders", headers: [("Authorization", "Bearer \(token)")],
                body: #"{"client_order_id":"c1","product_id":"BTC-USD","side":"SELL","order_configuration":{"market_market_ioc":{"base_size":"0.01"}}}"#)
            let id = (json(String(decoding: r?.body ?? [], as: UTF8.self))["success_response"] as? [String: Any])?["order_id"] as? String ?? ""
            return ([id], venue.books[0].snapshot(depth: 100).bids, lines)
        }
        let (a, booksA, recordA) = try session()
        let (b, booksB, _) = try session()
        #expect(a == b && a[0].count == 36 && Array(a[0])[14] == "4" && a[0].split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
        #expect(booksA == booksB && !booksA.isEmpty, "the same seed, the same book")
        #expect(recordA.contains { $0.contains("\t-1\tin\tPOST /api/v3/brokerage/orders {") } && recordA.contains { $0.contains("\t-1\tout\t200 {\"success\":true") })
    }

    @Test("the example configuration parses; each bad value is refused with its table and key named")
    func configuration() throws {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let example = try String(contentsOf: here.appendingPathComponent("config/sim.toml"), encoding: .utf8)
        let config = try SimConfiguration(toml: example)
        #expect(config.venues.map(\.kind) == [.binance, .coinbase, .kraken, .okx, .bybit] && config.markets.count == 2 && config.faults.count == 5)
        // The demo's silent book: Bybit's second (ETHUSDT), for three seconds.
        #expect(config.faults[4].kind == .silentBook && config.faults[4].book == 1 && config.faults[4].duration == .seconds(3))
        #expect(config.venues[2].instruments[0].instrument == SimInstrument(symbol: "BTC/USD", priceScale: 1, quantityScale: 8, tick: 1, lot: 1))
        let venue = """
            [[markets]]
            name = "BTC"
            start_price = "97000"
            [[venues]]
            name = "v"
            kind = "okx"
            ws_port = 19999
            [[venues.instruments]]
            symbol = "BTC-USDT"
            market = "BTC"
            tick_size = "0.1"
            lot_size = "0.001"
            price_scale = 1
            quantity_scale = 3
            """
        #expect((try? SimConfiguration(toml: venue)) != nil)
        let cases: [(String, String, String)] = [
            (#"kind = "okx""#, #"kind = "ftx""#, "venue v: kind is \"ftx\""),
            (#"tick_size = "0.1""#, #"tick_size = "0.05""#, "venue v, instrument BTC-USDT: tick_size is not a decimal with at most 1 places"),
            (#"market = "BTC""#, #"market = "ETH""#, "market \"ETH\" is not a configured [[markets]] name"),
            (#"start_price = "97000""#, #"start_price = "-1""#, "market BTC: start_price must be positive"),
            ("ws_port = 19999", "ws_port = 70000", "ws_port 70000 is out of range"),
            (#"kind = "okx""#, #"kind = "binance""#, "rest_port is required"),
            ("quantity_scale = 3", "quantity_scale = 3\n[[faults]]\nkind = \"gap\"\nvenue = \"w\"\nstart_ms = 0", "fault gap: venue \"w\" is not configured"),
            ("quantity_scale = 3", "quantity_scale = 3\n[[faults]]\nkind = \"balance\"\nvenue = \"v\"\nstart_ms = 0\nasset = \"BTC\"", "fault balance: venue, asset and amount (a signed decimal) are required"),
            ("quantity_scale = 3", "quantity_scale = 3\n[[faults]]\nkind = \"latency\"\nstart_ms = 0\nduration_ms = 100", "milliseconds is required"),
            ("quantity_scale = 3", "quantity_scale = 3\n[[faults]]\nkind = \"stale\"\nstart_ms = 0", "duration_ms is required"),
            ("quantity_scale = 3", "quantity_scale = 3\n[[faults]]\nkind = \"silent_book\"\nvenue = \"v\"\nstart_ms = 0", "duration_ms is required"),
            ("quantity_scale = 3", "quantity_scale = 3\n[[faults]]\nkind = \"silent_book\"\nvenue = \"v\"\ninstrument = \"ETH-USDT\"\nstart_ms = 0\nduration_ms = 9", "venue v has no instrument ETH-USDT"),
            ("quantity_scale = 3", "quantity_scale = 3\n[[faults]]\nkind = \"gap\"\nvenue = \"v\"\ninstrument = \"BTC-USDT\"\nstart_ms = 0", "instrument is for silent_book faults"),
            ("quantity_scale = 3", "quantity_scale = 3\n[[faults]]\nkind = \"silent_book\"\ninstrument = \"BTC-USDT\"\nstart_ms = 0\nduration_ms = 9", "instrument is for silent_book faults of one venue"),
        ]
        // Accounts: secrets only from the environment or a 0600 file, never inline, never shown.
        let binance = venue.replacingOccurrences(of: #"kind = "okx""#, with: "kind = \"binance\"\nrest_port = 19998")
        let account = "\n[[venues.accounts]]\napi_key = \"k1\"\nSECRET\n[venues.accounts.deposits]\nBTC = \"2\"\nUSDT = \"1000\"\n"
        setenv("GANTRY_TEST_SIM_SECRET", "s3cr3t", 1)
        let withEnv = try SimConfiguration(toml: binance + account.replacingOccurrences(of: "SECRET", with: #"secret_env = "GANTRY_TEST_SIM_SECRET""#))
        #expect(withEnv.venues[0].accounts.count == 1 && !"\(withEnv.venues[0].accounts[0])".contains("s3cr3t"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sim-secret-\(getpid())").path
        _ = FileManager.default.createFile(atPath: file, contents: Data("s3cr3t\n".utf8), attributes: [.posixPermissions: 0o644])
        defer { unlink(file) }
        let accountCases: [(String, String)] = [
            (#"secret = "s3cr3t""#, "secrets are not read from the configuration"),
            (#"secret_env = "GANTRY_TEST_SIM_NOT_SET""#, "the environment variable GANTRY_TEST_SIM_NOT_SET (secret_env) is not set"),
            ("secret_file = \"\(file)\"", "must be mode 0600 (it is 644)"),
        ]
        for (line, message) in accountCases {
            do {
                _ = try SimConfiguration(toml: binance + account.replacingOccurrences(of: "SECRET", with: line))
                Issue.record("accepted: \(line)")
            } catch {
                #expect(error.message.contains(message) && !error.message.contains("s3cr3t"), "\(error.message)")
            }
        }
        chmod(file, 0o600)
        let fromFile = try SimConfiguration(toml: binance + account.replacingOccurrences(of: "SECRET", with: "secret_file = \"\(file)\""))
        let sim = try fromFile.makeSimulator(anyPorts: true)
        #expect(sim.venues[0].books[0].engine.balance(1, .base).free == 2_000, "2 BTC at 3 decimals")
        // A Coinbase account: the CDP key's name and its public half (not a secret).
        let pem = FileManager.default.temporaryDirectory.appendingPathComponent("sim-cdp-\(getpid()).pem").path
        _ = FileManager.default.createFile(atPath: pem, contents: Data(ES256Key.generate().publicKeyPEM.utf8))
        defer { unlink(pem) }
        let coinbase = venue.replacingOccurrences(of: #"kind = "okx""#, with: "kind = \"coinbase\"\nrest_port = 19997")
            .replacingOccurrences(of: "BTC-USDT", with: "BTC-USD")
        let cdp = "\n[[venues.accounts]]\nkey_name = \"organizations/o/apiKeys/k\"\npublic_key_file = \"\(pem)\"\n[venues.accounts.deposits]\nUSD = \"100\"\n"
        let withKey = try SimConfiguration(toml: coinbase + cdp).makeSimulator(anyPorts: true)
        #expect(withKey.venues[0].books[0].engine.balance(1, .quote).free == 100 * 10_000)
        #expect(throws: SimConfigurationError.self) { try SimConfiguration(toml: coinbase + cdp.replacingOccurrences(of: pem, with: file)) }
        for (from, to, message) in cases {
            let bad = venue.replacingOccurrences(of: from, with: to)
            do {
                _ = try SimConfiguration(toml: bad)
                Issue.record("accepted: \(to)")
            } catch {
                #expect(error.message.contains(message), "\(error.message) names \(message)")
            }
        }
    }
}

