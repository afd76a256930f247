import Foundation
import GantryCore
import GantryRing
import Testing

@testable import GantryBus

/// Publishes market events `range` (sequence = number) on `c`'s stream and waits until Redis confirmed them all.
func publish(_ range: ClosedRange<UInt64>, _ c: BusConfiguration, producer id: UInt64? = nil) throws -> UInt64 {
    let ring = try Ring<MarketEvent>.spsc(capacity: 1 << 15)
    var producer = try ring.takeProducer()
    var publisher = BusPublisher(configuration: c, producer: id)
    publisher.attach(try ring.takeConsumer())
    let refused = offer(range, to: &producer)
    #expect(refused == 0)
    #expect(until { _ = publisher.poll(); return publisher.stats.confirmed == range.count })
    return publisher.producer
}

/// Appends an entry as a publisher would, written by hand (a re-send, or a stranger's entry).
func xadd(_ c: BusConfiguration, producer: UInt64, sequence: UInt64, payload: [UInt8]) throws {
    let connection = try RedisConnection(host: c.host, port: c.port, connectTimeout: .milliseconds(200), commandTimeout: .seconds(2))
    var w = RESPWriter()
    w.command(arguments: 9)
    w.bulk("XADD")
    w.bulk(Array(c.stream(.market).utf8))
    w.bulk("*")
    w.bulk("p")
    w.bulk(decimal: producer)
    w.bulk("s")
    w.bulk(decimal: sequence)
    w.bulk("d")
    w.bulk(payload)
    _ = try connection.run(w, name: "XADD")
}

func bytes(of event: MarketEvent) -> [UInt8] { withUnsafeBytes(of: event) { Array($0) } }

@Suite("Bus consumer")
struct BusConsumerTests {
    @Test("two consumers of one group share the stream: each entry goes to exactly one, and all are acknowledged")
    func groupSharesWork() throws {
        var c = sharedConfiguration("group", batch: 50)
        c.block = .milliseconds(2)
        _ = try publish(1...2_000, c)
        let ringA = try Ring<MarketEvent>.spsc(capacity: 4_096)
        let ringB = try Ring<MarketEvent>.spsc(capacity: 4_096)
        var a = BusConsumer<MarketEvent>(configuration: c, name: "a", output: try ringA.takeProducer())
        var b = BusConsumer<MarketEvent>(configuration: c, name: "b", output: try ringB.takeProducer())
        var readA = try ringA.takeConsumer()
        var readB = try ringB.takeConsumer()
        var gotA: [MarketEvent] = []
        var gotB: [MarketEvent] = []
        #expect(until {
            _ = a.poll()
            _ = b.poll()
            _ = drain(&readA, into: &gotA)
            _ = drain(&readB, into: &gotB)
            return gotA.count + gotB.count >= 2_000
        })
        _ = a.poll()
        _ = b.poll()
        _ = drain(&readA, into: &gotA)
        _ = drain(&readB, into: &gotB)
        #expect(gotA.count > 0 && gotB.count > 0)
        #expect((gotA + gotB).map(\.sequence).sorted() == Array(1...2_000))
        // Each consumer hands on in stream order.
        #expect(gotA.map(\.sequence) == gotA.map(\.sequence).sorted() && gotB.map(\.sequence) == gotB.map(\.sequence).sorted())
        #expect(a.stats.acknowledged + b.stats.acknowledged == 2_000)
        #expect(try redisCommand(port: c.port, ["XPENDING", c.stream(.market), c.group]).hasPrefix("[0,"))
    }

    @Test("a re-sent entry (same producer and sequence) is handed on once; a stranger's entry is acknowledged and refused")
    func dropsResent() throws {
        let c = sharedConfiguration("dedupe")
        let producer = try publish(1...10, c)
        try xadd(c, producer: producer, sequence: 10, payload: bytes(of: marketEvent(10)))  // the re-send of a confirmed-late entry
        try xadd(c, producer: producer, sequence: 7, payload: bytes(of: marketEvent(7)))  // … of an older one
        try xadd(c, producer: producer, sequence: 11, payload: Array(repeating: 0, count: 10))  // wrong size
        for n in 11...12 as ClosedRange<UInt64> { try xadd(c, producer: producer, sequence: n, payload: bytes(of: marketEvent(n))) }
        let (got, stats) = try consume(MarketEvent.self, c, count: 12)
        #expect(got.map { $0.sequence } == Array(1...12))
        let expected = got.map { e -> [UInt8] in
            var x = marketEvent(e.sequence)
            x.receiveTime = e.receiveTime  // made again now: only the time differs
            return bytes(of: x)
        }
        #expect(got.map { bytes(of: $0) } == expected)
        #expect(stats.duplicates == 2 && stats.malformed == 1 && stats.delivered == 12 && stats.acknowledged == 15)
        if case .malformedEntry = stats.connection.lastError {} else { Issue.record("last error \(String(describing: stats.connection.lastError))") }
    }

    @Test("after a reconnect a consumer reads its pending entries first: ones it handed on are dropped and acknowledged")
    func recoversPending() throws {
        let c = sharedConfiguration("pending")
        let producer = try publish(1...30, c)
        // A consumer named "w" reads 20 entries and dies before acknowledging them.
        _ = try redisCommand(port: c.port, ["XGROUP", "CREATE", c.stream(.market), c.group, "0", "MKSTREAM"])
        let read = try redisCommand(port: c.port, ["XREADGROUP", "GROUP", c.group, "w", "COUNT", "20", "STREAMS", c.stream(.market), ">"])
        #expect(read.hasPrefix("["))
        #expect(try redisCommand(port: c.port, ["XPENDING", c.stream(.market), c.group]).hasPrefix("[20,"))
        // Its successor remembers handing on 1…15 (its own record): 16…30 go on, 1…15 are dropped, all are acknowledged.
        let ring = try Ring<MarketEvent>.spsc(capacity: 1_024)
        var w = BusConsumer<MarketEvent>(configuration: c, name: "w", output: try ring.takeProducer())
        w.seed(producer: producer, sequence: 15)
        var reader = try ring.takeConsumer()
        var got: [MarketEvent] = []
        #expect(until { _ = w.poll(); _ = drain(&reader, into: &got); return got.count >= 15 })
        #expect(got.map { $0.sequence } == Array(16...30))
        _ = w.poll()  // sends the last batch's XACK (ahead of its next read)
        #expect(w.stats.recovered == 20 && w.stats.duplicates == 15 && w.stats.acknowledged == 30)
        #expect(try redisCommand(port: c.port, ["XPENDING", c.stream(.market), c.group]).hasPrefix("[0,"))
    }

    @Test("when the stream and its group vanish (a Redis that lost its data), the consumer makes the group again and reads on")
    func groupVanishes() throws {
        let c = sharedConfiguration("vanish")
        let producer = try publish(1...10, c)
        let ring = try Ring<MarketEvent>.spsc(capacity: 1_024)
        var consumer = BusConsumer<MarketEvent>(configuration: c, name: "v", output: try ring.takeProducer())
        var reader = try ring.takeConsumer()
        var got: [MarketEvent] = []
        #expect(until { _ = consumer.poll(); _ = drain(&reader, into: &got); return got.count >= 10 })
        _ = try redisCommand(port: c.port, ["DEL", c.stream(.market)])
        for n in 11...20 as ClosedRange<UInt64> { try xadd(c, producer: producer, sequence: n, payload: bytes(of: marketEvent(n))) }
        #expect(until { _ = consumer.poll(); _ = drain(&reader, into: &got); return got.count >= 20 })
        #expect(got.map { $0.sequence } == Array(1...20))
        #expect(consumer.stats.connection.reconnects == 0 && consumer.stats.gaps == 0)
        guard case .rejected(_, let reply) = consumer.stats.connection.lastError else {
            Issue.record("last error \(String(describing: consumer.stats.connection.lastError))")
            return
        }
        #expect(reply.hasPrefix("NOGROUP") || reply.hasPrefix("UNBLOCKED"), "\(reply)")
    }

    @Test("fromNow: a consumer skips what was published before it started, the group's pending entries of an earlier run too, then reads all that follows; a group that vanishes is made again at the end; on a stream not made yet it starts empty")
    func fromNowSkipsBacklog() throws {
        let c = sharedConfiguration("from-now")
        let producer = try publish(1...30, c)
        // An earlier run of the group read 10 and died before acknowledging them: they are pending.
        _ = try redisCommand(port: c.port, ["XGROUP", "CREATE", c.stream(.market), c.group, "0", "MKSTREAM"])
        _ = try redisCommand(port: c.port, ["XREADGROUP", "GROUP", c.group, "n", "COUNT", "10", "STREAMS", c.stream(.market), ">"])
        #expect(try redisCommand(port: c.port, ["XPENDING", c.stream(.market), c.group]).hasPrefix("[10,"))
        let ring = try Ring<MarketEvent>.spsc(capacity: 1_024)
        var consumer = BusConsumer<MarketEvent>(configuration: c, name: "n", output: try ring.takeProducer(), fromNow: true)
        var reader = try ring.takeConsumer()
        var got: [MarketEvent] = []
        for _ in 0..<3 { _ = consumer.poll() }
        _ = drain(&reader, into: &got)
        #expect(got.isEmpty, "nothing of before: \(got.map(\.sequence))")
        #expect(try redisCommand(port: c.port, ["XPENDING", c.stream(.market), c.group]).hasPrefix("[0,"))
        for n in 31...40 as ClosedRange<UInt64> { try xadd(c, producer: producer, sequence: n, payload: bytes(of: marketEvent(n))) }
        #expect(until { _ = consumer.poll(); _ = drain(&reader, into: &got); return got.count >= 10 })
        #expect(got.map(\.sequence) == Array(31...40))
        // A group that vanishes (an operator, a Redis that lost it) is made again at the end, never at 0: the
        // stream's 40 entries are not read again.
        _ = try redisCommand(port: c.port, ["XGROUP", "DESTROY", c.stream(.market), c.group])
        for _ in 0..<4 { _ = consumer.poll() }
        for n in 41...45 as ClosedRange<UInt64> { try xadd(c, producer: producer, sequence: n, payload: bytes(of: marketEvent(n))) }
        #expect(until { _ = consumer.poll(); _ = drain(&reader, into: &got); return got.count >= 15 })
        for _ in 0..<3 { _ = consumer.poll() }
        _ = drain(&reader, into: &got)
        #expect(got.map(\.sequence) == Array(31...45))

        let fresh = sharedConfiguration("from-now-empty")
        let ring2 = try Ring<MarketEvent>.spsc(capacity: 1_024)
        var early = BusConsumer<MarketEvent>(configuration: fresh, name: "e", output: try ring2.takeProducer(), fromNow: true)
        var reader2 = try ring2.takeConsumer()
        var got2: [MarketEvent] = []
        _ = early.poll()
        _ = try publish(1...5, fresh)
        #expect(until { _ = early.poll(); _ = drain(&reader2, into: &got2); return got2.count >= 5 })
        #expect(got2.map(\.sequence) == Array(1...5))
    }
}
