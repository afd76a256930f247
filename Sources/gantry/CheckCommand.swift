import ArgumentParser
import Foundation
import GantryCore
import GantryEngine
import GantryLog
import GantryNet
import GantryOps

/// `gantry check`: the sanity checks `gantry run` runs on its schedule, run now from outside. Pipeline integrity
/// from the running gateway's control plane (`/status` twice, 2 s apart: journal continuity, ring lag, every book
/// live), connectivity to every venue directly (WebSocket opened, balances read over signed REST), and the balances
/// read against the gateway's baseline and the fills' moves since (from `/status`). A failure pauses the gateway
/// (`POST /pause`, until `gantry resume`), goes to the `[alerts] webhook`, and exits 1.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run the sanity checks now: pipeline integrity (from the gateway's control plane), connectivity to every venue, positions against the venues' balances; a failure pauses trading.")

    @OptionGroup var plane: ControlOptions

    @Flag(name: .long, help: "Check the simulator's endpoints (sim_*) instead of the venues'.")
    var sim = false

    func run() throws {
        StructuredLogHandler.bootstrap()
        let text: String
        do { text = try String(contentsOfFile: plane.config, encoding: .utf8) } catch { throw ValidationError("cannot read \(plane.config): \(error.localizedDescription)") }
        let configuration: TradingConfiguration
        let alerts: AlertConfiguration
        let checks: CheckConfiguration
        do {
            configuration = try TradingConfiguration(toml: text)
            alerts = try AlertConfiguration.read(toml: text)
            checks = try CheckConfiguration.read(toml: text)
        } catch { throw ValidationError("\(error)") }
        let credentials = try tradingCredentials(configuration)
        let tls = try TLSContext(clientTrusting: nil)
        let targets = VenueCheckTarget.all(configuration, credentials: credentials, sim: sim)
        var findings: [CheckFinding] = []
        // The pipeline, as the running gateway sees it.
        let client = try plane.client()
        var status: [[String: Any]] = []
        if let client {
            for k in 0..<2 {
                if k > 0 { sleep(2) }
                do { status.append(try Self.status(client, plane)) } catch {
                    findings.append(CheckFinding("pipeline", "", ok: false, "the gateway's control plane: \(error)"))
                    break
                }
            }
        } else {
            findings.append(CheckFinding("pipeline", "", ok: false, "no control plane to ask (--control, or [control] in \(plane.config))"))
        }
        if status.count == 2 {
            findings += PipelineCheck.evaluate(Self.figures(status[1]), before: Self.figures(status[0]), maxRingLag: checks.maxRingLag)
        }
        // The venues, directly.
        let reading = VenueChecks.read(targets, tls: tls)
        findings += reading.findings
        if let client, let before = status.last, let after = try? Self.status(client, plane) {
            do {
                let moves = [try Self.moves(before), try Self.moves(after)]
                findings += VenueChecks.compare(targets, read: reading.balances, baseline: Self.baseline(before), moves: moves)
            } catch {
                findings.append(CheckFinding("balances", "", ok: false, "\(error)"))
            }
        } else {
            findings.append(CheckFinding("balances", "", ok: false, "not compared: the gateway's baseline and fills are read from its control plane"))
        }
        for f in findings { print(f.line) }
        let failed = findings.filter { !$0.ok }
        guard !failed.isEmpty else {
            print("sanity check passed: \(findings.count) findings, all ✓")
            return
        }
        let why = findings.failureSummary
        print("SANITY CHECK FAILED: \(failed.count) of \(findings.count) findings")
        if let url = alerts.webhook {
            let alert = Alert(rule: .sanityCheck, subject: "gantry check", text: "sanity check failed: \(why); trading paused until gantry resume", since: MonotonicClock.now())
            let webhook = AlertWebhook(url: url, capacity: 1, attempts: alerts.webhookAttempts, backoff: alerts.webhookBackoff)
            webhook.send(AlertTransition(alert: alert, firing: true).json(wallMilliseconds: WallClock.now().raw / 1_000_000))
            webhook.stop(drain: .seconds(30))
            print(webhook.delivered.load(ordering: .relaxed) == 1 ? "alert sent to \(url)" : "! the alert could not be sent to \(url)")
        }
        if let client {
            do {
                let r = try plane.call(client, "POST", "/pause")
                print("gateway: \(r.text.trimmingCharacters(in: .whitespacesAndNewlines)) (gantry resume trades again)")
            } catch {
                print("! the gateway could not be paused: \(error)")
            }
        }
        throw ExitCode(1)
    }

    static func status(_ client: ControlClient, _ plane: ControlOptions) throws -> [String: Any] {
        let r = try plane.call(client, "GET", "/status")
        guard r.status == 200, let o = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] else {
            throw ValidationError("/status answered \(r.status): \(r.text.prefix(200))")
        }
        return o
    }

    /// The pipeline's figures from a `/status`.
    static func figures(_ s: [String: Any]) -> PipelineFigures {
        let venues = s["venues"] as? [[String: Any]] ?? []
        let journal = (s["journal"] as? [String: Any]).map { PipelineFigures.Journal(records: $0["records"] as? Int ?? 0, dropped: $0["dropped"] as? Int ?? 0) }
        let books = (s["books"] as? [[String: Any]] ?? []).map {
            PipelineFigures.Book(name: "\($0["venue"] as? String ?? "?") \($0["instrument"] as? String ?? "?")", live: $0["state"] as? String == "live")
        }
        return PipelineFigures(
            journal: journal, marketMessages: venues.reduce(0) { $0 + ($1["messages"] as? Int ?? 0) },
            rings: venues.map { .init(name: "market \($0["name"] as? String ?? "?")", lag: $0["market_ring_lag"] as? Int ?? 0) }, books: books)
    }

    /// Each venue's balance baseline from a `/status`.
    static func baseline(_ s: [String: Any]) -> [String: VenueBalances.Totals] {
        var out: [String: VenueBalances.Totals] = [:]
        for a in s["accounts"] as? [[String: Any]] ?? [] {
            guard let venue = a["venue"] as? String, let b = a["baseline"] as? [String: String] else { continue }
            out[venue] = b
        }
        return out
    }

    /// The fills' moves since the baseline, per venue, from a `/status`. - Throws: `ValidationError` for an amount
    /// that is not a decimal.
    static func moves(_ s: [String: Any]) throws -> [String: BalanceCheck.Moves] {
        var out: [String: BalanceCheck.Moves] = [:]
        for a in s["accounts"] as? [[String: Any]] ?? [] {
            guard let venue = a["venue"] as? String, let m = a["moved"] as? [String: String] else { continue }
            var moves: BalanceCheck.Moves = [:]
            for (asset, text) in m {
                let scale = BalanceCheck.decimals(text)
                do { moves[asset] = (try FixedPoint.parse(text, scale: scale), scale) } catch {
                    throw ValidationError("/status: \(venue) \(asset) moved \(text), not a decimal (\(error))")
                }
            }
            out[venue] = moves
        }
        return out
    }
}
