import GantryBook
import GantryCore
import GantryVenues
import Testing

@Suite("Kraken v2: book channel with JSON-number levels, depth cut and CRC32 on the documented example")
struct KrakenV2Tests {
    // The levels of Kraken's "Book checksum (v2)" guide (BTC/USD, price_precision 1, qty_precision 8),
    // whose documented checksum is 3310070434.
    static let bids: [(String, String)] = [
        ("45283.5", "0.10000000"), ("45283.4", "1.54582015"), ("45282.1", "0.10000000"), ("45281.0", "0.10000000"),
        ("45280.3", "1.54592586"), ("45279.0", "0.07990000"), ("45277.6", "0.03310103"), ("45277.5", "0.30000000"),
        ("45277.3", "1.54602737"), ("45276.6", "0.15445238"),
    ]
    static let asks: [(String, String)] = [
        ("45285.2", "0.00100000"), ("45286.4", "1.54571953"), ("45286.6", "1.54571109"), ("45289.6", "1.54560911"),
        ("45290.2", "0.15890660"), ("45291.8", "1.54553491"), ("45294.7", "0.04454749"), ("45296.1", "0.35380000"),
        ("45297.5", "0.09945542"), ("45299.5", "0.18772827"),
    ]

    /// A v2 message with the levels as JSON numbers, as the wire has them.
    static func message(
        _ type: String, bids: [(String, String)], asks: [(String, String)], checksum: UInt32, extra: String = ""
    ) -> String {
        func levels(_ l: [(String, String)]) -> String { l.map { #"{"price":\#($0.0),"qty":\#($0.1)}"# }.joined(separator: ",") }
        return #"{"channel":"book","type":"\#(type)","data":[{"symbol":"BTC/USD","bids":[\#(levels(bids))],"asks":[\#(levels(asks))],"checksum":\#(checksum)\#(extra),"timestamp":"2023-10-06T17:35:55.440295Z"}]}"#
    }

    func sync(depth: Int = 10) -> KrakenV2BookSync {
        KrakenV2BookSync(venue: VenueId(raw: 3), instrument: InstrumentId(raw: 1), priceScale: 1, quantityScale: 8, depth: depth)
    }

    func apply(_ sync: inout KrakenV2BookSync, _ text: String) throws -> KrakenV2BookSync.Outcome {
        try text.withBytes { try sync.apply(KrakenV2.decodeBook($0)) }
    }

    @Test("the guide's example book has checksum 3310070434, also when the numbers arrive without trailing zeros")
    func documentedChecksum() throws {
        var book = sync()
        #expect(try apply(&book, Self.message("snapshot", bids: Self.bids, asks: Self.asks, checksum: 3_310_070_434)) == .applied)
        #expect(Kraken.checksum(book.book, priceScale: 1, quantityScale: 8) == 3_310_070_434)
        // JSON numbers need not carry the pair's precision ("0.1" for 0.10000000, "45281" for 45281.0): the
        // checksum is computed at the pair's precision from the exact values.
        func trimmed(_ l: [(String, String)]) -> [(String, String)] {
            l.map { p, q in
                var p = p, q = q
                while q.hasSuffix("0") { q.removeLast() }
                if p.hasSuffix(".0") { p.removeLast(2) }
                return (p, q)
            }
        }
        var short = sync()
        #expect(try apply(&short, Self.message("snapshot", bids: trimmed(Self.bids), asks: trimmed(Self.asks), checksum: 3_310_070_434)) == .applied)
        // Exponent forms are exact too (1e-3 = 0.001).
        var exp = sync()
        var asks = Self.asks
        asks[0] = ("45285.2", "1e-3")
        #expect(try apply(&exp, Self.message("snapshot", bids: Self.bids, asks: asks, checksum: 3_310_070_434)) == .applied)
    }

    @Test("updates apply in order, qty 0 removes, the book is cut to the subscribed depth before the checksum")
    func updatesAndDepth() throws {
        var book = sync()
        #expect(try apply(&book, Self.message("snapshot", bids: Self.bids, asks: Self.asks, checksum: 3_310_070_434)) == .applied)
        // A better bid pushes the 10th bid out (Kraken sends no removal for it); one level changes twice in the
        // message and ends at its last value; one ask is removed.
        let update = #"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":45284.0,"qty":0.5},{"price":45283.4,"qty":2.0},{"price":45283.4,"qty":1.25}],"asks":[{"price":45286.6,"qty":0}],"checksum":CHECK,"timestamp":"2023-10-06T17:35:56.000000Z"}]}"#
        // The expected book, computed independently: the bids with 45284.0 added, 45283.4 at 1.25, the worst
        // (45276.6) cut; the asks without 45286.6 (nine left).
        var expectedBook = L2Book(venue: VenueId(raw: 3), instrument: InstrumentId(raw: 1), depth: 20)
        for (p, q) in Self.bids.dropLast() { expectedBook.apply(.buy, Price(p, scale: 1), Quantity(q, scale: 8)) }
        expectedBook.apply(.buy, Price("45284.0", scale: 1), Quantity("0.5", scale: 8))
        expectedBook.apply(.buy, Price("45283.4", scale: 1), Quantity("1.25", scale: 8))
        for (p, q) in Self.asks where p != "45286.6" { expectedBook.apply(.sell, Price(p, scale: 1), Quantity(q, scale: 8)) }
        let expected = Kraken.checksum(expectedBook, priceScale: 1, quantityScale: 8)
        #expect(try apply(&book, update.replacingOccurrences(of: "CHECK", with: "\(expected)")) == .applied)
        let bids = book.book.bids.array
        let asks = book.book.asks.count
        #expect(bids.count == 10 && asks == 9)
        #expect(bids.first == BookLevel(price: Price(raw: 452_840), quantity: Quantity(raw: 50_000_000)))
        #expect(bids[2] == BookLevel(price: Price(raw: 452_834), quantity: Quantity(raw: 125_000_000)))
        #expect(bids.last?.price == Price(raw: 452_773))

        // The same update with a wrong checksum: stale until a new snapshot; updates meanwhile wait.
        var other = sync()
        _ = try apply(&other, Self.message("snapshot", bids: Self.bids, asks: Self.asks, checksum: 3_310_070_434))
        #expect(try apply(&other, update.replacingOccurrences(of: "CHECK", with: "\(expected &+ 1)"))
            == .checksumMismatch(expected: expected &+ 1, computed: expected))
        let stale = other.book.state
        #expect(stale == .stale && other.checksumFailures == 1)
        #expect(try apply(&other, update.replacingOccurrences(of: "CHECK", with: "\(expected)")) == .waitingForSnapshot)
        #expect(try apply(&other, Self.message("snapshot", bids: Self.bids, asks: Self.asks, checksum: 3_310_070_434)) == .applied)
    }

    @Test("other channels and replies are not book messages; malformed and truncated ones are errors")
    func badInput() throws {
        let others = [
            #"{"channel":"heartbeat"}"#,
            #"{"method":"pong","req_id":101,"time_in":"2023-09-24T14:10:23.799685Z","time_out":"2023-09-24T14:10:23.799703Z"}"#,
            #"{"method":"subscribe","result":{"channel":"book","depth":10,"snapshot":true,"symbol":"ALGO/USD"},"success":true,"time_in":"2023-10-06T17:35:55.219022Z","time_out":"2023-10-06T17:35:55.219067Z"}"#,
            #"{"channel":"trade","type":"snapshot","data":[{"symbol":"MATIC/USD","side":"buy","price":0.5147,"qty":6423.46326,"ord_type":"limit","trade_id":4665846,"timestamp":"2023-09-25T07:48:36.925533Z"}]}"#,
        ]
        for o in others { #expect(throws: DecodeError.unknownMessage) { try o.withBytes { _ = try KrakenV2.decodeBook($0) } } }
        // Kraken's own update example decodes: one bid, no asks, its checksum.
        let example = #"{"channel":"book","type":"update","data":[{"symbol":"MATIC/USD","bids":[{"price":0.5657,"qty":1098.3947558}],"asks":[],"checksum":2114181697,"timestamp":"2023-10-06T17:35:55.440295Z"}]}"#
        let decoded = try example.withBytes { bytes in
            let m = try KrakenV2.decodeBook(bytes)
            var levels: [String] = []
            try m.forEachLevel(priceScale: 4, quantityScale: 8) { levels.append("\($0) \($1.raw) \($2.raw)") }
            return (m.isSnapshot, m.checksum, String(decoding: m.symbol, as: UTF8.self), levels)
        }
        #expect(decoded.0 == false && decoded.1 == 2_114_181_697 && decoded.2 == "MATIC/USD")
        #expect(decoded.3 == ["buy 5657 109839475580"])
        var book = sync()
        let good = Self.message("snapshot", bids: Self.bids, asks: Self.asks, checksum: 3_310_070_434)
        for cut in stride(from: 0, to: good.utf8.count, by: 7) {
            let prefix = String(decoding: Array(good.utf8)[0..<cut], as: UTF8.self)
            #expect(throws: DecodeError.self, "prefix \(cut)") { _ = try apply(&book, prefix) }
        }
        // A price with more decimals than the pair's precision, a negative quantity, a missing qty: errors.
        for bad in [#"{"price":45283.55,"qty":1}"#, #"{"price":45283.5,"qty":-1}"#, #"{"price":45283.5}"#, #"{"price":"x","qty":1}"#] {
            let text = #"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[\#(bad)],"asks":[],"checksum":0}]}"#
            #expect(throws: DecodeError.self, "\(bad)") { _ = try apply(&book, text) }
            let state = book.book.state
            #expect(state == .stale)
        }
    }
}
