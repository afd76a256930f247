// The journal's per-record path: a batch of 100 market events appended (copied, headed, CRC32C) and written in one
// write(2), directly and through the JournalStage from a ring. 0 mallocs is a threshold; the files go to a
// directory under /tmp that is removed at teardown (at most 10,000 iterations: under 100 MB).
import Benchmark
import GantryCore
import GantryJournal
import GantryRing

#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) var journalBench: JournalBench?

/// A journal writer (fsync every 10 ms from its background thread, as the gateway runs it) and a stage reading a
/// ring, each on a directory of its own.
final class JournalBench {
    let directories: [String]
    var writer: JournalWriter
    var stage: JournalStage
    var producer: RingProducer<MarketEvent>
    var events: [MarketEvent]

    init() {
        let base = "/tmp/gantry-bench-journal-\(getpid())"
        directories = [base + "/writer", base + "/stage"]
        let configuration = { (dir: String) in JournalConfiguration(directory: dir, sync: .interval(.milliseconds(10)), fileSizeLimit: 2 << 30) }
        writer = try! JournalWriter(configuration(directories[0]))
        let ring = try! Ring<MarketEvent>.broadcast(capacity: 1_024, consumers: 1)
        stage = JournalStage(writer: try! JournalWriter(configuration(directories[1])))
        stage.attach(market: try! ring.takeConsumer())
        producer = try! ring.takeProducer()
        events = (0..<100).map { n in
            MarketEvent(
                kind: .levelChange, side: .buy, venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), sequence: UInt64(n),
                price: Price(raw: 6_500_000 + Int64(n)), quantity: Quantity(raw: 100), receiveTime: Nanos(raw: Int64(n)))
        }
    }

    /// 100 events appended, then one write.
    func appendBatch() -> Int {
        let now = WallClock.now()
        for e in events { try! writer.append(e, journaledTime: now) }
        try! writer.flush()
        return writer.stats.records
    }

    /// 100 events published on the ring, then one stage poll: drained, appended, written.
    func stageBatch() -> Int {
        events.withUnsafeBufferPointer { batch in
            let slots = producer.claim(upTo: batch.count)
            _ = slots.initialize(from: batch)
            producer.commit(slots.count)
        }
        return stage.poll()
    }

    func stop() {
        try! writer.close()
        stage.finish()
        for dir in directories {
            if let d = opendir(dir) {
                while let entry = readdir(d) {
                    let name = withUnsafePointer(to: &entry.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
                    if name.hasSuffix(".gj") { unlink(dir + "/" + name) }
                }
                closedir(d)
            }
            rmdir(dir)
        }
        rmdir(directories[0].replacingOccurrences(of: "/writer", with: ""))
    }
}

func journalBenchmarks() {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, .throughput], warmupIterations: 100, maxIterations: 10_000,
        setup: { journalBench = JournalBench() }, teardown: {
            journalBench?.stop()
            journalBench = nil
        })
    Benchmark("Journal append 100 MarketEvents + one write", configuration: configuration) { b in
        for _ in b.scaledIterations { blackHole(journalBench!.appendBatch()) }
    }
    Benchmark("Journal stage poll of 100 MarketEvents from a ring + one write", configuration: configuration) { b in
        for _ in b.scaledIterations { blackHole(journalBench!.stageBatch()) }
    }
}
