import GantryBook
import GantryCore

/// Counts of what a book sync saw, for metrics and the journal.
public struct BookSyncCounters: Sendable, Equatable {
    public var applied = 0
    /// Diffs older than the book (already in the snapshot, or sent twice).
    public var ignored = 0
    public var gaps = 0
    public var snapshots = 0
    /// Snapshots older than the buffered diffs (fetched again).
    public var staleSnapshots = 0
    public var crossed = 0
}

/// Keeps one instrument's Binance book exactly as Binance documents it for the diff. depth stream: buffer
/// the stream's events, take the REST snapshot, drop buffered events with `u` ≤ `lastUpdateId`, start from
/// the event whose [`U`, `u`] holds `lastUpdateId` + 1, then drop each event whose `u` is not past the book's
/// and apply each other one whose `U` is at most the book's `u` + 1 (normally exactly that; one that overlaps
/// the book is applied, quantities being absolute). An event whose `U` is later is a gap: it (or a crossed
/// book) makes the book stale and starts a resync, and the owner fetches a new snapshot while events are
/// buffered again. Other instruments are not touched.
///
/// The book goes live only with the first event that continues the snapshot: a snapshot that arrives with
/// nothing buffered after it (the connection dropped while it was in flight, or the stream is stuck) is
/// loaded and waits for that event, since until it comes nothing shows that the stream carries on from it.
/// A live book that keeps hearing only events older than itself (its sequence ahead of the stream's, as an
/// absurd `u` would leave it) is resynced after `staleRunLimit` of them in a row.
public struct BinanceBookSync: ~Copyable {
    public var book: L2Book
    public let priceScale: Int
    public let quantityScale: Int
    public var counters: BookSyncCounters { storedCounters }
    // Stored apart from the public getter so that the next-diff path of `apply` can be inlined where it is
    // called (with the caller's `onLevel` inlined into the level loop) without the counters being settable.
    @usableFromInline var storedCounters = BookSyncCounters()
    /// Diffs buffered while syncing (allocates, but only while a book is being rebuilt).
    var pending: [(first: UInt64, last: UInt64, levels: [BookUpdate])] = []
    /// The most diffs buffered: while snapshots keep failing, the oldest half goes when the buffer is full (a
    /// snapshot older than what is left is then refused as too old, and fetched again).
    public static let pendingLimit = 10_000
    /// No diff has been applied since the snapshot (the first must hold `lastUpdateId + 1`).
    @usableFromInline var firstAfterSnapshot = false
    /// A diff's levels, decoded in full before any is applied (so a malformed diff leaves the book as it was).
    @usableFromInline var scratch = LevelScratch()
    /// A snapshot is loaded and the book waits for the first event that continues it.
    public private(set) var awaitingFirstDiff = false
    /// Events in a row that a live book ignored as older than itself.
    @usableFromInline var olderInARow = 0
    /// How many events older than a live book may come in a row before the book is taken for wrong.
    public static let staleRunLimit = 50

    /// What one diff did.
    public enum DiffOutcome: Equatable, Sendable {
        case applied
        /// The first event after a snapshot loaded with nothing buffered: applied, and the book is live now
        /// (the owner publishes it whole).
        case wentLive
        /// Kept until the snapshot arrives.
        case buffered
        /// Older than the book: dropped.
        case ignored
        /// Not contiguous (or the book crossed): the book is stale and buffering again; fetch a snapshot.
        case resyncNeeded(expected: UInt64, got: UInt64)
    }

    /// What a snapshot did.
    public enum SnapshotOutcome: Equatable, Sendable {
        /// The book is live.
        case live
        /// Loaded, with nothing buffered after it: the book goes live with the first event that continues
        /// it (`DiffOutcome.wentLive`).
        case awaitingDiff
        /// The snapshot is older than the first buffered diff: fetch it again.
        case tooOld
        /// The buffered diffs do not continue the snapshot: fetch it again (the diffs stay buffered).
        case resyncNeeded(expected: UInt64, got: UInt64)
    }

    public init(venue: VenueId, instrument: InstrumentId, priceScale: Int, quantityScale: Int, depth: Int = 5_000) {
        book = L2Book(venue: venue, instrument: instrument, depth: depth)
        self.priceScale = priceScale
        self.quantityScale = quantityScale
        book.state = .syncing
    }

    /// Starts (or restarts) a sync: the book is not live until a snapshot and contiguous diffs follow.
    public mutating func resync() {
        book.state = .syncing
        pending.removeAll()
        firstAfterSnapshot = false
        awaitingFirstDiff = false
        olderInARow = 0
    }

    /// Applies or buffers one diff.
    /// - Parameter onLevel: Told of each level applied to a live book (for the ring), not of buffered ones.
    /// - Throws: `DecodeError` if the diff's levels do not decode (the book is untouched).
    @inlinable
    public mutating func apply(
        _ diff: Binance.DepthDiff, onLevel: (Side, Price, Quantity) -> Void = { _, _, _ in }
    ) throws(DecodeError) -> DiffOutcome {
        // The common case, inlined where it is called: a live book and the diff that continues it (as
        // `applyInFull` would take it).
        if book.state == .live && diff.finalUpdateId > book.sequence && diff.firstUpdateId <= book.sequence &+ 1 {
            return try applyNext(diff, onLevel: onLevel)
        }
        return try applyInFull(diff, onLevel: onLevel)
    }

    /// Applies the diff that continues a live book: every level decoded before the book is touched, so that a
    /// malformed diff leaves it as it was.
    @inlinable
    mutating func applyNext(_ diff: Binance.DepthDiff, onLevel: (Side, Price, Quantity) -> Void) throws(DecodeError) -> DiffOutcome {
        olderInARow = 0
        let n = try scratch.decode(diff, priceScale: priceScale, quantityScale: quantityScale)
        for i in 0..<n {
            let u = scratch[i]
            book.apply(u.side, u.price, u.quantity)
            onLevel(u.side, u.price, u.quantity)
        }
        book.sequence = diff.finalUpdateId
        firstAfterSnapshot = false
        storedCounters.applied += 1
        if book.isCrossed { return try crossed(diff) }
        return .applied
    }

    /// `apply` for every case: buffering, older diffs, gaps, the first diff after a snapshot.
    @usableFromInline
    mutating func applyInFull(
        _ diff: Binance.DepthDiff, onLevel: (Side, Price, Quantity) -> Void
    ) throws(DecodeError) -> DiffOutcome {
        if book.state != .live && awaitingFirstDiff { return try firstDiff(diff) }
        if book.state != .live {
            var levels: [BookUpdate] = []
            try diff.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { levels.append(BookUpdate(side: $0, price: $1, quantity: $2)) }
            if pending.count >= Self.pendingLimit { pending.removeFirst(Self.pendingLimit / 2) }
            pending.append((diff.firstUpdateId, diff.finalUpdateId, levels))
            return .buffered
        }
        if diff.finalUpdateId <= book.sequence {
            // Read to the end all the same: a malformed diff is reported even when it is not needed.
            try diff.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { _, _, _ in }
            storedCounters.ignored += 1
            olderInARow += 1
            if olderInARow >= Self.staleRunLimit {
                // The book's sequence is ahead of the stream's: it cannot be right.
                storedCounters.gaps += 1
                resync()
                return .resyncNeeded(expected: book.sequence &+ 1, got: diff.firstUpdateId)
            }
            return .ignored
        }
        olderInARow = 0
        let expected = book.sequence &+ 1
        // `u` ≥ the book's sequence + 1 here, so the diff continues the book unless it starts after that (as
        // Binance documents it: a diff that overlaps the book is applied, its quantities being absolute).
        let contiguous = diff.firstUpdateId <= expected
        guard contiguous else { return try gap(diff, expected: expected) }
        return try applyNext(diff, onLevel: onLevel)
    }

    /// The first event after a snapshot loaded with nothing buffered: older ones are dropped, the one that holds
    /// `lastUpdateId` + 1 is applied and makes the book live, and one after that shows the snapshot too old
    /// for the stream (the event is buffered and a new snapshot is needed, as Binance documents).
    mutating func firstDiff(_ diff: Binance.DepthDiff) throws(DecodeError) -> DiffOutcome {
        let expected = book.sequence &+ 1
        if diff.finalUpdateId < expected {
            try diff.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { _, _, _ in }
            storedCounters.ignored += 1
            return .ignored
        }
        if diff.firstUpdateId > expected {
            storedCounters.staleSnapshots += 1
            resync()
            return try apply(diff)  // buffered: the first event for the next snapshot
        }
        // Decoded whole before the book is touched, as for a live book.
        var levels: [BookUpdate] = []
        try diff.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { levels.append(BookUpdate(side: $0, price: $1, quantity: $2)) }
        for l in levels { book.apply(l.side, l.price, l.quantity) }
        book.sequence = diff.finalUpdateId
        firstAfterSnapshot = false
        awaitingFirstDiff = false
        storedCounters.applied += 1
        if book.isCrossed {
            storedCounters.crossed += 1
            resync()
            return .resyncNeeded(expected: book.sequence, got: diff.finalUpdateId)
        }
        book.state = .live
        return .wentLive
    }

    /// Loads the REST snapshot and replays the buffered diffs on it.
    public mutating func load(_ snapshot: Binance.DepthSnapshot) throws(DecodeError) -> SnapshotOutcome {
        storedCounters.snapshots += 1
        awaitingFirstDiff = false
        if let first = pending.first, snapshot.lastUpdateId < first.first {
            storedCounters.staleSnapshots += 1
            return .tooOld
        }
        var levels: [BookUpdate] = []
        try snapshot.forEachLevel(priceScale: priceScale, quantityScale: quantityScale) { levels.append(BookUpdate(side: $0, price: $1, quantity: $2)) }
        book.clear()
        // Binance lists each side best first; applied worst first, every level lands at the end of its side's
        // array (best last), so a 5,000-level snapshot loads without moving levels.
        for l in levels.reversed() { book.apply(l.side, l.price, l.quantity) }
        book.sequence = snapshot.lastUpdateId
        firstAfterSnapshot = true
        var replay = pending
        replay.removeAll { $0.last <= snapshot.lastUpdateId }
        storedCounters.ignored += pending.count - replay.count
        for diff in replay {
            // One buffered twice is dropped, as it would be live.
            if diff.last <= book.sequence {
                storedCounters.ignored += 1
                continue
            }
            let expected = book.sequence &+ 1
            let contiguous = diff.first <= expected
            guard contiguous else {
                storedCounters.gaps += 1
                pending = replay.filter { $0.first >= diff.first }
                return .resyncNeeded(expected: expected, got: diff.first)
            }
            for l in diff.levels { book.apply(l.side, l.price, l.quantity) }
            book.sequence = diff.last
            firstAfterSnapshot = false
            storedCounters.applied += 1
        }
        pending.removeAll()
        if book.isCrossed {
            storedCounters.crossed += 1
            book.state = .syncing
            return .resyncNeeded(expected: book.sequence, got: book.sequence)
        }
        if firstAfterSnapshot {
            // Nothing buffered continued the snapshot (nothing was buffered, or all of it was older).
            awaitingFirstDiff = true
            return .awaitingDiff
        }
        book.state = .live
        olderInARow = 0
        return .live
    }

    mutating func gap(_ diff: Binance.DepthDiff, expected: UInt64) throws(DecodeError) -> DiffOutcome {
        storedCounters.gaps += 1
        resync()
        _ = try apply(diff)  // buffered: the first event after the gap
        return .resyncNeeded(expected: expected, got: diff.firstUpdateId)
    }

    @usableFromInline
    mutating func crossed(_ diff: Binance.DepthDiff) throws(DecodeError) -> DiffOutcome {
        storedCounters.crossed += 1
        resync()
        return .resyncNeeded(expected: book.sequence, got: diff.finalUpdateId)
    }
}
