import Foundation
import GantryBook
import GantryCore
import GantryVenues
import GantryTestSupport
import Testing
import VenueSim

@Suite("Bybit, OKX, Kraken v2 and Coinbase venues: requests, replies and streams as each venue documents them", .serialized)
struct WebSocketVenueTests {
    @Test("Bybit: subscribe ack, snapshot then deltas with u + 1 per message; errors; ping; level 1 snapshots only")
    func bybit() throws {
        let (sim, venue) = try testSimulator(.bybit, symbols: ["BTCUSDT"], quantityScale: 6)
        let c = try TestClient(port: venue.port, path: "/v5/public/spot")
        let replies = c.request(sim, #"{"req_id":"r1","op":"subscribe","args":["orderbook.50.BTCUSDT"]}"#, expecting: 2)
        #expect(replies.first == #"{"success":true,"ret_msg":"subscribe","conn_id":"sim-bybit-1","req_id":"r1","op":"subscribe"}"#)
        #expect(json(replies.last ?? "")["type"] as? String == "snapshot")
        #expect(c.request(sim, #"{"op":"ping"}"#) == [#"{"success":true,"ret_msg":"pong","conn_id":"sim-bybit-1","op":"ping"}"#])
        #expect(c.request(sim, #"{"op":"subscribe","args":["orderbook.7.BTCUSDT"]}"#) == [#"{"success":false,"ret_msg":"error:handler not found,topic:orderbook.7.BTCUSDT","conn_id":"sim-bybit-1","op":"subscribe"}"#])
        #expect(c.request(sim, #"{"op":"subscribe","args":["orderbook.50.BTCUSDT"]}"#) == [#"{"success":false,"ret_msg":"error:already subscribed,topic:orderbook.50.BTCUSDT","conn_id":"sim-bybit-1","op":"subscribe"}"#])
        let eleven = (0..<11).map { _ in #""orderbook.1.BTCUSDT""# }.joined(separator: ",")
        #expect(c.request(sim, #"{"op":"subscribe","args":[\#(eleven)]}"#).first?.contains("args size >10") == true)
        // The stream, decoded and synced by Gantry's own Bybit sync: u contiguous, never crossed, the book equal to the venue's.
        sim.paused = false
        let before = c.received.count
        c.pump(sim) { $0.received.count >= before + 30 }
        sim.paused = true
        c.pump(sim, seconds: 0.2) { _ in false }
        var sync = BybitBookSync(venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), priceScale: 2, quantityScale: 6, depth: 50)
        var lastU: UInt64 = 0
        for text in c.received where text.hasPrefix(#"{"topic""#) {
            let u = try Array(text.utf8).withUnsafeBytes { bytes -> UInt64 in
                let m = try Bybit.decodeBook(bytes)
                _ = try sync.apply(m)
                return m.updateId
            }
            if lastU > 0 { #expect(u == lastU + 1, "u goes up by one per message") }
            lastU = u
            #expect(sync.book.state == .live)
        }
        let (bids, asks) = venue.books[0].snapshot(depth: 50)
        #expect(sync.book.bids.array == bids && sync.book.asks.array == asks)
        // Level 1: every message a snapshot.
        let one = try TestClient(port: venue.port, path: "/v5/public/spot")
        one.request(sim, #"{"op":"subscribe","args":["orderbook.1.BTCUSDT"]}"#, expecting: 2)
        sim.paused = false
        one.pump(sim) { $0.received.count >= 12 }
        #expect(one.received.dropFirst().allSatisfy { json($0)["type"] as? String == "snapshot" })
    }

    @Test("OKX: subscribe event with the request id, snapshot prevSeqId -1, updates chained, checksums verified; 60018, 60019; ping")
    func okx() throws {
        let (sim, venue) = try testSimulator(.okx, symbols: ["BTC-USDT"], priceScale: 1)
        let c = try TestClient(port: venue.port, path: "/ws/v5/public")
        let replies = c.request(sim, #"{"id":"1512","op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}"#, expecting: 2)
        #expect(replies.first == #"{"id":"1512","event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"51a00001"}"#)
        #expect(c.request(sim, "ping") == ["pong"])
        let wrong = c.request(sim, #"{"op":"subscribe","args":[{"channel":"books","instId":"BTC-XXX"}]}"#)
        #expect(json(wrong.first ?? "")["code"] as? String == "60018" && (json(wrong.first ?? "")["msg"] as? String)?.hasPrefix("Wrong URL or channel:books,instId:BTC-XXX doesn't exist") == true)
        #expect(json(c.request(sim, #"{"op":"subscribee","args":[]}"#).first ?? "")["code"] as? String == "60019")
        #expect(json(c.request(sim, #"{"op":"subscribe","argss":[]}"#).first ?? "")["code"] as? String == "60012")
        sim.paused = false
        let before = c.received.count
        c.pump(sim) { $0.received.count >= before + 30 }
        sim.paused = true
        c.pump(sim, seconds: 0.2) { _ in false }
        var sync = OKXBookSync(venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), priceScale: 1, quantityScale: 8, depth: 400)
        var applied = 0
        for text in c.received where text.hasPrefix(#"{"arg""#) {
            let data = (json(text)["data"] as? [[String: Any]])?.first ?? [:]
            if json(text)["action"] as? String == "snapshot" { #expect(data["prevSeqId"] as? Int == -1) }
            #expect(data["checksum"] as? Int != 0, "checksums are sent")
            _ = try Array(text.utf8).withUnsafeBytes { try sync.apply(OKX.decodeBook($0)) }
            #expect(sync.book.state == .live, "chain and checksum hold")
            applied += 1
        }
        #expect(applied > 30 && sync.checksumFailures == 0)
        let (bids, asks) = venue.books[0].snapshot(depth: 400)
        #expect(sync.book.bids.array == bids && sync.book.asks.array == asks)
    }

    @Test("Kraken v2: status on connect, an ack per symbol, snapshot and updates whose CRC32 verifies; pong; errors")
    func kraken() throws {
        let (sim, venue) = try testSimulator(.kraken, symbols: ["BTC/USD"], priceScale: 1)
        let c = try TestClient(port: venue.port, path: "/v2")
        c.pump(sim) { $0.received.count >= 1 }
        #expect(json(c.received[0])["channel"] as? String == "status")
        let replies = c.request(sim, #"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10},"req_id":7}"#, expecting: 2)
        let ack = json(replies.first ?? "")
        #expect(ack["method"] as? String == "subscribe" && ack["success"] as? Bool == true && ack["req_id"] as? Int == 7)
        #expect((ack["result"] as? [String: Any])?["depth"] as? Int == 10 && ack["time_in"] is String)
        let pong = json(c.request(sim, #"{"method":"ping","req_id":8}"#).first ?? "")
        #expect(pong["method"] as? String == "pong" && pong["req_id"] as? Int == 8)
        let unknown = json(c.request(sim, #"{"method":"subscribe","params":{"channel":"book","symbol":["XYZ/USD"]}}"#).first ?? "")
        #expect(unknown["success"] as? Bool == false && unknown["error"] as? String == "Currency pair not supported XYZ/USD")
        let depth = json(c.request(sim, #"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":11}}"#).first ?? "")
        #expect(depth["success"] as? Bool == false)
        sim.paused = false
        let before = c.received.count
        c.pump(sim) { $0.received.count >= before + 30 }
        sim.paused = true
        c.pump(sim, seconds: 0.2) { _ in false }
        var sync = KrakenV2BookSync(venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), priceScale: 1, quantityScale: 8, depth: 10)
        var books = 0
        for text in c.received where text.hasPrefix(#"{"channel":"book""#) {
            _ = try Array(text.utf8).withUnsafeBytes { try sync.apply(KrakenV2.decodeBook($0)) }
            #expect(sync.book.state == .live, "the checksum verifies after every message")
            books += 1
        }
        #expect(books > 30 && sync.counters.applied == books)
        let (bids, asks) = venue.books[0].snapshot(depth: 10)
        #expect(Array(sync.book.bids.array.prefix(10)) == bids && Array(sync.book.asks.array.prefix(10)) == asks)
    }

    @Test("Coinbase: l2_data snapshot, subscriptions, updates; sequence_num counts every message from 0; heartbeats; errors")
    func coinbase() throws {
        let (sim, venue) = try testSimulator(.coinbase, symbols: ["BTC-USD"])
        let c = try TestClient(port: venue.port, path: "/")
        let replies = c.request(sim, #"{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}"#, expecting: 2)
        #expect(json(replies[0])["channel"] as? String == "l2_data" && json(replies[0])["sequence_num"] as? Int == 0)
        #expect(replies.count == 2 && replies[1].contains(#""subscriptions":{"level2":["BTC-USD"]}"#) && json(replies[1])["sequence_num"] as? Int == 1)
        #expect(c.request(sim, #"{"type":"subscribe","product_ids":["DOGE-XYZ"],"channel":"level2"}"#) == [#"{"type":"error","message":"Failed to subscribe: DOGE-XYZ is not a valid product"}"#])
        c.request(sim, #"{"type":"subscribe","channel":"heartbeats"}"#)
        sim.paused = false
        c.pump(sim, seconds: 3) { $0.received.contains { json($0)["channel"] as? String == "heartbeats" } && $0.received.count > 40 }
        sim.paused = true
        c.pump(sim, seconds: 0.2) { _ in false }
        var sequence = CoinbaseSequence()
        var sync = CoinbaseBookSync(venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), priceScale: 2, quantityScale: 8, depth: 5_000)
        var expected = 0
        for text in c.received where text.hasPrefix(#"{"channel""#) {
            #expect(json(text)["sequence_num"] as? Int == expected)
            expected += 1
            let m = try Array(text.utf8).withUnsafeBytes { bytes -> Bool in
                let m = try CoinbaseAdvanced.decode(bytes)
                #expect(sequence.check(m.sequence) == .next)
                guard m.channel == .level2 else { return false }
                try m.forEachBookEvent { event throws(DecodeError) in _ = try sync.apply(event) }
                return true
            }
            _ = m
        }
        let heartbeat = json(c.received.first { json($0)["channel"] as? String == "heartbeats" } ?? "")
        let event = (heartbeat["events"] as? [[String: Any]])?.first ?? [:]
        #expect((event["current_time"] as? String)?.contains(" +0000 UTC m=+") == true && event["heartbeat_counter"] is Int)
        let (bids, asks) = venue.books[0].snapshot(depth: 5_000)
        #expect(sync.book.state == .live && sync.book.bids.array == bids && sync.book.asks.array == asks)
    }

    @Test("OKX trades and tickers: field for field the shape of OKX's own recorded messages; the ticker's top is the published book's", .recordedVenueData)
    func okxTradesAndTickers() throws {
        let (sim, venue) = try testSimulator(.okx, symbols: ["BTC-USDT"], priceScale: 1)
        venue.books[0].noisePpm = 500_000
        let c = try TestClient(port: venue.port, path: "/ws/v5/public")
        let acks = c.request(sim, #"{"op":"subscribe","args":[{"channel":"trades","instId":"BTC-USDT"},{"channel":"tickers","instId":"BTC-USDT"}]}"#, expecting: 3)
        #expect(acks.prefix(2).map { json($0)["event"] as? String } == ["subscribe", "subscribe"])
        sim.paused = false
        c.pump(sim, seconds: 3) { c in c.received.filter { $0.contains(#""channel":"trades""#) && $0.contains("tradeId") }.count >= 5 }
        sim.paused = true
        c.pump(sim, seconds: 0.1) { _ in false }
        let trade = try recordedLine("okx/BTC-USDT_trades.jsonl")
        let ticker = try recordedLine("okx/BTC-USDT_tickers.jsonl")
        let trades = c.received.filter { $0.contains("tradeId") }
        let tickers = c.received.filter { $0.contains(#""instType":"SPOT""#) }
        #expect(trades.count >= 5 && tickers.count >= 2)
        #expect(trades.allSatisfy { shape($0) == shape(trade) }, "\(shape(trades.first ?? "")) vs \(shape(trade))")
        #expect(tickers.allSatisfy { shape($0) == shape(ticker) }, "\(shape(tickers.first ?? "")) vs \(shape(ticker))")
        let last = ((json(tickers.last!)["data"] as? [[String: String]])?.first) ?? [:]
        let (bids, asks) = venue.books[0].snapshot(depth: 1)
        #expect(last["bidPx"] == FixedPoint.string(bids[0].price.raw, scale: 1, trimTrailingZeros: true) && last["askSz"] == FixedPoint.string(asks[0].quantity.raw, scale: 8, trimTrailingZeros: true))
        #expect(last["last"] == FixedPoint.string(venue.books[0].tradeStats.last, scale: 1, trimTrailingZeros: true))
    }

    @Test("Kraken trade and ticker, Bybit publicTrade and tickers: acks, trades with the taker's side, tickers with the session's figures")
    func krakenAndBybitTrades() throws {
        let (ksim, kraken) = try testSimulator(.kraken, symbols: ["BTC/USD"], priceScale: 1)
        kraken.books[0].noisePpm = 500_000
        let k = try TestClient(port: kraken.port, path: "/v2")
        k.pump(ksim) { $0.received.count >= 1 }
        let acks = k.request(ksim, #"{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"]}}"#, expecting: 2)
        #expect((json(acks[0])["result"] as? [String: Any])?["channel"] as? String == "trade" && json(acks[1])["type"] as? String == "snapshot")
        k.request(ksim, #"{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"],"snapshot":false}}"#)
        ksim.paused = false
        k.pump(ksim, seconds: 3) { c in c.received.filter { $0.contains(#""channel":"trade","type":"update""#) }.count >= 3 && c.received.contains { $0.contains(#""channel":"ticker""#) } }
        ksim.paused = true
        let trades = k.received.map(json).filter { $0["channel"] as? String == "trade" && $0["type"] as? String == "update" }
        let t = (trades.first?["data"] as? [[String: Any]])?.first ?? [:]
        #expect(t["symbol"] as? String == "BTC/USD" && ["buy", "sell"].contains(t["side"] as? String) && t["price"] is Double && t["trade_id"] is Int && t["timestamp"] is String)
        let tick = ((k.received.map(json).last { $0["channel"] as? String == "ticker" })?["data"] as? [[String: Any]])?.first ?? [:]
        #expect(tick["bid"] is Double && tick["ask_qty"] is Double && tick["vwap"] is Double && tick["change_pct"] != nil)

        let (bsim, bybit) = try testSimulator(.bybit, symbols: ["BTCUSDT"], quantityScale: 6)
        bybit.books[0].noisePpm = 500_000
        let b = try TestClient(port: bybit.port, path: "/v5/public/spot")
        #expect(b.request(bsim, #"{"op":"subscribe","args":["publicTrade.BTCUSDT","tickers.BTCUSDT"]}"#).first?.contains(#""success":true"#) == true)
        bsim.paused = false
        b.pump(bsim, seconds: 3) { c in c.received.filter { $0.contains("publicTrade") }.count >= 3 && c.received.contains { $0.contains(#""topic":"tickers"#) } }
        bsim.paused = true
        let trade = b.received.map(json).first { $0["topic"] as? String == "publicTrade.BTCUSDT" } ?? [:]
        let row = (trade["data"] as? [[String: Any]])?.first ?? [:]
        #expect(["Buy", "Sell"].contains(row["S"] as? String) && row["v"] is String && row["p"] is String && row["i"] is String && row["BT"] as? Bool == false)
        let ticker = (b.received.map(json).last { $0["topic"] as? String == "tickers.BTCUSDT" })?["data"] as? [String: String] ?? [:]
        #expect(ticker["lastPrice"] == FixedPoint.string(bybit.books[0].tradeStats.last, scale: 2, trimTrailingZeros: true) && ticker["turnover24h"] != nil)
    }

    @Test("Coinbase market_trades and ticker: a snapshot on subscription, then updates; best bid and ask as published")
    func coinbaseTradesAndTicker() throws {
        let (sim, venue) = try testSimulator(.coinbase, symbols: ["BTC-USD"])
        venue.books[0].noisePpm = 500_000
        let c = try TestClient(port: venue.port, path: "/")
        let replies = c.request(sim, #"{"type":"subscribe","product_ids":["BTC-USD"],"channel":"market_trades"}"#, expecting: 2)
        #expect(json(replies[0])["channel"] as? String == "market_trades" && replies[1].contains(#""market_trades":["BTC-USD"]"#))
        c.request(sim, #"{"type":"subscribe","product_ids":["BTC-USD"],"channel":"ticker"}"#, expecting: 2)
        sim.paused = false
        c.pump(sim, seconds: 3) { c in c.received.filter { $0.contains(#""channel":"market_trades""#) }.count >= 6 }
        sim.paused = true
        c.pump(sim, seconds: 0.1) { _ in false }
        let trades = c.received.map(json).filter { $0["channel"] as? String == "market_trades" }
        let updates = trades.dropFirst().flatMap { (($0["events"] as? [[String: Any]])?.first?["trades"] as? [[String: String]]) ?? [] }
        #expect(updates.count >= 5 && updates.allSatisfy { ($0["side"] == "BUY" || $0["side"] == "SELL") && $0["product_id"] == "BTC-USD" && $0["size"] != "0" })
        let tickers = c.received.map(json).filter { $0["channel"] as? String == "ticker" }
        let last = ((tickers.last?["events"] as? [[String: Any]])?.first?["tickers"] as? [[String: String]])?.first ?? [:]
        let (bids, asks) = venue.books[0].snapshot(depth: 1)
        #expect(last["best_bid"] == FixedPoint.string(bids[0].price.raw, scale: 2, trimTrailingZeros: true))
        #expect(last["best_ask_quantity"] == FixedPoint.string(asks[0].quantity.raw, scale: 8, trimTrailingZeros: true))
        // One sequence across the connection's channels.
        let sequence = c.received.map(json).compactMap { $0["sequence_num"] as? Int }
        #expect(sequence == Array(0..<sequence.count))
    }
}
