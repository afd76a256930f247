import ArgumentParser
import Foundation
import GantryCore
import GantryEngine
import GantryReport

/// `gantry backtest`: recorded market data through the gateway's own strategies, router and risk, the paper trader
/// as the venue; the figures at 0, 15, 25 and 40% degradation of the edge, or `--compare` of two configurations.
struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Replay recorded market data (gantry record directories, gateway journals) through the strategies, router and risk with a paper venue; or compare two configurations.")

    @Option(name: .long, help: "The configuration (as for gantry run); with --journal alone, the journaled one by default.")
    var config: String? = nil

    @Option(name: .long, parsing: .upToNextOption, help: "Recording directories (each with events.bin from gantry record).")
    var data: [String] = []

    @Option(name: .long, parsing: .upToNextOption, help: "Gateway journal directories (gantry run --journal): their market events.")
    var journal: [String] = []

    @Option(name: .long, help: "The seed of the latency draws.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "A venue's order latency as measured: VENUE=min,p50,p90,p99,max in milliseconds (decimals allowed); repeatable.")
    var latency: [String] = []

    @Option(name: .long, parsing: .upToNextOption, help: "Compare two configurations: A.toml B.toml (walk-forward windows, bootstrap interval: promote or hold).")
    var compare: [String] = []

    @Option(name: .long, help: "Walk-forward windows for --compare.")
    var windows: Int = 4

    @Option(name: .long, help: "Write the backtest's report to this HTML file: PnL per strategy as the edge degrades.")
    var report: String? = nil

    func validate() throws {
        guard !data.isEmpty || !journal.isEmpty else { throw ValidationError("--data or --journal: at least one recording or journal directory") }
        guard compare.isEmpty || compare.count == 2 else { throw ValidationError("--compare takes two configuration files") }
        guard windows >= 1 else { throw ValidationError("--windows must be ≥ 1") }
    }

    static func load(_ path: String) throws -> TradingConfiguration {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw ValidationError("cannot read \(path): \(error.localizedDescription)") }
        do { return try TradingConfiguration(toml: text) } catch { throw ValidationError("\(path): \(error)") }
    }

    /// `VENUE=min,p50,p90,p99,max` (ms).
    static func distribution(_ text: String) throws -> (String, LatencyDistribution) {
        let parts = text.split(separator: "=", maxSplits: 1)
        let values = parts.count == 2 ? parts[1].split(separator: ",").map(String.init) : []
        guard values.count == 5 else { throw ValidationError("--latency \(text): VENUE=min,p50,p90,p99,max in milliseconds") }
        var ns: [Nanos] = []
        for v in values {
            guard let micros = try? FixedPoint.parse(v, scale: 3) else { throw ValidationError("--latency \(text): \(v) is not milliseconds with at most 3 decimals") }
            ns.append(Nanos(raw: micros * 1_000))
        }
        do { return (String(parts[0]), try .measured(minimum: ns[0], p50: ns[1], p90: ns[2], p99: ns[3], maximum: ns[4])) } catch {
            throw ValidationError("--latency \(text): \(error)")
        }
    }

    func run() throws {
        var events: [MarketEvent] = []
        for dir in data {
            do { events += try readEvents(dir + "/events.bin") } catch { throw ValidationError("\(dir)/events.bin: \(error)") }
        }
        events = Backtester.timeline(events)
        var journaled: TradingConfiguration? = nil
        for dir in journal {
            let j: JournalMarket
            do { j = try JournalMarket(directory: dir) } catch { throw ValidationError("\(dir): \(error)") }
            journaled = journaled ?? j.configuration
            events = Backtester.timeline(events + j.events)
        }
        let sources = (data + journal).joined(separator: ", ")
        var latencies: [String: LatencyDistribution] = [:]
        for l in latency {
            let (venue, d) = try Self.distribution(l)
            latencies[venue] = d
        }
        print("gantry backtest: \(events.count) events from \(sources), seed \(seed)")
        if compare.count == 2 {
            let (a, b) = (try Self.load(compare[0]), try Self.load(compare[1]))
            let c = try BacktestComparison.run(a: a, b: b, events: events, windows: windows, seed: seed, latency: latencies)
            for (k, w) in c.windows.enumerated() {
                print("  window \(k + 1): A \(FixedPoint.string(w.a, scale: 2)), B \(FixedPoint.string(w.b, scale: 2))")
            }
            print(String(format: "  B − A per sample: mean %.2f ¢, %d%% interval [%.2f, %.2f] ¢ over %d samples", c.meanDifference, c.confidencePercent, c.low, c.high, c.samples))
            print("  verdict: \(c.verdict.rawValue) \(c.verdict == .promote ? "(B is better: the whole interval is above zero)" : "(not shown better)")")
            return
        }
        let configuration: TradingConfiguration
        if let config {
            configuration = try Self.load(config)
        } else if let journaled {
            configuration = journaled
        } else if journal.isEmpty {
            configuration = try Self.load("config/trading-demo.toml")
        } else {
            throw ValidationError("--config: the journals hold no configuration")
        }
        let configName = config ?? (journal.isEmpty ? "config/trading-demo.toml" : "the journaled configuration")
        print("  strategy      degrade       PnL   drawdown   Sharpe   orders  fills  fill%  turnover")
        var runs: [(percent: Int64, strategies: [(name: String, pnlCents: Int64)])] = []
        var replayRates: [Int64] = []
        for degrade in [0, 15, 25, 40] {
            let began = MonotonicClock.now()
            let r = try Backtester.run(configuration, events: events, seed: seed, latency: latencies, degradePercent: Int64(degrade))
            let took = max((MonotonicClock.now() - began).raw, 1)
            replayRates.append(Int64(events.count) * 1_000_000_000 / took)
            runs.append((Int64(degrade), r.strategies.map { ($0.name, $0.pnlCents) }))
            for s in r.strategies {
                func pad(_ t: String, _ n: Int) -> String { String(repeating: " ", count: max(n - t.count, 0)) + t }
                print(
                    "  " + s.name.padding(toLength: 12, withPad: " ", startingAt: 0) + pad("\(degrade)%", 8) + pad(FixedPoint.string(s.pnlCents, scale: 2), 10)
                        + pad(FixedPoint.string(s.maximumDrawdownCents, scale: 2), 11) + pad(String(format: "%.2f", s.sharpe), 9) + pad("\(s.orders)", 9)
                        + pad("\(s.fills)", 7) + pad("\(s.fillRatioPercent)%", 7) + pad(FixedPoint.string(s.turnoverHundredths, scale: 2), 10))
            }
        }
        print("  replay: \(replayRates.map { "\($0 / 1_000) k" }.joined(separator: ", ")) events/s (one run per degradation)")
        if let path = report {
            var page = GatewayReport(title: "Gantry: backtest of \(configName)")
            page.note("\(events.count) recorded events from \(sources), seed \(seed).")
            page.degradation(runs)
            do { try page.html.write(toFile: path, atomically: true, encoding: .utf8) } catch { throw ValidationError("\(path): \(error.localizedDescription)") }
            print("  report: \(path)")
        }
    }
}
