import GantryCore
@testable import GantryEngine
import GantryRing
import Testing

@Suite("Resync requests: one per stale episode and interval, not one per message")
struct ResyncRequestTests {
    static let x = FeedInstrument(symbol: "X", instrument: InstrumentId(raw: 3), priceScale: 1, quantityScale: 0)

    static func snapshot(_ u: Int) -> String {
        #"{"topic":"orderbook.50.X","type":"snapshot","ts":1,"data":{"s":"X","b":[["100.0","1"]],"a":[["101.0","1"]],"u":\#(u),"seq":1}}"#
    }

    static func delta(_ u: Int) -> String {
        #"{"topic":"orderbook.50.X","type":"delta","ts":1,"data":{"s":"X","b":[["99.0","2"]],"a":[],"u":\#(u),"seq":1}}"#
    }

    @Test("messages to a stale book ask once; a rebuilt book asks afresh; the interval lets a lost answer be asked again")
    func oncePerEpisode() throws {
        let ring = try Ring<MarketEvent>.broadcast(capacity: 1 << 12, consumers: 1)
        var consumer = try ring.takeConsumer(0)
        var resync: [InstrumentId] = []
        resync.reserveCapacity(16)
        var core = IngestCore(
            handler: BybitFeed(venue: VenueId(raw: 1), instruments: [Self.x], depth: 50), producer: try ring.takeProducer(),
            resyncRequests: resync, whenRingFull: nil)
        func handle(_ text: String, at ms: Int64) {
            Array(text.utf8).withUnsafeBytes { core.handle($0, receivedAt: Nanos(raw: 1_000_000_000 + ms * 1_000_000)) }
            _ = consumer.poll(upTo: 1 << 12) { _ in }
        }
        handle(Self.snapshot(10), at: 0)
        handle(Self.delta(11), at: 1)
        #expect(core.resyncRequests.isEmpty)
        // A skipped u: stale, one request; the deltas that follow before the snapshot ask nothing more.
        handle(Self.delta(13), at: 2)
        for k in 0..<20 { handle(Self.delta(14 + k), at: 3 + Int64(k)) }
        #expect(core.resyncRequests == [Self.x.instrument])
        #expect(core.stats.resyncs == 21)
        core.resyncRequests.removeAll(keepingCapacity: true)
        // No answer within the interval: asked again.
        handle(Self.delta(40), at: 2_100)
        #expect(core.resyncRequests == [Self.x.instrument])
        core.resyncRequests.removeAll(keepingCapacity: true)
        // The snapshot rebuilds the book (a bookReset on the ring): the next trouble asks at once.
        handle(Self.snapshot(50), at: 2_200)
        handle(Self.delta(52), at: 2_201)
        #expect(core.resyncRequests == [Self.x.instrument])
    }
}
