import GantryCore

/// Coinbase Advanced Trade WebSocket market data (`wss://advanced-trade-ws.coinbase.com`): every message is
/// `{"channel":…,"client_id":…,"timestamp":…,"sequence_num":N,"events":[…]}`, and `sequence_num` counts the
/// messages of the connection, one more each time; a skipped number is a lost message. The `level2` channel
/// (`"channel":"l2_data"`) carries events `{"type":"snapshot"|"update","product_id":…,"updates":[{"side":
/// "bid"|"offer","event_time":…,"price_level":"…","new_quantity":"…"}]}`, quantities absolute, "0" removes.
/// Decoded in place.
public enum CoinbaseAdvanced {
    public enum Channel: Sendable, Equatable {
        case level2
        case heartbeats
        case subscriptions
        /// Another channel (ticker, market_trades, …): its sequence number still counts.
        case other
    }

    public struct Message {
        public let message: UnsafeRawBufferPointer
        public var channel: Channel
        public var sequence: UInt64
        @usableFromInline var events: Int
        /// `decode` stopped at `events` (a level2 message whose channel and number came first, as Coinbase
        /// sends them): the events and the members after them are read, and checked, by `forEachBookEvent`.
        @usableFromInline var restUnread = false
        /// The first event of a message the quick path matched head and tail (`quickDecode`), whose updates
        /// are read once, by `BookEvent.forEachLevel`.
        @usableFromInline var quickEvent: BookEvent? = nil
        /// With `quickEvent`: where the matched tail (`}]}`) begins.
        @usableFromInline var quickTail = -1

        /// Calls `body` for each level2 event of the message (a snapshot or an update of one product).
        /// - Throws: `DecodeError` for a malformed event (after `body` has seen the events before it) or, when
        ///   `decode` left them unread, malformed or truncated bytes after the events.
        public func forEachBookEvent(_ body: (BookEvent) throws(DecodeError) -> Void) throws(DecodeError) {
            if let quickEvent { return try forQuickEvent(quickEvent, body) }
            guard channel == .level2, events >= 0 else { return }
            var c = JSONCursor(message, at: events)
            try c.expect(0x5B, "[")
            if !(try c.consume(0x5D)) {
                try readEvents(&c, body)
            }
            if restUnread {
                try c.skipRestOfObject()
                try c.expectEnd()
            }
        }

        /// The quick path's message: its first event goes to `body`, which reads the updates and notes where
        /// they end. As Coinbase sends it, they end where the tail begins and the message is done; otherwise
        /// (`body` did not read them, or more members or events follow) the rest is read in full generality.
        func forQuickEvent(_ first: BookEvent, _ body: (BookEvent) throws(DecodeError) -> Void) throws(DecodeError) {
            var event = first
            var reached = -1
            try withUnsafeMutablePointer(to: &reached) { (at: UnsafeMutablePointer<Int>) throws(DecodeError) in
                event.reached = at
                try body(event)
            }
            if reached == quickTail { return }
            var c = JSONCursor(message, at: event.updates)
            if reached >= 0 {
                c.offset = reached
            } else if !CoinbaseAdvanced.quickSkipUpdates(&c) {
                try c.skipValue()
            }
            if c.offset == quickTail { return }
            while try c.consume(0x2C) {
                let key = try c.string()
                try c.expect(0x3A, ":")
                // The quick path took these from the head: a second one is refused, as the general path does.
                if key.equals("type") || key.equals("product_id") || key.equals("updates") {
                    throw .malformed(offset: c.offset, expected: "one type, one product_id and one updates")
                }
                try c.skipValue()
            }
            try c.expect(0x7D, "} or ,")
            if try c.consume(0x2C) { try readEvents(&c, body) } else { try c.expect(0x5D, "] or ,") }
            try c.skipRestOfObject()
            try c.expectEnd()
        }

        func readEvents(_ c: inout JSONCursor, _ body: (BookEvent) throws(DecodeError) -> Void) throws(DecodeError) {
            repeat {
                var event = BookEvent(message: message, isSnapshot: false, product: UnsafeRawBufferPointer(start: nil, count: 0), updates: -1)
                var type = UnsafeRawBufferPointer(start: nil, count: 0)
                try c.expect(0x7B, "{")
                if !(try c.consume(0x7D)) {
                    repeat {
                        let key = try c.string()
                        try c.expect(0x3A, ":")
                        _ = try c.peek()
                        if (key.equals("type") && type.count > 0) || (key.equals("product_id") && event.product.count > 0)
                            || (key.equals("updates") && event.updates >= 0)
                        {
                            // Which would count is anyone's guess.
                            throw .malformed(offset: c.offset, expected: "one type, one product_id and one updates")
                        }
                        if key.equals("type") {
                            type = try c.string()
                        } else if key.equals("product_id") {
                            event.product = try c.string()
                        } else if key.equals("updates") {
                            event.updates = c.offset
                            if !CoinbaseAdvanced.quickSkipUpdates(&c) { try c.skipValue() }
                        } else {
                            try c.skipValue()
                        }
                    } while try c.consume(0x2C)
                    try c.expect(0x7D, "} or ,")
                }
                if type.equals("snapshot") { event.isSnapshot = true } else if !type.equals("update") { throw .missingField("type") }
                guard event.product.count > 0 else { throw .missingField("product_id") }
                guard event.updates >= 0 else { throw .missingField("updates") }
                try body(event)
            } while try c.consume(0x2C)
            try c.expect(0x5D, "] or ,")
        }
    }

    /// One product's snapshot or update within a level2 message. Valid only within `forEachBookEvent`'s body:
    /// it points into the message, and (for the quick path's message) notes where its updates end for the
    /// walk to read on from.
    public struct BookEvent {
        public let message: UnsafeRawBufferPointer
        public var isSnapshot: Bool
        public var product: UnsafeRawBufferPointer
        @usableFromInline var updates: Int
        /// Where to note the offset after the updates once they are read (the quick path's message), or nil.
        @usableFromInline var reached: UnsafeMutablePointer<Int>? = nil

        /// Each level in message order; quantity 0 removes the level.
        /// - Throws: `DecodeError` for a bad side, a missing field or a bad decimal.
        @inlinable
        public func forEachLevel(priceScale: Int, quantityScale: Int, _ body: (Side, Price, Quantity) -> Void) throws(DecodeError) {
            try LevelArrays.checkScales(priceScale, quantityScale, "updates")
            var c = JSONCursor(message, at: updates)
            try c.expect(0x5B, "[")
            if try c.consume(0x5D) {
                reached?.pointee = c.offset
                return
            }
            let quickPrice = ShortScale(priceScale)
            let quickQuantity = ShortScale(quantityScale)
            repeat {
                if let (side, price, quantity) = CoinbaseAdvanced.quickUpdate(&c, priceScale: quickPrice, quantityScale: quickQuantity) {
                    body(side, price, quantity)
                    continue
                }
                var side = Side.none
                var price: Int64 = -1
                var quantity: Int64 = -1
                try c.expect(0x7B, "{")
                if !(try c.consume(0x7D)) {
                    repeat {
                        let key = try c.string()
                        try c.expect(0x3A, ":")
                        if key.equals("price_level") {
                            price = try c.quotedDecimal(scale: priceScale, "price_level")
                        } else if key.equals("new_quantity") {
                            quantity = try c.quotedDecimal(scale: quantityScale, "new_quantity")
                        } else if key.equals("side") {
                            let s = try c.string()
                            // Coinbase's example shows "bid"; asks arrive as "offer" ("ask" accepted too).
                            if s.equals("bid") { side = .buy } else if s.equals("offer") || s.equals("ask") { side = .sell } else {
                                throw .malformed(offset: c.offset, expected: "side bid or offer")
                            }
                        } else {
                            try c.skipValue()
                        }
                    } while try c.consume(0x2C)
                    try c.expect(0x7D, "} or ,")
                }
                guard side != .none else { throw .missingField("side") }
                guard price > 0 else { throw price < 0 ? .missingField("price_level") : .badNumber(field: "price_level", nil) }
                guard quantity >= 0 else { throw .missingField("new_quantity") }
                body(side, Price(raw: price), Quantity(raw: quantity))
            } while try c.consume(0x2C)
            try c.expect(0x5D, "] or ,")
            reached?.pointee = c.offset
        }
    }

    /// One update exactly as Coinbase sends it, `{"side":"bid"|"offer","event_time":"…","price_level":"…",
    /// "new_quantity":"…"}` with no white space and no escape, matched literally with no key lookup; the cursor
    /// is left after its closing brace. Nil (the cursor untouched) for anything else, which the general read then
    /// takes or rejects with the problem named.
    @inlinable @inline(__always)
    static func quickUpdate(_ c: inout JSONCursor, priceScale: ShortScale, quantityScale: ShortScale) -> (Side, Price, Quantity)? {
        guard var m = LiteralMatcher(c.bytes) else { return nil }
        m.i = c.offset
        guard m.literal(#"{"side":""#) else { return nil }
        let side: Side
        if m.literal(#"bid","event_time":""#) {
            side = .buy
        } else if m.literal(#"offer","event_time":""#) {
            side = .sell
        } else {
            return nil
        }
        guard m.plainString() != nil, m.literal(#","price_level":""#),
            let price = m.decimal(scale: priceScale), price > 0, m.literal(#"","new_quantity":""#),
            let quantity = m.decimal(scale: quantityScale), m.literal(#""}"#)
        else { return nil }
        c.offset = m.i
        return (side, Price(raw: price), Quantity(raw: quantity))
    }

    /// Steps over an `updates` array whose updates all have Coinbase's layout (see `quickUpdate`), string by
    /// string, for the event walk (the levels are read by `BookEvent.forEachLevel`); the cursor is left after
    /// the array. False (the cursor untouched) for anything else, which `JSONCursor.skipValue` then steps over.
    static func quickSkipUpdates(_ c: inout JSONCursor) -> Bool {
        guard var m = LiteralMatcher(c.bytes) else { return false }
        m.i = c.offset
        guard m.literal("[") else { return false }
        if !m.literal("]") {
            repeat {
                guard m.literal(#"{"side":""#), m.plainString() != nil, m.literal(#","event_time":""#), m.plainString() != nil,
                    m.literal(#","price_level":""#), m.plainString() != nil, m.literal(#","new_quantity":""#),
                    m.plainString() != nil, m.literal("}")
                else { return false }
            } while m.literal(",")
            guard m.literal("]") else { return false }
        }
        c.offset = m.i
        return true
    }
}

extension CoinbaseAdvanced {
    /// Decodes the envelope of any Advanced Trade market-data message.
    /// - Throws: `DecodeError`; `.unknownMessage` for a message without `channel` (an error reply is
    ///   `{"type":"error","message":…}`).
    public static func decode(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> Message {
        if let quick = quickDecode(message) { return quick }
        return try decodeInFull(message)
    }

    /// A level2 message exactly as Coinbase sends it: `channel`, `client_id`, `timestamp`, `sequence_num`, then
    /// `events` whose first event has `type`, `product_id` and `updates` in that order, with no white space,
    /// and the message ending `}]}`. The head is matched literally up to the updates array, so the updates are
    /// not stepped over here: `BookEvent.forEachLevel` reads them once, and `forEachBookEvent` finds the
    /// message done if they end where the tail begins (one event, as Coinbase sends it), or reads on.
    /// - Returns: Nil for anything else (another channel or order, white space, an escape): `decode` then
    ///   reads the message in full generality and names any problem.
    @inline(__always)
    static func quickDecode(_ message: UnsafeRawBufferPointer) -> Message? {
        guard var m = LiteralMatcher(message),
            m.literal(#"{"channel":"l2_data","client_id":""#), m.plainString() != nil,
            m.literal(#","timestamp":""#), m.plainString() != nil,
            m.literal(#","sequence_num":"#), let sequence = m.integer(),
            m.literal(#","events":["#)
        else { return nil }
        let events = m.i &- 1
        guard m.literal(#"{"type":""#), let type = m.plainString(),
            m.literal(#","product_id":""#), let product = m.plainString(), product.count > 0,
            m.literal(#","updates":"#), m.next == 0x5B
        else { return nil }
        let isSnapshot: Bool
        if type.equals("snapshot") { isSnapshot = true } else if type.equals("update") { isSnapshot = false } else { return nil }
        let updates = m.i
        m.i &+= 1
        guard let end = m.literal("}]}", before: m.end) else { return nil }
        return Message(
            message: message, channel: .level2, sequence: sequence, events: events, restUnread: false,
            quickEvent: BookEvent(message: message, isSnapshot: isSnapshot, product: product, updates: updates), quickTail: end)
    }

    /// `decode` in full generality: any key order, white space, escapes; every problem named.
    static func decodeInFull(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> Message {
        var c = JSONCursor(message)
        var channel = UnsafeRawBufferPointer(start: nil, count: 0)
        var sequence: UInt64? = nil
        var events = -1
        try c.expect(0x7B, "{")
        if !(try c.consume(0x7D)) {
            repeat {
                let key = try c.string()
                try c.expect(0x3A, ":")
                let next = try c.peek()
                if key.equals("channel") && next == 0x22 {
                    channel = try c.string()
                } else if key.equals("sequence_num") {
                    sequence = try c.uint64("sequence_num")
                } else if key.equals("events"), let sequence, channel.equals("l2_data") {
                    // The book events are read once, by `forEachBookEvent`, with what follows them.
                    return Message(message: message, channel: .level2, sequence: sequence, events: c.offset, restUnread: true)
                } else {
                    if key.equals("events") { events = c.offset }
                    try c.skipValue()
                }
            } while try c.consume(0x2C)
            try c.expect(0x7D, "} or ,")
        }
        try c.expectEnd()
        guard channel.count > 0 else { throw .unknownMessage }
        guard let sequence else { throw .missingField("sequence_num") }
        let kind: Channel =
            channel.equals("l2_data") ? .level2 : channel.equals("heartbeats") ? .heartbeats
            : channel.equals("subscriptions") ? .subscriptions : .other
        if kind == .level2 && events < 0 { throw .missingField("events") }
        return Message(message: message, channel: kind, sequence: sequence, events: events, restUnread: false)
    }
}

/// The per-connection `sequence_num` check: each message must carry the previous number + 1. A lower or
/// equal number is a repeat (ignored); a higher one means messages were lost, and every book on the
/// connection must be rebuilt (resubscribe for new snapshots).
public struct CoinbaseSequence: Sendable {
    public private(set) var last: UInt64? = nil
    public private(set) var gaps = 0
    public private(set) var repeats = 0

    public enum Verdict: Equatable, Sendable {
        case next
        case repeated
        case gap(expected: UInt64, got: UInt64)
    }

    public init() {}

    /// Checks one message's number. After a gap the tracker follows the new numbers.
    public mutating func check(_ sequence: UInt64) -> Verdict {
        guard let last else {
            self.last = sequence
            return .next
        }
        if sequence <= last {
            repeats += 1
            return .repeated
        }
        self.last = sequence
        if sequence == last + 1 { return .next }
        gaps += 1
        return .gap(expected: last + 1, got: sequence)
    }

    /// A new connection starts its numbers again.
    public mutating func reset() { last = nil }
}

/// The Coinbase Exchange feed (`ws-feed.exchange.coinbase.com`), whose `level2` channel is
/// `{"type":"snapshot","product_id":…,"bids":[[px,sz]],"asks":…}` then `{"type":"l2update","product_id":…,
/// "changes":[["buy"|"sell",px,sz]],"time":…}` (no sequence numbers), and whose `ticker` carries the best bid
/// and ask. Decoded in place.
public enum CoinbaseExchange {
    public enum Message {
        case snapshot(Book)
        case update(Book)
        case ticker(Ticker)
        /// Subscriptions, matches, heartbeats: nothing for the book.
        case other
    }

    public struct Book {
        public let message: UnsafeRawBufferPointer
        public var product: UnsafeRawBufferPointer
        @usableFromInline var bids: Int
        @usableFromInline var asks: Int
        @usableFromInline var changes: Int

        /// Each level (snapshot: bids then asks; update: the changes in order); size 0 removes the level.
        @inlinable
        public func forEachLevel(priceScale: Int, quantityScale: Int, _ body: (Side, Price, Quantity) -> Void) throws(DecodeError) {
            if changes < 0 {
                try LevelArrays.forEach(message, at: bids, .buy, priceScale: priceScale, quantityScale: quantityScale, field: "bids", body)
                try LevelArrays.forEach(message, at: asks, .sell, priceScale: priceScale, quantityScale: quantityScale, field: "asks", body)
                return
            }
            try LevelArrays.checkScales(priceScale, quantityScale, "changes")
            var c = JSONCursor(message, at: changes)
            try c.expect(0x5B, "[")
            if try c.consume(0x5D) { return }
            repeat {
                try c.expect(0x5B, "[")
                let s = try c.string()
                let side: Side = s.equals("buy") ? .buy : s.equals("sell") ? .sell : .none
                guard side != .none else { throw .malformed(offset: c.offset, expected: "side buy or sell") }
                try c.expect(0x2C, ",")
                let price = try c.quotedDecimal(scale: priceScale, "changes")
                try c.expect(0x2C, ",")
                let size = try c.quotedDecimal(scale: quantityScale, "changes")
                try c.expect(0x5D, "]")
                guard price > 0, size >= 0 else { throw .badNumber(field: "changes", nil) }
                body(side, Price(raw: price), Quantity(raw: size))
            } while try c.consume(0x2C)
            try c.expect(0x5D, "] or ,")
        }
    }

    public struct Ticker {
        public var product: UnsafeRawBufferPointer
        public var sequence: UInt64
        public var bestBid: UnsafeRawBufferPointer
        public var bestAsk: UnsafeRawBufferPointer
    }

    public static func decode(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> Message {
        var c = JSONCursor(message)
        var type = UnsafeRawBufferPointer(start: nil, count: 0)
        var product = UnsafeRawBufferPointer(start: nil, count: 0)
        var bestBid = UnsafeRawBufferPointer(start: nil, count: 0)
        var bestAsk = UnsafeRawBufferPointer(start: nil, count: 0)
        var bids = -1, asks = -1, changes = -1, sequence = -1
        try c.expect(0x7B, "{")
        if !(try c.consume(0x7D)) {
            repeat {
                let key = try c.string()
                try c.expect(0x3A, ":")
                let next = try c.peek()
                if next == 0x22 && key.equals("type") {
                    type = try c.string()
                } else if next == 0x22 && key.equals("product_id") {
                    product = try c.string()
                } else if next == 0x22 && key.equals("best_bid") {
                    bestBid = try c.string()
                } else if next == 0x22 && key.equals("best_ask") {
                    bestAsk = try c.string()
                } else {
                    if key.equals("bids") { bids = c.offset } else if key.equals("asks") { asks = c.offset } else if key.equals("changes") {
                        changes = c.offset
                    } else if key.equals("sequence") { sequence = c.offset }
                    try c.skipValue()
                }
            } while try c.consume(0x2C)
            try c.expect(0x7D, "} or ,")
        }
        try c.expectEnd()
        if type.equals("snapshot") {
            guard product.count > 0 else { throw .missingField("product_id") }
            guard bids >= 0, asks >= 0 else { throw .missingField("bids or asks") }
            return .snapshot(Book(message: message, product: product, bids: bids, asks: asks, changes: -1))
        }
        if type.equals("l2update") {
            guard product.count > 0 else { throw .missingField("product_id") }
            guard changes >= 0 else { throw .missingField("changes") }
            return .update(Book(message: message, product: product, bids: -1, asks: -1, changes: changes))
        }
        if type.equals("ticker") {
            guard product.count > 0, sequence >= 0 else { throw .missingField("product_id or sequence") }
            var s = JSONCursor(message, at: sequence)
            return .ticker(Ticker(product: product, sequence: try s.uint64("sequence"), bestBid: bestBid, bestAsk: bestAsk))
        }
        guard type.count > 0 else { throw .unknownMessage }
        return .other
    }
}
