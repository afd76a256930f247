import Atomics

/// One reader of a ring: every event, in order, exactly once; its cursor gates the producer.
///
/// `@unchecked Sendable`: it may move to another thread (it is `~Copyable`, so one thread owns it at a time);
/// the slots it reads were published by the producer's release store, read after an acquire load.
public struct RingConsumer<Element: BitwiseCopyable>: ~Copyable, @unchecked Sendable {
    @usableFromInline let region: RingRegion
    @usableFromInline let slots: UnsafePointer<Element>
    @usableFromInline let mask: Int
    @usableFromInline let capacity: Int
    @usableFromInline let published: UnsafeAtomic<Int>
    @usableFromInline let cursor: UnsafeAtomic<Int>
    @usableFromInline let lot: ParkingLot
    /// Which consumer of the ring this is.
    public let index: Int
    /// The next sequence to read.
    @usableFromInline var next: Int
    /// Cached producer cursor: reads below it need no load of the producer's line.
    @usableFromInline var available: Int

    init(region: RingRegion, index: Int) {
        self.region = region
        self.index = index
        let slotsBase = region.base + RingLayout.slotsOffset(consumers: region.consumerCount)
        // SAFETY: the slot area is stride × capacity bytes inside the region.
        slots = UnsafePointer(slotsBase.bindMemory(to: Element.self, capacity: region.capacity))
        mask = region.capacity - 1
        capacity = region.capacity
        published = RingLayout.atomicInt(region.base, RingLayout.producerOffset)
        cursor = RingLayout.atomicInt(region.base, RingLayout.consumersOffset + index * RingLayout.line)
        lot = ParkingLot(region: region, forProducer: false)
        next = cursor.load(ordering: .acquiring)
        available = next
    }

    deinit { region.release(bit: 1 + index) }

    /// Up to `maxCount` contiguous readable events, without consuming them; release them with `release`.
    /// - Returns: Possibly fewer than asked (end of buffer, or not yet published); empty if none.
    @inlinable
    public mutating func peek(upTo maxCount: Int) -> UnsafeBufferPointer<Element> {
        var ready = available &- next
        if ready <= 0 {
            touchNextSlot()
            available = published.load(ordering: .acquiring)
            ready = available &- next
            if ready <= 0 { return UnsafeBufferPointer(start: slots, count: 0) }
        }
        let index = next & mask
        return UnsafeBufferPointer(start: slots + index, count: min(maxCount, ready, capacity &- index))
    }

    /// Consumes the first `count` peeked events: their slots go back to the producer.
    @inlinable
    public mutating func release(_ count: Int) {
        next &+= count
        cursor.store(next, ordering: .releasing)
    }

    /// The next event, if one is published.
    @inlinable
    public mutating func tryConsume() -> Element? {
        if available &- next <= 0 {
            touchNextSlot()
            available = published.load(ordering: .acquiring)
            if available &- next <= 0 { return nil }
        }
        let value = slots[next & mask]
        release(1)
        return value
    }

    /// Reads one byte of the next slot while waiting, so that its cache line is already on its way (or here)
    /// when the producer's cursor says it is ready: the hop then waits for one cache-line transfer, not two.
    /// An atomic relaxed load, so the compiler keeps it; its value is never used.
    @inlinable
    func touchNextSlot() {
        let slot = UnsafeMutableRawPointer(mutating: slots + (next & mask))
        _ = UnsafeAtomic<UInt8>(at: slot.assumingMemoryBound(to: UInt8.AtomicRepresentation.self)).load(ordering: .relaxed)
    }

    /// Hands up to `maxCount` events to `body` in contiguous batches and consumes them.
    /// - Returns: How many events were consumed (0 if none was ready).
    @inlinable
    public mutating func poll(upTo maxCount: Int, _ body: (UnsafeBufferPointer<Element>) -> Void) -> Int {
        var done = 0
        while done < maxCount {
            let batch = peek(upTo: maxCount &- done)
            if batch.isEmpty { break }
            body(batch)
            release(batch.count)
            done &+= batch.count
        }
        return done
    }

    /// Waits with `strategy` until at least one event is readable.
    /// - Returns: How many events are readable now (≥ 1).
    @inlinable
    @discardableResult
    public mutating func wait<W: WaitStrategy>(using strategy: inout W) -> Int {
        while true {
            available = published.load(ordering: .acquiring)
            let ready = available &- next
            if ready > 0 {
                strategy.reset()
                return ready
            }
            let target = next
            let published = self.published
            strategy.idle(lot) { published.load(ordering: .acquiring) &- target > 0 }
        }
    }

    /// The next event, waiting with `strategy` until one is published.
    @inlinable
    public mutating func consume<W: WaitStrategy>(waiting strategy: inout W) -> Element {
        if let value = tryConsume() { return value }
        wait(using: &strategy)
        return tryConsume()!
    }

    /// Events published but not yet consumed by this consumer.
    public var lag: Int { published.load(ordering: .acquiring) &- next }

    /// Sequences consumed so far.
    public var consumed: Int { next }
}
