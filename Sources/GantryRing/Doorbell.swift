import Atomics

/// Wakes a thread that may be asleep elsewhere than in a ring (a runner parked in its libuv loop).
///
/// The sleeper raises `parked` before it sleeps and re-checks its rings; a producer that has published
/// calls `ringIfParked()`, which rings only when the flag is up. Both sides put a full fence between their
/// store and their load (the Dekker pattern), so a wake-up is never lost.
///
/// `@unchecked Sendable`: `parked` is atomic; `context` is only passed back to `function`, which must be
/// callable from any thread (as `uv_async_send` is); `owner` keeps both alive.
public struct Doorbell: @unchecked Sendable {
    @usableFromInline let parked: UnsafeAtomic<Int>
    @usableFromInline let context: UnsafeMutableRawPointer
    @usableFromInline let function: @convention(c) (UnsafeMutableRawPointer?) -> Void
    @usableFromInline let owner: AnyObject

    /// - Parameters:
    ///   - parked: Non-zero while the sleeper may be asleep.
    ///   - context: Passed to `function`.
    ///   - function: Wakes the sleeper; thread-safe.
    ///   - owner: Keeps `parked` and `context` alive as long as the doorbell exists. It must not hold the doorbell
    ///     itself (nor anything that does): the two would keep each other alive, and neither would ever be freed.
    public init(
        parked: UnsafeAtomic<Int>, context: UnsafeMutableRawPointer,
        function: @escaping @convention(c) (UnsafeMutableRawPointer?) -> Void, owner: AnyObject
    ) {
        self.parked = parked
        self.context = context
        self.function = function
        self.owner = owner
    }

    /// Wakes the sleeper if it is (or is about to be) asleep. Call after publishing.
    @inlinable
    public func ringIfParked() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)  // store (publish) → load (parked) must not reorder
        if parked.load(ordering: .relaxed) != 0 { function(context) }
    }
}
