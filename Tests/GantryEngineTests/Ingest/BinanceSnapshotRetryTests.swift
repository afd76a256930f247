import GantryCore
import GantryEngine
import Testing

@Suite("Binance snapshots: failures back off, a success starts the count again")
struct BinanceSnapshotRetryTests {
    static let nkn = FeedInstrument(symbol: "NKNUSDT", instrument: InstrumentId(raw: 4), priceScale: 8, quantityScale: 8)

    @Test("each failure in a row doubles the pause, up to 30 s; a loaded snapshot resets it")
    func backoff() {
        var feed = BinanceFeed(venue: VenueId(raw: 1), instruments: [Self.nkn], retryAfter: .milliseconds(500))
        var batch = EventBatch()
        // A diff before any snapshot: buffered, and a snapshot wanted.
        let diff = #"{"e":"depthUpdate","E":1,"s":"NKNUSDT","U":101,"u":102,"b":[["1.01000000","1.00000000"]],"a":[]}"#
        _ = Array(diff.utf8).withUnsafeBytes { feed.handle($0, receiveTime: Nanos(raw: 1), into: &batch) }
        func asks(at ms: Int64) -> Int {
            var n = 0
            feed.snapshotRequests(now: Nanos(raw: ms * 1_000_000)) { _, _ in n += 1 }
            return n
        }
        var now: Int64 = 1_000
        #expect(asks(at: now) == 1)
        var pauses: [Int64] = []
        for _ in 0..<8 {
            feed.snapshotFailed(Self.nkn.instrument, now: Nanos(raw: now * 1_000_000), why: "HTTP 429")
            var t = now
            while asks(at: t) == 0 { t += 100 }
            pauses.append(t - now)
            now = t
        }
        #expect(pauses == [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000])
        // A snapshot that loads (the diff continues it): the count starts again.
        // (Binance: the snapshot may not be older than the first buffered diff's U.)
        let snapshot = #"{"lastUpdateId":101,"bids":[["1.00000000","5.00000000"]],"asks":[["1.10000000","5.00000000"]]}"#
        let outcome = Array(snapshot.utf8).withUnsafeBytes {
            feed.snapshotArrived(Self.nkn.instrument, body: $0, receiveTime: Nanos(raw: now * 1_000_000), into: &batch)
        }
        #expect(outcome == .applied)
        // A gap: a new snapshot is wanted at once, and its failure pauses 500 ms again.
        let gap = #"{"e":"depthUpdate","E":1,"s":"NKNUSDT","U":110,"u":111,"b":[],"a":[]}"#
        _ = Array(gap.utf8).withUnsafeBytes { feed.handle($0, receiveTime: Nanos(raw: now * 1_000_000), into: &batch) }
        #expect(asks(at: now) == 1)
        feed.snapshotFailed(Self.nkn.instrument, now: Nanos(raw: now * 1_000_000), why: "timeout")
        #expect(asks(at: now + 400) == 0)
        #expect(asks(at: now + 500) == 1)
    }
}
