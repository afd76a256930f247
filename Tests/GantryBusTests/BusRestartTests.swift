import Foundation
import GantryCore
import GantryLoop
import GantryRing
import Testing

@testable import GantryBus

// What the append-only file guarantees, and so what this test asserts exactly. Redis appends every write
// command to its AOF before it replies to the command (with `appendfsync always` it also fsyncs it before the
// reply). A redis-server killed with SIGKILL therefore comes back with every XADD whose reply the publisher got,
// every XREADGROUP delivery whose reply the consumer got, and every acknowledgement whose reply came back; of what
// was in flight, any part may or may not have been written. So: an XADD unanswered at the crash is re-sent
// (maybe doubled in the stream, dropped by sequence); an entry read but not acknowledged is pending again after
// the restart (re-read from id 0, dropped by sequence); nothing answered is lost. One consumer must therefore
// hand on every one of the events, each exactly once, in order.

@Suite("Bus across a Redis restart")
struct BusRestartTests {
    /// 1 M events with GANTRY_BUS_LONG=1 (`make test`, which runs the bus suites after the others: this one keeps
    /// both cores busy for half a minute, which starves timing-sensitive end-to-end tests run beside it); 100,000
    /// in a plain `swift test`.
    static var total: UInt64 { ProcessInfo.processInfo.environment["GANTRY_BUS_LONG"] == "1" ? 1_000_000 : 100_000 }

    @Test("1 M market events (100 k unless GANTRY_BUS_LONG=1) are published and consumed, none lost or doubled, across a Redis crash and restart in the middle")
    func millionAcrossRestart() throws {
        let total = Self.total
        let server = RedisServer(port: testPort(3), fsync: "always")
        defer { server.remove() }
        try server.start()
        var c = BusConfiguration(host: "127.0.0.1", port: server.port, namespace: "million")
        c.maxLength = 2 * Int(total)  // no trimming: the consumer may lag far behind while Redis is down
        c.batch = 512
        c.overflow = .wait  // nothing may be lost, so the test's producer waits for the bus
        c.block = .milliseconds(20)
        c.backoffInitial = .milliseconds(10)
        c.backoffMaximum = .milliseconds(100)
        let input = try Ring<MarketEvent>.spsc(capacity: 1 << 16)
        let output = try Ring<MarketEvent>.spsc(capacity: 1 << 16)
        let publisherBoard = BusStatsBoard(BusPublisherStats())
        let consumerBoard = BusStatsBoard(BusConsumerStats())
        let publisherInput = Handoff(try input.takeConsumer())
        let consumerOutput = Handoff(try output.takeProducer())
        let configuration = c
        let publisherRunner = try Runner(RunnerSpec(name: "bus-publish", cpu: nil, mode: .adaptiveShared)) { context in
            var p = BusPublisher(configuration: configuration, context: context, board: publisherBoard)
            p.attach(publisherInput.take()!)
            return p
        }
        let consumerRunner = try Runner(RunnerSpec(name: "bus-consume", cpu: nil, mode: .adaptiveShared)) { context in
            BusConsumer<MarketEvent>(configuration: configuration, name: "one", output: consumerOutput.take()!, context: context, board: consumerBoard)
        }
        var producer = try input.takeProducer()
        producer.attach(doorbell: publisherRunner.doorbell)
        var reader = try output.takeConsumer()

        var next: UInt64 = 1  // the next to publish
        var expected: UInt64 = 1  // the next the consumer must hand on
        var wrong: [(got: UInt64, expected: UInt64)] = []
        var restartedAt: (published: Int, consumed: UInt64)? = nil
        var restartTook = Nanos.zero
        let deadline = MonotonicClock.now() + .seconds(100)
        while expected <= total && MonotonicClock.now() < deadline {
            var work = 0
            if next <= total {
                let slots = producer.claim(upTo: Int(min(4_096, total - next + 1)))
                for k in 0..<slots.count { slots[k] = marketEvent(next + UInt64(k)) }
                producer.commit(slots.count)
                next += UInt64(slots.count)
                work += slots.count
            }
            work += reader.poll(upTo: 8_192) { batch in
                for e in batch {
                    if e.sequence != expected && wrong.count < 10 { wrong.append((e.sequence, expected)) }
                    expected = e.sequence + 1
                }
            }
            // Crash Redis once the publisher is half way, while the consumer is somewhere behind it.
            if restartedAt == nil && publisherBoard.stats.confirmed >= Int(total / 2) {
                restartedAt = (publisherBoard.stats.confirmed, expected - 1)
                let down = MonotonicClock.now()
                server.kill()
                try server.start(timeout: .seconds(40))
                restartTook = MonotonicClock.now() - down
            }
            if work == 0 { usleep(200) }
        }
        // A doubled entry arriving late would show here.
        usleep(200_000)
        _ = reader.poll(upTo: 8_192) { batch in
            for e in batch where wrong.count < 10 { wrong.append((e.sequence, expected)) }
        }
        publisherRunner.stop()
        consumerRunner.stop()
        let published = publisherBoard.stats
        let consumed = consumerBoard.stats
        #expect(restartedAt != nil)
        #expect(restartedAt.map { $0.consumed < total } == true, "the consumer had finished before the crash")
        #expect(expected == total + 1, "handed on 1…\(expected - 1) of \(total)")
        #expect(wrong.isEmpty, "out of order or doubled: \(wrong)")
        #expect(published.confirmed >= Int(total) && published.dropped == 0 && published.rejected == 0)
        #expect(published.connection.reconnects >= 1 && consumed.connection.reconnects >= 1)
        #expect(consumed.delivered == Int(total) && consumed.gaps == 0 && consumed.malformed == 0)
        #expect(try Int(redisCommand(port: server.port, ["XLEN", c.stream(.market)]))! >= Int(total))
        print(
            "bus restart: crashed at \(restartedAt.map { "\($0.published) confirmed, \($0.consumed) consumed" } ?? "-"), "
                + "back in \(restartTook.raw / 1_000_000) ms; re-sent \(published.resent), "
                + "\(consumed.duplicates) duplicates dropped, \(consumed.recovered) pending entries re-read, "
                + "reconnects publisher \(published.connection.reconnects) consumer \(consumed.connection.reconnects)")
    }
}
