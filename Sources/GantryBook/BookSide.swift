import GantryCore

#if canImport(Glibc)
import Glibc
#endif

/// One price level.
@frozen
public struct BookLevel: Sendable, BitwiseCopyable, Equatable {
    public var price: Price
    public var quantity: Quantity

    @inlinable
    public init(price: Price, quantity: Quantity) {
        self.price = price
        self.quantity = quantity
    }
}

/// What setting a level did.
public enum LevelChange: Sendable, Equatable {
    case inserted
    case updated
    case removed
    /// A removal of a level the side did not hold (venues send these; nothing changes).
    case absent
    /// The side is full and the level is worse than every level held: not kept (deeper than the book keeps).
    case beyondDepth
}

/// One side of an L2 book: levels in one array allocated up front, sorted so that the best is last. Venue
/// updates cluster at the top of the book, so finding a level is a short walk from the end and inserting or
/// removing one there moves only the few better levels; the best level is read in O(1). When the side is
/// full, the worst level makes room for a better one. No allocation after `init`.
///
/// The levels are a window that slides along an allocation twice the capacity, with room kept on both sides
/// of it. Inserting or removing a level moves the levels on its shorter side, better or worse, so an update
/// deep in a large book (a diff near the book's far edge) moves few levels too: at most half the side.
/// Dropping the worst levels (a full side taking a better one, or `truncate(toDepth:)` after each update of a
/// depth-limited venue) moves the window's start instead of every level. When the window reaches either end
/// of the allocation it is moved back to the middle (at most once per `capacity / 2` levels it has moved by).
public struct BookSide: ~Copyable {
    public let side: Side
    public let capacity: Int
    /// How many levels the side holds.
    @inlinable public var count: Int { held }
    @usableFromInline var held = 0
    /// The window: `levels[0..<held]`, worst first, within `storage[0..<2 * capacity]`.
    @usableFromInline var levels: UnsafeMutablePointer<BookLevel>
    @usableFromInline let storage: UnsafeMutablePointer<BookLevel>
    @usableFromInline let storageEnd: UnsafeMutablePointer<BookLevel>
    /// 0 for bids, -1 (all bits) for asks: the sort key is the price, or its negation, without a branch.
    @usableFromInline let keyMask: Int64

    /// - Parameters:
    ///   - side: `.buy` for bids (best = highest), `.sell` for asks (best = lowest).
    ///   - capacity: The most levels kept.
    public init(_ side: Side, capacity: Int) {
        precondition(side != .none && capacity > 0, "a book side is bids or asks and holds at least one level")
        self.side = side
        self.capacity = capacity
        storage = .allocate(capacity: 2 * capacity)
        storageEnd = storage + 2 * capacity
        levels = storage + capacity / 2
        keyMask = side == .buy ? 0 : -1
    }

    deinit { storage.deallocate() }

    /// Makes room for one more level at the window's end, moving the window back to the allocation's middle
    /// when it has reached the end.
    @inlinable @inline(__always)
    mutating func roomAtEnd() {
        if levels + held == storageEnd { recentre() }
    }

    /// Moves the window to the middle of the allocation: as much room before it as after.
    @usableFromInline
    mutating func recentre() {
        let middle = storage + (2 * capacity - held) / 2
        memmove(middle, levels, held * MemoryLayout<BookLevel>.stride)
        levels = middle
    }

    /// Drops the `n` worst levels by moving the window's start.
    @inlinable @inline(__always)
    mutating func dropWorst(_ n: Int) {
        levels += n
        held -= n
    }

    /// The sort key: ascending in the array, best last.
    @inlinable @inline(__always)
    func key(_ price: Price) -> Int64 { (price.raw ^ keyMask) &- keyMask }

    /// The best level, if any.
    @inlinable
    public var best: BookLevel? { count > 0 ? levels[count - 1] : nil }

    /// The level `depth` places from the best (0 = best). - Precondition: depth < count.
    @inlinable
    public func level(_ depth: Int) -> BookLevel {
        precondition(depth >= 0 && depth < count, "depth beyond the book")
        return levels[count - 1 - depth]
    }

    /// Whether `a` is a better price than `b` on this side.
    @inlinable
    public func isBetter(_ a: Price, than b: Price) -> Bool { key(a) > key(b) }

    /// The index of the first level whose key is ≥ `k` (count if none): a walk from the best for the first
    /// 32 levels (updates cluster at the top, and a walk has no branch to mispredict until it stops), then a
    /// binary search.
    @inlinable @inline(__always)
    func lowerBound(_ k: Int64) -> Int {
        let levels = self.levels
        let mask = keyMask
        var i = held
        let stop = max(0, i &- 32)
        // The walk compares prices, not keys: bids ascend (the key is the price), asks descend (the key is
        // the negated price, so a key below `k` is a price above `-k`).
        if mask == 0 {
            while i > stop {
                if levels[i &- 1].price.raw < k { return i }
                i &-= 1
            }
        } else {
            let price = 0 &- k
            while i > stop {
                if levels[i &- 1].price.raw > price { return i }
                i &-= 1
            }
        }
        var low = 0
        var high = i
        while low < high {
            let mid = (low &+ high) &>> 1
            if (levels[mid].price.raw ^ mask) &- mask < k { low = mid &+ 1 } else { high = mid }
        }
        return low
    }

    /// The quantity held at `price` (zero if the side holds no such level).
    @inlinable
    public func quantity(at price: Price) -> Quantity {
        let i = lowerBound(key(price))
        return i < count && levels[i].price == price ? levels[i].quantity : .zero
    }

    /// Sets the quantity at `price`; zero removes the level.
    @discardableResult
    @inlinable
    public mutating func set(_ price: Price, _ quantity: Quantity) -> LevelChange {
        let k = key(price)
        let i = lowerBound(k)
        if i < count && levels[i].price == price {
            if quantity.isZero {
                // Close the gap from its shorter side: the better levels move down by one, or the worse ones
                // up by one and the window's start with them.
                let better = count &- i &- 1
                if better <= i {
                    move(from: i &+ 1, to: i, count: better)
                } else {
                    closeFromBelow(i)
                }
                held -= 1
                return .removed
            }
            levels[i].quantity = quantity
            return .updated
        }
        if quantity.isZero { return .absent }
        var at = i
        if count == capacity {
            if i == 0 { return .beyondDepth }
            // Drop the worst level: the window's start moves, and the new level goes in as below.
            dropWorst(1)
            at -= 1
        }
        // Open the gap on its shorter side: the worse levels move down by one into the room before the window
        // (its start moving down with them), or the better ones up by one.
        let better = count &- at
        if better <= at || levels == storage {
            roomAtEnd()
            move(from: at, to: at &+ 1, count: better)
        } else {
            openFromBelow(at)
        }
        levels[at] = BookLevel(price: price, quantity: quantity)
        held += 1
        return .inserted
    }

    /// Removes level `i` by moving the worse levels up by one, and the window's start with them (an update deep
    /// in the book: kept out of line, so that the common update near the top stays short).
    @usableFromInline @inline(never)
    mutating func closeFromBelow(_ i: Int) {
        move(from: 0, to: 1, count: i)
        levels += 1
    }

    /// Opens a gap at `at` by moving the worse levels down by one into the room before the window, and its
    /// start with them (out of line, as `closeFromBelow`). - Precondition: `levels > storage`.
    @usableFromInline @inline(never)
    mutating func openFromBelow(_ at: Int) {
        levels -= 1
        move(from: 1, to: 0, count: at)
    }

    /// Moves `count` levels within the array (the ranges may overlap).
    @inlinable
    func move(from source: Int, to destination: Int, count: Int) {
        guard count > 0 else { return }
        // Updates cluster at the top, so most moves are a few levels: a loop, in the direction that is safe
        // for the overlap, costs less than the call.
        if count <= 16 {
            if destination > source {
                var k = count &- 1
                while k >= 0 {
                    levels[destination &+ k] = levels[source &+ k]
                    k &-= 1
                }
            } else {
                for k in 0..<count { levels[destination &+ k] = levels[source &+ k] }
            }
            return
        }
        memmove(levels + destination, levels + source, count * MemoryLayout<BookLevel>.stride)
    }

    /// Removes every level.
    public mutating func removeAll() {
        held = 0
        levels = storage + capacity / 2
    }

    /// Keeps only the best `depth` levels (a venue's subscribed depth).
    public mutating func truncate(toDepth depth: Int) { truncate(toDepth: depth) { _ in } }

    /// Keeps only the best `depth` levels, telling `dropped` of each level it drops (worst first), so that
    /// whoever mirrors the book from its changes drops them too.
    @inlinable
    public mutating func truncate(toDepth depth: Int, dropped: (BookLevel) -> Void) {
        guard depth < count else { return }
        let n = count - max(depth, 0)
        for k in 0..<n { dropped(levels[k]) }
        dropWorst(n)
    }

    /// The quantity of the best `depth` levels together.
    public func cumulativeQuantity(depth: Int) -> Quantity {
        var total: Int64 = 0
        for d in 0..<min(depth, count) { total += levels[count - 1 - d].quantity.raw }
        return Quantity(raw: total)
    }

    /// What taking `quantity` from this side would fill and cost, walking from the best level.
    /// - Returns: The quantity available up to `quantity`, and its exact notional (price × quantity summed);
    ///   the volume-weighted price is notional / filled.
    public func sweep(_ quantity: Quantity) -> (filled: Quantity, notional: Notional) {
        var left = quantity.raw
        var notional: Int128 = 0
        var d = count - 1
        while left > 0 && d >= 0 {
            let take = min(left, levels[d].quantity.raw)
            notional += Int128(levels[d].price.raw) * Int128(take)
            left -= take
            d -= 1
        }
        return (Quantity(raw: quantity.raw - left), Notional(raw: notional))
    }

    /// The levels from the best, as values (tests and snapshots; allocates).
    public var array: [BookLevel] { (0..<count).map { level($0) } }
}
