import ArgumentParser
import Foundation
import GantryCore
import GantryEngine
import GantryLog
import GantryLoop
import GantryNet
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

    func validate() throws {
        guard seconds >= 0, killAfter >= 0 else { throw ValidationError("--seconds and --kill-after must be ≥ 0") }
    }

    func run() throws {
        StructuredLogHandler.bootstrap()
        let text: String
        do { text = try String(contentsOfFile: config, encoding: .utf8) } catch { throw ValidationError("cannot read \(config): \(error.localizedDescription)") }
        let configuration: TradingConfiguration
        do { configuration = try TradingConfiguration(toml: text) } catch { throw ValidationError("\(error)") }
        var credentials: [String: VenueCredentials] = [:]
        for a in configuration.accounts where a.apiKey != nil || a.apiKeyEnv != nil {
            do {
                let c = try VenueCredentials.load(a)
                SecretRedaction.register(c.secret.text)
                if let p = c.passphrase { SecretRedaction.register(p.text) }
                credentials[a.venue] = c
            } catch {
                throw ValidationError("\(error)")
            }
        }
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
        signal(SIGINT) { _ in runInterrupted.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in runInterrupted.store(true, ordering: .relaxed) }
        signal(SIGUSR1) { _ in runKill.store(true, ordering: .relaxed) }
        let machine = Machine.current()
        var gateway = try TradingGateway(
            configuration: configuration, sim: sim, credentials: credentials, balances: riskBalances, cpus: machine.cpus,
            firstOrderSequence: UInt64(WallClock.now().raw / 1_000_000))
        let started = MonotonicClock.now()
        var nextPrint = started + .seconds(1)
        var killedAt: Nanos? = nil
        var flatAt: Nanos? = nil
        var killSequence: UInt64 = 0
        while !runInterrupted.load(ordering: .relaxed) {
            let now = MonotonicClock.now()
            if seconds > 0 && now - started >= .seconds(Int64(seconds)) { break }
            _ = gateway.pollMarket { view.market($0) }
            while let r = gateway.reports.tryConsume() { view.report(r) }
            while let d = gateway.decisions.tryConsume() { view.decision(d) }
            let due = killAfter > 0 && now - started >= .seconds(Int64(killAfter))
            if killedAt == nil && (due || runKill.load(ordering: .relaxed)) {
                killedAt = now
                killSequence += 1
                var wait = SpinThenYield()
                gateway.control.publish(ControlEvent(command: .killSwitch, issuedTime: now, sequence: killSequence), waiting: &wait)
                print("KILL SWITCH at t=\(ms(now - started)) ms: new intents stopped, open orders cancelled, positions flattened")
            }
            if let k = killedAt, flatAt == nil, view.isFlat, now - k > .milliseconds(50) {
                flatAt = now
                print("flat at t=\(ms(now - started)) ms: \(ms(now - k)) ms after the kill")
                break
            }
            if let k = killedAt, now - k > .seconds(60) {
                print("NOT FLAT 60 s after the kill")
                break
            }
            if now >= nextPrint {
                nextPrint = nextPrint + .seconds(1)
                view.printSecond(elapsed: now - started, gateway: gateway)
            }
            usleep(2_000)
        }
        gateway.stop()
        while let r = gateway.reports.tryConsume() { view.report(r) }
        while let d = gateway.decisions.tryConsume() { view.decision(d) }
        view.printSummary(elapsed: MonotonicClock.now() - started, handles: gateway.handles)
        // The closing check: each venue's balances moved exactly by the fills and fees reported.
        var ok = true
        for v in view.venues {
            guard let c = credentials[v.name], let before = start[v.name], let rest = sim ? v.simRest : v.rest else { continue }
            let after = try VenueBalances.fetch(kind: v.kind, venue: v.id, credentials: c, rest: rest, tls: tls)
            for (asset, moved) in view.expectedMoves(venue: v.id) {
                let b = before[asset] ?? "0", a = after[asset] ?? "0"
                let scale = max(VenueBalancesScale.decimals(a), VenueBalancesScale.decimals(b), moved.scale)
                // Scales are the largest of the three: both balances parse exactly.
                let delta = (try FixedPoint.parse(a, scale: scale)) - (try FixedPoint.parse(b, scale: scale))
                let expected = moved.raw * Universe.power(scale - moved.scale)
                let same = delta == expected
                ok = ok && same
                print("  \(v.name) \(asset): balance moved \(FixedPoint.string(delta, scale: scale, trimTrailingZeros: true)), fills say \(FixedPoint.string(expected, scale: scale, trimTrailingZeros: true)) \(same ? "✓" : "✗ MISMATCH")")
            }
        }
        if let k = killedAt {
            print("kill switch: fired at \(ms(k - started)) ms, \(flatAt.map { "flat \(ms($0 - k)) ms later" } ?? "not flat when the gateway stopped")")
        }
        print(ok ? "positions equal the venues' balances: yes" : "positions equal the venues' balances: NO")
        if !ok { throw ExitCode(1) }
    }
}

func ms(_ n: Nanos) -> Int64 { n.raw / 1_000_000 }

enum VenueBalancesScale {
    static func decimals(_ s: String) -> Int { s.firstIndex(of: ".").map { s.distance(from: $0, to: s.endIndex) - 1 } ?? 0 }
}
