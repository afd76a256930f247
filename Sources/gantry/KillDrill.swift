import ArgumentParser
import Foundation
import GantryCore
import GantryEngine
import Glibc

/// Where drills are recorded unless told otherwise: GANTRY_STATE_DIR, else /var/lib/gantry.
let defaultStateDirectory = ProcessInfo.processInfo.environment["GANTRY_STATE_DIR"] ?? "/var/lib/gantry"

/// `gantry kill --drill`: the whole kill protocol against the simulator. It starts `gantry-venue-sim` (the
/// simulator configuration's fixed ports must be the gateway configuration's `sim_*` endpoints) and `gantry run
/// --sim` on it with the configuration's strategies, lets it trade, fires the kill through the gateway's control
/// socket (a private one, so nothing collides with a live gateway's control plane), and records each step of the
/// kill report with its time as one JSON line in `drills.jsonl`. It succeeds only if the gateway is flat and
/// verified against the venues' balances within 60 s of the kill.
struct KillDrill {
    let config: String
    let simConfig: String
    let stateDirectory: String
    let tradeSeconds: Int
    let limit: Nanos = .seconds(60)

    /// The drill's record: one line of `drills.jsonl`.
    struct Record: Codable {
        var time: String
        var config: String
        var ok: Bool
        var result: String
        var firedMs: Int64?
        var cancelledMs: Int64?
        var flatMs: Int64?
        var verifiedMs: Int64?
        var totalMs: Int64
        var steps: [String]

        enum CodingKeys: String, CodingKey {
            case time, config, ok, result, steps
            case firedMs = "fired_after_trading_ms", cancelledMs = "cancelled_ms", flatMs = "flat_ms", verifiedMs = "verified_ms", totalMs = "total_ms"
        }
    }

    /// Runs the drill and records it. - Returns: the record.
    func run(say: (String) -> Void) throws -> Record {
        // A configuration without strategies would drill nothing (config/gantry.example.toml, the default, has none).
        let configuration: TradingConfiguration
        do { configuration = try TradingConfiguration(toml: try String(contentsOfFile: config, encoding: .utf8)) } catch { throw ValidationError("\(config): \(error)") }
        guard !configuration.strategies.isEmpty else {
            throw ValidationError("\(config) has no [[strategies]]: give the drill a trading configuration and its simulator (e.g. --config config/trading-demo.toml --sim-config config/sim-trading.toml)")
        }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let simBinary = binary.appendingPathComponent("gantry-venue-sim").path
        guard FileManager.default.isExecutableFile(atPath: simBinary) else { throw ValidationError("gantry-venue-sim is not beside gantry (\(simBinary))") }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-drill-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let started = Date()
        let sim = try Child(simBinary, ["--config", simConfig, "--seconds", "\(tradeSeconds + 120)"], log: work.appendingPathComponent("sim.txt"))
        defer { sim.stop() }
        guard sim.wait(for: "gantry-venue-sim:", seconds: 20) else { throw ValidationError("the simulator did not start:\n\(sim.text.suffix(2_000))") }
        let socket = work.appendingPathComponent("control.sock").path
        let gateway = try Child(
            binary.appendingPathComponent("gantry").path, ["run", "--sim", "--config", config, "--control-socket", socket], log: work.appendingPathComponent("run.txt"))
        defer { gateway.stop() }
        guard gateway.wait(for: "control socket:", seconds: 30) else { throw ValidationError("the gateway did not start:\n\(gateway.text.suffix(2_000))") }
        say("drill: gateway trading the simulator for \(tradeSeconds) s (\(config), \(simConfig))")
        let tradingFrom = MonotonicClock.now()
        usleep(UInt32(tradeSeconds) * 1_000_000)
        let fired = MonotonicClock.now()
        var steps: [String] = []
        var last = ""
        do {
            _ = try SocketControlClient.exchange("kill", socket: socket, timeout: 60) { line in
                let elapsed = (MonotonicClock.now() - fired).raw / 1_000_000
                steps.append(line)
                last = line
                say("drill +\(elapsed) ms │ \(line)")
            }
        } catch {
            steps.append("kill not answered: \(error)")
        }
        let total = MonotonicClock.now() - fired
        var record = Record(
            time: isoTime(started), config: config, ok: false, result: last, firedMs: (fired - tradingFrom).raw / 1_000_000, cancelledMs: nil, flatMs: nil,
            verifiedMs: nil, totalMs: total.raw / 1_000_000, steps: steps)
        if let report = steps.first(where: { $0.hasPrefix("kill report: ") }),
            let o = try? JSONSerialization.jsonObject(with: Data(report.dropFirst(13).utf8)) as? [String: Any]
        {
            record.cancelledMs = (o["cancelled_ms"] as? NSNumber)?.int64Value
            record.flatMs = (o["flat_ms"] as? NSNumber)?.int64Value
            record.verifiedMs = (o["verified_ms"] as? NSNumber)?.int64Value
        }
        record.ok = last.hasPrefix("result: ok") && record.verifiedMs.map { $0 <= limit.raw / 1_000_000 } == true
        try Self.append(record, to: stateDirectory)
        return record
    }

    /// Appends the record to `drills.jsonl` in the directory (made if missing, mode 0700).
    static func append(_ record: Record, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line = try encoder.encode(record) + Data("\n".utf8)
        let path = directory + "/drills.jsonl"
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) }
        guard let h = FileHandle(forWritingAtPath: path) else { throw ValidationError("cannot write \(path)") }
        defer { try? h.close() }
        try h.seekToEnd()
        try h.write(contentsOf: line)
    }

    /// The last drill recorded in the directory, if any.
    static func last(in directory: String) -> Record? {
        guard let text = try? String(contentsOfFile: directory + "/drills.jsonl", encoding: .utf8),
            let line = text.split(separator: "\n").last
        else { return nil }
        return try? JSONDecoder().decode(Record.self, from: Data(line.utf8))
    }

    /// A line for `gantry status`: when the last drill ran, its result and its time to flat.
    static func summary(in directory: String) -> String {
        guard let r = last(in: directory) else { return "last kill drill: none recorded in \(directory)/drills.jsonl" }
        let flat = r.flatMs.map { "flat \($0) ms" } ?? "not flat"
        let verified = r.verifiedMs.map { ", verified \($0) ms" } ?? ""
        return "last kill drill: \(r.time) \(r.ok ? "OK" : "FAILED"): \(flat)\(verified) after the kill"
    }

    /// A child process writing to a log file.
    final class Child {
        let process = Process()
        let log: URL
        let handle: FileHandle

        init(_ executable: String, _ arguments: [String], log: URL) throws {
            self.log = log
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            handle = try FileHandle(forWritingTo: log)
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        var text: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        /// Waits for `marker` in the output. - Returns: whether it came while the process ran.
        func wait(for marker: String, seconds: Int) -> Bool {
            let deadline = MonotonicClock.now() + .seconds(Int64(seconds))
            while MonotonicClock.now() < deadline && process.isRunning {
                if text.contains(marker) { return true }
                usleep(50_000)
            }
            return text.contains(marker)
        }

        /// SIGINT, then SIGKILL after 20 s.
        func stop() {
            if process.isRunning { process.interrupt() }
            let deadline = MonotonicClock.now() + .seconds(20)
            while process.isRunning && MonotonicClock.now() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            try? handle.close()
        }
    }
}
