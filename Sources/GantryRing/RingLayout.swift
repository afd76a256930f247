import Atomics

/// The byte layout of a ring's memory, identical in every process that maps it.
///
/// ```
///  offset   size   contents
///  0        128    header: magic "GNTRYRNG", version, element stride and alignment, capacity,
///                  consumer count, wake-up mode, handle-taken bits (atomic)
///  128      128    producer cursor: sequences published so far (atomic Int, alone on its lines)
///  256      128    wake word (UInt32 futex) and parked-consumer count (atomic Int)
///  384      128×N  consumer cursors: sequences consumed so far, one per consumer, each alone
///  …        S×C    slots, 128-byte aligned; sequence s lives in slot s & (C − 1)
/// ```
///
/// Each cursor has 128 bytes to itself (two cache lines: adjacent-line prefetch would otherwise make
/// neighbours share). Sequences are 64-bit and never wrap in practice (2^63 events).
public enum RingLayout {
    static let magic: UInt64 = 0x474E_5452_5952_4E47  // "GNTRYRNG" read as a big-endian word
    static let version: UInt32 = 1
    static let line = 128
    public static let maxConsumers = 32

    static let magicOffset = 0
    static let versionOffset = 8
    static let strideOffset = 12
    static let alignmentOffset = 16
    static let consumerCountOffset = 20
    static let capacityOffset = 24
    static let wakeModeOffset = 32
    static let takenOffset = 40
    static let producerOffset = 128
    static let wakeWordOffset = 256
    static let parkedOffset = 264
    static let consumersOffset = 384

    static func slotsOffset(consumers: Int) -> Int { consumersOffset + line * consumers }

    static func totalBytes(consumers: Int, capacity: Int, stride: Int) -> Int {
        slotsOffset(consumers: consumers) + capacity * stride
    }

    /// An atomic Int living at `offset` of `base`.
    static func atomicInt(_ base: UnsafeMutableRawPointer, _ offset: Int) -> UnsafeAtomic<Int> {
        // SAFETY: offset is 8-aligned inside the region; the region outlives every handle (they retain it).
        UnsafeAtomic<Int>(at: (base + offset).assumingMemoryBound(to: Int.AtomicRepresentation.self))
    }

    static func atomicUInt32(_ base: UnsafeMutableRawPointer, _ offset: Int) -> UnsafeAtomic<UInt32> {
        UnsafeAtomic<UInt32>(at: (base + offset).assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
    }

    static func atomicUInt64(_ base: UnsafeMutableRawPointer, _ offset: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic<UInt64>(at: (base + offset).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }
}

/// How a ring wakes a consumer that has parked.
public enum RingWakeMode: UInt32, Sendable {
    /// Nobody parks: consumers spin or yield. Publishing costs one release store.
    case none = 0
    /// Consumers may park on a futex in the ring's memory (works across processes). Publishing adds a
    /// full fence and a load, and a `futex_wake` only when someone is parked.
    case futex = 1
}
