import GantryCore

/// One level of a venue message, as decoded.
public struct BookUpdate: Sendable, Equatable {
    public var side: Side
    public var price: Price
    public var quantity: Quantity

    @inlinable
    public init(side: Side, price: Price, quantity: Quantity) {
        self.side = side
        self.price = price
        self.quantity = quantity
    }
}

/// A message's levels, decoded in full before any is applied, so that a malformed message leaves the book as
/// it was, and so that the loop that applies them (inlined where the sync's `apply` is called, with the
/// caller's `onLevel`) is a plain loop: the decoder's per-level closure only stores, which the optimiser folds
/// into the level reader (closure specialisation), instead of calling the book and `onLevel` through it.
/// Allocated once, with room for 256 levels; a larger message grows it (rare: a snapshot is loaded directly).
public struct LevelScratch: ~Copyable {
    @usableFromInline var levels: UnsafeMutablePointer<BookUpdate>
    @usableFromInline var capacity: Int

    public init(capacity: Int = 256) {
        self.capacity = max(capacity, 1)
        levels = .allocate(capacity: self.capacity)
    }

    deinit { levels.deallocate() }

    @inlinable
    public subscript(i: Int) -> BookUpdate { levels[i] }

    /// Decodes `message`'s levels into the scratch and returns how many there are.
    /// - Throws: The decoder's error (what was stored is then not to be used).
    @inlinable
    public mutating func decode<Message: BookLevelSource>(
        _ message: Message, priceScale: Int, quantityScale: Int
    ) throws(DecodeError) -> Int {
        var n = 0
        let levels = self.levels
        let capacity = self.capacity
        try message.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { side, price, quantity in
            if n < capacity { levels[n] = BookUpdate(side: side, price: price, quantity: quantity) }
            n &+= 1
        }
        if n > capacity { try decodeGrown(message, count: n, priceScale: priceScale, quantityScale: quantityScale) }
        return n
    }

    /// A message with more levels than any before it: the scratch grows once, and the message is decoded again.
    @usableFromInline
    mutating func decodeGrown<Message: BookLevelSource>(
        _ message: Message, count n: Int, priceScale: Int, quantityScale: Int
    ) throws(DecodeError) {
        levels.deallocate()
        capacity = max(n, 2 * capacity)
        levels = .allocate(capacity: capacity)
        let grown = levels
        var k = 0
        try message.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { side, price, quantity in
            grown[k] = BookUpdate(side: side, price: price, quantity: quantity)
            k &+= 1
        }
    }
}
