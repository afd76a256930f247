import GantryCore

/// The level arrays every venue sends in some form: `[[price, size, …], …]` with price and size as decimal
/// strings and any further elements (timestamps, order counts, flags) skipped.
public enum LevelArrays {
    /// Calls `body` for each level of the array at `at`, parsed at the instrument's scales.
    ///
    /// One pass over the bytes with a raw pointer: the structure is checked byte by byte (white space allowed
    /// where JSON allows it) and each decimal is parsed where it lies, without a call per token.
    /// - Parameter field: The field's name, for errors.
    /// - Throws: `DecodeError` for bad structure, a bad decimal, a price ≤ 0 or a negative size.
    @inlinable
    public static func forEach(
        _ message: UnsafeRawBufferPointer, at: Int, _ side: Side, priceScale: Int, quantityScale: Int, field: StaticString,
        _ body: (Side, Price, Quantity) -> Void
    ) throws(DecodeError) {
        var cursor = JSONCursor(message, at: at)
        try parse(&cursor, side, priceScale: priceScale, quantityScale: quantityScale, field: field, body)
    }

    /// Reads the level array at the cursor (which it leaves after the closing bracket).
    @inlinable
    static func parse(
        _ cursor: inout JSONCursor, _ side: Side, priceScale: Int, quantityScale: Int, field: StaticString,
        _ body: (Side, Price, Quantity) -> Void
    ) throws(DecodeError) {
        // Checked once per array (the digit reader indexes its powers of ten by the scale).
        try LevelArrays.checkScales(priceScale, quantityScale, field)
        try cursor.expect(0x5B, "[")
        if try cursor.consume(0x5D) { return }
        let quickPrice = ShortScale(priceScale)
        let quickQuantity = ShortScale(quantityScale)
        while true {
            if let (price, quantity) = quickLevel(&cursor, priceScale: quickPrice, quantityScale: quickQuantity) {
                // Further elements (OKX's order counts, Kraken v1's times) are skipped.
                if cursor.offset < cursor.end && cursor.p[cursor.offset] == 0x5D {
                    cursor.offset &+= 1
                } else {
                    // Plain strings (OKX's "0" and order count) are stepped over where they lie.
                    while cursor.offset &+ 1 < cursor.end && cursor.p[cursor.offset] == 0x2C && cursor.p[cursor.offset &+ 1] == 0x22,
                        let (close, escaped) = JSONCursor.plainStringEnd(cursor.p, from: cursor.offset &+ 2, end: cursor.end), !escaped
                    {
                        cursor.offset = close &+ 1
                    }
                    while try cursor.consume(0x2C) { try cursor.skipValue() }
                    try cursor.expect(0x5D, "]")
                }
                body(side, price, quantity)
            } else {
                try generalLevel(&cursor, side, priceScale: priceScale, quantityScale: quantityScale, field: field, body)
            }
            if try cursor.nextElement() { continue }
            return
        }
    }

    /// Calls `body` for each level of a message whose quick path stopped at its first level array (at `first`):
    /// that array, then the members after it, of which the one named `secondKey` is the other side's array
    /// (another member is stepped over; a second array of either side is refused, since which would count is
    /// anyone's guess). The members end at `tail`, where the quick path matched the message's tail backwards
    /// and the levels must end exactly; or, with `tail` -1, at the object's closing brace, which is read.
    /// - Returns: The offset after what was read.
    /// - Throws: `DecodeError` for a bad level, a missing second array, or members that do not end as expected.
    @inlinable
    static func forEachThenMembers(
        _ message: UnsafeRawBufferPointer, first: Int, _ firstSide: Side, firstKey: StaticString, secondKey: StaticString,
        tail: Int, priceScale: Int, quantityScale: Int, _ body: (Side, Price, Quantity) -> Void
    ) throws(DecodeError) -> Int {
        try thenMembers(message, first: first, firstSide, firstKey: firstKey, secondKey: secondKey, tail: tail) {
            (c: inout JSONCursor, side: Side, key: StaticString) throws(DecodeError) in
            try parse(&c, side, priceScale: priceScale, quantityScale: quantityScale, field: key, body)
        }
    }

    /// `forEachThenMembers` for any form of level array: `readArray` reads one side's array at the cursor
    /// (which it leaves after the closing bracket).
    /// - Parameter secondRequired: False where a venue may leave the other side out (Kraken v2).
    @inlinable @inline(__always)
    static func thenMembers(
        _ message: UnsafeRawBufferPointer, first: Int, _ firstSide: Side, firstKey: StaticString, secondKey: StaticString,
        tail: Int, secondRequired: Bool = true, readArray: (inout JSONCursor, Side, StaticString) throws(DecodeError) -> Void
    ) throws(DecodeError) -> Int {
        var c = JSONCursor(message, at: first)
        try readArray(&c, firstSide, firstKey)
        let secondSide: Side = firstSide == .buy ? .sell : .buy
        var sawSecond = false
        // The second array where venues put it, right after the first: `,"<secondKey>":` compared as two words
        // (constants here, `secondKey` being a literal where this is inlined) instead of read as a key.
        let second = PackedLiteral(key: secondKey, after: 0x2C)
        if c.end &- c.offset >= 16 && (tail < 0 || c.offset < tail) && second.matches(c.p, at: c.offset) {
            c.offset &+= second.count
            try readArray(&c, secondSide, secondKey)
            sawSecond = true
        }
        while try c.peek() == 0x2C && (tail < 0 || c.offset < tail) {
            c.offset &+= 1
            let key = try c.string()
            try c.expect(0x3A, ":")
            if key.equals(secondKey) && !sawSecond {
                try readArray(&c, secondSide, secondKey)
                sawSecond = true
            } else if key.equals(secondKey) || key.equals(firstKey) {
                throw .malformed(offset: c.offset, expected: "one \(firstKey) and one \(secondKey)")
            } else {
                try c.skipValue()
            }
        }
        if tail < 0 {
            try c.expect(0x7D, "} or ,")
        } else {
            guard c.offset == tail else { throw .malformed(offset: c.offset, expected: "the members after the levels") }
        }
        guard sawSecond || !secondRequired else { throw .missingField("\(secondKey)") }
        return c.offset
    }

    /// The start of a level as venues send it nearly always, `["price","size"` with no white space, each
    /// decimal short enough for `FixedPoint.shortPrefix`, read with no per-token checks; the cursor is left
    /// after the size's closing quote. Nil (the cursor untouched) for anything else, which `generalLevel` then
    /// reads or rejects.
    @_transparent @usableFromInline
    static func quickLevel(_ cursor: inout JSONCursor, priceScale: ShortScale, quantityScale: ShortScale) -> (Price, Quantity)? {
        let p = cursor.p
        let end = cursor.end
        let i = cursor.offset
        guard i &+ 2 < end, p[i] == 0x5B, p[i &+ 1] == 0x22,
            let (price, afterPrice) = FixedPoint.shortPrefix(p, from: i &+ 2, end: end, scale: priceScale),
            afterPrice &+ 3 < end, p[afterPrice] == 0x22, p[afterPrice &+ 1] == 0x2C, p[afterPrice &+ 2] == 0x22,
            let (quantity, afterQuantity) = FixedPoint.shortPrefix(p, from: afterPrice &+ 3, end: end, scale: quantityScale),
            afterQuantity < end, p[afterQuantity] == 0x22, price > 0
        else { return nil }
        cursor.offset = afterQuantity &+ 1
        return (Price(raw: price), Quantity(raw: quantity))
    }

    /// Steps over a level array whose levels are arrays of plain strings (`[["p","q"],…]`, OKX's four
    /// elements too), string by string, for a book walk that notes where the levels are (`forEach` reads them);
    /// the cursor is left after the array. False (the cursor untouched) for anything else (a number, white
    /// space, an escape), which `JSONCursor.skipValue` then steps over.
    static func quickSkip(_ c: inout JSONCursor) -> Bool {
        guard var m = LiteralMatcher(c.bytes) else { return false }
        m.i = c.offset
        guard m.literal("[") else { return false }
        if !m.literal("]") {
            repeat {
                guard m.literal("[") else { return false }
                repeat {
                    guard m.literal("\""), m.plainString() != nil else { return false }
                } while m.literal(",")
                guard m.literal("]") else { return false }
            } while m.literal(",")
            guard m.literal("]") else { return false }
        }
        c.offset = m.i
        return true
    }

    /// One level in full JSON generality (white space, further elements), every problem named.
    @inlinable
    static func generalLevel(
        _ cursor: inout JSONCursor, _ side: Side, priceScale: Int, quantityScale: Int, field: StaticString,
        _ body: (Side, Price, Quantity) -> Void
    ) throws(DecodeError) {
        try cursor.expect(0x5B, "[")
        let price = Price(raw: try cursor.quotedDecimal(scale: priceScale, field))
        try cursor.expect(0x2C, ",")
        let quantity = Quantity(raw: try cursor.quotedDecimal(scale: quantityScale, field))
        while try cursor.consume(0x2C) { try cursor.skipValue() }
        try cursor.expect(0x5D, "]")
        guard price.raw > 0, quantity.raw >= 0 else { throw .badNumber(field: "\(field)", nil) }
        body(side, price, quantity)
    }

    /// Inlined where a level array is read (a negative scale is a huge unsigned one); the error is made out of line.
    @_transparent @usableFromInline
    static func checkScales(_ priceScale: Int, _ quantityScale: Int, _ field: StaticString) throws(DecodeError) {
        if max(UInt(bitPattern: priceScale), UInt(bitPattern: quantityScale)) > UInt(FixedPoint.maxScale) {
            throw scaleError(priceScale, quantityScale, field)
        }
    }

    @usableFromInline @inline(never)
    static func scaleError(_ priceScale: Int, _ quantityScale: Int, _ field: StaticString) -> DecodeError {
        let scale = priceScale < 0 || priceScale > FixedPoint.maxScale ? priceScale : quantityScale
        return .badNumber(field: "\(field)", .scaleOutOfRange(scale))
    }
}
