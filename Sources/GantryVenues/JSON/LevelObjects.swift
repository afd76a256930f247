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
        var c = ByteCursor(message, at: at)
        try parse(&c, side, priceKey: priceKey, quantityKey: quantityKey, priceScale: priceScale, quantityScale: quantityScale, body)
    }

    /// Reads the level array at the cursor (which it leaves after the closing bracket).
    @inlinable
    static func parse(
        _ c: inout ByteCursor, _ side: Side, priceKey: StaticString, quantityKey: StaticString, priceScale: Int,
        quantityScale: Int, _ body: (Side, Price, Quantity) -> Void
    ) throws(DecodeError) {
        // Checked once per array (the digit reader indexes its powers of ten by the scale).
        try LevelArrays.checkScales(priceScale, quantityScale, priceKey)
        try c.expect(0x5B, "[")
        if try c.consume(0x5D) { return }
        let quickPrice = ShortScale(priceScale)
        let quickQuantity = ShortScale(quantityScale)
        while true {
            if let (price, quantity) = quickLevel(&c, priceKey, quantityKey, priceScale: quickPrice, quantityScale: quickQuantity) {
                body(side, Price(raw: price), Quantity(raw: quantity))
                if try c.nextElement() { continue }
                return
            }
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
            if try c.nextElement() { continue }
            return
        }
    }

    /// A level exactly as venues send it, `{"<priceKey>":P,"<quantityKey>":Q}` (Kraken v2's `{"price":…,"qty":…}`)
    /// with the keys in that order, no white space and each decimal a JSON number or a string `digits[.digits]`
    /// short enough for `FixedPoint.shortPrefix`; the cursor is left after the closing brace.
    /// Nil (the cursor untouched) for anything else, which the general read then takes or rejects.
    @inlinable @inline(__always)
    static func quickLevel(
        _ c: inout ByteCursor, _ priceKey: StaticString, _ quantityKey: StaticString, priceScale: ShortScale,
        quantityScale: ShortScale
    ) -> (Int64, Int64)? {
        guard var m = LiteralMatcher(c.bytes) else { return nil }
        m.i = c.i
        guard m.literal(#"{""#), m.literal(priceKey), m.literal(#"":"#), let price = m.numberOrQuoted(scale: priceScale), price > 0,
            m.literal(#",""#), m.literal(quantityKey), m.literal(#"":"#), let quantity = m.numberOrQuoted(scale: quantityScale),
            m.literal("}")
        else { return nil }
        c.i = m.i
        return (price, quantity)
    }

    /// Steps over a level array whose levels all have the layout `quickLevel` reads (the values not parsed);
    /// the cursor is left after the array. False (the cursor untouched) for anything else, which
    /// `ByteCursor.skipValue` then steps over.
    @inlinable
    static func quickSkip(_ c: inout ByteCursor, _ priceKey: StaticString, _ quantityKey: StaticString) -> Bool {
        guard var m = LiteralMatcher(c.bytes) else { return false }
        m.i = c.i
        guard m.literal("[") else { return false }
        if !m.literal("]") {
            repeat {
                guard m.literal(#"{""#), m.literal(priceKey), m.literal(#"":"#), m.skipNumberOrString(), m.literal(#",""#),
                    m.literal(quantityKey), m.literal(#"":"#), m.skipNumberOrString(), m.literal("}")
                else { return false }
            } while m.literal(",")
            guard m.literal("]") else { return false }
        }
        c.i = m.i
        return true
    }
}
