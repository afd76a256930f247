import GantryBook
import GantryCore
import GantryNet
import GantryVenues

/// What one venue message did, for the ingest stage's counters and the journal.
public enum FeedOutcome: Equatable, Sendable {
    /// Applied to a live book (or a snapshot rebuilt it).
    case applied
    /// Not for a book: a subscription reply, a heartbeat, a pong, a status or notice (the venue's protocol).
    case control
    /// Well-formed, but neither book data nor a control message the venue documents (another channel or event
    /// than the feed subscribed to, a type the venue added): counted and reported apart from control.
    case unknown
    /// The venue refused a request (a subscription, a malformed request): its words, kept for the report.
    case venueError(String)
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

    // Silent books: venues send a book's updates only when it changes, but a liquid book that hears nothing
    // for long while the connection is up (its other books and heartbeats still coming) has a stuck stream.

    /// Marks stale every book that has heard nothing for `limit` (a stale marker if it was live) and starts its
    /// resync: `resync` is called with the instruments to resubscribe (venues with WebSocket snapshots), or a
    /// REST snapshot is wanted (Binance). A book still silent a `limit` later is resynced again.
    /// - Returns: How many books were silent.
    mutating func silentBooks(now: Nanos, limit: Nanos, into batch: inout EventBatch, _ resync: (InstrumentId) -> Void) -> Int

    /// Restarts every book's silence clock: the connection has just opened and subscribed.
    mutating func restartSilenceClocks(at now: Nanos)

    /// The application-level heartbeat the venue asks its clients to send (nil: none beyond the WebSocket
    /// protocol's pings, which the supervisor sends after silence).
    var keepAlive: KeepAlive? { get }
}

extension FeedHandler where Self: ~Copyable {
    public var keepAlive: KeepAlive? { nil }
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
/// Each book also has a silence clock: when it last heard a message (or was last resynced for silence).
public struct BookTable<Sync: ~Copyable>: ~Copyable {
    public let instruments: [FeedInstrument]
    let syncs: UnsafeMutablePointer<Sync>
    var tops: [TopOfBook]
    /// Per book: the receive time of its last message, or of its last resync for silence.
    var heard: [Nanos]

    public init(_ instruments: [FeedInstrument], _ make: (FeedInstrument) -> Sync) {
        self.instruments = instruments
        syncs = .allocate(capacity: max(1, instruments.count))
        for (i, instrument) in instruments.enumerated() { (syncs + i).initialize(to: make(instrument)) }
        tops = Array(repeating: TopOfBook(), count: instruments.count)
        heard = Array(repeating: .zero, count: instruments.count)
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

    /// The index of the instrument whose symbol is `symbol`, whose book has now heard a message.
    public mutating func index(of symbol: UnsafeRawBufferPointer, heardAt time: Nanos) -> Int? {
        guard let i = index(of: symbol) else { return nil }
        heard[i] = time
        return i
    }

    /// Restarts every book's silence clock.
    public mutating func restartSilenceClocks(at now: Nanos) {
        for i in heard.indices { heard[i] = now }
    }

    /// Calls `body` for each book that has heard nothing for `limit`, and restarts its clock (so that a book
    /// still silent is found again a `limit` later, not on every check).
    /// - Returns: How many were silent.
    @discardableResult
    public mutating func forEachSilent(now: Nanos, limit: Nanos, _ body: (Int, inout Sync) -> Void) -> Int {
        var found = 0
        for i in heard.indices where now - heard[i] >= limit {
            heard[i] = now
            found += 1
            body(i, &syncs[i])
        }
        return found
    }

    /// The sync at `index`, for the duration of `body`.
    public mutating func with<R, E: Error>(_ index: Int, _ body: (inout Sync, inout TopOfBook) throws(E) -> R) throws(E) -> R {
        try body(&syncs[index], &tops[index])
    }
}

/// A venue's book sync as the ingest stage sees it: the book it keeps (every venue's sync type has one).
public protocol BookKeeping: ~Copyable {
    var book: L2Book { get set }
}

extension BybitBookSync: BookKeeping {}
extension OKXBookSync: BookKeeping {}
extension KrakenV2BookSync: BookKeeping {}
extension CoinbaseBookSync: BookKeeping {}
extension BinanceBookSync: BookKeeping {}

extension BookTable where Sync: BookKeeping & ~Copyable {
    /// The connection dropped: every book is stale (a stale marker for each that was live).
    mutating func markAllStale(at time: Nanos, into batch: inout EventBatch) {
        for i in 0..<count {
            if syncs[i].book.state == .live { batch.stale(syncs[i].book, receiveTime: time) }
            syncs[i].book.state = .stale
        }
    }

    /// `FeedHandler.silentBooks` for venues whose snapshots come on the WebSocket: each silent book is marked
    /// stale and resubscribed.
    mutating func resubscribeSilent(now: Nanos, limit: Nanos, into batch: inout EventBatch, _ resync: (InstrumentId) -> Void) -> Int {
        forEachSilent(now: now, limit: limit) { _, sync in
            if sync.book.state == .live { batch.stale(sync.book, receiveTime: now) }
            sync.book.state = .stale
            resync(sync.book.instrument)
        }
    }
}
