import ArgumentParser
import Foundation
import GantryCore
import GantryOps

/// Where the HTTP control plane of a running gateway is, and its token: `--control` and `--token-file`, else the
/// `[control]` table of `--config`.
struct ControlOptions: ParsableArguments {
    @Option(name: .long, help: "The control plane's URL, http://ADDRESS:PORT (default: [control] listen of --config).")
    var control: String? = nil

    @Option(name: .long, help: "The file (mode 0600) holding the control token (default: [control] token_file of --config).")
    var tokenFile: String? = nil

    @Option(name: .long, help: "The configuration whose [control] table names the URL and the token file.")
    var config: String = "config/gantry.example.toml"

    /// The client, or nil when neither the options nor the configuration name a control plane.
    /// - Throws: `ValidationError` for an unreadable configuration, a bad URL, or a token file that is missing,
    ///   empty or not 0600.
    func client() throws -> ControlClient? {
        var configured: ControlConfiguration? = nil
        if control == nil || tokenFile == nil, let text = try? String(contentsOfFile: config, encoding: .utf8) {
            do { configured = try ControlConfiguration.read(toml: text) } catch { throw ValidationError("\(config): \(error)") }
        }
        guard let url = control ?? configured?.url else { return nil }
        guard let file = tokenFile ?? configured?.tokenFile else {
            throw ValidationError("no token file: --token-file, or [control] token_file in \(config)")
        }
        do {
            let token = try Secret.load(env: nil, file: file, who: "control token")
            return try ControlClient(url: url, token: token)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The client, or a clear error when there is no control plane to talk to.
    func requireClient() throws -> ControlClient {
        guard let c = try client() else { throw ValidationError("no control plane: --control URL, or a [control] table in \(config)") }
        return c
    }

    /// Sends a request; a refusal (401) or an unreachable gateway is a clear error.
    func call(_ client: ControlClient, _ method: String, _ path: String, timeout: Int = 10, line: (String) -> Void = { _ in }) throws -> ControlClient.Response {
        let r: ControlClient.Response
        do { r = try client.request(method, path, timeout: timeout, line: line) } catch { throw ValidationError("\(error)") }
        if r.status == 401 { throw ValidationError("the gateway refused the token (401): check --token-file / [control] token_file") }
        return r
    }
}

/// `gantry pause` and `gantry resume`: the control plane's `POST /pause` and `POST /resume`.
struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause a running gateway's new entries (hedges and flattening go on) through its control plane.")
    @OptionGroup var plane: ControlOptions
    func run() throws { try post(plane, "/pause") }
}

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume a paused gateway's trading through its control plane.")
    @OptionGroup var plane: ControlOptions
    func run() throws { try post(plane, "/resume") }
}

func post(_ plane: ControlOptions, _ path: String) throws {
    let r = try plane.call(try plane.requireClient(), "POST", path)
    print(r.text.trimmingCharacters(in: .whitespacesAndNewlines))
    if r.status != 200 { throw ExitCode(1) }
}

/// `gantry status`: the dashboard's view in the terminal (`GET /status`), or its JSON with `--json`.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a running gateway's state through its control plane: books, latencies, positions, PnL and drawdown, open orders, vetoes, alerts, the kill switch.")
    @OptionGroup var plane: ControlOptions

    @Flag(name: .long, help: "Print /status's JSON as it came.")
    var json = false

    @Option(name: .long, help: "Where kill drills are recorded (drills.jsonl; GANTRY_STATE_DIR, else /var/lib/gantry).")
    var stateDir: String = defaultStateDirectory

    func run() throws {
        // The last kill drill (gantry kill --drill), shown even when no gateway answers.
        if !json {
            print(KillDrill.summary(in: stateDir))
            fflush(nil)
        }
        let r = try plane.call(try plane.requireClient(), "GET", "/status")
        guard r.status == 200 else {
            print("status \(r.status): \(r.text)")
            throw ExitCode(1)
        }
        if json {
            print(r.text, terminator: "")
            return
        }
        guard let s = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] else { throw ValidationError("/status did not answer a JSON object") }
        print(StatusText(s).lines.joined(separator: "\n"))
    }
}

/// `/status`'s JSON as text for a terminal.
struct StatusText {
    var lines: [String] = []

    init(_ s: [String: Any]) {
        func list(_ key: String, in o: [String: Any] = [:]) -> [[String: Any]] { ((o.isEmpty ? s : o)[key] as? [Any] ?? []).compactMap { $0 as? [String: Any] } }
        func text(_ v: Any?) -> String { v.map { $0 is NSNull ? "–" : "\($0)" } ?? "–" }
        let kill = s["kill"] as? [String: Any] ?? [:]
        let paused = (s["paused"] as? Bool) == true
        lines.append("gateway t=\(text(s["time_ms"])) ms  trading \(paused ? "PAUSED" : "on")  kill switch \(text(kill["state"]))  order queue \(text(s["order_queue"]))")
        lines.append("books:")
        for b in list("books") { lines.append("  \(text(b["venue"])) \(text(b["instrument"])): \(text(b["state"]))  bid \(text(b["bid"])) ask \(text(b["ask"]))  top changed \(text(b["age_ms"])) ms ago") }
        lines.append("stage latencies (bucket bounds, µs):")
        for l in list("latency") { lines.append("  \(text(l["stage"])): n=\(text(l["count"])) p50 ≤ \(text(l["p50_us"])) p99 ≤ \(text(l["p99_us"]))") }
        lines.append("venues:")
        for v in list("venues") { lines.append("  \(text(v["name"])): \(text(v["messages"])) messages, \(text(v["resyncs"])) resyncs, \(text(v["reconnects"])) reconnects, order entry \(text(v["order_entry"])), round trip \(text(v["round_trip_ms"])) ms") }
        lines.append("strategies:")
        for st in list("strategies") {
            lines.append("  \(text(st["name"])): PnL \(text(st["pnl"])), drawdown \(text(st["drawdown"]))")
            for p in list("pairs", in: st) { lines.append("    \(text(p["pair"])): position \(text(p["position"])), PnL \(text(p["pnl"])), drawdown \(text(p["drawdown"]))") }
        }
        let orders = list("open_orders")
        lines.append("open orders: \(orders.count)")
        for o in orders.prefix(20) { lines.append("  \(text(o["client_order_id"])) \(text(o["venue"])) \(text(o["instrument"])) \(text(o["side"])) \(text(o["quantity"])) @ \(text(o["price"])) filled \(text(o["filled"])) \(text(o["status"]))") }
        let vetoes = (s["vetoes"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\(text($0.value))" }
        lines.append("vetoes: \(vetoes.isEmpty ? "none" : vetoes.joined(separator: " "))")
        let alerts = list("alerts")
        lines.append("alerts: \(alerts.isEmpty ? "none" : "")")
        for a in alerts { lines.append("  [\(text(a["level"]))] \(text(a["text"]))") }
        if let c = s["checks"] as? [String: Any] {
            lines.append("sanity checks: \(text(c["run"])) run, \(text(c["failed"])) failed, next in \(text(c["next_in_ms"])) ms\(c["failure"] is String ? ": FAILED (\(text(c["failure"])))" : "")")
        }
        let report = kill["lines"] as? [String] ?? []
        if !report.isEmpty {
            lines.append("kill report (\(text(kill["fired_by"]))):")
            lines += report.map { "  " + $0 }
        }
    }
}
