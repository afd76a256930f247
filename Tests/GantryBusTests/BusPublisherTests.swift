import Foundation
import GantryCore
import GantryRing
import Testing

@testable import GantryBus

/// The same bytes, padding included: what went in is what came out.
func sameBytes<E: BitwiseCopyable>(_ a: [E], _ b: [E]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { x, y in withUnsafeBytes(of: x) { p in withUnsafeBytes(of: y) { q in p.elementsEqual(q) } } }
}

func intent(_ n: UInt64) -> OrderIntent {
    OrderIntent(
        intentId: n, signalId: n / 2, strategy: StrategyId(raw: UInt16(n % 9)), venue: VenueId(raw: 2), instrument: InstrumentId(raw: 77),
        pair: PairId(raw: 3), side: .sell, timeInForce: .gtc, price: Price(raw: 123_456 + Int64(n)), quantity: Quantity(raw: 9_999),
        expectedPrice: Price(raw: 123_000), lane: .hedge, legs: 2, triggerTime: Nanos(raw: 11 * Int64(n)), createdTime: Nanos(raw: 13 * Int64(n)))
}

func decision(_ n: UInt64) -> RiskDecision {
    var d = RiskDecision(
        intent: intent(n), reason: n % 2 == 0 ? .approved : .priceBand, approvedQuantity: Quantity(raw: 5_000), observed: -Int64(n), limit: 250,
        decidedTime: Nanos(raw: 17 * Int64(n)))
    d.clientOrderId = ClientOrderId(raw: 0xDEAD_BEEF_0000 + n)
    return d
}

func report(_ n: UInt64) -> OrderReport {
    OrderReport(
        status: .partiallyFilled, side: .buy, venue: VenueId(raw: 4), instrument: InstrumentId(raw: 5), clientOrderId: ClientOrderId(raw: n),
        venueOrderId: ~n, price: Price(raw: 42), lastQuantity: Quantity(raw: 1), cumulativeQuantity: Quantity(raw: Int64(n)), fee: -3,
        isTaker: n % 2 == 1, eventTime: Nanos(raw: 1_700_000_000_000_000_000 + Int64(n)))
}

func control(_ n: UInt64) -> ControlEvent {
    ControlEvent(
        command: .killSwitch, venue: VenueId(raw: 1), strategy: StrategyId(raw: 6), instrument: InstrumentId(raw: 8), reason: 12,
        issuedTime: Nanos(raw: Int64(n)), sequence: n)
}

func health(_ n: UInt64) -> VenueHealth {
    VenueHealth(venue: VenueId(raw: UInt8(n % 5 + 1)), ready: n % 3 != 0, roundTrip: Nanos(raw: Int64(n) * 1_000_003), time: Nanos(raw: Int64(n) << 20))
}

func flow(_ n: UInt64) -> FlowEvent {
    FlowEvent(
        kind: .block, block: 19_000_000 + n, token: 2, exchange: UInt16(n % 4), inflow: Int128(n) << 70, outflow: -Int128(n) * 1_000_000_007,
        transfers: Int16(n), blockTime: Nanos(raw: Int64(n) * 12_000_000_000), receiveTime: Nanos(raw: Int64(n) + 5))
}

/// Reads `count` events of `E`'s stream as consumer `name`, or what arrived within 10 s.
func consume<E: BusEvent>(_ type: E.Type, _ c: BusConfiguration, name: String = "reader", count: Int) throws -> ([E], BusConsumerStats) {
    let ring = try Ring<E>.spsc(capacity: 1 << 14)
    var consumer = BusConsumer<E>(configuration: c, name: name, output: try ring.takeProducer())
    var reader = try ring.takeConsumer()
    var got: [E] = []
    _ = until { _ = consumer.poll(); _ = drain(&reader, into: &got); return got.count >= count }
    // One more read: nothing more may come (a doubled entry would).
    _ = consumer.poll()
    _ = drain(&reader, into: &got)
    return (got, consumer.stats)
}

@Suite("Bus publisher")
struct BusPublisherTests {
    @Test("every event kind goes through Redis and comes back bit for bit, on its own stream, in order")
    func roundTrip() throws {
        let c = sharedConfiguration("kinds")
        let market = try Ring<MarketEvent>.spsc(capacity: 64)
        let intents = try Ring<OrderIntent>.spsc(capacity: 64)
        let decisions = try Ring<RiskDecision>.spsc(capacity: 64)
        let reports = try Ring<OrderReport>.spsc(capacity: 64)
        let controls = try Ring<ControlEvent>.spsc(capacity: 64)
        let healths = try Ring<VenueHealth>.spsc(capacity: 64)
        let flows = try Ring<FlowEvent>.spsc(capacity: 64)
        var publisher = BusPublisher(configuration: c)
        publisher.attach(try market.takeConsumer())
        publisher.attach(try intents.takeConsumer())
        publisher.attach(try decisions.takeConsumer())
        publisher.attach(try reports.takeConsumer())
        publisher.attach(try controls.takeConsumer())
        publisher.attach(try healths.takeConsumer())
        publisher.attach(try flows.takeConsumer())
        let m = (1...20).map { marketEvent($0) }
        let i = (1...20).map { intent($0) }
        let d = (1...20).map { decision($0) }
        let r = (1...20).map { report($0) }
        let k = (1...20).map { control($0) }
        let h = (1...20).map { health($0) }
        let f = (1...20).map { flow($0) }
        var pm = try market.takeProducer()
        var pi = try intents.takeProducer()
        var pd = try decisions.takeProducer()
        var pr = try reports.takeProducer()
        var pk = try controls.takeProducer()
        var ph = try healths.takeProducer()
        var pf = try flows.takeProducer()
        for n in 0..<20 {
            let ok = pm.tryPublish(m[n]) && pi.tryPublish(i[n]) && pd.tryPublish(d[n]) && pr.tryPublish(r[n]) && pk.tryPublish(k[n]) && ph.tryPublish(h[n]) && pf.tryPublish(f[n])
            #expect(ok)
        }
        #expect(until { _ = publisher.poll(); return publisher.stats.confirmed == 140 })
        #expect(publisher.unconfirmed == 0 && publisher.stats.sent == 140 && publisher.stats.resent == 0)
        for kind in BusEventKind.allCases {
            #expect(publisher.lastSequence(kind) == 20)
            #expect(try redisCommand(port: c.port, ["XLEN", c.stream(kind)]) == "20")
        }
        #expect(try sameBytes(consume(MarketEvent.self, c, count: 20).0, m))
        #expect(try sameBytes(consume(OrderIntent.self, c, count: 20).0, i))
        #expect(try sameBytes(consume(RiskDecision.self, c, count: 20).0, d))
        #expect(try sameBytes(consume(OrderReport.self, c, count: 20).0, r))
        #expect(try sameBytes(consume(ControlEvent.self, c, count: 20).0, k))
        #expect(try sameBytes(consume(VenueHealth.self, c, count: 20).0, h))
        #expect(try sameBytes(consume(FlowEvent.self, c, count: 20).0, f))
    }

    @Test("MAXLEN ~ bounds a stream: never below the limit, never past it by more than one stream node (100 entries)")
    func maxLength() throws {
        var c = sharedConfiguration("maxlen")
        c.maxLength = 1_000
        let ring = try Ring<MarketEvent>.spsc(capacity: 1 << 15)
        var producer = try ring.takeProducer()
        var publisher = BusPublisher(configuration: c)
        publisher.attach(try ring.takeConsumer())
        let refused = offer(1...20_000, to: &producer)
        #expect(refused == 0)
        #expect(until { _ = publisher.poll(); return publisher.stats.confirmed == 20_000 })
        let length = try #require(Int(redisCommand(port: c.port, ["XLEN", c.stream(.market)])))
        #expect(length >= 1_000 && length < 1_100, "XLEN \(length)")
        // What is left is the newest: the consumer's first entry continues to the last, and the gap before it is counted.
        let (got, stats) = try consume(MarketEvent.self, c, count: length)
        #expect(got.count == length && got.last?.sequence == 20_000 && got.first?.sequence == UInt64(20_001 - length))
        #expect(stats.gaps == 0 && stats.duplicates == 0)
    }

    @Test("with Redis down the publisher keeps what it took, retries with backoff, and sends it all in order when Redis comes")
    func buffersWhileDown() throws {
        let server = RedisServer(port: testPort(1))
        defer { server.remove() }
        let c = ownConfiguration(port: server.port, "down", batch: 128)
        let ring = try Ring<MarketEvent>.spsc(capacity: 1 << 14)
        var producer = try ring.takeProducer()
        var publisher = BusPublisher(configuration: c)
        publisher.attach(try ring.takeConsumer())
        let refused = offer(1...5_000, to: &producer)
        #expect(refused == 0)
        _ = until(seconds: 0.3) { _ = publisher.poll(); return false }
        #expect(publisher.unconfirmed == 5_000 && publisher.stats.confirmed == 0 && !publisher.stats.connection.connected)
        #expect(publisher.stats.connection.connectFailures >= 2)  // retried, spaced by the backoff
        #expect(publisher.stats.connection.connectFailures < 40)  // … not once per poll
        if case .connectFailed = publisher.stats.connection.lastError {} else { Issue.record("last error \(String(describing: publisher.stats.connection.lastError))") }
        try server.start()
        #expect(until { _ = publisher.poll(); return publisher.stats.confirmed == 5_000 })
        #expect(publisher.stats.connection.connected && publisher.stats.dropped == 0 && publisher.unconfirmed == 0)
        let (got, stats) = try consume(MarketEvent.self, c, count: 5_000)
        #expect(got.map { $0.sequence } == Array(1...5_000))
        #expect(stats.duplicates == 0 && stats.gaps == 0)
    }

    @Test("with the outbox full and overflow drop, the newest events are dropped and counted, and consumers see the gap")
    func overflowDrops() throws {
        let server = RedisServer(port: testPort(2))
        defer { server.remove() }
        var c = ownConfiguration(port: server.port, "drop", batch: 64)
        c.outbox = 1_024
        let ring = try Ring<MarketEvent>.spsc(capacity: 1 << 12)
        var producer = try ring.takeProducer()
        var publisher = BusPublisher(configuration: c)
        publisher.attach(try ring.takeConsumer())
        let refused = offer(1...3_000, to: &producer)
        #expect(refused == 0)
        _ = until(seconds: 0.1) { _ = publisher.poll(); return false }
        #expect(publisher.unconfirmed == 1_024 && publisher.stats.dropped == 1_976)
        #expect(producer.slowestLag == 0)  // the ring was drained all the same: its producer never waits
        try server.start()
        #expect(until { _ = publisher.poll(); return publisher.stats.confirmed == 1_024 })
        let refusedLater = offer(3_001...3_010, to: &producer)
        #expect(refusedLater == 0)
        #expect(until { _ = publisher.poll(); return publisher.stats.confirmed == 1_034 })
        #expect(publisher.stats.dropped == 1_976 && publisher.stats.resent == 0)
        let (got, stats) = try consume(MarketEvent.self, c, count: 1_034)
        #expect(got.map { $0.sequence } == Array(1...1_024) + Array(3_001...3_010))
        #expect(stats.gaps == 1_976)
    }

    @Test("a Redis that hangs costs the publisher one command timeout, not its thread: it reconnects, re-sends, and consumers drop the doubles")
    func hungRedis() throws {
        let server = RedisServer(port: testPort(4))
        defer { server.remove() }
        try server.start()
        var c = ownConfiguration(port: server.port, "hung", batch: 64)
        c.commandTimeout = .milliseconds(300)
        c.connectTimeout = .milliseconds(300)
        let ring = try Ring<MarketEvent>.spsc(capacity: 1 << 12)
        var producer = try ring.takeProducer()
        var publisher = BusPublisher(configuration: c)
        publisher.attach(try ring.takeConsumer())
        var refused = offer(1...100, to: &producer)
        #expect(until { _ = publisher.poll(); return publisher.stats.confirmed == 100 })
        server.freeze()
        refused += offer(101...300, to: &producer)
        #expect(refused == 0)
        let before = MonotonicClock.now()
        _ = publisher.poll()  // writes the XADDs, then waits for replies that do not come
        let took = MonotonicClock.now() - before
        #expect(took >= .milliseconds(250) && took < .seconds(2), "one poll took \(took.raw / 1_000_000) ms")
        if case .connectionLost = publisher.stats.connection.lastError {} else { Issue.record("last error \(String(describing: publisher.stats.connection.lastError))") }
        #expect(!publisher.stats.connection.connected && publisher.unconfirmed + producer.slowestLag == 200)
        server.thaw()  // Redis now serves the XADDs that waited on the dead connection: those entries are doubled below
        #expect(until { _ = publisher.poll(); return publisher.stats.confirmed == 300 })
        #expect(publisher.stats.connection.reconnects >= 1 && publisher.stats.resent > 0)
        let (got, stats) = try consume(MarketEvent.self, c, count: 300)
        #expect(got.map { $0.sequence } == Array(1...300))
        let length = try #require(Int(redisCommand(port: c.port, ["XLEN", c.stream(.market)])))
        #expect(stats.duplicates == length - 300 && stats.gaps == 0)
    }

    @Test("an XADD Redis refuses (the key holds another type) is counted and dropped, and the publisher goes on")
    func rejected() throws {
        let c = sharedConfiguration("rejected")
        _ = try redisCommand(port: c.port, ["SET", c.stream(.market), "not a stream"])
        let ring = try Ring<MarketEvent>.spsc(capacity: 1_024)
        var producer = try ring.takeProducer()
        var publisher = BusPublisher(configuration: c)
        publisher.attach(try ring.takeConsumer())
        let refused = offer(1...10, to: &producer)
        #expect(refused == 0)
        #expect(until { _ = publisher.poll(); return publisher.stats.rejected == 10 })
        #expect(publisher.stats.confirmed == 0 && publisher.unconfirmed == 0 && publisher.stats.connection.connected)
        guard case .rejected(let command, let reply) = publisher.stats.connection.lastError else {
            Issue.record("last error \(String(describing: publisher.stats.connection.lastError))")
            return
        }
        #expect(command == "XADD" && reply.hasPrefix("WRONGTYPE"))
        _ = try redisCommand(port: c.port, ["DEL", c.stream(.market)])
        let refusedLater = offer(11...20, to: &producer)
        #expect(refusedLater == 0)
        #expect(until { _ = publisher.poll(); return publisher.stats.confirmed == 10 })
        let (got, _) = try consume(MarketEvent.self, c, count: 10)
        #expect(got.map { $0.sequence } == Array(11...20))
    }
}
