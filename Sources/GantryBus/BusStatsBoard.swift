import Synchronization

/// Where a bus stage, on its runner, leaves a copy of its figures for other threads (metrics, status, tests).
public final class BusStatsBoard<Stats: Sendable>: Sendable {
    private let current: Mutex<Stats>

    /// A board showing `initial` until the stage's first poll.
    public init(_ initial: Stats) { current = Mutex(initial) }

    /// The figures as of the stage's last poll.
    public var stats: Stats { current.withLock { $0 } }

    func store(_ stats: Stats) { current.withLock { $0 = stats } }
}
