import Foundation
import GantryCore
import GantryNet
import GantryRing
import Testing

/// Our WebSocket server for one client at a time: accepts, records what it receives, can hang up
/// (dropping the TCP connection without a close frame) or stop answering (to make the client's feed stale).
struct TestVenue: ~Copyable {
    let listener: TCPListener
    var connection: WebSocketConnection? = nil
    var hasConnection = false
    var received: [String] = []
    var accepted = 0
    var silent = false

    init() throws { listener = try TCPListener(host: "127.0.0.1", port: 0) }

    mutating func poll() {
        if let socket = try? listener.accept() {
            connection = try? WebSocketConnection(accepted: socket, tls: nil)
            hasConnection = true
            accepted += 1
        }
        guard hasConnection, !silent else { return }
        var events: [String] = []
        step(&connection!, echo: false, &events)
        received += events.filter { $0.hasPrefix("text:") }
        if events.contains(where: { $0.hasPrefix("closed") }) { hangUp() }
    }

    mutating func hangUp() {
        connection = nil
        hasConnection = false
        silent = false
    }
}

func states(_ consumer: inout RingConsumer<ConnectionEvent>, into events: inout [ConnectionEvent]) {
    while let e = consumer.tryConsume() { events.append(e) }
}

@Suite("WebSocket supervisor: reconnects, heartbeat, state events on a ring", .serialized)
struct WebSocketSupervisorTests {
    func supervisor(
        port: Int, producer: consuming RingProducer<ConnectionEvent>, ping: Nanos = .seconds(10), stale: Nanos = .seconds(30)
    ) -> WebSocketSupervisor<RingProducer<ConnectionEvent>> {
        WebSocketSupervisor(
            endpoint: WebSocketEndpoint(address: "127.0.0.1", port: port, host: "venue.test", path: "/ws", tls: nil),
            venue: VenueId(raw: 3), index: 1, subscriptions: [Array("{\"subscribe\":\"btcusdt@depth\"}".utf8)],
            sink: producer, backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(200), seed: 7),
            pingInterval: ping, staleAfter: stale, now: MonotonicClock.now())
    }

    @Test("a dropped connection is reconnected after backoff and subscribed again; every state is published")
    func reconnects() throws {
        var venue = try TestVenue()
        let ring = try Ring<ConnectionEvent>.spsc(capacity: 64)
        var consumer = try ring.takeConsumer()
        var feed = supervisor(port: venue.listener.port, producer: try ring.takeProducer())
        var events: [ConnectionEvent] = []
        let deadline = MonotonicClock.now() + .seconds(5)
        var hungUp = false
        while MonotonicClock.now() < deadline && venue.received.count < 2 {
            _ = feed.poll(now: MonotonicClock.now()) { _ in }
            venue.poll()
            if venue.received.count == 1 && !hungUp {
                venue.hangUp()
                hungUp = true
            }
            states(&consumer, into: &events)
            usleep(200)
        }
        states(&consumer, into: &events)
        #expect(venue.received == Array(repeating: "text:{\"subscribe\":\"btcusdt@depth\"}", count: 2))
        #expect(venue.accepted == 2)
        #expect(events.map(\.state) == [.connecting, .open, .closed, .waitingToReconnect, .connecting, .open])
        #expect(events.allSatisfy { $0.venue == VenueId(raw: 3) && $0.connection == 1 })
        #expect(events[2].closeCode == 1006)
        #expect(events[3].retryAfter <= .milliseconds(20))
        #expect(events.map(\.attempt) == [1, 1, 1, 1, 2, 2])
        feed.stop(now: MonotonicClock.now())
        states(&consumer, into: &events)
        #expect(events.last?.state == .stopped)
    }

    @Test("a silent feed is pinged, then marked stale, dropped and reconnected; its handler hears of the drop")
    func staleFeed() throws {
        var venue = try TestVenue()
        let ring = try Ring<ConnectionEvent>.spsc(capacity: 64)
        var consumer = try ring.takeConsumer()
        var feed = supervisor(port: venue.listener.port, producer: try ring.takeProducer(), ping: .milliseconds(50), stale: .milliseconds(200))
        var events: [ConnectionEvent] = []
        // What the handler (the ingest stage, which marks its books stale on a close) was told.
        var closes = 0
        let deadline = MonotonicClock.now() + .seconds(5)
        while MonotonicClock.now() < deadline && venue.accepted < 2 {
            _ = feed.poll(now: MonotonicClock.now()) { event in
                if case .closed = event { closes += 1 }
            }
            venue.poll()
            if venue.received.count == 1 { venue.silent = true }  // no more reads: no pongs, no data
            states(&consumer, into: &events)
            usleep(200)
        }
        states(&consumer, into: &events)
        #expect(venue.accepted == 2)
        #expect(Array(events.map(\.state).prefix(5)) == [.connecting, .open, .stale, .closed, .waitingToReconnect])
        #expect(closes == 1)
        let open = events[1].time
        let stale = events[2].time
        #expect(stale - open >= .milliseconds(200))
        #expect(stale - open < .milliseconds(1_000))
    }

    @Test("a venue's keep-alive text goes out every period while the connection is open, traffic or not")
    func keepAlive() throws {
        var venue = try TestVenue()
        let ring = try Ring<ConnectionEvent>.spsc(capacity: 64)
        var consumer = try ring.takeConsumer()
        // The protocol's pings would come after 10 s of silence; the keep-alive every 100 ms regardless.
        var feed = supervisor(port: venue.listener.port, producer: try ring.takeProducer())
        feed.keepAlive = KeepAlive(text: #"{"op":"ping"}"#, every: .milliseconds(100))
        var events: [ConnectionEvent] = []
        var opened: Nanos? = nil
        let deadline = MonotonicClock.now() + .seconds(5)
        while MonotonicClock.now() < deadline && venue.received.count < 4 {
            _ = feed.poll(now: MonotonicClock.now()) { event in
                if case .open = event { opened = MonotonicClock.now() }
            }
            venue.poll()
            // Traffic from the venue all along: the keep-alive is not a reply to silence.
            if venue.hasConnection {
                let tick = Array(#"{"tick":1}"#.utf8)
                tick.withUnsafeBytes { _ = venue.connection!.send(.text, $0) }
            }
            states(&consumer, into: &events)
            usleep(1_000)
        }
        let elapsed = MonotonicClock.now() - (opened ?? MonotonicClock.now())
        #expect(venue.received == ["text:{\"subscribe\":\"btcusdt@depth\"}"] + Array(repeating: #"text:{"op":"ping"}"#, count: 3))
        #expect(elapsed >= .milliseconds(300), "three periods after the open, not sooner")
        #expect(venue.accepted == 1)
        feed.stop(now: MonotonicClock.now())
    }

    @Test("a refused connection is retried with growing, capped, jittered delays")
    func refused() throws {
        let closed = try TCPListener(host: "127.0.0.1", port: 0)
        let port = closed.port
        _ = consume closed
        let ring = try Ring<ConnectionEvent>.spsc(capacity: 256)
        var consumer = try ring.takeConsumer()
        var feed = supervisor(port: port, producer: try ring.takeProducer())
        var events: [ConnectionEvent] = []
        let deadline = MonotonicClock.now() + .milliseconds(1_500)
        while MonotonicClock.now() < deadline {
            _ = feed.poll(now: MonotonicClock.now()) { _ in }
            states(&consumer, into: &events)
            usleep(500)
        }
        let waits = events.filter { $0.state == .waitingToReconnect }
        #expect(waits.count >= 4)
        for (k, w) in waits.enumerated() {
            #expect(w.retryAfter <= min(.milliseconds(20 << k), .milliseconds(200)))
            #expect(w.attempt == UInt32(k + 1))
        }
        #expect(!events.contains { $0.state == .open })
    }

    @Test("events the ring cannot take wait in order and are delivered later")
    func fullRing() throws {
        let closed = try TCPListener(host: "127.0.0.1", port: 0)
        let port = closed.port
        _ = consume closed
        let ring = try Ring<ConnectionEvent>.spsc(capacity: 4)
        var consumer = try ring.takeConsumer()
        var feed = supervisor(port: port, producer: try ring.takeProducer())
        var now = MonotonicClock.now()
        // Three refused attempts (three events each; the refusal is seen on the poll after the connect)
        // without reading the ring, which holds four.
        for _ in 0..<6 {
            _ = feed.poll(now: now) { _ in }
            now = now + .seconds(1)
        }
        var events: [ConnectionEvent] = []
        for _ in 0..<4 {
            states(&consumer, into: &events)
            _ = feed.poll(now: now) { _ in }
        }
        states(&consumer, into: &events)
        let expected: [ConnectionState] = [.connecting, .closed, .waitingToReconnect]
        #expect(Array(events.map(\.state).prefix(9)) == expected + expected + expected)
        #expect(Array(events.map(\.attempt).prefix(9)) == [1, 1, 1, 2, 2, 2, 3, 3, 3])
        #expect(feed.droppedEvents == 0)
    }
}
