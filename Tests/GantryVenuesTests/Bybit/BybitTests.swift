import GantryBook
import GantryCore
import GantryVenues
import GantryTestSupport
import Testing

@Suite("Bybit v5: orderbook snapshot and deltas with update ids, on a real recording")
struct BybitTests {
    static let file = "bybit/2024-12-01_XRPUSDT_ob500.data.jsonl"

    func sync() -> BybitBookSync {
        BybitBookSync(venue: VenueId(raw: 5), instrument: InstrumentId(raw: 3), priceScale: 4, quantityScale: 0)
    }

    func apply(_ sync: inout BybitBookSync, _ text: String) throws -> BybitBookSync.Outcome {
        try text.withBytes { try sync.apply(Bybit.decodeBook($0)) }
    }

    @Test("the XRPUSDT recording: 1 snapshot and 49 deltas apply, u contiguous, seq increasing, never crossed, 500 levels a side", .recordedVenueData)
    func recording() throws {
        var book = sync()
        var lastSeq: UInt64 = 0
        let lines = try Fixtures.lines(Self.file)
        #expect(lines.count == 50)
        for (k, line) in lines.enumerated() {
            let seq = try line.withBytes { try Bybit.decodeBook($0).crossSequence }
            #expect(seq > lastSeq, "seq at line \(k)")
            lastSeq = seq
            #expect(try apply(&book, line) == .applied, "line \(k)")
            let crossed = book.book.isCrossed
            #expect(!crossed, "crossed after line \(k)")
            #expect(book.book.bids.count <= 500 && book.book.asks.count <= 500)
        }
        let sequence = book.book.sequence
        let state = book.book.state
        #expect(sequence == 20_254_918 && state == .live)
        #expect(book.counters.applied == 50 && book.counters.gaps == 0)
        // The snapshot's top, read from its text: best bid 1.9531 × 6203 (then changed by deltas, so re-check
        // on a fresh book with the snapshot alone).
        var first = sync()
        #expect(try apply(&first, lines[0]) == .applied)
        let bid = first.book.bids.best
        let bids = first.book.bids.count
        let asks = first.book.asks.count
        #expect(bid == BookLevel(price: Price(raw: 19_531), quantity: Quantity(raw: 6_203)))
        #expect(bids == 500 && asks == 500)
    }

    @Test("the decoder reads every field, in any key order, and rejects what is not a book push")
    func fields() throws {
        let spot = #"{"ts":1687940967466,"topic":"orderbook.50.BTCUSDT","type":"delta","data":{"s":"BTCUSDT","b":[["30247.20","30.028"],["30240.00","0"]],"a":[["30248.70","0"],["30249.30","0.892"]],"u":177400507,"seq":66544703342},"cts":1687940967464}"#
        let m = try spot.withBytes { bytes in
            let m = try Bybit.decodeBook(bytes)
            var levels: [String] = []
            try m.forEachLevel(priceScale: 2, quantityScale: 3) { side, p, q in levels.append("\(side) \(p.raw) \(q.raw)") }
            #expect(levels == ["buy 3024720 30028", "buy 3024000 0", "sell 3024870 0", "sell 3024930 892"])
            #expect(String(decoding: m.symbol, as: UTF8.self) == "BTCUSDT")
            return (m.action, m.depth, m.updateId, m.crossSequence, m.time.raw, m.matchingTime.raw)
        }
        #expect(m.0 == .delta && m.1 == 50 && m.2 == 177_400_507 && m.3 == 66_544_703_342)
        #expect(m.4 == 1_687_940_967_466_000_000 && m.5 == 1_687_940_967_464_000_000)
        let replies = [
            #"{"success":true,"ret_msg":"subscribe","conn_id":"2324d924","req_id":"10001","op":"subscribe"}"#,
            #"{"success":true,"ret_msg":"pong","conn_id":"465772b1","op":"ping"}"#,
            #"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[]}"#,
            #"{"topic":"orderbook.x.BTCUSDT","type":"delta","ts":1,"data":{}}"#,
        ]
        for r in replies { #expect(throws: DecodeError.unknownMessage) { try r.withBytes { _ = try Bybit.decodeBook($0) } } }
        for cut in 0..<spot.utf8.count {
            let prefix = String(decoding: Array(spot.utf8)[0..<cut], as: UTF8.self)
            #expect(throws: DecodeError.self, "prefix \(cut)") { try prefix.withBytes { _ = try Bybit.decodeBook($0) } }
        }
        let noU = #"{"topic":"orderbook.50.X","type":"delta","ts":1,"data":{"s":"X","b":[],"a":[],"seq":1}}"#
        #expect(throws: DecodeError.missingField("u")) { try noU.withBytes { _ = try Bybit.decodeBook($0) } }
    }

    @Test("a skipped u makes the book stale until a snapshot; a repeated delta is ignored; u = 1 replaces the book", .recordedVenueData)
    func gapsDuplicatesRestart() throws {
        let lines = try Fixtures.lines(Self.file)
        var book = sync()
        #expect(try apply(&book, lines[1]) == .waitingForSnapshot)
        #expect(try apply(&book, lines[0]) == .applied)
        #expect(try apply(&book, lines[1]) == .applied)
        #expect(try apply(&book, lines[1]) == .ignored)
        #expect(book.counters.ignored == 1)
        // Drop lines[2]: lines[3] skips an update id.
        #expect(try apply(&book, lines[3]) == .sequenceGap(expected: 20_254_871, got: 20_254_872))
        let stale = book.book.state
        #expect(stale == .stale)
        #expect(try apply(&book, lines[4]) == .waitingForSnapshot)
        #expect(try apply(&book, lines[0]) == .applied)
        // After Bybit restarts its service it sends u = 1: the book is replaced, and the ids continue from 1.
        let restart = #"{"topic":"orderbook.500.XRPUSDT","type":"delta","ts":1,"data":{"s":"XRPUSDT","b":[["1.9000","5"]],"a":[["1.9100","7"]],"u":1,"seq":1}}"#
        #expect(try apply(&book, restart) == .applied)
        let levels = (book.book.bids.count, book.book.asks.count)
        #expect(levels == (1, 1))
        let next = #"{"topic":"orderbook.500.XRPUSDT","type":"delta","ts":2,"data":{"s":"XRPUSDT","b":[["1.9050","1"]],"a":[],"u":2,"seq":2}}"#
        #expect(try apply(&book, next) == .applied)
        // A delta that crosses the book makes it stale.
        let crossing = #"{"topic":"orderbook.500.XRPUSDT","type":"delta","ts":3,"data":{"s":"XRPUSDT","b":[["1.9200","1"]],"a":[],"u":3,"seq":3}}"#
        #expect(try apply(&book, crossing) == .crossed)
        // A malformed delta is an error and leaves the book stale (never half-applied and live).
        #expect(try apply(&book, lines[0]) == .applied)
        let bad = lines[1].replacingOccurrences(of: #"["1.9531","6198"]"#, with: #"["1.95x1","6198"]"#)
        #expect(bad != lines[1])
        #expect(throws: DecodeError.self) { _ = try apply(&book, bad) }
        let afterBad = book.book.state
        #expect(afterBad == .stale)
    }

    @Test("a snapshot deeper than the subscription is cut to the topic's depth")
    func depthTruncation() throws {
        var book = sync()
        let levels = (0..<60).map { #"["\#(100 + $0).0","1"]"# }.joined(separator: ",")
        let snapshot = #"{"topic":"orderbook.50.X","type":"snapshot","ts":1,"data":{"s":"X","b":[],"a":[\#(levels)],"u":7,"seq":1}}"#
        #expect(try apply(&book, snapshot) == .applied)
        let asks = book.book.asks.count
        let worst = book.book.asks.level(49).price
        #expect(asks == 50 && worst == Price(raw: 1_490_000))
    }

    @Test("a full book that takes a better level before a removal in the same delta keeps the level that stays in the top")
    func insertBeforeRemovalInFullBook() throws {
        // The book is made for the subscribed depth (as the feed makes it), and filled to it.
        var book = BybitBookSync(venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), priceScale: 1, quantityScale: 0, depth: 50)
        let bids = (0..<50).map { #"["\#(100 - $0).0","1"]"# }.joined(separator: ",")
        let snapshot = #"{"topic":"orderbook.50.X","type":"snapshot","ts":1,"data":{"s":"X","b":[\#(bids)],"a":[["200.0","1"]],"u":7,"seq":1}}"#
        #expect(try apply(&book, snapshot) == .applied)
        // Bybit lists bids high to low: 101 is inserted before 75 is removed. Bybit's top 50 is then 101,
        // 100...76 and 74...51: 51 is still in it, and Bybit will not send it again.
        let delta = #"{"topic":"orderbook.50.X","type":"delta","ts":2,"data":{"s":"X","b":[["101.0","1"],["75.0","0"]],"a":[],"u":8,"seq":2}}"#
        #expect(try apply(&book, delta) == .applied)
        let count = book.book.bids.count
        let worst = book.book.bids.level(49).price
        #expect(count == 50 && worst == Price(raw: 510))
    }
}
