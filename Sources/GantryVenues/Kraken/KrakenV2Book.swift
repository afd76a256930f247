import GantryBook
import GantryCore

/// Kraken Spot WebSocket v2 `book` channel: `{"channel":"book","type":"snapshot"|"update","data":[{"symbol":…,
/// "bids":[{"price":…,"qty":…}],"asks":[…],"checksum":…,"timestamp":…}]}`. Prices and quantities are JSON
/// numbers at the engine's precision, read from their text (never through `Double`). The book is the first
/// and only element of `data`. Decoded in place.
public enum KrakenV2 {
    public struct BookMessage {
        public let message: UnsafeRawBufferPointer
        public var isSnapshot: Bool
        public var symbol: UnsafeRawBufferPointer
        /// The CRC32 of the top 10 asks and bids after this message.
        public var checksum: UInt32
        public var hasChecksum: Bool
        @usableFromInline var bids: Int
        @usableFromInline var asks: Int

        /// Each level in message order (bids, then asks); quantity 0 removes the level.
        @inlinable
        public func forEachLevel(priceScale: Int, quantityScale: Int, _ body: (Side, Price, Quantity) -> Void) throws(DecodeError) {
            if bids >= 0 {
                try LevelObjects.forEach(
                    message, at: bids, .buy, priceKey: "price", quantityKey: "qty", priceScale: priceScale,
                    quantityScale: quantityScale, body)
            }
            if asks >= 0 {
                try LevelObjects.forEach(
                    message, at: asks, .sell, priceKey: "price", quantityKey: "qty", priceScale: priceScale,
                    quantityScale: quantityScale, body)
            }
        }
    }

    /// Decodes a book push. - Throws: `DecodeError`; `.unknownMessage` for other channels (`heartbeat`,
    /// `trade`, …) and method replies (`subscribe`, `pong`).
    public static func decodeBook(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> BookMessage {
        var c = ByteCursor(message, at: 0)
        var channel = UnsafeRawBufferPointer(start: nil, count: 0)
        var type = UnsafeRawBufferPointer(start: nil, count: 0)
        var data = -1
        try c.expect(0x7B, "{")
        if !(try c.consume(0x7D)) {
            repeat {
                let key = try c.string()
                try c.expect(0x3A, ":")
                let next = try c.peek()
                if key.equals("channel") && next == 0x22 {
                    channel = try c.string()
                } else if key.equals("type") && next == 0x22 {
                    type = try c.string()
                } else {
                    if key.equals("data") { data = c.i }
                    try c.skipValue()
                }
            } while try c.consume(0x2C)
            try c.expect(0x7D, "} or ,")
        }
        guard channel.equals("book") else { throw .unknownMessage }
        let isSnapshot: Bool
        if type.equals("snapshot") { isSnapshot = true } else if type.equals("update") { isSnapshot = false } else {
            throw .missingField("type")
        }
        guard data >= 0 else { throw .missingField("data") }
        var result = BookMessage(
            message: message, isSnapshot: isSnapshot, symbol: UnsafeRawBufferPointer(start: nil, count: 0), checksum: 0,
            hasChecksum: false, bids: -1, asks: -1)
        var d = ByteCursor(message, at: data)
        try d.expect(0x5B, "[")
        try d.expect(0x7B, "{ (the book)")
        if !(try d.consume(0x7D)) {
            repeat {
                let key = try d.string()
                try d.expect(0x3A, ":")
                _ = try d.peek()
                if key.equals("symbol") {
                    result.symbol = try d.string()
                    continue
                }
                if key.equals("checksum") {
                    let value = try d.uint64("checksum")
                    guard value <= UInt64(UInt32.max) else { throw .badNumber(field: "checksum", .overflow) }
                    result.checksum = UInt32(value)
                    result.hasChecksum = true
                    continue
                }
                if key.equals("bids") { result.bids = d.i } else if key.equals("asks") { result.asks = d.i }
                try d.skipValue()
            } while try d.consume(0x2C)
            try d.expect(0x7D, "} or ,")
        }
        // "The book element is always the first and only item": anything after it is read past, not used.
        while try d.consume(0x2C) { try d.skipValue() }
        try d.expect(0x5D, "] or ,")
        guard result.symbol.count > 0 else { throw .missingField("symbol") }
        guard result.bids >= 0 || result.asks >= 0 else { throw .missingField("bids or asks") }
        return result
    }
}

/// Keeps one pair's Kraken v2 book as Kraken documents it: the snapshot, then updates applied in order (a
/// price may change more than once in one message); after each message the book is cut to the subscribed
/// depth (Kraken sends no removal for levels that fall out of it) and the checksum over the top 10 verified.
/// There are no sequence numbers: the checksum is the check. A mismatch or a crossed book makes the book
/// stale until the owner resubscribes for a snapshot.
public struct KrakenV2BookSync: ~Copyable {
    public var book: L2Book
    public let priceScale: Int
    public let quantityScale: Int
    public let depth: Int
    public private(set) var counters = BookSyncCounters()
    public private(set) var checksumFailures = 0

    public enum Outcome: Equatable, Sendable {
        case applied
        case waitingForSnapshot
        case checksumMismatch(expected: UInt32, computed: UInt32)
        case crossed
    }

    /// - Parameters:
    ///   - priceScale, quantityScale: The pair's `price_precision` and `qty_precision` (the checksum needs them).
    ///   - depth: The subscribed depth (10, 25, 100, 500 or 1000).
    public init(venue: VenueId, instrument: InstrumentId, priceScale: Int, quantityScale: Int, depth: Int) {
        book = L2Book(venue: venue, instrument: instrument, depth: depth + 64)
        self.priceScale = priceScale
        self.quantityScale = quantityScale
        self.depth = depth
        book.state = .syncing
    }

    /// - Parameter onLevel: Told of each level an update applies (not of a snapshot's: after a snapshot the
    ///   book is read whole).
    public mutating func apply(_ message: KrakenV2.BookMessage, onLevel: (Side, Price, Quantity) -> Void = { _, _, _ in }) throws(DecodeError) -> Outcome {
        if !message.isSnapshot && book.state != .live { return .waitingForSnapshot }
        try book.applyLevels(
            message, priceScale: priceScale, quantityScale: quantityScale, snapshot: message.isSnapshot, counters: &counters, onLevel: onLevel)
        book.bids.truncate(toDepth: depth)
        book.asks.truncate(toDepth: depth)
        counters.applied += 1
        if message.hasChecksum {
            let computed = Kraken.checksum(book, priceScale: priceScale, quantityScale: quantityScale)
            if computed != message.checksum {
                checksumFailures += 1
                book.state = .stale
                return .checksumMismatch(expected: message.checksum, computed: computed)
            }
        }
        if book.isCrossed {
            counters.crossed += 1
            book.state = .stale
            return .crossed
        }
        book.state = .live
        return .applied
    }
}
