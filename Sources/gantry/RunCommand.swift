import ArgumentParser
import Foundation
import GantryBus
import GantryCore
import GantryEngine
import GantryExecution
import GantryJournal
import GantryLog
import GantryReport
import GantryLoop
import GantryNet
import GantryOps
import GantryRing
import GantryRisk
import Synchronization

/// Set by SIGINT/SIGTERM: the gateway stops and prints its summary. SIGUSR1 fires the kill switch.
let runInterrupted = Atomic<Bool>(false)
let runKill = Atomic<Bool>(false)

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the trading gateway: feeds, strategies, risk and order entry, with a live view and a closing check of positions against the venues' balances.")

    @Option(name: .long, help: "The configuration file ([[venues]] with their trading accounts, [[strategies]], [risk], [router]).")
    var config: String = "config/gantry.example.toml"

    @Flag(name: .long, help: "Connect to the simulator's endpoints (sim_*) instead of the venues'.")
    var sim = false

    @Option(name: .long, help: "Stop after this many seconds (0: run until interrupted).")
    var seconds: Int = 0

    @Option(name: .long, help: "Fire the kill switch this many seconds in (0: never); the gateway then flattens and stops.")
    var killAfter: Int = 0

    @Option(name: .long, help: "Write the paper-versus-live report to this HTML file at the end (the text version is always printed).")
    var paperReport: String? = nil

    @Option(name: .long, help: "Write the run's report to this HTML file at the end: latency per stage, PnL and drawdown per strategy, paper against live.")
    var report: String? = nil

    @Option(name: .long, help: "Journal every market event, decision, order report, control event, alert and kill-switch step to this directory (fsync every 10 ms; gantry journal query/export read it).")
    var journal: String? = nil

    @Option(name: .long, help: "Journaling, snapshot every live book into the journal this often (seconds).")
    var bookSnapshotEvery: Double = 60

    @Option(name: .long, help: "The control socket `gantry kill` and `gantry ctl` connect to (GANTRY_CONTROL_SOCKET, else /tmp/gantry-control.sock).")
    var controlSocket: String = defaultControlSocket

    @Option(name: .long, help: "Run one part of the gateway, joined to the others by the bus ([bus]): feed, strategy or execution (all: the whole gateway in this process).")
    var role: GatewayRole = .all

    func validate() throws {
        guard seconds >= 0, killAfter >= 0 else { throw ValidationError("--seconds and --kill-after must be ≥ 0") }
        guard bookSnapshotEvery > 0 else { throw ValidationError("--book-snapshot-every must be > 0") }
        if role == .feed && journal != nil { throw ValidationError("--journal: the feed role journals nothing (the strategy and execution roles journal what they read)") }
    }

    func run() throws {
        StructuredLogHandler.bootstrap()
        let text: String
        do { text = try String(contentsOfFile: config, encoding: .utf8) } catch { throw ValidationError("cannot read \(config): \(error.localizedDescription)") }
        let configuration: TradingConfiguration
        do { configuration = try TradingConfiguration(toml: text) } catch { throw ValidationError("\(error)") }
        let bus: BusConfiguration?
        do { bus = try BusConfiguration.parse(toml: text) } catch { throw ValidationError("[bus]: \(error)") }
        if role != .all && bus == nil { throw ValidationError("--role \(role) needs the bus: add a [bus] table to \(config)") }
        signal(SIGINT) { _ in runInterrupted.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in runInterrupted.store(true, ordering: .relaxed) }
        // The kill switch's signal: acted on by the execution role (and one process); the feed and strategy roles
        // only note it (its default action would end them with their outboxes unsent).
        signal(SIGUSR1) { _ in runKill.store(true, ordering: .relaxed) }
        // A parent may have spawned us with these blocked (the mask is inherited across exec): unblocked here,
        // before any runner thread starts, so that every thread inherits a mask that lets them through.
        var stops = sigset_t()
        sigemptyset(&stops)
        for s in [SIGINT, SIGTERM, SIGUSR1] { sigaddset(&stops, s) }
        pthread_sigmask(SIG_UNBLOCK, &stops, nil)
        if role == .feed { return try runFeedRole(configuration: configuration, bus: bus!) }
        if role == .strategy { return try runStrategyRole(configuration: configuration, text: text, bus: bus!) }
        let controlConfiguration: ControlConfiguration?
        do { controlConfiguration = try ControlConfiguration.read(toml: text) } catch { throw ValidationError("\(error)") }
        // [alerts] and [checks] are checked before any venue is contacted (RunAlerts reads them again).
        do { (_, _) = (try AlertConfiguration.read(toml: text), try CheckConfiguration.read(toml: text)) } catch { throw ValidationError("\(error)") }
        // The HTTP control plane of [control] (docs/CONTROL.md); a token file that is not 0600 is refused at once, before any venue is contacted.
        let plane: ControlPlane
        do { plane = try ControlPlane(controlConfiguration, started: MonotonicClock.now()) } catch { throw ValidationError("\(error)") }
        defer { plane.stop() }
        if let url = plane.url { print("  control plane: \(url) (dashboard, /status, /metrics; gantry status|kill|pause|resume)") }
        let credentials = try tradingCredentials(configuration)
        let view = GatewayView(configuration: configuration)
        print("gantry run: \(configuration.strategies.count) strategies on \(configuration.universe.pairs.map(\.name).joined(separator: ", ")), \(view.venues.count) venue(s) from \(sim ? "the simulator" : "the venues")")
        for s in configuration.risk.strategies {
            print("  \(s.name): stage \(s.stage), capital \(FixedPoint.string(s.capitalCents, scale: 2))")
        }
        // What each account holds: what risk may spend, and the base the closing check starts from.
        let tls = try TLSContext(clientTrusting: nil)
        var start: [String: VenueBalances.Totals] = [:]
        for v in view.venues {
            guard let c = credentials[v.name], let rest = sim ? v.simRest : v.rest else { continue }
            do {
                start[v.name] = try VenueBalances.fetch(kind: v.kind, venue: v.id, credentials: c, rest: rest, tls: tls)
            } catch {
                // Risk spends only what it knows the account holds: with nothing read, it vetoes this venue's orders.
                print("  ! \(v.name): balances not read (\(error)); risk will not spend there")
            }
        }
        let scales = RiskLedger.assetScales(configuration.universe)
        var riskBalances: [String: [String: Int128]] = [:]
        for (venue, totals) in start {
            for (asset, amount) in totals {
                guard let a = configuration.universe.asset(named: asset) else { continue }  // an asset no pair trades
                do {
                    riskBalances[venue, default: [:]][asset] = Int128(try FixedPoint.parse(amount, scale: scales[Int(a.raw)]))
                } catch {
                    print("  ! \(venue) \(asset): the balance \(amount) has more decimals than Gantry keeps (\(scales[Int(a.raw)])): risk will not spend it (\(error))")
                }
            }
        }
        // OKX's WebSocket orders name instruments by instIdCode: each configured inst_id_code, else OKX's list.
        let instrumentCodes: [InstrumentId: UInt64]
        do { instrumentCodes = try OKXInstrumentCodes.forTrading(configuration, sim: sim, tls: tls) } catch { throw ValidationError("\(error)") }
        let control: ControlSocket
        do { control = try ControlSocket(path: controlSocket) } catch { throw ValidationError("\(error)") }
        print("  control socket: \(controlSocket) (gantry kill, gantry ctl pause|resume|status)")
        let machine = Machine.current()
        var gateway = try TradingGateway(
            configuration: configuration, sim: sim, credentials: credentials, balances: riskBalances, cpus: machine.cpus,
            firstOrderSequence: UInt64(WallClock.now().raw / 1_000_000), instrumentCodes: instrumentCodes,
            journal: journal.map { JournalConfiguration(directory: $0) }, bookSnapshotEvery: Nanos(raw: Int64(bookSnapshotEvery * 1e9)), role: role, bus: bus)
        if role == .execution, let bus { print("  execution role: market and intents from redis \(bus.host):\(bus.port) (\(bus.stream(.market)), \(bus.stream(.intent)))") }
        if let journal {
            // The configuration as run, and the clocks' offset (event times are monotonic, journaled times wall).
            _ = gateway.notes?.post(text, kind: .configuration)
            _ = gateway.notes?.post("clock: wall − monotonic = \(WallClock.now().raw - MonotonicClock.now().raw) ns", kind: .note)
            print("  journal: \(journal)")
        }
        let started = MonotonicClock.now()
        // The alert rules and the scheduled sanity checks (docs/CONTROL.md), on this watching thread.
        let alerts = try RunAlerts(toml: text, configuration: configuration, credentials: credentials, start: start, sim: sim, tls: tls, started: started)
        plane.alerting = alerts
        defer { alerts.stop() }
        var nextPrint = started + .seconds(1)
        var report: KillReport? = nil
        // The paper trader beside live, on the same events and decisions, on the wall clock.
        let venueCount = configuration.market.registry.venueNames.count + 1
        var paper = PaperTrader(
            universe: configuration.universe, model: PaperModel(latency: Array(repeating: .milliseconds(1), count: venueCount), takerFees: configuration.risk.takerFees),
            strategies: configuration.strategies.count)
        var comparison = PaperComparison(universe: configuration.universe)
        var controlSequence: UInt64 = 0
        var flowEvents = 0
        let names = Dictionary(uniqueKeysWithValues: view.venues.map { ($0.id, $0.name) })
        func say(_ line: String) {
            print(line)
            control.report(line)
            plane.exchange.killLine(line)
            _ = gateway.notes?.post(line, kind: .killSwitchStep)
        }
        func command(_ c: ControlCommand, _ now: Nanos) {
            controlSequence += 1
            var wait = SpinThenYield()
            gateway.control!.publish(ControlEvent(command: c, issuedTime: now, sequence: controlSequence), waiting: &wait)
        }
        func fire(_ source: String, at now: Nanos) {
            guard report == nil else { return }
            command(.killSwitch, now)
            report = KillReport(firedAt: now, source: source, names: names, say: say)
            say("KILL SWITCH (\(source)) at t=\(ms(now - started)) ms: new intents stopped, open orders cancelled, every position flattened")
        }
        /// The operator's commands, from the control socket and the control plane: kill, pause, resume, status.
        func operatorCommand(_ line: String, source: String, now: Nanos) -> (answer: String, subscribe: Bool) {
            switch line {
            case "kill":
                if report != nil { return ("kill switch already fired: its report follows", true) }
                fire(source, at: now)
                return ("kill switch fired", true)
            case "pause":
                command(.pauseTrading, now)
                plane.paused = true
                return ("paused: no new entries; hedges and flattening go on", false)
            case "resume":
                command(.resumeTrading, now)
                plane.paused = false
                alerts.resumed()
                return ("resumed (strategies paused by rollbacks too)", false)
            case "status":
                return ("status: t=\(ms(now - started)) ms, \(view.approved) approved, \(view.fills) fills, kill switch \(report == nil ? "armed" : "fired")", false)
            default:
                return ("error: unknown command \(line) (kill, pause, resume, status)", false)
            }
        }
        while !runInterrupted.load(ordering: .relaxed) {
            let now = MonotonicClock.now()
            if seconds > 0 && now - started >= .seconds(Int64(seconds)) && report == nil { break }
            let wall = WallClock.now()
            let mono = MonotonicClock.now()
            // The chain's flows (the signal stage reads its own copy): counted, and read so that the adapter never waits.
            _ = gateway.pollFlows { _ in flowEvents += 1 }
            _ = gateway.pollMarket { e in
                view.market(e)
                // The kernel's receive time (wall clock) when the event has one.
                paper.onMarket(e, at: e.receiveTime.raw > wall.raw - 10_000_000_000 && e.receiveTime <= wall ? e.receiveTime : wall)
            }
            // Decisions before reports: an order's decision is on its ring before the order is sent.
            while let d = gateway.decisions.tryConsume() {
                view.decision(d)
                alerts.decision(d, now: now)
                // When risk decided (its monotonic clock), on the wall clock.
                let decided = wall - (mono - d.decidedTime)
                paper.onDecision(d, at: decided)
                comparison.onDecision(d, at: decided)
            }
            while let r = gateway.reports.tryConsume() {
                view.report(r)
                if let rt = comparison.onReport(r, at: wall) {
                    paper.observeRoundTrip(r.venue, rt)
                    view.roundTrip(r.venue, rt.raw)
                    alerts.roundTrip(r.venue, rt)
                }
            }
            paper.advance(to: wall)
            control.poll { operatorCommand($0, source: "gantry kill", now: now) }
            if plane.waiting {
                plane.serve(view: view, rings: .init(gateway), kill: report, now: now) { operatorCommand($0, source: "control plane", now: now).answer }
            }
            if alerts.due(now, view: view) {
                let acted = alerts.tick(now: now, view: view, rings: .init(gateway), handles: gateway.handles, paper: paper, comparison: comparison)
                for note in acted.notes { _ = gateway.notes?.post(note, kind: .alert) }
                if acted.pause && report == nil { _ = operatorCommand("pause", source: "sanity check", now: now) }
            }
            let due = killAfter > 0 && now - started >= .seconds(Int64(killAfter))
            if report == nil && (due || runKill.load(ordering: .relaxed)) { fire(due ? "--kill-after" : "SIGUSR1", at: now) }
            // Risk's own trigger (the one-hour drawdown) fires it from inside.
            if report == nil, let p = gateway.handles.kill { fire("risk trigger", at: p.firedAt) }
            if let r = report, let p = gateway.handles.kill {
                r.update(p, now: now)
                if r.flat != nil && view.isFlat { break }
            }
            if let r = report, now - r.firedAt > .seconds(60) {
                say("NOT FLAT 60 s after the kill")
                break
            }
            if now >= nextPrint {
                nextPrint = nextPrint + .seconds(1)
                view.printSecond(elapsed: now - started, gateway: gateway)
            }
            usleep(2_000)
        }
        gateway.stop()
        let end = WallClock.now()
        while let d = gateway.decisions.tryConsume() {
            view.decision(d)
            comparison.onDecision(d, at: end)
        }
        while let r = gateway.reports.tryConsume() {
            view.report(r)
            comparison.onReport(r, at: end)
        }
        paper.advance(to: end + .seconds(1))
        view.printSummary(elapsed: MonotonicClock.now() - started, handles: gateway.handles)
        if role == .execution {
            print("  \(busLine(gateway.bus))")
            if let hop = hopLine(gateway.bus) { print("  \(hop)") }
        }
        if let c = configuration.chains.first { print("  on-chain: \(flowEvents) flow events from \(c.name)") }
        let paperReport = PaperReport(
            comparison: comparison, trader: paper, venueNames: Dictionary(uniqueKeysWithValues: view.venues.map { ($0.id, $0.name) }),
            strategyNames: configuration.strategies.map(\.name), now: end)
        print(paperReport.text(), terminator: "")
        if let path = self.report {
            var page = GatewayReport(title: "Gantry: the run of \(config)")
            page.latency([
                ("kernel receive → events on the ring", view.ingestLatency), ("intent → risk decision", view.decisionLatency),
                ("decision → the venue's first report (as seen)", view.roundTrips),
            ])
            page.pnl(configuration.strategies.enumerated().map { k, s in (s.name, k < view.pnlSeries.count ? view.pnlSeries[k] : []) })
            page.paper(paperReport)
            do {
                try page.html.write(toFile: path, atomically: true, encoding: .utf8)
                print("  report: \(path)")
            } catch {
                print("  ! report not written to \(path): \(error)")
            }
        }
        if let path = self.paperReport {
            do {
                try paperReport.html().write(toFile: path, atomically: true, encoding: .utf8)
                print("  paper report: \(path)")
            } catch {
                print("  ! paper report not written to \(path): \(error)")
            }
        }
        // The closing check: each venue's balances moved exactly by the fills and fees reported, and the base
        // assets are back where they started (flat). A venue that does not answer is asked again, then named.
        var ok = true
        var unverified: [String] = []
        var baseMoved: [String: (Int64, Int)] = [:]
        let bases = Set(configuration.universe.pairs.map { configuration.universe.name(of: $0.base) })
        for v in view.venues {
            guard let c = credentials[v.name], let before = start[v.name], let rest = sim ? v.simRest : v.rest else { continue }
            let after: VenueBalances.Totals
            do {
                after = try BalanceCheck.fetch(kind: v.kind, venue: v.id, credentials: c, rest: rest, tls: tls) { attempt, error in
                    print("  ! \(v.name): balances not read (try \(attempt) of 3): \(error)")
                }
            } catch {
                unverified.append(v.name)
                continue
            }
            try BalanceCheck.addMoves(before: before, after: after, assets: bases, into: &baseMoved)
            for line in try BalanceCheck.compare(venue: v.name, before: before, after: after, expected: Dictionary(uniqueKeysWithValues: view.expectedMoves(venue: v.id))) {
                ok = ok && line.ok
                print("  \(line.text)")
            }
        }
        if let r = report {
            // Flat: each base asset, summed over the venues, is where it started.
            for (asset, (moved, scale)) in baseMoved.sorted(by: { $0.key < $1.key }) {
                let back = moved == 0
                ok = ok && back
                print("  \(asset) over all venues: moved \(FixedPoint.string(moved, scale: scale, trimTrailingZeros: true)) \(back ? "✓ back to the starting inventory" : "✗ NOT FLAT")")
            }
            r.finish(ok: ok, unverified: unverified, now: MonotonicClock.now())
            control.closeSubscribers()
            plane.exchange.finishKillReport()
            plane.settle(view: view, rings: .init(gateway), kill: r, now: MonotonicClock.now())
        } else if !unverified.isEmpty {
            print("  ! not checked: \(unverified.joined(separator: ", ")) (balances not read)")
        }
        print(ok ? "positions equal the venues' balances: yes" : "positions equal the venues' balances: NO")
        gateway.stopJournal()
        if let j = gateway.handles.journalStats {
            print("  journal: \(j.records) records, \(j.dropped) dropped, largest backlog \(j.largestBacklog)")
        }
        if !ok || !unverified.isEmpty || (report != nil && report!.verified == nil) { throw ExitCode(1) }
    }
}

func ms(_ n: Nanos) -> Int64 { n.raw / 1_000_000 }

extension GatewayRole: ExpressibleByArgument {}
