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
        let host: String
        /// - Parameter bind: an address of the test's own server (nil: make test's on loopback, if it answers).
        init(bind: String? = nil) throws {
            let configured = Int(ProcessInfo.processInfo.environment["GANTRY_REDIS_PORT"] ?? "") ?? 6390
            directory = NSTemporaryDirectory() + "gantry-roles-redis-\(getpid())"
            host = bind ?? "127.0.0.1"
            if bind == nil && Self.answers(configured) {
                port = configured
                server = nil
                return
            }
            port = 21_000 + Int(getpid() % 2_000)
            try? FileManager.default.removeItem(atPath: directory)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
            p.arguments = ["--port", "\(port)", "--bind", host, "--protected-mode", "no", "--dir", directory, "--appendonly", "yes", "--save", "", "--daemonize", "no"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            server = p
            for _ in 0..<100 where !Self.answers(port, host: host) { usleep(50_000) }
            guard Self.answers(port, host: host) else { throw TestError("redis-server did not answer on \(host):\(port)") }
        }
        static func answers(_ port: Int, host: String = "127.0.0.1") -> Bool {
            (try? runToEnd("/usr/bin/redis-cli", ["-h", host, "-p", "\(port)", "ping"]))?.output.contains("PONG") == true
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
        /// - Parameter namespace: the network namespace to run in (`ip netns exec`, which execs the binary:
        ///   a signal to the process reaches gantry).
        init(_ binary: String, _ arguments: [String], in dir: URL, name: String, namespace: String? = nil) throws {
            if let namespace {
                process.executableURL = URL(fileURLWithPath: VirtualNetwork.ip)
                process.arguments = ["netns", "exec", namespace, binary] + arguments
            } else {
                process.executableURL = URL(fileURLWithPath: binary)
                process.arguments = arguments
            }
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

    static func busTOML(host: String, port: Int, namespace: String) -> String {
        """

        [bus]
        host = "\(host)"
        port = \(port)
        namespace = "\(namespace)"
        block_ms = 10

        """
    }

    /// Three hosts on a virtual network: a bridge in this namespace (the venues' and Redis's host) and a
    /// network namespace per role, each joined to it by a veth pair. Needs root and `ip netns`.
    final class VirtualNetwork {
        static let ip = "/usr/sbin/ip"
        let tag = "\(getpid() % 10_000)"
        var bridge: String { "gbr\(tag)" }
        /// The bridge's address: where the roles reach VenueSim and Redis.
        let hub = "10.77.0.1"
        /// Each role's namespace and address.
        var hosts: [(role: String, namespace: String, address: String)] {
            ["feed", "strategy", "execution"].enumerated().map { k, r in (r, "gantry-\(r)-\(tag)", "10.77.0.\(k + 2)") }
        }

        /// Builds the network. - Throws: why it could not (no root, no `ip netns`): the caller skips.
        init() throws {
            do {
                try Self.run(["link", "add", bridge, "type", "bridge"])
                try Self.run(["addr", "add", "\(hub)/24", "dev", bridge])
                try Self.run(["link", "set", bridge, "up"])
                for (k, h) in hosts.enumerated() {
                    let veth = "gv\(tag)x\(k)"
                    try Self.run(["netns", "add", h.namespace])
                    try Self.run(["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", h.namespace])
                    try Self.run(["link", "set", veth, "master", bridge, "up"])
                    try Self.run(["-n", h.namespace, "addr", "add", "\(h.address)/24", "dev", "eth0"])
                    try Self.run(["-n", h.namespace, "link", "set", "eth0", "up"])
                    try Self.run(["-n", h.namespace, "link", "set", "lo", "up"])
                }
            } catch {
                remove()
                throw error
            }
        }

        func remove() {
            for h in hosts { _ = try? runToEnd(Self.ip, ["netns", "del", h.namespace]) }
            _ = try? runToEnd(Self.ip, ["link", "del", bridge])
        }

        /// Whether `ip netns` can run here (root, iproute2, a kernel that allows it): a namespace made and removed.
        static func works() -> Bool {
            guard getuid() == 0, FileManager.default.isExecutableFile(atPath: ip) else { return false }
            let probe = "gantry-probe-\(getpid())"
            guard (try? runToEnd(ip, ["netns", "add", probe]))?.status == 0 else { return false }
            _ = try? runToEnd(ip, ["netns", "del", probe])
            return true
        }

        static func run(_ arguments: [String]) throws {
            guard FileManager.default.isExecutableFile(atPath: ip) else { throw TestError("no \(ip) on this machine") }
            let r = try runToEnd(ip, arguments)
            guard r.status == 0 else { throw TestError("ip \(arguments.joined(separator: " ")): \(r.output.trimmingCharacters(in: .whitespacesAndNewlines))") }
        }
    }

    @Test("feed, strategy and execution as three processes over Redis trade on VenueSim: orders fill, the kill switch (fired in the execution role) reaches the strategy role and flattens everything, positions equal the venues' balances; the roles' journals, replayed in one process, make every intent and decision again bit for bit, and the execution role took exactly the strategy role's intents off the bus")
    func threeRoles() throws {
        try Self.threeRoles(network: nil)
    }

    @Test(
        "the three roles as three hosts on a virtual network (a namespace each, a bridge to the venues and Redis): the same trading, kill and replay",
        .enabled(if: VirtualNetwork.works(), "skipped: ip netns cannot run here (it needs root, iproute2 and a kernel that allows network namespaces)"))
    func threeHosts() throws {
        let network = try VirtualNetwork()
        defer { network.remove() }
        try Self.threeRoles(network: network)
    }

    static func threeRoles(network: VirtualNetwork?) throws {
        let binary = try #require(gantryExecutable(), "the gantry executable must be built first (make test builds it)")
        let redis = try Redis(bind: network?.hub)
        defer { redis.stop() }
        EndToEndTests.setSecrets()
        let host = network?.hub ?? "127.0.0.1"
        let sim = try SimConfiguration(toml: EndToEndTests.simTOML.replacingOccurrences(of: "127.0.0.1", with: host)).makeSimulator(anyPorts: true)
        let thread = SimulatorThread(sim)
        defer { thread.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-roles-\(getpid())-\(network == nil ? "local" : "hosts")")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("gantry.toml")
        let namespace = "roles-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let gateway = EndToEndTests.gatewayTOML(binance: sim.venues[0], okx: sim.venues[1], bybit: sim.venues[2])
            .replacingOccurrences(of: "127.0.0.1", with: host)
        // The execution role's control plane (on this namespace's loopback: scraped in the local run only).
        let token = dir.appendingPathComponent("control.token").path
        try (GantryControlTests.token + "\n").write(toFile: token, atomically: false, encoding: .utf8)
        chmod(token, 0o600)
        let control = "\n[control]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"\(token)\"\n"
        try (gateway + Self.busTOML(host: host, port: redis.port, namespace: namespace) + control).write(to: config, atomically: true, encoding: .utf8)
        func on(_ role: String) -> String? { network?.hosts.first { $0.role == role }?.namespace }
        let (strategyJournal, executionJournal) = (dir.appendingPathComponent("journal-strategy").path, dir.appendingPathComponent("journal-execution").path)
        // The execution role first (it reads the venues' balances), then the strategy role, then the feeds.
        let execution = try Role(
            binary,
            ["run", "--sim", "--role", "execution", "--config", config.path, "--seconds", "60", "--kill-after", "16", "--journal", executionJournal,
             "--control-socket", dir.appendingPathComponent("c.sock").path], in: dir, name: "execution", namespace: on("execution"))
        let strategy = try Role(
            binary, ["run", "--sim", "--role", "strategy", "--config", config.path, "--seconds", "90", "--journal", strategyJournal], in: dir, name: "strategy",
            namespace: on("strategy"))
        let feed = try Role(binary, ["run", "--sim", "--role", "feed", "--config", config.path, "--seconds", "90"], in: dir, name: "feed", namespace: on("feed"))
        // /metrics of the execution role while it trades: the bus's figures, accepted by promtool.
        var metrics = ""
        if network == nil {
            var url: String? = nil
            for _ in 0..<400 where url == nil && execution.process.isRunning {
                let text = (try? String(contentsOf: execution.output, encoding: .utf8)) ?? ""
                url = text.split(separator: "\n").first { $0.contains("control plane: http://") }?.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init)
                usleep(50_000)
            }
            if let url {
                for _ in 0..<40 where !metrics.contains("gantry_bus_delivered_total{stream=\"intent\"} ") || metrics.contains("gantry_bus_delivered_total{stream=\"intent\"} 0\n") {
                    usleep(250_000)
                    metrics = (try? GantryControlTests.curl(url + "/metrics").body) ?? ""
                }
            }
            #expect(url != nil, "the execution role printed its control plane's URL")
        }
        let t0 = Date()
        let executed = try execution.finish()
        print("execution role ended after \(Int(Date().timeIntervalSince(t0))) s")
        let strategized = try strategy.finish(stop: true)
        let fed = try feed.finish(stop: true)
        print("strategy and feed roles ended after \(Int(Date().timeIntervalSince(t0))) s")
        func lines(_ t: String, _ keys: [String]) -> String { t.split(separator: "\n").filter { l in keys.contains { l.contains($0) } }.joined(separator: "\n") }
        print("execution role:\n" + lines(executed.text, ["summary", "decisions:", "reports", "risk:", "bus:", "market hop", "KILL", "flat", "positions equal", "✓", "✗"]))
        print("strategy role:\n" + lines(strategized.text, ["summary", "signal:", "bus:", "journal:"]))
        print("feed role:\n" + lines(fed.text, ["gantry run --role", "summary", "bus:"]))
        if let network { #expect(fed.text.contains("→ redis \(network.hub):"), "the feed role, on its own host, publishes to the hub's Redis") }
        #expect(executed.status == 0, "the execution role failed:\n\(executed.text.suffix(4_000))")
        #expect(executed.text.contains("positions equal the venues' balances: yes"))
        #expect(executed.text.contains("market hop from the feed role ("), "the execution role measured the market's hop from the feed role")
        #expect(strategized.status == 0 && fed.status == 0, "strategy:\n\(strategized.text.suffix(2_000))\nfeed:\n\(fed.text.suffix(2_000))")
        // Orders filled: the strategy role's intents were decided, sent and filled in the execution role.
        let fills = Int(executed.text.split(separator: "\n").last { $0.hasPrefix("t=") && $0.contains("fills") }?
            .split(separator: ",").first { $0.contains("fills") }?.split(separator: " ").last ?? "") ?? 0
        #expect(fills > 0, "orders filled: \(executed.text.suffix(2_000))")
        // The kill switch reached the strategy role over the bus (its control stream delivered it), and the feed
        // role's publisher lost nothing.
        func summaryBus(_ text: String) -> String { text.split(separator: "\n").last { $0.contains("bus: published") }.map(String.init) ?? "" }
        let strategyBus = summaryBus(strategized.text)
        #expect(strategized.text.contains("summary (strategy role)") && strategyBus.contains(", control ") && !strategyBus.contains(", control 0"), "\(strategyBus)")
        #expect(fed.text.contains("summary (feed role)") && summaryBus(fed.text).contains("dropped 0,"), "\(summaryBus(fed.text))")

        if network == nil {
            print(metrics.split(separator: "\n").filter { $0.hasPrefix("gantry_bus_") && !$0.contains("_bucket") }.joined(separator: "\n"))
            for wanted in ["gantry_bus_published_total ", "gantry_bus_delivered_total{stream=\"market\"} ", "gantry_bus_delivered_total{stream=\"intent\"} ", "gantry_bus_hop_seconds_count{from=\"feed_ring\"} "] {
                #expect(metrics.contains(wanted), "/metrics has \(wanted)")
            }
            #expect(!metrics.contains("gantry_bus_delivered_total{stream=\"intent\"} 0\n"), "intents delivered by the bus, counted")
            if let promtool = promtoolExecutable(for: "GatewayRolesTests") {
                let (checked, said) = try promtoolCheckMetrics(promtool, metrics)
                #expect(checked == 0, "promtool check metrics said: \(said)")
            }
        }

        let replay = try runToEnd(binary, ["journal", "replay", "--dir", strategyJournal, "--dir", executionJournal])
        print(replay.output.split(separator: "\n").filter { !$0.contains(" gantry.") }.joined(separator: "\n"))
        #expect(replay.status == 0 && replay.output.contains("reproduced: every intent and decision"), "\(replay.output.suffix(3_000))")
        #expect(replay.output.contains("intents over the bus:"))
    }
}
