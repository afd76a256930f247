import GantryCore

/// Whether a book may be used.
public enum BookState: UInt8, Sendable, BitwiseCopyable {
    /// Nothing yet (before the first snapshot).
    case empty = 0
    /// A snapshot is being taken and updates buffered: not for trading.
    case syncing = 1
    /// In step with the venue.
    case live = 2
    /// A gap, a bad checksum, a crossed book or a dropped connection: not for trading until resynced.
    case stale = 3
}

/// The L2 book of one instrument on one venue: bids and asks, the venue's last applied sequence, and whether
/// it is live. The venue's sync rules (which update applies when) live with its decoder; the book applies
/// levels and answers queries, without allocating.
public struct L2Book: ~Copyable {
    public let venue: VenueId
    public let instrument: InstrumentId
    public var bids: BookSide
    public var asks: BookSide
    public var state = BookState.empty
    /// The venue's sequence of the last update applied (Binance `u`, OKX `seqId`, Bybit `u`, …).
    public var sequence: UInt64 = 0

    /// - Parameter depth: The most levels kept per side.
    public init(venue: VenueId, instrument: InstrumentId, depth: Int = 5_000) {
        self.venue = venue
        self.instrument = instrument
        bids = BookSide(.buy, capacity: depth)
        asks = BookSide(.sell, capacity: depth)
    }

    /// Sets one level (quantity 0 removes it).
    @discardableResult
    @inlinable
    public mutating func apply(_ side: Side, _ price: Price, _ quantity: Quantity) -> LevelChange {
        side == .buy ? bids.set(price, quantity) : asks.set(price, quantity)
    }

    /// Empties both sides (before a snapshot).
    public mutating func clear() {
        bids.removeAll()
        asks.removeAll()
        sequence = 0
    }

    /// True when the best bid is at or above the best ask: never true of a correct book.
    public var isCrossed: Bool {
        guard let b = bids.best, let a = asks.best else { return false }
        return b.price >= a.price
    }

    /// Mid price × 2 (exact; halve at the caller's scale when needed), nil if a side is empty.
    public var doubleMid: Int64? {
        guard let b = bids.best, let a = asks.best else { return nil }
        return b.price.raw + a.price.raw
    }
}

extension L2Book {
    /// Loads a snapshot into the (cleared) book. Venues list each side best first, and a level worse than every
    /// level held would move the whole side (the best is last); so the levels are gathered and applied worst
    /// first, each landing at the end. Allocates a temporary array: snapshots are rare, updates never come here.
    /// - Parameter levels: Calls its argument for each of the snapshot's levels.
    public mutating func load<E: Error>(
        _ levels: ((Side, Price, Quantity) -> Void) throws(E) -> Void
    ) throws(E) {
        var gathered: [BookLevel] = []
        var sides: [Side] = []
        try levels { side, price, quantity in
            gathered.append(BookLevel(price: price, quantity: quantity))
            sides.append(side)
        }
        for k in gathered.indices.reversed() { apply(sides[k], gathered[k].price, gathered[k].quantity) }
    }
}
