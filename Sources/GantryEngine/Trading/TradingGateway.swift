import Synchronization
import Glibc
import GantryBus
import GantryCore
import GantryExecution
import GantryJournal
import GantryOnChain
import GantryLoop
import GantryNet
import GantryRing
import GantryRisk
import GantryStrategy
import GantryVenues
import Logging

/// Why the gateway could not start.
public struct GatewayError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What the gateway's runners share with the thread that watches them: the rings it reads and the control it
/// writes, and each stage's final figures.
public final class GatewayHandles: @unchecked Sendable {
    // @unchecked Sendable: the reports below are written by the decide runner (each stage's `finish`, the kill's
    // progress) under the lock, and read under it; everything else is immutable after init.
    let lock = Mutex(())
    public var signalStats: SignalStats? { lock.withLock { _ in _signal } }
    public var riskStats: RiskStats? { lock.withLock { _ in _risk } }
    public var orderStats: OrderSendStats? { lock.withLock { _ in _orders } }
    /// Where the kill switch stands (nil until it fires), refreshed every few milliseconds by the decide runner.
    public var kill: KillProgress? { lock.withLock { _ in _kill } }
    var _kill: KillProgress? = nil
    /// The journal's figures while it runs (refreshed every 100 ms) and once it stopped; nil without a journal.
    public var journalStats: JournalStageStats? { lock.withLock { _ in _journal } }
    var _journal: JournalStageStats? = nil
    var _signal: SignalStats? = nil
    var _risk: RiskStats? = nil
    var _orders: OrderSendStats? = nil
    /// Order-send's figures while it runs (venues' order entry, the order queue), for the control plane.
    public let live = TradingLive()
    public init() {}
}



/// The trading gateway: each venue's feed on its runner, and the decide runner with the signal, risk and
/// order-send stages fused (joined by their rings: intents → risk → approved orders → order-send → reports). The
/// watching thread gets a consumer of every ring it may show and the operator's control ring.
///
/// Split over processes (`role`, docs/BUS.md): the strategy role runs the signal stage alone, the execution role
/// risk and order-send; each reads what it does not make from the bus into the rings it would have on one
/// process — one per venue for market events — so its stages, and the ticks it journals, are the same.
public struct TradingGateway: ~Copyable {
    public let role: GatewayRole
    /// The venues' feeds, when this process runs them (role `all`).
    public var feeds: [FeedHandle]
    /// Each venue's events from the bus (the view's consumer of its ring), in a split role.
    public var busMarkets: [BusMarketHandle]
    /// The on-chain adapter of the configured chain (`[[chains]]`), if any: the signal stage reads its flows.
    public var chain: ChainHandle?
    public let decide: Runner
    /// The operator's commands (pause, resume, kill) to the signal and risk stages; in the strategy role they come
    /// from the bus instead (nil).
    public var control: RingProducer<ControlEvent>?
    /// For the live view: every report, every decision (the strategy role makes none: its ring stays empty).
    public var reports: RingConsumer<OrderReport>
    public var decisions: RingConsumer<RiskDecision>
    public let handles: GatewayHandles
    /// The journal's runner, when the gateway journals.
    public let journal: Runner?
    /// The watching thread's notes to the journal (configuration, kill-switch steps, alerts), when it journals.
    public var notes: JournalNotes?
    public let configuration: TradingConfiguration
    /// The bus's runners in a split role: each stream read into its ring, and the publisher.
    let busInboxes: [BusRunner]
    let busPublisher: BusRunner?
    /// The bus's figures (empty for role `all`).
    public let bus: GatewayBusBoards

    /// A venue's feed runner, in a class so that several can be held.
    public final class FeedHandle {
        public var feed: VenueFeedRunner
        init(_ feed: consuming VenueFeedRunner) { self.feed = feed }
    }

    /// A venue's events from the bus: the view's consumer of its ring, and the events handed on (`messages`).
    public final class BusMarketHandle {
        public let venue: String
        public var events: RingConsumer<MarketEvent>
        public let counters: LiveCounters
        init(venue: String, events: consuming RingConsumer<MarketEvent>, counters: LiveCounters) {
            self.venue = venue
            self.events = events
            self.counters = counters
        }
    }

    /// The on-chain adapter's runner, in a class so that it can be held optionally.
    public final class ChainHandle {
        public var feed: OnChainFeedRunner
        init(_ feed: consuming OnChainFeedRunner) { self.feed = feed }
    }

    /// Starts the feeds (or the bus's inboxes), the decide runner and the journal.
    /// - Parameters:
    ///   - sim: Use each venue's `sim_*` endpoints.
    ///   - credentials: By venue name (none needed in the strategy role).
    ///   - balances: Each venue's free balances at start, by venue name then asset name, at the asset's scale in
    ///     risk (`RiskLedger.assetScale`): what risk may spend.
    ///   - instrumentCodes: OKX's `instIdCode` of each instrument traded on an OKX venue (`OKXInstrumentCodes.forTrading`);
    ///     a traded OKX instrument without one is refused.
    ///   - journal: Journal every market event, intent, decision, report, control event, venue health update and the
    ///     deciding stages' ticks (what `JournalReplay` needs), with the notes.
    ///   - bookSnapshotEvery: Journaling, how often every live book is snapshotted into the journal.
    ///   - role: `all`, `strategy` or `execution` (the feed role is `FeedRole`).
    ///   - bus: The bus a split role reads and publishes on.
    public init(
        configuration: TradingConfiguration, sim: Bool, credentials: [String: VenueCredentials], balances: [String: [String: Int128]],
        cpus: [Int], firstOrderSequence: UInt64, instrumentCodes: [InstrumentId: UInt64] = [:], journal: JournalConfiguration? = nil,
        bookSnapshotEvery: Nanos = .seconds(60), role: GatewayRole = .all, bus: BusConfiguration? = nil
    ) throws {
        guard role != .feed else { throw GatewayError("the feed role runs FeedRole, not the trading gateway") }
        guard role == .all || bus != nil else { throw GatewayError("role \(role) needs the bus: add a [bus] table") }
        let local = role == .all
        let signals = role != .execution  // this process runs the signal stage
        let executes = role != .strategy  // … and risk with order-send
        let journaling = journal != nil
        let registry = configuration.market.registry
        let universe = configuration.universe
        let traded = configuration.tradedVenues
        guard !traded.isEmpty else { throw GatewayError("no venue lists a configured pair") }
        let ringVenues = traded.map { registry.venue(named: $0.name)! }
        var boards = GatewayBusBoards()
        var inboxes: [BusRunner] = []
        // Each venue's events: the view, signal, risk, and the journal (records and book snapshots) read them.
        var m = Readers()
        let (_, mSignal, mRisk, mJournal, mBooks) = (m.add(), m.add(signals), m.add(executes), m.add(journaling), m.add(journaling))
        let marketCapacity = journaling ? 1 << 18 : 1 << 16
        var feeds: [FeedHandle] = []
        var busMarkets: [BusMarketHandle] = []
        let rings: [Ring<MarketEvent>]
        if local {
            for (k, v) in traded.enumerated() {
                let cpu: Int? = cpus.isEmpty ? nil : cpus[k % cpus.count]
                feeds.append(FeedHandle(try VenueFeedRunner(
                    venue: v, registry: registry, sim: sim, cpu: cpu, mode: .adaptiveShared, ringCapacity: marketCapacity, consumers: m.count)))
            }
            rings = feeds.map { $0.feed.ring }
        } else {
            rings = try traded.map { _ in try Ring<MarketEvent>.broadcast(capacity: marketCapacity, consumers: m.count) }
            let counters = traded.map { _ in LiveCounters() }
            for (k, v) in traded.enumerated() { busMarkets.append(BusMarketHandle(venue: v.name, events: try rings[k].takeConsumer(0), counters: counters[k])) }
            inboxes.append(try busMarketInbox(
                outputs: try rings.map { Handoff(try $0.takeProducer()) }, venues: ringVenues, counters: counters, bus: bus!, role: role, cpu: cpus.first,
                boards: &boards))
        }
        // The chain's flows, for the signal stage and the journal: from the adapter (consumer 0 is the watching
        // thread's, `pollFlows`), or in the strategy role from the bus.
        var chainHandle: ChainHandle? = nil
        var flowsSignal: Handoff<RingConsumer<FlowEvent>>? = nil
        var flowsJournal: Handoff<RingConsumer<FlowEvent>>? = nil
        if let c = configuration.chains.first, signals {
            if local {
                guard let url = sim ? c.simNode : c.node else { throw GatewayError("chain \(c.name): no \(sim ? "sim_node" : "node") endpoint") }
                let node = WebSocketEndpoint(
                    address: try resolve(url.host), port: url.port, host: url.host, path: url.path, tls: url.tls ? try TLSContext(clientTrusting: nil) : nil)
                let h = ChainHandle(try OnChainFeedRunner(node: node, settings: c.settings, cpu: cpus.isEmpty ? nil : cpus[0], consumers: journaling ? 3 : 2))
                flowsSignal = Handoff(try h.feed.ring.takeConsumer(1))
                flowsJournal = journaling ? Handoff(try h.feed.ring.takeConsumer(2)) : nil
                chainHandle = h
            } else {
                let flows = try Ring<FlowEvent>.broadcast(capacity: 4_096, consumers: journaling ? 2 : 1)
                flowsSignal = Handoff(try flows.takeConsumer(0))
                flowsJournal = journaling ? Handoff(try flows.takeConsumer(1)) : nil
                inboxes.append(try busInbox(try flows.takeProducer(), bus: bus!, role: role, cpu: cpus.first, boards: &boards))
            }
        }
        let flowScaling = configuration.chains.first?.scaling
        let (flowsForSignal, flowsForJournal) = (flowsSignal, flowsJournal)
        // The deciding stages' rings, each with the readers this role has. Journaling, the intents and venue health
        // are journaled too, with each deciding stage's ticks: a replay of the journal hands signal and risk the
        // same batches at the same times (JournalReplay).
        var i = Readers(), r = Readers(), d = Readers(), c = Readers(), h = Readers()
        let (iRisk, iJournal, iBus) = (i.add(executes), i.add(journaling), i.add(role == .strategy))
        let (rSignal, rRisk, rView, rJournal, rBus) = (r.add(signals), r.add(executes), r.add(), r.add(journaling), r.add(role == .execution))
        let (dView, dJournal, dBus) = (d.add(), d.add(journaling), d.add(role == .execution))
        let (cSignal, cRisk, cJournal, cBus) = (c.add(signals), c.add(executes), c.add(journaling), c.add(role == .execution))
        let (hSignal, hRisk, hJournal, hBus) = (h.add(signals), h.add(executes), h.add(journaling), h.add(role == .execution))
        let intents = try Ring<OrderIntent>.broadcast(capacity: 4_096, consumers: i.count)
        let reports = try Ring<OrderReport>.broadcast(capacity: 16_384, consumers: r.count)
        let decisions = try Ring<RiskDecision>.broadcast(capacity: executes ? 16_384 : 2, consumers: d.count)
        let control = try Ring<ControlEvent>.broadcast(capacity: 256, consumers: c.count)
        let health = try Ring<VenueHealth>.broadcast(capacity: 256, consumers: h.count)
        let approved = executes ? try Ring<ApprovedOrder>.spsc(capacity: 4_096) : nil
        let raise = executes ? try Ring<ControlEvent>.spsc(capacity: 256) : nil
        let signalTicks = journaling && signals ? try Ring<StageTick>.spsc(capacity: 16_384) : nil
        let riskTicks = journaling && executes ? try Ring<StageTick>.spsc(capacity: 16_384) : nil
        // What a split role does not make comes from the bus: the strategy role's reports, health, control; the
        // execution role's intents.
        if role == .strategy {
            inboxes.append(try busInbox(try reports.takeProducer(), bus: bus!, role: role, cpu: cpus.first, boards: &boards))
            inboxes.append(try busInbox(try health.takeProducer(), bus: bus!, role: role, cpu: cpus.first, boards: &boards))
            inboxes.append(try busInbox(try control.takeProducer(), bus: bus!, role: role, cpu: cpus.first, boards: &boards))
        } else if role == .execution {
            // Intents from now on: one published before this process started (an earlier run's, or one that waited
            // out a restart) was signalled on a market long gone, and must never become an order.
            inboxes.append(try busInbox(try intents.takeProducer(), bus: bus!, role: role, cpu: cpus.first, boards: &boards, fromNow: true))
        }
        let signalTicksOut = try signalTicks.map { Handoff(try $0.takeProducer()) }
        let riskTicksOut = try riskTicks.map { Handoff(try $0.takeProducer()) }
        // Order sessions: what each venue needs, made on the decide runner's thread.
        let orderEntry = executes
            ? try OrderEntrySpecs(configuration: configuration, traded: traded, sim: sim, credentials: credentials, instrumentCodes: instrumentCodes) : nil
        // Risk's starting balances, by ids.
        var startBalances: [(VenueId, AssetId, Int128)] = []
        for (venueName, assets) in balances {
            guard let venue = registry.venue(named: venueName) else { continue }
            for (asset, free) in assets { if let a = universe.asset(named: asset) { startBalances.append((venue, a, free)) } }
        }
        let riskConfiguration = configuration.risk
        let entries = configuration.strategies
        let startingBalances = startBalances
        let intentsIn = try iRisk.map { Handoff(try intents.takeConsumer($0)) }
        let intentsOut = signals ? Handoff(try intents.takeProducer()) : nil
        let approvedIn = try approved.map { Handoff(try $0.takeConsumer()) }
        let approvedOut = try approved.map { Handoff(try $0.takeProducer()) }
        let reportsOut = executes ? Handoff(try reports.takeProducer()) : nil
        let reportsSignal = try rSignal.map { Handoff(try reports.takeConsumer($0)) }
        let reportsRisk = try rRisk.map { Handoff(try reports.takeConsumer($0)) }
        let decisionsOut = executes ? Handoff(try decisions.takeProducer()) : nil
        let controlSignal = try cSignal.map { Handoff(try control.takeConsumer($0)) }
        let controlRisk = try cRisk.map { Handoff(try control.takeConsumer($0)) }
        let raiseOut = try raise.map { Handoff(try $0.takeProducer()) }
        let raiseIn = try raise.map { Handoff(try $0.takeConsumer()) }
        let healthOut = executes ? Handoff(try health.takeProducer()) : nil
        let healthSignal = try hSignal.map { Handoff(try health.takeConsumer($0)) }
        let healthRisk = try hRisk.map { Handoff(try health.takeConsumer($0)) }
        let handles = GatewayHandles()
        let router = SmartOrderRouter(configuration: configuration.router, venues: registry.venueNames.count)
        let fees = configuration.risk.takerFees
        let maxAge = configuration.risk.maximumBookAge
        let legs = configuration.legs
        let routing = configuration.router
        // The decide runner's alerts to the journal (risk's actions and the leg guard's events).
        let alertRing = journaling && executes ? try Ring<JournalNote>.spsc(capacity: 4_096) : nil
        let alertsOut = try alertRing.map { Handoff(JournalNotes(try $0.takeProducer())) }
        // The stages, made on the decide runner's thread: the books and tables are NUMA-local to it. The rings'
        // consumers were taken by no one else: failing here is a programming error.
        let makeSignal: @Sendable (MonotonicClock) -> SignalStage<NoCustomStrategy, MonotonicClock> = { clock in
            let host = StrategyHost<NoCustomStrategy>(universe: universe, entries: entries, takerFees: riskConfiguration.takerFees)
            var signal = SignalStage(
                host: host, router: router, market: try! MarketFanIn(count: rings.count) { try rings[$0].takeConsumer(mSignal!) },
                reports: reportsSignal!.take()!, control: controlSignal!.take()!, intents: intentsOut!.take()!, clock: clock, takerFees: fees,
                maximumBookAge: maxAge)
            signal.attach(health: healthSignal!.take()!)
            if let f = flowsForSignal?.take(), let scaling = flowScaling { signal.attach(flows: f, scaling: scaling) }
            if let t = signalTicksOut?.take() { signal.attach(ticks: t, venues: ringVenues) }
            return signal
        }
        let makeExecution: @Sendable (MonotonicClock) -> ExecutionStages = { clock in
            var engine = RiskEngine(universe: universe, configuration: riskConfiguration, firstOrderSequence: firstOrderSequence)
            for (venue, asset, free) in startingBalances { engine.setBalance(venue: venue, asset: asset, free: free) }
            var risk = RiskStage(
                engine: engine, intents: intentsIn!.take()!, market: try! MarketFanIn(count: rings.count) { try rings[$0].takeConsumer(mRisk!) },
                reports: reportsRisk!.take()!, control: controlRisk!.take()!, orders: approvedOut!.take()!, decisions: decisionsOut!.take()!,
                raise: raiseOut!.take()!, clock: clock, legs: legs, router: routing)
            var send = orderEntry!.makeSendStage(
                approved: approvedIn!.take()!, control: raiseIn!.take()!, reports: reportsOut!.take()!, health: healthOut!.take()!, clock: clock,
                now: clock.now())
            send.live = handles.live
            risk.attach(health: healthRisk!.take()!)
            if let t = riskTicksOut?.take() { risk.attach(ticks: t, venues: ringVenues) }
            if let alerts = alertsOut?.take() {
                let sink = NoteSink(alerts)
                risk.onAction = { sink.post("risk: \($0)", kind: .alert) }
                risk.onLegEvent = { sink.post("legs: \($0)", kind: .alert) }
            }
            return ExecutionStages(risk: risk, send: send, handles: handles)
        }
        let decideRunner = try Self.decideRunner(role: role, cpu: cpus.last, handles: handles, signal: makeSignal, execution: makeExecution)
        // The bus publisher of a split role, on a cold runner of its own: what the other roles read.
        var publisherRunner: BusRunner? = nil
        if let bus, !local {
            let board = BusStatsBoard(BusPublisherStats())
            boards.publisher = board
            let intentsBus = try iBus.map { Handoff(try intents.takeConsumer($0)) }
            let reportsBus = try rBus.map { Handoff(try reports.takeConsumer($0)) }
            let decisionsBus = try dBus.map { Handoff(try decisions.takeConsumer($0)) }
            let controlBus = try cBus.map { Handoff(try control.takeConsumer($0)) }
            let healthBus = try hBus.map { Handoff(try health.takeConsumer($0)) }
            publisherRunner = BusRunner(try Runner(RunnerSpec(name: "bus-publish", cpu: cpus.first, mode: .adaptiveShared)) { context in
                var stage = BusPublisher(configuration: bus, context: context, board: board)
                if let x = intentsBus?.take() { stage.attach(x) }
                if let x = decisionsBus?.take() { stage.attach(x) }
                if let x = reportsBus?.take() { stage.attach(x) }
                if let x = healthBus?.take() { stage.attach(x) }
                if let x = controlBus?.take() { stage.attach(x) }
                return stage
            })
        }
        // The journal, on a runner of its own: every venue's events, every decision (with its intent), every report
        // and control event, the watching thread's notes and the decide runner's alerts.
        var journalRunner: Runner? = nil
        var watchNotes: JournalNotes? = nil
        if let journal {
            let writer = Handoff(try JournalWriter(journal))
            let markets = try rings.map { Handoff(try $0.takeConsumer(mJournal!)) }
            let journalDecisions = Handoff(try decisions.takeConsumer(dJournal!))
            let journalReports = Handoff(try reports.takeConsumer(rJournal!))
            let journalControl = Handoff(try control.takeConsumer(cJournal!))
            let journalIntents = Handoff(try intents.takeConsumer(iJournal!))
            let journalHealth = Handoff(try health.takeConsumer(hJournal!))
            let journalTicks = try [signalTicks, riskTicks].compactMap { try $0.map { Handoff(try $0.takeConsumer()) } }
            let watchRing = try Ring<JournalNote>.spsc(capacity: 4_096)
            watchNotes = JournalNotes(try watchRing.takeProducer())
            let watchIn = Handoff(try watchRing.takeConsumer())
            let alertsIn = try alertRing.map { Handoff(try $0.takeConsumer()) }
            let handlesForJournal = handles
            journalRunner = try Runner(RunnerSpec(name: "journal", cpu: cpus.first, mode: .adaptiveShared)) { context in
                var stage = JournalStage(writer: writer.take()!, context: context)
                for m in markets { stage.attach(market: m.take()!) }
                stage.attach(decisions: journalDecisions.take()!)
                stage.attach(reports: journalReports.take()!)
                stage.attach(control: journalControl.take()!)
                stage.attach(intents: journalIntents.take()!)
                stage.attach(health: journalHealth.take()!)
                for t in journalTicks { stage.attach(ticks: t.take()!) }
                if let f = flowsForJournal?.take() { stage.attach(flows: f) }
                stage.attach(notes: watchIn.take()!)
                if let x = alertsIn?.take() { stage.attach(notes: x) }
                let books = BookSnapshotter(
                    market: try! MarketFanIn(count: rings.count) { try rings[$0].takeConsumer(mBooks!) }, universe: universe, interval: bookSnapshotEvery)
                return JournalStageBox(stage: stage, books: books, handles: handlesForJournal)
            }
        }
        var controlProducer: RingProducer<ControlEvent>? = nil
        if executes { controlProducer = try control.takeProducer() }
        let viewDecisions = try decisions.takeConsumer(dView!)
        let viewReports = try reports.takeConsumer(rView!)
        self.role = role
        self.configuration = configuration
        self.feeds = feeds
        self.busMarkets = busMarkets
        self.chain = chainHandle
        self.decide = decideRunner
        self.control = controlProducer
        self.reports = viewReports
        self.decisions = viewDecisions
        self.handles = handles
        self.journal = journalRunner
        self.notes = watchNotes
        self.busInboxes = inboxes
        self.busPublisher = publisherRunner
        self.bus = boards
        // What risk starts from, for a replay: its first order sequence and the balances it was given.
        if notes != nil && executes {
            _ = notes!.post(ReplayStart(firstOrderSequence: firstOrderSequence, balances: startBalances).text, kind: .note)
        }
    }

    /// The decide runner of `role`: the signal stage, risk with order-send, or all three.
    static func decideRunner(
        role: GatewayRole, cpu: Int?, handles: GatewayHandles, signal: @escaping @Sendable (MonotonicClock) -> SignalStage<NoCustomStrategy, MonotonicClock>,
        execution: @escaping @Sendable (MonotonicClock) -> ExecutionStages
    ) throws -> Runner {
        let spec = RunnerSpec(name: "decide", cpu: cpu, mode: .adaptiveShared)
        switch role {
        case .strategy:
            return try Runner(spec) { context in
                context.every(.milliseconds(1)) {}
                return SignalStages(signal: signal(MonotonicClock()), handles: handles)
            }
        case .execution:
            return try Runner(spec) { context in
                context.every(.milliseconds(1)) {}
                return execution(MonotonicClock())
            }
        case .all, .feed:
            return try Runner(spec) { context in
                context.every(.milliseconds(1)) {}
                let clock = MonotonicClock()
                let s = signal(clock)
                return TradingStages(signal: SignalStages(signal: s, handles: handles), execution: execution(clock))
            }
        }
    }

    /// Hands the watching thread each venue's market events (its consumer of each venue's ring). The view must
    /// keep up: a ring's producer waits for its slowest reader.
    public func pollMarket(_ body: (MarketEvent) -> Void) -> Int {
        var n = 0
        for f in feeds {
            n += f.feed.events.poll(upTo: 1_024) { batch in for e in batch { body(e) } }
        }
        for m in busMarkets {
            n += m.events.poll(upTo: 1_024) { batch in for e in batch { body(e) } }
        }
        return n
    }

    /// Each venue's market ring as the view reads it: its lag and its counters (the feed's, or in a split role the
    /// events the bus handed on).
    public func marketFigures() -> [(venue: String, lag: Int, counters: LiveCounters.Snapshot)] {
        feeds.map { ($0.feed.venue.name, $0.feed.events.lag, $0.feed.report.live.snapshot) }
            + busMarkets.map { ($0.venue, $0.events.lag, $0.counters.snapshot) }
    }

    /// Hands the watching thread the chain's flow events (its consumer of the adapter's ring), if a chain is
    /// configured. It must keep up, like `pollMarket`.
    public func pollFlows(_ body: (FlowEvent) -> Void) -> Int {
        guard let c = chain else { return 0 }
        return c.feed.events.poll(upTo: 1_024) { batch in for e in batch { body(e) } }
    }

    /// Stops the bus's inboxes first (in a split role: nothing more is taken off the bus, so nothing taken is left
    /// undecided), then the decide runner (nothing new is sent), then the feeds, then the bus publisher (which
    /// sends what the stopped stages published). The journal goes on (the closing check's notes) until
    /// `stopJournal`.
    public func stop() {
        for b in busInboxes { b.runner.stop() }
        decide.stop()
        for f in feeds { f.feed.runner.stop() }
        chain?.feed.runner.stop()
        busPublisher?.runner.stop()
    }

    /// Stops the journal after it has written what the stopped stages published and the notes posted.
    public func stopJournal() {
        usleep(20_000)
        journal?.stop()
    }
}

/// Journal notes posted from the decide runner's closures (risk's alerts). `@unchecked Sendable`: made on the decide
/// runner's thread and used only there (the closures run on it).
final class NoteSink: @unchecked Sendable {
    var notes: JournalNotes
    init(_ notes: consuming JournalNotes) { self.notes = notes }
    func post(_ text: String, kind: JournalRecordKind) { _ = notes.post(text, kind: kind) }
}

/// The journal's stage on its runner; its figures go to the handles every 100 ms (the alerts and the sanity
/// checks read them) and when it stops.
struct JournalStageBox: Stage, ~Copyable {
    var stage: JournalStage
    var books: BookSnapshotter
    let handles: GatewayHandles
    var nextPublish: Nanos = .zero
    mutating func poll() -> Int {
        let work = stage.poll() &+ books.poll(into: &stage)
        let now = MonotonicClock.now()
        if now >= nextPublish {
            nextPublish = now + .milliseconds(100)
            let s = stage.stats
            handles.lock.withLock { _ in handles._journal = s }
        }
        return work
    }
    mutating func finish() {
        // What the stopped stages published last is still on the rings: all of it is journaled (a replay needs
        // every input of every tick).
        var rounds = 0
        while rounds < 1_000 && stage.poll() > 0 { rounds += 1 }
        stage.finish()
        let s = stage.stats
        handles.lock.withLock { _ in handles._journal = s }
    }
}

/// The decide runner's stages on one process, polled in pipeline order: signal → risk → order-send.
struct TradingStages: Stage, ~Copyable {
    var signal: SignalStages
    var execution: ExecutionStages
    mutating func poll() -> Int { signal.poll() &+ execution.poll() }
    mutating func finish() {
        signal.finish()
        execution.finish()
    }
}

/// The signal stage (the strategy role's decide runner, or the first of the three on one process).
struct SignalStages: Stage, ~Copyable {
    var signal: SignalStage<NoCustomStrategy, MonotonicClock>
    let handles: GatewayHandles
    mutating func poll() -> Int { signal.poll() }
    mutating func finish() {
        let s = signal.stats
        handles.lock.withLock { _ in handles._signal = s }
    }
}

/// Risk then order-send (the execution role's decide runner, or the last two of the three on one process), and
/// the kill switch's progress for the watching thread.
struct ExecutionStages: Stage, ~Copyable {
    var risk: RiskStage<MonotonicClock>
    var send: OrderSendStage<MonotonicClock>
    let handles: GatewayHandles
    var kill: KillProgress? = nil
    var nextKillReport: Nanos = .zero

    init(risk: consuming RiskStage<MonotonicClock>, send: consuming OrderSendStage<MonotonicClock>, handles: GatewayHandles) {
        self.risk = risk
        self.send = send
        self.handles = handles
    }

    mutating func poll() -> Int {
        let work = risk.poll() &+ send.poll()
        if let fired = risk.killedAt { reportKill(fired) }
        return work
    }

    /// After a kill, every 5 ms: each venue's orders and readiness, risk's flatness, for the watching thread.
    mutating func reportKill(_ fired: Nanos) {
        let now = risk.clock.now()
        guard now >= nextKillReport else { return }
        nextKillReport = now + .milliseconds(5)
        var k = kill ?? KillProgress(firedAt: fired)
        send.venueKill(into: &k.venues, now: now)
        if k.cancelsDoneAt == nil && k.venues.allSatisfy({ $0.ordersOpen == 0 }) { k.cancelsDoneAt = now }
        k.flatAt = risk.flatAt
        k.openPositions.removeAll(keepingCapacity: true)
        for s in 0..<risk.engine.configuration.strategies.count {
            for pair in risk.engine.mirror.universe.pairs {
                let q = risk.engine.ledger.positions[s][Int(pair.id.raw)].quantity
                if q != 0 { k.openPositions.append(KillProgress.OpenPosition(strategy: StrategyId(raw: UInt16(s + 1)), pair: pair.id, quantity: q)) }
            }
        }
        kill = k
        handles.lock.withLock { _ in handles._kill = k }
    }

    mutating func finish() {
        let (r, o) = (risk.stats, send.stats)
        handles.lock.withLock { _ in
            handles._risk = r
            handles._orders = o
        }
    }
}
