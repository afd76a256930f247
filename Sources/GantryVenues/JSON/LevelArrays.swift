import GantryCore

/// The level arrays every venue sends in some form: `[[price, size, …], …]` with price and size as decimal
/// strings and any further elements (timestamps, order counts, flags) skipped.
public enum LevelArrays {
    /// Calls `body` for each level of the array at `at`, parsed at the instrument's scales.
    /// - Parameter field: The field's name, for errors.
    /// - Throws: `DecodeError` for bad structure, a bad decimal, a price ≤ 0 or a negative size.
    @inlinable
    public static func forEach(
        _ message: UnsafeRawBufferPointer, at: Int, _ side: Side, priceScale: Int, quantityScale: Int, field: StaticString,
        _ body: (Side, Price, Quantity) -> Void
    ) throws(DecodeError) {
        var s = JSONScanner(message)
        s.offset = at
        try s.array { s throws(DecodeError) in
            try s.expect(0x5B, "[")
            let p = try s.string()
            try s.expect(0x2C, ",")
            let q = try s.string()
            while try s.consume(0x2C) { try s.skipValue() }
            try s.expect(0x5D, "]")
            let price: Price
            let quantity: Quantity
            do throws(DecimalError) {
                price = try Price(parsing: p, scale: priceScale)
                quantity = try Quantity(parsing: q, scale: quantityScale)
            } catch {
                throw .badNumber(field: "\(field)", error)
            }
            guard price.raw > 0, quantity.raw >= 0 else { throw .badNumber(field: "\(field)", nil) }
            body(side, price, quantity)
        }
    }
}
