/// Why a WebSocket connection ended without a clean close handshake.
public enum WebSocketFailureReason: Equatable, Sendable, CustomStringConvertible {
    /// The TCP connect failed.
    case connect(errno: Int32)
    /// The peer ended the TCP stream (or its TLS session) without a close frame.
    case peerEndedStream
    /// A socket read failed (ECONNRESET: the peer reset the connection).
    case receive(errno: Int32)
    /// A socket send failed (EPIPE, ECONNRESET): what was queued behind it is unsent.
    case send(errno: Int32)
    /// The TLS session failed: its handshake (verification named), or a record that did not decrypt or encrypt.
    case tls(TLSError)
    /// The HTTP upgrade failed (client: the server's answer; server: the client's request).
    case upgrade(String)
    /// The peer broke the WebSocket protocol (a frame, UTF-8, a compressed message, a size).
    case protocolViolation(String)
    /// The owner gave up on the connection: it did not open in time, or went silent.
    case timeout(String)

    public var description: String {
        switch self {
        case .connect(let e): "connect failed (errno \(e))"
        case .peerEndedStream: "connection closed by peer"
        case .receive(let e): "receive failed (errno \(e))"
        case .send(let e): "send failed (errno \(e))"
        case .tls(let e): "\(e)"
        case .upgrade(let why): why
        case .protocolViolation(let why): "protocol violation: \(why)"
        case .timeout(let why): "timeout: \(why)"
        }
    }
}

/// What a connection had accepted to send and never handed to the socket when it failed. Data messages are
/// numbered from 1 by `send`, in order; bytes reach the socket in that order, so the unsent ones are the last
/// `messages` of them, from `firstMessage` on. A message handed to the socket may still be lost with the
/// connection (the kernel had it, the peer may not): an order sender treats every unanswered order as
/// unknown and reconciles it; the unsent ones certainly never left.
public struct WebSocketUnsent: Equatable, Sendable {
    /// Bytes queued (frames, and under TLS their records) that the socket never took.
    public var bytes: Int
    /// The number of the first data message not wholly handed to the socket (0 when `messages` is 0).
    public var firstMessage: UInt64
    /// How many data messages were not wholly handed to the socket.
    public var messages: Int

    public init(bytes: Int = 0, firstMessage: UInt64 = 0, messages: Int = 0) {
        self.bytes = bytes
        self.firstMessage = firstMessage
        self.messages = messages
    }

    public static let none = WebSocketUnsent()
}

/// A connection's failure: why, the close code it ended with, and what it left unsent.
public struct WebSocketFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: WebSocketFailureReason
    /// The code the connection ended with: sent in our close frame if one could be, otherwise 1006 (or 1015
    /// for a failed TLS handshake).
    public var code: WebSocketCloseCode
    public var unsent: WebSocketUnsent

    public init(reason: WebSocketFailureReason, code: WebSocketCloseCode, unsent: WebSocketUnsent = .none) {
        self.reason = reason
        self.code = code
        self.unsent = unsent
    }

    public var description: String {
        guard unsent.bytes > 0 || unsent.messages > 0 else { return reason.description }
        let messages =
            unsent.messages == 0
            ? "no whole message" : "messages \(unsent.firstMessage)...\(unsent.firstMessage + UInt64(unsent.messages) - 1)"
        return "\(reason) (\(unsent.bytes) bytes unsent: \(messages))"
    }
}

/// What `WebSocketConnection.send` did with a message.
public enum WebSocketSendResult: Equatable, Sendable {
    /// The socket took all of it (message number `message`).
    case sent(message: UInt64)
    /// Accepted as message number `message`; some of its bytes wait for the socket (sent by `flush` or the
    /// next `poll`), or it was only queued (`flush: false`).
    case queued(message: UInt64)
    /// Not sent: the connection is not open (not yet, or any more), or the opcode is not text or binary.
    case notOpen
    /// Not sent: the connection failed, now or before. The connection is closed, and its next `poll` reports
    /// the same failure (as it reports every end).
    case failed(WebSocketFailure)

    /// Sent or queued: the connection took the message.
    public var isAccepted: Bool {
        switch self {
        case .sent, .queued: true
        case .notOpen, .failed: false
        }
    }
}
