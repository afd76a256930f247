import Foundation
import GantryEngine
import GantryLoop
import Testing

@Suite("gantry config check: every problem of a configuration at once")
struct ConfigurationCheckTests {
    /// Two CPUs on one NUMA node, whatever machine the tests run on.
    static let laptop = Machine(cpus: [0, 1], isolatedCPUs: [], nodeOfCPU: [0: 0, 1: 0], nodeCount: 1)
    static let secretValue = "hunter2-never-shown"

    /// A configuration with one of each problem, the secret file (mode 0644) written beside it.
    static func broken(secretFile: String) -> String {
        """
        [[topology.runner]]
        name = "hot"
        cpu = 1
        mode = "adaptive"
        stages = ["feed", "book", "signal", "risk", "order-send"]
        numa_node = 3

        [[topology.runner]]
        name = "far"
        cpu = 2
        mode = "adaptive"
        stages = ["journal", "paper"]

        [[topology.runner]]
        name = "cold"
        cpu = 0
        mode = "adaptive"
        stages = ["metrics", "bus"]

        [[venues]]
        name = "binance"
        kind = "binance"
        endpoint = "wss://stream.binance.com:9443/stream"
        api_key_env = "GANTRY_TEST_KEY"
        secret_env = "GANTRY_TEST_SECRET_UNSET"
        latency_budget_ms = 0
        latency_budget = 250

        [[venues.instruments]]
        symbol = "BTCUSDT"
        tick_size = "0.01"
        lot_size = "0.00001"
        price_scale = 2
        quantity_scale = 8
        pair = "BTC/USDT"

        [[venues]]
        name = "ftx"
        kind = "ftx"
        endpoint = "wss://ftx.invalid/ws"
        api_key_env = "GANTRY_TEST_KEY"
        secret_file = "\(secretFile)"

        [[venues.instruments]]
        symbol = "BTC-PERP"
        tick_size = "1"
        lot_size = "0.001"
        price_scale = 0
        quantity_scale = 3

        [[strategies]]
        name = "arb"
        kind = "arbitrage"
        pair = "ETH/USDT"
        capital = "1000000"
        quantity = "0.01"

        [risk]
        max_order = "-20000"
        """
    }

    static func withSecretFile<T>(_ body: (String) throws -> T) throws -> T {
        let path = NSTemporaryDirectory() + "gantry-check-secret-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try secretValue.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        defer { unlink(path) }
        return try body(path)
    }

    @Test("a file with one of each problem gets one line for each: unknown key, bad limit, missing secrets, unknown venue and pair, topology")
    func everyProblem() throws {
        let problems = try Self.withSecretFile { path in
            ConfigurationCheck.run(toml: Self.broken(secretFile: path), machine: Self.laptop) { $0 == "GANTRY_TEST_KEY" ? "key" : nil }
        }
        let found = problems.map { "\($0.kind.rawValue) @ \($0.location)" }
        let expected = [
            "unknown key @ venues[binance].latency_budget",
            "bad limit @ venues[binance].latency_budget_ms",
            "missing secret @ venues[binance].secret_env",
            "unknown venue @ venues[ftx].kind",
            "missing secret @ venues[ftx].secret_file",
            "unknown instrument @ strategies[arb].pair",
            "bad limit @ risk.max_order",
            "topology @ topology.runner[hot].numa_node",
            "topology @ topology.runner[far].cpu",
            "topology @ topology.runner",
        ]
        for e in expected { #expect(found.contains(e), "missing \(e) in \(found)") }
        #expect(found.count == expected.count, "\(problems.map(\.description).joined(separator: "\n"))")
        // The unknown key comes with the key it was probably meant to be; the loose file with its mode.
        #expect(problems.contains { $0.location.hasSuffix(".latency_budget") && $0.message.contains("latency_budget_ms") })
        #expect(problems.contains { $0.location.hasSuffix(".secret_file") && $0.message.contains("0600") && $0.message.contains("644") })
        #expect(problems.contains { $0.location == "topology.runner" && $0.message.contains("pins 3 CPUs") })
        #expect(!problems.contains { $0.description.contains(Self.secretValue) })
    }

    @Test("the shipped configurations have no problems (with the demo's secrets set)")
    func shipped() throws {
        for file in ["config/gantry.example.toml", "config/trading-demo.toml"] {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let problems = ConfigurationCheck.run(toml: text, machine: Self.laptop) { $0.hasPrefix("GANTRY_DEMO_") ? "set" : nil }
            #expect(problems.isEmpty, "\(file): \(problems.map(\.description))")
        }
    }

    @Test("what only the parsers refuse is still named (slow not above fast), and a syntax error is one line")
    func parsersPass() throws {
        var text = try String(contentsOfFile: "config/trading-demo.toml", encoding: .utf8)
        text = text.replacingOccurrences(of: "fast = 3\nslow = 8", with: "fast = 9\nslow = 8")
        let problems = ConfigurationCheck.run(toml: text, machine: Self.laptop) { _ in "set" }
        #expect(problems.map(\.location) == ["strategies[ma].fast"], "\(problems)")
        let syntax = ConfigurationCheck.run(toml: "[[venues]\nname = ", machine: Self.laptop)
        #expect(syntax.count == 1 && syntax[0].kind == .syntax)
    }

    @Test("an unset secret is missing however it is named, and a set one passes without being shown")
    func secrets() throws {
        let text = try String(contentsOfFile: "config/trading-demo.toml", encoding: .utf8)
        let unset = ConfigurationCheck.run(toml: text, machine: Self.laptop) { _ in nil }
        #expect(unset.filter { $0.kind == .missingSecret }.count == 7, "\(unset)")  // 3 keys, 3 secrets, OKX's passphrase
        let set = ConfigurationCheck.run(toml: text, machine: Self.laptop) { _ in Self.secretValue }
        #expect(set.isEmpty)
    }

    @Test("[[chains]] keys are known, a misspelt one is not; a section a module above reads is known once it is passed in")
    func sections() throws {
        var text = try String(contentsOfFile: "config/trading-demo.toml", encoding: .utf8)
        text += """

            [[chains]]
            name = "ethereum"
            sim_node = "ws://127.0.0.1:9690"
            flow_decimal = 8
            [[chains.tokens]]
            symbol = "WBTC"
            address = "0x2260fac5e5542a773aa44fbcfedf7c193bc2c599"
            decimals = 8
            [[chains.exchanges]]
            name = "binance"
            addresses = ["0x28c6c06298d514db089934071355e5743bf21d60"]

            [extra]
            level = 3

            """
        struct Extra: Decodable {
            struct Table: Decodable { var level: Int? }
            var extra: Table?
        }
        let without = ConfigurationCheck.run(toml: text, machine: Self.laptop) { _ in "set" }
        #expect(Set(without.map(\.location)) == ["chains[ethereum].flow_decimal", "extra"], "\(without)")
        #expect(without.first { $0.location.hasSuffix("flow_decimal") }?.message.contains("flow_decimals") == true)
        let with = ConfigurationCheck.run(toml: text, machine: Self.laptop, environment: { _ in "set" }, sections: [.decodable(Extra.self)])
        #expect(with.map(\.location) == ["chains[ethereum].flow_decimal"], "\(with)")
    }
}
