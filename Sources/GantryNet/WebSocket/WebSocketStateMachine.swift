import GantryCore

/// Where a connection is.
public enum WebSocketConnectionState: Equatable, Sendable {
    case connecting, tlsHandshake, upgrading, open, closing, closed
}

/// The WebSocket protocol of one connection, without its I/O: the opening handshake (a client's request and the
/// check of the answer, or a server's answer to a request), frames in and out, permessage-deflate, pings
/// answered, the close handshake, and every protocol violation named with its close code. It is fed plaintext
/// and writes plaintext into the queue it is given; `WebSocketConnection` moves the bytes between it and the
/// socket (and TLS). One owner: `~Copyable`.
struct WebSocketStateMachine: ~Copyable {
    /// How a step ended the connection.
    enum Ending: Equatable {
        /// The close handshake completed with `code`.
        case clean(WebSocketCloseCode)
        /// The connection failed: `reason`, and the code it ends with.
        case failed(WebSocketFailureReason, WebSocketCloseCode)
    }

    let role: WebSocketFrameParser.Role
    private(set) var state: WebSocketConnectionState
    let host: String
    let path: String
    let key: String
    var parser: WebSocketFrameParser
    /// permessage-deflate: whether to offer (client) or accept (server) it, and what was agreed.
    let compression: Bool
    private(set) var deflate: PerMessageDeflateParameters? = nil
    /// The request target of the client's upgrade request: set on a server once it is open.
    private(set) var requestTarget = ""
    var inflater: WebSocketInflater? = nil
    var deflater: WebSocketDeflater? = nil
    let maxMessage: Int
    var assembler: WebSocketMessageAssembler
    var masks = MaskKeyPool()
    /// Our close frame was queued.
    private(set) var closeSent = false

    /// - Parameters:
    ///   - usesTLS: Whether a TLS handshake comes between the TCP connection and the upgrade.
    init(role: WebSocketFrameParser.Role, host: String, path: String, usesTLS: Bool, maxMessage: Int, compression: Bool) {
        self.role = role
        self.host = host
        self.path = path
        self.maxMessage = maxMessage
        self.compression = compression
        key = role == .client ? WebSocketHandshake.makeKey() : ""
        parser = WebSocketFrameParser(role: role, maxFramePayload: maxMessage)
        assembler = WebSocketMessageAssembler(maxMessage: maxMessage)
        // A client starts with the TCP connect; a server has an accepted socket.
        state = role == .client ? .connecting : usesTLS ? .tlsHandshake : .upgrading
    }

    /// The TCP connection is up: a TLS handshake follows, or (plain) the client's upgrade request is queued.
    mutating func connected(usesTLS: Bool, into out: inout ByteQueue) {
        precondition(state == .connecting)
        if usesTLS {
            state = .tlsHandshake
        } else {
            tlsEstablished(into: &out)
        }
    }

    /// The TLS handshake is done (or there is none): the upgrade starts.
    mutating func tlsEstablished(into out: inout ByteQueue) {
        state = .upgrading
        if role == .client { append(clientRequest(), to: &out) }
    }

    /// Reads the upgrade (the server's answer, or the client's request) from `bytes`.
    /// What an upgrade step found.
    enum UpgradeStep: Equatable {
        /// The head is not complete yet.
        case incomplete
        /// The connection is open; the head took `used` bytes.
        case open(used: Int)
        case ended(Ending)
    }

    mutating func upgrade(_ bytes: UnsafeRawBufferPointer, into out: inout ByteQueue) -> UpgradeStep {
        let head: HTTPHeadResult
        do {
            head = try parseHTTPHead(bytes)
        } catch {
            if role == .server { append(Self.badRequest, to: &out) }
            return .ended(end(.failed(.upgrade("handshake: \(error)"), .abnormal)))
        }
        guard case .head(let h) = head else { return .incomplete }
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
                append(try WebSocketHandshake.serverResponse(to: h, deflate: response), to: &out)
                requestTarget = h.startLine.1
            }
        } catch {
            if role == .server { append(Self.badRequest, to: &out) }
            return .ended(end(.failed(.upgrade("\(error)"), .abnormal)))
        }
        state = .open
        return .open(used: h.length)
    }

    /// Parses the frames in `region` (plaintext received): messages and pongs go to `handler`, pings are
    /// answered and the close handshake answered or completed into `out`.
    /// - Returns: Bytes of `region` used, frames handled, and the ending if the connection ended.
    mutating func frames(
        _ region: UnsafeMutableRawBufferPointer, receivedAt: Nanos, into out: inout ByteQueue,
        _ handler: (WebSocketConnectionEvent) -> Void
    ) -> (used: Int, frames: Int, ending: Ending?) {
        var used = 0
        var frames = 0
        while used < region.count {
            let rest = UnsafeMutableRawBufferPointer(rebasing: region[used...])
            switch parser.parse(rest) {
            case .needMoreBytes: return (used, frames, nil)
            case .violation(let code, let reason):
                return (used, frames, end(.failed(.protocolViolation(reason), code), into: &out))
            case .frame(let h):
                let payload = UnsafeRawBufferPointer(rebasing: rest[h.payloadOffset..<h.frameLength])
                used += h.frameLength
                frames += 1
                switch assembler.receive(h, payload: payload) {
                case .fragment: break
                case .compressedMessage(let op, let p):
                    // The inflater exists once permessage-deflate was agreed, and only then may RSV1 be set.
                    guard let inflated = inflater?.inflate(p) else {
                        return (used, frames, end(.failed(.protocolViolation("RSV1 set without permessage-deflate"), .protocolError), into: &out))
                    }
                    switch inflated {
                    case .success(let message):
                        if op == .text {
                            var utf8 = UTF8Validator()
                            guard utf8.feed(message), utf8.isComplete else {
                                return (used, frames, end(.failed(.protocolViolation("inflated text is not UTF-8"), .invalidPayload), into: &out))
                            }
                        }
                        handler(.message(op, payload: message, receivedAt: receivedAt))
                    case .failure(.tooBig):
                        return (used, frames, end(.failed(.protocolViolation("compressed message inflates past \(maxMessage) bytes"), .messageTooBig), into: &out))
                    case .failure(.corrupt(let why)):
                        return (used, frames, end(.failed(.protocolViolation("compressed message does not inflate: \(why)"), .invalidPayload), into: &out))
                    }
                case .message(let op, let p):
                    handler(.message(op, payload: p, receivedAt: receivedAt))
                case .ping(let p): queue(.pong, p, into: &out)
                case .pong(let p): handler(.pong(p))
                case .close(let code, _):
                    // Answered with the peer's code (1000 when it sent none), unless ours went first.
                    if !closeSent { queueClose(code == .noStatus ? .normal : code, into: &out) }
                    return (used, frames, end(.clean(code)))
                case .violation(let code, let reason):
                    return (used, frames, end(.failed(.protocolViolation(reason), code), into: &out))
                }
            }
        }
        return (used, frames, nil)
    }

    /// Frames a data message into `out`. - Returns: false unless the connection is open.
    mutating func send(_ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer, into out: inout ByteQueue) -> Bool {
        guard state == .open, opcode == .text || opcode == .binary else { return false }
        queue(opcode, payload, into: &out)
        return true
    }

    /// Frames a ping. - Returns: false unless open, or if the payload is over 125 bytes.
    mutating func ping(_ payload: UnsafeRawBufferPointer, into out: inout ByteQueue) -> Bool {
        guard state == .open, payload.count <= 125 else { return false }
        queue(.ping, payload, into: &out)
        return true
    }

    /// Starts the close handshake with `code`. - Returns: false unless open.
    mutating func close(_ code: WebSocketCloseCode, into out: inout ByteQueue) -> Bool {
        guard state == .open else { return false }
        queueClose(code, into: &out)
        state = .closing
        return true
    }

    /// Ends the connection: a failure in the open protocol is told to the peer in a close frame where the code
    /// may be sent and none was yet.
    mutating func end(_ ending: Ending, into out: inout ByteQueue) -> Ending {
        if case .failed(_, let code) = ending, state == .open || state == .closing, code.isSendable, !closeSent {
            queueClose(code, into: &out)
        }
        return end(ending)
    }

    /// Ends the connection without a word to the peer.
    mutating func end(_ ending: Ending) -> Ending {
        state = .closed
        return ending
    }

    mutating func queueClose(_ code: WebSocketCloseCode, into out: inout ByteQueue) {
        closeSent = true
        withUnsafeBytes(of: code.rawValue.bigEndian) { queue(.close, $0, into: &out) }
    }

    /// Frames `payload` (masked from a client, as RFC 6455 §5.3 requires; never from a server) into `out`. No
    /// allocation once the queue has grown to the largest message sent. A server that agreed permessage-deflate
    /// compresses data messages (RSV1 set).
    mutating func queue(_ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer, into out: inout ByteQueue) {
        let mask: UInt32? = role == .client ? masks.take() : nil
        if !opcode.isControl, let body = deflater?.deflate(payload) {
            Self.frame(opcode, body, rsv1: true, mask: mask, into: &out)
        } else {
            Self.frame(opcode, payload, rsv1: false, mask: mask, into: &out)
        }
    }

    static func frame(
        _ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer, rsv1: Bool, mask: UInt32?, into queue: inout ByteQueue
    ) {
        let room = queue.reserve(WebSocketFrameWriter.maxHeaderLength + payload.count)
        let n = WebSocketFrameWriter.writeHeader(into: room, rsv1: rsv1, opcode: opcode, length: payload.count, maskKey: mask)
        let body = UnsafeMutableRawBufferPointer(rebasing: room[n..<(n + payload.count)])
        if let source = payload.baseAddress, let target = body.baseAddress { target.copyMemory(from: source, byteCount: payload.count) }
        if let mask { WebSocketMask.apply(key: mask, to: body) }
        queue.commit(n + payload.count)
    }

    static let badRequest = Array("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".utf8)

    private func append(_ bytes: [UInt8], to out: inout ByteQueue) {
        bytes.withUnsafeBytes { out.append($0) }
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
}
