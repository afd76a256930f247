import Foundation
import GantryCore
import GantryStrategy
import GantryTestSupport
import Testing
import VenueSim

/// The gateway with a chain: VenueSim's Ethereum node leads its BTC market with token flows to and from three
/// exchange addresses; the gateway's on-chain adapter feeds them to a flow_cnn strategy, and journals them.
@Suite("On-chain flows through the gateway: the strategy, the journal, its replay, training from it", .serialized)
struct OnChainGatewayTests {
    static let token = "0x" + String(repeating: "22", count: 20)
    static let exchanges = ["e1", "e2", "e3"].map { "0x" + String(repeating: $0, count: 20) }

    static var chainSim: String {
        """
        [[chains]]
        name = "ethereum"
        ws_port = 7
        block_ms = 500
        token_address = "\(token)"
        decimals = 8
        exchange_addresses = [\(exchanges.map { "\"\($0)\"" }.joined(separator: ", "))]
        market = "BTC"
        transfers_per_block = 6
        flow_per_block = "5"
        lead_ms = 1000
        impact_bp = "3"

        """
    }

    static func gatewayChain(port: Int, weights: String, root: String) -> String {
        """

        [[strategies]]
        name = "flow"
        kind = "flow_cnn"
        stage = "live"
        capital = "1000000"
        pair = "BTC/USDT"
        max_position = { "BTC/USDT" = "0.05" }
        weights = "\(weights)"
        threshold = "0.3"
        quantity = "0.01"
        sample_ms = 200
        hold_ms = 1000
        slippage_bp = "20"
        flow_exchanges = 3

        [[chains]]
        name = "ethereum"
        sim_node = "ws://127.0.0.1:\(port)"
        flow_decimals = 8
        seal_ms = 100

        [[chains.tokens]]
        symbol = "WBTC"
        address = "\(token)"
        decimals = 8

        \(exchanges.enumerated().map { k, a in "[[chains.exchanges]]\nname = \"exchange\(k)\"\naddresses = [\"\(a)\"]\n" }.joined(separator: "\n"))
        [train]
        horizon_ms = 1000
        window = 16
        filters = 6
        kernel = 4
        epochs = 5
        held_out_pct = 30
        min_accuracy_pct = "0"
        min_pnl = "-1000000"
        python = "\(root)/.venv/bin/python"
        script = "\(root)/Tools/train_flow_cnn.py"

        """
    }

    /// A model that passed its validation and leans on the flows: its dense bias alone makes it signal now and then.
    static func writeModel(_ path: String) throws {
        var file = FlowModel.zero(shape: .init(channels: FlowFeatureRow.channels, window: 16, filters: 6, kernel: 4)).file
        file.weights.convBias = [0.5, -0.5, 0.2, 0, 0, 0]
        file.weights.denseWeight = [1, 1, -1, 0, 0, 0]
        file.weights.denseBias = 0.4
        file.validation = .init(passed: true, when: "2026-12-07T00:00:00Z", metrics: [:], gate: [:], note: "a test's fixture")
        try file.write(path)
    }

    @Test("flows reach the strategy and the journal; the journal replays bit for bit with them; gantry train --journal trains on them")
    func flowsThroughGateway() throws {
        let binary = try #require(gantryExecutable(), "the gantry executable must be built first (make test builds it)")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        EndToEndTests.setSecrets()
        let sim = try SimConfiguration(toml: EndToEndTests.simTOML + "\n" + Self.chainSim).makeSimulator(anyPorts: true)
        let thread = SimulatorThread(sim)
        defer { thread.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-onchain-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = dir.appendingPathComponent("flow.json").path
        try Self.writeModel(weights)
        let config = dir.appendingPathComponent("gantry.toml")
        try (EndToEndTests.gatewayTOML(binance: sim.venues[0], okx: sim.venues[1], bybit: sim.venues[2])
            + Self.gatewayChain(port: sim.chains[0].port, weights: weights, root: root)).write(to: config, atomically: true, encoding: .utf8)
        let journal = dir.appendingPathComponent("journal").path
        func gantry(_ arguments: [String], _ name: String) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = arguments
            p.currentDirectoryURL = dir
            let out = dir.appendingPathComponent(name)
            FileManager.default.createFile(atPath: out.path, contents: nil)
            let h = try FileHandle(forWritingTo: out)
            p.standardOutput = h
            p.standardError = h
            try p.run()
            p.waitUntilExit()
            try h.close()
            return (p.terminationStatus, try String(contentsOf: out, encoding: .utf8))
        }
        let run = try gantry(
            ["run", "--sim", "--config", config.path, "--seconds", "12", "--journal", journal, "--control-socket", dir.appendingPathComponent("c.sock").path], "run.txt")
        #expect(run.0 == 0, "gantry run failed:\n\(run.1.suffix(3_000))")
        let flows = run.1.split(separator: "\n").first { $0.contains("on-chain:") }.map(String.init) ?? ""
        print(flows)
        #expect(Int(flows.split(separator: " ").dropFirst().first ?? "") ?? 0 > 20, "the gateway read the chain's flows: \(flows)")

        let replay = try gantry(["journal", "replay", "--dir", journal], "replay.txt")
        print(replay.1.split(separator: "\n").filter { !$0.contains(" gantry.") }.joined(separator: "\n"))
        #expect(replay.0 == 0 && replay.1.contains("reproduced: every intent and decision"))
        #expect(!replay.1.contains(" 0 on-chain flow events"), "flows were journaled")

        let models = dir.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        let train = try gantry(["train", "--config", config.path, "--journal", journal, "--out", models.path], "train.txt")
        print(train.1.split(separator: "\n").filter { !$0.contains(" gantry.") }.joined(separator: "\n"))
        let line = train.1.split(separator: "\n").first { $0.contains("on-chain flow events;") }.map(String.init) ?? ""
        #expect(!line.isEmpty && !line.contains("; 0 of"), "training samples saw the journal's flows: \(line)")
        let written = try FileManager.default.contentsOfDirectory(atPath: models.path).filter { $0.hasPrefix("flow-cnn-") && $0 != "flow-cnn-current.json" }
        #expect(written.count == 1, "a versioned weights file was written: \(written)")
    }
}
