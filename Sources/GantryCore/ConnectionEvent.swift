/// Where a venue connection is, as published to the rest of the gateway (journal, metrics, books).
public enum ConnectionState: UInt8, Sendable, BitwiseCopyable {
    case connecting = 1
    case open = 2
    /// Data stopped (heartbeat) or the peer broke the protocol: books from this connection are stale.
    case stale = 3
    case closed = 4
    /// Closed, and the next attempt is due after `ConnectionEvent.retryAfter`.
    case waitingToReconnect = 5
    /// Stopped on purpose; no further attempt.
    case stopped = 6
}

/// One change of a venue connection's state: fixed size, for the control ring.
@frozen
public struct ConnectionEvent: Sendable, BitwiseCopyable, Equatable {
    public var state: ConnectionState
    public var venue: VenueId
    /// Which of the venue's connections (its index in the venue's configuration).
    public var connection: UInt8
    /// The WebSocket close code with `.closed` (1006: the connection dropped without a close handshake).
    public var closeCode: UInt16
    /// Connection attempts since the last healthy connection (1 for the first).
    public var attempt: UInt32
    /// When the change happened (monotonic).
    public var time: Nanos
    /// With `.waitingToReconnect`: the delay before the next attempt.
    public var retryAfter: Nanos

    @inlinable
    public init(
        state: ConnectionState, venue: VenueId, connection: UInt8, closeCode: UInt16 = 0, attempt: UInt32 = 0, time: Nanos,
        retryAfter: Nanos = .zero
    ) {
        self.state = state
        self.venue = venue
        self.connection = connection
        self.closeCode = closeCode
        self.attempt = attempt
        self.time = time
        self.retryAfter = retryAfter
    }
}
