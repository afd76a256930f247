import GantryCore

/// When to try again after a connection is lost: exponential backoff with full jitter (a uniformly random
/// delay between 0 and the current cap), reset after a connection has stayed up long enough.
///
/// A value type with an injected random source and clock readings, so tests can check it exactly.
public struct Backoff: Sendable, Equatable {
    public let initial: Nanos
    public let maximum: Nanos
    /// A connection that stayed up this long resets the backoff.
    public let healthyAfter: Nanos
    public private(set) var attempt = 0
    @usableFromInline var state: UInt64

    /// - Parameters:
    ///   - initial: The first cap (the first retry waits up to this long).
    ///   - maximum: The largest cap.
    ///   - seed: Seeds the jitter (give each connection its own so reconnects do not stampede together).
    public init(initial: Nanos = .milliseconds(100), maximum: Nanos = .seconds(30), healthyAfter: Nanos = .seconds(60), seed: UInt64) {
        precondition(initial.raw > 0 && maximum >= initial, "backoff bounds must satisfy 0 < initial ≤ maximum")
        self.initial = initial
        self.maximum = maximum
        self.healthyAfter = healthyAfter
        state = seed | 1
    }

    /// The cap of the next delay: initial × 2^attempt, at most `maximum`.
    public var currentCap: Nanos {
        let shift = min(attempt, 40)
        let (scaled, overflow) = initial.raw.multipliedReportingOverflow(by: Int64(1) << Int64(shift))
        return overflow ? maximum : min(Nanos(raw: scaled), maximum)
    }

    /// The delay before the next attempt, and counts the attempt.
    public mutating func nextDelay() -> Nanos {
        let cap = currentCap.raw
        attempt += 1
        // xorshift64*: fast, seedable, plenty for jitter.
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        let random = state &* 0x2545_F491_4F6C_DD1D
        return Nanos(raw: Int64(random % UInt64(cap + 1)))
    }

    /// A connection ended after being up for `uptime`: reset if it was healthy.
    public mutating func connectionEnded(uptime: Nanos) {
        if uptime >= healthyAfter { attempt = 0 }
    }
}

/// Watches a feed for silence: a ping is due after `pingInterval` without traffic, and the connection is
/// stale (to be dropped and reconnected) after `staleAfter` without any byte from the peer.
public struct Heartbeat: Sendable, Equatable {
    public let pingInterval: Nanos
    public let staleAfter: Nanos
    public private(set) var lastReceived: Nanos
    public private(set) var lastPing: Nanos

    /// What the owner should do now.
    public enum Action: Equatable, Sendable {
        case none
        case sendPing
        /// Nothing arrived for `staleAfter`: treat the connection as dead (mark books stale, reconnect).
        case stale
    }

    public init(pingInterval: Nanos, staleAfter: Nanos, now: Nanos) {
        precondition(staleAfter > pingInterval, "stale timeout must be longer than the ping interval")
        self.pingInterval = pingInterval
        self.staleAfter = staleAfter
        lastReceived = now
        lastPing = now
    }

    /// Anything arrived from the peer (a message, a pong, a ping).
    public mutating func received(at now: Nanos) { lastReceived = now }

    /// Checks the clock; call it from the runner's timer.
    public mutating func check(now: Nanos) -> Action {
        if now - lastReceived >= staleAfter { return .stale }
        if now - lastReceived >= pingInterval && now - lastPing >= pingInterval {
            lastPing = now
            return .sendPing
        }
        return .none
    }
}

/// A venue's application-level heartbeat: a text message a client sends every `every` to keep its connection
/// (the venue drops clients that stay silent), answered by a message of the venue's own.
public struct KeepAlive: Sendable, Equatable {
    public let text: [UInt8]
    public let every: Nanos

    public init(text: String, every: Nanos) {
        precondition(every > .zero, "a keep-alive needs a period")
        self.text = Array(text.utf8)
        self.every = every
    }
}
