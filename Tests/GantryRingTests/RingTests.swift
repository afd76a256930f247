import GantryRing
import Testing

@Suite("Ring basics")
struct RingTests {
    @Test("events come out in the order they went in, across the wrap")
    func fifoAcrossWrap() throws {
        let ring = try Ring<UInt64>.spsc(capacity: 8)
        var producer = try ring.takeProducer()
        var consumer = try ring.takeConsumer()
        var expected: UInt64 = 0
        for round in 0..<100 {
            for k in 0..<(round % 8 + 1) { let v1 = producer.tryPublish(UInt64(round * 100 + k)); #expect(v1) }
            for k in 0..<(round % 8 + 1) {
                expected = UInt64(round * 100 + k)
                let v2 = consumer.tryConsume(); #expect(v2 == expected)
            }
            let v3 = consumer.tryConsume(); #expect(v3 == nil)
        }
    }

    @Test("a full ring refuses to publish (back-pressure is a value) and accepts again once read")
    func backPressure() throws {
        let ring = try Ring<UInt64>.spsc(capacity: 4)
        var producer = try ring.takeProducer()
        var consumer = try ring.takeConsumer()
        for i in 0..<4 { let v4 = producer.tryPublish(UInt64(i)); #expect(v4) }
        let full1 = producer.tryPublish(99); #expect(!full1)
        let v5 = producer.slowestLag; #expect(v5 == 4)
        let v6 = consumer.lag; #expect(v6 == 4)
        let v7 = consumer.tryConsume(); #expect(v7 == 0)
        let v8 = producer.tryPublish(4); #expect(v8)
        let full2 = producer.tryPublish(5); #expect(!full2)
    }

    @Test("claim hands out contiguous slots up to the end of the buffer; commit publishes them")
    func batchClaim() throws {
        let ring = try Ring<UInt64>.spsc(capacity: 8)
        var producer = try ring.takeProducer()
        var consumer = try ring.takeConsumer()
        for i in 0..<6 { let v9 = producer.tryPublish(UInt64(i)); #expect(v9) }
        let v10 = consumer.poll(upTo: 6) { _ in }; #expect(v10 == 6)
        let first = producer.claim(upTo: 8)
        #expect(first.count == 2)  // slots 6 and 7, then the buffer wraps
        first[0] = 6
        first[1] = 7
        producer.commit(2)
        let second = producer.claim(upTo: 8)
        #expect(second.count == 6)
        for i in 0..<6 { second[i] = UInt64(8 + i) }
        producer.commit(6)
        let v11 = producer.claim(upTo: 1); #expect(v11.isEmpty)
        var seen: [UInt64] = []
        _ = consumer.poll(upTo: 100) { batch in seen.append(contentsOf: batch) }
        #expect(seen == Array(6..<14))
    }

    @Test("a sealed publish finishes its last value in its slot, after the waits and before the commit that shows it")
    func sealLastValue() throws {
        let ring = try Ring<UInt64>.spsc(capacity: 8)
        var producer = try ring.takeProducer()
        var consumer = try ring.takeConsumer()
        for i in 0..<6 { let v = producer.tryPublish(UInt64(i)); #expect(v) }
        _ = consumer.poll(upTo: 6) { _ in }
        // Five values across the wrap: two commits. When the seal runs, the first commit's two are visible and
        // the last three are not.
        var seals = 0
        var visibleAtSeal: [UInt64] = []
        let values: [UInt64] = [10, 11, 12, 13, 14]
        var wait = SpinThenYield(spins: 1)
        values.withUnsafeBufferPointer { values in
            producer.publish(contentsOf: values, waiting: &wait) { last in
                seals += 1
                last += 1_000
                _ = consumer.poll(upTo: 100) { visibleAtSeal.append(contentsOf: $0) }
            }
        }
        var after: [UInt64] = []
        _ = consumer.poll(upTo: 100) { after.append(contentsOf: $0) }
        #expect(seals == 1 && visibleAtSeal == [10, 11] && after == [12, 13, 1_014])

        // A full ring: the seal comes after the wait for room (a wait that reads the ring, as a fused consumer does).
        for i in 0..<8 { let v = producer.tryPublish(UInt64(i)); #expect(v) }
        let reader = Reader(consumer)
        var wait2 = DrainingWait(reader: reader)
        var drainedBeforeSeal = 0
        [UInt64(20), 21].withUnsafeBufferPointer { values in
            producer.publish(contentsOf: values, waiting: &wait2) { _ in drainedBeforeSeal = reader.drained }
        }
        #expect(drainedBeforeSeal == 8)
    }

    final class Reader {
        var consumer: RingConsumer<UInt64>
        var drained = 0
        init(_ consumer: consuming RingConsumer<UInt64>) { self.consumer = consumer }
    }

    /// A wait that takes what is on the ring (as a consumer fused on the producer's runner does).
    struct DrainingWait: WaitStrategy {
        let reader: Reader
        mutating func idle(_ lot: ParkingLot, ready: () -> Bool) { reader.drained += reader.consumer.poll(upTo: 100) { _ in } }
        mutating func reset() {}
    }

    @Test("a broadcast producer waits for the slowest consumer; every consumer sees every event")
    func broadcastGating() throws {
        let ring = try Ring<UInt64>.broadcast(capacity: 4, consumers: 2)
        var producer = try ring.takeProducer()
        var fast = try ring.takeConsumer(0)
        var slow = try ring.takeConsumer(1)
        for i in 0..<4 { let v12 = producer.tryPublish(UInt64(i)); #expect(v12) }
        for i in 0..<4 { let v13 = fast.tryConsume(); #expect(v13 == UInt64(i)) }
        let full3 = producer.tryPublish(4); #expect(!full3)  // slow has read nothing
        let v14 = slow.lag; #expect(v14 == 4)
        let v15 = fast.lag; #expect(v15 == 0)
        let v16 = slow.tryConsume(); #expect(v16 == 0)
        let v17 = producer.tryPublish(4); #expect(v17)
        let v18 = fast.tryConsume(); #expect(v18 == 4)
        for i in 1...4 { let v19 = slow.tryConsume(); #expect(v19 == UInt64(i)) }
    }

    @Test("each handle can be taken once; dropping it gives it back")
    func handlesTakenOnce() throws {
        let ring = try Ring<UInt64>.broadcast(capacity: 4, consumers: 2)
        do {
            let producer = try ring.takeProducer()
            #expect(throws: RingError.handleTaken("producer")) { _ = try ring.takeProducer() }
            _ = consume producer
        }
        let again = try ring.takeProducer()
        _ = again
        let c1 = try ring.takeConsumer(1)
        #expect(throws: RingError.handleTaken("consumer 1")) { _ = try ring.takeConsumer(1) }
        _ = c1
    }

    @Test("bad sizes are refused", arguments: [0, 1, 3, 6, 1000])
    func badCapacity(_ capacity: Int) {
        #expect(throws: RingError.invalidCapacity(capacity)) { _ = try Ring<UInt64>.spsc(capacity: capacity) }
    }

    @Test("consumer counts outside 1...32 are refused")
    func badConsumers() {
        #expect(throws: RingError.invalidConsumerCount(0)) { _ = try Ring<UInt64>.broadcast(capacity: 4, consumers: 0) }
        #expect(throws: RingError.invalidConsumerCount(33)) { _ = try Ring<UInt64>.broadcast(capacity: 4, consumers: 33) }
    }

    @Test("memory on a chosen NUMA node works")
    func numaPlacement() throws {
        let ring = try Ring<UInt64>.spsc(capacity: 1 << 16, memory: .anonymous(numaNode: 0))
        var producer = try ring.takeProducer()
        var consumer = try ring.takeConsumer()
        let v20 = producer.tryPublish(42); #expect(v20)
        let v21 = consumer.tryConsume(); #expect(v21 == 42)
        #expect(NumaTopology.nodeCount >= 1)
        #expect(NumaTopology.node(ofCPU: 0) >= 0)
    }
}
