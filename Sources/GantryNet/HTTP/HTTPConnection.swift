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

    public var description: String {
        switch self {
        case .connect(let why): "HTTP connect failed: \(why)"
        case .timeout(let what): "HTTP timeout: \(what)"
        case .closedBeforeResponse: "HTTP connection closed before the response was complete"
        case .malformed(let why): "malformed HTTP response: \(why)"
        case .queueFull: "HTTP request queue full"
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

    /// Starts connecting; `deadline` bounds the TCP connect and TLS handshake.
    init(address: String, port: Int, host: String, tls context: TLSContext?, deadline: Nanos) throws {
        socket = try TCPSocket.connect(host: address, port: port)
        var session: TLSSession? = nil
        if let context { session = try TLSSession(client: context, host: host) }
        ciphertext = session?.buffers
        tls = session
        self.deadline = deadline
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
            _ = try? tls!.writeAllPlaintext(request)
        } else {
            outbound.append(request)
        }
        flush()
    }

    func close() {
        if state != .closed {
            if ciphertext != nil, state == .idle || state == .busy {
                tls!.close()
                flush()
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
            _ = read()
            do {
                let progress = try tls!.handshake()
                flush()
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
            if read() < 0 || !inbound.isEmpty { close() }
            return .none
        case .busy:
            flush()
            let got = read()
            if let outcome = parse() { return outcome }
            if got < 0 {
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

    /// Reads what is waiting into `inbound` (through TLS if any).
    /// - Returns: Bytes of plaintext added, or -1 once the peer has closed or the socket failed.
    private func read() -> Int {
        var added = 0
        while true {
            let room = ciphertext == nil ? inbound.reserve(16 << 10) : tls!.ciphertextInbox(minimum: 16 << 10)
            switch socket.receive(into: room) {
            case .bytes(let n, _):
                receivedAny = true
                if ciphertext == nil {
                    inbound.commit(n)
                    added += n
                } else {
                    tls!.commitCiphertext(n)
                }
                if n < room.count { return added + drainTLS() }
            case .wouldBlock: return added + drainTLS()
            case .closed, .failed:
                let tail = drainTLS()
                return added + tail > 0 ? added + tail : -1
            }
        }
    }

    private func drainTLS() -> Int {
        guard ciphertext != nil, state == .busy || state == .idle else { return 0 }
        var added = 0
        while true {
            let room = inbound.reserve(16 << 10)
            guard let (n, _) = try? tls!.readPlaintext(into: room), n > 0 else { break }
            inbound.commit(n)
            added += n
        }
        return added
    }

    private func flush() {
        if let buffers = ciphertext {
            while !buffers.outgoing.isEmpty {
                guard case .sent(let n) = socket.send(buffers.outgoing.readable), n > 0 else { return }
                buffers.outgoing.consume(n)
            }
            return
        }
        while !outbound.isEmpty {
            guard case .sent(let n) = socket.send(outbound.readable), n > 0 else { return }
            outbound.consume(n)
        }
    }

    private func fail(_ error: HTTPClientError, retryable: Bool) -> Outcome {
        close()
        return .failed(error, retryable: retryable)
    }
}
