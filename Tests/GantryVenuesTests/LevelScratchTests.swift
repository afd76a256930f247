import GantryBook
import GantryCore
import GantryVenues
import Testing

@Suite("LevelScratch: an update's levels decoded whole before any is applied")
struct LevelScratchTests {
    /// A side's levels, best first, as text.
    func levels(_ side: borrowing BookSide) -> [String] {
        (0..<side.count).map { "\(side.level($0).price.raw)×\(side.level($0).quantity.raw)" }
    }

    func krakenUpdate(_ bids: [String]) -> String {
        #"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[\#(bids.joined(separator: ","))],"asks":[],"checksum":0,"timestamp":"2023-10-06T17:35:55.440295Z"}]}"#
    }

    @Test("a message larger than the scratch grows it once; every level is read in order, then a smaller one")
    func grows() throws {
        var scratch = LevelScratch(capacity: 2)
        let seven = krakenUpdate((0..<7).map { #"{"price":\#(45_000 - $0).5,"qty":0.\#($0 + 1)}"# })
        let n = try seven.withBytes { try scratch.decode(KrakenV2.decodeBook($0), priceScale: 1, quantityScale: 8) }
        #expect(n == 7)
        let expected: [BookUpdate] = (0..<7).map { (k: Int) -> BookUpdate in
            let price = Price(raw: Int64(450_005 - 10 * k))
            return BookUpdate(side: .buy, price: price, quantity: Quantity(raw: Int64(k + 1) * 10_000_000))
        }
        let read: [BookUpdate] = (0..<n).map { scratch[$0] }
        #expect(read == expected)
        let three = krakenUpdate([#"{"price":1.5,"qty":2}"#, #"{"price":1.4,"qty":0}"#, #"{"price":1.3,"qty":3}"#])
        let m = try three.withBytes { try scratch.decode(KrakenV2.decodeBook($0), priceScale: 1, quantityScale: 8) }
        #expect(m == 3)
        let readAgain: [BookUpdate] = (0..<m).map { scratch[$0] }
        #expect(readAgain == [
            BookUpdate(side: .buy, price: Price(raw: 15), quantity: Quantity(raw: 200_000_000)),
            BookUpdate(side: .buy, price: Price(raw: 14), quantity: .zero),
            BookUpdate(side: .buy, price: Price(raw: 13), quantity: Quantity(raw: 300_000_000)),
        ])
    }

    @Test("an update that breaks off at a level leaves the book as it was and stale, never half-applied (Kraken v2)")
    func krakenMalformedUpdate() throws {
        var sync = KrakenV2BookSync(venue: VenueId(raw: 3), instrument: InstrumentId(raw: 1), priceScale: 1, quantityScale: 8, depth: 10)
        let snapshot = KrakenV2Tests.message("snapshot", bids: KrakenV2Tests.bids, asks: KrakenV2Tests.asks, checksum: 3_310_070_434)
        #expect(try snapshot.withBytes { try sync.apply(KrakenV2.decodeBook($0)) } == .applied)
        let before = (levels(sync.book.bids), levels(sync.book.asks))
        // Two good levels (a new best bid, a changed quantity), then a price that is not a number.
        let bad = krakenUpdate([#"{"price":45284.0,"qty":1}"#, #"{"price":45283.4,"qty":2}"#, #"{"price":"x","qty":1}"#])
        var told = 0
        #expect(throws: DecodeError.self) { _ = try bad.withBytes { try sync.apply(KrakenV2.decodeBook($0)) { _, _, _ in told += 1 } } }
        #expect(levels(sync.book.bids) == before.0 && levels(sync.book.asks) == before.1)
        let state = sync.book.state
        #expect(state == .stale && told == 0)
    }

    func bybit(_ type: String, u: Int, bids: [String], asks: [String] = []) -> String {
        #"{"topic":"orderbook.500.XRPUSDT","type":"\#(type)","ts":1,"data":{"s":"XRPUSDT","b":[\#(bids.joined(separator: ","))],"a":[\#(asks.joined(separator: ","))],"u":\#(u),"seq":\#(u)}}"#
    }

    @Test("Bybit: a malformed delta leaves the book as it was; a 300-level delta grows the scratch and applies every level")
    func bybitThroughTheSync() throws {
        var sync = BybitBookSync(venue: VenueId(raw: 5), instrument: InstrumentId(raw: 3), priceScale: 4, quantityScale: 0)
        func apply(_ text: String, _ onLevel: (Side, Price, Quantity) -> Void = { _, _, _ in }) throws -> BybitBookSync.Outcome {
            try text.withBytes { try sync.apply(Bybit.decodeBook($0), onLevel: onLevel) }
        }
        #expect(try apply(bybit("snapshot", u: 1, bids: [#"["1.9000","5"]"#], asks: [#"["1.9100","7"]"#])) == .applied)
        let bad = bybit("delta", u: 2, bids: [#"["1.8990","3"]"#, #"["1.8980","4"]"#, #"["1.89x0","1"]"#])
        #expect(throws: DecodeError.self) { _ = try apply(bad) }
        #expect(levels(sync.book.bids) == ["19000×5"] && levels(sync.book.asks) == ["19100×7"])
        let stale = sync.book.state
        #expect(stale == .stale)

        #expect(try apply(bybit("snapshot", u: 1, bids: [#"["1.9000","5"]"#], asks: [#"["1.9100","7"]"#])) == .applied)
        for (u, quantity) in [(2, 3), (3, 4)] {
            let large = bybit("delta", u: u, bids: (1...300).map { #"["\#(FixedPoint.string(Int64(19_000 - $0), scale: 4, trimTrailingZeros: false))","\#(quantity)"]"# })
            var told = 0
            #expect(try apply(large) { side, _, q in if side == .buy && q.raw == Int64(quantity) { told += 1 } } == .applied)
            #expect(told == 300)
            #expect(sync.book.bids.count == 301)
            #expect(sync.book.bids.quantity(at: Price(raw: 18_700)).raw == Int64(quantity))
        }
    }
}

@Suite("Level arrays: scales out of range")
struct LevelArrayScaleTests {
    @Test("a scale below 0 or above 18 is an error naming it, for arrays of pairs and of objects")
    func scalesOutOfRange() throws {
        let okx = #"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["1.5","2","0","1"]],"bids":[],"ts":"1","checksum":0,"seqId":2,"prevSeqId":1}]}"#
        let kraken = #"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":1.5,"qty":2}],"asks":[],"checksum":0}]}"#
        for (price, quantity, named) in [(19, 8, 19), (2, -1, -1), (-3, 30, -3), (2, 19, 19)] {
            #expect(throws: DecodeError.badNumber(field: "asks", .scaleOutOfRange(named))) {
                try okx.withBytes { try OKX.decodeBook($0).forEachLevel(priceScale: price, quantityScale: quantity) { _, _, _ in } }
            }
            #expect(throws: DecodeError.badNumber(field: "price", .scaleOutOfRange(named))) {
                try kraken.withBytes { try KrakenV2.decodeBook($0).forEachLevel(priceScale: price, quantityScale: quantity) { _, _, _ in } }
            }
        }
        // The edges are accepted.
        try okx.withBytes { try OKX.decodeBook($0).forEachLevel(priceScale: 18, quantityScale: 0) { _, _, _ in } }
        try kraken.withBytes { try KrakenV2.decodeBook($0).forEachLevel(priceScale: 1, quantityScale: 18) { _, _, _ in } }
    }
}
