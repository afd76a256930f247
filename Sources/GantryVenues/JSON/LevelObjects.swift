import GantryCore

/// The keys of a level object, and the texts the quick path compares before each value: `{"<price>":` and
/// `,"<quantity>":`, made from the keys (`PackedLiteral`), constants where the keys are literals.
public struct LevelObjectKeys: Sendable {
    public let price: StaticString
    public let quantity: StaticString
    @usableFromInline let prefix: PackedLiteral
    @usableFromInline let middle: PackedLiteral

    /// - Parameters:
    ///   - price, quantity: Keys of at most 12 bytes each for the quick path (a longer key is left to the
    ///     general read).
    @_transparent
    public init(price: StaticString, quantity: StaticString) {
        self.price = price
        self.quantity = quantity
        prefix = PackedLiteral(key: price, after: 0x7B)
        middle = PackedLiteral(key: quantity, after: 0x2C)
    }
}

/// Level arrays whose levels are objects: Kraken v2 `[{"price":45283.5,"qty":0.1},…]` (JSON numbers),
/// Coinbase's REST book `[{"price":"…","size":"…"},…]` (strings). Keys in any order; other keys skipped.
public enum LevelObjects {
    /// Calls `body` for each level of the array at `at`, parsed at the instrument's scales.
    /// - Throws: `DecodeError` for bad structure, a missing price or size, a bad decimal, a price ≤ 0 or a
    ///   negative size.
    @inlinable
    public static func forEach(
        _ message: UnsafeRawBufferPointer, at: Int, _ side: Side, keys: LevelObjectKeys, priceScale: Int, quantityScale: Int,
        _ body: (Side, Price, Quantity) -> Void
    ) throws(DecodeError) {
        var c = JSONCursor(message, at: at)
        try parse(&c, side, keys: keys, priceScale: priceScale, quantityScale: quantityScale, body)
    }

    /// Reads the level array at the cursor (which it leaves after the closing bracket).
    @inlinable
    static func parse(
        _ c: inout JSONCursor, _ side: Side, keys: LevelObjectKeys, priceScale: Int, quantityScale: Int,
        _ body: (Side, Price, Quantity) -> Void
    ) throws(DecodeError) {
        let priceKey = keys.price
        let quantityKey = keys.quantity
        // Checked once per array (the digit reader indexes its powers of ten by the scale).
        try LevelArrays.checkScales(priceScale, quantityScale, priceKey)
        try c.expect(0x5B, "[")
        if try c.consume(0x5D) { return }
        let quickPrice = ShortScale(priceScale)
        let quickQuantity = ShortScale(quantityScale)
        while true {
            if let (price, quantity) = quickLevel(&c, prefix: keys.prefix, middle: keys.middle, priceScale: quickPrice, quantityScale: quickQuantity) {
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
    ///
    /// `prefix` is `{"<priceKey>":` and `middle` `,"<quantityKey>":` (`LevelObjectKeys`): each is one two-word
    /// comparison, whatever the keys (see `PackedLiteral`). The two words are read whole, so 16 bytes must follow
    /// the level's start and the quantity's key: a level that ends its message is left to the general read.
    @_transparent @usableFromInline
    static func quickLevel(
        _ c: inout JSONCursor, prefix: PackedLiteral, middle: PackedLiteral, priceScale: ShortScale, quantityScale: ShortScale
    ) -> (Int64, Int64)? {
        let p = c.p
        let end = c.end
        var j = c.offset
        guard end &- j >= 16, prefix.matches(p, at: j) else { return nil }
        j &+= prefix.count
        guard let price = quickValue(p, &j, end, priceScale), price > 0, end &- j >= 16, middle.matches(p, at: j) else { return nil }
        j &+= middle.count
        guard let quantity = quickValue(p, &j, end, quantityScale), j < end, p[j] == 0x7D else { return nil }
        c.offset = j &+ 1
        return (price, quantity)
    }

    /// A decimal `digits[.digits]` at `j`, as a JSON number or a string without escapes (see
    /// `FixedPoint.shortPrefix`); `j` is left after it (after the closing quote of a string). Nil for anything
    /// else; what follows a number is for the caller to check.
    @_transparent @usableFromInline
    static func quickValue(_ p: UnsafePointer<UInt8>, _ j: inout Int, _ end: Int, _ scale: ShortScale) -> Int64? {
        guard j < end else { return nil }
        if p[j] != 0x22 {
            guard let (value, next) = FixedPoint.shortPrefix(p, from: j, end: end, scale: scale) else { return nil }
            j = next
            return value
        }
        guard let (value, next) = FixedPoint.shortPrefix(p, from: j &+ 1, end: end, scale: scale), next < end, p[next] == 0x22
        else { return nil }
        j = next &+ 1
        return value
    }

    /// Steps over a level array whose levels all have the layout `quickLevel` reads (the values not parsed);
    /// the cursor is left after the array. False (the cursor untouched) for anything else, which
    /// `JSONCursor.skipValue` then steps over.
    @inlinable
    static func quickSkip(_ c: inout JSONCursor, _ priceKey: StaticString, _ quantityKey: StaticString) -> Bool {
        guard var m = LiteralMatcher(c.bytes) else { return false }
        m.i = c.offset
        guard m.literal("[") else { return false }
        if !m.literal("]") {
            repeat {
                guard m.literal(#"{""#), m.literal(priceKey), m.literal(#"":"#), m.skipNumberOrString(), m.literal(#",""#),
                    m.literal(quantityKey), m.literal(#"":"#), m.skipNumberOrString(), m.literal("}")
                else { return false }
            } while m.literal(",")
            guard m.literal("]") else { return false }
        }
        c.offset = m.i
        return true
    }
}
