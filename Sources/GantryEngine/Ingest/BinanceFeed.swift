import GantryBook
import GantryCore
import GantryVenues

/// Binance spot diff. depth (`<symbol>@depth@100ms` on the combined stream) for the configured instruments,
/// kept exactly as Binance documents it: diffs are buffered while a REST snapshot (`GET /api/v3/depth`) is
/// fetched, then replayed on it with the U/u rule. A gap, a crossed book or a dropped connection makes the
/// book stale and fetches a new snapshot (at most one request per instrument in flight, failures retried
/// after a pause).
public struct BinanceFeed: FeedHandler, ~Copyable {
    public let venue: VenueId
    public let snapshotLimit: Int
    public var books: BookTable<BinanceBookSync>
    /// Per instrument: a snapshot is wanted, one is in flight, and when the next may be asked for.
    var wanted: [Bool]
    var inFlight: [Bool]
    var notBefore: [Nanos]
    public private(set) var snapshotFailures = 0
    /// Pause after a failed or useless snapshot before asking again; it doubles with each failure in a row
    /// for the instrument, up to `retryLimit` (Binance bans an address that keeps asking after a 429).
    public let retryAfter: Nanos
    public static var retryLimit: Nanos { .seconds(30) }
    /// Per instrument: snapshots in a row that failed or were of no use.
    var failuresInARow: [Int]

    /// - Parameter snapshotLimit: Levels per side in the REST snapshot (Binance allows up to 5000).
    public init(venue: VenueId, instruments: [FeedInstrument], snapshotLimit: Int = 1_000, retryAfter: Nanos = .milliseconds(500)) {
        self.venue = venue
        self.snapshotLimit = snapshotLimit
        self.retryAfter = retryAfter
        books = BookTable(instruments) {
            BinanceBookSync(venue: venue, instrument: $0.instrument, priceScale: $0.priceScale, quantityScale: $0.quantityScale, depth: max(snapshotLimit, 1_000) + 1_000)
        }
        wanted = Array(repeating: false, count: instruments.count)
        inFlight = Array(repeating: false, count: instruments.count)
        notBefore = Array(repeating: .zero, count: instruments.count)
        failuresInARow = Array(repeating: 0, count: instruments.count)
    }

    /// When instrument `i` may ask again after a failure at `now`: `retryAfter` doubled per failure in a row.
    mutating func retryLater(_ i: Int, now: Nanos) {
        let doublings = min(failuresInARow[i], 16)
        failuresInARow[i] += 1
        notBefore[i] = now + Nanos(raw: min(Self.retryLimit.raw, retryAfter.raw << doublings))
        wanted[i] = true
    }

    /// The combined-stream subscription for every configured instrument (sent on each connect).
    public var subscriptions: [[UInt8]] {
        let streams = books.instruments.map { #""\#(String(decoding: $0.symbol, as: UTF8.self).lowercased())@depth@100ms""# }
        return [Array(#"{"method":"SUBSCRIBE","params":[\#(streams.joined(separator: ","))],"id":1}"#.utf8)]
    }

    public mutating func handle(_ message: UnsafeRawBufferPointer, receiveTime: Nanos, into batch: inout EventBatch) -> FeedOutcome {
        let decoded: Binance.Message
        do throws(DecodeError) { decoded = try Binance.decode(message) } catch { return decodeFailure(error, message, Binance.classifyOther) }
        guard case .depth(let diff) = decoded else { return otherMessage(message, Binance.classifyOther) }
        guard let i = books.index(of: diff.symbol, heardAt: receiveTime) else { return .unknownInstrument }
        let venue = self.venue
        var requestSnapshot = false
        let outcome: FeedOutcome = books.with(i) { sync, top in
            let wasLive = sync.book.state == .live
            let instrument = sync.book.instrument
            let mark = batch.count
            let result: BinanceBookSync.DiffOutcome
            do throws(DecodeError) {
                result = try sync.apply(diff) { side, price, quantity in
                    batch.levelChange(
                        venue: venue, instrument: instrument, sequence: diff.finalUpdateId, side, price, quantity,
                        exchangeTime: diff.eventTime, receiveTime: receiveTime)
                }
            } catch {
                // Nothing was applied (the sync decodes a diff whole first); a live book missed an update.
                if wasLive {
                    sync.resync()
                    requestSnapshot = true
                }
                _ = batch.conclude(
                    sync.book, &top, since: mark, wasLive: wasLive, snapshot: false, exchangeTime: diff.eventTime, receiveTime: receiveTime)
                return .malformed(error, stale: wasLive ? instrument : nil)
            }
            switch result {
            case .buffered:
                requestSnapshot = true
                return wasLive ? .resyncNeeded(instrument) : .ignored
            case .ignored: return .ignored
            case .resyncNeeded:
                requestSnapshot = true
                _ = batch.conclude(
                    sync.book, &top, since: mark, wasLive: wasLive, snapshot: false, exchangeTime: diff.eventTime, receiveTime: receiveTime)
                return .resyncNeeded(instrument)
            case .applied:
                return batch.conclude(
                    sync.book, &top, since: mark, wasLive: wasLive, snapshot: false, exchangeTime: diff.eventTime, receiveTime: receiveTime)
            case .wentLive:
                // The snapshot loaded earlier and this first event after it: published whole, as a snapshot.
                return batch.conclude(
                    sync.book, &top, since: mark, wasLive: false, snapshot: true, exchangeTime: diff.eventTime, receiveTime: receiveTime)
            }
        }
        if requestSnapshot { wanted[i] = true }
        return outcome
    }

    public mutating func connectionLost(at time: Nanos, into batch: inout EventBatch) {
        for i in 0..<books.count {
            books.with(i) { sync, _ in
                if sync.book.state == .live { batch.stale(sync.book, receiveTime: time) }
                sync.resync()
            }
            // The snapshot is asked for when the new connection's first diff is buffered.
            wanted[i] = false
        }
    }

    /// A silent book is resynced as after a gap: diffs are buffered again and a REST snapshot is fetched.
    public mutating func silentBooks(now: Nanos, limit: Nanos, into batch: inout EventBatch, _ resync: (InstrumentId) -> Void) -> Int {
        var wanted = self.wanted
        let found = books.forEachSilent(now: now, limit: limit) { i, sync in
            if sync.book.state == .live { batch.stale(sync.book, receiveTime: now) }
            sync.resync()
            wanted[i] = true
        }
        self.wanted = wanted
        return found
    }

    public mutating func restartSilenceClocks(at now: Nanos) { books.restartSilenceClocks(at: now) }

    public mutating func snapshotRequests(now: Nanos, _ request: (InstrumentId, String) -> Void) {
        for i in 0..<books.count where wanted[i] && !inFlight[i] && now >= notBefore[i] {
            wanted[i] = false
            // Diffs buffered while the last snapshot was in flight asked for one too: a live book needs none.
            let live = books.with(i) { sync, _ in sync.book.state == .live }
            if live { continue }
            inFlight[i] = true
            let symbol = String(decoding: books.instruments[i].symbol, as: UTF8.self)
            request(books.instruments[i].instrument, "/api/v3/depth?symbol=\(symbol)&limit=\(snapshotLimit)")
        }
    }

    public mutating func snapshotArrived(
        _ instrument: InstrumentId, body: UnsafeRawBufferPointer, receiveTime: Nanos, into batch: inout EventBatch
    ) -> FeedOutcome {
        guard let i = books.instruments.firstIndex(where: { $0.instrument == instrument }) else { return .unknownInstrument }
        inFlight[i] = false
        let snapshot: Binance.DepthSnapshot
        do throws(DecodeError) { snapshot = try Binance.decodeSnapshot(body) } catch {
            retryLater(i, now: receiveTime)
            return .malformed(error, stale: nil)
        }
        var again = false
        var success = false
        let outcome: FeedOutcome = books.with(i) { sync, top in
            let result: BinanceBookSync.SnapshotOutcome
            do throws(DecodeError) { result = try sync.load(snapshot) } catch {
                again = true
                return .malformed(error, stale: nil)
            }
            switch result {
            case .live:
                success = true
                return batch.conclude(
                    sync.book, &top, since: batch.count, wasLive: false, snapshot: true, exchangeTime: .zero, receiveTime: receiveTime)
            case .awaitingDiff:
                // Live with the first diff that continues it (published then).
                success = true
                return .ignored
            case .tooOld, .resyncNeeded:
                again = true
                return .ignored
            }
        }
        if again { retryLater(i, now: receiveTime) }
        if success { failuresInARow[i] = 0 }
        return outcome
    }

    public mutating func snapshotFailed(_ instrument: InstrumentId, now: Nanos, why: String) {
        guard let i = books.instruments.firstIndex(where: { $0.instrument == instrument }) else { return }
        snapshotFailures += 1
        inFlight[i] = false
        retryLater(i, now: now)
    }
}
