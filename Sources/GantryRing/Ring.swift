/// A bounded lock-free ring of fixed-size values: one producer and one (SPSC) or several (broadcast)
/// consumers, each consumer with its own cursor; the producer is gated by the slowest consumer, and every
/// consumer sees every event in order.
///
/// `Ring` is the shareable description; the producer and consumer handles are `~Copyable` and can each be
/// taken once (across processes, for a shared-file ring), so "single producer" is a fact of the types.
///
/// ```swift
/// let ring = try Ring<MarketEvent>.spsc(capacity: 4096, memory: .anonymous(numaNode: 0))
/// var producer = try ring.takeProducer()
/// var consumer = try ring.takeConsumer()
/// ```
public struct Ring<Element: BitwiseCopyable>: Sendable {
    /// The memory and header.
    public let region: RingRegion

    /// Slots in the ring.
    public var capacity: Int { region.capacity }

    /// Consumers the producer waits for.
    public var consumerCount: Int { region.consumerCount }

    /// A ring with one consumer.
    /// - Parameters:
    ///   - capacity: A power of two.
    ///   - wakeMode: `.futex` if the consumer uses the `Blocking` strategy.
    ///   - memory: Anonymous (on the consumer's NUMA node) or a shared file.
    /// - Throws: `RingError`.
    public static func spsc(
        capacity: Int, wakeMode: RingWakeMode = .none, memory: RingMemory = .anonymous(numaNode: nil)
    ) throws(RingError) -> Ring {
        try broadcast(capacity: capacity, consumers: 1, wakeMode: wakeMode, memory: memory)
    }

    /// A ring whose every event is seen by each of `consumers` consumers.
    /// - Throws: `RingError`.
    public static func broadcast(
        capacity: Int, consumers: Int, wakeMode: RingWakeMode = .none, memory: RingMemory = .anonymous(numaNode: nil)
    ) throws(RingError) -> Ring {
        Ring(
            region: try RingRegion.create(
                capacity: capacity, consumers: consumers, stride: MemoryLayout<Element>.stride,
                alignment: MemoryLayout<Element>.alignment, wakeMode: wakeMode, memory: memory))
    }

    /// Attaches to a ring another process created with `.sharedFile(path:)`.
    /// - Throws: `RingError.layoutMismatch` if the file holds a ring of another element layout.
    public static func attach(path: String) throws(RingError) -> Ring {
        Ring(
            region: try RingRegion.attach(
                path: path, stride: MemoryLayout<Element>.stride, alignment: MemoryLayout<Element>.alignment))
    }

    /// The producer handle. - Throws: `RingError.handleTaken` if it is already taken.
    public func takeProducer() throws(RingError) -> RingProducer<Element> {
        try region.take(bit: 0, name: "producer")
        return RingProducer(region: region)
    }

    /// The handle of consumer `index`. - Throws: `RingError.handleTaken` if it is already taken.
    /// - Traps if `index` is not below `consumerCount`.
    /// Where consumers park: for a consumer that waits in a loop of its own (with a deadline) rather than in
    /// `RingConsumer.wait`.
    public var consumerParkingLot: ParkingLot { ParkingLot(region: region, forProducer: false) }

    public func takeConsumer(_ index: Int = 0) throws(RingError) -> RingConsumer<Element> {
        precondition(index >= 0 && index < region.consumerCount, "consumer index out of range")
        try region.take(bit: 1 + index, name: "consumer \(index)")
        return RingConsumer(region: region, index: index)
    }
}
