import Atomics

/// Where a ring's memory comes from.
public enum RingMemory: Sendable, Equatable {
    /// Private anonymous memory, placed on `numaNode` (the consumer's node) when given.
    case anonymous(numaNode: Int?)
    /// A file (usually under /dev/shm) mapped shared, so another process can attach to the same ring.
    /// The creator removes the file when its last handle to the ring is gone.
    case sharedFile(path: String, numaNode: Int?)
}

/// The memory of one ring, its layout header and handle bookkeeping. Every producer and consumer handle
/// retains it, so the memory outlives them all.
///
/// `@unchecked Sendable`: all stored properties are immutable after `init`; the memory they point to is
/// only accessed through the atomics of `RingLayout` and through slots whose ownership those atomics
/// hand between exactly one producer and its consumers (acquire/release on the cursors).
public final class RingRegion: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let bytes: Int
    public let capacity: Int
    public let consumerCount: Int
    let stride: Int
    public let wakeMode: RingWakeMode
    private let ownership: Ownership

    private enum Ownership {
        case numa
        case mmap
        case file(fd: Int32, path: String, unlinkOnClose: Bool)
    }

    var taken: UnsafeAtomic<UInt64> { RingLayout.atomicUInt64(base, RingLayout.takenOffset) }

    private init(
        base: UnsafeMutableRawPointer, bytes: Int, capacity: Int, consumers: Int, stride: Int,
        wakeMode: RingWakeMode, ownership: Ownership
    ) {
        self.base = base
        self.bytes = bytes
        self.capacity = capacity
        self.consumerCount = consumers
        self.stride = stride
        self.wakeMode = wakeMode
        self.ownership = ownership
    }

    deinit {
        switch ownership {
        case .numa: Sys.free(base, bytes: bytes, numa: true)
        case .mmap: Sys.free(base, bytes: bytes, numa: false)
        case .file(let fd, let path, let unlinkOnClose):
            Sys.unmap(base, bytes: bytes)
            Sys.close(fd)
            if unlinkOnClose { Sys.unlink(path) }
        }
    }

    /// Allocates, pre-faults and initialises the memory of a new ring.
    static func create(
        capacity: Int, consumers: Int, stride: Int, alignment: Int, wakeMode: RingWakeMode, memory: RingMemory
    ) throws(RingError) -> RingRegion {
        guard capacity >= 2, capacity & (capacity - 1) == 0, capacity <= 1 << 40 else {
            throw .invalidCapacity(capacity)
        }
        guard consumers >= 1, consumers <= RingLayout.maxConsumers else { throw .invalidConsumerCount(consumers) }
        precondition(alignment <= RingLayout.line, "ring elements must not need more than 128-byte alignment")
        let page = Sys.pageSize()
        let raw = RingLayout.totalBytes(consumers: consumers, capacity: capacity, stride: stride)
        let bytes = (raw + page - 1) / page * page
        let base: UnsafeMutableRawPointer
        let ownership: Ownership
        switch memory {
        case .anonymous(let node):
            guard let p = Sys.allocate(bytes: bytes, node: node) else { throw .allocationFailed(errno: Sys.errnoValue) }
            base = p
            ownership = node != nil && Sys.numaAvailable ? .numa : .mmap
        case .sharedFile(let path, let node):
            let fd = Sys.openFile(path, create: true)
            guard fd >= 0 else { throw .file(operation: "create", path: path, errno: Sys.errnoValue) }
            guard Sys.truncate(fd, bytes: bytes) else {
                let e = Sys.errnoValue
                Sys.close(fd)
                Sys.unlink(path)
                throw .file(operation: "ftruncate", path: path, errno: e)
            }
            guard let p = Sys.mapShared(fd, bytes: bytes) else {
                let e = Sys.errnoValue
                Sys.close(fd)
                Sys.unlink(path)
                throw .file(operation: "mmap", path: path, errno: e)
            }
            if let node { Sys.bind(p, bytes: bytes, node: node) }
            base = p
            ownership = .file(fd: fd, path: path, unlinkOnClose: true)
        }
        if bytes >= 2 << 20 { Sys.adviseHugePages(base, bytes: bytes) }
        Sys.prefault(base, bytes: bytes)
        // Header fields first; the magic last, with release, so an attaching process sees a whole header.
        base.storeBytes(of: RingLayout.version, toByteOffset: RingLayout.versionOffset, as: UInt32.self)
        base.storeBytes(of: UInt32(stride), toByteOffset: RingLayout.strideOffset, as: UInt32.self)
        base.storeBytes(of: UInt32(alignment), toByteOffset: RingLayout.alignmentOffset, as: UInt32.self)
        base.storeBytes(of: UInt32(consumers), toByteOffset: RingLayout.consumerCountOffset, as: UInt32.self)
        base.storeBytes(of: UInt64(capacity), toByteOffset: RingLayout.capacityOffset, as: UInt64.self)
        base.storeBytes(of: wakeMode.rawValue, toByteOffset: RingLayout.wakeModeOffset, as: UInt32.self)
        RingLayout.atomicUInt64(base, RingLayout.takenOffset).store(0, ordering: .relaxed)
        RingLayout.atomicInt(base, RingLayout.producerOffset).store(0, ordering: .relaxed)
        RingLayout.atomicUInt32(base, RingLayout.wakeWordOffset).store(0, ordering: .relaxed)
        RingLayout.atomicInt(base, RingLayout.parkedOffset).store(0, ordering: .relaxed)
        for i in 0..<consumers {
            RingLayout.atomicInt(base, RingLayout.consumersOffset + i * RingLayout.line).store(0, ordering: .relaxed)
        }
        RingLayout.atomicUInt64(base, RingLayout.magicOffset).store(RingLayout.magic, ordering: .releasing)
        return RingRegion(
            base: base, bytes: bytes, capacity: capacity, consumers: consumers, stride: stride, wakeMode: wakeMode,
            ownership: ownership)
    }

    /// Maps an existing shared ring file created by another process and checks its layout.
    static func attach(path: String, stride: Int, alignment: Int) throws(RingError) -> RingRegion {
        let fd = Sys.openFile(path, create: false)
        guard fd >= 0 else { throw .file(operation: "open", path: path, errno: Sys.errnoValue) }
        guard let size = Sys.fileSize(fd), size >= RingLayout.consumersOffset else {
            Sys.close(fd)
            throw .layoutMismatch("file too small")
        }
        guard let base = Sys.mapShared(fd, bytes: size) else {
            let e = Sys.errnoValue
            Sys.close(fd)
            throw .file(operation: "mmap", path: path, errno: e)
        }
        func fail(_ why: String) -> RingError {
            Sys.unmap(base, bytes: size)
            Sys.close(fd)
            return .layoutMismatch(why)
        }
        guard RingLayout.atomicUInt64(base, RingLayout.magicOffset).load(ordering: .acquiring) == RingLayout.magic else {
            throw fail("bad magic (not a Gantry ring, or not initialised yet)")
        }
        let version = base.load(fromByteOffset: RingLayout.versionOffset, as: UInt32.self)
        guard version == RingLayout.version else { throw fail("version \(version), expected \(RingLayout.version)") }
        let fileStride = Int(base.load(fromByteOffset: RingLayout.strideOffset, as: UInt32.self))
        let fileAlignment = Int(base.load(fromByteOffset: RingLayout.alignmentOffset, as: UInt32.self))
        guard fileStride == stride, fileAlignment == alignment else {
            throw fail("element stride/alignment \(fileStride)/\(fileAlignment), expected \(stride)/\(alignment)")
        }
        let consumers = Int(base.load(fromByteOffset: RingLayout.consumerCountOffset, as: UInt32.self))
        let capacity = Int(base.load(fromByteOffset: RingLayout.capacityOffset, as: UInt64.self))
        guard consumers >= 1, consumers <= RingLayout.maxConsumers, capacity >= 2, capacity & (capacity - 1) == 0,
            RingLayout.totalBytes(consumers: consumers, capacity: capacity, stride: stride) <= size
        else { throw fail("capacity \(capacity) / consumers \(consumers) do not fit the file") }
        let mode = RingWakeMode(rawValue: base.load(fromByteOffset: RingLayout.wakeModeOffset, as: UInt32.self)) ?? .none
        return RingRegion(
            base: base, bytes: size, capacity: capacity, consumers: consumers, stride: stride, wakeMode: mode,
            ownership: .file(fd: fd, path: path, unlinkOnClose: false))
    }

    /// Marks handle `bit` (0: producer, 1 + i: consumer i) as taken, across processes.
    func take(bit: Int, name: String) throws(RingError) {
        let mask = UInt64(1) << UInt64(bit)
        let before = taken.loadThenBitwiseOr(with: mask, ordering: .acquiringAndReleasing)
        guard before & mask == 0 else { throw .handleTaken(name) }
    }

    /// Gives handle `bit` back (its handle was dropped), so that it can be taken again (e.g. after a restart).
    func release(bit: Int) {
        _ = taken.loadThenBitwiseAnd(with: ~(UInt64(1) << UInt64(bit)), ordering: .acquiringAndReleasing)
    }

    /// Sequences published so far.
    public var published: Int { RingLayout.atomicInt(base, RingLayout.producerOffset).load(ordering: .acquiring) }

    /// Sequences consumer `index` has consumed so far.
    public func consumed(by index: Int) -> Int {
        precondition(index >= 0 && index < consumerCount)
        return RingLayout.atomicInt(base, RingLayout.consumersOffset + index * RingLayout.line).load(ordering: .acquiring)
    }
}
