import GantryBook
import GantryCore
import Testing

@testable import GantryVenues

@Suite("Kraken's checksum with the last text reused equals the checksum written afresh")
struct ChecksumTextTests {
    @Test("30,000 random updates near and far from the top, removals, resets, empty sides and values of every length")
    func randomBooks() {
        var draws = Draws(state: 0x6B63_7478)
        func next(_ n: Int) -> Int { draws.next(n) }
        var book = L2Book(venue: VenueId(raw: 3), instrument: InstrumentId(raw: 1), depth: 200)
        var text = KrakenChecksumText()
        var reused = 0
        let mid: Int64 = 5_000_000
        // Quantities of every length up to 19 digits, zero (a removal) often.
        func quantity() -> Int64 {
            if next(4) == 0 { return 0 }
            let digits = 1 + next(18)
            return Int64(next(Int(min(Int64(Int32.max), 1 << 30)))) % Int64((0..<digits).reduce(Int64(1)) { p, _ in p * 10 }) + 1
        }
        for step in 0..<30_000 {
            switch next(100) {
            case 0:
                // A reset: the book emptied (a new snapshot), so nothing of the last text matches by position.
                book.bids.removeAll()
                book.asks.removeAll()
            case 1:
                // A level far from the top: the top 10 unchanged.
                book.apply(.buy, Price(raw: mid - 150 - Int64(next(40))), Quantity(raw: quantity()))
            case 2:
                // A price of 19 digits.
                book.apply(.sell, Price(raw: 1_000_000_000_000_000_000 + Int64(next(5))), Quantity(raw: quantity()))
            default:
                let side: Side = next(2) == 0 ? .buy : .sell
                let offset = Int64(next(25))
                book.apply(side, Price(raw: side == .buy ? mid - offset : mid + 1 + offset), Quantity(raw: quantity()))
            }
            book.bids.truncate(toDepth: 100)
            book.asks.truncate(toDepth: 100)
            let fresh = Kraken.checksum(book, priceScale: 2, quantityScale: 8)
            let again = Kraken.checksum(book, priceScale: 2, quantityScale: 8, reusing: &text)
            #expect(again == fresh, "step \(step)")
            if again != fresh { return }
            if step > 0 && next(3) == 0 {
                // Twice in a row (nothing changed): every level's text is reused.
                #expect(Kraken.checksum(book, priceScale: 2, quantityScale: 8, reusing: &text) == fresh)
                reused += 1
            }
        }
        #expect(reused > 5_000)
    }
}
