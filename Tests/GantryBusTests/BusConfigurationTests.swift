import GantryCore
import Testing

@testable import GantryBus

@Suite("Bus configuration")
struct BusConfigurationTests {
    @Test("a [bus] table sets every key, and streams are named by namespace unless named in full")
    func everyKey() throws {
        let toml = """
            [bus]
            host = "10.0.0.7"
            port = 6380
            namespace = "gw1"
            maxlen = 50000
            batch = 128
            outbox = 1024
            overflow = "wait"
            group = "roles"
            block_ms = 20
            connect_timeout_ms = 300
            command_timeout_ms = 900
            backoff_initial_ms = 10
            backoff_max_ms = 1000
            [bus.streams]
            market = "feeds:gw1"
            """
        let c = try #require(try BusConfiguration.parse(toml: toml))
        #expect(c.host == "10.0.0.7" && c.port == 6380 && c.namespace == "gw1" && c.maxLength == 50_000 && c.batch == 128)
        #expect(c.outbox == 1_024 && c.overflow == .wait && c.group == "roles")
        #expect(c.block == .milliseconds(20) && c.connectTimeout == .milliseconds(300) && c.commandTimeout == .milliseconds(900))
        #expect(c.backoffInitial == .milliseconds(10) && c.backoffMaximum == .seconds(1))
        #expect(c.stream(.market) == "feeds:gw1")
        #expect(c.stream(.intent) == "gantry:gw1:intent" && c.stream(.control) == "gantry:gw1:control")
    }

    @Test("a file without [bus] has no bus, and an empty [bus] takes the defaults")
    func absentAndDefaults() throws {
        #expect(try BusConfiguration.parse(toml: "[risk]\ncapital = \"1000\"\n") == nil)
        let c = try #require(try BusConfiguration.parse(toml: "[bus]\n"))
        #expect(c == BusConfiguration())
        #expect(c.stream(.decision) == "gantry:gantry:decision")
    }

    @Test("every problem of a [bus] table is named at once, each with its key")
    func everyProblem() {
        let toml = """
            [bus]
            port = 70000
            batch = "many"
            outbox = 1000
            overflow = "block"
            colour = "blue"
            host = ""
            [bus.streams]
            fills = "x"
            """
        #expect {
            try BusConfiguration.parse(toml: toml)
        } throws: { error in
            guard let e = error as? BusConfigurationError else { return false }
            let keys = ["bus.port", "bus.batch", "bus.outbox", "bus.overflow", "bus.colour", "bus.host", "bus.streams.fills"]
            return e.problems.count == keys.count && keys.allSatisfy { k in e.problems.contains { $0.hasPrefix(k + ":") } }
        }
        #expect(throws: BusConfigurationError.self) { try BusConfiguration.parse(toml: "[bus\n") }
    }
}

@Suite("Bus errors")
struct BusErrorTests {
    @Test("lost connections and \"not now\" replies are retried; refused commands and malformed entries are not")
    func retryable() {
        #expect(BusError.connectionLost("EOF").isRetryable)
        #expect(BusError.connectFailed(host: "h", port: 1, why: "refused").isRetryable)
        #expect(BusError.rejected(command: "XADD", reply: "LOADING Redis is loading the dataset in memory").isRetryable)
        #expect(BusError.rejected(command: "XADD", reply: "BUSY Redis is busy running a script").isRetryable)
        #expect(!BusError.rejected(command: "XADD", reply: "OOM command not allowed when used memory > 'maxmemory'").isRetryable)
        #expect(!BusError.rejected(command: "XADD", reply: "WRONGTYPE Operation against a key holding the wrong kind of value").isRetryable)
        #expect(!BusError.malformedEntry(stream: "s", why: "short").isRetryable)
    }
}
