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
