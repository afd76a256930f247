import GantryCore
import GantryLoop
import GantryNet
import GantryRing
import Synchronization

/// What an on-chain runner reports when it stops.
public final class OnChainReport: Sendable {
    /// The adapter's counters, filled in when it stops.
    public let stats = Mutex<OnChainStats?>(nil)
    public init() {}
}

/// The on-chain adapter on a runner of its own: the node's WebSocket under its supervisor, the feed, and the
/// `FlowEvent`s on a broadcast ring the caller consumes (`events`), as `VenueFeedRunner` does for a venue.
/// Stopping the runner closes the connection and fills in `report`.
public struct OnChainFeedRunner: ~Copyable {
    public let runner: Runner
    public var events: RingConsumer<FlowEvent>
    /// The events' ring: consumer 0 is `events`; the others (`consumers` > 1) are for the caller to take.
    public let ring: Ring<FlowEvent>
    public let connections: Ring<ConnectionEvent>
    public let report: OnChainReport

    /// Starts the adapter.
    /// - Parameters:
    ///   - node: The node's WebSocket endpoint (its address already resolved).
    ///   - venue: The id its connection events carry.
    ///   - cpu, mode: Where the runner runs and how it waits.
    /// - Throws: `RingError` or `RunnerError`.
    public init(
        node: WebSocketEndpoint, settings: OnChainSettings, venue: VenueId = VenueId(raw: 250), cpu: Int? = nil,
        mode: RunnerMode = .adaptiveShared, ringCapacity: Int = 1 << 14, consumers: Int = 1,
        backoff: Backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(10), seed: 0x0C4A1)
    ) throws {
        let ring = try Ring<FlowEvent>.broadcast(capacity: ringCapacity, consumers: consumers)
        let consumer = try ring.takeConsumer(0)
        let connections = try Ring<ConnectionEvent>.spsc(capacity: 256)
        let producer = Handoff(try ring.takeProducer())
        let sink = Handoff(try connections.takeProducer())
        let report = OnChainReport()
        runner = try Runner(RunnerSpec(name: "onchain", cpu: cpu, mode: mode)) { context in
            context.every(.milliseconds(5)) {}  // timers: sealing, heartbeats, backoff, backfill retries
            let feed = OnChainFeed(settings: settings)
            var supervisor = WebSocketSupervisor(
                endpoint: node, venue: venue, index: 0, subscriptions: feed.subscriptions, sink: sink.take()!, backoff: backoff,
                now: MonotonicClock.now())
            supervisor.socketChanged = { fd, open in
                if open { _ = context.watch(fd: fd) {} } else { context.unwatch(fd: fd) }
            }
            return OnChainStage(supervisor: supervisor, feed: feed, producer: producer.take()!) { stats in
                report.stats.withLock { $0 = stats }
            }
        }
        events = consumer
        self.ring = ring
        self.connections = connections
        self.report = report
    }
}
