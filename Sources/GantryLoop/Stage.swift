/// A unit of pipeline work that a runner polls: decode a socket's bytes, drain a ring, apply a book, …
///
/// A stage owns its state and meets other stages only through rings. It is created on its runner's thread
/// (so its memory is NUMA-local to that core) and destroyed there when the runner stops.
public protocol Stage: ~Copyable {
    /// Does whatever work is ready now, without blocking.
    /// - Returns: How many items were handled; 0 tells the runner this stage is idle.
    mutating func poll() -> Int

    /// Called once on the runner's thread after the last `poll`, before the stage is destroyed: flush,
    /// report, close. The default does nothing.
    mutating func finish()
}

extension Stage where Self: ~Copyable {
    public mutating func finish() {}
}

/// Two stages fused on one runner, polled in turn.
public struct FusedStages<First: Stage & ~Copyable, Second: Stage & ~Copyable>: Stage, ~Copyable {
    public var first: First
    public var second: Second

    @inlinable
    public init(_ first: consuming First, _ second: consuming Second) {
        self.first = first
        self.second = second
    }

    @inlinable
    public mutating func poll() -> Int { first.poll() &+ second.poll() }

    @inlinable
    public mutating func finish() {
        first.finish()
        second.finish()
    }
}

/// How a runner waits when its stages are idle.
public enum RunnerMode: Sendable, Equatable, CustomStringConvertible {
    /// Never sleeps: `uv_run(UV_RUN_NOWAIT)` interleaved with stage polls. Only on an isolated core of its own.
    case busyPoll
    /// Spins `spins` empty rounds, yields `yields` more, then parks in `uv_run(UV_RUN_ONCE)` until a socket,
    /// a timer or a doorbell (eventfd) wakes it. For shared cores.
    case adaptive(spins: Int, yields: Int)

    /// Adaptive for a runner alone on its core: about 50 µs of spinning, then a few yields, then park.
    public static let adaptiveDefault = RunnerMode.adaptive(spins: 2_000, yields: 20)

    /// Adaptive for a runner that shares its core: spin briefly and yield early, so the runner beside it
    /// gets the core between bursts instead of waiting for the scheduler's time slice (milliseconds).
    public static let adaptiveShared = RunnerMode.adaptive(spins: 50, yields: 10)

    public var description: String {
        switch self {
        case .busyPoll: "busy-poll"
        case .adaptive(let s, let y): "adaptive(spins: \(s), yields: \(y))"
        }
    }
}
