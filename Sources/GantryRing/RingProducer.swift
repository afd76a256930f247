import Atomics

/// The one writer of a ring: claim slots, write in place, commit.
///
/// ```
///   consumers' slowest cursor          published (cursor)       next
///            │ ◄──── readable by consumers ──► │ ◄── claimed ──► │
/// ```
/// `@unchecked Sendable`: it may move to another thread (it is `~Copyable`, so one thread owns it at a time);
/// the slots it writes are handed to consumers by a release store of the cursor.
public struct RingProducer<Element: BitwiseCopyable>: ~Copyable, @unchecked Sendable {
    @usableFromInline let region: RingRegion
    @usableFromInline let slots: UnsafeMutablePointer<Element>
    @usableFromInline let mask: Int
    @usableFromInline let capacity: Int
    @usableFromInline let cursor: UnsafeAtomic<Int>
    @usableFromInline let consumersBase: UnsafeMutableRawPointer
    @usableFromInline let consumerCount: Int
    @usableFromInline let lot: ParkingLot
    @usableFromInline let wakeLot: ParkingLot
    /// The next sequence to claim (== published, between batches).
    @usableFromInline var next: Int
    /// Cached: the slowest consumer's cursor + capacity; claims below it need no load of a consumer line.
    @usableFromInline var limit: Int
    @usableFromInline var wakes: Bool
    @usableFromInline var doorbell: Doorbell?

    init(region: RingRegion) {
        self.region = region
        let slotsBase = region.base + RingLayout.slotsOffset(consumers: region.consumerCount)
        // SAFETY: the slot area is stride × capacity bytes, 128-byte aligned, inside the region.
        slots = slotsBase.bindMemory(to: Element.self, capacity: region.capacity)
        mask = region.capacity - 1
        capacity = region.capacity
        cursor = RingLayout.atomicInt(region.base, RingLayout.producerOffset)
        consumersBase = region.base + RingLayout.consumersOffset
        consumerCount = region.consumerCount
        lot = ParkingLot(region: region, forProducer: true)
        wakeLot = ParkingLot(region: region, forProducer: false)
        next = cursor.load(ordering: .acquiring)
        limit = 0
        wakes = region.wakeMode == .futex
        doorbell = nil
        limit = slowestConsumer() + capacity
    }

    deinit { region.release(bit: 0) }

    /// Rings `doorbell` after every commit if its sleeper is parked (a runner consuming this ring).
    public mutating func attach(doorbell: Doorbell) {
        self.doorbell = doorbell
        wakes = true
    }

    @usableFromInline
    func slowestConsumer() -> Int {
        var slowest = Int.max
        for i in 0..<consumerCount {
            let c = RingLayout.atomicInt(consumersBase, i * RingLayout.line).load(ordering: .acquiring)
            if c < slowest { slowest = c }
        }
        return slowest
    }

    /// Claims up to `maxCount` contiguous free slots to write in place; commit what you wrote with `commit`.
    /// - Returns: The claimed slots, possibly fewer than asked (at the end of the buffer), empty if full.
    @inlinable
    public mutating func claim(upTo maxCount: Int) -> UnsafeMutableBufferPointer<Element> {
        var free = limit &- next
        if free < maxCount {
            limit = slowestConsumer() &+ capacity
            free = limit &- next
            if free <= 0 { return UnsafeMutableBufferPointer(start: slots, count: 0) }
        }
        let index = next & mask
        let count = min(maxCount, free, capacity &- index)
        return UnsafeMutableBufferPointer(start: slots + index, count: count)
    }

    /// Publishes the first `count` claimed slots to every consumer.
    @inlinable
    public mutating func commit(_ count: Int) {
        next &+= count
        cursor.store(next, ordering: .releasing)
        if wakes { wakeSleepers() }
    }

    @usableFromInline
    func wakeSleepers() {
        if wakeLot.enabled { wakeLot.wakeIfParked() }
        doorbell?.ringIfParked()
    }

    /// Publishes one value if there is room.
    /// - Returns: false if the ring is full (back-pressure: try again later).
    @inlinable
    public mutating func tryPublish(_ value: Element) -> Bool {
        if next &- limit >= 0 {
            limit = slowestConsumer() &+ capacity
            if next &- limit >= 0 { return false }
        }
        slots[next & mask] = value
        commit(1)
        return true
    }

    /// Publishes one value, waiting with `strategy` while the ring is full.
    @inlinable
    public mutating func publish<W: WaitStrategy>(_ value: Element, waiting strategy: inout W) {
        while !tryPublish(value) {
            strategy.idle(lot) { slowestConsumer() &+ capacity &- next > 0 }
        }
        strategy.reset()
    }

    /// Publishes all of `values` in as few commits as the free space allows, waiting while full.
    @inlinable
    public mutating func publish<W: WaitStrategy>(contentsOf values: UnsafeBufferPointer<Element>, waiting strategy: inout W) {
        publish(contentsOf: values, waiting: &strategy) { _ in }
    }

    /// Publishes all of `values` as `publish(contentsOf:waiting:)` does, and lets `seal` finish the last one in
    /// its slot after every wait for room, just before the commit that publishes it (a publish timestamp).
    @inlinable
    public mutating func publish<W: WaitStrategy>(
        contentsOf values: UnsafeBufferPointer<Element>, waiting strategy: inout W, sealingLast seal: (inout Element) -> Void
    ) {
        var done = 0
        while done < values.count {
            let slots = claim(upTo: values.count &- done)
            if slots.isEmpty {
                strategy.idle(lot) { slowestConsumer() &+ capacity &- next > 0 }
                continue
            }
            strategy.reset()
            // SAFETY: `slots` and the source range have `slots.count` elements each.
            slots.baseAddress!.update(from: values.baseAddress! + done, count: slots.count)
            done &+= slots.count
            if done == values.count { seal(&slots[slots.count &- 1]) }
            commit(slots.count)
        }
    }

    /// Waits with `strategy` until at least one slot is free.
    @inlinable
    public mutating func waitForSpace<W: WaitStrategy>(using strategy: inout W) {
        while true {
            limit = slowestConsumer() &+ capacity
            if limit &- next > 0 {
                strategy.reset()
                return
            }
            strategy.idle(lot) { slowestConsumer() &+ capacity &- next > 0 }
        }
    }

    /// Sequences published so far.
    public var published: Int { next }

    /// How far the slowest consumer is behind the producer, in events.
    public var slowestLag: Int { next &- slowestConsumer() }
}
