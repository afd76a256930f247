import GantryCore

/// Binance spot market-data messages (WebSocket streams, raw or in the combined-stream envelope
/// `{"stream":…,"data":…}`, and the REST depth snapshot), decoded in place: fields are byte ranges of the
/// message until the caller asks for fixed-point values at the instrument's scales.
public enum Binance {
    /// A `depthUpdate` (diff. depth stream): levels to set, absolute quantities, 0 removes.
    public struct DepthDiff {
        public let message: UnsafeRawBufferPointer
        public var symbol: UnsafeRawBufferPointer
        /// `U`: the first update id in the event.
        public var firstUpdateId: UInt64
        /// `u`: the final update id in the event.
        public var finalUpdateId: UInt64
        /// `E`, as wall-clock ns.
        public var eventTime: Nanos
        @usableFromInline var bids: Int
        @usableFromInline var asks: Int

        /// Calls `body` for each level, bids first, parsed at the instrument's scales.
        /// - Throws: `DecodeError` if a level is not a pair of decimal strings at those scales.
        @inlinable
        public func forEachLevel(
            priceScale: Int, quantityScale: Int, _ body: (Side, Price, Quantity) -> Void
        ) throws(DecodeError) {
            try LevelArrays.forEach(message, at: bids, .buy, priceScale: priceScale, quantityScale: quantityScale, field: "b", body)
            try LevelArrays.forEach(message, at: asks, .sell, priceScale: priceScale, quantityScale: quantityScale, field: "a", body)
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

    /// Decodes one WebSocket message.
    /// - Throws: `DecodeError` for malformed or truncated JSON or a missing required field.
    public static func decode(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> Message {
        var scanner = JSONScanner(message)
        var fields = Fields()
        var inner = Fields()
        var enveloped = false
        try scanner.object { key, s throws(DecodeError) in
            if key.equals("data") {
                // The combined-stream envelope: the event is the data object (read in the same pass).
                enveloped = true
                try s.object { key, s throws(DecodeError) in try record(key, &s, &inner) }
            } else {
                try record(key, &s, &fields)
            }
        }
        return try classify(message, enveloped ? inner : fields)
    }

    /// Decodes the REST depth snapshot body.
    public static func decodeSnapshot(_ body: UnsafeRawBufferPointer) throws(DecodeError) -> DepthSnapshot {
        var scanner = JSONScanner(body)
        var fields = Fields()
        try scanner.object { key, s throws(DecodeError) in try record(key, &s, &fields) }
        guard fields.lastUpdateId >= 0 else { throw .missingField("lastUpdateId") }
        guard fields.bids >= 0 else { throw .missingField("bids") }
        guard fields.asks >= 0 else { throw .missingField("asks") }
        return DepthSnapshot(
            message: body, lastUpdateId: try uint(body, fields.lastUpdateId, "lastUpdateId"), bids: fields.bids, asks: fields.asks)
    }

    static func record(_ key: UnsafeRawBufferPointer, _ s: inout JSONScanner, _ f: inout Fields) throws(DecodeError) {
        let at = s.offset
        if key.count == 1 {
            switch key[0] {
            case UInt8(ascii: "e"): f.e = at
            case UInt8(ascii: "E"): f.E = at
            case UInt8(ascii: "s"): f.s = at
            case UInt8(ascii: "U"): f.U = at
            case UInt8(ascii: "u"): f.u = at
            case UInt8(ascii: "b"): f.b = at
            case UInt8(ascii: "a"): f.a = at
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
                finalUpdateId: try uint(message, f.u, "u"), eventTime: try milliseconds(message, f.E), bids: f.b, asks: f.a))
        }
        if eventName.equals("trade") || eventName.equals("aggTrade") {
            let idField = eventName.equals("trade") ? f.t : f.a
            guard idField >= 0 else { throw .missingField(eventName.equals("trade") ? "t" : "a") }
            guard f.s >= 0, f.p >= 0, f.q >= 0, f.m >= 0 else { throw .missingField("s, p, q or m") }
            var m = JSONScanner(message)
            m.offset = f.m
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
        var s = JSONScanner(message)
        s.offset = at
        return try s.string()
    }

    @inlinable
    static func uint(_ message: UnsafeRawBufferPointer, _ at: Int, _ field: StaticString) throws(DecodeError) -> UInt64 {
        var s = JSONScanner(message)
        s.offset = at
        return try s.uint64(field)
    }

    static func milliseconds(_ message: UnsafeRawBufferPointer, _ at: Int) throws(DecodeError) -> Nanos {
        guard at >= 0 else { return .zero }
        let ms = try uint(message, at, "time")
        guard ms < UInt64(Int64.max / 1_000_000) else { throw .badNumber(field: "time", .overflow) }
        return Nanos(raw: Int64(ms) * 1_000_000)
    }
}
