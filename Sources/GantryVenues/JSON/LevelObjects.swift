import GantryCore

/// Level arrays whose levels are objects: Kraken v2 `[{"price":45283.5,"qty":0.1},…]` (JSON numbers),
/// Coinbase's REST book `[{"price":"…","size":"…"},…]` (strings). Keys in any order; other keys skipped.
public enum LevelObjects {
    /// Calls `body` for each level of the array at `at`, parsed at the instrument's scales.
    /// - Throws: `DecodeError` for bad structure, a missing price or size, a bad decimal, a price ≤ 0 or a
    ///   negative size.
    @inlinable
    public static func forEach(
        _ message: UnsafeRawBufferPointer, at: Int, _ side: Side, priceKey: StaticString, quantityKey: StaticString,
        priceScale: Int, quantityScale: Int, _ body: (Side, Price, Quantity) -> Void
    ) throws(DecodeError) {
        // Checked once per array (the digit reader indexes its powers of ten by the scale).
        try LevelArrays.checkScales(priceScale, quantityScale, priceKey)
        var c = ByteCursor(message, at: at)
        try c.expect(0x5B, "[")
        if try c.consume(0x5D) { return }
        while true {
            try c.expect(0x7B, "{")
            var price: Int64? = nil
            var quantity: Int64? = nil
            if !(try c.consume(0x7D)) {
                repeat {
                    let key = try c.string()
                    try c.expect(0x3A, ":")
                    if key.equals(priceKey) {
                        price = try c.decimal(scale: priceScale, priceKey)
                    } else if key.equals(quantityKey) {
                        quantity = try c.decimal(scale: quantityScale, quantityKey)
                    } else {
                        try c.skipValue()
                    }
                } while try c.consume(0x2C)
                try c.expect(0x7D, "} or ,")
            }
            guard let price else { throw .missingField("\(priceKey)") }
            guard let quantity else { throw .missingField("\(quantityKey)") }
            guard price > 0 else { throw .badNumber(field: "\(priceKey)", nil) }
            guard quantity >= 0 else { throw .badNumber(field: "\(quantityKey)", nil) }
            body(side, Price(raw: price), Quantity(raw: quantity))
            if try c.consume(0x2C) { continue }
            try c.expect(0x5D, "] or ,")
            return
        }
    }
}
