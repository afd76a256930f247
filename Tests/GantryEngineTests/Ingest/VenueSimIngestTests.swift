import Foundation
import GantryBook
import GantryCore
import GantryEngine
import GantryNet
import GantryRing
import GantryVenues
import Testing
import VenueSim

/// Two instruments per simulated venue: what the venue calls them, their scales, tick and lot.
struct SimPair {
    var symbols: (String, String)
    var priceScale: Int
    var quantityScale: Int
    var tick: Int64
    var lot: Int64

    static func of(_ kind: SimProtocol) -> SimPair {
        switch kind {
        case .binance: SimPair(symbols: ("BTCUSDT", "ETHUSDT"), priceScale: 2, quantityScale: 8, tick: 1, lot: 1_000)
        case .bybit: SimPair(symbols: ("BTCUSDT", "ETHUSDT"), priceScale: 2, quantityScale: 6, tick: 1, lot: 10)
        case .okx: SimPair(symbols: ("BTC-USDT", "ETH-USDT"), priceScale: 1, quantityScale: 8, tick: 1, lot: 1_000)
        case .kraken: SimPair(symbols: ("BTC/USD", "ETH/USD"), priceScale: 1, quantityScale: 8, tick: 1, lot: 1_000)
        case .coinbase: SimPair(symbols: ("BTC-USD", "ETH-USD"), priceScale: 2, quantityScale: 8, tick: 1, lot: 1_000)
        }
    }

    var feedInstruments: [FeedInstrument] {
        [
            FeedInstrument(symbol: symbols.0, instrument: InstrumentId(raw: 1), priceScale: priceScale, quantityScale: quantityScale),
            FeedInstrument(symbol: symbols.1, instrument: InstrumentId(raw: 2), priceScale: priceScale, quantityScale: quantityScale),
        ]
    }
}

/// A simulated venue with BTC and ETH books moving 200 steps a second (seeded).
func simulatedVenue(_ kind: SimProtocol, seed: UInt64 = 7) throws -> (VenueSimulator, SimVenue) {
    let pair = SimPair.of(kind)
    let fees = FeeSchedule(makerCentiBasisPoints: 200, takerCentiBasisPoints: 1_000)
    let books = [pair.symbols.0, pair.symbols.1].map {
        SimulatedBook(
            instrument: SimInstrument(symbol: $0, priceScale: pair.priceScale, quantityScale: pair.quantityScale, tick: pair.tick, lot: pair.lot),
            fees: fees, levels: 40, maxLots: 20_000)
    }
    let venue = try SimVenue(name: kind.rawValue, kind: kind, books: books, restPort: kind == .binance ? 0 : nil)
    let markets = [
        MarketParameters(start: 97_000 * 100_000_000, volatilityPerSecond: 50_000_000),
        MarketParameters(start: 3_500 * 100_000_000, volatilityPerSecond: 10_000_000),
    ]
    let sim = VenueSimulator(venues: [venue], markets: markets, assignments: [[0, 1]], stepsPerSecond: 200, seed: seed)
    return (sim, venue)
}

@Suite("Ingest against VenueSim: every venue's feed, faults injected, books equal the simulator's", .serialized)
struct VenueSimIngestTests {
    /// Runs Gantry's ingest stage for `kind` against the simulator: the books must come up live and equal the
    /// simulator's; then each fault is injected, and after the recovery (resync, reconnect) the books must again
    /// equal the simulator's. No level or top may be published for a book that is not live.
    func exercise<H: FeedHandler & ~Copyable>(
        _ kind: SimProtocol, handler: consuming H, subscriptions: [[UInt8]], path: String, depth: Int, faults: [SimFaultKind]
    ) throws {
        let (sim, venue) = try simulatedVenue(kind)
        let ring = try Ring<MarketEvent>.broadcast(capacity: 1 << 16, consumers: 1)
        var events = try ring.takeConsumer(0)
        let states = try Ring<ConnectionEvent>.spsc(capacity: 256)
        var connections = try states.takeConsumer()
        let supervisor = WebSocketSupervisor(
            endpoint: WebSocketEndpoint(address: "127.0.0.1", port: venue.port, host: "sim.\(kind.rawValue).test", path: path, tls: nil),
            venue: VenueId(raw: 3), index: 0, subscriptions: subscriptions, sink: try states.takeProducer(),
            backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(200), seed: 11), pingInterval: .milliseconds(150),
            staleAfter: .milliseconds(500), now: MonotonicClock.now())
        let rest = venue.restPort.map { HTTPClient(address: "127.0.0.1", port: $0, host: "api.sim.test", tls: nil) }
        // Books are taken for silent after 700 ms without a message (the market moves 200 steps a second).
        var ingest = IngestStage(
            supervisor: supervisor, handler: handler, producer: try ring.takeProducer(), rest: rest, bookSilence: .milliseconds(700))
        var btc = EventBook(venue: VenueId(raw: 3), instrument: InstrumentId(raw: 1))
        var eth = EventBook(venue: VenueId(raw: 3), instrument: InstrumentId(raw: 2))
        var reconnects = 0

        @discardableResult
        func pump(_ seconds: Double, until done: () -> Bool = { false }) -> Bool {
            let deadline = MonotonicClock.now() + Nanos(raw: Int64(seconds * 1e9))
            while MonotonicClock.now() < deadline {
                let work = sim.poll() + ingest.poll()
                while let e = events.tryConsume() {
                    if e.instrument == InstrumentId(raw: 1) { btc.take(e) } else { eth.take(e) }
                }
                while let c = connections.tryConsume() { if c.state == .open { reconnects += 1 } }
                if done() { return true }
                if work == 0 { usleep(200) }
            }
            return false
        }
        /// Stops the market, lets everything in flight arrive, and compares both books with the simulator's.
        func settleAndCompare(_ when: String) {
            sim.paused = true
            pump(0.3)
            let views = [(btc.book.bids.array, btc.book.asks.array, btc.book.state), (eth.book.bids.array, eth.book.asks.array, eth.book.state)]
            for (i, view) in views.enumerated() {
                let (bids, asks) = venue.books[i].snapshot(depth: depth)
                #expect(view.2 == .live, "\(kind) book \(i) is live \(when)")
                #expect(bids.count >= min(depth, 30) && asks.count >= min(depth, 30), "\(kind) book \(i) is a real book \(when)")
                #expect(Array(view.0.prefix(depth)) == bids, "\(kind) book \(i) bids equal the simulator's \(when)")
                #expect(Array(view.1.prefix(depth)) == asks, "\(kind) book \(i) asks equal the simulator's \(when)")
            }
            sim.paused = false
        }

        let up = pump(5) { btc.book.state == .live && eth.book.state == .live && sim.steps > 100 }
        #expect(up, "\(kind): both books live within 5 s")
        #expect(btc.resets >= 1 && eth.resets >= 1, "\(kind): both books came up")
        pump(0.3)
        settleAndCompare("after the first snapshot")

        for fault in faults {
            let (btcResets, ethResets, stalesBefore, reconnectsBefore) = (btc.resets, eth.resets, btc.stales + eth.stales, reconnects)
            let (btcStalesBefore, ethStalesBefore) = (btc.stales, eth.stales)
            let resyncsBefore = ingest.stats.resyncs
            let silencesBefore = ingest.stats.silences
            // A silent BTC book: what ETH's book and BTC's saw while it lasted.
            var silenceEnds: Nanos? = nil
            var duringSilence: (btcStales: Int, ethStales: Int, silences: Int)? = nil
            if fault == .stale {
                venue.faults.schedule(SimFault(kind: .stale, start: venue.elapsedNow, duration: .milliseconds(800)))
            } else if fault == .silentBook {
                venue.faults.schedule(SimFault(kind: .silentBook, start: venue.elapsedNow, duration: .milliseconds(1_600), book: 0))
                silenceEnds = MonotonicClock.now() + .milliseconds(1_600)
            } else {
                venue.faults.inject(fault)
                // A refused REST request needs a request: a gap makes the feed fetch a snapshot.
                if fault == .http5xx || fault == .http429 { venue.faults.inject(.gap) }
            }
            // Let the fault happen and the feed recover: a resync (new snapshot) or a reconnect, then steady.
            let started = MonotonicClock.now()
            let recovered = pump(8) {
                if let end = silenceEnds {
                    // Until the window ends, only watch; after it, recover as from any fault.
                    if MonotonicClock.now() < end { return false }
                    if duringSilence == nil { duringSilence = (btc.stales, eth.stales, ingest.stats.silences) }
                    if MonotonicClock.now() < end + .milliseconds(300) { return false }
                }
                return (venue.faults.applied[fault] ?? 0) > 0
                    && (btc.resets > btcResets || eth.resets > ethResets || fault == .duplicate || fault == .silentBook)
                    && btc.book.state == .live && eth.book.state == .live
            }
            #expect((venue.faults.applied[fault] ?? 0) > 0, "\(kind): \(fault) was applied")
            #expect(recovered, "\(kind): recovered from \(fault) within 8 s")
            print("\(kind) \(fault): recovered in \((MonotonicClock.now() - started).raw / 1_000_000) ms")
            pump(0.3)
            settleAndCompare("after \(fault)")
            let stalesAfter = btc.stales + eth.stales
            if fault == .disconnect || fault == .stale {
                #expect(reconnects > reconnectsBefore, "\(kind): reconnected after \(fault)")
            }
            if fault == .http5xx || fault == .http429 {
                #expect(ingest.stats.snapshotFailures > 0, "\(kind): the refused snapshot was counted and retried")
            }
            if fault == .silentBook {
                // Found silent while the stream was stopped (not only by the gap after it), resynced alone.
                #expect((duringSilence?.btcStales ?? 0) > btcStalesBefore, "\(kind): the silent book was published stale")
                // The updates not sent use up their sequence ids; Coinbase numbers a connection's messages as
                // one sequence, so there each one skipped is a gap for every book of the connection, found by
                // the next message of any product before the silence is: every book is resynced.
                if kind != .coinbase {
                    #expect((duringSilence?.silences ?? 0) > silencesBefore, "\(kind): the silent book was found while it was silent")
                    #expect(duringSilence?.ethStales == ethStalesBefore, "\(kind): the other book was left alone")
                }
                #expect(btc.resets > btcResets, "\(kind): the silent book was resynced")
            }
            if fault == .gap || fault == .badChecksum {
                #expect(stalesAfter > stalesBefore && ingest.stats.resyncs > resyncsBefore, "\(kind): \(fault) was detected and resynced")
            }
        }
        #expect(btc.freshWhileStale == 0 && eth.freshWhileStale == 0, "\(kind): nothing published for a book that was not live")
        #expect(btc.badStamps == 0 && eth.badStamps == 0, "\(kind): every message ends with its timestamps, in order")
        #expect(btc.ends + eth.ends == ingest.stats.batches, "\(kind): one end (its times) per published batch")
        #expect(ingest.stats.malformed == 0, "\(kind): every simulator message decoded")
        #expect(ingest.stats.unknown == 0 && ingest.stats.venueErrors == 0, "\(kind): every control message the simulator sent is one the venue documents")
        #expect(ingest.stats.control > 0, "\(kind): the subscription replies were counted as control")
        ingest.finish()
    }

    @Test("Binance: diff stream + REST snapshots; a gap, a duplicate, reordering, a 503, a 429, a drop, a frozen venue and a silent book")
    func binance() throws {
        let pair = SimPair.of(.binance)
        let feed = BinanceFeed(venue: VenueId(raw: 3), instruments: pair.feedInstruments, retryAfter: .milliseconds(20))
        let subscriptions = feed.subscriptions
        try exercise(.binance, handler: feed, subscriptions: subscriptions, path: "/stream", depth: 5_000,
            faults: [.gap, .duplicate, .reorder, .http5xx, .http429, .disconnect, .stale, .silentBook])
    }

    @Test("Bybit: orderbook.50 snapshot and deltas; a gap, a duplicate, reordering, a drop, a frozen venue and a silent book")
    func bybit() throws {
        let pair = SimPair.of(.bybit)
        // Bybit's heartbeat every 150 ms (20 s in service): its pong answers go through the feed all along.
        let feed = BybitFeed(venue: VenueId(raw: 3), instruments: pair.feedInstruments, depth: 50, pingEvery: .milliseconds(150))
        let subscriptions = feed.subscriptions
        try exercise(.bybit, handler: feed, subscriptions: subscriptions, path: "/v5/public/spot", depth: 50,
            faults: [.gap, .duplicate, .reorder, .disconnect, .stale, .silentBook])
    }

    @Test("OKX: books with seqId/prevSeqId and checksums; a gap, a bad checksum, reordering, a drop, a frozen venue and a silent book")
    func okx() throws {
        let pair = SimPair.of(.okx)
        // OKX's text `ping` every 150 ms (20 s in service), answered by the bare text `pong`.
        let feed = OKXFeed(venue: VenueId(raw: 3), instruments: pair.feedInstruments, depth: 400, pingEvery: .milliseconds(150))
        let subscriptions = feed.subscriptions
        try exercise(.okx, handler: feed, subscriptions: subscriptions, path: "/ws/v5/public", depth: 400,
            faults: [.gap, .badChecksum, .reorder, .duplicate, .disconnect, .stale, .silentBook])
    }

    @Test("Kraken v2: book at depth 10 with CRC32; a bad checksum, a gap, a duplicate, reordering, a drop, a frozen venue and a silent book")
    func kraken() throws {
        let pair = SimPair.of(.kraken)
        let feed = KrakenV2Feed(venue: VenueId(raw: 3), instruments: pair.feedInstruments, depth: 10)
        let subscriptions = feed.subscriptions
        try exercise(.kraken, handler: feed, subscriptions: subscriptions, path: "/v2", depth: 10,
            // No sequence numbers: a gap or reordering shows as a checksum that does not match; a duplicate sets
            // the same absolute levels again and leaves the book as it was.
            faults: [.badChecksum, .gap, .duplicate, .reorder, .disconnect, .stale, .silentBook])
    }

    @Test("Coinbase Advanced Trade: level2 with the connection's sequence_num; a gap, a duplicate, reordering, a drop, a frozen venue and a silent book")
    func coinbase() throws {
        let pair = SimPair.of(.coinbase)
        let feed = CoinbaseFeed(venue: VenueId(raw: 3), instruments: pair.feedInstruments)
        let subscriptions = feed.subscriptions
        try exercise(.coinbase, handler: feed, subscriptions: subscriptions, path: "/", depth: 5_000,
            faults: [.gap, .duplicate, .reorder, .disconnect, .stale, .silentBook])
    }
}
