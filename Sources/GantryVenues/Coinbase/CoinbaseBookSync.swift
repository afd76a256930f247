import GantryBook
import GantryCore

/// Keeps one product's Coinbase book (Advanced Trade `level2` or the Exchange feed's `level2`): a snapshot
/// replaces the book, updates set absolute quantities. Neither carries a per-product sequence; Advanced Trade
/// numbers the connection's messages (`CoinbaseSequence`), and a gap there makes every book of the connection
/// stale (`markStale`) until the owner resubscribes and a new snapshot arrives. A crossed book is stale too.
public struct CoinbaseBookSync: ~Copyable {
    public var book: L2Book
    public let priceScale: Int
    public let quantityScale: Int
    public var counters: BookSyncCounters { storedCounters }
    // Stored apart from the public getters so that `apply` can be inlined where it is called (the caller's
    // `onLevel` inlined into the level loop) without the counters being settable from outside.
    @usableFromInline var storedCounters = BookSyncCounters()
    /// An update's levels, decoded whole before any is applied.
    @usableFromInline var scratch = LevelScratch()

    public enum Outcome: Equatable, Sendable {
        case applied
        /// An update before the snapshot (or after the book went stale): dropped until the snapshot.
        case waitingForSnapshot
        case crossed
    }

    public init(venue: VenueId, instrument: InstrumentId, priceScale: Int, quantityScale: Int, depth: Int = 5_000) {
        book = L2Book(venue: venue, instrument: instrument, depth: depth)
        self.priceScale = priceScale
        self.quantityScale = quantityScale
        book.state = .syncing
    }

    /// A lost message on the connection: the book cannot be trusted until the next snapshot.
    public mutating func markStale() {
        storedCounters.gaps += 1
        book.state = .stale
    }

    /// - Parameter onLevel: Told of each level an update applies (not of a snapshot's: after a snapshot the
    ///   book is read whole).
    @inlinable
    public mutating func apply(
        _ event: CoinbaseAdvanced.BookEvent, onLevel: (Side, Price, Quantity) -> Void = { _, _, _ in }
    ) throws(DecodeError) -> Outcome {
        if !event.isSnapshot && book.state != .live {
            // Dropped, but read to the end all the same: a malformed update is reported either way.
            try event.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { _, _, _ in }
            return .waitingForSnapshot
        }
        try book.applyLevels(
            event, priceScale: priceScale, quantityScale: quantityScale, snapshot: event.isSnapshot, counters: &storedCounters, scratch: &scratch, onLevel: onLevel)
        return finish()
    }

    @inlinable
    public mutating func apply(
        _ message: CoinbaseExchange.Book, isSnapshot: Bool, onLevel: (Side, Price, Quantity) -> Void = { _, _, _ in }
    ) throws(DecodeError) -> Outcome {
        if !isSnapshot && book.state != .live { return .waitingForSnapshot }
        try book.applyLevels(
            message, priceScale: priceScale, quantityScale: quantityScale, snapshot: isSnapshot, counters: &storedCounters, scratch: &scratch, onLevel: onLevel)
        return finish()
    }

    @usableFromInline
    mutating func finish() -> Outcome {
        storedCounters.applied += 1
        if book.isCrossed {
            storedCounters.crossed += 1
            book.state = .stale
            return .crossed
        }
        book.state = .live
        return .applied
    }
}
