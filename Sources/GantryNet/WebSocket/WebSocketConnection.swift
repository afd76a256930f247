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
    /// and whether the close handshake completed.
    case closed(code: UInt16, clean: Bool)
    /// Why it failed (before `closed`): a TCP, TLS, handshake or protocol error, named.
    case failed(String)
}

/// Where a connection is.
public enum WebSocketConnectionState: Equatable, Sendable {
    case connecting, tlsHandshake, upgrading, open, closing, closed
}

/// A WebSocket connection over a non-blocking TCP socket, optionally TLS, driven by `poll` from the stage that
/// owns it. A client connects → TLS handshake (verifying the server) → HTTP upgrade; a server (the venue
/// simulator's side) takes an accepted socket → TLS handshake → answers the upgrade. Then frames, with
/// automatic pongs, the close handshake, and every protocol violation answered with its close code. Frames
/// are parsed in place in the receive buffer; a plain-TCP message is handed out without a copy.
public struct WebSocketConnection: ~Copyable {
    public let role: WebSocketFrameParser.Role
    public private(set) var state: WebSocketConnectionState = .connecting
    let socket: TCPSocket
    var tls: TLSSession?
    /// Whether `tls` is set (tested instead of unwrapping, which would consume the session).
    let usesTLS: Bool
    /// The TLS session's ciphertext buffers (the same object it holds), read without unwrapping the session.
    let ciphertext: CiphertextBuffers?
    let host: String
    let path: String
    let key: String
    var parser: WebSocketFrameParser
    /// permessage-deflate: whether to offer (client) or accept (server) it, and what was agreed.
    let compression: Bool
    public private(set) var deflate: PerMessageDeflateParameters? = nil
    /// The request target of the client's upgrade request ("/stream?streams=btcusdt@depth"): set on a server
    /// connection once it is open, so that a venue can serve several paths on one port.
    public private(set) var requestTarget = ""
    var inflater: WebSocketInflater? = nil
    var deflater: WebSocketDeflater? = nil
    let maxMessage: Int
    var assembler: WebSocketMessageAssembler
    /// Plaintext received and not yet parsed: bytes [start, end).
    let inbound: UnsafeMutableRawBufferPointer
    var start = 0
    var end = 0
    /// Bytes to send (after TLS, if any) that the socket did not take yet.
    var outbound = ByteQueue(capacity: 256 << 10)
    /// Frames being built before encryption (TLS only).
    var staging = ByteQueue(capacity: 32 << 10)
    var masks = MaskKeyPool()
    /// The kernel receive time of the last read, on the monotonic clock (converted once per read, not per
    /// message: the conversion reads two clocks).
    var lastReceivedAt = Nanos.zero
    /// The last socket read took less than the room offered: the socket had nothing more.
    var lastReadDrained = false
    var closeSent = false
    /// The peer's TLS close_notify arrived (an end of stream, read after the plaintext before it).
    var tlsPeerClosed = false
    /// Our close_notify was queued.
    var tlsCloseSent = false

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
        state = usesTLS ? .tlsHandshake : .upgrading
    }

    private init(
        role: WebSocketFrameParser.Role, socket: consuming TCPSocket, tls: consuming TLSSession?, usesTLS: Bool, host: String,
        path: String, maxMessage: Int, compression: Bool
    ) {
        self.compression = compression
        self.maxMessage = maxMessage
        self.role = role
        self.socket = socket
        ciphertext = tls?.buffers
        self.tls = tls
        self.usesTLS = usesTLS
        self.host = host
        self.path = path
        key = role == .client ? WebSocketHandshake.makeKey() : ""
        parser = WebSocketFrameParser(role: role, maxFramePayload: maxMessage)
        assembler = WebSocketMessageAssembler(maxMessage: maxMessage)
        inbound = .allocate(byteCount: 2 * maxMessage + 16_384, alignment: 64)
    }

    deinit {
        inbound.deallocate()
    }

    /// The socket's descriptor, for `RunnerContext.watch`.
    public var fd: Int32 { socket.fd }

    /// Does all the I/O that is ready and reports what happened.
    /// - Returns: How much work was done (0: idle).
    public mutating func poll(_ handler: (WebSocketConnectionEvent) -> Void) -> Int {
        switch state {
        case .closed: return 0
        case .connecting:
            switch socket.connectState() {
            case .inProgress: return 0
            case .failed(let e): return fail("connect failed (errno \(e))", code: 1006, handler)
            case .connected:
                state = usesTLS ? .tlsHandshake : .upgrading
                if !usesTLS { queueRaw(clientRequest()) }
                return 1 + poll(handler)
            }
        default: break
        }
        var work = flush()
        if state == .closed { return work }
        // Read what arrived. An end of stream is acted on after what came before it (often the peer's close
        // frame, then its FIN, in one read) has been parsed.
        // Frames are parsed between reads, so a burst larger than the buffer flows through it.
        var ended = 0
        while true {
            let got = receive()
            if got < 0 {
                ended = got
                break
            }
            if got == 0 { break }
            work += got
            if state == .open || state == .closing { work += parseFrames(handler) }
            // A read that did not fill the buffer emptied the socket: asking again would cost a system call
            // that says EAGAIN (a microsecond on a round trip). What arrives meanwhile is read next poll.
            if lastReadDrained { break }
        }
        defer {
            if ended < 0 && state != .closed {
                work += fail(ended == -1 ? "connection closed by peer" : "receive failed", code: 1006, handler)
            }
        }
        if state == .tlsHandshake {
            do {
                if try tls!.handshake() == .done {
                    state = .upgrading
                    if role == .client { queueRaw(clientRequest()) }
                    _ = drainTLS()
                }
            } catch {
                return work + fail("\(error)", code: 1015, handler)
            }
            work += flush()
            if state != .upgrading { return work }
        }
        if state == .upgrading {
            let head: HTTPHeadResult
            do {
                head = try parseHTTPHead(UnsafeRawBufferPointer(rebasing: inbound[start..<end]))
            } catch {
                if role == .server { queueRaw(Self.badRequest) }
                return work + fail("handshake: \(error)", code: 1006, handler)
            }
            guard case .head(let h) = head else { return work }
            do {
                if role == .client {
                    if let agreed = try WebSocketHandshake.validate(response: h, key: key, offeredDeflate: compression) {
                        startDeflate(agreed, compressing: false)
                    }
                } else {
                    var response: String? = nil
                    if compression, let offers = h.header("Sec-WebSocket-Extensions"),
                        let (agreed, value) = PerMessageDeflateParameters.accept(offers: offers)
                    {
                        response = value
                        startDeflate(agreed, compressing: true)
                    }
                    queueRaw(try WebSocketHandshake.serverResponse(to: h, deflate: response))
                    requestTarget = h.startLine.1
                }
            } catch {
                if role == .server { queueRaw(Self.badRequest) }
                return work + fail("\(error)", code: 1006, handler)
            }
            start += h.length
            state = .open
            handler(.open)
            work += 1
        }
        work += parseFrames(handler)
        work += flush()
        return work
    }

    /// Reads once from the socket (through TLS if any) into `inbound`.
    /// - Returns: Bytes of plaintext added (0: nothing now), -1 if the peer closed, -2 on an error.
    mutating func receive() -> Int {
        if start == end {
            start = 0
            end = 0
        } else if end > inbound.count / 2 {
            // Move the unparsed tail to the front (rare: only a partial frame is ever left behind).
            (inbound.baseAddress!).copyMemory(from: inbound.baseAddress! + start, byteCount: end - start)
            end -= start
            start = 0
        }
        let room = UnsafeMutableRawBufferPointer(rebasing: inbound[end...])
        if room.isEmpty { return 0 }  // a frame larger than the buffer cannot exist (maxMessage bounds it)
        if !usesTLS {
            switch socket.receive(into: room) {
            case .bytes(let n, let kernel):
                lastReceivedAt = TCPSocket.monotonic(fromKernel: kernel)
                lastReadDrained = n < room.count
                end += n
                return n
            case .wouldBlock: return 0
            case .closed: return -1
            case .failed: return -2
            }
        }
        // Plaintext OpenSSL already holds (a previous read that did not fit, or ciphertext not yet decrypted)
        // comes first. Only when there is some: an SSL_read that finds nothing still costs microseconds, and a
        // busy-polling reader would pay it on every idle poll.
        let held = tls!.hasBufferedInput() ? drainTLS(records: 1) : 0
        lastReadDrained = false
        if held > 0 { return held }
        if tlsPeerClosed { return -1 }
        // Straight into the TLS session's ciphertext buffer.
        let inbox = tls!.ciphertextInbox(minimum: 64 << 10)
        switch socket.receive(into: inbox) {
        case .bytes(let n, let kernel):
            lastReceivedAt = TCPSocket.monotonic(fromKernel: kernel)
            tls!.commitCiphertext(n)
            let plain = drainTLS(records: 1)
            // Drained if the socket had less than the room and no ciphertext waits to be decrypted.
            lastReadDrained = n < inbox.count && !tls!.hasBufferedInput()
            return max(1, plain)
        case .wouldBlock: return 0
        case .closed: return -1
        case .failed: return -2
        }
    }

    /// Decrypts whatever OpenSSL can into `inbound`. - Returns: Plaintext bytes added.
    /// - Parameter records: At most this many SSL_read calls (one TLS record each): the receive loop takes
    ///   one record at a time and parses it while it is in cache, rather than decrypting all that arrived first.
    mutating func drainTLS(records: Int = .max) -> Int {
        guard state == .open || state == .upgrading || state == .closing else { return 0 }
        var added = 0
        var reads = 0
        while end < inbound.count && reads < records {
            reads += 1
            let room = UnsafeMutableRawBufferPointer(rebasing: inbound[end...])
            guard let (n, progress) = try? tls!.readPlaintext(into: room) else { break }
            if progress == .closed { tlsPeerClosed = true }
            if n == 0 { break }
            end += n
            added += n
        }
        return added
    }

    mutating func parseFrames(_ handler: (WebSocketConnectionEvent) -> Void) -> Int {
        var work = 0
        while start < end && state != .closed {
            let region = UnsafeMutableRawBufferPointer(rebasing: inbound[start..<end])
            switch parser.parse(region) {
            case .needMoreBytes: return work
            case .violation(let code, let reason):
                return work + fail("protocol violation: \(reason)", code: code.rawValue, handler)
            case .frame(let h):
                let payload = UnsafeRawBufferPointer(rebasing: region[h.payloadOffset..<h.frameLength])
                start += h.frameLength
                work += 1
                switch assembler.receive(h, payload: payload) {
                case .fragment: break
                case .compressedMessage(let op, let p):
                    switch inflater!.inflate(p) {
                    case .success(let message):
                        if op == .text {
                            var utf8 = UTF8Validator()
                            guard utf8.feed(message), utf8.isComplete else {
                                return work + fail("protocol violation: inflated text is not UTF-8", code: 1007, handler)
                            }
                        }
                        handler(.message(op, payload: message, receivedAt: lastReceivedAt))
                    case .failure(.tooBig):
                        return work + fail("compressed message inflates past \(maxMessage) bytes", code: 1009, handler)
                    case .failure(.corrupt(let why)):
                        return work + fail("compressed message does not inflate: \(why)", code: 1007, handler)
                    }
                case .message(let op, let p):
                    handler(.message(op, payload: p, receivedAt: lastReceivedAt))
                case .ping(let p): queueFrame(.pong, p)
                case .pong(let p): handler(.pong(p))
                case .close(let code, _):
                    if !closeSent { queueClose(code == 1005 ? 1000 : code) }
                    endTLS()
                    _ = flush()
                    // The close handshake is complete: end the TCP stream too (RFC 6455 §7.1.1: the server
                    // first; a client doing the same just ends sooner).
                    if outbound.isEmpty { socket.shutdownWrite() }
                    state = .closed
                    handler(.closed(code: code, clean: true))
                case .violation(let code, let reason):
                    return work + fail("protocol violation: \(reason)", code: code.rawValue, handler)
                }
            }
        }
        return work
    }

    /// Sends a text or binary message (one frame).
    /// - Parameter flush: false to only queue it (a sender of many messages flushes once, with `flush()` or the
    ///   next `poll`): one system call and, under TLS, one record for many messages.
    /// - Returns: false unless the connection is open.
    @discardableResult
    public mutating func send(_ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer, flush: Bool = true) -> Bool {
        guard state == .open, opcode == .text || opcode == .binary else { return false }
        queueFrame(opcode, payload)
        if flush { _ = self.flush() }
        return true
    }

    /// Sends a ping with up to 125 bytes of payload. - Returns: false unless open.
    @discardableResult
    public mutating func ping(_ payload: UnsafeRawBufferPointer) -> Bool {
        guard state == .open, payload.count <= 125 else { return false }
        queueFrame(.ping, payload)
        _ = flush()
        return true
    }

    /// Starts the close handshake with `code`; `closed` is reported when the peer answers.
    public mutating func close(code: UInt16 = 1000) {
        guard state == .open else { return }
        queueClose(code)
        state = .closing
        _ = flush()
    }

    mutating func queueClose(_ code: UInt16) {
        closeSent = true
        withUnsafeBytes(of: code.bigEndian) { queueFrame(.close, $0) }
    }

    static let badRequest = Array("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".utf8)

    /// Frames `payload` (masked from a client, as RFC 6455 §5.3 requires; never from a server) and queues it:
    /// straight into the send queue, or under TLS into the staging buffer, encrypted at `flush`. No allocation
    /// once the buffers have grown to the largest message sent.
    /// A server that agreed permessage-deflate compresses data messages (RSV1 set).
    mutating func queueFrame(_ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer) {
        let mask: UInt32? = role == .client ? masks.take() : nil
        let compress = deflater != nil && !opcode.isControl
        let body = compress ? deflater!.deflate(payload) : payload
        if usesTLS {
            Self.frame(opcode, body, rsv1: compress, mask: mask, into: &staging)
        } else {
            Self.frame(opcode, body, rsv1: compress, mask: mask, into: &outbound)
        }
    }

    static func frame(
        _ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer, rsv1: Bool, mask: UInt32?, into queue: inout ByteQueue
    ) {
        let room = queue.reserve(WebSocketFrameWriter.maxHeaderLength + payload.count)
        let n = WebSocketFrameWriter.writeHeader(into: room, rsv1: rsv1, opcode: opcode, length: payload.count, maskKey: mask)
        let body = UnsafeMutableRawBufferPointer(rebasing: room[n..<(n + payload.count)])
        if let source = payload.baseAddress { body.baseAddress!.copyMemory(from: source, byteCount: payload.count) }
        if let mask { WebSocketMask.apply(key: mask, to: body) }
        queue.commit(n + payload.count)
    }

    /// The client's upgrade request, offering permessage-deflate if asked to.
    func clientRequest() -> [UInt8] {
        WebSocketHandshake.clientRequest(
            host: host, path: path, key: key,
            extraHeaders: compression ? [("Sec-WebSocket-Extensions", PerMessageDeflateParameters.clientOffer)] : [])
    }

    /// permessage-deflate was agreed: RSV1 becomes legal on data frames; the peer's messages are inflated,
    /// and a server compresses its own with the window and context rules the client asked for.
    mutating func startDeflate(_ agreed: PerMessageDeflateParameters, compressing: Bool) {
        deflate = agreed
        parser = WebSocketFrameParser(role: role, maxFramePayload: maxMessage, allowRSV1: true)
        inflater = WebSocketInflater(maxMessage: maxMessage)
        if compressing {
            deflater = WebSocketDeflater(windowBits: agreed.serverMaxWindowBits, noContextTakeover: agreed.serverNoContextTakeover)
        }
    }

    /// Queues plaintext (encrypting it first under TLS): the handshake's HTTP head.
    mutating func queueRaw(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { b in
            if usesTLS {
                staging.append(b)
            } else {
                outbound.append(b)
            }
        }
    }

    /// Bytes queued that the socket has not taken yet (for a sender that paces itself).
    public var pendingSend: Int { outbound.count + staging.count + (ciphertext?.outgoing.count ?? 0) }

    /// Sends what is queued (encrypting it first under TLS). - Returns: Bytes sent.
    @discardableResult
    public mutating func flush() -> Int {
        if usesTLS {
            if !staging.isEmpty && state != .tlsHandshake {
                // Into TLS records of up to 16 KiB; memory BIOs take everything.
                _ = try? tls!.writeAllPlaintext(staging.readable)
                staging.removeAll()
            }
            // Straight from the TLS session's ciphertext buffer.
            var sent = 0
            while true {
                guard let buffers = ciphertext, !buffers.outgoing.isEmpty else { break }
                guard case .sent(let n) = socket.send(buffers.outgoing.readable), n > 0 else { break }
                buffers.outgoing.consume(n)
                sent += n
            }
            return sent
        }
        var sent = 0
        while !outbound.isEmpty {
            guard case .sent(let n) = socket.send(outbound.readable), n > 0 else { break }
            outbound.consume(n)
            sent += n
        }
        return sent
    }

    /// Queues our TLS close_notify after everything queued before it (a TLS peer such as Python's waits for
    /// it before it lets the connection go). Once per connection; only after the handshake.
    mutating func endTLS() {
        guard usesTLS, !tlsCloseSent, state != .tlsHandshake, state != .connecting else { return }
        _ = flush()
        tls!.close()
        tlsCloseSent = true
    }

    mutating func fail(_ why: String, code: UInt16, _ handler: (WebSocketConnectionEvent) -> Void) -> Int {
        if state == .open || state == .closing, code != 1006, code != 1015, !closeSent {
            queueClose(code)
        }
        endTLS()
        _ = flush()
        state = .closed
        handler(.failed(why))
        handler(.closed(code: code, clean: false))
        return 1
    }
}
