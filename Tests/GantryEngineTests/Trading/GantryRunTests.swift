import Foundation
import GantryCore
import Testing
import VenueSim

/// The gantry executable beside the test bundle (make test builds it first).
func gantryBinary() -> String? {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("gantry").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    let fallback = FileManager.default.currentDirectoryPath + "/.build/debug/gantry"
    return FileManager.default.isExecutableFile(atPath: fallback) ? fallback : nil
}

@Suite("gantry run as an operator runs it", .serialized)
struct GantryRunTests {
    @Test("trading, the kill switch to flat, the closing balance check passes, and no secret reaches the output or a file")
    func runKillAndSecrets() throws {
        let binary = try #require(gantryBinary(), "the gantry executable must be built first (make test builds it)")
        let secrets = ["run-binance-secret-9d1c77", "run-okx-secret-40a2e3", "run-okx-passphrase-x7", "run-bybit-secret-5e"]
        setenv("GANTRY_E2E_BINANCE_SECRET", secrets[0], 1)
        setenv("GANTRY_E2E_OKX_SECRET", secrets[1], 1)
        setenv("GANTRY_E2E_OKX_PASSPHRASE", secrets[2], 1)
        setenv("GANTRY_E2E_BYBIT_SECRET", secrets[3], 1)
        let sim = try SimConfiguration(toml: EndToEndTests.simTOML).makeSimulator(anyPorts: true)
        let thread = SimulatorThread(sim)
        defer { thread.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-run-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("gantry.toml")
        try EndToEndTests.gatewayTOML(binance: sim.venues[0], okx: sim.venues[1], bybit: sim.venues[2]).write(to: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--sim", "--config", config.path, "--seconds", "12", "--kill-after", "8"]
        process.currentDirectoryURL = dir
        var environment = ProcessInfo.processInfo.environment
        environment["GANTRY_LOG_LEVEL"] = "debug"
        process.environment = environment
        let output = dir.appendingPathComponent("output.txt")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(process.terminationStatus == 0, "gantry run failed:\n\(text.suffix(3_000))")
        #expect(text.contains("positions equal the venues' balances: yes"))
        #expect(text.contains("KILL SWITCH") && text.contains("ms after the kill"), "the kill switch fired and the view saw flat")
        for secret in secrets { #expect(!text.contains(secret), "a secret reached the output") }
        // Nor any file the run left behind.
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            let data = try Data(contentsOf: dir.appendingPathComponent(file))
            for secret in secrets { #expect(data.range(of: Data(secret.utf8)) == nil, "\(file) holds a secret") }
        }
    }
}
