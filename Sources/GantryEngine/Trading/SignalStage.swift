import GantryBook
import GantryCore
import GantryExecution
import GantryLoop
import GantryRing
import GantryStrategy

/// What the signal stage did.
public struct SignalStats: Sendable, Equatable {
    public var marketEvents = 0
    public var reports = 0
    /// On-chain flow events taken.
    public var flows = 0
    /// Intents published toward risk (a routed parent counts as its children).
    public var intents = 0
    public var routedParents = 0
    /// Pair quantity a routing could not place (no level within the limit, lots).
    public var routedResidual: Int64 = 0
    /// Intents not emitted because trading is stopped (kill switch).
    public var suppressed = 0
}

/// The signal stage: the strategies' book mirror, the strategies, and the router beside them (where the books
/// are). It reads market events and order reports from their broadcast rings and publishes venue intents on
/// the ring that only risk reads. It cannot send an order: it has no order connection and makes no
/// `ApprovedOrder`. Time comes from the clock it is given (a `ManualClock` in replays).
public struct SignalStage<Custom: Strategy, Clock: NanoClock>: Stage, ~Copyable {
    public var host: StrategyHost<Custom>
    var router: SmartOrderRouter
    var market: MarketFanIn
    var reports: RingConsumer<OrderReport>
    var control: RingConsumer<ControlEvent>?
    /// Each venue's order round trip, from order-send.
    var health: RingConsumer<VenueHealth>? = nil
    var intents: RingProducer<OrderIntent>
    let clock: Clock
    let takerFees: [Int64]
    var latency: [Nanos]
    let maximumBookAge: Nanos
    /// Strategies emit nothing once the kill switch fired (until resumed).
    public private(set) var stopped = false
    public private(set) var stats = SignalStats()
    var pending: [OrderIntent] = []
    /// A routing's children (its own buffer: `pending` is in use while intents are sent).
    var children: [OrderIntent] = []
    let capacity: [Int64]
    /// On-chain flow events, for the strategies that take them, and how they are scaled.
    var flows: RingConsumer<FlowEvent>? = nil
    var flowScaling = FlowScaling(tokenDecimals: [], decimals: 0)
    /// Where each poll that could change what the stage decides is told, for the journal (see `StageTick`).
    var ticks: TickRecorder? = nil

    public init(
        host: consuming StrategyHost<Custom>, router: SmartOrderRouter, market: consuming MarketFanIn,
        reports: consuming RingConsumer<OrderReport>, control: consuming RingConsumer<ControlEvent>?, intents: consuming RingProducer<OrderIntent>,
        clock: Clock, takerFees: [Int64], maximumBookAge: Nanos
    ) {
        self.host = host
        self.router = router
        self.market = market
        self.reports = reports
        self.control = control
        self.intents = intents
        self.clock = clock
        self.takerFees = takerFees
        let venues = takerFees.count
        latency = Array(repeating: .zero, count: venues)
        capacity = Array(repeating: .max, count: venues)
        self.maximumBookAge = maximumBookAge
        pending.reserveCapacity(256)
        children.reserveCapacity(64)
    }

    /// Reads each venue's order round trip from order-send's health ring.
    public mutating func attach(health: consuming RingConsumer<VenueHealth>) { self.health = consume health }

    /// Reads on-chain flow events (one chain's adapter ring) for the strategies, scaled by `scaling`.
    public mutating func attach(flows: consuming RingConsumer<FlowEvent>, scaling: FlowScaling) {
        self.flows = consume flows
        flowScaling = scaling
    }

    /// Tells `ticks` of every poll that took input, ran a strategy's timer or emitted an intent (for the journal:
    /// a replay of it hands the stage the same batches at the same times). - Parameter venues: The venue of each
    /// market ring, in the fan-in's order (at most `StageTick.marketRingCapacity`).
    public mutating func attach(ticks: consuming RingProducer<StageTick>, venues: [VenueId]) {
        self.ticks = TickRecorder(.signal, ticks, venues: venues, rings: market.count)
    }

    public mutating func poll() -> Int {
        var work = 0
        var healthTaken = 0
        if health != nil {
            while let h = health!.tryConsume() {
                healthTaken += 1
                setVenueLatency(h.venue, h.roundTrip)
            }
        }
        var controlTaken = 0
        if control != nil {
            while let c = control!.tryConsume() {
                work += 1
                controlTaken += 1
                switch c.command {
                case .killSwitch, .pauseTrading: stopped = true
                case .resumeTrading: stopped = false
                default: break
                }
            }
        }
        var flowsTaken = 0
        if flows != nil {
            flowsTaken = flows!.poll(upTo: 256) { batch in
                for f in batch {
                    let token = Int(f.token)
                    host.onFlow(exchangeIndex: Int(f.exchange), inflow: flowScaling.scaled(f.inflow, token: token), outflow: flowScaling.scaled(f.outflow, token: token))
                }
            }
            work += flowsTaken
            stats.flows += flowsTaken
        }
        let now = clock.now()
        let timerDue = ticks != nil && host.timerDue(now)
        let emitted = stats.intents &+ stats.suppressed
        var out: [OrderIntent] = []
        swap(&out, &pending)
        let marketTaken = market.poll(upTo: 256) { batch in
            for e in batch { host.onMarket(e, now: now) { out.append($0) } }
            stats.marketEvents += batch.count
        }
        let reportsTaken = reports.poll(upTo: 256) { batch in
            for r in batch { host.onReport(r, now: now) { out.append($0) } }
            stats.reports += batch.count
        }
        work += marketTaken + reportsTaken
        host.onTimers(now: now) { out.append($0) }
        for intent in out { send(intent, now: now) }
        out.removeAll(keepingCapacity: true)
        swap(&out, &pending)
        if ticks != nil
            && (healthTaken | controlTaken | flowsTaken | marketTaken | reportsTaken != 0 || timerDue || stats.intents &+ stats.suppressed != emitted)
        {
            ticks!.record(now: now, market: market, reports: reportsTaken, control: controlTaken, health: healthTaken, intents: 0, flows: flowsTaken)
        }
        return work
    }

    /// Publishes a venue intent, or routes a parent into venue intents. The intent ring is not dropped from:
    /// when risk is behind, the stage waits.
    mutating func send(_ intent: OrderIntent, now: Nanos) {
        guard !stopped else {
            stats.suppressed += 1
            return
        }
        if !intent.isRouted {
            publish(intent)
            return
        }
        stats.routedParents += 1
        var children: [OrderIntent] = []
        swap(&children, &self.children)
        let result = router.route(
            intent, market: host.mirror, takerFees: takerFees, latency: latency, capacity: capacity, now: now, maximumBookAge: maximumBookAge
        ) { children.append($0) }
        stats.routedResidual += result.residual
        for child in children { publish(child) }
        children.removeAll(keepingCapacity: true)
        swap(&children, &self.children)
    }

    mutating func publish(_ intent: OrderIntent) {
        var wait = SpinThenYield()
        intents.publish(intent, waiting: &wait)
        stats.intents += 1
    }

    /// The measured order round trip of `venue`, for the strategies and the router.
    public mutating func setVenueLatency(_ venue: VenueId, _ value: Nanos) {
        if Int(venue.raw) < latency.count { latency[Int(venue.raw)] = value }
        host.setVenueLatency(venue, value)
    }
}
