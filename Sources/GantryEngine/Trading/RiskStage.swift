import GantryCore
import GantryExecution
import GantryLoop
import GantryRing
import GantryRisk
import Logging

/// What the risk stage did.
public struct RiskStats: Sendable, Equatable {
    public var intents = 0
    public var approved = 0
    public var vetoed = 0
    /// Vetoes by reason (`RiskReason.rawValue`).
    public var vetoesByReason: [Int] = Array(repeating: 0, count: RiskReason.allCases.count)
    /// Orders risk made itself (hard stops, flattening after a kill).
    public var ownOrders = 0
    public var reports = 0
    /// Reports of orders risk never approved (journaled and alerted).
    public var unknownReports = 0
    public var alerts = 0
    /// Arbitrage legs: signals followed, rollbacks, hedges, pauses.
    public var legs = LegStats()
}

/// The risk stage: the one owner of limits, positions, balances and halts. It reads the intents ring (from the
/// signal stage), market events and order reports, and publishes approved orders on the ring that only
/// order-send reads, and every decision on the decisions ring (journal, paper trader, metrics). A kill —
/// from control or from its own trigger — stops every new intent and flattens every position through orders of
/// its own, in the flatten lane, until all are flat.
public struct RiskStage<Clock: NanoClock>: Stage, ~Copyable {
    public var engine: RiskEngine
    var intents: RingConsumer<OrderIntent>
    var market: MarketFanIn
    var reports: RingConsumer<OrderReport>
    var control: RingConsumer<ControlEvent>?
    /// Each venue's order round trip, from order-send.
    var health: RingConsumer<VenueHealth>? = nil
    var orders: RingProducer<ApprovedOrder>
    var decisions: RingProducer<RiskDecision>?
    /// Where risk raises the kill switch for the other stages (its own trigger).
    var raise: RingProducer<ControlEvent>?
    let clock: Clock
    let timerInterval: Nanos
    var nextTimer: Nanos = .zero
    /// When the kill switch fired, and whether every position has been flattened since.
    public private(set) var killedAt: Nanos? = nil
    public private(set) var flatAt: Nanos? = nil
    public private(set) var stats = RiskStats()
    var controlSequence: UInt64 = 0
    /// The verdicts of one poll (capacity kept: no allocation per intent).
    var scratch: [RiskVerdict] = []
    let logger = Logger(label: "gantry.risk")
    /// Called for each action (alerts, halts, stops) on the stage's thread, after it is logged.
    public var onAction: ((RiskAction) -> Void)? = nil
    /// Called for each leg guard event (rollback, closed, left open, strategy paused), after it is logged.
    public var onLegEvent: ((LegEvent) -> Void)? = nil
    /// Follows arbitrage legs and closes what they leave open (hedge or unwind), through the router and `check`.
    public var legGuard: LegGuard
    var router: SmartOrderRouter
    /// A signal's legs as they arrive, decided together once all are in (they may span two polls).
    var legBuffer: [OrderIntent] = []
    /// The leg guard's hedge intents of one poll (with the venue each avoids), and their routed children.
    var hedges: [(OrderIntent, VenueId)] = []
    var children: [OrderIntent] = []
    var legEvents: [LegEvent] = []
    /// What the router may give each venue (`.max`, or 0 for a venue a hedge avoids or whose order entry is down).
    var capacity: [Int64]
    /// Where each poll that could change what the stage decides is told, for the journal (see `StageTick`).
    var ticks: TickRecorder? = nil

    public init(
        engine: consuming RiskEngine, intents: consuming RingConsumer<OrderIntent>, market: consuming MarketFanIn,
        reports: consuming RingConsumer<OrderReport>, control: consuming RingConsumer<ControlEvent>?, orders: consuming RingProducer<ApprovedOrder>,
        decisions: consuming RingProducer<RiskDecision>?, raise: consuming RingProducer<ControlEvent>?, clock: Clock,
        timerInterval: Nanos = .milliseconds(100), legs: LegGuardConfiguration = LegGuardConfiguration(),
        router: RouterConfiguration = RouterConfiguration()
    ) {
        let venues = engine.mirror.universe.registry.venueNames.count + 1
        legGuard = LegGuard(universe: engine.mirror.universe, configuration: legs, strategies: engine.configuration.strategies.count)
        self.router = SmartOrderRouter(configuration: router, venues: venues)
        capacity = Array(repeating: .max, count: venues)
        self.engine = engine
        self.intents = intents
        self.market = market
        self.reports = reports
        self.control = control
        self.orders = orders
        self.decisions = decisions
        self.raise = raise
        self.clock = clock
        self.timerInterval = timerInterval
        scratch.reserveCapacity(256)
        legBuffer.reserveCapacity(8)
        hedges.reserveCapacity(64)
        children.reserveCapacity(64)
        legEvents.reserveCapacity(64)
    }

    /// Reads each venue's order round trip from order-send's health ring.
    public mutating func attach(health: consuming RingConsumer<VenueHealth>) { self.health = consume health }

    /// Tells `ticks` of every poll that took input, ran a timer or a leg retry, or decided (for the journal: a
    /// replay of it hands the stage the same batches at the same times). - Parameter venues: The venue of each
    /// market ring, in the fan-in's order (at most `StageTick.marketRingCapacity`).
    public mutating func attach(ticks: consuming RingProducer<StageTick>, venues: [VenueId]) {
        self.ticks = TickRecorder(.risk, ticks, venues: venues, rings: market.count)
    }

    public mutating func poll() -> Int {
        var work = 0
        var healthTaken = 0
        if health != nil {
            while let h = health!.tryConsume() {
                healthTaken += 1
                engine.setVenueLatency(h.venue, h.roundTrip)
                engine.setVenueReady(h.venue, h.ready)
            }
        }
        let now = clock.now()
        let due = ticks != nil && now >= nextTimer
        let published = stats.intents
        var controlTaken = 0
        if control != nil {
            while let c = control!.tryConsume() {
                work += 1
                controlTaken += 1
                apply(c, now: now)
            }
        }
        let marketTaken = market.poll(upTo: 256) { batch in
            for e in batch { engine.onMarket(e, now: now) }
        }
        work += marketTaken
        let reportsTaken = reports.poll(upTo: 256) { batch in
            for r in batch {
                stats.reports += 1
                if !engine.apply(r) { stats.unknownReports += 1 }
                legGuard.onReport(r)
            }
        }
        work += reportsTaken
        var decided: [RiskVerdict] = []
        swap(&decided, &scratch)
        let intentsTaken = intents.poll(upTo: 64) { batch in
            for intent in batch {
                guard intent.legs > 1 else {
                    decided.append(engine.check(intent, now: now))
                    continue
                }
                // A leg of another signal while one is incomplete: the incomplete one can never be whole.
                if let first = legBuffer.first, first.signalId != intent.signalId { Self.decideLegs(&legBuffer, &engine, logger, now: now, into: &decided) }
                legBuffer.append(intent)
                if legBuffer.count >= Int(intent.legs) { Self.decideLegs(&legBuffer, &engine, logger, now: now, into: &decided) }
            }
        }
        work += intentsTaken
        for verdict in decided { publish(verdict) }
        decided.removeAll(keepingCapacity: true)
        swap(&decided, &scratch)
        let legsActed = killedAt == nil ? guardLegs(now: now) : false
        if now >= nextTimer {
            nextTimer = now + timerInterval
            engine.onTimer(now: now)
            if killedAt != nil { flattenAll(now: now) }
        }
        drainActions(now: now)
        if ticks != nil && (healthTaken | controlTaken | marketTaken | reportsTaken | intentsTaken != 0 || due || legsActed || stats.intents != published) {
            ticks!.record(now: now, market: market, reports: reportsTaken, control: controlTaken, health: healthTaken, intents: intentsTaken)
        }
        return work
    }

    mutating func apply(_ c: ControlEvent, now: Nanos) {
        switch c.command {
        case .killSwitch:
            // Risk coordinates: it stops new intents, tells order-send to cancel everything, and flattens.
            kill(now: now, raiseOthers: true)
        case .pauseTrading: engine.paused = true
        case .resumeTrading:
            engine.paused = false
            // Strategies paused by leg rollbacks resume with the operator's word, their count from zero.
            for k in engine.strategyPaused.indices where engine.strategyPaused[k] {
                engine.strategyPaused[k] = false
                legGuard.resetRollbacks(strategy: StrategyId(raw: UInt16(k + 1)))
            }
        default: break
        }
    }

    /// Fires the kill switch: nothing new passes, every position is flattened.
    public mutating func kill(now: Nanos, raiseOthers: Bool) {
        guard killedAt == nil else { return }
        engine.kill()
        killedAt = now
        flatAt = nil
        logger.critical("kill switch: new intents stopped, flattening every position")
        if raiseOthers, raise != nil {
            controlSequence += 1
            var wait = SpinThenYield()
            raise!.publish(ControlEvent(command: .killSwitch, reason: UInt64(RiskReason.killSwitch.rawValue), issuedTime: now, sequence: controlSequence), waiting: &wait)
        }
        flattenAll(now: now)
    }

    /// An order for each strategy's position in each pair not already covered by pending flattening orders.
    mutating func flattenAll(now: Nanos) {
        var open = false
        for k in 0..<engine.configuration.strategies.count {
            for pair in engine.mirror.universe.pairs {
                let pos = engine.ledger.positions[k][Int(pair.id.raw)]
                if pos.quantity != 0 || pos.pendingBuy != 0 || pos.pendingSell != 0 { open = true }
                if let verdict = engine.flatten(strategy: StrategyId(raw: UInt16(k + 1)), pair: pair.id, now: now) {
                    stats.ownOrders += 1
                    publish(verdict)
                }
            }
        }
        if !open && flatAt == nil { flatAt = now }
    }

    /// Decides the buffered legs of one signal, all or none; a group cut short (another signal's leg came first)
    /// is vetoed whole as invalid.
    static func decideLegs(_ legBuffer: inout [OrderIntent], _ engine: inout RiskEngine, _ logger: Logger, now: Nanos, into decided: inout [RiskVerdict]) {
        guard let first = legBuffer.first else { return }
        if legBuffer.count < Int(first.legs) {
            for leg in legBuffer {
                decided.append(.vetoed(RiskDecision(intent: leg, reason: .invalidIntent, approvedQuantity: .zero, observed: Int64(legBuffer.count), limit: Int64(leg.legs), decidedTime: now)))
            }
            logger.error("a signal's legs arrived incomplete: vetoed", metadata: ["signal": "\(first.signalId)", "legs": "\(legBuffer.count)/\(first.legs)"])
        } else {
            engine.checkLegs(legBuffer, now: now, into: &decided)
        }
        legBuffer.removeAll(keepingCapacity: true)
    }

    /// Settles ended arbitrage signals and closes what a short leg left open: each hedge is routed over risk's
    /// books and every child decided by `check` like any intent.
    /// - Returns: whether the leg guard changed anything.
    mutating func guardLegs(now: Nanos) -> Bool {
        var hedges: [(OrderIntent, VenueId)] = []
        swap(&hedges, &self.hedges)
        var events: [LegEvent] = []
        swap(&events, &legEvents)
        let acted = legGuard.poll(now: now, hedge: { hedges.append(($0, $1)) }, event: { events.append($0) })
        for e in events { handle(e) }
        events.removeAll(keepingCapacity: true)
        swap(&events, &legEvents)
        var children: [OrderIntent] = []
        swap(&children, &self.children)
        for (parent, avoid) in hedges {
            // Not to a venue that rejected the signal, nor to one whose order entry is not ready.
            for v in capacity.indices { capacity[v] = engine.venueReady[v] && v != Int(avoid.raw) ? .max : 0 }
            let result = router.route(
                parent, market: engine.mirror, takerFees: engine.configuration.takerFees, latency: engine.venueLatency, capacity: capacity, now: now,
                maximumBookAge: engine.configuration.maximumBookAge) { children.append($0) }
            if result.children == 0 {
                logger.warning("leg hedge: no venue shows a price inside the slippage band", metadata: ["signal": "\(parent.signalId)", "residual": "\(parent.quantity.raw)"])
            }
            for child in children { publish(engine.check(child, now: now)) }
            children.removeAll(keepingCapacity: true)
        }
        hedges.removeAll(keepingCapacity: true)
        swap(&hedges, &self.hedges)
        swap(&children, &self.children)
        stats.legs = legGuard.stats
        return acted
    }

    mutating func handle(_ e: LegEvent) {
        switch e {
        case .legging(let s, let pair, let signal, let residual):
            logger.warning(
                "arbitrage legs unequal: closing the residual", metadata: ["strategy": "\(s.raw)", "pair": "\(pair.raw)", "signal": "\(signal)", "residual": "\(residual)"])
        case .closed(let s, _, let signal, let hedged, let unwound, let elsewhere, let slip, let run):
            logger.info(
                "leg residual closed", metadata: [
                    "strategy": "\(s.raw)", "signal": "\(signal)", "hedged": "\(hedged)", "unwound": "\(unwound)", "elsewhere": "\(elsewhere)",
                    "worstSlippageCentiBp": "\(slip)", "rollbacksInARow": "\(run)",
                ])
        case .open(let s, let pair, let signal, let residual, let run):
            stats.alerts += 1
            logger.error(
                "leg residual still open after every attempt: left to the hard stop", metadata: [
                    "strategy": "\(s.raw)", "pair": "\(pair.raw)", "signal": "\(signal)", "residual": "\(residual)", "rollbacksInARow": "\(run)",
                ])
        case .paused(let s, let run):
            stats.alerts += 1
            let k = Int(s.raw) - 1
            if k >= 0 && k < engine.strategyPaused.count { engine.strategyPaused[k] = true }
            logger.error("strategy paused: arbitrage rollbacks in a row", metadata: ["strategy": "\(s.raw)", "rollbacks": "\(run)"])
        }
        onLegEvent?(e)
    }

    mutating func publish(_ verdict: RiskVerdict) {
        legGuard.onDecision(verdict.decision)
        stats.intents += 1
        var wait = SpinThenYield()
        switch verdict {
        case .approved(let order):
            stats.approved += 1
            orders.publish(order, waiting: &wait)
        case .vetoed(let d):
            stats.vetoed += 1
            stats.vetoesByReason[Int(d.reason.rawValue)] += 1
        }
        if decisions != nil { decisions!.publish(verdict.decision, waiting: &wait) }
    }

    mutating func drainActions(now: Nanos) {
        var acts: [RiskAction] = []
        var own: [ApprovedOrder] = []
        engine.takeActions({ acts.append($0) }, orders: { own.append($0) })
        for o in own {
            stats.ownOrders += 1
            publish(.approved(o))
        }
        for a in acts {
            stats.alerts += 1
            switch a {
            case .kill(let fall):
                logger.critical("kill trigger: portfolio down past the limit within the window", metadata: ["drawdownCentiBp": "\(fall)"])
                killedAt = nil
                kill(now: now, raiseOthers: true)
            case .dailyLossHalt(let loss): logger.error("daily loss limit: new positions halted", metadata: ["lossCents": "\(loss)"])
            case .implausiblePrice(let venue, let pair, let dev):
                logger.warning("implausible price: a venue strays from the others (data fault), vetoed", metadata: ["venue": "\(venue.raw)", "pair": "\(pair.raw)", "deviationCentiBp": "\(dev)"])
            case .drawdownScaling(let s, let dd): logger.warning("strategy drawdown past its limit: sizes scaled down", metadata: ["strategy": "\(s.raw)", "drawdownCentiBp": "\(dd)"])
            case .hardStop(let s, let pair, let loss): logger.warning("hard stop crossed: flattening", metadata: ["strategy": "\(s.raw)", "pair": "\(pair.raw)", "lossCents": "\(loss)"])
            }
            onAction?(a)
        }
    }
}
