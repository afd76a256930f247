import Foundation
import GantryBook
import GantryCore
import GantryEngine
import GantryNet
import GantryRing
import GantryVenues
import GantryTestSupport
import Testing

/// The recorded Bybit stream (`RecordedVenueData`), CR LF line ends removed.
func bybitRecording() throws -> [String] {
    try RecordedVenueData.lines("bybit/2024-12-01_XRPUSDT_ob500.data.jsonl")
}

/// A Bybit-speaking server for one client at a time, written with our WebSocket server: it answers each
/// subscribe with the recording's snapshot and then sends the deltas given to `push`; it records what the
/// client sent, and can hang up.
struct ScriptedBybit: ~Copyable {
    let listener: TCPListener
    var connection: WebSocketConnection? = nil
    var hasConnection = false
    var received: [String] = []
    var accepted = 0
    let snapshot: String

    init(snapshot: String) throws {
        listener = try TCPListener(host: "127.0.0.1", port: 0)
        self.snapshot = snapshot
    }

    mutating func poll() {
        if let socket = try? listener.accept() {
            connection = try? WebSocketConnection(accepted: socket, tls: nil)
            hasConnection = true
            accepted += 1
        }
        guard hasConnection else { return }
        var texts: [String] = []
        var closed = false
        _ = connection!.poll { event in
            switch event {
            case .message(_, let payload, _): texts.append(String(decoding: payload, as: UTF8.self))
            case .closed: closed = true
            default: break
            }
        }
        if closed {
            hangUp()
            return
        }
        for t in texts {
            received.append(t)
            if t.contains(#""op":"subscribe""#) {
                // Bybit's subscribe reply (linear), then the snapshot.
                push(#"{"success":true,"ret_msg":"","conn_id":"3cd84cb1-5e1c-4f4e-8d0a-2d7d3f1e0b11","req_id":"","op":"subscribe"}"#)
                push(snapshot)
            }
        }
    }

    mutating func push(_ text: String) {
        guard hasConnection else { return }
        Array(text.utf8).withUnsafeBytes { _ = connection!.send(.text, $0) }
    }

    mutating func hangUp() {
        connection = nil
        hasConnection = false
    }
}

/// A consumer's view of the feed: a book rebuilt from the events alone.
struct EventBook: ~Copyable {
    var book: L2Book
    var lastSequence: UInt64 = 0
    var resets = 0
    var stales = 0
    var tops = 0
    var ends = 0
    var lastTop: MarketEvent? = nil
    /// Level changes or tops that arrived while the book was not live (a stale book published as fresh).
    var freshWhileStale = 0
    /// Messages not ended by a `messageTimes` event, or whose times are not kernel receive ≤ decoded ≤
    /// published (each message's events end with its timestamps).
    var badStamps = 0

    init(venue: VenueId = VenueId(raw: 5), instrument: InstrumentId = InstrumentId(raw: 9)) {
        book = L2Book(venue: venue, instrument: instrument, depth: 5_000)
    }

    mutating func take(_ e: MarketEvent) {
        if e.flags.contains(.endOfMessage) { lastSequence = e.sequence }
        if (e.kind == .levelChange || e.kind == .topOfBook) && book.state != .live { freshWhileStale += 1 }
        switch e.kind {
        case .bookReset:
            book.clear()
            book.state = .live
            resets += 1
        case .levelChange: book.apply(e.side, e.price, e.quantity)
        case .bookStale:
            book.state = .stale
            stales += 1
        case .topOfBook:
            tops += 1
            lastTop = e
        default: break
        }
        if e.flags.contains(.endOfMessage) { ends += 1 }
        if e.flags.contains(.endOfMessage) != (e.kind == .messageTimes) { badStamps += 1 }
        if e.kind == .messageTimes
            && (e.decodedTime.raw <= 0 || e.decodedTime > e.publishedTime || (e.receiveTime.raw > 0 && e.receiveTime > e.decodedTime)) {
            badStamps += 1
        }
    }
}

@Suite("Ingest stage: a venue connection, its book sync and the event ring", .serialized)
struct IngestStageTests {
    static let xrp = FeedInstrument(symbol: "XRPUSDT", instrument: InstrumentId(raw: 9), priceScale: 4, quantityScale: 0)

    func stage(
        port: Int, producer: consuming RingProducer<MarketEvent>, states: consuming RingProducer<ConnectionEvent>, live: LiveCounters? = nil
    ) -> IngestStage<BybitFeed, RingProducer<ConnectionEvent>> {
        let feed = BybitFeed(venue: VenueId(raw: 5), instruments: [Self.xrp], depth: 500)
        let supervisor = WebSocketSupervisor(
            endpoint: WebSocketEndpoint(address: "127.0.0.1", port: port, host: "stream.bybit.test", path: "/v5/public/linear", tls: nil),
            venue: VenueId(raw: 5), index: 0, subscriptions: feed.subscriptions, sink: states,
            backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(100), seed: 3), now: MonotonicClock.now())
        return IngestStage(supervisor: supervisor, handler: feed, producer: producer, live: live)
    }

    /// Polls stage and server until `done` (or 5 s), draining the event ring into `view`.
    func run(
        _ stage: inout IngestStage<BybitFeed, RingProducer<ConnectionEvent>>, _ server: inout ScriptedBybit,
        _ events: inout RingConsumer<MarketEvent>, _ view: inout EventBook, until done: (borrowing EventBook, borrowing ScriptedBybit) -> Bool
    ) {
        let deadline = MonotonicClock.now() + .seconds(5)
        while MonotonicClock.now() < deadline && !done(view, server) {
            _ = stage.poll()
            server.poll()
            while let e = events.tryConsume() { view.take(e) }
            usleep(100)
        }
    }

    @Test("the recording through a real connection: the events rebuild exactly the book the sync holds; tops only when they move", .recordedVenueData)
    func recordingEndToEnd() throws {
        let lines = try bybitRecording()
        var server = try ScriptedBybit(snapshot: lines[0])
        let ring = try Ring<MarketEvent>.broadcast(capacity: 1 << 14, consumers: 1)
        var events = try ring.takeConsumer(0)
        let states = try Ring<ConnectionEvent>.spsc(capacity: 64)
        var ingest = stage(port: server.listener.port, producer: try ring.takeProducer(), states: try states.takeProducer())
        var view = EventBook()
        run(&ingest, &server, &events, &view) { view, _ in view.resets == 1 }
        #expect(server.received == [#"{"op":"subscribe","args":["orderbook.500.XRPUSDT"]}"#])
        for line in lines.dropFirst() { server.push(line) }
        run(&ingest, &server, &events, &view) { view, _ in view.ends == 50 }

        // The same stream through the sync directly.
        var direct = BybitBookSync(venue: VenueId(raw: 5), instrument: InstrumentId(raw: 9), priceScale: 4, quantityScale: 0)
        for line in lines { _ = try Array(line.utf8).withUnsafeBytes { try direct.apply(Bybit.decodeBook($0)) } }
        let viewBids = view.book.bids.array
        let viewAsks = view.book.asks.array
        #expect(viewBids == direct.book.bids.array && viewAsks == direct.book.asks.array)
        #expect(viewBids.count == 500)
        let lastTop = view.lastTop
        let top = try #require(lastTop)
        #expect(top.price == direct.book.bids.best?.price && top.price2 == direct.book.asks.best?.price)
        let tops = view.tops
        #expect(tops >= 1 && tops <= 50)
        let stats = ingest.stats
        #expect(stats.messages == 51 && stats.applied == 50 && stats.control == 1 && stats.malformed == 0)
        #expect(stats.latency.totalCount == 50)
        #expect(view.badStamps == 0, "every message ends with its messageTimes: receive ≤ decoded ≤ published")
        ingest.finish()
    }

    @Test("a malformed delta marks the book stale and resubscribes it; a drop marks it stale and the reconnect rebuilds it", .recordedVenueData)
    func staleResyncReconnect() throws {
        let lines = try bybitRecording()
        var server = try ScriptedBybit(snapshot: lines[0])
        let ring = try Ring<MarketEvent>.broadcast(capacity: 1 << 14, consumers: 1)
        var events = try ring.takeConsumer(0)
        let states = try Ring<ConnectionEvent>.spsc(capacity: 256)
        let counters = LiveCounters()
        var ingest = stage(port: server.listener.port, producer: try ring.takeProducer(), states: try states.takeProducer(), live: counters)
        var view = EventBook()
        run(&ingest, &server, &events, &view) { view, _ in view.resets == 1 }
        server.push(lines[1])
        // lines[2] with a bad decimal: it decodes, its levels do not; the book is stale and resubscribed.
        let badPrice = lines[2].replacingOccurrences(of: #"["1.9531","7171"]"#, with: #"["1.95x1","7171"]"#)
        #expect(badPrice != lines[2])
        server.push(badPrice)
        run(&ingest, &server, &events, &view) { view, _ in view.stales == 1 && view.resets == 2 }
        #expect(server.received.suffix(2) == [
            #"{"op":"unsubscribe","args":["orderbook.500.XRPUSDT"]}"#, #"{"op":"subscribe","args":["orderbook.500.XRPUSDT"]}"#,
        ])
        let afterResync = ingest.stats
        #expect(afterResync.malformed == 1 && afterResync.resubscriptions == 1)
        #expect(afterResync.lastError == .badNumber(field: "b", .malformed(offset: 4)))
        // lines[1] cut short cannot even be attributed (a lost update); lines[2] then skips an update id:
        // the gap makes the book stale and resubscribed.
        server.push(String(lines[1].prefix(200)))
        server.push(lines[2])
        run(&ingest, &server, &events, &view) { view, _ in view.stales == 2 && view.resets == 3 }
        let afterGap = ingest.stats
        #expect(afterGap.malformed == 2 && afterGap.resyncs == 1 && afterGap.resubscriptions == 2)
        let live = view.book.state
        #expect(live == .live)
        // A dropped connection: stale at once, and live again from the reconnect's snapshot.
        server.hangUp()
        run(&ingest, &server, &events, &view) { view, server in view.stales == 3 && view.resets == 4 && server.accepted == 2 }
        let (stales, resets, accepted) = (view.stales, view.resets, server.accepted)
        #expect(stales == 3 && resets == 4 && accepted == 2)
        #expect(ingest.stats.disconnects == 1)
        var direct = BybitBookSync(venue: VenueId(raw: 5), instrument: InstrumentId(raw: 9), priceScale: 4, quantityScale: 0)
        _ = try Array(lines[0].utf8).withUnsafeBytes { try direct.apply(Bybit.decodeBook($0)) }
        let bids = view.book.bids.array
        #expect(bids == direct.book.bids.array)
        ingest.finish()
        // A monitor on another thread reads the same counters, and what went wrong since it last looked.
        let seen = counters.snapshot
        #expect(seen.messages == ingest.stats.messages && seen.malformed == 2 && seen.resyncs == 1 && seen.disconnects == 1)
        #expect(seen.unknown == 0 && seen.venueErrors == 0)
        #expect(seen.trouble(since: LiveCounters.Snapshot()) == "malformed 2, resyncs 1, disconnects 1")
        #expect(seen.trouble(since: seen) == "")
        let words = counters.lastWords.withLock { $0 }
        #expect(words.malformed != nil && words.malformed == ingest.stats.lastError && words.venueError == nil)
    }
}
