import GantryBook
import GantryCore
import GantryVenues

/// What one venue message did, for the ingest stage's counters and the journal.
public enum FeedOutcome: Equatable, Sendable {
    /// Applied to a live book (or a snapshot rebuilt it).
    case applied
    /// Not for a book: a subscription reply, a heartbeat, another channel.
    case control
    /// Older than the book, or buffered/waiting for a snapshot: nothing published.
    case ignored
    /// The book went stale (gap, checksum, crossed): the owner must resubscribe or fetch a snapshot.
    case resyncNeeded(InstrumentId)
    /// For an instrument the configuration does not list.
    case unknownInstrument
    /// The bytes did not decode: counted and reported. `stale` names the book it left stale (to resync), nil
    /// when the message could not even be attributed (a lost update, which the next one's sequence reveals).
    case malformed(DecodeError, stale: InstrumentId?)
}

/// One venue's market-data handling in the ingest stage: decode a message in place, sync the book it is
/// for, and append what changed to the batch (level changes, the top of book when it moved, a reset after a
/// snapshot, a stale marker when the book stops being trustworthy).
public protocol FeedHandler: ~Copyable {
    /// Handles one message. `receiveTime` is the kernel receive time of its last bytes (monotonic).
    mutating func handle(_ message: UnsafeRawBufferPointer, receiveTime: Nanos, into batch: inout EventBatch) -> FeedOutcome

    /// The connection dropped: every book of the handler is stale until a snapshot rebuilds it.
    mutating func connectionLost(at time: Nanos, into batch: inout EventBatch)

    /// The messages that get a fresh snapshot of one instrument's book on the open connection (unsubscribe
    /// and subscribe again, for venues that send snapshots over WebSocket); none for venues whose snapshots
    /// come over REST. `.none` asks for every instrument of the handler.
    func resubscribe(_ instrument: InstrumentId, _ send: (UnsafeRawBufferPointer) -> Void)

    // Snapshots over REST (Binance): the ingest stage asks which snapshots to fetch, fetches them with the
    // venue's HTTP client, and hands back the bodies or the failure. Feeds with WebSocket snapshots keep the
    // defaults (none).

    /// Calls `request` for each snapshot wanted now: the instrument and the request target (such as
    /// "/api/v3/depth?symbol=BTCUSDT&limit=1000"). Each is asked for once until it arrives or fails.
    mutating func snapshotRequests(now: Nanos, _ request: (InstrumentId, String) -> Void)

    /// A snapshot's body arrived (HTTP 200).
    mutating func snapshotArrived(
        _ instrument: InstrumentId, body: UnsafeRawBufferPointer, receiveTime: Nanos, into batch: inout EventBatch
    ) -> FeedOutcome

    /// A snapshot request failed (HTTP error, timeout): it is asked for again after a pause.
    mutating func snapshotFailed(_ instrument: InstrumentId, now: Nanos, why: String)
}

extension FeedHandler where Self: ~Copyable {
    public func resubscribe(_ instrument: InstrumentId, _ send: (UnsafeRawBufferPointer) -> Void) {}
    public mutating func snapshotRequests(now: Nanos, _ request: (InstrumentId, String) -> Void) {}
    public mutating func snapshotArrived(
        _ instrument: InstrumentId, body: UnsafeRawBufferPointer, receiveTime: Nanos, into batch: inout EventBatch
    ) -> FeedOutcome { .unknownInstrument }
    public mutating func snapshotFailed(_ instrument: InstrumentId, now: Nanos, why: String) {}
}

/// An instrument a feed handler keeps a book for: the venue's symbol as it appears in messages, the
/// instrument's id and the venue's scales for it.
public struct FeedInstrument: Sendable {
    public var symbol: [UInt8]
    public var instrument: InstrumentId
    public var priceScale: Int
    public var quantityScale: Int

    public init(symbol: String, instrument: InstrumentId, priceScale: Int, quantityScale: Int) {
        self.symbol = Array(symbol.utf8)
        self.instrument = instrument
        self.priceScale = priceScale
        self.quantityScale = quantityScale
    }
}

/// A fixed table of non-copyable book syncs, one per instrument, found by the symbol bytes of a message
/// (a short linear search: a feed connection carries a handful of instruments).
public struct BookTable<Sync: ~Copyable>: ~Copyable {
    public let instruments: [FeedInstrument]
    let syncs: UnsafeMutablePointer<Sync>
    var tops: [TopOfBook]

    public init(_ instruments: [FeedInstrument], _ make: (FeedInstrument) -> Sync) {
        self.instruments = instruments
        syncs = .allocate(capacity: max(1, instruments.count))
        for (i, instrument) in instruments.enumerated() { (syncs + i).initialize(to: make(instrument)) }
        tops = Array(repeating: TopOfBook(), count: instruments.count)
    }

    deinit {
        syncs.deinitialize(count: instruments.count)
        syncs.deallocate()
    }

    public var count: Int { instruments.count }

    /// The index of the instrument whose symbol is `symbol`, if any.
    public func index(of symbol: UnsafeRawBufferPointer) -> Int? {
        for (i, instrument) in instruments.enumerated() where instrument.symbol.count == symbol.count {
            if instrument.symbol.withUnsafeBytes({ $0.elementsEqual(symbol) }) { return i }
        }
        return nil
    }

    /// The sync at `index`, for the duration of `body`.
    public mutating func with<R, E: Error>(_ index: Int, _ body: (inout Sync, inout TopOfBook) throws(E) -> R) throws(E) -> R {
        try body(&syncs[index], &tops[index])
    }
}
