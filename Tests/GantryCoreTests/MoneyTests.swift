import Testing
import GantryCore

@Suite("Price, quantity and notional")
struct MoneyTests {
    @Test("notional is the exact 128-bit product")
    func notionalIsExact() {
        let price = Price("97123.45", scale: 2)
        let quantity = Quantity("0.00012340", scale: 8)
        #expect(Notional(price, quantity).raw == Int128(9_712_345) * 12_340)
        let huge = Notional(Price(raw: .max), Quantity(raw: .max))
        #expect(huge.raw == Int128(Int64.max) * Int128(Int64.max))
    }

    @Test("prices compare and add by mantissa")
    func arithmetic() {
        #expect(Price(raw: 5) < Price(raw: 6))
        #expect(Price(raw: 5) + Price(raw: 6) == Price(raw: 11))
        #expect(Quantity(raw: 7) - Quantity(raw: 7) == .zero)
        #expect(Price("1.5", scale: 4).text(scale: 4) == "1.5")
    }

    @Test("values parse straight from message bytes")
    func parsesBytes() throws {
        let text = Array("0.01000000".utf8)
        let price = try text.withUnsafeBytes { try Price(parsing: $0, scale: 2) }
        #expect(price.raw == 1)
    }
}
