import GantryCore
import Logging

/// A bus stage's connection to Redis, as counted.
public struct BusConnectionStats: Sendable, Equatable {
    /// Connected to Redis now.
    public var connected = false
    /// Successful connects after the first.
    public var reconnects = 0
    /// Connect attempts that failed (refused, timed out, or Redis not ready: `-LOADING`).
    public var connectFailures = 0
    /// The last error met, if any: of the connection, or of a command or an entry.
    public var lastError: BusError?

    public init() {}
}

/// A stage's connection to Redis and the reconnect policy: attempts spaced by a backoff that doubles from
/// `backoffInitial` to `backoffMaximum` and is reset by a successful connect. Every loss and every reconnect is
/// logged (failed attempts at most once every 5 s) and counted.
struct BusLink {
    let configuration: BusConfiguration
    /// "publisher" or "consumer <name>", for the log.
    let role: String
    let logger: Logger
    private(set) var connection: RedisConnection?
    private var backoff: Nanos
    private var nextAttempt = Nanos.zero
    /// Failed attempts since the last connection.
    private var attempts = 0
    private var everConnected = false
    private var lastFailureLog = Nanos(raw: Int64.min / 2)
    private var counts = BusConnectionStats()

    init(configuration: BusConfiguration, role: String, logger: Logger) {
        self.configuration = configuration
        self.role = role
        self.logger = logger
        backoff = configuration.backoffInitial
    }

    /// The connection, connecting first if there is none and the backoff allows an attempt now.
    /// - Returns: the connection and whether it is new (the caller re-sends or re-reads), or nil.
    mutating func connect(now: Nanos) -> (connection: RedisConnection, fresh: Bool)? {
        if let connection { return (connection, false) }
        guard now >= nextAttempt else { return nil }
        let c = configuration
        do {
            let made = try RedisConnection(host: c.host, port: c.port, connectTimeout: c.connectTimeout, commandTimeout: c.commandTimeout)
            try probe(made)
            connection = made
            if everConnected {
                counts.reconnects += 1
                logger.warning("bus \(role): reconnected to Redis at \(c.host):\(c.port) after \(attempts) failed attempts")
            } else {
                logger.info("bus \(role): connected to Redis at \(c.host):\(c.port)")
            }
            everConnected = true
            attempts = 0
            backoff = c.backoffInitial
            return (made, true)
        } catch {
            counts.connectFailures += 1
            attempts += 1
            counts.lastError = error
            if now - lastFailureLog >= .seconds(5) {
                logger.error("bus \(role): \(error); attempt \(attempts), retrying in \(backoff.raw / 1_000_000) ms")
                lastFailureLog = now
            }
            schedule(now)
            return nil
        }
    }

    /// Drops the connection after `error` and schedules the next attempt after the initial backoff.
    mutating func lost(_ error: BusError, now: Nanos) {
        counts.lastError = error
        guard connection != nil else { return }
        connection = nil
        logger.warning("bus \(role): \(error); reconnecting")
        backoff = configuration.backoffInitial
        schedule(now)
    }

    /// A data command on a new connection, before anything is sent: Redis accepts connections while it loads its
    /// append-only file and answers `-LOADING` until done, and a pipeline that met the end of loading half way
    /// would be half refused. Such a connection counts as a failed attempt. - Throws: `BusError`.
    private func probe(_ connection: RedisConnection) throws(BusError) {
        var w = RESPWriter(capacity: 64)
        w.command(arguments: 2)
        w.bulk("EXISTS")
        w.bulk("gantry:bus:probe")
        _ = try connection.run(w, name: "EXISTS")
    }

    /// Notes an error that did not cost the connection (a rejected command, a malformed entry).
    mutating func note(_ error: BusError) { counts.lastError = error }

    /// The counts, and whether connected now.
    var stats: BusConnectionStats {
        var s = counts
        s.connected = connection != nil
        return s
    }

    private mutating func schedule(_ now: Nanos) {
        nextAttempt = now + backoff
        backoff = min(Nanos(raw: backoff.raw * 2), configuration.backoffMaximum)
    }
}
