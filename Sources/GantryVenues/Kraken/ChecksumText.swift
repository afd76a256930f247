import GantryBook
import GantryCore

/// The checksum text of the 10 best levels of each side as the last checksum wrote it, kept by a
/// `KrakenBookSync` between messages: a level whose price and quantity are unchanged since then copies its
/// text from there instead of converting its two mantissas again, and a top 10 unchanged as a whole (an
/// update deeper in the book) gives the last checksum again without writing or hashing anything. Most of the
/// top 10 is unchanged after an update (an update moves a few levels; one deeper in the book moves none).
///
/// Two texts, the last one and the one being written, each with the 16 zero bytes in front that the CRC's
/// fold needs (`CRC32.checksum(zeroPadded:)`); and for each, 20 slots (asks, then bids) of a level's price and
/// quantity (the key) and where its text lies. Allocated once.
public struct KrakenChecksumText: ~Copyable {
    /// A text: 16 zero bytes, 40 values of at most 20 digits each, the slack of a 40-byte copy.
    @usableFromInline static var textSize: Int { 16 + 40 * 20 + 40 }
    @usableFromInline let texts: UnsafeMutableRawPointer
    /// 2 × 20 slots of four values: a level's price, its quantity, the offset of its text, and the length of its
    /// price's text (high 32 bits) and of its whole text (low 32 bits).
    @usableFromInline let slots: UnsafeMutablePointer<Int64>
    /// Which text holds the last checksum's levels, and how many of each side it holds.
    @usableFromInline var current = 0
    @usableFromInline var askCount = 0
    @usableFromInline var bidCount = 0
    /// The last checksum, and whether there is one.
    @usableFromInline var lastChecksum: UInt32 = 0
    @usableFromInline var hasLast = false

    public init() {
        texts = .allocate(byteCount: 2 * Self.textSize, alignment: 16)
        texts.initializeMemory(as: UInt8.self, repeating: 0, count: 2 * Self.textSize)
        slots = .allocate(capacity: 2 * 20 * 4)
        slots.initialize(repeating: 0, count: 2 * 20 * 4)
    }

    deinit {
        texts.deallocate()
        slots.deallocate()
    }

    /// Whether one side's 10 best levels are those of `old`, in the same order.
    @inline(__always)
    static func unchanged(_ side: borrowing BookSide, old: UnsafeMutablePointer<Int64>, oldCount: Int) -> Bool {
        guard min(10, side.count) == oldCount else { return false }
        for i in 0..<oldCount {
            let level = side.level(i)
            if old[i &* 4] != max(level.price.raw, 0) || old[i &* 4 &+ 1] != max(level.quantity.raw, 0) { return false }
        }
        return true
    }

    /// Writes the text of one side's 10 best levels at `text + n` (advancing `n`), noting each level in
    /// `slots`, and copying the text of each level unchanged since from `oldText` (the old levels are walked
    /// beside the new ones: both lists are in the side's order, best first). Returns how many levels it wrote.
    @inline(__always)
    static func writeSide(
        _ side: borrowing BookSide, ascending: Bool, old: UnsafeMutablePointer<Int64>, oldCount: Int,
        oldText: UnsafeMutableRawPointer, slots: UnsafeMutablePointer<Int64>, text: UnsafeMutableRawPointer, _ n: inout Int
    ) -> Int {
        let count = min(10, side.count)
        var j = 0
        for i in 0..<count {
            let level = side.level(i)
            // Mantissas in a book are non-negative (prices > 0, quantities ≥ 0).
            let price = max(level.price.raw, 0)
            let quantity = max(level.quantity.raw, 0)
            // Old levels better than this one are gone from the top 10 (or moved past it): skip them.
            while j < oldCount && (ascending ? old[j &* 4] < price : old[j &* 4] > price) { j &+= 1 }
            let length: Int
            let priceLength: Int
            if j < oldCount && old[j &* 4] == price {
                // Written a message ago: at most 40 bytes, copied a word at a time (two words for the common level
                // of at most 16 digits). A level whose quantity changed copies its price's text and writes the
                // quantity's after it.
                let from = oldText + Int(old[j &* 4 &+ 2])
                let lengths = old[j &* 4 &+ 3]
                priceLength = Int(lengths &>> 32)
                (text + n).storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
                (text + n).storeBytes(of: from.loadUnaligned(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
                if old[j &* 4 &+ 1] == quantity {
                    length = Int(lengths & 0xFFFF_FFFF)
                    if length > 16 {
                        for w in stride(from: 16, to: 40, by: 8) {
                            (text + n).storeBytes(of: from.loadUnaligned(fromByteOffset: w, as: UInt64.self), toByteOffset: w, as: UInt64.self)
                        }
                    }
                } else {
                    if priceLength > 16 {
                        (text + n).storeBytes(of: from.loadUnaligned(fromByteOffset: 16, as: UInt64.self), toByteOffset: 16, as: UInt64.self)
                    }
                    length = priceLength &+ DecimalText.write(UInt64(quantity), to: text + (n &+ priceLength))
                }
                j &+= 1
            } else {
                priceLength = DecimalText.write(UInt64(price), to: text + n)
                length = priceLength &+ DecimalText.write(UInt64(quantity), to: text + (n &+ priceLength))
            }
            let slot = slots + i &* 4
            slot[0] = price
            slot[1] = quantity
            slot[2] = Int64(n)
            slot[3] = Int64(priceLength) &<< 32 | Int64(length)
            n &+= length
        }
        return count
    }
}

extension Kraken {
    /// `checksum(_:priceScale:quantityScale:)`, copying the text of the levels unchanged since the last call
    /// with the same `text` (which must always be used with the same scales) instead of writing it again.
    public static func checksum(
        _ book: borrowing L2Book, priceScale: Int, quantityScale: Int, reusing text: inout KrakenChecksumText
    ) -> UInt32 {
        let size = KrakenChecksumText.textSize
        // Each text starts after its 16 zero bytes; slots: 20 per text, asks first.
        let oldText = text.texts + text.current &* size + 16
        let newText = text.texts + (1 &- text.current) &* size + 16
        let old = text.slots + text.current &* 80
        let new = text.slots + (1 &- text.current) &* 80
        // The top 10 as it was (an update deeper in the book, or none in it): the same text, the same CRC.
        if text.hasLast && KrakenChecksumText.unchanged(book.asks, old: old, oldCount: text.askCount)
            && KrakenChecksumText.unchanged(book.bids, old: old + 40, oldCount: text.bidCount)
        {
            return text.lastChecksum
        }
        var n = 0
        let asks = KrakenChecksumText.writeSide(
            book.asks, ascending: true, old: old, oldCount: text.askCount, oldText: oldText, slots: new, text: newText, &n)
        let bids = KrakenChecksumText.writeSide(
            book.bids, ascending: false, old: old + 40, oldCount: text.bidCount, oldText: oldText, slots: new + 40, text: newText, &n)
        text.current = 1 &- text.current
        text.askCount = asks
        text.bidCount = bids
        text.lastChecksum = CRC32.checksum(zeroPadded: UnsafePointer(newText.assumingMemoryBound(to: UInt8.self)), count: n)
        text.hasLast = true
        return text.lastChecksum
    }
}
