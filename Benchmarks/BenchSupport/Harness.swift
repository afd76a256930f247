// Shared by the ordo-one benchmark suite and the ratio report: the Swift side and the C baselines of each
// measurement, set up the same way so that they can be compared in one run.
import CBaseline
import GantryCore
import GantryLoop
import GantryRing
import Synchronization

/// The CPUs the benchmarks use: the calling thread on `main`, echo or consumer threads on `other`.
public struct BenchCPUs: Sendable {
    public let main: Int
    public let other: Int
    public let all: [Int]

    /// The first and last CPU this process may use (the same CPU on a 1-CPU machine).
    public static func current() -> BenchCPUs {
        let cpus = ThreadAffinity.current()
        return BenchCPUs(main: cpus.first ?? 0, other: cpus.last ?? 0, all: cpus)
    }

    /// How many distinct CPUs the measurements use.
    public var count: Int { main == other ? 1 : 2 }

    /// Pins the calling thread to `main`.
    public func pinMain() { ThreadAffinity.pinCurrentThread(to: main) }

    /// Lets the calling thread float again.
    public func unpinMain() { ThreadAffinity.unpinCurrentThread(cpus: all) }
}

/// The C baseline: a cache line written by one core and echoed back on another line by the other.
public enum CPingPong {
    public static func start(echoCPU: Int) {
        let rc = cb_pingpong_start(Int32(echoCPU))
        if rc != 0 { fatalError("cannot start the C echo thread (errno \(rc))") }
    }
    public static func roundTrip() { cb_pingpong_roundtrip() }
    public static func stop() { cb_pingpong_stop() }
}

/// Echoes every value of one ring into another: the far side of the ring ping-pong.
struct EchoStage: Stage, ~Copyable {
    var input: RingConsumer<UInt64>
    var output: RingProducer<UInt64>

    mutating func poll() -> Int {
        guard let v = input.tryConsume() else { return 0 }
        while !output.tryPublish(v) {}
        return 1
    }
}

/// Gantry's ring hop, both ways: the caller publishes into ring A; a busy-polling runner pinned to another
/// CPU consumes it and publishes into ring B; the caller consumes B. One round trip is two ring hops.
public final class RingPingPong {
    var toEcho: RingProducer<UInt64>
    var fromEcho: RingConsumer<UInt64>
    let runner: Runner
    var counter: UInt64 = 0

    public init(echoCPU: Int) throws {
        let a = try Ring<UInt64>.spsc(capacity: 64, memory: .anonymous(numaNode: NumaTopology.node(ofCPU: echoCPU)))
        let b = try Ring<UInt64>.spsc(capacity: 64)
        let echoIO = (Handoff(try a.takeConsumer()), Handoff(try b.takeProducer()))
        runner = try Runner(RunnerSpec(name: "bench-echo", cpu: echoCPU, mode: .busyPoll)) { _ in
            EchoStage(input: echoIO.0.take()!, output: echoIO.1.take()!)
        }
        toEcho = try a.takeProducer()
        fromEcho = try b.takeConsumer()
    }

    /// One round trip: publish, then spin until the echo comes back.
    public func roundTrip() {
        counter &+= 1
        _ = toEcho.tryPublish(counter)
        while true {
            if let v = fromEcho.tryConsume() {
                precondition(v == counter, "ring ping-pong lost or reordered a value")
                return
            }
        }
    }

    public func stop() { runner.stop() }
}

/// Counts what a consumer stage saw, readable from the producing thread.
final class TransferTally: Sendable {
    let errors = Atomic<Int>(0)
}

/// Consumes every event of one or more cursors of a ring and checks that values run 0, 1, 2, …
struct CheckingConsumer: Stage, ~Copyable {
    var input: RingConsumer<UInt64>
    let tally: TransferTally
    let batch: Int
    var expected: UInt64 = 0

    mutating func poll() -> Int {
        var bad = 0
        var next = expected
        let n = input.poll(upTo: batch) { events in
            for v in events {
                if v != next { bad += 1 }
                next &+= 1
            }
        }
        expected = next
        if bad > 0 { tally.errors.add(bad, ordering: .relaxed) }
        return n
    }
}

/// Moves `count` values from the calling thread through a Gantry ring to `consumers` cursors polled by one
/// busy-polling runner on `consumerCPU`, `batch` at a time.
/// - Returns: Nanoseconds from the first publish until every consumer has read the last value.
public func gantryRingTransfer(count: Int, capacity: Int, batch: Int, consumers: Int, consumerCPU: Int) throws -> Int64 {
    precondition(consumers == 1 || consumers == 2)
    let ring = try Ring<UInt64>.broadcast(
        capacity: capacity, consumers: consumers, memory: .anonymous(numaNode: NumaTopology.node(ofCPU: consumerCPU)))
    let tally = TransferTally()
    let inputs = (Handoff(try ring.takeConsumer(0)), consumers == 2 ? Handoff(try ring.takeConsumer(1)) : nil)
    var producer = try ring.takeProducer()
    let runner: Runner
    if consumers == 1 {
        runner = try Runner(RunnerSpec(name: "bench-consume", cpu: consumerCPU, mode: .busyPoll)) { _ in
            CheckingConsumer(input: inputs.0.take()!, tally: tally, batch: batch)
        }
    } else {
        runner = try Runner(RunnerSpec(name: "bench-consume", cpu: consumerCPU, mode: .busyPoll)) { _ in
            FusedStages(
                CheckingConsumer(input: inputs.0.take()!, tally: tally, batch: batch),
                CheckingConsumer(input: inputs.1!.take()!, tally: tally, batch: batch))
        }
    }
    let start = MonotonicClock.now()
    var next = 0
    while next < count {
        let slots = producer.claim(upTo: min(batch, count - next))
        if slots.isEmpty { continue }
        for i in 0..<slots.count { slots[i] = UInt64(next + i) }
        producer.commit(slots.count)
        next += slots.count
    }
    while (0..<consumers).contains(where: { ring.region.consumed(by: $0) < count }) {}
    let elapsed = (MonotonicClock.now() - start).raw
    runner.stop()
    precondition(tally.errors.load(ordering: .relaxed) == 0, "ring transfer lost, duplicated or reordered values")
    return elapsed
}

/// The C baseline of `gantryRingTransfer` with one consumer.
public func cRingTransfer(count: Int, capacity: Int, batch: Int, consumerCPU: Int) -> Int64 {
    let ns = cb_spsc_transfer(UInt64(count), UInt64(capacity), UInt64(batch), Int32(consumerCPU))
    precondition(ns > 0, "C ring transfer saw a wrong value")
    return Int64(ns)
}

/// Prices of 10 characters, as venues send them, for parse benchmarks: one contiguous, never-freed block.
public struct PriceSamples: @unchecked Sendable {
    // `@unchecked Sendable`: the buffers are written once here and only read afterwards.
    public let buffers: [UnsafeRawBufferPointer]

    public init() {
        let texts = ["27123.4567", "0.00012340", "97312.0100", "3512.98765", "1.23456789", "64000.0000", "0.10000000", "1234.56789"]
        buffers = texts.map { text in
            let bytes = Array(text.utf8)
            let p = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
            p.copyBytes(from: bytes)
            return UnsafeRawBufferPointer(p)
        }
    }

    /// The C baseline of `parseAll`: the same texts through a plain C byte loop (`cb_parse_fixed`).
    @inline(never)
    public func parseAllInC(rounds: Int) -> Int64 {
        let texts = buffers.map { $0.baseAddress!.assumingMemoryBound(to: CChar.self) as UnsafePointer<CChar>? }
        let lengths = buffers.map { Int32($0.count) }
        return cb_parse_all(texts, lengths, Int32(buffers.count), Int32(rounds), 8)
    }

    /// Parses every sample `rounds` times at scale 8.
    /// - Returns: The sum of the mantissas (so that the work cannot be optimised away).
    @inline(never)
    public func parseAll(rounds: Int) -> Int64 {
        var sum: Int64 = 0
        for _ in 0..<rounds {
            for b in buffers {
                do { sum &+= try FixedPoint.parse(b, scale: 8) } catch { sum &+= 1 }
            }
        }
        return sum
    }
}
