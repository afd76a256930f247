import Foundation
import GantryCore
import GantryEngine
import GantryLog
import GantryOps

/// `gantry run`'s control plane: the HTTP server of `[control]` (GantryOps.ControlServer, on its own thread) and
/// the watching thread's side of it. The watching thread calls `serve` in its loop; every answer (status,
/// metrics, commands) is rendered there, from the view and the gateway's handles, so nothing of the gateway is
/// read from the server's thread. Kill-report lines go to the exchange for clients following the report.
final class ControlPlane {
    let exchange = ControlExchange()
    let server: ControlServer?
    var paused = false
    let started: Nanos
    /// The alerts and sanity checks, shown on `/status`, the dashboard and `/metrics` (set by `gantry run`).
    var alerting: RunAlerts? = nil

    /// Starts the server when the configuration has `[control]`; without it the plane only keeps the kill report.
    /// - Throws: `ValidationError`-worthy failures as text: a token file that is missing, empty or not 0600, an
    ///   address that cannot be bound.
    init(_ configuration: ControlConfiguration?, started: Nanos) throws {
        self.started = started
        guard let configuration else {
            server = nil
            url = nil
            return
        }
        let token = try configuration.loadToken()
        SecretRedaction.register(token.text)  // the log never shows it
        let s = try ControlServer(host: configuration.host, port: configuration.port, token: token, page: Dashboard.page, exchange: exchange)
        s.start()
        server = s
        url = ControlConfiguration(host: configuration.host, port: s.port, tokenFile: configuration.tokenFile).url
    }

    /// The URL the server listens on, when it runs.
    let url: String?

    /// The figures of the gateway's rings and feeds that the answers need, read by the watching thread.
    struct Rings {
        var markets: [(venue: String, lag: Int, counters: LiveCounters.Snapshot)] = []
        var reports = 0
        var decisions = 0
        var live: TradingLive
        /// The bus's figures, in a role of a gateway split over the bus (empty in one process).
        var bus: GatewayBusBoards

        init(_ gateway: borrowing TradingGateway) {
            bus = gateway.bus
            markets = gateway.marketFigures()
            reports = gateway.reports.lag
            decisions = gateway.decisions.lag
            live = gateway.handles.live
        }
    }

    /// Whether a client waits for an answer.
    var waiting: Bool { server != nil && exchange.hasPending }

    /// Answers every waiting request: status and metrics rendered here, commands through `command` (the same
    /// handling as the control socket's: "kill", "pause", "resume"; it returns the answer line).
    func serve(view: GatewayView, rings: Rings, kill: KillReport?, now: Nanos, command: (String) -> String) {
        exchange.serve { c in
            switch c {
            case .status:
                return ControlReply(.json(status(view: view, rings: rings, kill: kill, now: now)))
            case .metrics:
                return ControlReply(ControlAnswer(status: 200, contentType: PrometheusText.contentType, body: metrics(view: view, rings: rings, kill: kill)))
            case .kill:
                let before = exchange.killLineCount
                let answer = command("kill")
                // A kill fired now: what comes after its first line; one fired before: its report from the start.
                return ControlReply(.text(answer), streamKillReportFrom: before > 0 ? 0 : exchange.killLineCount)
            case .pause, .resume:
                return ControlReply(.text(command(c.rawValue)))
            }
        }
    }

    /// The kill report's state, as `/status` and the metrics name it.
    func killState(_ kill: KillReport?) -> String {
        guard let kill else { return "armed" }
        if kill.verified != nil { return "verified" }
        if exchange.killReportFinished { return "failed" }
        if kill.flat != nil { return "flat" }
        if kill.cancelsDone != nil { return "cancelled" }
        return "fired"
    }

    /// The final status and metrics, once the run's closing check is done: served as they are until the server
    /// stops (commands are then refused).
    func settle(view: GatewayView, rings: Rings, kill: KillReport?, now: Nanos) {
        guard server != nil else { return }
        exchange.settle(
            status: .json(status(view: view, rings: rings, kill: kill, now: now)),
            metrics: ControlAnswer(status: 200, contentType: PrometheusText.contentType, body: metrics(view: view, rings: rings, kill: kill)))
        settledAfterKill = kill != nil
    }
    var settledAfterKill = false

    /// Ends the kill report (followers get the rest, then their connections close), waits a little for them, and
    /// stops the server. After a kill, the final status is served for 2 s more, so that a dashboard polling each
    /// second shows how the kill ended.
    func stop() {
        exchange.finishKillReport()
        server?.waitForFollowers(timeout: .seconds(2))
        if settledAfterKill { usleep(2_000_000) }
        server?.stop()
    }
}
