/// What went wrong on the bus. Connection faults are retryable (the publisher and the consumer reconnect with
/// backoff); a rejected command or a malformed entry is about one entry and is counted, never retried.
public enum BusError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Redis could not be reached (`redisConnectWithTimeout` failed): hiredis's error text.
    case connectFailed(host: String, port: Int, why: String)
    /// The connection failed while writing or reading (EOF, reset, timeout): hiredis's error text.
    case connectionLost(String)
    /// Redis answered a command with an error reply (`-ERR …`, `-OOM …`, `-WRONGTYPE …`).
    case rejected(command: String, reply: String)
    /// Redis answered with a reply of a shape the command does not have.
    case unexpectedReply(command: String, what: String)
    /// An entry on a stream is not one of ours: a missing field, a bad number, or a payload of the wrong size.
    case malformedEntry(stream: String, why: String)

    /// A fault of the connection or of a server not ready yet, after which the bus reconnects (with backoff) and
    /// re-sends or re-reads: a lost connection, or an error reply that says "not now" (`-LOADING` while Redis
    /// reads its append-only file at start, `-BUSY` while a script runs, `-TRYAGAIN`, `-MASTERDOWN`).
    public var isRetryable: Bool {
        switch self {
        case .connectFailed, .connectionLost: true
        case .rejected(_, let reply): ["LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN"].contains { reply.hasPrefix($0) }
        case .unexpectedReply, .malformedEntry: false
        }
    }

    public var description: String {
        switch self {
        case .connectFailed(let h, let p, let why): "cannot connect to Redis at \(h):\(p): \(why)"
        case .connectionLost(let why): "Redis connection lost: \(why)"
        case .rejected(let c, let r): "Redis rejected \(c): \(r)"
        case .unexpectedReply(let c, let w): "unexpected Redis reply to \(c): \(w)"
        case .malformedEntry(let s, let why): "malformed entry on \(s): \(why)"
        }
    }
}
