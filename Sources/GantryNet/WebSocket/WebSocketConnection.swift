import GantryCore

/// What a WebSocket connection reports to the stage polling it.
public enum WebSocketConnectionEvent {
    /// The opening handshake succeeded: messages may be sent.
    case open
    /// A whole message. `payload` and `receivedAt` (kernel receive time of its last bytes, monotonic) are valid
    /// during the callback only.
    case message(WebSocketOpcode, payload: UnsafeRawBufferPointer, receivedAt: Nanos)
    /// A pong to one of our pings (pings from the peer are answered automatically).
    case pong(UnsafeRawBufferPointer)
    /// The connection ended: the close code (ours or the peer's; 1006 if the TCP connection just dropped),
    /// and whether the close handshake completed. Reported once, by `poll`, however the connection ended.
    case closed(code: WebSocketCloseCode, clean: Bool)
    /// Why it failed (just before `closed`): a TCP, TLS, handshake or protocol error, named, with what was
    /// left unsent.
    case failed(WebSocketFailure)
}

/// A WebSocket connection over a non-blocking TCP socket, optionally TLS, driven by `poll` from the stage that
/// owns it. A client connects → TLS handshake (verifying the server) → HTTP upgrade; a server (the venue
/// simulator's side) takes an accepted socket → TLS handshake → answers the upgrade. The protocol itself is
/// `WebSocketStateMachine`'s; this type does the I/O: it moves plaintext between the machine and the socket,
/// through TLS if any. Frames are parsed in place in the receive buffer; a plain-TCP message is handed out
/// without a copy.
///
/// Every end is reported once by `poll`: `.closed` after a close handshake, or `.failed` then `.closed` for a
/// failure — of the connect, a read, a send (ECONNRESET, EPIPE), TLS, the upgrade or the protocol — with the
/// bytes and data messages it left unsent. A failure found outside `poll` (by `send`, `flush`, `ping`,
/// `close`) closes the connection at once; `failure` says why, and the next `poll` reports it.
public struct WebSocketConnection: ~Copyable {
    var machine: WebSocketStateMachine
    let socket: TCPSocket
    var tls: TLSSession?
    /// Whether `tls` is set (tested instead of unwrapping, which would consume the session).
    let usesTLS: Bool
    /// The TLS session's ciphertext buffers (the same object it holds), read without unwrapping the session.
    let ciphertext: CiphertextBuffers?
    /// Plaintext received and not yet parsed: bytes [start, end).
    let inbound: UnsafeMutableRawBufferPointer
    var start = 0
    var end = 0
    /// Plaintext to send that the socket (plain) or TLS has not taken yet.
    var outgoing: ByteQueue
    /// The kernel receive time of the last read, on the monotonic clock (converted once per read, not per
    /// message: the conversion reads two clocks).
    var lastReceivedAt = Nanos.zero
    /// The last socket read took less than the room offered: the socket had nothing more.
    var lastReadDrained = false
    /// The peer's TLS close_notify arrived (an end of stream, read after the plaintext before it).
    var tlsPeerClosed = false
    /// Our close_notify was queued.
    var tlsCloseSent = false
    /// Data messages accepted by `send` and not yet wholly taken by the socket, oldest first (from `pendingHead`).
    var pending: [PendingMessage] = []
    var pendingHead = 0
    var nextMessage: UInt64 = 1
    /// Plaintext bytes ever taken from `outgoing` (by the socket, or by TLS), and bytes the socket ever took.
    var plainTaken = 0
    var wireSent = 0
    /// How the connection ended, once it has; whether `poll` has reported it.
    var ending: WebSocketStateMachine.Ending? = nil
    var endingReported = false
    /// The ending is being concluded (what can still go out is sent): a failure meanwhile changes nothing.
    var finishing = false
    /// Why the connection failed, with what it left unsent (nil while it lives, or after a clean close).
    public private(set) var failure: WebSocketFailure? = nil

    /// Where a data message's bytes end: in the plaintext stream, and on the wire once known (under TLS, once
    /// encrypted).
    struct PendingMessage {
        var number: UInt64
        var plainEnd: Int
        var wireEnd: Int
    }

    public var role: WebSocketFrameParser.Role { machine.role }
    public var state: WebSocketConnectionState { machine.state }
    /// What permessage-deflate agreed, if it was.
    public var deflate: PerMessageDeflateParameters? { machine.deflate }
    /// The request target of the client's upgrade request ("/stream?streams=btcusdt@depth"): set on a server
    /// connection once it is open, so that a venue can serve several paths on one port.
    public var requestTarget: String { machine.requestTarget }

    /// Starts connecting as a client.
    /// - Parameters:
    ///   - address, port: Where to connect (an IP literal: names are resolved by the caller, off the hot path).
    ///   - host: The Host header and, with TLS, the SNI name and the name the certificate must carry.
    ///   - path: The request target.
    ///   - tls: A client context to use TLS (wss://), nil for plain TCP (ws://).
    ///   - maxMessage: The largest message accepted (1009 above it); the receive buffer is twice that.
    ///   - compression: Offer permessage-deflate (RFC 7692): the server's compressed messages are inflated;
    ///     ours are sent uncompressed (small, and latency counts more than bytes).
    /// - Throws: `NetError` or `TLSError` if the socket or TLS session cannot be made.
    public init(
        address: String, port: Int, host: String, path: String, tls: TLSContext?, maxMessage: Int = 1 << 20,
        compression: Bool = false
    ) throws {
        let socket = try TCPSocket.connect(host: address, port: port, receiveBuffer: 4 << 20)
        var session: TLSSession? = nil
        if let tls { session = try TLSSession(client: tls, host: host) }
        self.init(
            role: .client, socket: socket, tls: session, usesTLS: tls != nil, host: host, path: path, maxMessage: maxMessage,
            compression: compression)
    }

    /// Serves an accepted connection: waits for the upgrade request and answers it.
    /// - Parameters:
    ///   - tls: A server context for wss://, nil for ws://.
    ///   - compression: Accept a client's permessage-deflate offer and compress what we send.
    /// - Throws: `TLSError` if the TLS session cannot be made.
    public init(accepted socket: consuming TCPSocket, tls: TLSContext?, maxMessage: Int = 1 << 20, compression: Bool = false) throws {
        var session: TLSSession? = nil
        if let tls { session = try TLSSession(server: tls) }
        self.init(
            role: .server, socket: socket, tls: session, usesTLS: tls != nil, host: "", path: "", maxMessage: maxMessage,
            compression: compression)
    }

    private init(
        role: WebSocketFrameParser.Role, socket: consuming TCPSocket, tls: consuming TLSSession?, usesTLS: Bool, host: String,
        path: String, maxMessage: Int, compression: Bool
    ) {
        machine = WebSocketStateMachine(
            role: role, host: host, path: path, usesTLS: usesTLS, maxMessage: maxMessage, compression: compression)
        self.socket = socket
        ciphertext = tls?.buffers
        self.tls = tls
        self.usesTLS = usesTLS
        // Plain: the bytes the socket has not taken; TLS: frames waiting to be encrypted (records go to the
        // session's own buffer).
        outgoing = ByteQueue(capacity: usesTLS ? 32 << 10 : 256 << 10)
        inbound = .allocate(byteCount: 2 * maxMessage + 16_384, alignment: 64)
        pending.reserveCapacity(1_024)
    }

    deinit {
        inbound.deallocate()
    }

    /// The socket's descriptor, for `RunnerContext.watch`.
    public var fd: Int32 { socket.fd }

    /// Calls `body` with the TLS session (nil without TLS), borrowed in place: an optional `~Copyable` value
    /// cannot be unwrapped without consuming it.
    func withTLS<R, E: Error>(_ body: (borrowing TLSSession) throws(E) -> R) throws(E) -> R? {
        switch tls {
        case .some(let session): return try body(session)
        case .none: return nil
        }
    }

    /// Does all the I/O that is ready and reports what happened.
    /// - Returns: How much work was done (0: idle).
    public mutating func poll(_ handler: (WebSocketConnectionEvent) -> Void) -> Int {
        switch machine.state {
        case .closed: return report(handler)
        case .connecting:
            switch socket.connectState() {
            case .inProgress: return 0
            case .failed(let e):
                fail(.connect(errno: e), code: .abnormal)
                return 1 + report(handler)
            case .connected:
                machine.connected(usesTLS: usesTLS, into: &outgoing)
                return 1 + poll(handler)
            }
        default: break
        }
        var work = flush()
        if machine.state == .closed { return work + report(handler) }
        // Read what arrived. An end of stream is acted on after what came before it (often the peer's close
        // frame, then its FIN, in one read) has been parsed.
        // Frames are parsed between reads, so a burst larger than the buffer flows through it.
        var streamEnded: WebSocketFailureReason? = nil
        reading: while machine.state != .closed {
            switch receive() {
            case .nothing: break reading
            case .ended(let reason):
                streamEnded = reason
                break reading
            case .bytes(let got):
                work += got
                if machine.state == .open || machine.state == .closing { work += parseFrames(handler) }
                // A read that did not fill the buffer emptied the socket: asking again would cost a system call
                // that says EAGAIN (a microsecond on a round trip). What arrives meanwhile is read next poll.
                if lastReadDrained { break reading }
            }
        }
        if machine.state == .tlsHandshake {
            do throws(TLSError) {
                if try withTLS({ session throws(TLSError) in try session.handshake() }) == .done {
                    machine.tlsEstablished(into: &outgoing)
                    _ = drainTLS()
                }
            } catch {
                fail(.tls(error), code: .tlsHandshake)
            }
            work += flush()
        }
        if machine.state == .upgrading {
            switch machine.upgrade(UnsafeRawBufferPointer(rebasing: inbound[start..<end]), into: &outgoing) {
            case .incomplete: break
            case .open(let used):
                start += used
                handler(.open)
                work += 1
            case .ended(let ending): finish(ending)
            }
        }
        if machine.state == .open || machine.state == .closing { work += parseFrames(handler) }
        if let streamEnded, machine.state != .closed { fail(streamEnded, code: .abnormal) }
        work += flush()
        return work + report(handler)
    }

    /// What one read found.
    enum Received: Equatable {
        /// Bytes of plaintext added (at least 1 when ciphertext arrived that did not make a whole record yet).
        case bytes(Int)
        /// Nothing now.
        case nothing
        /// The stream ended (the peer closed it) or the read failed.
        case ended(WebSocketFailureReason)
    }

    /// Reads once from the socket (through TLS if any) into `inbound`.
    mutating func receive() -> Received {
        if start == end {
            start = 0
            end = 0
        } else if end > inbound.count / 2, let base = inbound.baseAddress {
            // Move the unparsed tail to the front (rare: only a partial frame is ever left behind).
            base.copyMemory(from: base + start, byteCount: end - start)
            end -= start
            start = 0
        }
        let room = UnsafeMutableRawBufferPointer(rebasing: inbound[end...])
        if room.isEmpty { return .nothing }  // a frame larger than the buffer cannot exist (maxMessage bounds it)
        guard let ciphertext else {
            switch socket.receive(into: room) {
            case .bytes(let n, let kernel):
                lastReceivedAt = TCPSocket.monotonic(fromKernel: kernel)
                lastReadDrained = n < room.count
                end += n
                return .bytes(n)
            case .wouldBlock: return .nothing
            case .closed: return .ended(.peerEndedStream)
            case .failed(let e): return .ended(.receive(errno: e))
            }
        }
        // Plaintext OpenSSL already holds (a previous read that did not fit, or ciphertext not yet decrypted)
        // comes first. Only when there is some: an SSL_read that finds nothing still costs microseconds, and a
        // busy-polling reader would pay it on every idle poll.
        let held = withTLS { $0.hasBufferedInput() } == true ? drainTLS(records: 1) : 0
        lastReadDrained = false
        if held > 0 { return .bytes(held) }
        if machine.state == .closed { return .nothing }  // TLS failed: `ending` says why
        if tlsPeerClosed { return .ended(.peerEndedStream) }
        // Straight into the TLS session's ciphertext buffer.
        let inbox = ciphertext.incoming.reserve(64 << 10)
        switch socket.receive(into: inbox) {
        case .bytes(let n, let kernel):
            lastReceivedAt = TCPSocket.monotonic(fromKernel: kernel)
            ciphertext.incoming.commit(n)
            let plain = drainTLS(records: 1)
            // Drained if the socket had less than the room and no ciphertext waits to be decrypted.
            lastReadDrained = n < inbox.count && withTLS { $0.hasBufferedInput() } != true
            return .bytes(max(1, plain))
        case .wouldBlock: return .nothing
        case .closed: return .ended(.peerEndedStream)
        case .failed(let e): return .ended(.receive(errno: e))
        }
    }

    /// Decrypts whatever OpenSSL can into `inbound`; a record that does not decrypt fails the connection.
    /// - Parameter records: At most this many SSL_read calls (one TLS record each): the receive loop takes
    ///   one record at a time and parses it while it is in cache, rather than decrypting all that arrived first.
    /// - Returns: Plaintext bytes added.
    mutating func drainTLS(records: Int = .max) -> Int {
        guard machine.state == .open || machine.state == .upgrading || machine.state == .closing else { return 0 }
        var added = 0
        var reads = 0
        while end < inbound.count && reads < records {
            reads += 1
            let room = UnsafeMutableRawBufferPointer(rebasing: inbound[end...])
            let read: (Int, TLSProgress)?
            do throws(TLSError) {
                read = try withTLS { session throws(TLSError) in try session.readPlaintext(into: room) }
            } catch {
                fail(.tls(error), code: .abnormal)
                break
            }
            guard let (n, progress) = read else { break }
            if progress == .closed { tlsPeerClosed = true }
            if n == 0 { break }
            end += n
            added += n
        }
        return added
    }

    mutating func parseFrames(_ handler: (WebSocketConnectionEvent) -> Void) -> Int {
        guard start < end else { return 0 }
        let region = UnsafeMutableRawBufferPointer(rebasing: inbound[start..<end])
        let (used, frames, ending) = machine.frames(region, receivedAt: lastReceivedAt, into: &outgoing, handler)
        start += used
        if let ending { finish(ending) }
        return frames
    }

    /// Sends a text or binary message (one frame).
    /// - Parameter flush: false to only queue it (a sender of many messages flushes once, with `flush()` or the
    ///   next `poll`): one system call and, under TLS, one record for many messages.
    /// - Returns: The message's number and whether the socket took it all; or why it was not sent.
    @discardableResult
    public mutating func send(_ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer, flush: Bool = true) -> WebSocketSendResult {
        if let failure { return .failed(failure) }
        guard machine.send(opcode, payload, into: &outgoing) else { return .notOpen }
        let number = nextMessage
        nextMessage += 1
        let plainEnd = plainTaken + outgoing.count
        pending.append(PendingMessage(number: number, plainEnd: plainEnd, wireEnd: usesTLS ? .max : plainEnd))
        if flush { self.flush() }
        if let failure { return .failed(failure) }
        return isWhollySent(number) ? .sent(message: number) : .queued(message: number)
    }

    /// Whether message `number` has been wholly taken by the socket.
    func isWhollySent(_ number: UInt64) -> Bool {
        pendingHead == pending.count || pending[pendingHead].number > number
    }

    /// Sends a ping with up to 125 bytes of payload. - Returns: false unless open.
    @discardableResult
    public mutating func ping(_ payload: UnsafeRawBufferPointer) -> Bool {
        guard machine.ping(payload, into: &outgoing) else { return false }
        flush()
        return true
    }

    /// Starts the close handshake with `code`; `closed` is reported when the peer answers.
    public mutating func close(code: WebSocketCloseCode = .normal) {
        guard machine.close(code, into: &outgoing) else { return }
        flush()
    }

    /// Bytes queued that the socket has not taken yet (for a sender that paces itself).
    public var pendingSend: Int { outgoing.count + (ciphertext?.outgoing.count ?? 0) }

    /// Sends what is queued (encrypting it first under TLS). A failed send or TLS write closes the connection:
    /// `failure` says why and what was unsent, and the next `poll` reports it.
    /// - Returns: Bytes the socket took.
    @discardableResult
    public mutating func flush() -> Int {
        if ending != nil { return 0 }
        guard let ciphertext else {
            return sendPlain()
        }
        encryptOutgoing(ciphertext)
        return sendCiphertext(ciphertext)
    }

    /// Moves the plaintext queued into TLS records (of up to 16 KiB; memory BIOs take everything).
    private mutating func encryptOutgoing(_ ciphertext: CiphertextBuffers) {
        if !outgoing.isEmpty && machine.state != .tlsHandshake && machine.state != .connecting {
            let taken: Int?
            do throws(TLSError) {
                taken = try withTLS { session throws(TLSError) in try session.writeAllPlaintext(outgoing.readable) }
            } catch {
                fail(.tls(error), code: .abnormal)
                return
            }
            let n = taken ?? 0
            outgoing.consume(n)
            plainTaken += n
            // Messages whose plaintext is now in records end on the wire where the records do.
            let wireEnd = wireSent + ciphertext.outgoing.count
            var k = pending.count
            while k > pendingHead && pending[k - 1].wireEnd == .max {
                k -= 1
            }
            while k < pending.count && pending[k].plainEnd <= plainTaken {
                pending[k].wireEnd = wireEnd
                k += 1
            }
        }
    }

    /// Sends the TLS records waiting, straight from the session's ciphertext buffer.
    private mutating func sendCiphertext(_ ciphertext: CiphertextBuffers) -> Int {
        var sent = 0
        sending: while !ciphertext.outgoing.isEmpty {
            switch socket.send(ciphertext.outgoing.readable) {
            case .sent(let n) where n > 0:
                ciphertext.outgoing.consume(n)
                sent += n
            case .sent, .wouldBlock: break sending
            case .failed(let e):
                socketSent(sent)
                fail(.send(errno: e), code: .abnormal)
                return sent
            }
        }
        socketSent(sent)
        return sent
    }

    private mutating func sendPlain() -> Int {
        var sent = 0
        sending: while !outgoing.isEmpty {
            switch socket.send(outgoing.readable) {
            case .sent(let n) where n > 0:
                outgoing.consume(n)
                sent += n
            case .sent, .wouldBlock: break sending
            case .failed(let e):
                plainTaken += sent
                socketSent(sent)
                fail(.send(errno: e), code: .abnormal)
                return sent
            }
        }
        plainTaken += sent
        socketSent(sent)
        return sent
    }

    /// The socket took `count` more bytes: the messages they complete are sent.
    private mutating func socketSent(_ count: Int) {
        wireSent += count
        while pendingHead < pending.count && pending[pendingHead].wireEnd <= wireSent { pendingHead += 1 }
        if pendingHead == pending.count && pendingHead > 0 {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
        }
    }

    /// What is queued and was never taken by the socket.
    var unsent: WebSocketUnsent {
        let messages = pending.count - pendingHead
        return WebSocketUnsent(bytes: pendingSend, firstMessage: messages > 0 ? pending[pendingHead].number : 0, messages: messages)
    }

    /// Queues our TLS close_notify after everything queued before it (a TLS peer such as Python's waits for
    /// it before it lets the connection go). Once per connection; only after the handshake.
    mutating func endTLS() {
        guard usesTLS, !tlsCloseSent, withTLS({ $0.isEstablished }) == true else { return }
        if !outgoing.isEmpty { flush() }
        _ = withTLS { $0.close() }
        tlsCloseSent = true
    }

    /// Fails the connection: our close frame where the protocol allows one, then the end.
    mutating func fail(_ reason: WebSocketFailureReason, code: WebSocketCloseCode) {
        guard ending == nil, !finishing else { return }
        finish(machine.end(.failed(reason, code), into: &outgoing))
    }

    /// The connection ended: what can still go out is sent once — our close frame and close_notify, or after a
    /// TLS failure only the alert OpenSSL queued, or nothing when the socket failed — and the ending is kept for
    /// `poll` to report. A failure while sending it changes nothing: the first reason stands.
    mutating func finish(_ how: WebSocketStateMachine.Ending) {
        guard ending == nil, !finishing else { return }
        finishing = true
        var reason: WebSocketFailureReason? = nil
        if case .failed(let why, _) = how { reason = why }
        switch reason {
        case .send, .receive, .connect: break
        case .tls:
            if let ciphertext { _ = sendCiphertext(ciphertext) }
        default:
            endTLS()
            flush()
        }
        ending = how
        switch how {
        case .clean:
            // The close handshake is complete: end the TCP stream too (RFC 6455 §7.1.1: the server first; a
            // client doing the same just ends sooner).
            if pendingSend == 0 { socket.shutdownWrite() }
        case .failed(let reason, let code):
            failure = WebSocketFailure(reason: reason, code: code, unsent: unsent)
        }
    }

    /// Reports the ending once. - Returns: 1 if it did.
    mutating func report(_ handler: (WebSocketConnectionEvent) -> Void) -> Int {
        guard let ending, !endingReported else { return 0 }
        endingReported = true
        switch ending {
        case .clean(let code): handler(.closed(code: code, clean: true))
        case .failed(let reason, let code):
            handler(.failed(failure ?? WebSocketFailure(reason: reason, code: code)))
            handler(.closed(code: code, clean: false))
        }
        return 1
    }
}
