/// Bytes waiting to be sent (or framed), in one buffer allocated up front: writers reserve room and commit
/// what they wrote, the socket takes from the front. Compacts instead of reallocating; grows (allocates)
/// only when a single write needs more room than the whole buffer has, which the steady state never does.
public struct ByteQueue: ~Copyable {
    private var storage: UnsafeMutableRawBufferPointer
    /// Unsent bytes are [head, tail).
    private var head = 0
    private var tail = 0

    /// - Parameter capacity: Bytes allocated now.
    public init(capacity: Int) {
        storage = .allocate(byteCount: max(capacity, 64), alignment: 64)
    }

    deinit { storage.deallocate() }

    public var isEmpty: Bool { head == tail }
    public var count: Int { tail - head }
    public var capacity: Int { storage.count }

    /// The bytes waiting, valid until the next mutation.
    public var readable: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[head..<tail]) }

    /// At least `count` writable bytes at the end (compacting, or growing if the buffer is too small).
    public mutating func reserve(_ count: Int) -> UnsafeMutableRawBufferPointer {
        if storage.count - tail < count {
            // Compacting moves the unsent bytes to the front: only when they fill at most half the buffer, so
            // that a queue a slow reader keeps full grows instead of moving everything on every append.
            if head > 0 && tail - head <= storage.count / 2 {
                // Move the unsent bytes to the front.
                if tail > head { storage.baseAddress!.copyMemory(from: storage.baseAddress! + head, byteCount: tail - head) }
                tail -= head
                head = 0
            }
            if storage.count - tail < count {
                var size = storage.count
                while size - tail < count { size *= 2 }
                let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
                if tail > 0 { grown.baseAddress!.copyMemory(from: storage.baseAddress!, byteCount: tail) }
                storage.deallocate()
                storage = grown
            }
        }
        return UnsafeMutableRawBufferPointer(rebasing: storage[tail...])
    }

    /// Makes `count` bytes written into the last `reserve` part of the queue.
    public mutating func commit(_ count: Int) {
        precondition(count >= 0 && tail + count <= storage.count, "commit beyond the reserved room")
        tail += count
    }

    /// Appends a copy of `bytes`.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        let room = reserve(bytes.count)
        room.baseAddress!.copyMemory(from: source, byteCount: bytes.count)
        commit(bytes.count)
    }

    /// Drops `count` bytes from the front (they were sent).
    public mutating func consume(_ count: Int) {
        precondition(count >= 0 && count <= tail - head, "consume beyond the queued bytes")
        head += count
        if head == tail {
            head = 0
            tail = 0
        }
    }

    /// Drops everything.
    public mutating func removeAll() {
        head = 0
        tail = 0
    }
}

/// Masking keys for client frames from OpenSSL's CSPRNG, drawn 1 KiB at a time so that a frame costs a load
/// instead of a RAND_bytes call (RFC 6455 §5.3: unpredictable keys, from a strong source of entropy).
struct MaskKeyPool: ~Copyable {
    private let keys: UnsafeMutableBufferPointer<UInt32>
    private var next: Int

    init() {
        keys = .allocate(capacity: 256)
        next = 256
    }

    deinit { keys.deallocate() }

    mutating func take() -> UInt32 {
        if next == keys.count {
            Crypto.fillRandom(UnsafeMutableRawBufferPointer(keys))
            next = 0
        }
        defer { next += 1 }
        return keys[next]
    }
}
