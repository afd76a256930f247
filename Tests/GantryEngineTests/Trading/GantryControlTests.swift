import Foundation
import GantryCore
import GantryOps
import GantryTestSupport
import Testing
import VenueSim

/// `gantry run` with `[control]` against the three simulated venues: the HTTP control plane scraped, refused, used
/// from the command line and from its dashboard in headless Chromium, whose kill button flattens everything.
@Suite("gantry run's control plane, end to end", .serialized)
struct GantryControlTests {
    static let token = "control-plane-e2e-token-0123456789"

    /// A gateway run in a directory of its own: its process, output file, the control URL it printed.
    final class Gateway {
        let process = Process()
        let dir: URL
        let output: URL
        let handle: FileHandle
        let binary: String
        let sim: SimulatorThread

        /// - Parameters:
        ///   - faults: `[[faults]]` tables for the simulator; `extra`: tables added to the gateway's configuration;
        ///     `arguments`: more arguments of `gantry run` (run in the gateway's directory).
        init(tokenMode: mode_t = 0o600, seconds: Int, faults: String = "", extra: String = "", arguments: [String] = []) throws {
            binary = try #require(gantryExecutable(), "the gantry executable must be built first (make test builds it)")
            EndToEndTests.setSecrets()
            let simulator = try SimConfiguration(toml: EndToEndTests.simTOML + "\n" + faults).makeSimulator(anyPorts: true)
            sim = SimulatorThread(simulator)
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-control-\(getpid())-\(MonotonicClock.now().raw % 1_000_000)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let token = dir.appendingPathComponent("control.token").path
            try (GantryControlTests.token + "\n").write(toFile: token, atomically: false, encoding: .utf8)
            chmod(token, tokenMode)
            let config = dir.appendingPathComponent("gantry.toml")
            let control = "\n[control]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"\(token)\"\n"
            output = dir.appendingPathComponent("output.txt")
            try (EndToEndTests.gatewayTOML(binance: simulator.venues[0], okx: simulator.venues[1], bybit: simulator.venues[2]) + control + extra)
                .write(to: config, atomically: true, encoding: .utf8)
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            handle = try FileHandle(forWritingTo: output)
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["run", "--sim", "--config", config.path, "--seconds", "\(seconds)", "--control-socket", dir.appendingPathComponent("control.sock").path] + arguments
            process.currentDirectoryURL = dir
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        var text: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
        var config: String { dir.appendingPathComponent("gantry.toml").path }

        /// The control plane's URL, once the gateway printed it.
        func url(timeout: Double = 20) -> String? {
            let deadline = MonotonicClock.now() + Nanos(raw: Int64(timeout * 1e9))
            while MonotonicClock.now() < deadline && process.isRunning {
                if let line = text.split(separator: "\n").first(where: { $0.contains("control plane: http://") }),
                    let u = line.split(separator: " ").first(where: { $0.hasPrefix("http://") })
                {
                    return String(u)
                }
                usleep(50_000)
            }
            return nil
        }

        /// Runs a gantry command to its end. - Returns: its status and output.
        func gantry(_ arguments: [String]) throws -> (status: Int32, output: String) { try runToEnd(binary, arguments) }

        func finish() -> Int32 {
            if process.isRunning { process.interrupt() }
            process.waitUntilExit()
            try? handle.close()
            sim.stop()
            try? FileManager.default.removeItem(at: dir)
            return process.terminationStatus
        }
    }

    /// GET `path` with curl (an HTTP client of its own); the body and the status code.
    static func curl(_ url: String, token: String? = nil) throws -> (status: Int, body: String) {
        var arguments = ["-s", "-m", "10", "-w", "\n%{http_code}", url]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        let (status, out) = try runToEnd("/usr/bin/curl", arguments)
        guard status == 0, let nl = out.lastIndex(of: "\n") else { return (0, out) }
        return (Int(out[out.index(after: nl)...]) ?? 0, String(out[..<nl]))
    }

    /// Polls `/status` until the gateway has filled orders and has its three books live (at most 30 s).
    static func waitForTrading(_ client: ControlClient) -> [String: Any] {
        var live: [String: Any] = [:]
        let deadline = MonotonicClock.now() + .seconds(30)
        while MonotonicClock.now() < deadline {
            if let r = try? client.request("GET", "/status"), r.status == 200, let s = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] {
                live = s
                let fills = (s["counts"] as? [String: Any])?["fills"] as? Int ?? 0
                let books = (s["books"] as? [[String: Any]] ?? []).filter { $0["state"] as? String == "live" }.count
                if fills > 0 && books >= 3 { break }
            }
            usleep(250_000)
        }
        return live
    }

    @Test("gantry kill through the HTTP control plane prints the kill report as it happens, each step timed, and exits 0 once flat and verified")
    func killCommand() throws {
        let g = try Gateway(seconds: 90)
        var status: Int32 = -1
        defer { if status == -1 { _ = g.finish() } }
        let url = try #require(g.url(), "no control plane URL printed:\n\(g.text)")
        let live = Self.waitForTrading(try ControlClient(url: url, token: Secret(Self.token)))
        #expect(((live["counts"] as? [String: Any])?["fills"] as? Int ?? 0) > 0, "the gateway filled orders")
        let killed = try g.gantry(["kill", "--control", url, "--config", g.config])
        g.process.waitUntilExit()
        let said = g.text
        status = g.finish()
        print("gantry kill over HTTP said:\n\(killed.output)")
        #expect(killed.status == 0, "gantry kill said:\n\(killed.output)")
        let lines = killed.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "kill switch fired" && lines.last?.hasPrefix("result: ok") == true)
        #expect(killed.output.contains("orders cancelled at every venue +") && killed.output.contains("every position flat (risk's ledger) +"))
        #expect(killed.output.contains("flatness verified against the venues' balances +") && killed.output.contains("kill report: {\"fired_by\":\"control plane\""))
        #expect(status == 0 && said.contains("KILL SWITCH (control plane)") && said.contains("positions equal the venues' balances: yes"), "gantry run said:\n\(said.suffix(2_000))")
        #expect(!said.contains(Self.token) && !killed.output.contains(Self.token))
    }

    @Test("a token file others can read is refused at start, before any venue is contacted; the token is not printed")
    func looseTokenRefused() throws {
        let g = try Gateway(tokenMode: 0o644, seconds: 20)
        g.process.waitUntilExit()
        let said = g.text
        let status = g.finish()
        #expect(status != 0 && said.contains("must be mode 0600"), "gantry run said:\n\(said)")
        #expect(!said.contains(Self.token) && !said.contains("balances"))
    }

    @Test("/metrics scraped by curl passes promtool check metrics with live figures; 401 without the token; gantry status, pause and resume; the dashboard in headless Chromium shows live data and its kill button flattens everything, verified")
    func dashboardKill() throws {
        let g = try Gateway(seconds: 90)
        var status: Int32 = -1
        defer { if status == -1 { _ = g.finish() } }
        let url = try #require(g.url(), "no control plane URL printed:\n\(g.text)")
        let client = try ControlClient(url: url, token: Secret(Self.token))
        // Trading: wait until the gateway has books and fills.
        let live = Self.waitForTrading(client)
        #expect(((live["counts"] as? [String: Any])?["fills"] as? Int ?? 0) > 0, "the gateway filled orders: \(live)")
        // The metrics: a real client, no token, promtool's check.
        let metrics = try Self.curl(url + "/metrics")
        #expect(metrics.status == 200)
        for family in [
            "gantry_stage_latency_seconds_bucket{stage=\"ingest\",le=\"+Inf\"}", "gantry_venue_order_round_trip_seconds_count{venue=\"binance\"}",
            "gantry_resyncs_total{venue=\"okx\"}", "gantry_feed_reconnects_total", "gantry_order_queue_size ", "gantry_pnl{strategy=\"arb\",pair=\"BTC/USDT\"}",
            "gantry_drawdown{strategy=\"ma\"", "gantry_decisions_total{outcome=\"approved\"}", "gantry_book_live{venue=\"bybit\"", "gantry_ring_lag{ring=\"market\"",
            "gantry_kill_switch_state{state=\"armed\"} 1", "gantry_open_orders{venue=\"okx\"}", "gantry_venue_order_last_round_trip_seconds{venue=\"binance\"}",
        ] {
            #expect(metrics.body.contains(family), "/metrics has \(family)")
        }
        if let promtool = promtoolExecutable(for: "GantryControlTests") {
            let (checked, said) = try promtoolCheckMetrics(promtool, metrics.body)
            #expect(checked == 0, "promtool check metrics said: \(said)")
        }
        #expect(try Self.curl(url + "/status").status == 401, "no token")
        #expect(try Self.curl(url + "/status", token: "not-the-token").status == 401, "a wrong token")
        // The terminal's view and the commands.
        let plane = ["--control", url, "--token-file", g.dir.appendingPathComponent("control.token").path]
        let shown = try g.gantry(["status"] + plane)
        #expect(shown.status == 0 && shown.output.contains("books:") && shown.output.contains(": live") && shown.output.contains("kill switch armed"), "gantry status said:\n\(shown.output)")
        #expect(try g.gantry(["pause"] + plane).output.contains("paused"))
        #expect(try client.request("GET", "/status").text.contains("\"paused\":true"))
        let resumed = try g.gantry(["resume", "--control", url, "--config", g.config])
        #expect(resumed.output.contains("resumed"), "the token file from [control]: \(resumed.output)")
        // The dashboard in headless Chromium.
        guard let chromium = chromiumExecutable(for: "GantryControlTests") else { return }
        let page = try DevToolsPage(chromium: chromium, url: url + "/", profile: g.dir.appendingPathComponent("chromium"))
        defer { page.close() }
        #expect(page.wait(until: "document.getElementById('login').style.display !== 'none'", timeout: 10), "the page asks for the token")
        try page.click("#token")
        try page.type(Self.token)
        try page.click("#connect")
        #expect(page.wait(until: "Number(document.body.dataset.updates || 0) >= 2", timeout: 15), "the page polled /status")
        let books = try page.evaluate("document.getElementById('books').innerText") as? String ?? ""
        #expect(books.contains("binance") && books.contains("okx") && books.contains("bybit") && books.contains("live"), "books shown live:\n\(books)")
        let positions = try page.evaluate("document.getElementById('positions').innerText") as? String ?? ""
        #expect(positions.contains("arb") && positions.contains("BTC/USDT"), "positions shown:\n\(positions)")
        let latency = try page.evaluate("document.getElementById('latency').innerText") as? String ?? ""
        #expect(latency.contains("ingest") && latency.contains("µs"), "latencies shown:\n\(latency)")
        #expect(try page.evaluate("document.querySelectorAll('#pnl-chart polyline').length") as? Int == 3, "a PnL line per strategy")
        #expect(try page.evaluate("sessionStorage.getItem('gantry-token') !== null") as? Bool == true)
        #expect(try page.evaluate("document.getElementById('state').textContent") as? String == "TRADING")
        // The kill button: a confirmation, then the kill through the page's own POST /kill.
        try page.click("#kill")
        #expect(page.dialogs.count == 1 && page.dialogs.first?.contains("kill switch") == true, "the button asked for confirmation: \(page.dialogs)")
        let flat = page.wait(until: "['flat', 'verified'].includes(document.getElementById('kill-state').dataset.state)", timeout: 20)
        #expect(flat, "the page shows the kill flat: \((try? page.evaluate("document.body.innerText")) ?? "")\n\(g.text.suffix(3_000))")
        let report = try page.evaluate("document.getElementById('kill-report').innerText") as? String ?? ""
        #expect(report.contains("every position flat"), "the page shows the kill report:\n\(report)")
        if let shot = try? page.screenshot() { try? shot.write(to: URL(fileURLWithPath: NSTemporaryDirectory() + "gantry-dashboard.png")) }
        page.close()
        g.process.waitUntilExit()
        let said = g.text
        status = g.finish()
        #expect(status == 0, "gantry run failed:\n\(said.suffix(3_000))")
        #expect(said.contains("KILL SWITCH (control plane)") && said.contains("every position flat") && said.contains("flatness verified against the venues' balances"))
        #expect(said.contains("positions equal the venues' balances: yes") && said.contains("BTC over all venues: moved 0 ✓"))
        #expect(!said.contains(Self.token), "the token never reaches the output")
    }
}
