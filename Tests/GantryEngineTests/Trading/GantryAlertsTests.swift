import Foundation
import GantryCore
import GantryOps
import GantryTestSupport
import Testing

/// `gantry run` against the three simulated venues with a scheduled sanity check and an alert webhook, while
/// VenueSim changes a balance behind the gateway's back.
@Suite("gantry run's sanity checks and alerts, end to end", .serialized)
struct GantryAlertsTests {
    static func status(_ client: ControlClient) -> [String: Any] {
        guard let r = try? client.request("GET", "/status"), r.status == 200 else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any]) ?? [:]
    }

    static func approved(_ s: [String: Any]) -> Int { (s["counts"] as? [String: Any])?["approved"] as? Int ?? -1 }

    @Test("VenueSim adds 0.5 BTC to the OKX account: the scheduled check finds it, the alert reaches the webhook (through a failed first attempt), trading pauses with no new entry, gantry check finds it too, and trading resumes only after gantry resume")
    func balanceDiscrepancyPausesTrading() throws {
        let began = MonotonicClock.now()
        let listener = try WebhookListener(failing: 1)
        defer { listener.stop() }
        let fault = "[[faults]]\nkind = \"balance\"\nvenue = \"okx\"\nstart_ms = 2000\nasset = \"BTC\"\namount = \"0.5\"\n"
        let extra = """

            [alerts]
            webhook = "\(listener.url)"
            webhook_backoff = "100ms"
            resolve_after = "1s"

            [checks]
            every = "12s"

            """
        let g = try GantryControlTests.Gateway(seconds: 45, faults: fault, extra: extra, arguments: ["--journal", "journal"])
        var exit: Int32 = -1
        defer { if exit == -1 { _ = g.finish() } }
        let url = try #require(g.url(), "no control plane URL printed:\n\(g.text)")
        let client = try ControlClient(url: url, token: Secret(GantryControlTests.token))
        // The first check, 12 s in, finds the discrepancy and pauses trading.
        var paused: [String: Any] = [:]
        let deadline = MonotonicClock.now() + .seconds(40)
        while MonotonicClock.now() < deadline {
            let s = Self.status(client)
            if s["paused"] as? Bool == true {
                paused = s
                break
            }
            usleep(200_000)
        }
        let checks = paused["checks"] as? [String: Any] ?? [:]
        let failure = checks["failure"] as? String ?? ""
        #expect(failure.contains("balances okx BTC: balance moved"), "the check names the discrepancy: \(checks)\n\(g.text.suffix(3_000))")
        #expect((paused["alerts"] as? [[String: Any]] ?? []).contains { $0["alert"] as? String == "sanity_check_failed" }, "the alerts panel shows it")
        // The webhook got it, after a failed first attempt.
        let hooks = listener.wait(for: 1, timeout: 10)
        let hook = hooks.first { $0.contains(#""alert":"sanity_check_failed""#) } ?? ""
        #expect(hook.contains(#""state":"firing""#) && hook.contains("okx BTC") && hook.contains(#""severity":"critical""#), "the webhook received: \(hooks)")
        #expect(listener.attempts >= 2, "the first attempt failed and was retried")
        let metrics = try GantryControlTests.curl(url + "/metrics").body
        #expect(metrics.contains("gantry_alerts_total{alert=\"sanity_check_failed\"} 1") && metrics.contains("gantry_sanity_check_failed 1"))
        #expect(metrics.contains("gantry_sanity_checks_total{result=\"failed\"} 1") && metrics.contains("gantry_journal_records_total"))
        if let promtool = promtoolExecutable(for: "GantryAlertsTests") {
            let (checked, said) = try promtoolCheckMetrics(promtool, metrics)
            #expect(checked == 0, "promtool check metrics said: \(said)")
        }
        // Paused: no new approved entry (what was in flight settles first).
        usleep(1_000_000)
        let before = Self.approved(Self.status(client))
        usleep(3_000_000)
        let still = Self.status(client)
        #expect(Self.approved(still) == before && still["paused"] as? Bool == true, "no new entry while paused: \(before) → \(Self.approved(still))")
        // gantry check, from outside, finds the same discrepancy (and would pause).
        let plane = ["--control", url, "--token-file", g.dir.appendingPathComponent("control.token").path]
        let checked = try g.gantry(["check", "--sim", "--config", g.config] + plane)
        #expect(checked.status == 1 && checked.output.contains("✗ balances okx BTC: balance moved"), "gantry check said:\n\(checked.output)")
        #expect(checked.output.contains("✓ connectivity okx websocket") && checked.output.contains("✓ pipeline journal"), "gantry check said:\n\(checked.output)")
        // Resumed by the operator: trading again.
        let resumed = try g.gantry(["resume"] + plane)
        #expect(resumed.output.contains("resumed"))
        var after = before
        let tradeDeadline = MonotonicClock.now() + .seconds(15)
        while MonotonicClock.now() < tradeDeadline && after <= before {
            usleep(250_000)
            after = Self.approved(Self.status(client))
        }
        #expect(after > before, "approved entries again after gantry resume: \(before) → \(after)")
        var resolved = listener.received
        let resolveDeadline = MonotonicClock.now() + .seconds(20)
        let sanityResolved = { (body: String) in body.contains(#""alert":"sanity_check_failed""#) && body.contains(#""state":"resolved""#) }
        while MonotonicClock.now() < resolveDeadline && !resolved.contains(where: sanityResolved) {
            usleep(100_000)
            resolved = listener.received
        }
        #expect(resolved.contains(where: sanityResolved), "the alert resolved: \(resolved)")
        // The run ends by itself (--seconds 45): a child of the test runner may not get SIGINT.
        g.process.waitUntilExit()
        let said = g.text
        // The alert is journaled (a text record of kind alert; its UTF-8 is in the journal's files as it is).
        let journal = g.dir.appendingPathComponent("journal")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: journal.path)) ?? []
        let journaled = files.contains { f in
            (try? Data(contentsOf: journal.appendingPathComponent(f)))?.range(of: Data("alert FIRING: sanity_check_failed".utf8)) != nil
        }
        #expect(journaled, "the journal holds the alert: \(files)")
        exit = g.finish()
        print("gantry run said (alerts and checks):\n" + said.split(separator: "\n").filter { $0.contains("alert") || $0.contains("check") || $0.contains("MISMATCH") }.joined(separator: "\n"))
        print("the webhook received:\n" + listener.received.joined(separator: "\n"))
        print("test took \((MonotonicClock.now() - began).raw / 1_000_000) ms; gantry check said:\n\(checked.output)")
        #expect(said.contains("SANITY CHECK FAILED") && said.contains("alert FIRING: sanity_check_failed"), "gantry run said:\n\(said.suffix(3_000))")
        // The closing check compares with the start: the 0.5 BTC is still not the fills'.
        #expect(said.contains("okx BTC: balance moved") && said.contains("MISMATCH") && exit == 1)
    }

    @Test("VenueSim's faults provoke the rules through gantry run's own figures: a frozen Bybit fires stale_book, a latency spike at Binance venue_latency_spike, any drawdown pair_drawdown; the webhook receives each and /metrics counts them with the paper-against-live drift per venue")
    func faultsFireRules() throws {
        let listener = try WebhookListener()
        defer { listener.stop() }
        let faults = """
            [[faults]]
            kind = "latency"
            venue = "binance"
            start_ms = 15000
            duration_ms = 8000
            milliseconds = 500

            [[faults]]
            kind = "stale"
            venue = "bybit"
            start_ms = 12000
            duration_ms = 6000

            """
        let extra = """

            [alerts]
            webhook = "\(listener.url)"
            max_book_age = "3s"
            pair_drawdown = "0.01"
            latency_floor_ms = 20

            """
        let g = try GantryControlTests.Gateway(seconds: 32, faults: faults, extra: extra)
        var exit: Int32 = -1
        defer { if exit == -1 { _ = g.finish() } }
        let url = try #require(g.url(), "no control plane URL printed:\n\(g.text)")
        let wanted = [
            #""alert":"stale_book","subject":"bybit BTCUSDT","state":"firing""#,
            #""alert":"venue_latency_spike","subject":"binance","state":"firing""#, #""alert":"pair_drawdown","subject":"BTC/USDT","state":"firing""#,
        ]
        var received: [String] = []
        var metrics = ""
        let deadline = MonotonicClock.now() + .seconds(30)
        while MonotonicClock.now() < deadline {
            received = listener.received
            if wanted.allSatisfy({ w in received.contains { $0.contains(w) } }) { break }
            usleep(250_000)
        }
        metrics = (try? GantryControlTests.curl(url + "/metrics").body) ?? ""
        print(metrics.split(separator: "\n").filter { $0.hasPrefix("gantry_paper_price_drift_bp") || $0.hasPrefix("gantry_fills_total") || $0.hasPrefix("gantry_alerts_total") }.joined(separator: "\n"))
        for w in wanted { #expect(received.contains { $0.contains(w) }, "the webhook received \(w): \(received)\n\(g.text.suffix(2_000))") }
        for rule in ["stale_book", "venue_latency_spike", "pair_drawdown"] {
            let name = rule.prefix { $0 != "\"" }
            #expect(metrics.contains("gantry_alerts_total{alert=\"\(name)\"} ") && !metrics.contains("gantry_alerts_total{alert=\"\(name)\"} 0\n"), "/metrics counts \(name)")
        }
        #expect(metrics.contains("gantry_paper_price_drift_bp{venue=\"okx\"}") && metrics.contains("gantry_alert_webhook_total{outcome=\"delivered\"}"))
        g.process.waitUntilExit()
        let said = g.text
        exit = g.finish()
        print("gantry run's alerts:\n" + said.split(separator: "\n").filter { $0.hasPrefix("  ! alert") }.joined(separator: "\n"))
    }

    @Test("VenueSim's faults provoke the other rules: OKX filling 10 bp worse than its book (within the orders' limits) fires prediction_drift, Bybit answering 4 s late makes the order queue grow (order_queue_growth), and the journal on a full disk (a 3 MiB tmpfs) fires journal_lag; the webhook receives each and /metrics counts them")
    func driftQueueAndJournalFire() throws {
        let listener = try WebhookListener()
        defer { listener.stop() }
        // The journal's disk: a tmpfs of 3 MiB, full a few seconds in (mount needs root; the test says so without it).
        let disk = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-full-disk-\(getpid())")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        let mounted = (try? runToEnd("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=3m", "tmpfs", disk.path]))?.status == 0
        defer {
            if mounted { _ = try? runToEnd("/usr/bin/umount", [disk.path]) }
            try? FileManager.default.removeItem(at: disk)
        }
        if !mounted { print("journal_lag not provoked: mounting a tmpfs needs root, and this test runs without it") }
        let faults = """
            [[faults]]
            kind = "slippage"
            venue = "okx"
            start_ms = 0
            duration_ms = 120000
            bp = "10"

            [[faults]]
            kind = "latency"
            venue = "bybit"
            start_ms = 12000
            duration_ms = 10000
            milliseconds = 4000

            """
        let extra = """

            [alerts]
            webhook = "\(listener.url)"
            drift_orders = 3
            drift_bp = "0.01"
            queue_window = "2s"
            queue_growth = 2

            """
        let g = try GantryControlTests.Gateway(seconds: 32, faults: faults, extra: extra, arguments: mounted ? ["--journal", disk.appendingPathComponent("journal").path] : [])
        var exit: Int32 = -1
        defer { if exit == -1 { _ = g.finish() } }
        let url = try #require(g.url(), "no control plane URL printed:\n\(g.text)")
        // Each alert's firing message. OKX's fills slip 10 bp only as far as each order's limit allows, and the
        // strategies' limits sit close to the book: its drift is a few hundredths of a basis point, hence the
        // low drift_bp (Bybit's late answers may drift it too: only OKX's is asked for).
        var wanted = ["prediction_drift\",\"subject\":\"okx", "order_queue_growth"]
        if mounted { wanted.append("journal_lag") }
        func fired(_ rule: String, _ received: [String]) -> Bool { received.contains { $0.contains("\"alert\":\"\(rule)\"") && $0.contains("\"state\":\"firing\"") } }
        var received: [String] = []
        let deadline = MonotonicClock.now() + .seconds(30)
        while MonotonicClock.now() < deadline {
            received = listener.received
            if wanted.allSatisfy({ fired($0, received) }) { break }
            usleep(250_000)
        }
        let metrics = (try? GantryControlTests.curl(url + "/metrics").body) ?? ""
        print(metrics.split(separator: "\n").filter { $0.hasPrefix("gantry_order_queue_size") || $0.hasPrefix("gantry_alerts_total") || $0.hasPrefix("gantry_journal") || $0.hasPrefix("gantry_paper_price_drift_bp") }.joined(separator: "\n"))
        for rule in wanted {
            #expect(fired(rule, received), "the webhook received \(rule): \(received)\n\(g.text.suffix(2_000))")
            let name = rule.prefix { $0 != "\"" }
            #expect(metrics.contains("gantry_alerts_total{alert=\"\(name)\"} ") && !metrics.contains("gantry_alerts_total{alert=\"\(name)\"} 0\n"), "/metrics counts \(name)")
        }
        g.process.waitUntilExit()
        let said = g.text
        exit = g.finish()
        print("gantry run's alerts:\n" + said.split(separator: "\n").filter { $0.hasPrefix("  ! alert") || $0.contains("journal:") }.joined(separator: "\n"))
        if let at = said.range(of: "paper against live") { print(said[at.lowerBound...].prefix(1_500)) }
    }
}
