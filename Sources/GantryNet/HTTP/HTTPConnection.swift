import GantryCore

/// A whole HTTP response.
public struct HTTPResponse: Sendable {
    public let head: HTTPHead
    public let body: [UInt8]
    public var status: Int { head.status }
}

/// Why a request failed. Each names what happened; none is retried behind the caller's back except an
/// idempotent request on a kept-alive connection that the server had already closed (see `HTTPClient`).
public enum HTTPClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The TCP connection or the TLS handshake failed (the reason, e.g. OpenSSL's verification error).
    case connect(String)
    /// No complete response within the request timeout (or no connection within the connect timeout).
    case timeout(String)
    /// The server closed the connection before the response was complete.
    case closedBeforeResponse
    /// The response was not valid HTTP/1.1.
    case malformed(String)
    /// Too many requests waiting for a connection.
    case queueFull
    /// A socket send failed (EPIPE, ECONNRESET); `unsentBytes` of the request (under TLS, of its records) never
    /// reached the socket.
    case send(errno: Int32, unsentBytes: Int)
    /// A socket read failed (ECONNRESET).
    case receive(errno: Int32)
    /// The TLS session failed after its handshake: a record that did not decrypt, or could not be encrypted.
    case tls(TLSError)

    public var description: String {
        switch self {
        case .connect(let why): "HTTP connect failed: \(why)"
        case .timeout(let what): "HTTP timeout: \(what)"
        case .closedBeforeResponse: "HTTP connection closed before the response was complete"
        case .malformed(let why): "malformed HTTP response: \(why)"
        case .queueFull: "HTTP request queue full"
        case .send(let e, let unsent): "HTTP send failed (errno \(e)), \(unsent) bytes unsent"
        case .receive(let e): "HTTP receive failed (errno \(e))"
        case .tls(let e): "HTTP over \(e)"
        }
    }
}

/// One HTTP/1.1 connection, plain or TLS, that carries one request at a time and is kept alive between
/// them. Driven by `poll` from the thread that owns its `HTTPClient`. A class because a pool holds several
/// (one object per connection, never per message).
final class HTTPConnection {
    enum State: Equatable { case connecting, tlsHandshake, idle, busy, closed }

    enum Outcome {
        case none
        /// The connection is ready for a request (connected, or done with the last one).
        case ready
        case response(HTTPResponse)
        /// `retryable`: the connection had served a request before and nothing of this response arrived
        /// (the server closed an idle connection as we reused it).
        case failed(HTTPClientError, retryable: Bool)
    }

    let socket: TCPSocket
    var tls: TLSSession?
    let ciphertext: CiphertextBuffers?
    private(set) var state = State.connecting
    /// Plaintext received and not yet parsed; plaintext to send (plain TCP) or to encrypt (TLS).
    var inbound = ByteQueue(capacity: 64 << 10)
    var outbound = ByteQueue(capacity: 16 << 10)
    var head: HTTPHead? = nil
    var body: HTTPBodyDecoder? = nil
    var deadline: Nanos
    var served = 0
    var receivedAny = false
    var keepAlive = true
    /// A failure found outside `poll` (while sending a request), reported by the next `poll`.
    var pendingFailure: HTTPClientError? = nil

    /// Starts connecting; `deadline` bounds the TCP connect and TLS handshake.
    init(address: String, port: Int, host: String, tls context: TLSContext?, deadline: Nanos) throws {
        socket = try TCPSocket.connect(host: address, port: port)
        var session: TLSSession? = nil
        if let context { session = try TLSSession(client: context, host: host) }
        ciphertext = session?.buffers
        tls = session
        self.deadline = deadline
    }

    /// Calls `body` with the TLS session (nil without TLS), borrowed in place: an optional `~Copyable` value
    /// cannot be unwrapped without consuming it.
    func withTLS<R, E: Error>(_ body: (borrowing TLSSession) throws(E) -> R) throws(E) -> R? {
        switch tls {
        case .some(let session): return try body(session)
        case .none: return nil
        }
    }

    var isIdle: Bool { state == .idle }
    var isClosed: Bool { state == .closed }

    /// Sends a request (bytes from `HTTPRequestWriter`); the response arrives through `poll`.
    func start(_ request: UnsafeRawBufferPointer, deadline: Nanos) {
        precondition(state == .idle, "one request at a time")
        state = .busy
        self.deadline = deadline
        head = nil
        body = nil
        receivedAny = false
        if ciphertext != nil {
            do throws(TLSError) {
                _ = try withTLS { session throws(TLSError) in try session.writeAllPlaintext(request) }
            } catch {
                pendingFailure = .tls(error)
                return
            }
        } else {
            outbound.append(request)
        }
        pendingFailure = flush()
    }

    func close() {
        if state != .closed {
            if ciphertext != nil, state == .idle || state == .busy {
                _ = withTLS { $0.close() }
                // Best effort: the close_notify of a connection we are done with (a failure to send it loses nothing).
                _ = flush()
            }
            socket.shutdownWrite()
        }
        state = .closed
    }

    func poll(now: Nanos) -> Outcome {
        switch state {
        case .closed: return .none
        case .connecting:
            switch socket.connectState() {
            case .inProgress:
                return now >= deadline ? fail(.timeout("connect"), retryable: false) : .none
            case .failed(let e): return fail(.connect("TCP connect failed (errno \(e))"), retryable: false)
            case .connected:
                guard ciphertext != nil else {
                    state = .idle
                    return .ready
                }
                state = .tlsHandshake
            }
            fallthrough
        case .tlsHandshake:
            if now >= deadline { return fail(.timeout("TLS handshake"), retryable: false) }
            if case .failed(let error) = read() { return fail(error, retryable: false) }
            do {
                let progress = try withTLS { session throws(TLSError) in try session.handshake() }
                if let error = flush() { return fail(error, retryable: false) }
                if progress == .done {
                    state = .idle
                    return .ready
                }
            } catch {
                return fail(.connect("\(error)"), retryable: false)
            }
            return .none
        case .idle:
            // An idle connection the server closed (or that sent something unasked) is dropped.
            switch read() {
            case .ended, .failed: close()
            case .bytes: if !inbound.isEmpty { close() }
            }
            return .none
        case .busy:
            if let error = pendingFailure ?? flush() {
                pendingFailure = nil
                return fail(error, retryable: served > 0 && !receivedAny)
            }
            let got = read()
            if let outcome = parse() { return outcome }
            if case .failed(let error) = got { return fail(error, retryable: served > 0 && !receivedAny) }
            if got == .ended {
                if head != nil, body != nil, body!.finishAtClose() {
                    let response = HTTPResponse(head: head!, body: body!.body)
                    close()
                    return .response(response)
                }
                return fail(.closedBeforeResponse, retryable: served > 0 && !receivedAny)
            }
            if now >= deadline { return fail(.timeout("no complete response in time"), retryable: false) }
            return .none
        }
    }

    /// Parses what arrived. - Returns: An outcome once the response is complete or broken.
    private func parse() -> Outcome? {
        if head == nil {
            let parsed: HTTPHeadResult
            do {
                parsed = try parseHTTPHead(inbound.readable)
            } catch {
                return fail(.malformed("\(error)"), retryable: false)
            }
            guard case .head(let h) = parsed else { return nil }
            inbound.consume(h.length)
            if (100..<200).contains(h.status) { return parse() }  // an interim response: the real one follows
            do {
                let framing = try HTTPBodyFraming.of(h)
                body = HTTPBodyDecoder(framing: framing)
                keepAlive = framing != .untilClose && h.startLine.0 == "HTTP/1.1" && !h.header("Connection", containsToken: "close")
            } catch {
                return fail(.malformed("\(error)"), retryable: false)
            }
            head = h
        }
        do {
            let used = try body!.feed(inbound.readable)
            inbound.consume(used)
        } catch {
            return fail(.malformed("\(error)"), retryable: false)
        }
        guard body!.isComplete else { return nil }
        let response = HTTPResponse(head: head!, body: body!.body)
        head = nil
        body = nil
        served += 1
        if keepAlive {
            state = .idle
        } else {
            close()
        }
        return .response(response)
    }

    /// What a read found.
    enum Read: Equatable {
        /// Bytes of plaintext added (maybe none).
        case bytes(Int)
        /// The peer closed, after what was added.
        case ended
        /// The socket or TLS failed.
        case failed(HTTPClientError)
    }

    /// Reads what is waiting into `inbound` (through TLS if any). Plaintext that arrived before an end of
    /// stream is parsed first: a response delimited by the close is whole at the end.
    private func read() -> Read {
        var added = 0
        while true {
            let room = ciphertext != nil ? ciphertext!.incoming.reserve(16 << 10) : inbound.reserve(16 << 10)
            switch socket.receive(into: room) {
            case .bytes(let n, _):
                receivedAny = true
                if let ciphertext {
                    ciphertext.incoming.commit(n)
                } else {
                    inbound.commit(n)
                    added += n
                }
                if n < room.count { return drainTLS(added) }
            case .wouldBlock: return drainTLS(added)
            case .closed:
                let last = drainTLS(added)
                if case .bytes(let n) = last, n > 0 { return last }
                return last == .bytes(0) ? .ended : last
            case .failed(let e):
                return .failed(.receive(errno: e))
            }
        }
    }

    /// Decrypts what OpenSSL can into `inbound`. - Returns: `added` plus the plaintext, or the TLS failure.
    private func drainTLS(_ added: Int) -> Read {
        guard ciphertext != nil, state == .busy || state == .idle else { return .bytes(added) }
        var added = added
        while true {
            let room = inbound.reserve(16 << 10)
            let read: (Int, TLSProgress)?
            do throws(TLSError) {
                read = try withTLS { session throws(TLSError) in try session.readPlaintext(into: room) }
            } catch {
                return .failed(.tls(error))
            }
            guard let (n, _) = read, n > 0 else { break }
            inbound.commit(n)
            added += n
        }
        return .bytes(added)
    }

    /// Sends what is queued (ciphertext under TLS). - Returns: The send's failure, with what it left unsent.
    private func flush() -> HTTPClientError? {
        if let buffers = ciphertext { return send(&buffers.outgoing) }
        return send(&outbound)
    }

    private func send(_ queue: inout ByteQueue) -> HTTPClientError? {
        while !queue.isEmpty {
            switch socket.send(queue.readable) {
            case .sent(let n) where n > 0: queue.consume(n)
            case .sent, .wouldBlock: return nil
            case .failed(let e): return .send(errno: e, unsentBytes: queue.count)
            }
        }
        return nil
    }

    private func fail(_ error: HTTPClientError, retryable: Bool) -> Outcome {
        close()
        return .failed(error, retryable: retryable)
    }
}
