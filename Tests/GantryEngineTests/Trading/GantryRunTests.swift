import Foundation
import GantryCore
import CSQLite
import GantryTestSupport
import Testing
import VenueSim

@Suite("gantry run as an operator runs it", .serialized)
struct GantryRunTests {
    struct Run {
        var status: Int32
        /// `gantry journal export` then `query` of an order that filled: its exported rows and the query's output.
        var journal: (order: UInt64, fills: Int, reports: Int, decisions: Int, query: String, snapshots: Int)? = nil
        /// What gantry run printed, and what `gantry kill` printed.
        var output: String
        var kill: String
        var files: [(String, Data)]
        /// `gantry journal replay` of the run's journal, with the journaled configuration and with a changed one:
        /// each one's exit status and output.
        var replay: (status: Int32, output: String)
        var changedReplay: (status: Int32, output: String)
        /// `gantry backtest --journal` twice with one seed: each one's output (its replay-rate line left out).
        var backtests: [String]
        /// `gantry report --journal`'s output, and Chromium's DOM of its page (nil: no Chromium here).
        var report: (output: String, dom: String?)
        /// The kill report's JSON fields in milliseconds after the kill (nil: the step did not happen).
        func field(_ name: String) -> Int? {
            guard let r = kill.range(of: "\"\(name)\":") else { return nil }
            return Int(kill[r.upperBound...].prefix { $0.isNumber })
        }
    }

    /// Runs `gantry run` on the three simulated venues (Bybit 120 ms late on every message) with `faults`, and
    /// `gantry kill` through the control socket once the simulator has run `killAt`.
    static func run(faults: String = "", killAt: Nanos, seconds: Int = 25) throws -> Run {
        let binary = try #require(gantryExecutable(), "the gantry executable must be built first (make test builds it)")
        EndToEndTests.setSecrets()
        let sim = try SimConfiguration(toml: EndToEndTests.simTOML + "\n" + faults).makeSimulator(anyPorts: true)
        let simStarted = MonotonicClock.now()
        let thread = SimulatorThread(sim)
        defer { thread.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-run-\(getpid())-\(simStarted.raw % 100_000)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("gantry.toml")
        try EndToEndTests.gatewayTOML(binance: sim.venues[0], okx: sim.venues[1], bybit: sim.venues[2]).write(to: config, atomically: true, encoding: .utf8)
        let socket = dir.appendingPathComponent("control.sock").path
        func start(_ arguments: [String], into name: String) throws -> (Process, FileHandle, URL) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            process.currentDirectoryURL = dir
            var environment = ProcessInfo.processInfo.environment
            environment["GANTRY_LOG_LEVEL"] = "debug"
            process.environment = environment
            let output = dir.appendingPathComponent(name)
            FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            return (process, handle, output)
        }
        let (gateway, gatewayHandle, gatewayOutput) = try start(
            ["run", "--sim", "--config", config.path, "--seconds", "\(seconds)", "--control-socket", socket, "--paper-report", dir.appendingPathComponent("paper.html").path,
             "--report", dir.appendingPathComponent("report.html").path, "--journal", dir.appendingPathComponent("journal").path, "--book-snapshot-every", "2"],
            into: "output.txt")
        while MonotonicClock.now() - simStarted < killAt { usleep(10_000) }
        let (killer, killHandle, killOutput) = try start(["kill", "--socket", socket], into: "kill.txt")
        killer.waitUntilExit()
        gateway.waitUntilExit()
        try gatewayHandle.close()
        try killHandle.close()
        // The journal: exported to SQLite, an order that filled found in SQL, its story told by `gantry journal query`.
        var journal: (UInt64, Int, Int, Int, String, Int)? = nil
        let sqlite = dir.appendingPathComponent("journal.sqlite").path
        let (exporter, exportHandle, _) = try start(["journal", "export", "--dir", dir.appendingPathComponent("journal").path, "--sqlite", sqlite], into: "export.txt")
        exporter.waitUntilExit()
        try exportHandle.close()
        if exporter.terminationStatus == 0, let db = try? SQLiteReader(sqlite),
            let order = db.integers("SELECT client_order_id FROM reports WHERE last_quantity > 0 ORDER BY journaled_ns LIMIT 1").first
        {
            let fills = db.integers("SELECT COUNT(*) FROM reports WHERE client_order_id = \(order) AND last_quantity > 0").first ?? -1
            let reports = db.integers("SELECT COUNT(*) FROM reports WHERE client_order_id = \(order)").first ?? -1
            let decisions = db.integers("SELECT COUNT(*) FROM decisions d JOIN decisions o ON d.signal_id = o.signal_id WHERE o.client_order_id = \(order)").first ?? -1
            let (query, queryHandle, queryOutput) = try start(["journal", "query", "--dir", dir.appendingPathComponent("journal").path, "--order", "\(order)"], into: "query.txt")
            query.waitUntilExit()
            try queryHandle.close()
            // Every 2 s, each of the three venues' live books, with levels on both sides.
            let snapshots = db.integers("SELECT COUNT(*) FROM book_snapshots WHERE bid_levels > 0 AND ask_levels > 0 AND bids LIKE '%:%'").first ?? -1
            journal = (UInt64(bitPattern: order), Int(fills), Int(reports), Int(decisions), try String(contentsOf: queryOutput, encoding: .utf8), Int(snapshots))
        }
        // The journal replayed through the signal and risk stages: as journaled, then with a configuration whose
        // arbitrage quantity and price band differ (the replay must then say it differs).
        func replay(_ extra: [String], into name: String, command: String = "journal replay", journalOption: String = "--dir") throws -> (Int32, String) {
            let words = command.split(separator: " ").map(String.init)
            let (p, h, out) = try start(words + [journalOption, dir.appendingPathComponent("journal").path] + extra, into: name)
            p.waitUntilExit()
            try h.close()
            return (p.terminationStatus, try String(contentsOf: out, encoding: .utf8))
        }
        let replayed = try replay([], into: "replay.txt")
        let changed = dir.appendingPathComponent("changed.toml")
        try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "quantity = \"0.05\"", with: "quantity = \"0.04\"")
            .replacingOccurrences(of: "price_band_bp = \"100\"", with: "price_band_bp = \"1\"").write(to: changed, atomically: true, encoding: .utf8)
        let changedReplay = try replay(["--config", changed.path], into: "replay-changed.txt")
        // The journal's market data backtested, twice with one seed.
        let backtests = try (0..<2).map { k in
            try replay(["--seed", "7"], into: "backtest-\(k).txt", command: "backtest", journalOption: "--journal").1
                .split(separator: "\n").filter { !$0.contains("replay:") && !$0.contains(" gantry.") }.joined(separator: "\n")
        }
        // The whole run's page from its journal, as Chromium renders it.
        let page = dir.appendingPathComponent("journal-report.html")
        let (reporter, reporterHandle, reporterOutput) = try start(["report", "--journal", dir.appendingPathComponent("journal").path, "--out", page.path], into: "journal-report.txt")
        reporter.waitUntilExit()
        try reporterHandle.close()
        let dom = try Chromium.binary().map { try Chromium.dom($0, page: page, profile: dir.appendingPathComponent("chromium")) }
        var files: [(String, Data)] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path) where file != "control.sock" && file != "journal" && file != "chromium" && !file.hasSuffix(".sqlite") {
            files.append((file, try Data(contentsOf: dir.appendingPathComponent(file))))
        }
        #expect(killer.terminationStatus == 0, "gantry kill said the kill did not end flat and verified")
        return Run(
            status: gateway.terminationStatus, journal: journal, output: try String(contentsOf: gatewayOutput, encoding: .utf8),
            kill: try String(contentsOf: killOutput, encoding: .utf8), files: files, replay: replayed, changedReplay: changedReplay, backtests: backtests,
            report: (try String(contentsOf: reporterOutput, encoding: .utf8), dom))
    }

    @Test("trading on three venues (one slow), gantry kill through the control socket: every step timed, flat and verified against the venues' balances; no secret in any output or file")
    func runKillAndSecrets() throws {
        let secrets = EndToEndTests.secrets
        let r = try Self.run(killAt: .seconds(10))
        print("gantry kill said:\n\(r.kill)")
        #expect(r.status == 0, "gantry run failed:\n\(r.output.suffix(3_000))")
        #expect(r.output.contains("positions equal the venues' balances: yes"))
        #expect(r.output.contains("KILL SWITCH (gantry kill)"))
        for venue in ["binance", "okx", "bybit"] {
            #expect(r.kill.contains("\(venue): its orders from before the kill all ended"), "\(venue)'s cancels timed")
        }
        #expect(r.kill.contains("orders cancelled at every venue") && r.kill.contains("every position flat") && r.kill.contains("flatness verified against the venues' balances"))
        #expect(r.kill.contains("result: ok"))
        let flat = r.field("flat_ms"), verified = r.field("verified_ms")
        print("gantry kill on three venues (bybit 120 ms late): cancelled \(r.field("cancelled_ms") ?? -1) ms, flat \(flat ?? -1) ms, verified \(verified ?? -1) ms")
        #expect((flat ?? .max) < 5_000, "flat within 5 s on loopback (target 2 s; 60 s is the hard limit)")
        #expect(r.output.contains("BTC over all venues: moved 0 ✓"))
        // The journal tells an order's story; the SQLite export answers the same question in SQL.
        if let j = r.journal {
            print("journal query of order \(j.order):\n\(j.query)")
            let lines = j.query.split(separator: "\n")
            #expect(lines.first?.hasPrefix("order \(j.order):") == true && j.query.contains("  decision: approved"))
            let fillLines = lines.filter { $0.hasPrefix("  report: fill ") }.count, reportLines = lines.filter { $0.hasPrefix("  report:") }.count
            #expect(fillLines == j.fills && reportLines == j.reports, "the same fills and reports as the SQL (SQL: \(j.fills) fills, \(j.reports) reports; the story: \(fillLines), \(reportLines))")
            #expect(1 + lines.filter { $0.hasPrefix("  same signal:") }.count == j.decisions, "the same signal's orders as the SQL")
            #expect(j.query.contains("  trigger:"))
            #expect(j.snapshots >= 3 * 3, "book snapshots every 2 s of each venue's book: \(j.snapshots)")
        } else {
            Issue.record("the journal was not exported, or no order filled")
        }
        // Replayed through the same stages with its recorded market events and venue reports, the journal gives every
        // intent and risk decision again, bit for bit; with a changed configuration it does not.
        print("gantry journal replay:\n\(r.replay.output)")
        #expect(r.replay.status == 0 && r.replay.output.contains("reproduced: every intent and decision"), "\(r.replay.output)")
        let counts = r.replay.output.split(separator: "\n").filter { $0.contains("journaled") }
        #expect(counts.count == 2 && counts.allSatisfy { !$0.contains(" 0 of ") }, "intents and decisions were journaled and replayed: \(counts)")
        print("gantry journal replay --config changed.toml:\n\(r.changedReplay.output)")
        #expect(r.changedReplay.status == 1 && r.changedReplay.output.contains("NOT reproduced") && r.changedReplay.output.contains("first difference"))
        // gantry backtest of the journal's market data: the same result twice for one seed, and trades.
        print("gantry backtest --journal:\n\(r.backtests[0])")
        #expect(r.backtests[0] == r.backtests[1], "two backtests with one seed differ")
        #expect(r.backtests[0].contains("arb               0%") && r.backtests[0].contains("40%"))
        // gantry report: one page from the journal, every chart present as Chromium renders it.
        print("gantry report: \(r.report.output)")
        let charts = ["latency-0", "latency-1", "latency-2", "latency-3", "pnl", "drawdown", "paper-venue-cost", "degradation"]
        #expect(r.report.output.contains("8 charts"), "\(r.report.output)")
        if let dom = r.report.dom {
            for chart in charts { #expect(dom.contains("data-chart=\"\(chart)\""), "Chromium's DOM has the journal report's \(chart) chart") }
        } else if Chromium.required {
            Issue.record("chromium is not installed (scripts/install-deps.sh installs it)")
        }
        for secret in secrets {
            #expect(!r.output.contains(secret) && !r.kill.contains(secret), "a secret reached the output")
            for (file, data) in r.files { #expect(data.range(of: Data(secret.utf8)) == nil, "\(file) holds a secret") }
        }
    }

    @Test("a venue that freezes as the kill fires is named while it is retried; the other venues' orders end at once; all is flat and verified once it answers again")
    func killWithFrozenVenue() throws {
        let secrets = EndToEndTests.secrets
        let freeze = "[[faults]]\nkind = \"stale\"\nvenue = \"bybit\"\nstart_ms = 10000\nduration_ms = 4000"
        let r = try Self.run(faults: freeze, killAt: .milliseconds(10_200))
        print("gantry kill with bybit frozen said:\n\(r.kill)")
        #expect(r.status == 0, "gantry run failed:\n\(r.output.suffix(3_000))")
        #expect(r.kill.contains("bybit: "), "bybit named while it does not answer")
        let lines = r.kill.split(separator: "\n")
        func ended(_ venue: String) -> Double? {
            guard let l = lines.first(where: { $0.contains("\(venue): its orders from before the kill all ended") }), let plus = l.lastIndex(of: "+") else { return nil }
            return Double(l[l.index(after: plus)...].prefix { $0.isNumber || $0 == "." })
        }
        #expect((ended("binance") ?? .infinity) < 1_000 && (ended("okx") ?? .infinity) < 1_000, "the others' orders end at once")
        #expect(r.kill.contains("result: ok"), "flat and verified once bybit answers again")
        for secret in secrets { #expect(!r.output.contains(secret) && !r.kill.contains(secret)) }
    }

    @Test("extra slippage on one venue shows up, on that venue, at the top of the paper-versus-live report, text and HTML with its charts")
    func slippageTopsPaperReport() throws {
        let slip = "[[faults]]\nkind = \"slippage\"\nvenue = \"okx\"\nstart_ms = 0\nduration_ms = 120000\nbp = \"10\""
        let r = try Self.run(faults: slip, killAt: .seconds(12))
        #expect(r.status == 0, "gantry run failed:\n\(r.output.suffix(3_000))")
        let lines = r.output.split(separator: "\n")
        guard let at = lines.firstIndex(where: { $0.hasPrefix("paper against live") }), at + 1 < lines.count else {
            Issue.record("no paper report in the output:\n\(r.output.suffix(2_000))")
            return
        }
        print("paper report:\n\(lines[at...].prefix(8).joined(separator: "\n"))")
        #expect(lines[at + 1].hasPrefix("  okx:"), "okx, where fills slip 10 bp, is the worst venue")
        #expect(lines.contains { $0.hasPrefix("    ") && $0.contains(" okx ") }, "its orders are listed")
        let html = r.files.first { $0.0 == "paper.html" }.map { String(decoding: $0.1, as: UTF8.self) } ?? ""
        for chart in ["venue-cost", "price-difference", "cumulative-cost"] { #expect(html.contains("data-chart=\"\(chart)\""), "the \(chart) chart") }
        #expect(html.hasPrefix("<!DOCTYPE html>") && !html.contains("<script") && !html.contains("src=") && !html.contains("<link"), "self-contained: no scripts, no external assets")
        // The run's report: latency per stage, PnL and drawdown per strategy, paper against live.
        let page = r.files.first { $0.0 == "report.html" }.map { String(decoding: $0.1, as: UTF8.self) } ?? ""
        for chart in ["latency-0", "latency-1", "latency-2", "pnl", "drawdown", "paper-venue-cost"] {
            #expect(page.contains("data-chart=\"\(chart)\""), "the report's \(chart) chart")
        }
    }
}

/// The few SQLite reads the tests need.
final class SQLiteReader {
    let db: OpaquePointer
    init(_ path: String) throws {
        var h: OpaquePointer? = nil
        guard sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, nil) == SQLITE_OK, let h else { throw CocoaError(.fileReadUnknown) }
        db = h
    }
    deinit { sqlite3_close(db) }
    /// The first column of every row, as integers.
    func integers(_ sql: String) -> [Int64] {
        var s: OpaquePointer? = nil
        guard sqlite3_prepare_v2(db, sql, -1, &s, nil) == SQLITE_OK, let s else { return [] }
        defer { sqlite3_finalize(s) }
        var out: [Int64] = []
        while sqlite3_step(s) == SQLITE_ROW { out.append(sqlite3_column_int64(s, 0)) }
        return out
    }
}
