import GantryCore

/// Binance spot market-data messages (WebSocket streams, raw or in the combined-stream envelope
/// `{"stream":…,"data":…}`, and the REST depth snapshot), decoded in place: fields are byte ranges of the
/// message until the caller asks for fixed-point values at the instrument's scales.
public enum Binance {
    /// A `depthUpdate` (diff. depth stream): levels to set, absolute quantities, 0 removes.
    ///
    /// `decode` reads the event's header (`e`, `E`, `s`, `U`, `u`) and stops where the levels begin, as
    /// Binance sends them (`b` then `a`, last); `forEachLevel` reads the levels and the rest of the message in
    /// the same pass, checking it to the end. A malformed or truncated level array is therefore reported by
    /// `forEachLevel` (which every book sync calls, also for diffs it drops), not by `decode`.
    public struct DepthDiff {
        public let message: UnsafeRawBufferPointer
        public var symbol: UnsafeRawBufferPointer
        /// `U`: the first update id in the event.
        public var firstUpdateId: UInt64
        /// `u`: the final update id in the event.
        public var finalUpdateId: UInt64
        /// `E`, as wall-clock ns.
        public var eventTime: Nanos
        /// The offset of `b`'s array.
        @usableFromInline var bids: Int
        /// The offset of `a`'s array, or -1 when `decode` stopped at `b` and the rest is read with the levels.
        @usableFromInline var asks: Int
        /// The event is the `data` of a combined-stream envelope (whose end the lazy read must reach too).
        @usableFromInline var enveloped: Bool

        /// Calls `body` for each level, bids first, parsed at the instrument's scales.
        /// - Throws: `DecodeError` if a level is not a pair of decimal strings at those scales, or the rest
        ///   of the message is malformed or truncated.
        @inlinable
        public func forEachLevel(
            priceScale: Int, quantityScale: Int, _ body: (Side, Price, Quantity) -> Void
        ) throws(DecodeError) {
            if asks >= 0 {
                try LevelArrays.forEach(message, at: bids, .buy, priceScale: priceScale, quantityScale: quantityScale, field: "b", body)
                try LevelArrays.forEach(message, at: asks, .sell, priceScale: priceScale, quantityScale: quantityScale, field: "a", body)
                return
            }
            // The quick or general header stopped at `b`: the levels, then the members up to the event's end.
            let end = try LevelArrays.forEachThenMembers(
                message, first: bids, .buy, firstKey: "b", secondKey: "a", tail: -1, priceScale: priceScale,
                quantityScale: quantityScale, body)
            var c = JSONCursor(message, at: end)
            if enveloped { try c.skipRestOfObject() }
            try c.expectEnd()
        }
    }

    /// The REST `GET /api/v3/depth` body: `lastUpdateId` and full levels.
    public struct DepthSnapshot {
        public let message: UnsafeRawBufferPointer
        public var lastUpdateId: UInt64
        @usableFromInline var bids: Int
        @usableFromInline var asks: Int

        @inlinable
        public func forEachLevel(
            priceScale: Int, quantityScale: Int, _ body: (Side, Price, Quantity) -> Void
        ) throws(DecodeError) {
            try LevelArrays.forEach(message, at: bids, .buy, priceScale: priceScale, quantityScale: quantityScale, field: "b", body)
            try LevelArrays.forEach(message, at: asks, .sell, priceScale: priceScale, quantityScale: quantityScale, field: "a", body)
        }
    }

    /// A `bookTicker`: the best bid and ask with sizes, and the order book update id `u` it reflects.
    public struct BookTicker {
        public var symbol: UnsafeRawBufferPointer
        public var updateId: UInt64
        public var bidPrice: UnsafeRawBufferPointer
        public var bidQuantity: UnsafeRawBufferPointer
        public var askPrice: UnsafeRawBufferPointer
        public var askQuantity: UnsafeRawBufferPointer
    }

    /// A `trade` or `aggTrade`.
    public struct Trade {
        public var symbol: UnsafeRawBufferPointer
        /// `t` (trade) or `a` (aggTrade).
        public var tradeId: UInt64
        public var price: UnsafeRawBufferPointer
        public var quantity: UnsafeRawBufferPointer
        /// `T`, as wall-clock ns.
        public var tradeTime: Nanos
        /// `m`: the buyer was the maker, so the aggressor sold.
        public var buyerIsMaker: Bool
    }

    public enum Message {
        case depth(DepthDiff)
        case bookTicker(BookTicker)
        case trade(Trade)
        /// A subscription answer (`{"result":null,"id":1}`) or another stream: nothing for the book.
        case other
    }

    /// The fields of one event object, as offsets of their values (-1: absent).
    struct Fields {
        var e = -1, E = -1, s = -1, U = -1, u = -1, b = -1, a = -1, B = -1, A = -1
        var p = -1, q = -1, t = -1, T = -1, m = -1, lastUpdateId = -1, bids = -1, asks = -1, result = -1
    }

    /// Decodes one WebSocket message in one pass with a `JSONCursor` (see `DepthDiff` for where a depth
    /// event's levels are read).
    /// - Throws: `DecodeError` for malformed or truncated JSON or a missing required field.
    public static func decode(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> Message {
        if let diff = quickDepthHeader(message) { return .depth(diff) }
        return try decodeInFull(message)
    }

    /// `decode` without the quick header match: any key order, white space, escapes; every problem named.
    static func decodeInFull(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> Message {
        var c = JSONCursor(message)
        var outer = Fields()
        var inner = Fields()
        var enveloped = false
        if let diff = try readObject(message, &c, &outer, &inner, top: true, enveloped: &enveloped) { return .depth(diff) }
        try c.expectEnd()
        return try classify(message, enveloped ? inner : outer)
    }

    /// Reads one object's fields into `f` (at the top level, the combined-stream envelope's `data` into
    /// `inner`). Returns a depth diff as soon as its header is complete and its levels begin.
    static func readObject(
        _ message: UnsafeRawBufferPointer, _ c: inout JSONCursor, _ f: inout Fields, _ inner: inout Fields, top: Bool,
        enveloped: inout Bool
    ) throws(DecodeError) -> DepthDiff? {
        try c.expect(0x7B, "{")
        if try c.consume(0x7D) { return nil }
        repeat {
            let key = try c.string()
            try c.expect(0x3A, ":")
            let next = try c.peek()
            if top && next == 0x7B && key.equals("data") {
                enveloped = true
                var none = Fields()
                if let diff = try readObject(message, &c, &inner, &none, top: false, enveloped: &enveloped) { return diff }
            } else if next == 0x5B && key.count == 1 && key[0] == UInt8(ascii: "b") && f.s >= 0 && f.U >= 0 && f.u >= 0
                && isDepthUpdate(message, f.e)
            {
                let first = try uint(message, f.U, "U")
                let last = try uint(message, f.u, "u")
                // An event's update ids run from U to u: the other way round, they are nonsense.
                guard first <= last else { throw .malformed(offset: f.U, expected: "U ≤ u") }
                return DepthDiff(
                    message: message, symbol: try string(message, f.s), firstUpdateId: first, finalUpdateId: last,
                    eventTime: try milliseconds(message, f.E), bids: c.offset, asks: -1, enveloped: !top)
            } else {
                try record(key, &c, &f)
            }
        } while try c.consume(0x2C)
        try c.expect(0x7D, "} or ,")
        return nil
    }

    static func isDepthUpdate(_ message: UnsafeRawBufferPointer, _ e: Int) -> Bool {
        guard e >= 0, let name = try? string(message, e) else { return false }
        return name.equals("depthUpdate")
    }

    /// Decodes the REST depth snapshot body.
    public static func decodeSnapshot(_ body: UnsafeRawBufferPointer) throws(DecodeError) -> DepthSnapshot {
        var c = JSONCursor(body)
        var fields = Fields()
        var none = Fields()
        var enveloped = false
        // `top: false`: a snapshot has no envelope (and no `b` to stop at).
        _ = try readObject(body, &c, &fields, &none, top: false, enveloped: &enveloped)
        try c.expectEnd()
        guard fields.lastUpdateId >= 0 else { throw .missingField("lastUpdateId") }
        guard fields.bids >= 0 else { throw .missingField("bids") }
        guard fields.asks >= 0 else { throw .missingField("asks") }
        return DepthSnapshot(
            message: body, lastUpdateId: try uint(body, fields.lastUpdateId, "lastUpdateId"), bids: fields.bids, asks: fields.asks)
    }

    static func record(_ key: UnsafeRawBufferPointer, _ s: inout JSONCursor, _ f: inout Fields) throws(DecodeError) {
        _ = try s.peek()
        let at = s.offset
        if key.count == 1 {
            switch key[0] {
            case UInt8(ascii: "e"): f.e = at
            case UInt8(ascii: "E"): f.E = at
            case UInt8(ascii: "s"): f.s = at
            case UInt8(ascii: "U"): f.U = at
            case UInt8(ascii: "u"): f.u = at
            case UInt8(ascii: "b"), UInt8(ascii: "a"):
                // A second `b` or `a`: which would count is anyone's guess, so the message is refused.
                guard (key[0] == UInt8(ascii: "b") ? f.b : f.a) < 0 else { throw .malformed(offset: at, expected: "one b and one a") }
                if key[0] == UInt8(ascii: "b") { f.b = at } else { f.a = at }
            case UInt8(ascii: "B"): f.B = at
            case UInt8(ascii: "A"): f.A = at
            case UInt8(ascii: "p"): f.p = at
            case UInt8(ascii: "q"): f.q = at
            case UInt8(ascii: "t"): f.t = at
            case UInt8(ascii: "T"): f.T = at
            case UInt8(ascii: "m"): f.m = at
            default: break
            }
        } else if key.equals("lastUpdateId") {
            f.lastUpdateId = at
        } else if key.equals("bids") {
            f.bids = at
        } else if key.equals("asks") {
            f.asks = at
        } else if key.equals("result") {
            f.result = at
        }
        try s.skipValue()
    }

    static func classify(_ message: UnsafeRawBufferPointer, _ f: Fields) throws(DecodeError) -> Message {
        var eventName = UnsafeRawBufferPointer(start: nil, count: 0)
        if f.e >= 0 { eventName = try string(message, f.e) }
        if eventName.equals("depthUpdate") {
            guard f.s >= 0 else { throw .missingField("s") }
            guard f.U >= 0 else { throw .missingField("U") }
            guard f.u >= 0 else { throw .missingField("u") }
            guard f.b >= 0 else { throw .missingField("b") }
            guard f.a >= 0 else { throw .missingField("a") }
            return .depth(DepthDiff(
                message: message, symbol: try string(message, f.s), firstUpdateId: try uint(message, f.U, "U"),
                finalUpdateId: try uint(message, f.u, "u"), eventTime: try milliseconds(message, f.E), bids: f.b, asks: f.a,
                enveloped: false))
        }
        if eventName.equals("trade") || eventName.equals("aggTrade") {
            let idField = eventName.equals("trade") ? f.t : f.a
            guard idField >= 0 else { throw .missingField(eventName.equals("trade") ? "t" : "a") }
            guard f.s >= 0, f.p >= 0, f.q >= 0, f.m >= 0 else { throw .missingField("s, p, q or m") }
            var m = JSONCursor(message, at: f.m)
            return .trade(Trade(
                symbol: try string(message, f.s), tradeId: try uint(message, idField, "trade id"), price: try string(message, f.p),
                quantity: try string(message, f.q), tradeTime: try milliseconds(message, f.T), buyerIsMaker: try m.bool()))
        }
        // bookTicker: with e (newer streams) or without (the older shape, which has u, s, b, B, a, A only).
        if eventName.equals("bookTicker") || (f.e < 0 && f.u >= 0 && f.B >= 0 && f.A >= 0) {
            guard f.s >= 0, f.u >= 0, f.b >= 0, f.B >= 0, f.a >= 0, f.A >= 0 else { throw .missingField("bookTicker field") }
            return .bookTicker(BookTicker(
                symbol: try string(message, f.s), updateId: try uint(message, f.u, "u"), bidPrice: try string(message, f.b),
                bidQuantity: try string(message, f.B), askPrice: try string(message, f.a), askQuantity: try string(message, f.A)))
        }
        if f.result >= 0 || f.e >= 0 { return .other }
        throw .unknownMessage
    }

    @inlinable
    static func string(_ message: UnsafeRawBufferPointer, _ at: Int) throws(DecodeError) -> UnsafeRawBufferPointer {
        guard at >= 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        var c = JSONCursor(message, at: at)
        return try c.string()
    }

    @inlinable
    static func uint(_ message: UnsafeRawBufferPointer, _ at: Int, _ field: StaticString) throws(DecodeError) -> UInt64 {
        var c = JSONCursor(message, at: at)
        return try c.uint64(field)
    }

    static func milliseconds(_ message: UnsafeRawBufferPointer, _ at: Int) throws(DecodeError) -> Nanos {
        try JSONCursor.milliseconds(message, at: at, "time")
    }
}
