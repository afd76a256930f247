import GantryBook
import GantryCore
import GantryExecution
import GantryJournal
import GantryRing
import GantryRisk
import GantryStrategy

/// How one deciding stage's replay went: its outputs against the journal's, in order, compared byte for byte.
public struct StageReplay: Sendable, Equatable {
    /// Ticks replayed, and the stage's ticks in the journal.
    public var ticks = 0
    public var journaledTicks = 0
    /// Outputs (intents for signal, decisions for risk) in the journal, made by the replay, and equal in order.
    public var journaled = 0
    public var replayed = 0
    public var matched = 0
    /// The first output that differs, both sides described, and the tick the replay made it in.
    public var firstMismatch: String? = nil
    public var mismatchTick: String? = nil
    /// Why the replay stopped before the journal's last tick, if it did (a journal cut short by a crash ends with
    /// ticks whose inputs were never written).
    public var stoppedEarly: String? = nil

    /// Every journaled output made again, equal, and nothing more.
    public var reproduced: Bool { firstMismatch == nil && stoppedEarly == nil && matched == journaled && replayed == journaled && ticks == journaledTicks }
}

/// A journal's replay: the signal stage's intents and the risk stage's decisions made again from the journaled
/// inputs.
public struct JournalReplayResult: Sendable, Equatable {
    public var signal = StageReplay()
    public var risk = StageReplay()
    public var marketEvents = 0
    public var flowEvents = 0
    /// A gateway split over roles: the intents the strategy role made against those the execution role took off
    /// the bus (nil for one process's journal).
    public var handoff: IntentHandoff? = nil
    public var reproduced: Bool { signal.reproduced && risk.reproduced && handoff?.whole != false }
}

/// The intents that crossed the bus, from the two roles' journals.
public struct IntentHandoff: Sendable, Equatable {
    /// Journaled by the strategy role (made), by the execution role (received), and received equal to the made
    /// one at its place, byte for byte.
    public var made = 0
    public var received = 0
    public var equal = 0
    /// Made before the execution role's first (an execution role that started late reads intents from its
    /// start only: these were never decided).
    public var before = 0
    /// Every intent received is the one made at its place from the first received on (none lost, doubled,
    /// reordered or changed), and some were if any were made; the last ones made may not have been received when
    /// the execution role stopped.
    public var whole: Bool { equal == received && before + received <= made && (made == 0 || received > 0) }
}

/// Replays a gateway's journal through the same stages it ran — the signal stage (strategies and router) and the
/// risk stage (every rule, the leg guard) — each on its own, from its journaled inputs: every market event, order
/// report, control event and venue health update, handed over in the batches each stage took live (its
/// `StageTick`s) with its clock set to the reading it had; risk also gets the journaled intents and starts from
/// the journaled first order sequence and balances. Each stage's outputs are compared, byte for byte and in order,
/// with the journaled intents and decisions.
public enum JournalReplay {
    /// What a replay reads from a journal: the configuration and risk's start, and the journaled events.
    public struct Inputs {
        public var configuration: TradingConfiguration
        public var start: ReplayStart
        var events = Events()
        public var marketEvents: Int { events.market.values.reduce(0) { $0 + $1.count } }
    }

    /// The journaled events, each kind in its ring's order (market events by venue).
    struct Events {
        var market: [UInt8: [MarketEvent]] = [:]
        var reports: [OrderReport] = []
        var control: [ControlEvent] = []
        var health: [VenueHealth] = []
        var intents: [OrderIntent] = []
        var decisions: [RiskDecision] = []
        var signalTicks: [StageTick] = []
        var riskTicks: [StageTick] = []
        var flows: [FlowEvent] = []
    }

    /// Reads what a replay needs from the journal in `directory` (one gateway run).
    /// - Parameter configuration: Replays with this configuration instead of the journaled one (to see what a
    ///   change would have decided: it then differs).
    public static func read(directory: String, configuration override: TradingConfiguration? = nil) throws -> Inputs {
        var reader = try JournalReader(directory: directory)
        var configuration: TradingConfiguration? = override
        var start: ReplayStart? = nil
        var starts = 0
        var e = Events()
        while let r = try reader.next() {
            switch r.kind {
            case .marketEvent: if let x = r.as(MarketEvent.self) { e.market[x.venue.raw, default: []].append(x) }
            case .orderReport: if let x = r.as(OrderReport.self) { e.reports.append(x) }
            case .controlEvent: if let x = r.as(ControlEvent.self) { e.control.append(x) }
            case .venueHealth: if let x = r.as(VenueHealth.self) { e.health.append(x) }
            case .flowEvent: if let x = r.as(FlowEvent.self) { e.flows.append(x) }
            case .orderIntent: if let x = r.as(OrderIntent.self) { e.intents.append(x) }
            case .riskDecision: if let x = r.as(RiskDecision.self) { e.decisions.append(x) }
            case .stageTick:
                guard let t = r.as(StageTick.self) else { continue }
                if t.stage == .signal { e.signalTicks.append(t) } else { e.riskTicks.append(t) }
            case .configuration:
                if configuration == nil, let text = r.text { configuration = try TradingConfiguration(toml: text) }
            case .note:
                if let text = r.text, let s = try ReplayStart(note: text) {
                    starts += 1
                    start = s
                }
            default: break
            }
        }
        guard starts <= 1 else { throw ReplayError("\(directory) holds \(starts) gateway runs: replay a directory with one") }
        guard let configuration else { throw ReplayError("\(directory): no configuration record (not a gateway's journal)") }
        // Risk's start (a strategy role's journal, with no risk ticks, has none).
        guard let start = start ?? (e.riskTicks.isEmpty ? ReplayStart(firstOrderSequence: 0, balances: []) : nil) else {
            throw ReplayError("\(directory): no replay-start note (written by a gateway before ticks were journaled?)")
        }
        return Inputs(configuration: configuration, start: start, events: e)
    }

    /// Replays the journal in `directory`. - Throws: `ReplayError`, `JournalError`, a configuration error.
    public static func run(directory: String, configuration: TradingConfiguration? = nil) throws -> JournalReplayResult {
        try run(try read(directory: directory, configuration: configuration))
    }

    /// Replays a gateway split over roles from the strategy role's journal (its signal ticks and intents) and the
    /// execution role's (its risk ticks and decisions), in this one process, and checks that the intents the
    /// execution role took off the bus are those the strategy role made.
    public static func run(strategy: String, execution: String, configuration: TradingConfiguration? = nil) throws -> JournalReplayResult {
        let s = try read(directory: strategy, configuration: configuration)
        let e = try read(directory: execution, configuration: configuration)
        guard !s.events.signalTicks.isEmpty, s.events.riskTicks.isEmpty else { throw ReplayError("\(strategy) is not a strategy role's journal (signal ticks only)") }
        guard !e.events.riskTicks.isEmpty, e.events.signalTicks.isEmpty else { throw ReplayError("\(execution) is not an execution role's journal (risk ticks only)") }
        var result = JournalReplayResult()
        result.marketEvents = e.marketEvents
        result.flowEvents = s.events.flows.count
        result.signal = try replaySignal(s)
        result.risk = try replayRisk(e)
        var handoff = IntentHandoff(made: s.events.intents.count, received: e.events.intents.count)
        // The two lists lined up at the execution role's first intent.
        if let first = e.events.intents.first, let at = s.events.intents.firstIndex(where: { bitEqual($0, first) }) { handoff.before = at }
        for (made, received) in zip(s.events.intents.dropFirst(handoff.before), e.events.intents) {
            guard bitEqual(made, received) else { break }
            handoff.equal += 1
        }
        result.handoff = handoff
        return result
    }

    public static func run(_ inputs: Inputs) throws -> JournalReplayResult {
        var result = JournalReplayResult()
        result.marketEvents = inputs.marketEvents
        result.flowEvents = inputs.events.flows.count
        result.signal = try replaySignal(inputs)
        result.risk = try replayRisk(inputs)
        return result
    }

    /// The journaled inputs as rings a stage reads, fed a tick's worth at a time.
    struct Feed: ~Copyable {
        let venues: [UInt8]
        var marketCursor: [Int]
        var cursors = (reports: 0, control: 0, health: 0, intents: 0, flows: 0)
        /// One producer per market ring (noncopyable: in memory of their own).
        let market: UnsafeMutablePointer<RingProducer<MarketEvent>>
        var reports: RingProducer<OrderReport>
        var control: RingProducer<ControlEvent>
        var health: RingProducer<VenueHealth>
        var intents: RingProducer<OrderIntent>
        var flows: RingProducer<FlowEvent>
        let rings: (
            market: [Ring<MarketEvent>], reports: Ring<OrderReport>, control: Ring<ControlEvent>, health: Ring<VenueHealth>, intents: Ring<OrderIntent>,
            flows: Ring<FlowEvent>
        )

        init(venues: [UInt8]) throws {
            self.venues = venues
            marketCursor = Array(repeating: 0, count: venues.count)
            let m = try venues.map { _ in try Ring<MarketEvent>.spsc(capacity: 1_024) }
            rings = (m, try .spsc(capacity: 1_024), try .spsc(capacity: 1_024), try .spsc(capacity: 1_024), try .spsc(capacity: 1_024), try .spsc(capacity: 1_024))
            // Fresh rings' producers: taking one cannot fail.
            market = .allocate(capacity: max(m.count, 1))
            for (k, r) in m.enumerated() { (market + k).initialize(to: try! r.takeProducer()) }
            reports = try! rings.reports.takeProducer()
            control = try! rings.control.takeProducer()
            health = try! rings.health.takeProducer()
            intents = try! rings.intents.takeProducer()
            flows = try! rings.flows.takeProducer()
        }

        deinit {
            market.deinitialize(count: venues.count)
            market.deallocate()
        }

        /// Publishes `tick`'s inputs. - Returns: why it cannot (the journal ran out of one), or nil.
        mutating func feed(_ tick: StageTick, _ inputs: borrowing Inputs) -> String? {
            guard Int(tick.marketRings) == venues.count else { return "tick \(tick.sequence) reads \(tick.marketRings) market rings, the first read \(venues.count)" }
            for k in 0..<venues.count {
                guard tick.marketVenue(k).raw == venues[k] else { return "tick \(tick.sequence): ring \(k) carries venue \(tick.marketVenue(k).raw), not \(venues[k])" }
                let events = inputs.events.market[venues[k]] ?? []
                let n = tick.marketCount(k)
                guard marketCursor[k] + n <= events.count else { return "tick \(tick.sequence): venue \(venues[k])'s market events end in the journal" }
                for e in events[marketCursor[k]..<marketCursor[k] + n] { guard market[k].tryPublish(e) else { return "tick \(tick.sequence): more than a ring of market events" } }
                marketCursor[k] += n
            }
            if let why = Self.take(Int(tick.reports), from: inputs.events.reports, at: &cursors.reports, into: &reports, "order reports", tick) { return why }
            if let why = Self.take(Int(tick.control), from: inputs.events.control, at: &cursors.control, into: &control, "control events", tick) { return why }
            if let why = Self.take(Int(tick.health), from: inputs.events.health, at: &cursors.health, into: &health, "venue health updates", tick) { return why }
            if let why = Self.take(Int(tick.flows), from: inputs.events.flows, at: &cursors.flows, into: &flows, "flow events", tick) { return why }
            return Self.take(Int(tick.intents), from: inputs.events.intents, at: &cursors.intents, into: &intents, "intents", tick)
        }

        static func take<E: BitwiseCopyable>(
            _ n: Int, from events: [E], at cursor: inout Int, into producer: inout RingProducer<E>, _ what: String, _ tick: StageTick
        ) -> String? {
            guard cursor + n <= events.count else { return "tick \(tick.sequence): the journal's \(what) end" }
            for e in events[cursor..<cursor + n] { guard producer.tryPublish(e) else { return "tick \(tick.sequence): more than a ring of \(what)" } }
            cursor += n
            return nil
        }
    }

    static func venues(of ticks: [StageTick]) -> [UInt8] {
        guard let t = ticks.first else { return [] }
        return (0..<Int(t.marketRings)).map { t.marketVenue($0).raw }
    }

    static func replaySignal(_ inputs: Inputs) throws -> StageReplay {
        let c = inputs.configuration
        var out = StageReplay()
        out.journaledTicks = inputs.events.signalTicks.count
        out.journaled = inputs.events.intents.count
        let ring = venues(of: inputs.events.signalTicks)
        var feed = try Feed(venues: ring)
        let clock = ManualClock(start: inputs.events.signalTicks.first?.time ?? .zero)
        let intents = try Ring<OrderIntent>.spsc(capacity: 1 << 16)
        var made = try intents.takeConsumer()
        let host = StrategyHost<NoCustomStrategy>(universe: c.universe, entries: c.strategies, takerFees: c.risk.takerFees)
        var stage = SignalStage(
            host: host, router: SmartOrderRouter(configuration: c.router, venues: c.market.registry.venueNames.count),
            market: try MarketFanIn(count: ring.count) { try feed.rings.market[$0].takeConsumer() }, reports: try feed.rings.reports.takeConsumer(),
            control: try feed.rings.control.takeConsumer(), intents: try intents.takeProducer(), clock: clock, takerFees: c.risk.takerFees,
            maximumBookAge: c.risk.maximumBookAge)
        stage.attach(health: try feed.rings.health.takeConsumer())
        if let chain = c.chains.first { stage.attach(flows: try feed.rings.flows.takeConsumer(), scaling: chain.scaling) }
        drive(inputs.events.signalTicks, &feed, inputs, clock, &out, poll: { _ = stage.poll() }) { tick, out in
            _ = made.poll(upTo: 1 << 16) { batch in for i in batch { compare(i, inputs.events.intents, &out, tick, describe: describe) } }
        }
        return out
    }

    static func replayRisk(_ inputs: Inputs) throws -> StageReplay {
        let c = inputs.configuration
        var out = StageReplay()
        out.journaledTicks = inputs.events.riskTicks.count
        out.journaled = inputs.events.decisions.count
        let ring = venues(of: inputs.events.riskTicks)
        var feed = try Feed(venues: ring)
        let clock = ManualClock(start: inputs.events.riskTicks.first?.time ?? .zero)
        let approved = try Ring<ApprovedOrder>.spsc(capacity: 1 << 16)
        let decisions = try Ring<RiskDecision>.spsc(capacity: 1 << 16)
        var orders = try approved.takeConsumer()
        var made = try decisions.takeConsumer()
        var engine = RiskEngine(universe: c.universe, configuration: c.risk, firstOrderSequence: inputs.start.firstOrderSequence)
        for (venue, asset, free) in inputs.start.balances { engine.setBalance(venue: venue, asset: asset, free: free) }
        var stage = RiskStage(
            engine: engine, intents: try feed.rings.intents.takeConsumer(), market: try MarketFanIn(count: ring.count) { try feed.rings.market[$0].takeConsumer() },
            reports: try feed.rings.reports.takeConsumer(), control: try feed.rings.control.takeConsumer(), orders: try approved.takeProducer(),
            decisions: try decisions.takeProducer(), raise: nil, clock: clock, legs: c.legs, router: c.router)
        stage.attach(health: try feed.rings.health.takeConsumer())
        drive(inputs.events.riskTicks, &feed, inputs, clock, &out, poll: { _ = stage.poll() }) { tick, out in
            _ = orders.poll(upTo: 1 << 16) { _ in }
            _ = made.poll(upTo: 1 << 16) { batch in for d in batch { compare(d, inputs.events.decisions, &out, tick, describe: describe) } }
        }
        return out
    }

    /// Feeds each tick's inputs, sets the clock to its reading, polls the stage and compares what it made; stops at
    /// a tick whose inputs the journal lacks, or after one the stage did not read whole.
    static func drive(
        _ ticks: [StageTick], _ feed: inout Feed, _ inputs: Inputs, _ clock: ManualClock, _ out: inout StageReplay, poll: () -> Void,
        compare: (StageTick, inout StageReplay) -> Void
    ) {
        for tick in ticks {
            if let why = feed.feed(tick, inputs) {
                out.stoppedEarly = why
                return
            }
            clock.set(tick.time)
            poll()
            out.ticks += 1
            if let left = leftOver(feed) {
                out.stoppedEarly = "tick \(tick.sequence): the stage left \(left) unread (it took less than it did live)"
                return
            }
            compare(tick, &out)
        }
    }

    /// What a stage left in its input rings after a poll, or nil.
    static func leftOver(_ feed: borrowing Feed) -> String? {
        var parts: [String] = []
        for k in 0..<feed.venues.count where feed.market[k].slowestLag > 0 { parts.append("\(feed.market[k].slowestLag) market events of venue \(feed.venues[k])") }
        if feed.reports.slowestLag > 0 { parts.append("\(feed.reports.slowestLag) reports") }
        if feed.control.slowestLag > 0 { parts.append("\(feed.control.slowestLag) control events") }
        if feed.health.slowestLag > 0 { parts.append("\(feed.health.slowestLag) health updates") }
        if feed.intents.slowestLag > 0 { parts.append("\(feed.intents.slowestLag) intents") }
        if feed.flows.slowestLag > 0 { parts.append("\(feed.flows.slowestLag) flow events") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// Whether two events are the same bytes.
    static func bitEqual<E: BitwiseCopyable>(_ a: E, _ b: E) -> Bool {
        withUnsafeBytes(of: a) { x in withUnsafeBytes(of: b) { y in x.elementsEqual(y) } }
    }

    /// Compares one output the replay made (in `tick`) with the journal's output at the same place.
    static func compare<E: BitwiseCopyable>(_ made: E, _ journaled: [E], _ out: inout StageReplay, _ tick: StageTick, describe: (E) -> String) {
        let k = out.replayed
        out.replayed += 1
        guard out.firstMismatch == nil else { return }
        if k < journaled.count && bitEqual(made, journaled[k]) {
            out.matched += 1
            return
        }
        out.firstMismatch = k < journaled.count
            ? "output \(k + 1): journaled \(describe(journaled[k])); replayed \(describe(made))" : "output \(k + 1) was not journaled: \(describe(made))"
        out.mismatchTick = Self.describe(tick)
    }

    static func describe(_ t: StageTick) -> String {
        let market = (0..<Int(t.marketRings)).map { "venue \(t.marketVenue($0).raw): \(t.marketCount($0))" }.joined(separator: ", ")
        return "tick \(t.sequence) at \(t.time.raw): market [\(market)], \(t.reports) reports, \(t.control) control, \(t.health) health, \(t.intents) intents, \(t.flows) flows"
    }

    static func describe(_ i: OrderIntent) -> String {
        "intent \(i.intentId) signal \(i.signalId) strategy \(i.strategy.raw) venue \(i.venue.raw) instrument \(i.instrument.raw) \(i.side) "
            + "\(i.quantity.raw) @ \(i.price.raw) (expected \(i.expectedPrice.raw)) lane \(i.lane) legs \(i.legs) created \(i.createdTime.raw) trigger \(i.triggerTime.raw)"
    }

    static func describe(_ d: RiskDecision) -> String {
        "decision on \(describe(d.intent)): \(d.reason) order \(d.clientOrderId.raw) approved \(d.approvedQuantity.raw) observed \(d.observed) limit \(d.limit) at \(d.decidedTime.raw)"
    }
}
