import GantryCore
import TOMLKit

/// The `[alerts]` table: the alert rules' thresholds, their hysteresis and the webhook. Every key has a default,
/// so a configuration without the table gets the rules with sane thresholds and no webhook.
///
/// ```toml
/// [alerts]
/// webhook = "http://127.0.0.1:9093/gantry"   # POSTed JSON per firing/resolved; plain HTTP to an IP literal
/// latency_factor = "5"            # a venue's order round trip over 5 × the median of its recent ones …
/// latency_floor_ms = 5            # … and over 5 ms (sub-millisecond jitter is not a spike)
/// drift_orders = 20               # the paper trader's price against live fills over the last 20 orders …
/// drift_bp = "10"                 # … differs by 10 bp or more on average
/// pair_drawdown = "1000"          # the strategies' drawdowns on one pair, summed, in its quote currency
/// queue_window = "10s"            # the order queue rose over the whole window …
/// queue_growth = 50               # … by this many orders
/// max_book_age = "10s"            # a book whose top has not changed for this long (or that went stale)
/// journal_backlog = 100000        # the journal's largest backlog grew past this (or it dropped records)
/// fire_after = "0s"               # a condition holds this long before its alert fires
/// resolve_after = "10s"           # and is gone this long before it resolves (no flapping)
/// ```
public struct AlertConfiguration: Sendable, Equatable {
    public var webhook: WebhookURL?
    /// Round trip over `latencyFactorTenths` / 10 × the venue's recent median (and over `latencyFloor`).
    public var latencyFactorTenths: Int64 = 50
    public var latencyFloor: Nanos = .milliseconds(5)
    /// Round trips kept per venue for the median.
    public var latencyWindow = 50
    public var driftOrders = 20
    /// Mean price difference, centi-basis points (hundredths of a bp).
    public var driftCentiBasisPoints: Int64 = 1_000
    /// Summed drawdown on one pair, cents of its quote currency.
    public var pairDrawdownCents: Int64 = 100_000
    public var queueWindow: Nanos = .seconds(10)
    public var queueGrowth = 50
    public var maxBookAge: Nanos = .seconds(10)
    public var journalBacklog = 100_000
    public var fireAfter: Nanos = .zero
    public var resolveAfter: Nanos = .seconds(10)
    /// The webhook's queue (alerts past it are dropped and counted), attempts per alert, first retry delay.
    public var webhookQueue = 256
    public var webhookAttempts = 5
    public var webhookBackoff: Nanos = .milliseconds(200)

    public init() {}

    /// The file's `[alerts]` table as decoded (public for `gantry config check`'s known keys).
    public struct File: Codable {
        public struct Alerts: Codable {
            var webhook: String?
            var latency_factor: String?
            var latency_floor_ms: Int?
            var latency_window: Int?
            var drift_orders: Int?
            var drift_bp: String?
            var pair_drawdown: String?
            var queue_window: String?
            var queue_growth: Int?
            var max_book_age: String?
            var journal_backlog: Int?
            var fire_after: String?
            var resolve_after: String?
            var webhook_queue: Int?
            var webhook_attempts: Int?
            var webhook_backoff: String?
        }
        var alerts: Alerts?
    }

    /// Reads `[alerts]` from a configuration file's text (defaults for what is absent).
    /// - Throws: `ControlConfiguration.Invalid` naming the key and what it must be.
    public static func read(toml: String) throws(ControlConfiguration.Invalid) -> AlertConfiguration {
        typealias Invalid = ControlConfiguration.Invalid
        let file: File
        do { file = try TOMLDecoder().decode(File.self, from: toml) } catch { throw Invalid("[alerts]: the configuration cannot be read: \(error)") }
        var c = AlertConfiguration()
        guard let a = file.alerts else { return c }
        func decimal(_ key: String, _ text: String?, scale: Int, _ into: inout Int64) throws(Invalid) {
            guard let text else { return }
            guard let v = try? FixedPoint.parse(text, scale: scale), v > 0 else { throw Invalid("[alerts] \(key): \(text) must be a positive decimal (at most \(scale) places)") }
            into = v
        }
        func count(_ key: String, _ value: Int?, _ range: ClosedRange<Int>, _ into: inout Int) throws(Invalid) {
            guard let value else { return }
            guard range.contains(value) else { throw Invalid("[alerts] \(key): \(value) must be \(range.lowerBound)…\(range.upperBound)") }
            into = value
        }
        func duration(_ key: String, _ text: String?, _ into: inout Nanos, zero: Bool = false) throws(Invalid) {
            guard let text else { return }
            guard let d = DurationText.parse(text), zero || d > .zero else { throw Invalid("[alerts] \(key): \(text) must be a duration such as 500ms, 10s, 5m, 24h\(zero ? "" : " (> 0)")") }
            into = d
        }
        if let w = a.webhook {
            do { c.webhook = try WebhookURL(w) } catch { throw Invalid("[alerts] webhook: \(error)") }
        }
        try decimal("latency_factor", a.latency_factor, scale: 1, &c.latencyFactorTenths)
        guard c.latencyFactorTenths > 10 else { throw Invalid("[alerts] latency_factor: must be more than 1") }
        if let f = a.latency_floor_ms {
            guard (0...600_000).contains(f) else { throw Invalid("[alerts] latency_floor_ms: \(f) must be 0…600000") }
            c.latencyFloor = .milliseconds(Int64(f))
        }
        try count("latency_window", a.latency_window, 3...10_000, &c.latencyWindow)
        try count("drift_orders", a.drift_orders, 1...100_000, &c.driftOrders)
        try decimal("drift_bp", a.drift_bp, scale: 2, &c.driftCentiBasisPoints)
        try decimal("pair_drawdown", a.pair_drawdown, scale: 2, &c.pairDrawdownCents)
        try duration("queue_window", a.queue_window, &c.queueWindow)
        try count("queue_growth", a.queue_growth, 1...100_000_000, &c.queueGrowth)
        try duration("max_book_age", a.max_book_age, &c.maxBookAge)
        try count("journal_backlog", a.journal_backlog, 1...1_000_000_000, &c.journalBacklog)
        try duration("fire_after", a.fire_after, &c.fireAfter, zero: true)
        try duration("resolve_after", a.resolve_after, &c.resolveAfter, zero: true)
        try count("webhook_queue", a.webhook_queue, 1...100_000, &c.webhookQueue)
        try count("webhook_attempts", a.webhook_attempts, 1...100, &c.webhookAttempts)
        try duration("webhook_backoff", a.webhook_backoff, &c.webhookBackoff)
        return c
    }
}

/// A webhook's address: `http://ADDRESS:PORT/path`, with an IP literal (names are not resolved; put a relay on
/// loopback in front of an https or named endpoint).
public struct WebhookURL: Sendable, Equatable, CustomStringConvertible {
    /// `http://ADDRESS:PORT`, what `ControlClient` connects to.
    public var base: String
    /// The request target (`/` when the URL has none).
    public var path: String

    /// - Throws: `ControlConfiguration.Invalid` for anything but `http://ADDRESS:PORT[/path]`.
    public init(_ text: String) throws(ControlConfiguration.Invalid) {
        guard text.hasPrefix("http://") else { throw .init("\(text) must be http://ADDRESS:PORT/path") }
        let rest = text.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        _ = try ControlConfiguration.parseListen(String(rest[..<slash]))
        base = "http://" + rest[..<slash]
        path = slash == rest.endIndex ? "/" : String(rest[slash...])
    }

    public var description: String { base + path }
}

/// Durations in configuration text.
public enum DurationText {
    /// `500ms`, `10s`, `5m`, `24h`, `2d` (a whole number and a unit) as nanoseconds; nil for anything else.
    public static func parse(_ text: String) -> Nanos? {
        let units: [(String, Int64)] = [("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000), ("d", 86_400_000_000_000)]
        for (unit, nanos) in units where text.hasSuffix(unit) {
            let number = text.dropLast(unit.count)
            guard !number.isEmpty, number.allSatisfy(\.isASCII), let n = Int64(number), n >= 0, n <= Int64.max / nanos else { continue }
            return Nanos(raw: n * nanos)
        }
        return nil
    }
}
