// gantry-t2o-bench: tick to order. A paced venue streams Bybit-format book deltas over loopback TLS; on one fused
// runner, Gantry's ingest stage puts each message's events on the ring, and the trading stages that read it — the
// signal stage (book mirror and a strategy that sells IOC on every Nth message), the risk stage (the engine's
// checks, approving it) and the order-send stage (Binance's WebSocket API `order.place`: encoded, HMAC-signed,
// TLS-encrypted, written) — send the order to VenueSim's Binance venue on the other CPU. Measured per tick, from
// the triggering message's kernel receive time: its events on the ring (ingest), the ring → the order's bytes
// written (trading), and both (whole); and the allocations on the runner per tick (ordo-one's malloc interposer).
// Timing is for the record; the run fails (exit 1) only if no order was written. Prints one JSON line and a table.
//
//   gantry-t2o-bench --pki DIR [--rate 100000] [--seconds 5] [--every 100] [--warmup-ms 1000] [--mode busy|adaptive]
//                    [--journal DIR]
//
// --journal DIR journals as the gateway does: a journal runner (adaptive, on the venue's CPU: the machine has two)
// reads the market, intent, decision and report rings and both deciding stages' ticks, and writes them to DIR
// (fsync every 10 ms). scripts/bench-t2o-journal.sh runs the bench with and without it, in turn, and compares.
//
// T2O_MALLOC_STACKS=N (and T2O_MALLOC_EVERY=K) print the call stacks of N of the runner's allocations after the
// warm-up (one in every K) to standard error, to find where they are made.
import BenchSupport
import GantryCore
import GantryEngine
import GantryExecution
import GantryJournal
import GantryLoop
import GantryNet
import GantryRing
import GantryRisk
import GantryStrategy
import GantryVenues
import Histogram
import MallocInterposerSwift
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

func fail(_ why: String) -> Never { benchFail("gantry-t2o-bench", why) }

/// The one venue of this run: its market data from the paced feed, its orders to VenueSim's Binance.
struct Market: Sendable {
    let universe: Universe
    let venue: VenueId
    let instrument: InstrumentId
    let pair: PairId
    let risk: RiskConfiguration
    let balances: [(AssetId, Int128)]

    init() throws {
        let registry = try InstrumentRegistry([
            InstrumentSpec(venue: "binance", symbol: OrderVenue.symbol, tickSize: "0.01", lotSize: "0.001", priceScale: 2, quantityScale: 3)
        ])
        venue = registry.venue(named: "binance")!
        instrument = registry.instruments[0].id
        universe = try Universe(registry: registry, listings: [.init(instrument: instrument, pair: "BTC/USDT")])
        pair = universe.listing(instrument).pair
        // Wide enough that every intent passes every check (each is still made): the run measures an approval.
        var limits = StrategyRiskLimits(
            strategy: StrategyId(raw: 1), name: "every-nth", capitalCents: 1_000_000_000, stage: .live, allowedPairs: [pair],
            maximumPosition: [0, 1_000_000])
        limits.maximumOrdersPerSecond = 10_000
        var risk = RiskConfiguration(strategies: [limits])
        risk.maximumVenueOrdersPerSecond = 10_000
        risk.takerFees = [0, 1_000]
        self.risk = risk
        // Risk may spend what the venue account holds (1,000 BTC), at risk's scale for the asset.
        let scales = RiskLedger.assetScales(universe)
        let btc = universe.asset(named: "BTC")!
        var unit: Int128 = 1
        for _ in 0..<scales[Int(btc.raw)] { unit *= 10 }
        balances = [(btc, 1_000 * unit)]
    }
}

func main() {
    let options = BenchOptions(
        tool: "gantry-t2o-bench",
        usage: "usage: gantry-t2o-bench --pki DIR [--rate N] [--seconds S] [--every N] [--warmup-ms MS] [--mode busy|adaptive] [--journal DIR]")
    guard let pki = options["pki"] else { fail("--pki DIR (scripts/bench-pki.sh makes one) is required: both connections are TLS") }
    let rate = options.int("rate", 100_000)
    let seconds = options.int("seconds", 5)
    let every = options.int("every", 100)
    let warmup = options.int("warmup-ms", 1_000)
    guard warmup < seconds * 1_000 else { fail("--warmup-ms must be shorter than the run (--seconds)") }
    let mode: RunnerMode = options["mode"] == "adaptive" ? .adaptiveDefault : .busyPoll
    let count = rate * seconds
    let cpus = ThreadAffinity.current()
    let clientCPU = cpus.first ?? 0
    let serverCPU = cpus.count > 1 ? cpus[1] : clientCPU

    MallocInterposerSwift.initialize()
    let countMallocs = MallocTally.works()
    // Diagnostics: where the runner allocates (T2O_MALLOC_STACKS=N stacks, one every T2O_MALLOC_EVERY allocations).
    func environment(_ name: String) -> Int? { getenv(name).flatMap { Int(String(cString: $0)) } }
    if let n = environment("T2O_MALLOC_STACKS") { MallocTally.prepareStacks(n, every: environment("T2O_MALLOC_EVERY") ?? 1) }
    let market: Market
    do { market = try Market() } catch { fail("the market: \(error)") }
    let messages = BybitFeedMessages(count: count)
    let tls: BenchTLS
    do { tls = try BenchTLS(pki: pki) } catch { fail("TLS: \(error)") }
    let serverTLS = tls.server, clientTLS = tls.client

    // The venue's runner: the paced feed and the order venue.
    let ports = Mutex<(feed: Int, orders: Int)?>(nil)
    let server: Runner
    do {
        server = try Runner(RunnerSpec(name: "venue", cpu: serverCPU, mode: .busyPoll)) { context in
            guard let feed = try? PacedFeedServer(tls: serverTLS, messages: messages, rate: rate, context: context),
                let (sim, venue) = try? OrderVenue.make(tls: serverTLS)
            else { fatalError("the venue cannot listen") }
            ports.withLock { $0 = (feed.port, venue.port) }
            return VenueSide(feed: feed, sim: sim)
        }
    } catch { fail("\(error)") }
    while ports.withLock({ $0 }) == nil { usleep(1_000) }
    let (feedPort, orderPort) = ports.withLock { $0! }

    let journalDirectory = options["journal"]
    let journaling = journalDirectory != nil
    let rings: (market: Ring<MarketEvent>, intents: Ring<OrderIntent>, approved: Ring<ApprovedOrder>, reports: Ring<OrderReport>, decisions: Ring<RiskDecision>, states: Ring<ConnectionEvent>)
    // Journaling, the journal reads the market, intents, reports and decisions too (as in the gateway), and the ticks.
    let ticks: (signal: Ring<StageTick>, risk: Ring<StageTick>)?
    do {
        rings = (
            try .broadcast(capacity: journaling ? 1 << 18 : 1 << 16, consumers: journaling ? 4 : 3),
            journaling ? try .broadcast(capacity: 4_096, consumers: 2) : try .spsc(capacity: 4_096), try .spsc(capacity: 4_096),
            try .broadcast(capacity: 16_384, consumers: journaling ? 3 : 2),
            journaling ? try .broadcast(capacity: 16_384, consumers: 2) : try .spsc(capacity: 16_384), try .spsc(capacity: 1_024)
        )
        ticks = journaling ? (try .spsc(capacity: 16_384), try .spsc(capacity: 16_384)) : nil
    } catch { fail("\(error)") }
    let journal: Runner?
    let journalReport = JournalReport()
    if let journalDirectory {
        do {
            let writer = Handoff(try JournalWriter(JournalConfiguration(directory: journalDirectory)))
            journal = try Runner(RunnerSpec(name: "journal", cpu: serverCPU, mode: .adaptiveShared)) { context in
                var stage = JournalStage(writer: writer.take()!, context: context)
                stage.attach(market: try! rings.market.takeConsumer(3))
                stage.attach(intents: try! rings.intents.takeConsumer(1))
                stage.attach(reports: try! rings.reports.takeConsumer(2))
                stage.attach(decisions: try! rings.decisions.takeConsumer(1))
                stage.attach(ticks: try! ticks!.signal.takeConsumer())
                stage.attach(ticks: try! ticks!.risk.takeConsumer())
                return BenchJournal(stage: stage, report: journalReport)
            }
        } catch { fail("the journal: \(error)") }
    } else {
        journal = nil
    }
    let report = Report()
    let start = MonotonicClock.now()
    let measureFrom = start + .milliseconds(Int64(warmup))
    let client: Runner
    do {
        client = try Runner(RunnerSpec(name: "t2o", cpu: clientCPU, mode: mode)) { context in
            // Every handle below is taken once, here: failing is a programming error.
            let feed = BybitFeed(
                venue: market.venue,
                instruments: [FeedInstrument(symbol: OrderVenue.symbol, instrument: market.instrument, priceScale: 2, quantityScale: 3)], depth: 200)
            let supervisor = WebSocketSupervisor(
                endpoint: WebSocketEndpoint(address: "127.0.0.1", port: feedPort, host: "localhost", path: "/v5/public/spot", tls: clientTLS),
                venue: market.venue, index: 0, subscriptions: feed.subscriptions, sink: try! rings.states.takeProducer(),
                backoff: Backoff(initial: .milliseconds(50), maximum: .seconds(1), seed: 1), now: MonotonicClock.now())
            if case .adaptive = mode { context.every(.microseconds(100)) {} }
            let clock = MonotonicClock()
            let now = clock.now()
            // Made here, on the runner's thread, as the gateway makes them: the books and tables are local to it.
            let host = StrategyHost<EveryNthMessage>(
                universe: market.universe,
                entries: [
                    .init(
                        name: "every-nth", capitalCents: 1_000_000_000,
                        spec: .custom(EveryNthMessage(pair: market.pair, instrument: market.instrument, venue: market.venue, every: Int64(every), quantity: Quantity(raw: 1))))
                ], takerFees: market.risk.takerFees)
            var signal = SignalStage(
                host: host, router: SmartOrderRouter(venues: market.universe.registry.venueNames.count),
                market: try! MarketFanIn(count: 1) { _ in try rings.market.takeConsumer(0) }, reports: try! rings.reports.takeConsumer(0), control: nil,
                intents: try! rings.intents.takeProducer(), clock: clock, takerFees: market.risk.takerFees, maximumBookAge: .seconds(2))
            var engine = RiskEngine(universe: market.universe, configuration: market.risk, firstOrderSequence: 1)
            for (asset, free) in market.balances { engine.setBalance(venue: market.venue, asset: asset, free: free) }
            var risk = RiskStage(
                engine: engine, intents: try! rings.intents.takeConsumer(), market: try! MarketFanIn(count: 1) { _ in try rings.market.takeConsumer(1) },
                reports: try! rings.reports.takeConsumer(1), control: nil, orders: try! rings.approved.takeProducer(),
                decisions: try! rings.decisions.takeProducer(), raise: nil, clock: clock)
            if let ticks {
                signal.attach(ticks: try! ticks.signal.takeProducer(), venues: [market.venue])
                risk.attach(ticks: try! ticks.risk.takeProducer(), venues: [market.venue])
            }
            let codec = BinanceOrderEntry(
                venue: market.venue,
                instruments: OrderInstruments([
                    OrderInstrument(id: market.instrument, symbol: OrderVenue.symbol, baseAsset: "BTC", quoteAsset: "USDT", priceScale: 2, quantityScale: 3)
                ]), apiKey: OrderVenue.apiKey, secret: VenueSecret(text: OrderVenue.secret))
            var session = OrderSession<BinanceOrderScript>(
                codec: codec, endpoint: WebSocketEndpoint(address: "127.0.0.1", port: orderPort, host: "localhost", path: "/ws-api/v3", tls: clientTLS),
                ordersPerSecond: 10_000, now: now)
            session.stampWrites(capacity: 1_024)
            var kinds: [VenueKind?] = Array(repeating: nil, count: Int(market.venue.raw) + 1)
            kinds[Int(market.venue.raw)] = .binance
            let send = OrderSendStage(
                approved: try! rings.approved.takeConsumer(), control: nil, reports: try! rings.reports.takeProducer(), binance: session, okx: nil,
                kinds: kinds, clock: clock)
            let tap = TickTap(
                market: try! rings.market.takeConsumer(2), decisions: try! rings.decisions.takeConsumer(), every: Int64(every), measureFrom: measureFrom)
            let side = TradingSide(signal: signal, risk: risk, send: send, tap: tap, report: report, countMallocs: countMallocs)
            let ingest = IngestStage(
                supervisor: supervisor, handler: feed, producer: try! rings.market.takeProducer(),
                whenRingFull: {
                    _ = side.poll()
                    MallocTally.enter(.ingest)
                }
            ) { stats in
                report.ingest.withLock { $0 = stats }
            }
            return TickToOrder(ingest: ingest, side: side)
        }
    } catch { fail("\(error)") }

    // The run is over when every message (the snapshot and the deltas) has been on the ring, and the venue has had a
    // fifth of a second to answer the last orders, or 3 s after the feed's time (a machine too busy to keep up: the
    // report says how many messages came); no message for 10 s (a stuck stage) fails it.
    var lastSeen = 0
    var lastChange = start
    while true {
        usleep(50_000)
        let now = MonotonicClock.now()
        let seen = report.messages.load(ordering: .relaxed)
        if seen >= count + 1 || now > start + .seconds(Int64(seconds) + 3) {
            usleep(200_000)
            break
        }
        if seen != lastSeen {
            lastSeen = seen
            lastChange = now
            continue
        }
        if now - lastChange > .seconds(10) {
            print("FAIL: no message on the ring for 10 s (\(seen) so far)")
            exit(1)
        }
    }
    client.stop()
    server.stop()
    journal?.stop()
    if let j = journalReport.stats.withLock({ $0 }) {
        print(#"{"bench":"tick-to-order-journal","records":\#(j.records),"dropped":\#(j.dropped),"largest_backlog":\#(j.largestBacklog)}"#)
    }
    guard let ingest = report.ingest.withLock({ $0 }), let t = report.trading.withLock({ $0 }) else { fail("the runner did not report") }
    MallocTally.printStacks()
    printReport(
        T2ORun(
            rate: rate, every: every, seconds: seconds, warmupMilliseconds: warmup, mode: "\(mode)", clientCPU: clientCPU, serverCPU: serverCPU,
            expectedMessages: count + 2, ingest: ingest, results: t))
    if t.counts.written == 0 {
        print("FAIL: no order was written")
        exit(1)
    }
    exit(0)
}

main()

/// The journal's figures, for the main thread.
final class JournalReport: Sendable {
    let stats = Mutex<JournalStageStats?>(nil)
}

/// The journal's stage on its runner; its figures go to the main thread when it stops.
struct BenchJournal: Stage, ~Copyable {
    var stage: JournalStage
    let report: JournalReport
    mutating func poll() -> Int { stage.poll() }
    mutating func finish() {
        var rounds = 0
        while rounds < 1_000 && stage.poll() > 0 { rounds += 1 }
        stage.finish()
        let s = stage.stats
        report.stats.withLock { $0 = s }
    }
}
