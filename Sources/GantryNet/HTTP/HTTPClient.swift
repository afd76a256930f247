import GantryCore

/// A request's handle, to match its result.
public typealias HTTPRequestId = UInt64

/// A venue's REST endpoint: a pool of up to `maxConnections` keep-alive HTTP/1.1 connections (plain or TLS,
/// the server verified), requests queued until a connection is free, connect and request timeouts.
/// Owned and polled by one stage (it is not thread-safe; the pool is the unit a runner owns).
///
/// Retries: a GET or HEAD sent on a reused connection that the server had closed meanwhile (nothing of
/// the response arrived) is sent once more on a fresh connection; nothing else is retried, since resending
/// an order could duplicate it: the caller reconciles instead.
public final class HTTPClient {
    public let address: String
    public let port: Int
    public let host: String
    public let maxConnections: Int
    public let connectTimeout: Nanos
    public let requestTimeout: Nanos
    public let maxQueued: Int
    let tls: TLSContext?

    struct Pending {
        let id: HTTPRequestId
        let bytes: [UInt8]
        let idempotent: Bool
        let deadline: Nanos
        var retried = false
    }

    var connections: [HTTPConnection] = []
    /// The request each connection carries (same index as `connections`).
    var inFlight: [Pending?] = []
    var queue: [Pending] = []
    var nextId: HTTPRequestId = 1
    var writer = HTTPRequestWriter()
    /// Connections opened, for tests and metrics (a reused connection does not count).
    public private(set) var connectionsOpened = 0

    /// - Parameters:
    ///   - address, port: Where to connect (an IP literal; names are resolved before, off the hot path).
    ///   - host: The Host header and, with TLS, the name the certificate must carry (SNI).
    ///   - tls: A client context for https, nil for http.
    public init(
        address: String, port: Int, host: String, tls: TLSContext?, maxConnections: Int = 4,
        connectTimeout: Nanos = .seconds(5), requestTimeout: Nanos = .seconds(10), maxQueued: Int = 256
    ) {
        precondition(maxConnections > 0 && maxQueued > 0, "the pool needs at least one connection and one queue slot")
        self.address = address
        self.port = port
        self.host = host
        self.tls = tls
        self.maxConnections = maxConnections
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.maxQueued = maxQueued
    }

    deinit {
        for c in connections { c.close() }
    }

    /// Connections currently open (idle or busy).
    public var openConnections: Int { connections.count }

    /// Queues a request; it is sent on the next `poll` that finds a free connection.
    /// - Parameters:
    ///   - target: The path and query, e.g. "/api/v3/depth?symbol=BTCUSDT&limit=1000".
    ///   - headers: Extra headers (API keys go here; they are never logged by this client).
    /// - Returns: The request's id, or `.failure(.queueFull)`.
    public func send(
        method: String, target: String, headers: [(String, String)] = [], body: [UInt8] = [], now: Nanos = MonotonicClock.now()
    ) -> Result<HTTPRequestId, HTTPClientError> {
        guard queue.count < maxQueued else { return .failure(.queueFull) }
        writer.write(method: method, target: target, host: host, headers: headers, body: body)
        let id = nextId
        nextId += 1
        queue.append(Pending(id: id, bytes: writer.bytes, idempotent: method == "GET" || method == "HEAD", deadline: now + requestTimeout))
        return .success(id)
    }

    /// Queues a request already written whole (request line, headers, body), as a venue's order codec writes it.
    /// - Parameter idempotent: It may be sent again on a fresh connection if the reused one was closed before any
    ///   of its response arrived (a query; never an order).
    public func send(request bytes: UnsafeRawBufferPointer, idempotent: Bool, now: Nanos = MonotonicClock.now()) -> Result<HTTPRequestId, HTTPClientError> {
        guard queue.count < maxQueued else { return .failure(.queueFull) }
        let id = nextId
        nextId += 1
        queue.append(Pending(id: id, bytes: Array(bytes), idempotent: idempotent, deadline: now + requestTimeout))
        return .success(id)
    }

    /// Moves requests and responses along.
    /// - Parameter handler: Called once per finished request, with its response or why it failed.
    /// - Returns: How much happened (0: idle).
    @discardableResult
    public func poll(now: Nanos = MonotonicClock.now(), _ handler: (HTTPRequestId, Result<HTTPResponse, HTTPClientError>) -> Void) -> Int {
        var work = 0
        var i = 0
        while i < connections.count {
            switch connections[i].poll(now: now) {
            case .none, .ready: break
            case .response(let r):
                if let p = inFlight[i] { handler(p.id, .success(r)) }
                inFlight[i] = nil
                work += 1
            case .failed(let error, let retryable):
                work += 1
                if var p = inFlight[i] {
                    if retryable && p.idempotent && !p.retried {
                        p.retried = true
                        queue.insert(p, at: 0)
                    } else {
                        handler(p.id, .failure(error))
                    }
                } else if case .connect = error, connections.count == 1 {
                    // The only way to the venue failed: the waiting requests fail with its reason rather
                    // than each waiting out its timeout.
                    for p in queue { handler(p.id, .failure(error)) }
                    queue.removeAll()
                } else if case .timeout = error, connections.count == 1 {
                    for p in queue { handler(p.id, .failure(.timeout("no connection within \(connectTimeout.raw / 1_000_000) ms"))) }
                    queue.removeAll()
                }
                inFlight[i] = nil
            }
            if connections[i].isClosed {
                connections.remove(at: i)
                inFlight.remove(at: i)
            } else {
                i += 1
            }
        }
        // Requests that waited too long for a connection.
        while let first = queue.first, now >= first.deadline {
            handler(first.id, .failure(.timeout("no free connection in time")))
            queue.removeFirst()
            work += 1
        }
        // Hand waiting requests to idle connections; open more while under the limit.
        for (k, c) in connections.enumerated() where c.isIdle && inFlight[k] == nil && !queue.isEmpty {
            let p = queue.removeFirst()
            p.bytes.withUnsafeBytes { c.start($0, deadline: p.deadline) }
            inFlight[k] = p
            work += 1
        }
        var connecting = 0
        for (k, c) in connections.enumerated() where !c.isIdle && inFlight[k] == nil { connecting += 1 }
        var wanted = queue.count - connecting
        while wanted > 0 && connections.count < maxConnections {
            do {
                let c = try HTTPConnection(address: address, port: port, host: host, tls: tls, deadline: now + connectTimeout)
                connections.append(c)
                inFlight.append(nil)
                connectionsOpened += 1
                work += 1
            } catch {
                let reason = HTTPClientError.connect("\(error)")
                for p in queue { handler(p.id, .failure(reason)) }
                queue.removeAll()
                return work + 1
            }
            wanted -= 1
        }
        return work
    }
}
