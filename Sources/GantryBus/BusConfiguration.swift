import GantryCore
import TOMLKit

/// What the publisher does with events when its outbox of unconfirmed entries is full (Redis away for longer
/// than the outbox holds).
public enum BusOverflow: String, Sendable, Equatable {
    /// Takes them off the rings and drops them, counted: the bus never stalls a producer; each dropped event
    /// leaves a gap in the stream's sequence that consumers count.
    case drop
    /// Leaves them on the rings: the rings' producers wait (or drop, if they publish with `tryPublish`) until
    /// Redis is back. For producers that can afford to wait, and for tests that must lose nothing.
    case wait
}

/// The `[bus]` section: where Redis is, how streams are named and bounded, how the bus batches and retries.
///
/// ```toml
/// [bus]
/// host = "127.0.0.1"
/// port = 6379
/// namespace = "gw1"          # streams gantry:gw1:market, gantry:gw1:intent, …
/// maxlen = 1000000           # XADD MAXLEN ~ (per stream)
/// batch = 512                # XADDs per pipeline, entries per XREADGROUP
/// [bus.streams]              # optional: a stream's name in full
/// market = "feeds:gw1"
/// ```
public struct BusConfiguration: Sendable, Equatable {
    /// Redis's address (`host`).
    public var host = "127.0.0.1"
    /// Redis's TCP port (`port`).
    public var port = 6379
    /// The gateway's name in stream names.
    public var namespace = "gantry"
    /// Each stream is trimmed to about this many entries (`MAXLEN ~`): consumers further behind lose entries.
    public var maxLength = 1_000_000
    /// XADDs written per pipeline round and entries read per XREADGROUP.
    public var batch = 512
    /// Unconfirmed entries the publisher keeps for re-sending (a power of two).
    public var outbox = 1 << 16
    /// What the publisher does with events when its outbox is full (`overflow`).
    public var overflow = BusOverflow.drop
    /// The consumer group's name.
    public var group = "gantry"
    /// How long an XREADGROUP waits for entries (`BLOCK`).
    public var block = Nanos.milliseconds(50)
    /// How long a TCP connect to Redis may take (`connect_timeout_ms`).
    public var connectTimeout = Nanos.milliseconds(500)
    /// How long one read or write to Redis may block before the connection is taken for dead.
    public var commandTimeout = Nanos.seconds(2)
    /// The first reconnect delay; it doubles up to `backoffMaximum`.
    public var backoffInitial = Nanos.milliseconds(20)
    /// The longest reconnect delay (`backoff_max_ms`).
    public var backoffMaximum = Nanos.seconds(2)
    /// Full stream names by kind, where not `gantry:<namespace>:<kind>`.
    public var streamNames: [BusEventKind: String] = [:]

    /// The defaults, with Redis at `host`:`port` and streams named for `namespace`.
    public init(host: String = "127.0.0.1", port: Int = 6379, namespace: String = "gantry") {
        self.host = host
        self.port = port
        self.namespace = namespace
    }

    /// The stream that carries `kind`.
    public func stream(_ kind: BusEventKind) -> String { streamNames[kind] ?? "gantry:\(namespace):\(kind)" }

    /// Reads the `[bus]` table of a configuration file (other tables are for other parts of Gantry).
    /// - Returns: nil when the file has no `[bus]` table (the gateway runs without a bus).
    /// - Throws: `BusConfigurationError` naming every problem found, not just the first.
    /// The keys `[bus]` may hold (`streams` is a table of stream names by kind).
    public static let knownKeys: Set<String> = [
        "host", "port", "namespace", "maxlen", "batch", "outbox", "overflow", "group", "block_ms", "connect_timeout_ms",
        "command_timeout_ms", "backoff_initial_ms", "backoff_max_ms", "streams",
    ]

    public static func parse(toml: String) throws(BusConfigurationError) -> BusConfiguration? {
        let file: TOMLTable
        do {
            file = try TOMLTable(string: toml)
        } catch {
            throw BusConfigurationError(problems: ["not valid TOML: \(error)"])
        }
        guard let value = file["bus"] else { return nil }
        guard let table = value.table else { throw BusConfigurationError(problems: ["bus: must be a table"]) }
        var c = BusConfiguration()
        var problems: [String] = []
        func int(_ key: String, _ range: ClosedRange<Int>) -> Int? {
            guard let v = table[key] else { return nil }
            guard let n = v.int, range.contains(n) else {
                problems.append("bus.\(key): must be an integer in \(range.lowerBound)…\(range.upperBound)")
                return nil
            }
            return n
        }
        func text(_ key: String) -> String? {
            guard let v = table[key] else { return nil }
            guard let s = v.string, !s.isEmpty else {
                problems.append("bus.\(key): must be a non-empty string")
                return nil
            }
            return s
        }
        for key in table.keys.sorted() where !knownKeys.contains(key) { problems.append("bus.\(key): unknown key") }
        if let v = text("host") { c.host = v }
        if let v = int("port", 1...65_535) { c.port = v }
        if let v = text("namespace") { c.namespace = v }
        if let v = int("maxlen", 1...(1 << 40)) { c.maxLength = v }
        if let v = int("batch", 1...65_536) { c.batch = v }
        if let v = int("outbox", 16...(1 << 26)) {
            if v & (v - 1) == 0 { c.outbox = v } else { problems.append("bus.outbox: must be a power of two, got \(v)") }
        }
        if let v = text("overflow") {
            if let o = BusOverflow(rawValue: v) { c.overflow = o } else { problems.append("bus.overflow: must be \"drop\" or \"wait\", got \"\(v)\"") }
        }
        if let v = text("group") { c.group = v }
        if let v = int("block_ms", 1...60_000) { c.block = .milliseconds(Int64(v)) }
        if let v = int("connect_timeout_ms", 1...60_000) { c.connectTimeout = .milliseconds(Int64(v)) }
        if let v = int("command_timeout_ms", 1...600_000) { c.commandTimeout = .milliseconds(Int64(v)) }
        if let v = int("backoff_initial_ms", 1...60_000) { c.backoffInitial = .milliseconds(Int64(v)) }
        if let v = int("backoff_max_ms", 1...600_000) { c.backoffMaximum = .milliseconds(Int64(v)) }
        if c.backoffMaximum < c.backoffInitial { problems.append("bus.backoff_max_ms: must be at least backoff_initial_ms") }
        if c.commandTimeout <= c.block { problems.append("bus.command_timeout_ms: must be longer than block_ms") }
        if c.outbox < 2 * c.batch { problems.append("bus.outbox: must hold at least two batches (\(2 * c.batch))") }
        if let streams = table["streams"] {
            if let names = streams.table {
                for key in names.keys.sorted() {
                    guard let kind = BusEventKind.allCases.first(where: { $0.description == key }) else {
                        problems.append("bus.streams.\(key): unknown event kind (market, intent, decision, report, control)")
                        continue
                    }
                    if let name = names[key]?.string, !name.isEmpty { c.streamNames[kind] = name } else {
                        problems.append("bus.streams.\(key): must be a non-empty string")
                    }
                }
            } else {
                problems.append("bus.streams: must be a table")
            }
        }
        if !problems.isEmpty { throw BusConfigurationError(problems: problems) }
        return c
    }
}

/// Everything wrong with a `[bus]` table.
public struct BusConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One line per problem, each naming its key.
    public var problems: [String]

    public var description: String { problems.joined(separator: "\n") }
}
