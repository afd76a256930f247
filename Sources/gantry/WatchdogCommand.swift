import ArgumentParser
import Foundation
import GantryCore
import GantryEngine
import GantryLog
import GantryNet
import GantryOps
import Glibc
import Synchronization

/// `gantry watchdog`: a process apart from the gateway that polls its control plane (`GET /status` with the token)
/// and watches its pid; when the gateway stops answering (`--misses` polls in a row) or its process is gone, it
/// cancels every open order directly at each configured venue with that venue's own mass cancel (`VenueSweep`),
/// checks that no open order is left, and reports each step with its time. It never places an order.
struct WatchdogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watchdog",
        abstract: "Watch a running gateway through its control plane; if it stops answering, cancel every open order directly at each venue and report.")

    @OptionGroup var plane: ControlOptions

    @Flag(name: .long, help: "Use the venues' simulator endpoints (sim_rest_endpoint), as gantry run --sim.")
    var sim = false

    @Option(name: .long, help: "The gateway's process id: its end counts at once (without it, only the polls tell).")
    var pid: Int32? = nil

    @Option(name: .long, help: "Poll /status this often (milliseconds).")
    var intervalMs: Int = 250

    @Option(name: .long, help: "This many failed polls in a row mean the gateway stopped answering.")
    var misses: Int = 4

    @Option(name: .long, help: "Wait this long (seconds) for the gateway's first answer before giving up (0: for ever, as under systemd).")
    var waitFirst: Int = 60

    @Option(name: .long, help: "Keep retrying the venues this long (seconds) after the gateway stopped answering.")
    var deadline: Int = 30

    @Flag(name: .long, help: "Do not watch: cancel every open order at every venue now (an operator's last resort).")
    var now = false

    func validate() throws {
        guard intervalMs >= 10, misses >= 1, waitFirst >= 0, deadline >= 1 else {
            throw ValidationError("--interval-ms ≥ 10, --misses ≥ 1, --wait-first ≥ 0, --deadline ≥ 1")
        }
    }

    func run() throws {
        StructuredLogHandler.bootstrap()
        let text: String
        do { text = try String(contentsOfFile: plane.config, encoding: .utf8) } catch { throw ValidationError("cannot read \(plane.config): \(error.localizedDescription)") }
        let venues: [SweepVenue]
        do {
            let configuration = try TradingConfiguration(toml: text)
            var credentials: [String: VenueCredentials] = [:]
            for a in configuration.accounts where a.apiKey != nil || a.apiKeyEnv != nil {
                let c = try VenueCredentials.load(a)
                SecretRedaction.register(c.secret.text)
                if let p = c.passphrase { SecretRedaction.register(p.text) }
                credentials[a.venue] = c
            }
            venues = try SweepVenue.configured(configuration, sim: sim, credentials: credentials)
        } catch {
            throw ValidationError("\(error)")
        }
        guard !venues.isEmpty else { throw ValidationError("\(plane.config): no venue with a trading account to watch over") }
        let tls = try TLSContext(clientTrusting: nil)
        let reason: String
        if now {
            reason = "operator (--now)"
        } else {
            reason = try watch(try plane.requireClient(), venues: venues)
        }
        let ok = Watchdog(venues: venues, tls: tls, deadline: .seconds(Int64(deadline))).sweep(reason: reason) { line in
            print(line)
            fflush(nil)
        }
        if !ok { throw ExitCode(1) }
    }

    /// Polls the gateway until it stops answering. - Returns: why it is judged gone.
    func watch(_ client: ControlClient, venues: [SweepVenue]) throws -> String {
        let started = MonotonicClock.now()
        var answered = false
        var missed = 0
        var lastAnswer = started
        let interval = Nanos.milliseconds(Int64(intervalMs))
        while true {
            let t = MonotonicClock.now()
            if let pid, let gone = Self.processGone(pid) {
                return "process \(pid) \(gone) (last answer \(Self.ms(t - lastAnswer)) ago)"
            }
            do {
                let r = try client.request("GET", "/status", timeout: 1)
                if r.status == 401 { throw ValidationError("the gateway refused the token (401): check --token-file / [control] token_file") }
                if r.status == 200 {
                    if !answered {
                        print("watchdog: watching \(client.host):\(client.port) every \(intervalMs) ms\(pid.map { " and process \($0)" } ?? ""); \(misses) missed polls fire it; venues: \(venues.map(\.name).joined(separator: ", "))")
                        fflush(nil)
                    }
                    answered = true
                    missed = 0
                    lastAnswer = MonotonicClock.now()
                } else {
                    missed += 1
                }
            } catch let e as ValidationError {
                throw e
            } catch {
                missed += 1
            }
            if answered && missed >= misses { return "\(missed) polls missed (last answer \(Self.ms(MonotonicClock.now() - lastAnswer)) ago)" }
            if !answered && waitFirst > 0 && MonotonicClock.now() - started > .seconds(Int64(waitFirst)) {
                throw ValidationError("the gateway at \(client.host):\(client.port) never answered within \(waitFirst) s")
            }
            let next = t + interval
            let left = next - MonotonicClock.now()
            if left > .zero { usleep(UInt32(left.raw / 1_000)) }
        }
    }

    /// Why the process is gone ("is gone", "is a zombie"), or nil while it lives.
    static func processGone(_ pid: Int32) -> String? {
        if kill(pid, 0) != 0 && errno == ESRCH { return "is gone" }
        // A killed child not yet reaped still answers kill(pid, 0): its state in /proc says it is dead.
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") {
            let state = stat[stat.index(after: close)...].drop(while: { $0 == " " }).first
            if state == "Z" || state == "X" { return "is dead (not yet reaped)" }
        }
        return nil
    }

    static func ms(_ d: Nanos) -> String { "\(max(d.raw, 0) / 1_000_000) ms" }
}
