import ArgumentParser
import GantryCore
import GantryRing

#if canImport(Glibc)
import Glibc
#endif

/// The other process of the shared-memory ring test: attaches to a ring file and checks every event.
struct RingPeerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ring-peer",
        abstract: "Consume a shared-memory ring created by another process and verify its events (used by tests).",
        shouldDisplay: false)

    @Option(name: .long, help: "The ring file.")
    var path: String

    @Option(name: .long, help: "How many events to expect.")
    var count: Int

    func run() throws {
        let ring = try Ring<MarketEvent>.attach(path: path)
        var consumer = try ring.takeConsumer()
        var wait = Blocking()
        var expected = 0
        var lastProgress = MonotonicClock.now()
        while expected < count {
            let got = consumer.poll(upTo: 256) { batch in
                for e in batch {
                    let i = expected
                    guard e.sequence == UInt64(i), e.price.raw == Int64(i) * 3, e.quantity.raw == Int64(i) ^ 0x55,
                        e.side == (i % 2 == 0 ? .buy : .sell), e.instrument == InstrumentId(raw: 7)
                    else {
                        print("event \(i) is wrong: sequence \(e.sequence), price \(e.price.raw)")
                        Glibc.exit(1)
                    }
                    expected += 1
                }
            }
            if got > 0 {
                lastProgress = MonotonicClock.now()
            } else {
                if MonotonicClock.now() - lastProgress > .seconds(10) {
                    print("no event for 10 s after \(expected) of \(count)")
                    Glibc.exit(2)
                }
                wait = Blocking(spins: 200, yields: 20, parkNanos: 100_000_000)
                consumer.wait(using: &wait)
            }
        }
        print("received \(expected) events in order")
    }
}
