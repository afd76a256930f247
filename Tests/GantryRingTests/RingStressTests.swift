import GantryCore
import GantryRing
import Synchronization
import Testing

@Suite("Ring stress: two threads, tens of millions of events", .serialized)
struct RingStressTests {
    /// Forbidden outcome: any event lost, duplicated, reordered or torn.
    @Test("SPSC: every sequence number arrives once, in order, intact")
    func spscNoLossNoDuplicateNoReorder() throws {
        let total = stressEvents
        let ring = try Ring<Stamped>.spsc(capacity: 1 << 12)
        let producerBox = Handoff(try ring.takeProducer())
        var consumer = try ring.takeConsumer()
        let thread = TestThread("producer") {
            var wait = SpinThenYield(spins: 100)
            produceStamped(total, into: producerBox.take()!, waiting: &wait)
        }
        var expected: UInt64 = 0
        var bad = 0
        var wait = SpinThenYield(spins: 100)
        while expected < total {
            let got = consumer.poll(upTo: 512) { batch in
                for e in batch {
                    if e.sequence != expected || !e.isIntact { bad += 1 }
                    expected = e.sequence + 1
                }
            }
            if got == 0 { consumer.wait(using: &wait) }
        }
        thread.join()
        #expect(bad == 0)
        #expect(expected == total)
        #expect(consumer.tryConsume() == nil)
    }

    /// Forbidden outcome: a consumer missing, repeating or reordering any event; a lost futex wake-up (hang).
    @Test("broadcast: two consumers parked on a futex each see every event once, in order")
    func broadcastEveryConsumerSeesAll() throws {
        let total = stressEvents
        let ring = try Ring<Stamped>.broadcast(capacity: 1 << 12, consumers: 2, wakeMode: .futex)
        let producerBox = Handoff(try ring.takeProducer())
        let producer = TestThread("producer") {
            var wait = Blocking()
            produceStamped(total, into: producerBox.take()!, waiting: &wait)
        }
        let results = Results()
        var threads: [TestThread] = []
        for index in 0..<2 {
            let box = Handoff(try ring.takeConsumer(index))
            threads.append(
                TestThread("consumer\(index)") {
                    var consumer = box.take()!
                    var wait = Blocking()
                    var expected: UInt64 = 0
                    var bad = 0
                    while expected < total {
                        consumer.wait(using: &wait)
                        _ = consumer.poll(upTo: 512) { batch in
                            for e in batch {
                                if e.sequence != expected || !e.isIntact { bad += 1 }
                                expected = e.sequence + 1
                            }
                        }
                    }
                    results.record(consumer: index, errors: bad, count: expected)
                })
        }
        producer.join()
        for t in threads { t.join() }
        let (errors, counts) = results.snapshot
        #expect(errors == 0)
        #expect(counts == [0: total, 1: total])
    }
}

/// What each consumer thread saw.
final class Results: Sendable {
    private let state = Mutex<(errors: Int, counts: [Int: UInt64])>((0, [:]))
    func record(consumer: Int, errors: Int, count: UInt64) {
        state.withLock {
            $0.errors += errors
            $0.counts[consumer] = count
        }
    }
    var snapshot: (Int, [Int: UInt64]) { state.withLock { ($0.errors, $0.counts) } }
}

/// Publishes sequences 0..<total in claimed batches of up to 256, waiting with `wait` while the ring is full.
func produceStamped<W: WaitStrategy>(_ total: UInt64, into producer: consuming RingProducer<Stamped>, waiting wait: inout W) {
    var next: UInt64 = 0
    while next < total {
        let slots = producer.claim(upTo: 256)
        if slots.isEmpty {
            producer.waitForSpace(using: &wait)
            continue
        }
        let n = min(UInt64(slots.count), total - next)
        for i in 0..<Int(n) { slots[i] = Stamped(next + UInt64(i)) }
        producer.commit(Int(n))
        next += n
    }
}
