import GantryCore

/// The level arrays every venue sends in some form: `[[price, size, …], …]` with price and size as decimal
/// strings and any further elements (timestamps, order counts, flags) skipped.
public enum LevelArrays {
    /// Calls `body` for each level of the array at `at`, parsed at the instrument's scales.
    ///
    /// One pass over the bytes with a raw pointer: the structure is checked byte by byte (white space allowed
    /// where JSON allows it) and each decimal is parsed where it lies, without a scanner call per token.
    /// - Parameter field: The field's name, for errors.
    /// - Throws: `DecodeError` for bad structure, a bad decimal, a price ≤ 0 or a negative size.
    @inlinable
    public static func forEach(
        _ message: UnsafeRawBufferPointer, at: Int, _ side: Side, priceScale: Int, quantityScale: Int, field: StaticString,
        _ body: (Side, Price, Quantity) -> Void
    ) throws(DecodeError) {
        var cursor = ByteCursor(message, at: at)
        try parse(&cursor, side, priceScale: priceScale, quantityScale: quantityScale, field: field, body)
    }

    /// Reads the level array at the cursor (which it leaves after the closing bracket).
    @inlinable
    static func parse(
        _ cursor: inout ByteCursor, _ side: Side, priceScale: Int, quantityScale: Int, field: StaticString,
        _ body: (Side, Price, Quantity) -> Void
    ) throws(DecodeError) {
        // Checked once per array (the digit reader indexes its powers of ten by the scale).
        try LevelArrays.checkScales(priceScale, quantityScale, field)
        try cursor.expect(0x5B, "[")
        if try cursor.consume(0x5D) { return }
        while true {
            try cursor.expect(0x5B, "[")
            let price = Price(raw: try cursor.quotedDecimal(scale: priceScale, field))
            try cursor.expect(0x2C, ",")
            let quantity = Quantity(raw: try cursor.quotedDecimal(scale: quantityScale, field))
            while try cursor.consume(0x2C) { try cursor.skipValue() }
            try cursor.expect(0x5D, "]")
            guard price.raw > 0, quantity.raw >= 0 else { throw .badNumber(field: "\(field)", nil) }
            body(side, price, quantity)
            if try cursor.consume(0x2C) { continue }
            try cursor.expect(0x5D, "] or ,")
            return
        }
    }

    @inlinable
    static func checkScales(_ priceScale: Int, _ quantityScale: Int, _ field: StaticString) throws(DecodeError) {
        if priceScale < 0 || priceScale > FixedPoint.maxScale { throw .badNumber(field: "\(field)", .scaleOutOfRange(priceScale)) }
        if quantityScale < 0 || quantityScale > FixedPoint.maxScale {
            throw .badNumber(field: "\(field)", .scaleOutOfRange(quantityScale))
        }
    }
}
