// gantry-journal-bench: journal append throughput, sustained, to real files with the fsync every 10 ms of the
// `.interval` policy (a background thread), rotation at 256 MiB included. Report-only (make bench-ci); the
// target is ≥ 2 M records/s of 64-byte market events (96 bytes each in the file).
//
//   writer  this thread appends MarketEvents in batches (one write(2) per batch) for --seconds: records/s, MB/s,
//           the batch write's p50/p99/max, syncs and rotations.
//   reader  reads the writer's files back: records/s through JournalReader, every CRC checked.
//   crc     CRC-32C per 88-byte record and GB/s over 64 KiB.
//   stage   a producer thread publishes MarketEvents on a broadcast ring (--ring slots, 65,536 by default) as
//           fast as it can (or at --rate per second); the JournalStage drains it on a runner of its own (the
//           other CPU): records/s, how long the producer waited for room (the journal falling behind stalls a
//           broadcast ring's producer), and the most events the journal ever found waiting.
//
//   gantry-journal-bench [--dir DIR] [--seconds S] [--batch N] [--sync-ms M] [--rate R] [--ring SLOTS] [--writer no]
import BenchSupport
import GantryCore
import GantryJournal
import GantryLoop
import GantryRing
import Histogram
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

func fail(_ why: String) -> Never {
    let line = Array("gantry-journal-bench: \(why)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

func event(_ n: Int) -> MarketEvent {
    MarketEvent(
        kind: .levelChange, side: n & 1 == 0 ? .buy : .sell, venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), sequence: UInt64(n),
        price: Price(raw: 6_500_000 + Int64(n & 1023)), quantity: Quantity(raw: Int64(n & 4095) + 1), receiveTime: Nanos(raw: Int64(n)))
}

/// Removes the journal files of a run (the directory stays).
func clean(_ directory: String) {
    guard let dir = opendir(directory) else { return }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: &entry.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
        if name.hasPrefix("journal-") && name.hasSuffix(".gj") { unlink(directory + "/" + name) }
    }
}

/// Reads back what the writer phase wrote: records/s through `JournalReader` (every CRC checked, each event
/// copied out).
func readerPhase(_ directory: String) -> (records: Int, seconds: Double) {
    let start = MonotonicClock.now()
    var n = 0
    var sum: UInt64 = 0
    do {
        var reader = try JournalReader(directory: directory)
        while let record = try reader.next() {
            if let e = record.as(MarketEvent.self) { sum &+= e.sequence }
            n += 1
        }
    } catch {
        fail("reader: \(error)")
    }
    if sum == 42 { print("") }  // keeps the copies
    return (n, Double((MonotonicClock.now() - start).raw) / 1e9)
}

/// CRC-32C: ns per record-sized block (88 bytes: a market event's header and payload) and GB/s over 64 KiB.
func crcPhase() -> (recordNs: Double, gigabytesPerSecond: Double) {
    let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 64)
    defer { bytes.deallocate() }
    for k in 0..<bytes.count { bytes[k] = UInt8(truncatingIfNeeded: k &* 31) }
    var crc: UInt32 = 0
    let rounds = 10_000_000
    var start = MonotonicClock.now()
    for k in 0..<rounds { crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[(k & 63)..<((k & 63) + 88)]), continuing: crc) }
    let perRecord = Double((MonotonicClock.now() - start).raw) / Double(rounds)
    start = MonotonicClock.now()
    for _ in 0..<20_000 { crc = CRC32C.checksum(UnsafeRawBufferPointer(bytes), continuing: crc) }
    let rate = Double(20_000 * bytes.count) / Double((MonotonicClock.now() - start).raw)
    if crc == 42 { print("") }
    return (perRecord, rate)
}

struct WriterResult {
    var records = 0
    var seconds = 0.0
    var stats = JournalWriterStats()
    var backgroundSyncs = 0
    var write = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
}

/// Phase 1: appends from this thread, one write per batch, for `seconds`.
func writerPhase(_ configuration: JournalConfiguration, seconds: Int, batch: Int) -> WriterResult {
    var result = WriterResult()
    do {
        var writer = try JournalWriter(configuration)
        let start = MonotonicClock.now()
        let end = start + .seconds(Int64(seconds))
        var n = 0
        var now = start
        while now < end {
            for _ in 0..<batch {
                try writer.append(event(n), journaledTime: Nanos(raw: Int64(n)))
                n &+= 1
            }
            let before = MonotonicClock.now()
            try writer.flush()
            now = MonotonicClock.now()
            result.write.record(UInt64((now - before).raw))
        }
        result.seconds = Double((now - start).raw) / 1e9
        result.records = n
        result.backgroundSyncs = writer.backgroundSyncs
        try writer.close()
        result.stats = writer.stats
    } catch {
        fail("writer: \(error)")
    }
    return result
}

/// What the stage's runner reports.
final class StageReport: Sendable {
    let records = Atomic<Int>(0)
    let summary = Mutex<(JournalStageStats, JournalWriterStats, Int)?>(nil)
}

/// The journal stage, publishing its record count as it goes and its counters at the end.
struct ReportingStage: Stage, ~Copyable {
    var stage: JournalStage
    let report: StageReport

    mutating func poll() -> Int {
        let n = stage.poll()
        if n > 0 { report.records.store(stage.stats.records, ordering: .relaxed) }
        return n
    }

    mutating func finish() {
        stage.finish()
        let stats = (stage.stats, stage.writerStats, stage.backgroundSyncs)
        report.summary.withLock { $0 = stats }
    }
}

struct StageResult {
    var records = 0
    var seconds = 0.0
    var waited = 0.0
    var stats = JournalStageStats()
    var writer = JournalWriterStats()
    var backgroundSyncs = 0
}

/// Phase 2: a producer on this thread, the journal stage on a runner of its own.
func stagePhase(_ configuration: JournalConfiguration, seconds: Int, rate: Int, ringCapacity: Int, cpus: [Int]) -> StageResult {
    let ring: Ring<MarketEvent>
    do { ring = try Ring<MarketEvent>.broadcast(capacity: ringCapacity, consumers: 1) } catch { fail("\(error)") }
    let consumer: Handoff<RingConsumer<MarketEvent>>
    var producer: RingProducer<MarketEvent>
    do {
        consumer = Handoff(try ring.takeConsumer())
        producer = try ring.takeProducer()
    } catch { fail("\(error)") }
    let report = StageReport()
    let runner: Runner
    do {
        runner = try Runner(RunnerSpec(name: "journal", cpu: cpus.count > 1 ? cpus[1] : nil, mode: .adaptiveDefault)) { context in
            let writer: JournalWriter
            do { writer = try JournalWriter(configuration) } catch { fatalError("journal: \(error)") }
            var stage = JournalStage(writer: writer, context: context)
            stage.attach(market: consumer.take()!)
            return ReportingStage(stage: stage, report: report)
        }
    } catch { fail("runner: \(error)") }
    if let first = cpus.first { ThreadAffinity.pinCurrentThread(to: first) }

    let start = MonotonicClock.now()
    let end = start + .seconds(Int64(seconds))
    var n = 0
    var waited = Nanos.zero
    var now = start
    while now < end {
        var due = 256
        if rate > 0 {
            due = min(256, Int(Double((now - start).raw) * Double(rate) / 1e9) - n)
            if due <= 0 {
                usleep(50)
                now = MonotonicClock.now()
                continue
            }
        }
        var slots = producer.claim(upTo: due)
        if slots.isEmpty {
            let from = MonotonicClock.now()
            repeat {
                sched_yield()
                slots = producer.claim(upTo: due)
            } while slots.isEmpty
            waited = waited + (MonotonicClock.now() - from)
        }
        for k in 0..<slots.count { slots[k] = event(n &+ k) }
        producer.commit(slots.count)
        n &+= slots.count
        if n & 0xFFFF < 256 { now = MonotonicClock.now() }
    }
    while report.records.load(ordering: .relaxed) < n { usleep(100) }
    let done = MonotonicClock.now()
    runner.stop()
    var result = StageResult()
    result.records = n
    result.seconds = Double((done - start).raw) / 1e9
    result.waited = Double(waited.raw) / 1e9
    if let (stats, writer, syncs) = report.summary.withLock({ $0 }) {
        result.stats = stats
        result.writer = writer
        result.backgroundSyncs = syncs
    }
    return result
}

func main() {
    var options: [String: String] = [:]
    var rest = CommandLine.arguments.dropFirst()
    while let a = rest.popFirst() {
        guard a.hasPrefix("--"), let v = rest.popFirst() else {
            fail("usage: gantry-journal-bench [--dir DIR] [--seconds S] [--batch N] [--sync-ms M] [--rate R] [--ring SLOTS] [--writer no]")
        }
        options[String(a.dropFirst(2))] = v
    }
    func int(_ key: String, _ fallback: Int) -> Int {
        guard let v = options[key] else { return fallback }
        guard let n = Int(v), n >= 0 else { fail("--\(key) wants a number, got \(v)") }
        return n
    }
    let directory = options["dir"] ?? ".build/journal-bench"
    let seconds = max(1, int("seconds", 5))
    let batch = max(1, int("batch", 1_024))
    let syncMs = max(1, int("sync-ms", 10))
    let rate = int("rate", 0)
    let ringCapacity = int("ring", 1 << 16)
    let configuration = JournalConfiguration(directory: directory, sync: .interval(.milliseconds(Int64(syncMs))))
    let cpus = ThreadAffinity.current()

    clean(directory)
    // --writer no: the stage phase alone (the writer, reader and CRC figures print as zero).
    let all = options["writer"] != "no"
    var w = WriterResult()
    var r = (records: 0, seconds: 1.0)
    var crc = (recordNs: 0.0, gigabytesPerSecond: 0.0)
    if all {
        w = writerPhase(configuration, seconds: seconds, batch: batch)
        r = readerPhase(directory)
        clean(directory)
        crc = crcPhase()
    }
    let s = stagePhase(configuration, seconds: seconds, rate: rate, ringCapacity: ringCapacity, cpus: cpus)
    clean(directory)

    let writerRate = all ? Double(w.records) / w.seconds : 0
    let stageRate = Double(s.records) / s.seconds
    let mb = all ? Double(w.stats.bytes) / w.seconds / 1e6 : 0
    func us(_ ns: UInt64) -> String { String(Double(ns / 100) / 10) }
    let fields: [(String, String)] = [
        ("bench", "\"journal\""), ("record_bytes", "96"), ("sync_ms", "\(syncMs)"), ("writer_records_per_s", "\(Int(writerRate))"),
        ("writer_mb_per_s", "\(Int(mb))"), ("batch", "\(batch)"), ("batch_write_p50_us", us(w.write.valueAtPercentile(50))),
        ("batch_write_p99_us", us(w.write.valueAtPercentile(99))), ("batch_write_max_us", us(w.write.max)),
        ("writer_background_syncs", "\(w.backgroundSyncs)"), ("writer_rotations", "\(w.stats.rotations)"),
        ("stage_records_per_s", "\(Int(stageRate))"), ("stage_rate_asked", "\(rate)"), ("producer_waited_s", format3(s.waited)),
        ("stage_largest_backlog", "\(s.stats.largestBacklog)"), ("ring", "\(ringCapacity)"), ("stage_dropped", "\(s.stats.dropped)"),
        ("stage_background_syncs", "\(s.backgroundSyncs)"), ("stage_longest_write_us", us(UInt64(s.writer.longestWrite.raw))),
        ("reader_records_per_s", "\(Int(Double(r.records) / r.seconds))"), ("crc32c_88_bytes_ns", format3(crc.recordNs)),
        ("crc32c_gb_per_s", format3(crc.gigabytesPerSecond)),
        ("writer_longest_rotation_us", us(UInt64(w.stats.longestRotation.raw))), ("stage_longest_rotation_us", us(UInt64(s.writer.longestRotation.raw))),
    ]
    print("{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
    print("journal append, 64-byte MarketEvents (96 bytes a record), fsync every \(syncMs) ms from a background thread, rotation at 256 MiB:")
    if all {
        print("  writer: \(w.records) records in \(format3(w.seconds)) s = \(format3(writerRate / 1e6)) M records/s (\(Int(mb)) MB/s); batches of \(batch): write p50 \(us(w.write.valueAtPercentile(50))) µs, p99 \(us(w.write.valueAtPercentile(99))) µs, max \(us(w.write.max)) µs; \(w.backgroundSyncs) background fsyncs, \(w.stats.rotations) rotations (longest \(us(UInt64(w.stats.longestRotation.raw))) µs)")
        print("  reader: \(r.records) records read back (CRC checked, each event copied out) in \(format3(r.seconds)) s = \(format3(Double(r.records) / r.seconds / 1e6)) M records/s")
        print("  CRC-32C: \(format3(crc.recordNs)) ns for a record's 88 checked bytes, \(format3(crc.gigabytesPerSecond)) GB/s over 64 KiB")
    }
    print("  stage:  \(s.records) records from a ring \(rate > 0 ? "at \(rate)/s" : "as fast as the producer can") in \(format3(s.seconds)) s = \(format3(stageRate / 1e6)) M records/s; the producer waited \(format3(s.waited)) s for room; largest backlog \(s.stats.largestBacklog) of \(ringCapacity); \(s.stats.dropped) dropped; longest batch write \(us(UInt64(s.writer.longestWrite.raw))) µs, rotation \(us(UInt64(s.writer.longestRotation.raw))) µs; \(s.backgroundSyncs) background fsyncs")
    let stageVerdict =
        rate == 0
        ? "through the stage \(stageRate >= 2e6 ? "met" : "MISSED")"
        : "at \(rate)/s through the stage the journal \(s.waited == 0 ? "kept up (the producer never waited)" : "fell behind (the producer waited \(format3(s.waited)) s)")"
    let writerVerdict = all ? "writer \(writerRate >= 2e6 ? "met" : "MISSED"), " : ""
    print("  target ≥ 2 M records/s sustained: \(writerVerdict)\(stageVerdict) (report only)")
}

func format3(_ x: Double) -> String {
    let scaled = (x * 1_000).rounded() / 1_000
    return "\(scaled)"
}

main()
