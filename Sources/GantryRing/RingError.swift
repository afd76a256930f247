/// Why a ring could not be created or attached.
public enum RingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Capacity must be a power of two, at least 2.
    case invalidCapacity(Int)
    /// A broadcast ring has 1...maxConsumers consumers.
    case invalidConsumerCount(Int)
    /// Memory could not be allocated or mapped (errno).
    case allocationFailed(errno: Int32)
    /// A shared-memory file operation failed (errno).
    case file(operation: String, path: String, errno: Int32)
    /// The shared file holds a ring of another layout, element type, capacity or consumer count.
    case layoutMismatch(String)
    /// The producer, or this consumer index, has already been taken (in this or another process).
    case handleTaken(String)

    public var description: String {
        switch self {
        case .invalidCapacity(let c): "ring capacity \(c) is not a power of two ≥ 2"
        case .invalidConsumerCount(let n): "ring consumer count \(n) is outside 1...\(RingLayout.maxConsumers)"
        case .allocationFailed(let e): "ring memory allocation failed (errno \(e))"
        case .file(let op, let path, let e): "ring file \(path): \(op) failed (errno \(e))"
        case .layoutMismatch(let why): "ring file layout mismatch: \(why)"
        case .handleTaken(let which): "ring \(which) handle already taken"
        }
    }
}
