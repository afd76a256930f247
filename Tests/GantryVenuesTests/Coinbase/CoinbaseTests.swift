import GantryBook
import GantryCore
import GantryVenues
import GantryTestSupport
import Testing

@Suite("Coinbase: Advanced Trade level2 with the connection's sequence numbers; the Exchange feed on a real recording")
struct CoinbaseTests {
    func sync() -> CoinbaseBookSync {
        CoinbaseBookSync(venue: VenueId(raw: 2), instrument: InstrumentId(raw: 7), priceScale: 8, quantityScale: 8)
    }

    @Test("the SKL-BTC Exchange recording: snapshot + 600 l2updates; every ticker's best bid and ask equal the book on arrival", .recordedVenueData)
    func exchangeRecording() throws {
        var book = sync()
        var updates = 0
        var tickersChecked = 0
        var others = 0
        for line in try Fixtures.lines("coinbase/exchange_SKL-BTC_level2_ticker_matches.jsonl") {
            try line.withBytes { bytes in
                switch try CoinbaseExchange.decode(bytes) {
                case .snapshot(let m):
                    #expect(try book.apply(m, isSnapshot: true) == .applied)
                    let levels = (book.book.bids.count, book.book.asks.count)
                    #expect(levels == (225, 402))
                case .update(let m):
                    #expect(try book.apply(m, isSnapshot: false) == .applied)
                    updates += 1
                case .ticker(let t):
                    let bid = book.book.bids.best?.price
                    let ask = book.book.asks.best?.price
                    #expect(bid == Price(raw: try FixedPoint.parse(t.bestBid, scale: 8)), "ticker \(t.sequence)")
                    #expect(ask == Price(raw: try FixedPoint.parse(t.bestAsk, scale: 8)), "ticker \(t.sequence)")
                    tickersChecked += 1
                case .other:
                    others += 1
                }
            }
        }
        #expect(updates == 600 && tickersChecked == 6 && others == 9)
        let state = book.book.state
        #expect(state == .live)
    }

    // Coinbase's documented level2 example, with an offer level added (the documented sample shows bids only).
    static let snapshot = #"{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":0,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"1970-01-01T00:00:00Z","price_level":"21921.73","new_quantity":"0.06317902"},{"side":"bid","event_time":"1970-01-01T00:00:00Z","price_level":"21921.3","new_quantity":"0.02"},{"side":"offer","event_time":"1970-01-01T00:00:00Z","price_level":"21921.74","new_quantity":"1.5"}]}]}"#

    static func update(_ sequence: Int, _ updates: String) -> String {
        #"{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:51.1Z","sequence_num":\#(sequence),"events":[{"type":"update","product_id":"BTC-USD","updates":[\#(updates)]}]}"#
    }

    /// Decodes one message, checks its sequence and applies its level2 events to `book`.
    func feed(_ text: String, _ book: inout CoinbaseBookSync, _ sequence: inout CoinbaseSequence) throws -> [CoinbaseBookSync.Outcome] {
        try text.withBytes { bytes in
            let m = try CoinbaseAdvanced.decode(bytes)
            if case .gap = sequence.check(m.sequence) { book.markStale() }
            var outcomes: [CoinbaseBookSync.Outcome] = []
            try m.forEachBookEvent { event throws(DecodeError) in outcomes.append(try book.apply(event)) }
            return outcomes
        }
    }

    @Test("Advanced Trade: snapshot, updates, a gap in sequence_num makes the book stale until the next snapshot")
    func advancedTrade() throws {
        var book = CoinbaseBookSync(venue: VenueId(raw: 2), instrument: InstrumentId(raw: 1), priceScale: 2, quantityScale: 8)
        var sequence = CoinbaseSequence()
        #expect(try feed(Self.snapshot, &book, &sequence) == [.applied])
        let top = (book.book.bids.best, book.book.asks.best)
        #expect(top.0 == BookLevel(price: Price(raw: 2_192_173), quantity: Quantity(raw: 6_317_902)))
        #expect(top.1 == BookLevel(price: Price(raw: 2_192_174), quantity: Quantity(raw: 150_000_000)))
        let bidGone = #"{"side":"bid","event_time":"2023-02-09T20:32:50.7Z","price_level":"21921.73","new_quantity":"0"}"#
        #expect(try feed(Self.update(1, bidGone), &book, &sequence) == [.applied])
        let best = book.book.bids.best?.price
        #expect(best == Price(raw: 2_192_130))
        // Message 2 is lost: message 3 reveals the gap; the book is stale and updates wait for a snapshot.
        let newAsk = #"{"side":"offer","event_time":"2023-02-09T20:32:50.8Z","price_level":"21922.00","new_quantity":"2"}"#
        #expect(try feed(Self.update(3, newAsk), &book, &sequence) == [.waitingForSnapshot])
        #expect(sequence.gaps == 1)
        let stale = book.book.state
        #expect(stale == .stale)
        // The resubscription's snapshot (numbers continue on the connection) makes it live again.
        #expect(try feed(Self.snapshot.replacingOccurrences(of: #""sequence_num":0"#, with: #""sequence_num":4"#), &book, &sequence) == [.applied])
        let live = book.book.state
        #expect(live == .live)
        // A repeated message is counted and changes nothing twice (quantities are absolute anyway).
        #expect(sequence.check(4) == .repeated)
    }

    @Test("Advanced Trade: heartbeats, subscription acks and other channels carry sequence numbers but no book events")
    func otherChannels() throws {
        let heartbeat = #"{"channel":"heartbeats","client_id":"","timestamp":"2023-06-23T20:31:26.122969572Z","sequence_num":7,"events":[{"current_time":"2023-06-23 20:31:56.121961769 +0000 UTC m=+91717.525857105","heartbeat_counter":"3049"}]}"#
        let ack = #"{"channel":"subscriptions","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":1,"events":[{"subscriptions":{"level2":["BTC-USD"]}}]}"#
        for (text, channel, number) in [(heartbeat, CoinbaseAdvanced.Channel.heartbeats, UInt64(7)), (ack, .subscriptions, 1)] {
            let m = try text.withBytes { bytes in
                let m = try CoinbaseAdvanced.decode(bytes)
                var events = 0
                try m.forEachBookEvent { _ throws(DecodeError) in events += 1 }
                #expect(events == 0)
                return (m.channel, m.sequence)
            }
            #expect(m.0 == channel && m.1 == number)
        }
        #expect(throws: DecodeError.unknownMessage) {
            try #"{"type":"error","message":"failure to subscribe"}"#.withBytes { _ = try CoinbaseAdvanced.decode($0) }
        }
        #expect(throws: DecodeError.missingField("sequence_num")) {
            try #"{"channel":"l2_data","events":[]}"#.withBytes { _ = try CoinbaseAdvanced.decode($0) }
        }
    }

    /// The events' levels, or the error, as text.
    func levels(_ text: String, priceScale: Int = 2, quantityScale: Int = 8) -> String {
        do {
            return try text.withBytes { bytes in
                var out: [String] = []
                try CoinbaseAdvanced.decode(bytes).forEachBookEvent { event throws(DecodeError) in
                    out.append(String(decoding: event.product, as: UTF8.self))
                    try event.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { out.append("\($0) \($1.raw) \($2.raw)") }
                }
                return out.joined(separator: " ")
            }
        } catch {
            return "error"
        }
    }

    @Test("the literal read of Coinbase's update layout gives what the general read gives, on 20,000 random messages")
    func quickUpdatesAgree() {
        var draws = Draws(state: 0x636F_696E)
        func next(_ n: Int) -> Int { draws.next(n) }
        // Decimals as Coinbase sends them, and some the literal read must hand to the general one (or refuse).
        let decimals = ["21921.73", "0", "1.5", "0.06317902", "100", "21921.730", "0.000000001", "1e2", "-1", "1.", ".5", "99999999999.99"]
        let sides = ["bid", "offer", "ask", "buy"]
        let times = ["2023-02-09T20:32:50.7Z", "", "t\\u0031", "1970-01-01T00:00:00Z"]
        var shuffle = SeededShuffle()
        for _ in 0..<20_000 {
            let updates = (0..<(1 + next(4))).map { _ -> String in
                let fields = [
                    #""side":"\#(sides[next(sides.count)])""#, #""event_time":"\#(times[next(times.count)])""#,
                    #""price_level":"\#(decimals[next(decimals.count)])""#, #""new_quantity":"\#(decimals[next(decimals.count)])""#,
                ]
                // Coinbase's order nearly always; sometimes another, or a field more.
                var ordered = next(8) == 0 ? fields.shuffled(using: &shuffle) : fields
                if next(10) == 0 { ordered.insert(#""extra":[1,{"a":"}"}]"#, at: next(ordered.count + 1)) }
                return "{" + ordered.joined(separator: ",") + "}"
            }.joined(separator: ",")
            let text = Self.update(1, updates)
            // White space after every brace: valid JSON that only the general read takes.
            let general = text.replacingOccurrences(of: "{", with: "{ ")
            #expect(levels(text) == levels(general), "\(text)")
        }
        #expect(levels(Self.update(1, Self.bidAt("1.5"))) == "BTC-USD buy 150 0")
    }

    static func bidAt(_ price: String) -> String {
        #"{"side":"bid","event_time":"t","price_level":"\#(price)","new_quantity":"0"}"#
    }

    @Test("malformed and truncated level2 messages are errors; a bad side or a missing quantity is named")
    func badInput() throws {
        var book = sync()
        var sequence = CoinbaseSequence()
        for cut in 0..<Self.snapshot.utf8.count {
            let prefix = String(decoding: Array(Self.snapshot.utf8)[0..<cut], as: UTF8.self)
            #expect(throws: DecodeError.self, "prefix \(cut)") { _ = try feed(prefix, &book, &sequence) }
        }
        _ = try feed(Self.snapshot, &book, &sequence)
        #expect(throws: DecodeError.malformed(offset: 164, expected: "side bid or offer")) {
            _ = try feed(Self.update(1, #"{"side":"buy","price_level":"1","new_quantity":"1"}"#), &book, &sequence)
        }
        let afterBadSide = book.book.state
        #expect(afterBadSide == .stale)
        _ = try feed(Self.snapshot, &book, &sequence)
        #expect(throws: DecodeError.missingField("new_quantity")) {
            _ = try feed(Self.update(2, #"{"side":"bid","price_level":"1"}"#), &book, &sequence)
        }
        let stale = book.book.state
        #expect(stale == .stale)
        // Exchange feed: an unknown side in a change.
        #expect(throws: DecodeError.self) {
            try #"{"type":"l2update","product_id":"X","changes":[["hold","1","1"]],"time":"t"}"#.withBytes { bytes in
                if case .update(let m) = try CoinbaseExchange.decode(bytes) { try m.forEachLevel(priceScale: 2, quantityScale: 2) { _, _, _ in } }
            }
        }
    }
}

/// A fixed shuffle source for the random-message tests.
struct SeededShuffle: RandomNumberGenerator {
    var state: UInt64 = 0x7368_7566

    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
}
