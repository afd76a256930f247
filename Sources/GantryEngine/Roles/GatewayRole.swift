import GantryBus
import GantryCore
import GantryLoop
import GantryRing
import Histogram
import Synchronization

/// Which part of the gateway a process runs (`gantry run --role`): all of it, or one of three roles joined by
/// the bus (docs/BUS.md):
///
/// - `feed`: the venues' feeds (and the chain's adapter); publishes `market` (and `flow`).
/// - `strategy`: the signal stage (strategies and router); consumes `market`, `report`, `health`, `control`,
///   `flow`; publishes `intent`.
/// - `execution`: risk and order-send (an approval never crosses the bus); consumes `market` and `intent`;
///   publishes `decision`, `report`, `health` and `control` (the operator's commands and the kill switch).
public enum GatewayRole: String, Sendable, CaseIterable, CustomStringConvertible {
    case all, feed, strategy, execution
    public var description: String { rawValue }

    /// The bus configuration a role's consumers use: a consumer group of the role's own, so that each role reads
    /// every entry of a stream exactly once (docs/BUS.md, "Delivery guarantees").
    public func consuming(_ bus: BusConfiguration) -> BusConfiguration {
        var c = bus
        c.group = "\(bus.group):\(rawValue)"
        return c
    }
}

/// A broadcast ring's consumer indices, handed out in order to the readers a role has: every index of a broadcast
/// ring must be read (its producer waits for the slowest), so a role makes its rings with exactly its readers.
struct Readers {
    private(set) var count = 0
    mutating func add(_ present: Bool = true) -> Int? {
        guard present else { return nil }
        defer { count += 1 }
        return count
    }
}

/// The bus's figures in a role's process: the publisher's and each consumer's, refreshed after every poll of
/// their stages (for the live view and the control plane).
public struct GatewayBusBoards: Sendable {
    public var publisher: BusStatsBoard<BusPublisherStats>?
    /// By stream kind.
    public var consumers: [(kind: BusEventKind, board: BusStatsBoard<BusConsumerStats>)] = []
    /// The market's hop from the feed role, where this role reads the market from the bus.
    public var hop: BusHopBoard?
    public init() {}
}

/// The market's way from the feed role into this role, per venue message (its `messageTimes` event), in
/// monotonic ns: `hop` from the event's publish on the feed role's ring to its arrival on this role's venue ring
/// (the feed's bus publisher, Redis and this role's consumer), `ingest` from the kernel's receive in the feed role
/// to the same arrival. Both need one clock: on one host, CLOCK_MONOTONIC is shared by every process; across
/// hosts the figures are meaningless (docs/BUS.md). The inbox adds its figures every 100 ms.
public final class BusHopBoard: Sendable {
    public struct Figures: Sendable {
        public var hop = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        public var ingest = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        /// Events whose times were not usable (a clock that is not this host's, or a message not timed).
        public var untimed = 0
        public init() {}
    }
    private let current = Mutex(Figures())
    public init() {}
    /// The figures so far.
    public var figures: Figures { current.withLock { $0 } }
    func add(_ f: inout Figures) {
        current.withLock { c in
            c.hop.add(f.hop)
            c.ingest.add(f.ingest)
            c.untimed += f.untimed
        }
        f.hop.reset()
        f.ingest.reset()
        f.untimed = 0
    }
}

/// A runner of the bus's (an inbox), in a class so that several can be held.
final class BusRunner {
    let runner: Runner
    init(_ runner: consuming Runner) { self.runner = runner }
}

/// A stream read into a ring by a `BusConsumer` on a cold runner of its own (it blocks in XREADGROUP when the
/// stream is idle), in the role's consumer group; `fromNow`: only what is published after it started.
func busInbox<E: BusEvent>(
    _ producer: consuming RingProducer<E>, bus: BusConfiguration, role: GatewayRole, cpu: Int?, boards: inout GatewayBusBoards, fromNow: Bool = false
) throws -> BusRunner {
    let board = BusStatsBoard(BusConsumerStats())
    boards.consumers.append((E.busKind, board))
    let output = Handoff(producer)
    let configuration = role.consuming(bus)
    return BusRunner(try Runner(RunnerSpec(name: "bus-\(E.busKind)", cpu: cpu, mode: .adaptiveShared)) { context in
        BusConsumer<E>(configuration: configuration, name: "\(role)-\(E.busKind)", output: output.take()!, context: context, board: board, fromNow: fromNow)
    })
}

/// The market stream read into each venue's ring: the bus carries every venue's events on one stream (in each
/// venue's order), and this stage hands each to its venue's ring — the rings a gateway on one process has, so
/// that the stages downstream (and their journaled ticks) are the same.
struct BusMarketInbox: Stage, ~Copyable {
    var consumer: BusConsumer<MarketEvent>
    var staged: RingConsumer<MarketEvent>
    /// Each venue's ring, by position; `slot[venue raw]` is its position (-1: a venue this role does not trade).
    let outputs: UnsafeMutablePointer<RingProducer<MarketEvent>>
    let count: Int
    let slot: [Int]
    /// Each venue's messages handed on (`messages`: events ending a message), for the view and the control plane.
    let counters: [LiveCounters]
    /// Events of venues this role does not trade (a configuration that differs from the feed role's).
    var foreign = 0
    /// The hop's figures since they were last added to `hopBoard` (at most every 100 ms).
    var hop = BusHopBoard.Figures()
    let hopBoard: BusHopBoard
    var nextHop = Nanos.zero

    init(
        consumer: consuming BusConsumer<MarketEvent>, staged: consuming RingConsumer<MarketEvent>, outputs: [Handoff<RingProducer<MarketEvent>>],
        venues: [VenueId], counters: [LiveCounters], hop: BusHopBoard
    ) {
        hopBoard = hop
        self.consumer = consumer
        self.staged = staged
        count = outputs.count
        self.outputs = .allocate(capacity: max(count, 1))
        for (k, o) in outputs.enumerated() { (self.outputs + k).initialize(to: o.take()!) }
        var slot = [Int](repeating: -1, count: 256)
        for (k, v) in venues.enumerated() { slot[Int(v.raw)] = k }
        self.slot = slot
        self.counters = counters
    }

    deinit {
        outputs.deinitialize(count: count)
        outputs.deallocate()
    }

    mutating func poll() -> Int {
        _ = consumer.poll()
        let now = MonotonicClock.now()
        let work = staged.poll(upTo: 1_024) { batch in
            for e in batch {
                if e.kind == .messageTimes {
                    if e.receiveTime.raw > 0 && e.publishedTime >= e.receiveTime && now >= e.publishedTime {
                        hop.hop.record(UInt64((now - e.publishedTime).raw))
                        hop.ingest.record(UInt64((now - e.receiveTime).raw))
                    } else {
                        hop.untimed += 1
                    }
                }
                let k = slot[Int(e.venue.raw)]
                guard k >= 0 else {
                    foreign += 1
                    continue
                }
                var wait = SpinThenYield()
                outputs[k].publish(e, waiting: &wait)
                if e.flags.contains(.endOfMessage) { counters[k].messages.wrappingAdd(1, ordering: .relaxed) }
            }
        }
        if now >= nextHop {
            nextHop = now + .milliseconds(100)
            hopBoard.add(&hop)
        }
        return work
    }

    mutating func finish() {
        consumer.finish()
        hopBoard.add(&hop)
    }
}

/// The market stream's inbox on a runner of its own: `outputs` are the venues' rings' producers, in `venues`' order.
func busMarketInbox(
    outputs: [Handoff<RingProducer<MarketEvent>>], venues: [VenueId], counters: [LiveCounters], bus: BusConfiguration, role: GatewayRole, cpu: Int?,
    boards: inout GatewayBusBoards
) throws -> BusRunner {
    let board = BusStatsBoard(BusConsumerStats())
    boards.consumers.append((.market, board))
    let hop = BusHopBoard()
    boards.hop = hop
    let configuration = role.consuming(bus)
    let staging = try Ring<MarketEvent>.spsc(capacity: 1 << 14)
    let stagedIn = Handoff(try staging.takeConsumer())
    let stagedOut = Handoff(try staging.takeProducer())
    return BusRunner(try Runner(RunnerSpec(name: "bus-market", cpu: cpu, mode: .adaptiveShared)) { context in
        BusMarketInbox(
            consumer: BusConsumer<MarketEvent>(configuration: configuration, name: "\(role)-market", output: stagedOut.take()!, context: context, board: board),
            staged: stagedIn.take()!, outputs: outputs, venues: venues, counters: counters, hop: hop)
    })
}
