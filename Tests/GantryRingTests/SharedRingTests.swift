import Foundation
import GantryCore
import GantryRing
import Testing

@Suite("Rings in shared-memory files", .serialized)
struct SharedRingTests {
    @Test("a second mapping of the file sees what the first publishes")
    func attachInProcess() throws {
        let path = shmPath("attach")
        let ring = try Ring<Stamped>.spsc(capacity: 64, memory: .sharedFile(path: path, numaNode: 0))
        var producer = try ring.takeProducer()
        let other = try Ring<Stamped>.attach(path: path)
        #expect(other.capacity == 64)
        var consumer = try other.takeConsumer()
        for i in 0..<1_000 as Range<UInt64> {
            let ok = producer.tryPublish(Stamped(i))
            #expect(ok)
            let got = consumer.tryConsume()
            #expect(got?.sequence == i && got?.isIntact == true)
        }
        // The producer bit lives in the file: the other mapping cannot take a second producer.
        #expect(throws: RingError.handleTaken("producer")) { _ = try other.takeProducer() }
    }

    @Test("attaching with another element layout is refused")
    func layoutMismatch() throws {
        let path = shmPath("mismatch")
        let ring = try Ring<Stamped>.spsc(capacity: 64, memory: .sharedFile(path: path, numaNode: nil))
        _ = ring
        #expect(throws: RingError.self) { _ = try Ring<MarketEvent>.attach(path: path) }
        #expect(throws: RingError.self) { _ = try Ring<UInt64>.attach(path: "/dev/shm/gantry-test-does-not-exist") }
    }

    @Test("creating over an existing file is refused rather than clobbering another process's ring")
    func noClobber() throws {
        let path = shmPath("clobber")
        let ring = try Ring<UInt64>.spsc(capacity: 64, memory: .sharedFile(path: path, numaNode: nil))
        _ = ring
        #expect(throws: RingError.self) { _ = try Ring<UInt64>.spsc(capacity: 64, memory: .sharedFile(path: path, numaNode: nil)) }
    }

    /// Forbidden outcome: the other process sees any event lost, duplicated, reordered or torn.
    @Test("two processes: a consumer process receives every event of a producer process in order")
    func twoProcesses() throws {
        let executable = try #require(gantryExecutable(), "the gantry executable must be built first (make test builds it)")
        let path = shmPath("procs")
        let total = 5_000_000
        let ring = try Ring<MarketEvent>.spsc(capacity: 1 << 12, wakeMode: .futex, memory: .sharedFile(path: path, numaNode: nil))
        var producer = try ring.takeProducer()

        let peer = Process()
        peer.executableURL = URL(fileURLWithPath: executable)
        peer.arguments = ["ring-peer", "--path", path, "--count", String(total)]
        let output = Pipe()
        peer.standardOutput = output
        try peer.run()

        var wait = Blocking()
        for i in 0..<total {
            let event = MarketEvent(
                kind: .synthetic, side: i % 2 == 0 ? .buy : .sell, venue: VenueId(raw: 1), instrument: InstrumentId(raw: 7),
                sequence: UInt64(i), price: Price(raw: Int64(i) * 3), quantity: Quantity(raw: Int64(i) ^ 0x55))
            producer.publish(event, waiting: &wait)
        }
        peer.waitUntilExit()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(peer.terminationStatus == 0, "peer said: \(report)")
        #expect(report.contains("received \(total) events in order"))
    }
}
