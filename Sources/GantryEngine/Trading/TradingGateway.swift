import Synchronization
import Glibc
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

/// A venue's trading credentials, loaded (never printed: `Secret` hides itself).
public struct VenueCredentials: Sendable {
    public var apiKey: String
    public var secret: Secret
    public var passphrase: Secret?

    /// Loads an account's credentials from where the configuration says they are.
    public static func load(_ a: VenueAccountConfiguration) throws -> VenueCredentials {
        let who = "venue \(a.venue)"
        let key: String
        if let k = a.apiKey {
            key = k
        } else if let env = a.apiKeyEnv {
            key = try Secret.load(env: env, file: nil, who: "\(who): api key").text
        } else {
            throw GatewayError("\(who): set api_key or api_key_env")
        }
        let secret = try Secret.load(env: a.secretEnv, file: a.secretFile, who: "\(who): secret")
        let passphrase = try a.passphraseEnv.map { try Secret.load(env: $0, file: nil, who: "\(who): passphrase") }
        return VenueCredentials(apiKey: key, secret: secret, passphrase: passphrase)
    }
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



/// The trading gateway on one process: each venue's feed on its runner, and the decide runner with the signal,
/// risk and order-send stages fused (joined by their rings: intents → risk → approved orders → order-send →
/// reports). The watching thread gets a consumer of every ring it may show and the operator's control ring.
public struct TradingGateway: ~Copyable {
    public var feeds: [FeedHandle]
    /// The on-chain adapter of the configured chain (`[[chains]]`), if any: the signal stage reads its flows.
    public var chain: ChainHandle?
    public let decide: Runner
    /// The operator's commands (pause, resume, kill) to the signal and risk stages.
    public var control: RingProducer<ControlEvent>
    /// For the live view: every report, every decision, each venue's market events.
    public var reports: RingConsumer<OrderReport>
    public var decisions: RingConsumer<RiskDecision>
    public let handles: GatewayHandles
    /// The journal's runner, when the gateway journals.
    public let journal: Runner?
    /// The watching thread's notes to the journal (configuration, kill-switch steps, alerts), when it journals.
    public var notes: JournalNotes?
    public let configuration: TradingConfiguration

    /// A venue's feed runner, in a class so that several can be held.
    public final class FeedHandle {
        public var feed: VenueFeedRunner
        init(_ feed: consuming VenueFeedRunner) { self.feed = feed }
    }

    /// The on-chain adapter's runner, in a class so that it can be held optionally.
    public final class ChainHandle {
        public var feed: OnChainFeedRunner
        init(_ feed: consuming OnChainFeedRunner) { self.feed = feed }
    }

    /// Starts the feeds and the decide runner.
    /// - Parameters:
    ///   - sim: Use each venue's `sim_*` endpoints.
    ///   - credentials: By venue name.
    ///   - balances: Each venue's free balances at start, by venue name then asset name, at the asset's scale in
    ///     risk (`RiskLedger.assetScale`): what risk may spend.
    ///   - instrumentCodes: OKX's `instIdCode` of each instrument traded on an OKX venue (`OKXInstrumentCodes.forTrading`);
    ///     a traded OKX instrument without one is refused.
    ///   - journal: Journal every market event, intent, decision, report, control event, venue health update and the
    ///     deciding stages' ticks (what `JournalReplay` needs), with the notes.
    ///   - bookSnapshotEvery: Journaling, how often every live book is snapshotted into the journal.
    public init(
        configuration: TradingConfiguration, sim: Bool, credentials: [String: VenueCredentials], balances: [String: [String: Int128]],
        cpus: [Int], firstOrderSequence: UInt64, instrumentCodes: [InstrumentId: UInt64] = [:], journal: JournalConfiguration? = nil,
        bookSnapshotEvery: Nanos = .seconds(60)
    ) throws {
        let journaling = journal != nil
        let registry = configuration.market.registry
        let universe = configuration.universe
        let traded = configuration.market.venues.filter { v in
            registry.instruments.contains { $0.venue == registry.venue(named: v.name) && universe.listing($0.id).pair != .none }
        }
        guard !traded.isEmpty else { throw GatewayError("no venue lists a configured pair") }
        // Each venue's events: signal, risk and the view read them.
        var feeds: [FeedHandle] = []
        for (k, v) in traded.enumerated() {
            let cpu: Int? = cpus.isEmpty ? nil : cpus[k % cpus.count]
            feeds.append(FeedHandle(try VenueFeedRunner(
                venue: v, registry: registry, sim: sim, cpu: cpu, mode: .adaptiveShared, ringCapacity: journaling ? 1 << 18 : 1 << 16, consumers: journaling ? 5 : 3)))
        }
        let rings = feeds.map { $0.feed.ring }
        // The chain's flows: the signal stage reads them (consumer 1), the journal too (2); consumer 0 is the
        // watching thread's (`pollFlows`).
        var chainHandle: ChainHandle? = nil
        if let c = configuration.chains.first {
            guard let url = sim ? c.simNode : c.node else { throw GatewayError("chain \(c.name): no \(sim ? "sim_node" : "node") endpoint") }
            let node = WebSocketEndpoint(
                address: try resolve(url.host), port: url.port, host: url.host, path: url.path, tls: url.tls ? try TLSContext(clientTrusting: nil) : nil)
            chainHandle = ChainHandle(try OnChainFeedRunner(
                node: node, settings: c.settings, cpu: cpus.isEmpty ? nil : cpus[0], consumers: journaling ? 3 : 2))
        }
        let flowsSignal = try chainHandle.map { Handoff(try $0.feed.ring.takeConsumer(1)) }
        let flowScaling = configuration.chains.first?.scaling
        // Journaling, the intents and venue health are journaled too, with each deciding stage's ticks: a replay of
        // the journal hands signal and risk the same batches at the same times (JournalReplay).
        let intents = try Ring<OrderIntent>.broadcast(capacity: 4_096, consumers: journaling ? 2 : 1)
        let approved = try Ring<ApprovedOrder>.spsc(capacity: 4_096)
        let reports = try Ring<OrderReport>.broadcast(capacity: 16_384, consumers: journaling ? 4 : 3)
        let decisions = try Ring<RiskDecision>.broadcast(capacity: 16_384, consumers: journaling ? 2 : 1)
        let control = try Ring<ControlEvent>.broadcast(capacity: 256, consumers: journaling ? 3 : 2)
        let raise = try Ring<ControlEvent>.spsc(capacity: 256)
        let health = try Ring<VenueHealth>.broadcast(capacity: 256, consumers: journaling ? 3 : 2)
        let signalTicks = journaling ? try Ring<StageTick>.spsc(capacity: 16_384) : nil
        let riskTicks = journaling ? try Ring<StageTick>.spsc(capacity: 16_384) : nil
        let signalTicksOut = try signalTicks.map { Handoff(try $0.takeProducer()) }
        let riskTicksOut = try riskTicks.map { Handoff(try $0.takeProducer()) }
        let ringVenues = traded.map { registry.venue(named: $0.name)! }
        // Order sessions: what each venue needs, made on the decide runner's thread.
        var kinds: [VenueKind?] = Array(repeating: nil, count: registry.venueNames.count + 1)
        // Each traded venue's dead-man's switch timeout, by kind (one venue of each kind is traded).
        var deadMan: [VenueKind: Int] = [:]
        for v in traded { deadMan[v.kind] = v.deadManSeconds }
        let deadManOf = deadMan
        var binance: (codec: BinanceOrderEntry, endpoint: WebSocketEndpoint, rate: Int)? = nil
        var okx: (codec: OKXOrderEntry, endpoint: WebSocketEndpoint, rest: (String, Int, String, Bool)?, rate: Int)? = nil
        var bybit: (codec: BybitOrderEntry, endpoint: WebSocketEndpoint, user: WebSocketEndpoint?, rest: (String, Int, String, Bool)?, rate: Int)? = nil
        var kraken: (codec: KrakenOrderEntry, endpoint: WebSocketEndpoint, rest: (String, Int, String, Bool)?, rate: Int)? = nil
        var coinbase: (codec: CoinbaseOrderEntry, endpoint: WebSocketEndpoint, rest: (String, Int, String, Bool)?, rate: Int)? = nil
        let tls = try TLSContext(clientTrusting: nil)
        for v in traded {
            guard let id = registry.venue(named: v.name) else { continue }
            kinds[Int(id.raw)] = v.kind
            guard let account = configuration.accounts.first(where: { $0.venue == v.name }),
                let endpoint = sim ? account.simOrderEndpoint : account.orderEndpoint
            else { continue }
            guard let creds = credentials[v.name] else { throw GatewayError("venue \(v.name): no credentials loaded") }
            let listed = registry.instruments.filter { $0.venue == id && universe.listing($0.id).pair != .none }
            if v.kind == .okx, let i = listed.first(where: { instrumentCodes[$0.id] == nil }) {
                throw GatewayError("venue \(v.name): no instIdCode for \(i.symbol) (OKX's WebSocket orders need it)")
            }
            let instruments = OrderInstruments(listed.map { i in
                let l = universe.listing(i.id)
                return OrderInstrument(
                    id: i.id, symbol: i.symbol, baseAsset: universe.name(of: l.base), quoteAsset: universe.name(of: l.quote), priceScale: i.priceScale,
                    quantityScale: i.quantityScale, code: v.kind == .okx ? instrumentCodes[i.id] ?? 0 : 0)
            })
            let ws = WebSocketEndpoint(address: try resolve(endpoint.host), port: endpoint.port, host: endpoint.host, path: endpoint.path, tls: endpoint.tls ? tls : nil)
            switch v.kind {
            case .binance:
                binance = (BinanceOrderEntry(venue: id, instruments: instruments, apiKey: creds.apiKey, secret: VenueSecret(creds.secret.bytes)), ws, account.ordersPerSecond)
            case .okx:
                guard let passphrase = creds.passphrase else { throw GatewayError("venue \(v.name): OKX needs passphrase_env") }
                let restURL = sim ? account.simRestEndpoint : account.restEndpoint
                okx = (
                    OKXOrderEntry(
                        venue: id, instruments: instruments, apiKey: creds.apiKey, secret: VenueSecret(creds.secret.bytes), passphrase: passphrase.text,
                        restHost: restURL?.host ?? "www.okx.com"),
                    ws, try restURL.map { (try resolve($0.host), $0.port, $0.host, $0.tls) }, account.ordersPerSecond)
            case .bybit:
                let restURL = sim ? account.simRestEndpoint : account.restEndpoint
                let userURL = sim ? account.simUserStreamEndpoint : account.userStreamEndpoint
                bybit = (
                    BybitOrderEntry(venue: id, instruments: instruments, apiKey: creds.apiKey, secret: VenueSecret(creds.secret.bytes), restHost: restURL?.host ?? "api.bybit.com"),
                    ws, try userURL.map { WebSocketEndpoint(address: try resolve($0.host), port: $0.port, host: $0.host, path: $0.path, tls: $0.tls ? tls : nil) },
                    try restURL.map { (try resolve($0.host), $0.port, $0.host, $0.tls) }, account.ordersPerSecond)
            case .kraken:
                let restURL = sim ? account.simRestEndpoint : account.restEndpoint
                let secret: VenueSecret
                do { secret = try VenueSecret(base64: creds.secret.text) } catch { throw GatewayError("venue \(v.name): the secret is not base64 (Kraken's secrets are)") }
                kraken = (
                    KrakenOrderEntry(venue: id, instruments: instruments, apiKey: creds.apiKey, secret: secret, restHost: restURL?.host ?? "api.kraken.com"), ws,
                    try restURL.map { (try resolve($0.host), $0.port, $0.host, $0.tls) }, account.ordersPerSecond)
            case .coinbase:
                let restURL = sim ? account.simRestEndpoint : account.restEndpoint
                let key: ES256Key
                do { key = try ES256Key(privateKeyPEM: creds.secret.text) } catch { throw GatewayError("venue \(v.name): the secret is not an EC private key in PEM") }
                coinbase = (
                    CoinbaseOrderEntry(venue: id, instruments: instruments, keyName: creds.apiKey, key: key, restHost: restURL?.host ?? "api.coinbase.com"), ws,
                    try restURL.map { (try resolve($0.host), $0.port, $0.host, $0.tls) }, account.ordersPerSecond)
            }
        }
        // Risk's starting balances, by ids.
        var startBalances: [(VenueId, AssetId, Int128)] = []
        for (venueName, assets) in balances {
            guard let venue = registry.venue(named: venueName) else { continue }
            for (asset, free) in assets { if let a = universe.asset(named: asset) { startBalances.append((venue, a, free)) } }
        }
        let riskConfiguration = configuration.risk
        let entries = configuration.strategies
        let startingBalances = startBalances
        let intentsIn = Handoff(try intents.takeConsumer())
        let intentsOut = Handoff(try intents.takeProducer())
        let approvedIn = Handoff(try approved.takeConsumer())
        let approvedOut = Handoff(try approved.takeProducer())
        let reportsOut = Handoff(try reports.takeProducer())
        let reportsSignal = Handoff(try reports.takeConsumer(0))
        let reportsRisk = Handoff(try reports.takeConsumer(1))
        let decisionsOut = Handoff(try decisions.takeProducer())
        let controlSignal = Handoff(try control.takeConsumer(0))
        let controlRisk = Handoff(try control.takeConsumer(1))
        let raiseOut = Handoff(try raise.takeProducer())
        let raiseIn = Handoff(try raise.takeConsumer())
        let healthOut = Handoff(try health.takeProducer())
        let healthSignal = Handoff(try health.takeConsumer(0))
        let healthRisk = Handoff(try health.takeConsumer(1))
        let handles = GatewayHandles()
        let router = SmartOrderRouter(configuration: configuration.router, venues: registry.venueNames.count)
        let fees = configuration.risk.takerFees
        let maxAge = configuration.risk.maximumBookAge
        let legs = configuration.legs
        let routing = configuration.router
        let okxRest = okx?.rest
        let binanceSpec = binance
        let okxSpec = okx.map { ($0.codec, $0.endpoint, $0.rate) }
        let bybitSpec = bybit
        let krakenSpec = kraken
        let coinbaseSpec = coinbase
        let kindsTable = kinds
        // The decide runner's alerts to the journal (risk's actions and the leg guard's events).
        let alertRing = journaling ? try Ring<JournalNote>.spsc(capacity: 4_096) : nil
        let alertsOut = try alertRing.map { Handoff(JournalNotes(try $0.takeProducer())) }
        let decideRunner = try Runner(RunnerSpec(name: "decide", cpu: cpus.last, mode: .adaptiveShared)) { context in
            context.every(.milliseconds(1)) {}
            let clock = MonotonicClock()
            let now = clock.now()
            // Made here, on the runner's thread: the books and tables are NUMA-local to it.
            var engine = RiskEngine(universe: universe, configuration: riskConfiguration, firstOrderSequence: firstOrderSequence)
            for (venue, asset, free) in startingBalances { engine.setBalance(venue: venue, asset: asset, free: free) }
            let host = StrategyHost<NoCustomStrategy>(universe: universe, entries: entries, takerFees: riskConfiguration.takerFees)
            // The rings' consumers 1 and 2 were not taken by anyone else: failing here is a programming error.
            let signalMarket = try! MarketFanIn(count: rings.count) { try rings[$0].takeConsumer(1) }
            let riskMarket = try! MarketFanIn(count: rings.count) { try rings[$0].takeConsumer(2) }
            var signal = SignalStage(
                host: host, router: router, market: signalMarket, reports: reportsSignal.take()!, control: controlSignal.take()!,
                intents: intentsOut.take()!, clock: clock, takerFees: fees, maximumBookAge: maxAge)
            var risk = RiskStage(
                engine: engine, intents: intentsIn.take()!, market: riskMarket, reports: reportsRisk.take()!, control: controlRisk.take()!,
                orders: approvedOut.take()!, decisions: decisionsOut.take()!, raise: raiseOut.take()!, clock: clock, legs: legs, router: routing)
            let binanceSession = binanceSpec.map { OrderSession<BinanceOrderScript>(codec: $0.codec, endpoint: $0.endpoint, ordersPerSecond: $0.rate, now: now) }
            let okxSession = okxSpec.map { spec in
                var s = OrderSession<OKXOrderScript>(
                    codec: spec.0, endpoint: spec.1,
                    rest: okxRest.map { HTTPClient(address: $0.0, port: $0.1, host: $0.2, tls: $0.3 ? tls : nil) }, ordersPerSecond: spec.2, now: now)
                s.deadManTimeout = deadManOf[.okx] ?? 0
                return s
            }
            var send = OrderSendStage(
                approved: approvedIn.take()!, control: raiseIn.take()!, reports: reportsOut.take()!, binance: binanceSession, okx: okxSession,
                kinds: kindsTable, clock: clock, health: healthOut.take()!)
            send.live = handles.live
            func client(_ r: (String, Int, String, Bool)?) -> HTTPClient? { r.map { HTTPClient(address: $0.0, port: $0.1, host: $0.2, tls: $0.3 ? tls : nil) } }
            send.attach(
                bybit: bybitSpec.map {
                    OrderSession<BybitOrderScript>(codec: $0.codec, endpoint: $0.endpoint, rest: client($0.rest), userStream: $0.user, ordersPerSecond: $0.rate, now: now)
                },
                kraken: krakenSpec.map {
                    var s = OrderSession<KrakenOrderScript>(codec: $0.codec, endpoint: $0.endpoint, rest: client($0.rest), ordersPerSecond: $0.rate, now: now)
                    s.deadManTimeout = deadManOf[.kraken] ?? 0
                    return s
                },
                coinbase: coinbaseSpec.map {
                    OrderSession<CoinbaseOrderScript>(codec: $0.codec, endpoint: $0.endpoint, rest: client($0.rest), ordersPerSecond: $0.rate, now: now)
                })
            signal.attach(health: healthSignal.take()!)
            risk.attach(health: healthRisk.take()!)
            if let f = flowsSignal?.take(), let scaling = flowScaling { signal.attach(flows: f, scaling: scaling) }
            if let t = signalTicksOut?.take() { signal.attach(ticks: t, venues: ringVenues) }
            if let t = riskTicksOut?.take() { risk.attach(ticks: t, venues: ringVenues) }
            if let alerts = alertsOut?.take() {
                let sink = NoteSink(alerts)
                risk.onAction = { sink.post("risk: \($0)", kind: .alert) }
                risk.onLegEvent = { sink.post("legs: \($0)", kind: .alert) }
            }
            return TradingStages(signal: signal, risk: risk, send: send, handles: handles)
        }
        // The journal, on a runner of its own: every venue's events, every decision (with its intent), every report
        // and control event, the watching thread's notes and the decide runner's alerts.
        var journalRunner: Runner? = nil
        var watchNotes: JournalNotes? = nil
        if let journal {
            let writer = Handoff(try JournalWriter(journal))
            let markets = try rings.map { Handoff(try $0.takeConsumer(3)) }
            let journalDecisions = Handoff(try decisions.takeConsumer(1))
            let journalReports = Handoff(try reports.takeConsumer(3))
            let journalControl = Handoff(try control.takeConsumer(2))
            let journalIntents = Handoff(try intents.takeConsumer(1))
            let journalHealth = Handoff(try health.takeConsumer(2))
            let journalSignalTicks = Handoff(try signalTicks!.takeConsumer())
            let journalRiskTicks = Handoff(try riskTicks!.takeConsumer())
            let journalFlows = try chainHandle.map { Handoff(try $0.feed.ring.takeConsumer(2)) }
            let watchRing = try Ring<JournalNote>.spsc(capacity: 4_096)
            watchNotes = JournalNotes(try watchRing.takeProducer())
            let watchIn = Handoff(try watchRing.takeConsumer())
            let alertsIn = Handoff(try alertRing!.takeConsumer())
            let handlesForJournal = handles
            journalRunner = try Runner(RunnerSpec(name: "journal", cpu: cpus.first, mode: .adaptiveShared)) { context in
                var stage = JournalStage(writer: writer.take()!, context: context)
                for m in markets { stage.attach(market: m.take()!) }
                stage.attach(decisions: journalDecisions.take()!)
                stage.attach(reports: journalReports.take()!)
                stage.attach(control: journalControl.take()!)
                stage.attach(intents: journalIntents.take()!)
                stage.attach(health: journalHealth.take()!)
                stage.attach(ticks: journalSignalTicks.take()!)
                stage.attach(ticks: journalRiskTicks.take()!)
                if let f = journalFlows?.take() { stage.attach(flows: f) }
                stage.attach(notes: watchIn.take()!)
                stage.attach(notes: alertsIn.take()!)
                let books = BookSnapshotter(
                    market: try! MarketFanIn(count: rings.count) { try rings[$0].takeConsumer(4) }, universe: universe, interval: bookSnapshotEvery)
                return JournalStageBox(stage: stage, books: books, handles: handlesForJournal)
            }
        }
        let controlProducer = try control.takeProducer()
        let viewReports = try reports.takeConsumer(2)
        let viewDecisions = try decisions.takeConsumer(0)
        self.configuration = configuration
        self.feeds = feeds
        self.chain = chainHandle
        self.decide = decideRunner
        self.control = controlProducer
        self.reports = viewReports
        self.decisions = viewDecisions
        self.handles = handles
        self.journal = journalRunner
        self.notes = watchNotes
        // What risk starts from, for a replay: its first order sequence and the balances it was given.
        if notes != nil {
            _ = notes!.post(ReplayStart(firstOrderSequence: firstOrderSequence, balances: startBalances).text, kind: .note)
        }
    }

    /// Hands the watching thread each venue's market events (its consumer of each venue's ring). The view must
    /// keep up: a ring's producer waits for its slowest reader.
    public func pollMarket(_ body: (MarketEvent) -> Void) -> Int {
        var n = 0
        for f in feeds {
            n += f.feed.events.poll(upTo: 1_024) { batch in for e in batch { body(e) } }
        }
        return n
    }

    /// Hands the watching thread the chain's flow events (its consumer of the adapter's ring), if a chain is
    /// configured. It must keep up, like `pollMarket`.
    public func pollFlows(_ body: (FlowEvent) -> Void) -> Int {
        guard let c = chain else { return 0 }
        return c.feed.events.poll(upTo: 1_024) { batch in for e in batch { body(e) } }
    }

    /// Stops the decide runner first (nothing new is sent), then the feeds. The journal goes on (the closing
    /// check's notes) until `stopJournal`.
    public func stop() {
        decide.stop()
        for f in feeds { f.feed.runner.stop() }
        chain?.feed.runner.stop()
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

/// The decide runner's stages, polled in pipeline order: signal → risk → order-send.
struct TradingStages: Stage, ~Copyable {
    var signal: SignalStage<NoCustomStrategy, MonotonicClock>
    var risk: RiskStage<MonotonicClock>
    var send: OrderSendStage<MonotonicClock>
    let handles: GatewayHandles
    var kill: KillProgress? = nil
    var nextKillReport: Nanos = .zero

    mutating func poll() -> Int {
        let work = signal.poll() &+ risk.poll() &+ send.poll()
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
        let (s, r, o) = (signal.stats, risk.stats, send.stats)
        handles.lock.withLock { _ in
            handles._signal = s
            handles._risk = r
            handles._orders = o
        }
    }
}
