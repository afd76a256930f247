import CCRC32
import GantryBook
import GantryCore

/// What Kraken's WebSocket versions share: the book checksum and the book sync.
public enum Kraken {
    /// Kraken's book checksum (v1 and v2): for the 10 best asks (lowest first) then the 10 best bids (highest
    /// first), the price and the quantity printed with the pair's fixed decimals (v1 sends them so; v2 sends
    /// numbers, which the book holds at the pair's `price_precision` and `qty_precision`), the point and
    /// leading zeros removed, concatenated; CRC32 as an unsigned 32-bit integer.
    ///
    /// A value printed with exactly `scale` decimals, without its point and leading zeros, is the decimal
    /// text of its mantissa at that scale ("0.00100000" at scale 8 → mantissa 100000 → "100000"; zero → "0"),
    /// so the text is built from the mantissas into one stack buffer and hashed with one CRC32 call (folded with
    /// PCLMULQDQ where the CPU has it). No allocation.
    /// - Parameters:
    ///   - priceScale, quantityScale: The book's scales, which must be the pair's decimals.
    public static func checksum(_ book: borrowing L2Book, priceScale: Int, quantityScale: Int) -> UInt32 {
        // 16 zero bytes in front (the CRC folds the text whole, see `CRC32.checksum(zeroPadded:)`), 40 values of
        // at most 20 digits each, and the slack of one word store.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16 + 40 * 20 + 8) { buffer in
            let front = UnsafeMutableRawPointer(buffer.baseAddress!)
            front.storeBytes(of: 0, as: UInt64.self)
            front.storeBytes(of: 0, toByteOffset: 8, as: UInt64.self)
            let out = front + 16
            var n = 0
            // Mantissas in a book are non-negative (prices > 0, quantities ≥ 0).
            for i in 0..<min(10, book.asks.count) {
                let l = book.asks.level(i)
                n += DecimalText.write(UInt64(max(l.price.raw, 0)), to: out + n)
                n += DecimalText.write(UInt64(max(l.quantity.raw, 0)), to: out + n)
            }
            for i in 0..<min(10, book.bids.count) {
                let l = book.bids.level(i)
                n += DecimalText.write(UInt64(max(l.price.raw, 0)), to: out + n)
                n += DecimalText.write(UInt64(max(l.quantity.raw, 0)), to: out + n)
            }
            return CRC32.checksum(zeroPadded: buffer.baseAddress! + 16, count: n)
        }
    }
}

/// An unsigned integer's decimal text, eight digits at a time: the digits of a number below 10^8 are split
/// into halves, quarters and single digits in the lanes of one word (a few multiplies, no division loop).
enum DecimalText {
    /// Writes the digits of `value` (no leading zeros; "0" for zero) at `out` and returns how many. Stores
    /// whole words: `out` must have room for the digits and 8 bytes more.
    // Without recursion and inlined, so that the digits of consecutive values are worked out side by side (a
    // call per value kept them one after another: about 13 ns a value). The count comes from the value's bit
    // length, not from its digits: where the next value's text goes is then known long before this value's
    // digits are, and the values of a checksum text are converted side by side instead of one after another.
    @inline(__always)
    static func write(_ value: UInt64, to out: UnsafeMutableRawPointer) -> Int {
        let count = Int(gantry_decimal_digits(value))
        if value < 100_000_000 {
            storeTrimmed(value, count: count, to: out)
            return count
        }
        if value < 10_000_000_000_000_000 {
            let high = count &- 8
            storeTrimmed(value / 100_000_000, count: high, to: out)
            out.storeBytes(of: (eightDigits(value % 100_000_000) | 0x3030_3030_3030_3030).littleEndian, toByteOffset: high, as: UInt64.self)
            return count
        }
        let high = count &- 16
        storeTrimmed(value / 10_000_000_000_000_000, count: high, to: out)
        let rest = value % 10_000_000_000_000_000
        out.storeBytes(of: (eightDigits(rest / 100_000_000) | 0x3030_3030_3030_3030).littleEndian, toByteOffset: high, as: UInt64.self)
        out.storeBytes(of: (eightDigits(rest % 100_000_000) | 0x3030_3030_3030_3030).littleEndian, toByteOffset: high &+ 8, as: UInt64.self)
        return count
    }

    /// The last `count` (1...8) of the eight digits of `value` (< 10^8), as one word store.
    @inline(__always)
    static func storeTrimmed(_ value: UInt64, count: Int, to out: UnsafeMutableRawPointer) {
        let digits = eightDigits(value) | 0x3030_3030_3030_3030
        out.storeBytes(of: (digits &>> UInt64(truncatingIfNeeded: 8 &* (8 &- count))).littleEndian, as: UInt64.self)
    }

    /// The eight digits of `value` (< 10^8, with leading zeros) as byte values 0...9, the most significant in
    /// the lowest byte.
    @inline(__always)
    static func eightDigits(_ value: UInt64) -> UInt64 {
        // Two 32-bit lanes of four digits, four 16-bit lanes of two, eight bytes of one: at each step a lane's
        // quotient by 100 (or 10) by multiply and shift, exact for these ranges, its remainder beside it.
        let x = (value / 10_000) | ((value % 10_000) &<< 32)
        let hundreds = ((x &* 5_243) &>> 19) & 0x0000_007F_0000_007F
        let y = hundreds | ((x &- hundreds &* 100) &<< 16)
        let tens = ((y &* 103) &>> 10) & 0x000F_000F_000F_000F
        return tens | ((y &- tens &* 10) &<< 8)
    }
}

/// A Kraken book message, v1 or v2: a snapshot or an update, with the checksum of the top 10 after it.
public protocol KrakenBookMessage: BookLevelSource {
    var isSnapshot: Bool { get }
    var hasChecksum: Bool { get }
    var checksum: UInt32 { get }
}

extension KrakenV1.BookMessage: KrakenBookMessage {}
extension KrakenV2.BookMessage: KrakenBookMessage {}

/// Keeps one pair's Kraken v1 book.
public typealias KrakenV1BookSync = KrakenBookSync<KrakenV1.BookMessage>
/// Keeps one pair's Kraken v2 book.
public typealias KrakenV2BookSync = KrakenBookSync<KrakenV2.BookMessage>

/// Keeps one pair's Kraken book (v1 or v2) as Kraken documents it: the snapshot, then updates applied in order
/// (a price may change more than once in one message); after each message the book is cut to the subscribed
/// depth (Kraken sends no removal for levels that fall out of it) and the checksum over the top 10 verified.
/// There are no sequence numbers: the checksum is the check. A mismatch or a crossed book makes the book
/// stale until the owner resubscribes for a snapshot.
public struct KrakenBookSync<Message: KrakenBookMessage>: ~Copyable {
    public var book: L2Book
    public let priceScale: Int
    public let quantityScale: Int
    public let depth: Int
    public var counters: BookSyncCounters { storedCounters }
    public var checksumFailures: Int { storedChecksumFailures }
    // Stored apart from the public getters so that `apply` can be inlined where it is called (with the caller's
    // `onLevel` inlined into the level loop) without making the counters settable from outside.
    @usableFromInline var storedCounters = BookSyncCounters()
    /// An update's levels, decoded whole before any is applied.
    @usableFromInline var scratch = LevelScratch()
    @usableFromInline var storedChecksumFailures = 0
    /// The last checksum's text, for the levels still in the top 10 at the next.
    @usableFromInline var checksumText = KrakenChecksumText()

    public enum Outcome: Equatable, Sendable {
        case applied
        case waitingForSnapshot
        case checksumMismatch(expected: UInt32, computed: UInt32)
        case crossed
    }

    /// - Parameters:
    ///   - priceScale, quantityScale: The pair's decimals (v2 `price_precision`/`qty_precision`, v1
    ///     `pair_decimals`/`lot_decimals`): the checksum needs them.
    ///   - depth: The subscribed depth (10, 25, 100, 500 or 1000).
    public init(venue: VenueId, instrument: InstrumentId, priceScale: Int, quantityScale: Int, depth: Int) {
        book = L2Book(venue: venue, instrument: instrument, depth: max(2 * depth, depth + 64))
        self.priceScale = priceScale
        self.quantityScale = quantityScale
        self.depth = depth
        book.state = .syncing
    }

    /// - Parameter onLevel: Told of each level an update applies (not of a snapshot's: after a snapshot the
    ///   book is read whole).
    @inlinable
    public mutating func apply(_ message: Message, onLevel: (Side, Price, Quantity) -> Void = { _, _, _ in }) throws(DecodeError) -> Outcome {
        if !message.isSnapshot && book.state != .live {
            // Dropped, but read to the end all the same: a malformed update is reported either way.
            try message.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { _, _, _ in }
            return .waitingForSnapshot
        }
        try book.applyLevels(
            message, priceScale: priceScale, quantityScale: quantityScale, snapshot: message.isSnapshot, counters: &storedCounters, scratch: &scratch, onLevel: onLevel)
        // Levels pushed out of the subscribed depth: an update tells `onLevel` of each as removed (consumers
        // that mirror the book from its changes would keep them otherwise); a snapshot's book is read whole.
        if message.isSnapshot {
            book.bids.truncate(toDepth: depth)
            book.asks.truncate(toDepth: depth)
        } else {
            book.bids.truncate(toDepth: depth) { onLevel(.buy, $0.price, .zero) }
            book.asks.truncate(toDepth: depth) { onLevel(.sell, $0.price, .zero) }
        }
        storedCounters.applied += 1
        if message.hasChecksum {
            let computed = Kraken.checksum(book, priceScale: priceScale, quantityScale: quantityScale, reusing: &checksumText)
            if computed != message.checksum {
                storedChecksumFailures += 1
                book.state = .stale
                return .checksumMismatch(expected: message.checksum, computed: computed)
            }
        }
        if book.isCrossed {
            storedCounters.crossed += 1
            book.state = .stale
            return .crossed
        }
        book.state = .live
        return .applied
    }
}
