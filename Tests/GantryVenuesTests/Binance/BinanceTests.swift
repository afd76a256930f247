import GantryBook
import GantryCore
import GantryVenues
import GantryTestSupport
import Testing

let nkn = (venue: VenueId(raw: 1), instrument: InstrumentId(raw: 7), priceScale: 8, quantityScale: 8)

/// A raw `depthUpdate` for NKNUSDT with one bid.
func depthDiff(_ U: UInt64, _ u: UInt64, bid: String = "1.01000000") -> String {
    #"{"e":"depthUpdate","E":1,"s":"NKNUSDT","U":\#(U),"u":\#(u),"b":[["\#(bid)","1.00000000"]],"a":[]}"#
}

/// A REST snapshot of NKNUSDT with one bid at 1 and one ask at 1.1.
func snapshotBody(_ lastUpdateId: UInt64) -> String {
    #"{"lastUpdateId":\#(lastUpdateId),"bids":[["1.00000000","5.00000000"]],"asks":[["1.10000000","5.00000000"]]}"#
}

/// Decodes the snapshot `text` and loads it into `sync`.
func loadSnapshot(_ sync: inout BinanceBookSync, _ text: String) throws -> BinanceBookSync.SnapshotOutcome {
    try text.withBytes { try sync.load(Binance.decodeSnapshot($0)) }
}

/// Decodes `text` and applies it to `sync`.
func applyDiff(_ sync: inout BinanceBookSync, _ text: String) throws -> BinanceBookSync.DiffOutcome {
    try text.withBytes { bytes in
        guard case .depth(let d) = try Binance.decode(bytes) else { throw DecodeError.unknownMessage }
        return try sync.apply(d)
    }
}

func top(_ book: borrowing L2Book) -> String {
    let b = book.bids.best.map { "\($0.price.text(scale: 8))x\($0.quantity.text(scale: 8))" } ?? "-"
    let a = book.asks.best.map { "\($0.price.text(scale: 8))x\($0.quantity.text(scale: 8))" } ?? "-"
    return "\(b) / \(a)"
}

@Suite("Binance: messages and the documented book sync, on real recordings")
struct BinanceTests {
    @Test("the NKNUSDT recording rebuilds: first event dropped, 149 applied without a gap, book tickers agree", .recordedVenueData)
    func rebuild() throws {
        var sync = BinanceBookSync(venue: nkn.venue, instrument: nkn.instrument, priceScale: 8, quantityScale: 8)
        let snapshotBody = try Fixtures.text("binance/NKNUSDT_depth_snapshot_rest.json")
        var topAfter: [UInt64: String] = [:]
        var outcomes: [String] = []
        for line in try Fixtures.lines("binance/NKNUSDT_arrival_order.txt") {
            let parts = line.split(separator: " ", maxSplits: 2)
            if parts[1] == "rest" {
                let result = try snapshotBody.withBytes { try sync.load(Binance.decodeSnapshot($0)) }
                outcomes.append("snapshot:\(result)")
                continue
            }
            try String(parts[2]).withBytes { bytes in
                guard case .depth(let diff) = try Binance.decode(bytes) else { return }
                let outcome = try sync.apply(diff)
                if outcome == .applied || outcome == .wentLive { topAfter[diff.finalUpdateId] = top(sync.book) }
                if outcome != .applied { outcomes.append("\(diff.finalUpdateId):\(outcome)") }
            }
        }
        let state = sync.book.state
        let counters = sync.counters
        // The only event buffered before the snapshot is older than it, so the snapshot waits for the next,
        // which holds lastUpdateId + 1 and makes the book live.
        #expect(outcomes == ["499869752:buffered", "snapshot:awaitingDiff", "499869754:wentLive"])
        #expect(state == .live)
        #expect(counters.gaps == 0 && counters.crossed == 0)
        // 150 events: the first (u 499869752 = lastUpdateId) is dropped; the others apply.
        #expect(counters.ignored == 1)
        #expect(counters.applied == 149)

        var agreed = 0
        for line in try Fixtures.lines("binance/NKNUSDT_bookTicker.jsonl") {
            try line.withBytes { bytes in
                guard case .bookTicker(let t) = try Binance.decode(bytes) else {
                    Issue.record("not a book ticker: \(line)")
                    return
                }
                guard let expected = topAfter[t.updateId] else { return }
                func text(_ b: UnsafeRawBufferPointer) throws -> String { try Price(parsing: b, scale: 8).text(scale: 8) }
                let ticker = "\(try text(t.bidPrice))x\(try text(t.bidQuantity)) / \(try text(t.askPrice))x\(try text(t.askQuantity))"
                #expect(expected == ticker, "u \(t.updateId)")
                agreed += 1
            }
        }
        #expect(agreed == 19)
    }

    @Test("a gap makes the book stale and buffers from the gap; a new snapshot brings it back")
    func gap() throws {
        var sync = BinanceBookSync(venue: nkn.venue, instrument: nkn.instrument, priceScale: 8, quantityScale: 8)
        let snapshot = #"{"lastUpdateId":100,"bids":[["1.00000000","5.00000000"]],"asks":[["1.10000000","5.00000000"]]}"#
        func diff(_ U: UInt64, _ u: UInt64, bid: String) -> String { depthDiff(U, u, bid: bid) }
        func apply(_ text: String) throws -> BinanceBookSync.DiffOutcome { try applyDiff(&sync, text) }
        // Nothing buffered: loaded, live with the first diff that holds lastUpdateId + 1 (older ones dropped).
        #expect(try snapshot.withBytes { try sync.load(Binance.decodeSnapshot($0)) } == .awaitingDiff)
        let waiting = sync.book.state
        #expect(waiting == .syncing)
        #expect(try apply(diff(95, 100, bid: "1.00500000")) == .ignored)
        #expect(try apply(diff(99, 101, bid: "1.01000000")) == .wentLive)  // straddles lastUpdateId + 1
        #expect(try apply(diff(102, 103, bid: "1.02000000")) == .applied)
        #expect(try apply(diff(100, 103, bid: "1.02000000")) == .ignored)  // a duplicate
        // Overlapping the book (U ≤ its sequence + 1 ≤ u): applied, as Binance documents it.
        #expect(try apply(diff(103, 104, bid: "1.02000000")) == .applied)
        #expect(try apply(diff(106, 106, bid: "1.03000000")) == .resyncNeeded(expected: 105, got: 106))
        let stale = sync.book.state
        #expect(stale == .syncing)
        #expect(try apply(diff(107, 108, bid: "1.04000000")) == .buffered)
        #expect(try apply(diff(107, 108, bid: "1.04000000")) == .buffered)  // buffered twice: dropped in the replay
        // A snapshot older than the first buffered diff is refused; a newer one resumes.
        #expect(try snapshot.withBytes { try sync.load(Binance.decodeSnapshot($0)) } == .tooOld)
        let fresh = #"{"lastUpdateId":106,"bids":[["1.03000000","1.00000000"]],"asks":[["1.10000000","5.00000000"]]}"#
        #expect(try fresh.withBytes { try sync.load(Binance.decodeSnapshot($0)) } == .live)
        #expect(top(sync.book) == "1.04x1 / 1.1x5")
        let sequence = sync.book.sequence
        #expect(sequence == 108)
    }

    @Test("a snapshot with nothing after it waits: a later diff shows it too old and a new one is fetched")
    func snapshotAwaitsItsFirstDiff() throws {
        var sync = BinanceBookSync(venue: nkn.venue, instrument: nkn.instrument, priceScale: 8, quantityScale: 8)
        func apply(_ U: UInt64, _ u: UInt64) throws -> BinanceBookSync.DiffOutcome { try applyDiff(&sync, depthDiff(U, u)) }
        // The snapshot came while the connection was down: it may not be shown live on its own.
        #expect(try loadSnapshot(&sync, snapshotBody(100)) == .awaitingDiff)
        let waiting = sync.book.state
        #expect(waiting == .syncing)
        // The reconnected stream is past it: buffered, a new snapshot is needed (Binance: lastUpdateId < U).
        #expect(try apply(150, 152) == .buffered)
        #expect(sync.awaitingFirstDiff == false)
        #expect(try loadSnapshot(&sync, snapshotBody(151)) == .live)
        let sequence = sync.book.sequence
        #expect(sequence == 152)
        // A reconnect's resync forgets a loaded snapshot that was still waiting.
        sync.resync()
        #expect(try loadSnapshot(&sync, snapshotBody(151)) == .awaitingDiff)
        sync.resync()
        #expect(sync.awaitingFirstDiff == false)
        #expect(try apply(152, 153) == .buffered)
    }

    @Test("a live book that hears only diffs older than itself is resynced; U > u is refused")
    func olderDiffsInARow() throws {
        var sync = BinanceBookSync(venue: nkn.venue, instrument: nkn.instrument, priceScale: 8, quantityScale: 8)
        func diff(_ U: UInt64, _ u: UInt64) -> String { depthDiff(U, u) }
        func apply(_ text: String) throws -> BinanceBookSync.DiffOutcome { try applyDiff(&sync, text) }
        #expect(try loadSnapshot(&sync, snapshotBody(100)) == .awaitingDiff)
        #expect(try apply(diff(101, 101)) == .wentLive)
        // An absurd u, contiguous all the same: the book's sequence runs ahead of the stream.
        #expect(try apply(diff(102, UInt64.max)) == .applied)
        for k in 0..<(BinanceBookSync.staleRunLimit - 1) {
            #expect(try apply(diff(UInt64(103 + k), UInt64(103 + k))) == .ignored)
        }
        #expect(try apply(diff(200, 200)) == .resyncNeeded(expected: 0, got: 200))
        let state = sync.book.state
        #expect(state == .syncing)
        // Update ids that run backwards are nonsense: refused by the quick and the general read alike.
        #expect(throws: DecodeError.self) { try apply(diff(300, 299)) }
        #expect(throws: DecodeError.self) { try apply(#"{"e":"depthUpdate", "E":1,"s":"NKNUSDT","U":300,"u":299,"b":[],"a":[]}"#) }
    }

    @Test("a live diff larger than any before grows the scratch once and applies every level, each told to onLevel")
    func largeDiffGrowsTheScratch() throws {
        var sync = BinanceBookSync(venue: nkn.venue, instrument: nkn.instrument, priceScale: 8, quantityScale: 8)
        #expect(try loadSnapshot(&sync, snapshotBody(100)) == .awaitingDiff)
        #expect(try applyDiff(&sync, depthDiff(101, 101)) == .wentLive)
        // 600 bids below the best bid and 300 asks above the best ask (the scratch starts at 256 levels), then a
        // 900-level diff again.
        func levels(_ count: Int, from base: Int64, step: Int64, quantity: Int) -> String {
            (0..<count).map {
                #"["\#(FixedPoint.string(base + step * Int64($0), scale: 8, trimTrailingZeros: false))","\#(quantity).00000000"]"#
            }.joined(separator: ",")
        }
        func large(_ U: UInt64, quantity: Int) -> String {
            #"{"e":"depthUpdate","E":1,"s":"NKNUSDT","U":\#(U),"u":\#(U),"b":[\#(levels(600, from: 90_000_000, step: -1_000, quantity: quantity))],"a":[\#(levels(300, from: 120_000_000, step: 1_000, quantity: quantity))]}"#
        }
        for (U, quantity) in [(UInt64(102), 7), (103, 9)] {
            var told = 0
            let outcome = try large(U, quantity: quantity).withBytes { bytes in
                guard case .depth(let d) = try Binance.decode(bytes) else { throw DecodeError.unknownMessage }
                return try sync.apply(d) { _, _, q in
                    if q.raw == Int64(quantity) * 100_000_000 { told += 1 }
                }
            }
            #expect(outcome == .applied)
            #expect(told == 900)
            #expect(sync.book.bids.count == 602 && sync.book.asks.count == 301)
            #expect(sync.book.bids.quantity(at: Price(raw: 90_000_000 - 599_000)).raw == Int64(quantity) * 100_000_000)
            #expect(sync.book.asks.quantity(at: Price(raw: 120_000_000 + 299_000)).raw == Int64(quantity) * 100_000_000)
        }
    }

    @Test("the quick header read and the general one give the same diffs, raw and in the combined-stream envelope", .recordedVenueData)
    func quickHeaderAgrees() throws {
        func summary(_ text: String) throws -> String {
            try text.withBytes { bytes in
                guard case .depth(let d) = try Binance.decode(bytes) else { return "not a depth diff" }
                var levels: [String] = []
                try d.forEachLevel(priceScale: 8, quantityScale: 8) { side, price, quantity in levels.append("\(side) \(price.raw) \(quantity.raw)") }
                let symbol = String(decoding: d.symbol, as: UTF8.self)
                return "\(symbol) \(d.firstUpdateId) \(d.finalUpdateId) \(d.eventTime.raw) \(levels)"
            }
        }
        var compared = 0
        for line in try Fixtures.lines("binance/NKNUSDT_arrival_order.txt") {
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts[1] != "rest", parts[2].contains("depthUpdate") else { continue }
            // The recording is of the combined stream: the raw event is its `data`.
            let enveloped = String(parts[2])
            guard let data = enveloped.range(of: #""data":"#) else { throw DecodeError.missingField("data") }
            let raw = String(enveloped[data.upperBound...].dropLast())
            let quick = try summary(raw)
            #expect(try summary(enveloped) == quick)
            // White space after the brace is valid JSON that only the general read takes.
            let general = try summary("{ " + raw.dropFirst())
            #expect(quick == general)
            #expect(try summary(#"{"stream":"nknusdt@depth","data":"# + raw + "}") == quick)
            #expect(try summary(#"{"stream":"nknusdt@depth", "data":"# + raw + "}") == quick)
            compared += 1
        }
        #expect(compared == 150)
        // A field out of the documented order, an escape in the symbol, a fractional id: the general read decides.
        #expect(try summary(#"{"E":5,"e":"depthUpdate","s":"X","U":1,"u":2,"b":[["1.0","2.0"]],"a":[]}"#) == "X 1 2 5000000 [\"buy 100000000 200000000\"]")
        #expect(try summary(#"{"e":"depthUpdate","E":5,"s":"X\u0059","U":1,"u":2,"b":[],"a":[]}"#) == #"X\u0059 1 2 5000000 []"#)
        #expect(throws: DecodeError.self) { try summary(#"{"e":"depthUpdate","E":5,"s":"X","U":1.5,"u":2,"b":[],"a":[]}"#) }
        #expect(throws: DecodeError.self) { try summary(#"{"e":"depthUpdate","E":99999999999999999999,"s":"X","U":1,"u":2,"b":[],"a":[]}"#) }
    }

    @Test("malformed, truncated and unknown messages are errors, never a crash; a bad diff leaves the book as it was")
    func badInput() throws {
        let good = #"{"e":"depthUpdate","E":1,"s":"NKNUSDT","U":1,"u":2,"b":[["1.0","2.0"]],"a":[]}"#
        for cut in 0..<good.utf8.count {
            let prefix = String(decoding: Array(good.utf8)[0..<cut], as: UTF8.self)
            // `decode` stops where the levels begin; `forEachLevel` reads the rest: together they reject every prefix.
            #expect(throws: DecodeError.self, "prefix \(cut)") {
                try prefix.withBytes { bytes throws in
                    if case .depth(let diff) = try Binance.decode(bytes) {
                        try diff.forEachLevel(priceScale: 8, quantityScale: 8) { _, _, _ in }
                    }
                }
            }
        }
        #expect(throws: DecodeError.missingField("U")) {
            try #"{"e":"depthUpdate","E":1,"s":"X","u":2,"b":[],"a":[]}"#.withBytes { _ = try Binance.decode($0) }
        }
        #expect(throws: DecodeError.unknownMessage) { try #"{"x":1}"#.withBytes { _ = try Binance.decode($0) } }
        // A second `b` or `a` array is refused whichever path reads it (the quick header, the general one with `b`
        // before the header is complete, or the levels after it).
        for twice in [
            #"{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[],"a":[],"a":[["1","1"]]}"#,
            #"{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[],"a":[],"b":[]}"#,
            #"{"b":[],"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"a":[],"b":[]}"#,
            #"{"e":"depthUpdate", "E":1,"s":"X","U":1,"u":2,"a":[],"a":[],"b":[]}"#,
        ] {
            #expect(throws: DecodeError.self, "\(twice)") {
                try twice.withBytes { bytes throws in
                    if case .depth(let diff) = try Binance.decode(bytes) {
                        try diff.forEachLevel(priceScale: 8, quantityScale: 8) { _, _, _ in }
                    }
                }
            }
        }
        // A misspelt boolean or null is malformed, not read as true/false.
        let trade = #"{"e":"trade","E":1,"s":"X","t":1,"p":"1.0","q":"1.0","T":1,"m":tru3}"#
        #expect(throws: DecodeError.self) { try trade.withBytes { _ = try Binance.decode($0) } }
        #expect(throws: DecodeError.self) { try #"{"e":"trade","x":nul1}"#.withBytes { _ = try Binance.decode($0) } }
        var sync = BinanceBookSync(venue: nkn.venue, instrument: nkn.instrument, priceScale: 8, quantityScale: 8)
        let snapshot = #"{"lastUpdateId":1,"bids":[["1.00000000","5.00000000"]],"asks":[["1.10000000","5.00000000"]]}"#
        _ = try snapshot.withBytes { try sync.load(Binance.decodeSnapshot($0)) }
        let bad = #"{"e":"depthUpdate","E":1,"s":"NKNUSDT","U":2,"u":2,"b":[["1.05","1"],["1e400","1"]],"a":[]}"#
        #expect(throws: DecodeError.self) {
            try bad.withBytes { bytes in
                guard case .depth(let d) = try Binance.decode(bytes) else { return }
                _ = try sync.apply(d)
            }
        }
        #expect(top(sync.book) == "1x5 / 1.1x5")
        let sequence = sync.book.sequence
        #expect(sequence == 1)
    }

    @Test("trade, aggTrade and bookTicker fields from the recordings", .recordedVenueData)
    func otherStreams() throws {
        let trade = try Fixtures.text("binance/ETHUSDT_trade_combined_stream.json")
        try trade.withBytes { bytes in
            guard case .trade(let t) = try Binance.decode(bytes) else {
                Issue.record("not a trade")
                return
            }
            #expect(t.tradeId == 705_291_099)
            #expect(try Price(parsing: t.price, scale: 2) == Price("4149.74", scale: 2))
            #expect(try Quantity(parsing: t.quantity, scale: 8) == Quantity("0.4387", scale: 8))
            #expect(t.buyerIsMaker)
            #expect(t.tradeTime == Nanos(raw: 1_639_351_062_243_000_000))
        }
        let agg = try Fixtures.text("binance/ETHUSDT_aggTrade_combined_stream.json")
        try agg.withBytes { bytes in
            guard case .trade = try Binance.decode(bytes) else {
                Issue.record("not an aggTrade")
                return
            }
        }
        let ticker = try Fixtures.text("binance/ETHUSDT_bookTicker_combined_stream.json")
        try ticker.withBytes { bytes in
            guard case .bookTicker = try Binance.decode(bytes) else {
                Issue.record("not a book ticker")
                return
            }
        }
    }
}

