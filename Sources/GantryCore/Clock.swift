#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one seam through which stages read time, so that tests and replays can inject their own.
public protocol NanoClock: Sendable {
    /// The current time on this clock.
    func now() -> Nanos
}

/// `CLOCK_MONOTONIC`: for latencies and timeouts; never jumps, unrelated to the date.
@frozen
public struct MonotonicClock: NanoClock {
    @inlinable public init() {}
    @inlinable public func now() -> Nanos { Self.now() }

    /// The current monotonic time (a vDSO call, about 20 ns, no system call).
    @inlinable
    public static func now() -> Nanos {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Nanos(raw: Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec))
    }
}

/// `CLOCK_REALTIME`: nanoseconds since the Unix epoch, comparable with venues' timestamps.
@frozen
public struct WallClock: NanoClock {
    @inlinable public init() {}
    @inlinable public func now() -> Nanos { Self.now() }

    /// The current wall-clock time.
    @inlinable
    public static func now() -> Nanos {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Nanos(raw: Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec))
    }
}

import Synchronization

/// A clock that moves only when told to: for tests and replays.
public final class ManualClock: NanoClock {
    private let current: Atomic<Int64>

    /// A clock reading `start`.
    public init(start: Nanos = .zero) { current = Atomic(start.raw) }

    public func now() -> Nanos { Nanos(raw: current.load(ordering: .acquiring)) }

    /// Moves the clock forward by `delta`.
    public func advance(by delta: Nanos) { current.add(delta.raw, ordering: .releasing) }

    /// Sets the clock to `time`.
    public func set(_ time: Nanos) { current.store(time.raw, ordering: .releasing) }
}
