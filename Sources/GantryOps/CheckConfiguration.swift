import GantryCore
import TOMLKit

/// The `[checks]` table: when `gantry run` runs its sanity checks (pipeline integrity, connectivity to every
/// venue, positions against the venues' balances) and how much ring lag they accept. Without the table the
/// checks run once a day at 00:05 UTC.
///
/// ```toml
/// [checks]
/// at = "00:05"          # each day at this UTC time …
/// every = "24h"         # … or this often from the start (one of the two)
/// max_ring_lag = 10000  # events unread on a ring the watching thread reads
/// ```
public struct CheckConfiguration: Sendable, Equatable {
    public enum Schedule: Sendable, Equatable {
        /// Each day at this many nanoseconds past midnight UTC.
        case daily(Nanos)
        /// This often, the first one an interval after the start.
        case every(Nanos)
    }

    public var schedule: Schedule = .daily(.seconds(5 * 60))
    public var maxRingLag = 10_000

    public init() {}

    /// The file's `[checks]` table as decoded (public for `gantry config check`'s known keys).
    public struct File: Codable {
        public struct Checks: Codable {
            var at: String?
            var every: String?
            var max_ring_lag: Int?
        }
        var checks: Checks?
    }

    /// Reads `[checks]` from a configuration file's text. - Throws: `ControlConfiguration.Invalid` naming the key.
    public static func read(toml: String) throws(ControlConfiguration.Invalid) -> CheckConfiguration {
        typealias Invalid = ControlConfiguration.Invalid
        let file: File
        do { file = try TOMLDecoder().decode(File.self, from: toml) } catch { throw Invalid("[checks]: the configuration cannot be read: \(error)") }
        var c = CheckConfiguration()
        guard let k = file.checks else { return c }
        switch (k.at, k.every) {
        case (.some, .some): throw Invalid("[checks]: give at (a daily UTC time) or every (an interval), not both")
        case (let at?, nil):
            let parts = at.split(separator: ":")
            guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m) else {
                throw Invalid("[checks] at: \(at) must be HH:MM (UTC)")
            }
            c.schedule = .daily(.seconds(Int64(h * 3_600 + m * 60)))
        case (nil, let every?):
            guard let d = DurationText.parse(every), d >= .seconds(1) else { throw Invalid("[checks] every: \(every) must be a duration of 1s or more (10s, 5m, 24h)") }
            c.schedule = .every(d)
        case (nil, nil): break
        }
        if let lag = k.max_ring_lag {
            guard lag >= 1 else { throw Invalid("[checks] max_ring_lag: \(lag) must be ≥ 1") }
            c.maxRingLag = lag
        }
        return c
    }

    /// When the next check is due.
    /// - Parameters:
    ///   - wall: The wall clock now (ns since 1970, UTC); `monotonic`: the monotonic clock now.
    ///   - last: The monotonic time of the last check (nil: none yet; `.every` then counts from `started`).
    /// - Returns: The monotonic time the next check is due.
    public func next(wall: Nanos, monotonic: Nanos, started: Nanos, last: Nanos?) -> Nanos {
        switch schedule {
        case .every(let d):
            return (last ?? started) + d
        case .daily(let offset):
            let day: Int64 = 86_400_000_000_000
            let today = wall.raw - wall.raw % day
            var at = today + offset.raw
            if at <= wall.raw { at += day }
            return monotonic + Nanos(raw: at - wall.raw)
        }
    }
}
