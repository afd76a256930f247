import GantryBook
import GantryCore
import GantryEngine
import Testing

@Suite("Levels pushed out of a subscribed depth reach the ring as removals")
struct DepthCutTests {
    static let x = FeedInstrument(symbol: "X", instrument: InstrumentId(raw: 3), priceScale: 1, quantityScale: 0)

    @Test("a Bybit delta that inserts a better bid into a full orderbook.50 removes the 51st, and says so")
    func bybitCut() {
        var feed = BybitFeed(venue: VenueId(raw: 1), instruments: [Self.x], depth: 50)
        var batch = EventBatch()
        func handle(_ text: String) -> FeedOutcome {
            batch.removeAll()
            return Array(text.utf8).withUnsafeBytes { feed.handle($0, receiveTime: Nanos(raw: 1), into: &batch) }
        }
        let bids = (0..<50).map { #"["\#(100 - $0).0","1"]"# }.joined(separator: ",")
        #expect(handle(#"{"topic":"orderbook.50.X","type":"snapshot","ts":1,"data":{"s":"X","b":[\#(bids)],"a":[["200.0","1"]],"u":7,"seq":1}}"#) == .applied)
        #expect(handle(#"{"topic":"orderbook.50.X","type":"delta","ts":2,"data":{"s":"X","b":[["101.0","1"]],"a":[],"u":8,"seq":2}}"#) == .applied)
        let changes = batch.buffer.filter { $0.kind == .levelChange }.map { "\($0.side) \($0.price.raw) \($0.quantity.raw)" }
        #expect(changes == ["buy 1010 1", "buy 510 0"])
        // A mirror built from the events alone equals the feed's book.
        var mirror = L2Book(venue: VenueId(raw: 1), instrument: Self.x.instrument)
        for k in 0..<50 { mirror.apply(.buy, Price(raw: Int64(1_000 - 10 * k)), Quantity(raw: 1)) }
        mirror.apply(.sell, Price(raw: 2_000), Quantity(raw: 1))
        for e in batch.buffer where e.kind == .levelChange { mirror.apply(e.side, e.price, e.quantity) }
        let fed = feed.books.with(0) { sync, _ in sync.book.bids.array }
        #expect(mirror.bids.array == fed)
        #expect(fed.count == 50)
    }
}

@Suite("Kraken: a book message that cannot be read makes every book stale")
struct KrakenUnreadableTests {
    static let btc = FeedInstrument(symbol: "BTC/USD", instrument: InstrumentId(raw: 1), priceScale: 1, quantityScale: 8)
    static let eth = FeedInstrument(symbol: "ETH/USD", instrument: InstrumentId(raw: 2), priceScale: 2, quantityScale: 8)

    @Test("a truncated push cannot say its pair: both books are published stale and all are resubscribed; other channels are not")
    func truncatedPush() {
        var feed = KrakenV2Feed(venue: VenueId(raw: 3), instruments: [Self.btc, Self.eth], depth: 10)
        var batch = EventBatch()
        func handle(_ text: String) -> FeedOutcome {
            batch.removeAll()
            return Array(text.utf8).withUnsafeBytes { feed.handle($0, receiveTime: Nanos(raw: 1), into: &batch) }
        }
        for (symbol, bid, ask) in [("BTC/USD", "100.1", "100.2"), ("ETH/USD", "10.01", "10.02")] {
            let snapshot = #"{"channel":"book","type":"snapshot","data":[{"symbol":"\#(symbol)","bids":[{"price":\#(bid),"qty":1.0}],"asks":[{"price":\#(ask),"qty":1.0}]}]}"#
            #expect(handle(snapshot) == .applied)
        }
        #expect(handle(#"{"channel":"heartbeat"}"#) == .control)
        let update = #"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":100.0,"qty":2.0}],"asks":[],"checksum":1,"timestamp":"2026-12-01T00:00:00.000000Z"}]}"#
        guard case .malformed(_, stale: let stale) = handle(String(update.prefix(60))) else {
            Issue.record("a truncated push was not malformed")
            return
        }
        #expect(stale == InstrumentId.none)
        let markers = batch.buffer.filter { $0.kind == .bookStale }.map(\.instrument.raw)
        #expect(markers == [1, 2])
        let states = (0..<2).map { i in feed.books.with(i) { sync, _ in sync.book.state } }
        #expect(states == [.stale, .stale])
    }
}
