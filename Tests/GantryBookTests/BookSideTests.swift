import GantryBook
import GantryCore
import Testing

/// The obvious model: a dictionary of levels, sorted when looked at, cut to the best `capacity`.
struct ModelSide {
    let bids: Bool
    let capacity: Int
    var levels: [Int64: Int64] = [:]

    mutating func set(_ price: Int64, _ quantity: Int64) {
        if quantity == 0 { levels[price] = nil } else { levels[price] = quantity }
        truncate(capacity)
    }

    mutating func truncate(_ depth: Int) {
        if levels.count > depth { for dropped in sorted[depth...] { levels[dropped.price.raw] = nil } }
    }

    var sorted: [BookLevel] {
        levels.map { BookLevel(price: Price(raw: $0.key), quantity: Quantity(raw: $0.value)) }
            .sorted { bids ? $0.price > $1.price : $0.price < $1.price }
    }
}

struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Book side: sorted levels, best last")
struct BookSideTests {
    @Test("random updates, truncations and clears near and far from the top agree with a dictionary model", arguments: [(Side.buy, 10_000), (.sell, 10_000), (.buy, 16), (.sell, 16), (.buy, 40), (.sell, 40)])
    func againstModel(side: Side, capacity: Int) {
        var book = BookSide(side, capacity: capacity)
        var model = ModelSide(bids: side == .buy, capacity: capacity)
        var random = SplitMix(state: UInt64(capacity) &* 31 &+ UInt64(side.rawValue))
        for step in 0..<20_000 {
            // Mostly near a drifting top, sometimes deep; a third of updates remove.
            let r = random.next()
            let offset = Int64(r % 8 == 0 ? r >> 8 % 2_000 : r >> 8 % 40)
            let price = 1_000_000 + (side == .buy ? -offset : offset) + Int64(step / 500)
            let quantity = r % 3 == 0 ? 0 : Int64(1 + (r >> 32) % 1_000)
            book.set(Price(raw: price), Quantity(raw: quantity))
            model.set(price, quantity)
            // A depth-limited venue cuts the book after each update; now and then it is cleared for a snapshot.
            if r % 16 == 1 {
                let depth = Int((r >> 40) % UInt64(capacity + 1))
                book.truncate(toDepth: depth)
                model.truncate(depth)
            } else if r % 4_099 == 2 {
                book.removeAll()
                model.levels.removeAll()
            }
            if step % 499 == 0 || step == 19_999 || capacity < 100 {
                #expect(book.array == model.sorted, "step \(step)")
                if book.array != model.sorted { return }
            }
        }
        #expect(book.count == model.levels.count)
        #expect(book.best == model.sorted.first)
    }

    @Test("what a change did: inserted, updated, removed, absent, beyond the depth kept")
    func changes() {
        var asks = BookSide(.sell, capacity: 2)
        #expect(asks.set(Price(raw: 101), Quantity(raw: 5)) == .inserted)
        #expect(asks.set(Price(raw: 101), Quantity(raw: 7)) == .updated)
        #expect(asks.set(Price(raw: 100), Quantity(raw: 1)) == .inserted)
        #expect(asks.set(Price(raw: 105), Quantity(raw: 1)) == .beyondDepth)
        #expect(asks.set(Price(raw: 99), Quantity(raw: 2)) == .inserted)  // 101 drops out
        #expect(asks.array == [BookLevel(price: Price(raw: 99), quantity: Quantity(raw: 2)), BookLevel(price: Price(raw: 100), quantity: Quantity(raw: 1))])
        #expect(asks.set(Price(raw: 101), Quantity(raw: 0)) == .absent)
        #expect(asks.set(Price(raw: 99), Quantity(raw: 0)) == .removed)
        #expect(asks.best?.price == Price(raw: 100))
    }

    @Test("depth queries: cumulative quantity, sweep cost and volume-weighted price, truncation")
    func depth() {
        var bids = BookSide(.buy, capacity: 100)
        // 100.00 × 1.5, 99.50 × 2, 99.00 × 4 at price scale 2 and quantity scale 1.
        bids.set(Price("100.00", scale: 2), Quantity("1.5", scale: 1))
        bids.set(Price("99.00", scale: 2), Quantity("4", scale: 1))
        bids.set(Price("99.50", scale: 2), Quantity("2", scale: 1))
        #expect(bids.cumulativeQuantity(depth: 2) == Quantity("3.5", scale: 1))
        #expect(bids.cumulativeQuantity(depth: 10) == Quantity("7.5", scale: 1))
        let (filled, notional) = bids.sweep(Quantity("3", scale: 1))
        #expect(filled == Quantity("3", scale: 1))
        // 1.5 × 100 + 1.5 × 99.5 = 299.25, at scale 2 + 1.
        #expect(notional == Notional(raw: 299_250))
        let all = bids.sweep(Quantity("10", scale: 1))
        #expect(all.filled == Quantity("7.5", scale: 1))
        bids.truncate(toDepth: 1)
        #expect(bids.array == [BookLevel(price: Price("100.00", scale: 2), quantity: Quantity("1.5", scale: 1))])
    }

    @Test("a book knows when it is crossed")
    func crossed() {
        var book = L2Book(venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), depth: 10)
        book.apply(.buy, Price(raw: 100), Quantity(raw: 1))
        book.apply(.sell, Price(raw: 101), Quantity(raw: 1))
        let before = book.isCrossed
        let mid = book.doubleMid
        #expect(!before)
        #expect(mid == 201)
        book.apply(.buy, Price(raw: 101), Quantity(raw: 1))
        let after = book.isCrossed
        #expect(after)
    }
}

@Suite("Consolidated book: best prices across venues after taker fees")
struct ConsolidatedBookTests {
    let a = VenueId(raw: 1)
    let b = VenueId(raw: 2)
    func level(_ p: Int64) -> BookLevel { BookLevel(price: Price(raw: p), quantity: Quantity(raw: 1)) }

    @Test("a gap smaller than the two fees is no opportunity; a wider one is, and stale venues never are")
    func opportunity() {
        // Venue A 10 bp, venue B 5 bp. Prices at scale 2: A asks 100.00, B bids 100.10 (10 bp above).
        var view = ConsolidatedBook(fees: [(a, .basisPoints(10)), (b, .basisPoints(5))])
        view.update(a, bid: level(9_990), ask: level(10_000), live: true)
        view.update(b, bid: level(10_010), ask: level(10_020), live: true)
        #expect(view.bestBid?.venue == b)
        #expect(view.bestAsk?.venue == a)
        // Buying at A costs 100.00 × 1.001 = 100.10; selling at B earns 100.10 × 0.9995 = 100.04995: a loss.
        #expect(view.crossVenueOpportunity == nil)
        view.update(b, bid: level(10_030), ask: level(10_040), live: true)
        // 100.30 × 0.9995 = 100.24985 > 100.10.
        let found = view.crossVenueOpportunity
        #expect(found?.buy.venue == a && found?.sell.venue == b)
        view.update(b, bid: level(10_030), ask: level(10_040), live: false)
        #expect(view.crossVenueOpportunity == nil)
        #expect(view.bestBid?.venue == a)
    }
}
