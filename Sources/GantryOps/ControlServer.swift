import GantryCore
import GantryNet
import Glibc
import Synchronization

/// The control plane's HTTP/1.1 server: plain POSIX sockets (`TCPListener`, `TCPSocket`) on a cold thread of its
/// own that sleeps in `poll(2)` (woken by a connection, a request's bytes, or the owner's reply through the
/// exchange's pipe; a 100 ms timeout for deadlines), so it never competes with the gateway's runners for a core
/// and never blocks them: every figure it serves is rendered by the owner of the state, in the owner's loop.
///
/// Routes: `GET /metrics` (no token: Prometheus scrapes it), `GET /` (the dashboard: a static page that holds no
/// data; its script sends the token the operator types), and, with `Authorization: Bearer <token>`,
/// `GET /status`, `POST /kill` (`?follow=1` streams the kill report until it ends), `POST /pause`, `POST /resume`.
/// Anything else without the token is answered 401. The token is compared in constant time and never written out.
public final class ControlServer: @unchecked Sendable {
    // @unchecked Sendable: `listener`, `connections` and `page` are used only by the server's thread once `start`
    // has run (before, only by the thread that made it); `running` is atomic; `exchange` is Sendable.
    public let exchange: ControlExchange
    /// The bound port (the configured one, or the system's choice for port 0).
    public let port: Int
    let listener: TCPListener
    let token: [UInt8]
    let page: String
    let running = Atomic<Bool>(false)
    var thread: pthread_t? = nil
    var connections: [Connection] = []
    /// How long a request waits for the owner before the last answer (status, metrics) or 503 is given.
    public var ownerTimeout: Nanos = .seconds(2)
    static let maxConnections = 64

    /// Why the server could not start.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Binds the listening socket (it accepts once `start` runs).
    /// - Parameters:
    ///   - token: The bearer token every request but `GET /metrics` and `GET /` must carry.
    ///   - page: The dashboard served at `/`.
    /// - Throws: `Failure` if the address cannot be bound.
    public init(host: String, port: Int, token: Secret, page: String, exchange: ControlExchange) throws(Failure) {
        do { listener = try TCPListener(host: host, port: port, backlog: 32) } catch {
            throw Failure(description: "control plane: cannot listen on \(host):\(port): \(error)")
        }
        self.port = listener.port
        self.token = token.bytes
        self.page = page
        self.exchange = exchange
    }

    /// Starts the server's thread.
    public func start() {
        precondition(thread == nil, "control server started twice")
        running.store(true, ordering: .releasing)
        let me = Unmanaged.passRetained(self).toOpaque()
        var t = pthread_t()
        let r = pthread_create(&t, nil, { arg in
            let server = Unmanaged<ControlServer>.fromOpaque(arg!).takeRetainedValue()
            server.loop()
            return nil
        }, me)
        precondition(r == 0, "control server: pthread_create failed (\(r))")
        thread = t
    }

    /// Stops the thread (open connections are closed) and waits for it.
    public func stop() {
        guard let t = thread else { return }
        running.store(false, ordering: .releasing)
        exchange.wake()
        pthread_join(t, nil)
        thread = nil
    }

    /// Waits up to `timeout` until no client is still receiving the kill report (after `finishKillReport`).
    public func waitForFollowers(timeout: Nanos) {
        let deadline = MonotonicClock.now() + timeout
        while followers.load(ordering: .acquiring) > 0 && MonotonicClock.now() < deadline { usleep(10_000) }
    }
    let followers = Atomic<Int>(0)

    final class Connection {
        let socket: TCPSocket
        var reader = ControlRequestReader()
        var output: [UInt8] = []
        var state: State = .idle
        var closeAfterSend = false
        /// The peer closed its side: no more reading (an end of stream stays readable; polling it would spin).
        var readClosed = false
        var lastActive: Nanos

        enum State {
            case idle
            case waiting(id: UInt64, command: OperatorRequest, follow: Bool, close: Bool, deadline: Nanos)
            case following(next: Int)
        }

        init(_ socket: consuming TCPSocket, now: Nanos) {
            self.socket = socket
            lastActive = now
        }
    }

    func loop() {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while running.load(ordering: .acquiring) {
            var fds = [pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: exchange.wakeRead, events: Int16(POLLIN), revents: 0)]
            for c in connections {
                fds.append(pollfd(fd: c.socket.fd, events: (c.readClosed ? 0 : Int16(POLLIN)) | (c.output.isEmpty ? 0 : Int16(POLLOUT)), revents: 0))
            }
            _ = poll(&fds, nfds_t(fds.count), 100)
            exchange.drainWake()
            let now = MonotonicClock.now()
            while connections.count < Self.maxConnections, let s = try? listener.accept() {
                connections.append(Connection(s, now: now))
            }
            var keep: [Connection] = []
            for c in connections {
                if step(c, now: now, chunk: &chunk) {
                    keep.append(c)
                } else if case .following = c.state {
                    followers.wrappingSubtract(1, ordering: .releasing)
                }
            }
            connections = keep
        }
        for c in connections { if case .following = c.state { followers.wrappingSubtract(1, ordering: .releasing) } }
        connections.removeAll()
    }

    /// Reads, answers and writes what one connection can now. - Returns: false when it is done (closed).
    func step(_ c: Connection, now: Nanos, chunk: inout [UInt8]) -> Bool {
        reading: while !c.readClosed {
            let r = chunk.withUnsafeMutableBytes { c.socket.receive(into: $0) }
            switch r {
            case .bytes(let n, _):
                chunk.withUnsafeBytes { c.reader.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                c.lastActive = now
            case .wouldBlock: break reading
            case .closed, .failed:
                c.readClosed = true
                break reading
            }
        }
        if case .idle = c.state, !c.closeAfterSend {
            do {
                if let request = try c.reader.next() { handle(request, on: c, now: now) }
            } catch {
                respond(c, ControlAnswer.text("bad request", status: error == .tooLarge ? 413 : 400), close: true)
            }
        }
        switch c.state {
        case .idle: break
        case .waiting(let id, let command, let follow, let close, let deadline):
            if let reply = exchange.take(id) {
                if follow, let from = reply.streamKillReportFrom {
                    c.output += reply.answer.bytes(close: true, streaming: true)
                    c.state = .following(next: from)
                    followers.wrappingAdd(1, ordering: .releasing)
                } else {
                    respond(c, reply.answer, close: close)
                }
            } else if now >= deadline || exchange.isSettled {
                let last = exchange.abandon(id, command)
                respond(c, last ?? ControlAnswer.text("the gateway did not answer (it may be closing)", status: 503), close: close)
            }
        case .following(let next):
            let (lines, finished) = exchange.killLines(from: next)
            for line in lines { c.output += Array((line + "\n").utf8) }
            c.state = .following(next: next + lines.count)
            if finished && lines.isEmpty { c.closeAfterSend = true }
        }
        if !c.output.isEmpty {
            let sent = c.output.withUnsafeBytes { c.socket.send($0) }
            switch sent {
            case .sent(let n): c.output.removeFirst(n)
            case .wouldBlock: break
            case .failed: return false
            }
        }
        if c.output.isEmpty && c.closeAfterSend { return false }
        if c.readClosed {
            // A follower that hung up is done; a client that half-closed still gets its answer, then is closed.
            if case .following = c.state { return false }
            if case .idle = c.state {
                if c.output.isEmpty { return false }
                c.closeAfterSend = true
            }
        }
        if case .idle = c.state, c.output.isEmpty, now - c.lastActive > .seconds(60) { return false }
        return true
    }

    func respond(_ c: Connection, _ answer: ControlAnswer, close: Bool) {
        c.output += answer.bytes(close: close)
        c.state = .idle
        if close { c.closeAfterSend = true }
    }

    func handle(_ r: ControlHTTPRequest, on c: Connection, now: Nanos) {
        let close = r.wantsClose
        func ask(_ command: OperatorRequest, follow: Bool = false) {
            c.state = .waiting(id: exchange.submit(command), command: command, follow: follow, close: close, deadline: now + ownerTimeout)
        }
        let routes: [String: String] = ["/metrics": "GET", "/": "GET", "/index.html": "GET", "/status": "GET", "/kill": "POST", "/pause": "POST", "/resume": "POST"]
        guard let method = routes[r.path] else {
            respond(c, .text("not found: \(r.path.prefix(100))", status: 404), close: close)
            return
        }
        switch r.path {
        case "/metrics" where r.method == "GET":
            ask(.metrics)
            return
        case "/", "/index.html":
            if r.method == "GET" {
                let csp = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'"
                respond(c, ControlAnswer(status: 200, contentType: "text/html; charset=utf-8", body: page, headers: [("Content-Security-Policy", csp)]), close: close)
                return
            }
        default: break
        }
        guard authorized(r) else {
            respond(c, ControlAnswer.text("unauthorized: send Authorization: Bearer <token> (the [control] token_file)", status: 401).with(("WWW-Authenticate", "Bearer realm=\"gantry\"")), close: close)
            return
        }
        guard r.method == method else {
            respond(c, ControlAnswer.text("\(r.path) takes \(method)", status: 405).with(("Allow", method)), close: close)
            return
        }
        switch r.path {
        case "/status": ask(.status)
        case "/kill": ask(.kill, follow: r.flag("follow"))
        case "/pause": ask(.pause)
        case "/resume": ask(.resume)
        default: respond(c, .text("not found", status: 404), close: close)
        }
    }

    /// The bearer token matches, compared in constant time (as long as the shorter of the two).
    func authorized(_ r: ControlHTTPRequest) -> Bool {
        guard let given = r.bearer.map({ Array($0.utf8) }) else { return false }
        var diff = UInt8(given.count == token.count ? 0 : 1)
        for k in 0..<min(given.count, token.count) { diff |= given[k] ^ token[k] }
        return diff == 0
    }
}

extension ControlAnswer {
    /// The answer with one more header.
    func with(_ header: (String, String)) -> ControlAnswer {
        var a = self
        a.headers.append(header)
        return a
    }
}
