import Foundation
import GantryCore
import GantryTestSupport
import Glibc
import Testing
import VenueSim

/// `gantry kill --drill`: gantry-venue-sim and `gantry run` as processes, the kill fired through the control socket,
/// the steps recorded in drills.jsonl, and `gantry status` showing the last drill.
@Suite("gantry kill --drill against the simulator", .serialized)
struct KillDrillTests {
    /// A loopback port free a moment ago (bound to 0, read, closed).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: a.sin_port))
    }

    @Test("the drill trades, kills, is flat and verified within 60 s, records each step's time in drills.jsonl, exits 0, and gantry status shows it")
    func drill() throws {
        let binary = try #require(gantryExecutable(), "the gantry executable must be built first")
        let simBinary = URL(fileURLWithPath: binary).deletingLastPathComponent().appendingPathComponent("gantry-venue-sim").path
        try #require(FileManager.default.isExecutableFile(atPath: simBinary), "gantry-venue-sim must be built beside gantry")
        EndToEndTests.setSecrets()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-drill-test-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // The simulator's venues on fixed free ports, and the gateway's sim_* endpoints on the same ports.
        let ports = (0..<6).map { _ in Self.freePort() }
        var simTOML = EndToEndTests.simTOML
        for (k, key) in ["ws_port = 1\n", "rest_port = 2\n", "ws_port = 3\n", "rest_port = 4\n", "ws_port = 5\n", "rest_port = 6\n"].enumerated() {
            simTOML = simTOML.replacingOccurrences(of: key, with: key.split(separator: "=")[0] + "= \(ports[k])\n")
        }
        let placeholder = try SimConfiguration(toml: EndToEndTests.simTOML).makeSimulator(anyPorts: true)
        var gatewayTOML = EndToEndTests.gatewayTOML(binance: placeholder.venues[0], okx: placeholder.venues[1], bybit: placeholder.venues[2])
        for (k, v) in placeholder.venues.enumerated() {
            for (from, to) in [(v.port, ports[2 * k]), (v.restPort!, ports[2 * k + 1])] {
                gatewayTOML = gatewayTOML.replacingOccurrences(of: "127.0.0.1:\(from)/", with: "127.0.0.1:\(to)/")
                gatewayTOML = gatewayTOML.replacingOccurrences(of: "127.0.0.1:\(from)\"", with: "127.0.0.1:\(to)\"")
            }
        }
        let simConfig = dir.appendingPathComponent("sim.toml").path
        let config = dir.appendingPathComponent("gantry.toml").path
        try simTOML.write(toFile: simConfig, atomically: true, encoding: .utf8)
        try gatewayTOML.write(toFile: config, atomically: true, encoding: .utf8)
        let state = dir.appendingPathComponent("state").path
        let started = MonotonicClock.now()
        let (status, output) = try runToEnd(binary, ["kill", "--drill", "--config", config, "--sim-config", simConfig, "--state-dir", state, "--trade-seconds", "5"])
        print("gantry kill --drill (\((MonotonicClock.now() - started).raw / 1_000_000) ms) said:\n\(output)")
        #expect(status == 0, "the drill passes")
        #expect(output.contains("result: ok") && output.contains("drill recorded in \(state)/drills.jsonl: OK"))
        let lines = try String(contentsOfFile: state + "/drills.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1, "one drill, one line")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(record["ok"] as? Bool == true)
        let flat = try #require(record["flat_ms"] as? Int, "the time to flat is recorded")
        let verified = try #require(record["verified_ms"] as? Int)
        #expect(flat <= verified && verified < 60_000, "flat and verified within 60 s")
        let steps = record["steps"] as? [String] ?? []
        #expect(steps.contains { $0.hasPrefix("  every position flat (risk's ledger) +") } && steps.contains { $0.hasPrefix("kill report: ") })
        print("drill: flat \(flat) ms, verified \(verified) ms after the kill")
        // gantry status shows the last drill (first, even when no gateway answers).
        let shown = try runToEnd(binary, ["status", "--state-dir", state, "--control", "http://127.0.0.1:\(Self.freePort())", "--token-file", "/nonexistent"])
        #expect(shown.output.contains("last kill drill: \(record["time"] as? String ?? "?") OK: flat \(flat) ms, verified \(verified) ms after the kill\n"), "\(shown.output)")
    }
}
