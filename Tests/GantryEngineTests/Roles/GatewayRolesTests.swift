import Foundation
import GantryCore
import GantryTestSupport
import Testing
import VenueSim

/// The gateway split into its three roles (`gantry run --role feed|strategy|execution`), three processes joined
/// by a real redis-server, trading against VenueSim's three venues.
@Suite("The gateway as three roles over Redis", .serialized)
struct GatewayRolesTests {
    /// The redis-server the roles meet on: `make test`'s (GANTRY_REDIS_PORT, 6390), or one of the test's own
    /// (append-only, in a directory of its own, stopped at the end).
    final class Redis {
        let port: Int
        let server: Process?
        let directory: String
        init() throws {
            let configured = Int(ProcessInfo.processInfo.environment["GANTRY_REDIS_PORT"] ?? "") ?? 6390
            directory = NSTemporaryDirectory() + "gantry-roles-redis-\(getpid())"
            if Self.answers(configured) {
                port = configured
                server = nil
                return
            }
            port = 21_000 + Int(getpid() % 2_000)
            try? FileManager.default.removeItem(atPath: directory)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
            p.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory, "--appendonly", "yes", "--save", "", "--daemonize", "no"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            server = p
            for _ in 0..<100 where !Self.answers(port) { usleep(50_000) }
            guard Self.answers(port) else { throw TestError("redis-server did not answer on port \(port)") }
        }
        static func answers(_ port: Int) -> Bool {
            (try? runToEnd("/usr/bin/redis-cli", ["-p", "\(port)", "ping"]))?.output.contains("PONG") == true
        }
        func stop() {
            guard let server else { return }
            // SIGKILL, not SIGTERM: the test's threads block most signals and a child inherits that mask, so a
            // redis-server started from here never sees a SIGTERM (the gantry roles unblock theirs at start).
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    struct TestError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// A role's process, its output to a file.
    final class Role {
        let process = Process()
        let output: URL
        let handle: FileHandle
        init(_ binary: String, _ arguments: [String], in dir: URL, name: String) throws {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            process.currentDirectoryURL = dir
            output = dir.appendingPathComponent("\(name).txt")
            FileManager.default.createFile(atPath: output.path, contents: nil)
            handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }
        /// Waits for the end (SIGTERM first when `stop`), and returns the exit status and what it printed.
        func finish(stop: Bool = false) throws -> (status: Int32, text: String) {
            if stop && process.isRunning { process.terminate() }
            process.waitUntilExit()
            try handle.close()
            return (process.terminationStatus, try String(contentsOf: output, encoding: .utf8))
        }
    }

    static func busTOML(port: Int, namespace: String) -> String {
        """

        [bus]
        host = "127.0.0.1"
        port = \(port)
        namespace = "\(namespace)"
        block_ms = 10

        """
    }

    @Test("feed, strategy and execution as three processes over Redis trade on VenueSim: orders fill, the kill switch (fired in the execution role) reaches the strategy role and flattens everything, positions equal the venues' balances; the roles' journals, replayed in one process, make every intent and decision again bit for bit, and the execution role took exactly the strategy role's intents off the bus")
    func threeRoles() throws {
        let binary = try #require(gantryExecutable(), "the gantry executable must be built first (make test builds it)")
        let redis = try Redis()
        defer { redis.stop() }
        EndToEndTests.setSecrets()
        let sim = try SimConfiguration(toml: EndToEndTests.simTOML).makeSimulator(anyPorts: true)
        let thread = SimulatorThread(sim)
        defer { thread.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-roles-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("gantry.toml")
        let namespace = "roles-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try (EndToEndTests.gatewayTOML(binance: sim.venues[0], okx: sim.venues[1], bybit: sim.venues[2]) + Self.busTOML(port: redis.port, namespace: namespace))
            .write(to: config, atomically: true, encoding: .utf8)
        let (strategyJournal, executionJournal) = (dir.appendingPathComponent("journal-strategy").path, dir.appendingPathComponent("journal-execution").path)
        // The execution role first (it reads the venues' balances), then the strategy role, then the feeds.
        let execution = try Role(
            binary,
            ["run", "--sim", "--role", "execution", "--config", config.path, "--seconds", "60", "--kill-after", "16", "--journal", executionJournal,
             "--control-socket", dir.appendingPathComponent("c.sock").path], in: dir, name: "execution")
        let strategy = try Role(binary, ["run", "--sim", "--role", "strategy", "--config", config.path, "--seconds", "90", "--journal", strategyJournal], in: dir, name: "strategy")
        let feed = try Role(binary, ["run", "--sim", "--role", "feed", "--config", config.path, "--seconds", "90"], in: dir, name: "feed")
        let t0 = Date()
        let executed = try execution.finish()
        print("execution role ended after \(Int(Date().timeIntervalSince(t0))) s")
        let strategized = try strategy.finish(stop: true)
        let fed = try feed.finish(stop: true)
        print("strategy and feed roles ended after \(Int(Date().timeIntervalSince(t0))) s")
        func lines(_ t: String, _ keys: [String]) -> String { t.split(separator: "\n").filter { l in keys.contains { l.contains($0) } }.joined(separator: "\n") }
        print("execution role:\n" + lines(executed.text, ["summary", "decisions:", "reports", "risk:", "bus:", "KILL", "flat", "positions equal", "✓", "✗"]))
        print("strategy role:\n" + lines(strategized.text, ["summary", "signal:", "bus:", "journal:"]))
        print("feed role:\n" + lines(fed.text, ["summary", "bus:"]))
        #expect(executed.status == 0, "the execution role failed:\n\(executed.text.suffix(4_000))")
        #expect(executed.text.contains("positions equal the venues' balances: yes"))
        #expect(strategized.status == 0 && fed.status == 0, "strategy:\n\(strategized.text.suffix(2_000))\nfeed:\n\(fed.text.suffix(2_000))")
        // Orders filled: the strategy role's intents were decided, sent and filled in the execution role.
        let fills = Int(executed.text.split(separator: "\n").last { $0.hasPrefix("t=") && $0.contains("fills") }?
            .split(separator: ",").first { $0.contains("fills") }?.split(separator: " ").last ?? "") ?? 0
        #expect(fills > 0, "orders filled: \(executed.text.suffix(2_000))")
        // The kill switch reached the strategy role over the bus: it suppressed what its strategies signalled after.
        #expect(strategized.text.contains("summary (strategy role)"))
        #expect(!fed.text.contains("dropped 1") && fed.text.contains("summary (feed role)"))

        let replay = try runToEnd(binary, ["journal", "replay", "--dir", strategyJournal, "--dir", executionJournal])
        print(replay.output.split(separator: "\n").filter { !$0.contains(" gantry.") }.joined(separator: "\n"))
        #expect(replay.status == 0 && replay.output.contains("reproduced: every intent and decision"), "\(replay.output.suffix(3_000))")
        #expect(replay.output.contains("intents over the bus:"))
    }
}
