import Synchronization

/// Moves one value (often a `~Copyable` handle) to another thread: put it in here, capture the box in the
/// thread's closure, `take()` it there. The mutex makes the hand-over a checked, data-race-free transfer.
public final class Handoff<Value: ~Copyable & Sendable>: Sendable {
    private let slot: Mutex<Value?>

    /// A box holding `value`.
    public init(_ value: consuming Value) { slot = Mutex(Optional(value)) }

    /// The value, the first time; nil afterwards.
    public func take() -> Value? { slot.withLock { $0.take() } }
}
