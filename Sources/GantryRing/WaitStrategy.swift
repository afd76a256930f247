import Atomics

/// Where a consumer may park: the futex word of a ring created with `RingWakeMode.futex`.
public struct ParkingLot {
    @usableFromInline let word: UnsafeMutableRawPointer
    @usableFromInline let parked: UnsafeAtomic<Int>
    @usableFromInline let enabled: Bool

    /// The longest sleep of a waiter that nobody will signal (a producer facing a full ring, or any waiter
    /// on a ring without futex wake-ups): consumers do not pay a fence per read to wake producers.
    public static let unsignalledSleepNanos: Int64 = 50_000

    /// - Parameter forProducer: The producer's lot: it never parks on the futex, it naps.
    init(region: RingRegion, forProducer: Bool) {
        word = region.base + RingLayout.wakeWordOffset
        parked = RingLayout.atomicInt(region.base, RingLayout.parkedOffset)
        enabled = region.wakeMode == .futex && !forProducer
    }

    /// Sleeps until a producer publishes, `ready()` is already true, or `timeoutNanos` pass.
    /// Where nobody signals (see `unsignalledSleepNanos`), naps for at most that long instead.
    @inlinable
    public func park(timeoutNanos: Int64, ready: () -> Bool) {
        let futexWord = UnsafeAtomic<UInt32>(at: word.assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
        if !enabled {
            if !ready() {
                Sys.futexWait(
                    word, expected: futexWord.load(ordering: .relaxed),
                    timeoutNanos: min(timeoutNanos, Self.unsignalledSleepNanos))
            }
            return
        }
        parked.wrappingIncrement(ordering: .sequentiallyConsistent)
        atomicMemoryFence(ordering: .sequentiallyConsistent)  // parked ↑ (store) → cursor (load) must not reorder
        let seen = futexWord.load(ordering: .acquiring)
        if !ready() {
            Sys.futexWait(word, expected: seen, timeoutNanos: timeoutNanos)
        }
        parked.wrappingDecrement(ordering: .relaxed)
    }

    /// Wakes parked consumers, if any. Producers call it after publishing (only on futex rings).
    @usableFromInline
    func wakeIfParked() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)  // cursor (store) → parked (load) must not reorder
        guard parked.load(ordering: .relaxed) != 0 else { return }
        UnsafeAtomic<UInt32>(at: word.assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
            .wrappingIncrement(ordering: .releasing)
        Sys.futexWakeAll(word)
    }
}

/// What a thread does while the ring it waits on has nothing for it (or no room).
public protocol WaitStrategy {
    /// One empty poll happened; wait a little (spin, yield or park) before the caller polls again.
    /// - Parameters:
    ///   - lot: Where to park, if the strategy parks.
    ///   - ready: True once the caller can proceed; checked before parking.
    mutating func idle(_ lot: ParkingLot, ready: () -> Bool)
    /// Work was found: start the next wait from the beginning.
    mutating func reset()
}

/// Spins with the CPU's pause hint. Only for a thread alone on an isolated core.
public struct BusySpin: WaitStrategy {
    public init() {}
    @inlinable public mutating func idle(_ lot: ParkingLot, ready: () -> Bool) { Sys.cpuRelax() }
    @inlinable public mutating func reset() {}
}

/// Spins `spins` times, then yields the CPU on every further idle round.
public struct SpinThenYield: WaitStrategy {
    public let spins: Int
    @usableFromInline var rounds = 0

    public init(spins: Int = 1_000) { self.spins = spins }

    @inlinable
    public mutating func idle(_ lot: ParkingLot, ready: () -> Bool) {
        if rounds < spins {
            rounds &+= 1
            Sys.cpuRelax()
        } else {
            Sys.yield()
        }
    }

    @inlinable public mutating func reset() { rounds = 0 }
}

/// Spins, then yields, then parks on the ring's futex until a producer publishes. For shared cores.
/// Parking needs a ring created with `RingWakeMode.futex`; on other rings it sleeps `parkNanos` at a time.
public struct Blocking: WaitStrategy {
    public let spins: Int
    public let yields: Int
    public let parkNanos: Int64
    @usableFromInline var rounds = 0

    /// - Parameters:
    ///   - spins: Pause-spins before yielding.
    ///   - yields: `sched_yield` calls before parking.
    ///   - parkNanos: Longest single sleep (a safety net; a publish wakes the sleeper at once).
    public init(spins: Int = 200, yields: Int = 20, parkNanos: Int64 = 10_000_000) {
        self.spins = spins
        self.yields = yields
        self.parkNanos = parkNanos
    }

    @inlinable
    public mutating func idle(_ lot: ParkingLot, ready: () -> Bool) {
        if rounds < spins {
            rounds &+= 1
            Sys.cpuRelax()
        } else if rounds < spins &+ yields {
            rounds &+= 1
            Sys.yield()
        } else {
            lot.park(timeoutNanos: parkNanos, ready: ready)
        }
    }

    @inlinable public mutating func reset() { rounds = 0 }
}
