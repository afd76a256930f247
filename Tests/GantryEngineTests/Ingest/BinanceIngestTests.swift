import Foundation
import GantryBook
import GantryCore
import GantryEngine
import GantryNet
import GantryRing
import GantryVenues
import GantryTestSupport
import Testing

/// A recording's text (`RecordedVenueData`).
func venueFile(_ path: String) throws -> String { try RecordedVenueData.text(path) }

/// A plain HTTP/1.1 server for the snapshot endpoint: answers each GET with the next prepared response
/// (status, body), keeping the connection alive; records the request targets.
struct ScriptedREST: ~Copyable {
    let listener: TCPListener
    var socket: TCPSocket? = nil
    var hasSocket = false
    var pending: [UInt8] = []
    var responses: [(Int, String)] = []
    var targets: [String] = []
    /// Requests received and not answered yet.
    var waiting = 0

    init() throws { listener = try TCPListener(host: "127.0.0.1", port: 0) }

    mutating func poll() {
        if let s = try? listener.accept() {
            socket = consume s
            hasSocket = true
        }
        guard hasSocket else { return }
        var buffer = [UInt8](repeating: 0, count: 8_192)
        let r = buffer.withUnsafeMutableBytes { socket!.receive(into: $0) }
        switch r {
        case .bytes(let n, _): pending += buffer[0..<n]
        case .closed, .failed:
            socket = nil
            hasSocket = false
            return
        case .wouldBlock: break
        }
        // Requests are recorded as they arrive, and answered while prepared responses last.
        while let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) {
            let head = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
            pending.removeSubrange(..<end.upperBound)
            targets.append(String(head.split(separator: " ")[1]))
            waiting += 1
        }
        while waiting > 0 && !responses.isEmpty {
            waiting -= 1
            let (status, body) = responses.removeFirst()
            let text = "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            var out = Array(text.utf8)
            while !out.isEmpty {
                guard case .sent(let k) = out.withUnsafeBytes({ socket!.send($0) }) else { continue }
                out.removeFirst(k)
            }
        }
    }
}

/// A Binance combined-stream WebSocket venue: replies to SUBSCRIBE, then sends what the test pushes.
struct ScriptedStream: ~Copyable {
    let listener: TCPListener
    var connection: WebSocketConnection? = nil
    var hasConnection = false
    var subscriptions: [String] = []

    init() throws { listener = try TCPListener(host: "127.0.0.1", port: 0) }

    mutating func poll() {
        if let s = try? listener.accept() {
            connection = try? WebSocketConnection(accepted: s, tls: nil)
            hasConnection = true
        }
        guard hasConnection else { return }
        var texts: [String] = []
        _ = connection!.poll { event in
            if case .message(_, let p, _) = event { texts.append(String(decoding: p, as: UTF8.self)) }
        }
        for t in texts {
            subscriptions.append(t)
            push(#"{"result":null,"id":1}"#)
        }
    }

    mutating func push(_ text: String) {
        Array(text.utf8).withUnsafeBytes { _ = connection!.send(.text, $0) }
    }
}

@Suite("Ingest stage with REST snapshots: Binance's documented sync over real sockets", .serialized)
struct BinanceIngestTests {
    static let nkn = FeedInstrument(symbol: "NKNUSDT", instrument: InstrumentId(raw: 4), priceScale: 8, quantityScale: 8)

    /// A REST snapshot body for `book` as it stands, with `lastUpdateId`.
    func snapshotBody(_ book: borrowing L2Book, lastUpdateId: UInt64) -> String {
        func side(_ levels: [BookLevel]) -> String {
            levels.map { #"["\#(FixedPoint.string($0.price.raw, scale: 8))","\#(FixedPoint.string($0.quantity.raw, scale: 8))"]"# }.joined(separator: ",")
        }
        return #"{"lastUpdateId":\#(lastUpdateId),"bids":[\#(side(book.bids.array))],"asks":[\#(side(book.asks.array))]}"#
    }

    @Test("the NKNUSDT recording: buffered diffs, the REST snapshot, the U/u rule; a gap fetches a new snapshot (after a 503)", .recordedVenueData)
    func recording() throws {
        let diffs = try venueFile("binance/NKNUSDT_depthUpdate_100ms.jsonl").split(whereSeparator: \.isNewline).map(String.init)
        let snapshot = try venueFile("binance/NKNUSDT_depth_snapshot_rest.json")
        var stream = try ScriptedStream()
        var rest = try ScriptedREST()
        // The snapshot is held back until diffs have been buffered behind its request (each asks for a
        // snapshot: only one may be fetched, and none once the book is live).
        let ring = try Ring<MarketEvent>.broadcast(capacity: 1 << 14, consumers: 1)
        var events = try ring.takeConsumer(0)
        let states = try Ring<ConnectionEvent>.spsc(capacity: 64)
        let feed = BinanceFeed(venue: VenueId(raw: 1), instruments: [Self.nkn], retryAfter: .milliseconds(20))
        let supervisor = WebSocketSupervisor(
            endpoint: WebSocketEndpoint(address: "127.0.0.1", port: stream.listener.port, host: "stream.binance.test", path: "/stream", tls: nil),
            venue: VenueId(raw: 1), index: 0, subscriptions: feed.subscriptions, sink: try states.takeProducer(),
            backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(100), seed: 5), now: MonotonicClock.now())
        let client = HTTPClient(address: "127.0.0.1", port: rest.listener.port, host: "api.binance.test", tls: nil)
        var ingest = IngestStage(supervisor: supervisor, handler: feed, producer: try ring.takeProducer(), rest: client)
        var view = EventBook(venue: VenueId(raw: 1), instrument: InstrumentId(raw: 4))
        func run(until done: (borrowing EventBook) -> Bool) {
            let deadline = MonotonicClock.now() + .seconds(5)
            while MonotonicClock.now() < deadline && !done(view) {
                _ = ingest.poll()
                stream.poll()
                rest.poll()
                while let e = events.tryConsume() { view.take(e) }
                usleep(100)
            }
        }
        run { _ in stream.subscriptions.count == 1 }
        #expect(stream.subscriptions == [#"{"method":"SUBSCRIBE","params":["nknusdt@depth@100ms"],"id":1}"#])
        // The first diffs are buffered and the snapshot asked for; it arrives after them; the rest follow.
        stream.push(diffs[0])
        run { _ in rest.waiting > 0 }
        for d in diffs[1..<5] { stream.push(d) }
        run { _ in ingest.stats.ignored >= 5 }
        rest.responses = [(200, snapshot)]
        run { view in view.resets == 1 }
        for d in diffs.dropFirst(5) { stream.push(d) }
        var direct = BinanceBookSync(venue: VenueId(raw: 1), instrument: InstrumentId(raw: 4), priceScale: 8, quantityScale: 8)
        _ = try Array(diffs[0].utf8).withUnsafeBytes { bytes in
            guard case .depth(let d) = try Binance.decode(bytes) else { throw DecodeError.unknownMessage }
            return try direct.apply(d)
        }
        _ = try Array(snapshot.utf8).withUnsafeBytes { try direct.load(Binance.decodeSnapshot($0)) }
        for d in diffs.dropFirst() {
            _ = try Array(d.utf8).withUnsafeBytes { bytes in
                guard case .depth(let diff) = try Binance.decode(bytes) else { throw DecodeError.unknownMessage }
                return try direct.apply(diff)
            }
        }
        let lastU = direct.book.sequence
        run { view in view.lastSequence == lastU }
        let (bids, asks) = (view.book.bids.array, view.book.asks.array)
        #expect(bids == direct.book.bids.array && asks == direct.book.asks.array)
        // The snapshot (which replayed the four buffered diffs after the first), then 145 live diffs.
        #expect(ingest.stats.applied == 1 + 145 && ingest.stats.snapshots == 1)
        #expect(rest.targets == ["/api/v3/depth?symbol=NKNUSDT&limit=1000"])

        // A gap: an update id is skipped. The book goes stale; the first snapshot request gets a 503, the retry
        // a fresh snapshot that the buffered diffs continue.
        let u = lastU
        func diff(_ first: UInt64, _ last: UInt64, _ price: String, _ qty: String) -> String {
            #"{"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"NKNUSDT","U":\#(first),"u":\#(last),"b":[["\#(price)","\#(qty)"]],"a":[]}}"#
        }
        var model = L2Book(venue: VenueId(raw: 1), instrument: InstrumentId(raw: 4), depth: 5_000)
        for l in direct.book.bids.array { model.apply(.buy, l.price, l.quantity) }
        for l in direct.book.asks.array { model.apply(.sell, l.price, l.quantity) }
        model.apply(.buy, Price("0.30000000", scale: 8), Quantity("5", scale: 8))
        model.apply(.buy, Price("0.30010000", scale: 8), Quantity("6", scale: 8))
        rest.responses = [(503, #"{"code":-1003,"msg":"busy"}"#), (200, snapshotBody(model, lastUpdateId: u + 2))]
        stream.push(diff(u + 2, u + 2, "0.30000000", "5"))  // u + 1 never came
        stream.push(diff(u + 3, u + 3, "0.30020000", "7"))
        model.apply(.buy, Price("0.30020000", scale: 8), Quantity("7", scale: 8))
        run { view in view.resets == 2 && view.lastSequence == u + 3 }
        let stales = view.stales
        #expect(stales == 1)
        #expect(rest.targets.count == 3 && ingest.stats.snapshotFailures == 1)
        let rebuilt = (view.book.bids.array, view.book.asks.array)
        #expect(rebuilt.0 == model.bids.array && rebuilt.1 == model.asks.array)
        let (badStamps, ends) = (view.badStamps, view.ends)
        #expect(badStamps == 0, "every message and REST snapshot ends with its timestamps, in order")
        #expect(ends == ingest.stats.batches, "one end (its times) per published batch")
        ingest.finish()
    }
}
