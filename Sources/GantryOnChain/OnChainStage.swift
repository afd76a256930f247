import GantryCore
import GantryLoop
import GantryNet
import GantryRing
import Logging

/// The feed's state the connection's callback works on, with the ring it publishes to. On the heap, reached
/// through a pointer, so that the callback can use it while the supervisor (a sibling in the stage) is polled.
struct OnChainCore: ~Copyable {
    var feed: OnChainFeed
    var producer: RingProducer<FlowEvent>

    /// Publishes the ledger's events, waiting while the ring is full (flows are never dropped).
    mutating func publish() {
        guard !feed.ledger.events.isEmpty else { return }
        var wait = SpinThenYield(spins: 100)
        feed.ledger.events.withUnsafeBufferPointer { producer.publish(contentsOf: $0, waiting: &wait) }
        feed.published(feed.ledger.events.count)
        feed.ledger.events.removeAll(keepingCapacity: true)
    }
}

/// The on-chain adapter as a runner's stage: one node connection kept up by a `WebSocketSupervisor` (the
/// subscriptions sent again after every reconnect, heartbeats, backoff), its `OnChainFeed` (decode in place →
/// ledger → backfill after a reconnect), and the `FlowEvent`s on a ring, as the venue feeds publish
/// `MarketEvent`s. Allocation-free per notification in steady state.
public struct OnChainStage<Sink: ConnectionEventSink & ~Copyable>: Stage, ~Copyable {
    var supervisor: WebSocketSupervisor<Sink>
    // SAFETY: `core` is allocated and initialised once in `init`, deinitialised and freed once in `deinit`, and
    // never handed out: the stage owns it alone (`~Copyable`) and uses it only on its thread, in `poll`, `finish`
    // and the supervisor's callback during `poll` (which cannot outlive the call). A pointer rather than a stored
    // property, so that the callback can mutate it while `supervisor` is being mutated.
    let core: UnsafeMutablePointer<OnChainCore>
    let report: (OnChainStats) -> Void
    var logger = Logger(label: "gantry.onchain")
    var loggedErrors = 0
    var loggedMalformed = 0

    /// - Parameters:
    ///   - supervisor: The node's connection, made with `feed.subscriptions` as its subscriptions.
    ///   - report: Called once in `finish` with the counters (on the runner's thread).
    public init(
        supervisor: consuming WebSocketSupervisor<Sink>, feed: OnChainFeed, producer: consuming RingProducer<FlowEvent>,
        report: @escaping (OnChainStats) -> Void = { _ in }
    ) {
        self.supervisor = supervisor
        core = .allocate(capacity: 1)
        core.initialize(to: OnChainCore(feed: feed, producer: producer))
        self.report = report
    }

    deinit {
        core.deinitialize(count: 1)
        core.deallocate()
    }

    /// The counters so far (on the runner's thread).
    public var stats: OnChainStats { core.pointee.feed.stats }

    /// The ledger's state (on the runner's thread).
    public var ledger: FlowLedger { core.pointee.feed.ledger }

    public mutating func poll() -> Int {
        let now = MonotonicClock.now()
        let core = self.core
        var work = supervisor.poll(now: now) { event in
            switch event {
            case .open: core.pointee.feed.opened()
            case .message(_, let payload, let receivedAt):
                _ = core.pointee.feed.handle(payload, receivedAt: receivedAt.raw > 0 ? receivedAt : MonotonicClock.now())
                core.pointee.publish()
            case .closed: core.pointee.feed.closed()
            default: break
            }
        }
        if !core.pointee.feed.outbox.isEmpty {
            for request in core.pointee.feed.outbox { request.withUnsafeBytes { _ = supervisor.send(text: $0) } }
            work += core.pointee.feed.outbox.count
            core.pointee.feed.outbox.removeAll(keepingCapacity: true)
        }
        let sealed = core.pointee.feed.tick(now: now)
        if sealed > 0 || !core.pointee.feed.ledger.events.isEmpty {
            core.pointee.publish()
            work += sealed + 1
        }
        logProblems()
        return work
    }

    /// A line for each new kind of trouble, off the hot path.
    mutating func logProblems() {
        let s = core.pointee.feed.stats
        if s.nodeErrors != loggedErrors {
            loggedErrors = s.nodeErrors
            logger.warning("the node answered with an error", metadata: ["words": "\(s.lastNodeError ?? "")", "count": "\(s.nodeErrors)"])
        }
        if s.malformed != loggedMalformed {
            loggedMalformed = s.malformed
            logger.warning("a node message did not decode", metadata: ["error": "\(s.lastError.map { "\($0)" } ?? "")", "count": "\(s.malformed)"])
        }
    }

    public mutating func finish() {
        supervisor.stop(now: MonotonicClock.now())
        report(core.pointee.feed.stats)
    }
}
