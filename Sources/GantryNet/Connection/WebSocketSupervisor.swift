import GantryCore
import GantryRing
import Logging

/// Where a supervisor publishes its connection's state changes: the control ring, usually.
public protocol ConnectionEventSink: ~Copyable {
    /// - Returns: false if the event could not be taken now (a full ring); it is offered again later.
    mutating func deliver(_ event: ConnectionEvent) -> Bool
}

extension RingProducer: ConnectionEventSink where Element == ConnectionEvent {
    public mutating func deliver(_ event: ConnectionEvent) -> Bool { tryPublish(event) }
}

/// Where and how a supervised WebSocket connects.
public struct WebSocketEndpoint: Sendable {
    public var address: String
    public var port: Int
    public var host: String
    public var path: String
    public var tls: TLSContext?
    public var maxMessage: Int

    public init(address: String, port: Int, host: String, path: String, tls: TLSContext?, maxMessage: Int = 1 << 20) {
        self.address = address
        self.port = port
        self.host = host
        self.path = path
        self.tls = tls
        self.maxMessage = maxMessage
    }
}

/// Keeps one venue WebSocket connected: connects, sends the subscriptions again after every (re)connect,
/// pings when the feed is quiet and drops it when it goes stale, reconnects after backoff with jitter
/// when it closes or fails, and publishes every state change as a `ConnectionEvent`. Driven by `poll` from
/// the stage that owns it, with the runner's clock reading.
public struct WebSocketSupervisor<Sink: ConnectionEventSink & ~Copyable>: ~Copyable {
    public let endpoint: WebSocketEndpoint
    public let venue: VenueId
    public let index: UInt8
    /// Longest time from starting a connection to its open handshake.
    public let connectTimeout: Nanos
    public private(set) var state: ConnectionState = .waitingToReconnect
    var connection: WebSocketConnection? = nil
    var connected = false
    var sink: Sink
    var backoff: Backoff
    var heartbeat: Heartbeat
    let subscriptions: [[UInt8]]
    /// When the next attempt is due (waiting), or when the current attempt started (connecting).
    var due: Nanos
    var openedAt = Nanos.zero
    var lastCheck = Nanos.zero
    /// An application-level heartbeat the venue asks clients for (Bybit's `{"op":"ping"}`, OKX's text `ping`):
    /// sent as a text message every `every` while the connection is open, whatever the traffic; its answer
    /// reaches the handler as a message. Nil: the protocol's own pings (after silence) are all it needs.
    public var keepAlive: KeepAlive? = nil
    var lastKeepAlive = Nanos.zero
    var attempt: UInt32 = 0
    /// Events the sink could not take yet, oldest first.
    var undelivered: [ConnectionEvent] = []
    /// Events dropped because even the backlog was full (the newest state is always kept).
    public private(set) var droppedEvents = 0
    /// Told of each connection's socket: `(fd, true)` once it exists, `(fd, false)` just before it is closed,
    /// so that a runner can watch it and wake when data arrives (`RunnerContext.watch`/`unwatch`).
    public var socketChanged: ((Int32, Bool) -> Void)? = nil
    /// The current connection's descriptor (valid while `connected`).
    var socketFD: Int32 = -1
    /// Connections opened, ended and failed, off the hot path (a line per change of state).
    public var logger = Logger(label: "gantry.net.websocket")

    /// - Parameters:
    ///   - subscriptions: Text messages sent, in order, each time the connection opens.
    ///   - backoff: Delays between attempts (seeded per connection).
    ///   - pingInterval, staleAfter: The heartbeat: ping after this much silence; drop and reconnect after that.
    ///   - now: The clock now; the first attempt is made on the first `poll`.
    public init(
        endpoint: WebSocketEndpoint, venue: VenueId, index: UInt8, subscriptions: [[UInt8]], sink: consuming Sink,
        backoff: Backoff, pingInterval: Nanos = .seconds(10), staleAfter: Nanos = .seconds(30),
        connectTimeout: Nanos = .seconds(10), now: Nanos
    ) {
        self.endpoint = endpoint
        self.venue = venue
        self.index = index
        self.subscriptions = subscriptions
        self.sink = sink
        self.backoff = backoff
        self.connectTimeout = connectTimeout
        heartbeat = Heartbeat(pingInterval: pingInterval, staleAfter: staleAfter, now: now)
        due = now
        undelivered.reserveCapacity(64)
    }

    /// Does the connection's I/O and its upkeep; market messages go to `handler` (valid during the call).
    /// - Returns: How much work was done (0: idle).
    public mutating func poll(now: Nanos, _ handler: (WebSocketConnectionEvent) -> Void) -> Int {
        var work = flushUndelivered()
        switch state {
        case .stopped: return work
        case .waitingToReconnect, .closed, .stale:
            if now >= due { work += connect(now: now) }
            return work
        case .connecting, .open:
            break
        }
        var opened = false
        var ended: WebSocketCloseCode? = nil
        var traffic = false
        var failure: WebSocketFailure? = nil
        work += connection!.poll { event in
            switch event {
            case .open: opened = true
            case .message, .pong: traffic = true
            case .closed(let code, _): ended = code
            case .failed(let f): failure = f
            }
            handler(event)
        }
        if let failure { log(failure) }
        if opened {
            logger.info("connection open", metadata: metadata)
            state = .open
            openedAt = now
            heartbeat = Heartbeat(pingInterval: heartbeat.pingInterval, staleAfter: heartbeat.staleAfter, now: now)
            publish(.open, now: now)
            // A send that fails closes the connection; the next poll reports it (and reconnects, subscribing again).
            for s in subscriptions { s.withUnsafeBytes { _ = connection!.send(.text, $0, flush: false) } }
            connection!.flush()
            lastKeepAlive = now
        }
        if traffic { heartbeat.received(at: now) }
        if let code = ended {
            work += 1
            lost(code: code, now: now)
            return work
        }
        if state == .connecting && now - due >= connectTimeout {
            // Ended here, not by the connection: the handler hears of it as of any other end.
            giveUp(.timeout("not open \(connectTimeout.raw / 1_000_000) ms after the connect started"), now: now, handler)
            return work + 1
        }
        // The heartbeat is checked every few milliseconds, not on every poll.
        if state == .open && now - lastCheck >= .milliseconds(5) {
            lastCheck = now
            if let keepAlive, now - lastKeepAlive >= keepAlive.every {
                lastKeepAlive = now
                // A failed send closes the connection; the next poll reports it.
                keepAlive.text.withUnsafeBytes { _ = connection!.send(.text, $0) }
                work += 1
            }
            switch heartbeat.check(now: now) {
            case .none: break
            case .sendPing:
                withUnsafeBytes(of: now.raw) { _ = connection!.ping($0) }
                work += 1
            case .stale:
                publish(.stale, now: now)
                // Ended here, not by the connection: the handler must hear of it (its books are stale until
                // the reconnect's snapshots), as of a close the connection reports.
                giveUp(.timeout("silent for \((now - heartbeat.lastReceived).raw / 1_000_000) ms"), now: now, handler)
                work += 1
            }
        }
        return work
    }

    /// Sends a text message on the open connection (a resubscription, an unsubscribe).
    /// - Returns: false if the connection is not open (the subscriptions are sent again when it opens).
    @discardableResult
    public mutating func send(text: UnsafeRawBufferPointer) -> Bool {
        guard state == .open, connected else { return false }
        switch connection!.send(.text, text) {
        case .sent, .queued: return true
        // The connection failed: the next poll reports it and reconnects (the subscriptions are sent again).
        case .notOpen, .failed: return false
        }
    }

    /// Drops a connection that did not open in time or went silent: a close frame if it is open (1001), and
    /// the end reported to the handler as a failure, with what it left unsent, then as a close (1006).
    mutating func giveUp(_ reason: WebSocketFailureReason, now: Nanos, _ handler: (WebSocketConnectionEvent) -> Void) {
        connection!.close(code: .goingAway)
        var unsent = WebSocketUnsent.none
        switch connection {
        case .some(let c): unsent = c.unsent
        case .none: break
        }
        let failure = WebSocketFailure(reason: reason, code: .abnormal, unsent: unsent)
        log(failure)
        lost(code: .abnormal, now: now)
        handler(.failed(failure))
        handler(.closed(code: .abnormal, clean: false))
    }

    /// Closes the connection on purpose; no reconnect follows.
    public mutating func stop(now: Nanos) {
        if connected {
            connection!.close()
            _ = connection!.poll { _ in }
            socketChanged?(socketFD, false)
            connection = nil
            connected = false
        }
        state = .stopped
        publish(.stopped, now: now)
    }

    mutating func connect(now: Nanos) -> Int {
        attempt += 1
        state = .connecting
        due = now
        publish(.connecting, now: now)
        do {
            let c = try WebSocketConnection(
                address: endpoint.address, port: endpoint.port, host: endpoint.host, path: endpoint.path, tls: endpoint.tls,
                maxMessage: endpoint.maxMessage)
            socketFD = c.fd
            connection = consume c
            connected = true
            socketChanged?(socketFD, true)
        } catch {
            logger.error("cannot start a connection", metadata: metadata.merging(["error": "\(error)"]) { a, _ in a })
            lost(code: .abnormal, now: now)
        }
        return 1
    }

    /// The connection ended (or could not start): publish it and schedule the next attempt.
    mutating func lost(code: WebSocketCloseCode, now: Nanos) {
        if connected {
            socketChanged?(socketFD, false)
            connection = nil
            connected = false
        }
        publish(.closed, now: now, closeCode: code.rawValue)
        if state == .open && now - openedAt >= backoff.healthyAfter { attempt = 0 }  // counted afresh from here
        if state == .open { backoff.connectionEnded(uptime: now - openedAt) }
        let delay = backoff.nextDelay()
        logger.info(
            "connection closed", metadata: metadata.merging(["code": "\(code)", "retryInMs": "\(delay.raw / 1_000_000)"]) { a, _ in a })
        state = .waitingToReconnect
        due = now + delay
        publish(.waitingToReconnect, now: now, retryAfter: delay)
    }

    /// The venue, connection and endpoint, for log lines.
    var metadata: Logger.Metadata {
        ["venue": "\(venue.raw)", "connection": "\(index)", "endpoint": "\(endpoint.host):\(endpoint.port)\(endpoint.path)"]
    }

    func log(_ failure: WebSocketFailure) {
        var m = metadata
        m["reason"] = "\(failure.reason)"
        m["code"] = "\(failure.code)"
        if failure.unsent.bytes > 0 || failure.unsent.messages > 0 {
            m["unsentBytes"] = "\(failure.unsent.bytes)"
            m["unsentMessages"] = "\(failure.unsent.messages)"
        }
        logger.warning("connection failed", metadata: m)
    }

    mutating func publish(_ state: ConnectionState, now: Nanos, closeCode: UInt16 = 0, retryAfter: Nanos = .zero) {
        let event = ConnectionEvent(
            state: state, venue: venue, connection: index, closeCode: closeCode, attempt: attempt, time: now, retryAfter: retryAfter)
        if undelivered.isEmpty && sink.deliver(event) { return }
        if undelivered.count == undelivered.capacity {
            undelivered.removeFirst()
            droppedEvents += 1
        }
        undelivered.append(event)
    }

    mutating func flushUndelivered() -> Int {
        var n = 0
        while let first = undelivered.first, sink.deliver(first) {
            undelivered.removeFirst()
            n += 1
        }
        return n
    }
}
