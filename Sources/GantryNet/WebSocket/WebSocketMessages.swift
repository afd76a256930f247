/// What the assembler makes of one frame.
public enum WebSocketEvent: Equatable {
    /// A whole text or binary message: `payload` is the frame's own bytes (unfragmented, zero copy) or the
    /// assembler's buffer (fragmented). Valid until the next call.
    case message(WebSocketOpcode, UnsafeRawBufferPointer)
    /// A whole message compressed with permessage-deflate (RSV1 on its first frame): inflate it, then check
    /// text for UTF-8 (the assembler cannot, before inflation).
    case compressedMessage(WebSocketOpcode, UnsafeRawBufferPointer)
    /// A fragment was stored; nothing to hand out yet.
    case fragment
    case ping(UnsafeRawBufferPointer)
    case pong(UnsafeRawBufferPointer)
    /// The peer closed: its code (1005 when it sent none) and reason.
    case close(code: WebSocketCloseCode, reason: UnsafeRawBufferPointer)
    /// The peer broke the protocol: close with `code`.
    case violation(WebSocketCloseCode, reason: String)

    public static func == (a: WebSocketEvent, b: WebSocketEvent) -> Bool {
        switch (a, b) {
        case (.message(let o1, let p1), .message(let o2, let p2)), (.compressedMessage(let o1, let p1), .compressedMessage(let o2, let p2)):
            o1 == o2 && Array(p1) == Array(p2)
        case (.fragment, .fragment): true
        case (.ping(let p1), .ping(let p2)), (.pong(let p1), .pong(let p2)): Array(p1) == Array(p2)
        case (.close(let c1, let r1), .close(let c2, let r2)): c1 == c2 && Array(r1) == Array(r2)
        case (.violation(let c1, let r1), .violation(let c2, let r2)): c1 == c2 && r1 == r2
        default: false
        }
    }
}

/// Turns parsed frames into messages (RFC 6455 §5.4): continuation rules, control frames interleaved within a
/// fragmented message, UTF-8 validation of text (1007), close payload rules (§5.5.1, §7.4), a message size
/// limit (1009). Unfragmented messages are handed out in place; fragments are gathered in one buffer allocated
/// up front (its pages are touched only when used), so steady state allocates nothing. One owner: `~Copyable`.
public struct WebSocketMessageAssembler: ~Copyable {
    public let maxMessage: Int
    private let buffer: UnsafeMutableRawBufferPointer
    private var used = 0
    private var fragmentedOpcode: WebSocketOpcode?
    /// The message being gathered is compressed (its UTF-8 is checked after inflation).
    private var compressed = false
    private var utf8 = UTF8Validator()

    /// - Parameter maxMessage: The largest message accepted; its buffer is allocated now.
    public init(maxMessage: Int = 16 << 20) {
        self.maxMessage = maxMessage
        buffer = .allocate(byteCount: max(1, maxMessage), alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// True while a fragmented message is being gathered.
    public var inFragmentedMessage: Bool { fragmentedOpcode != nil }

    /// Consumes one frame.
    /// - Parameters:
    ///   - header: As the parser returned it.
    ///   - payload: The frame's unmasked payload.
    public mutating func receive(_ header: WebSocketFrameHeader, payload: UnsafeRawBufferPointer) -> WebSocketEvent {
        switch header.opcode {
        case .ping: return .ping(payload)
        case .pong: return .pong(payload)
        case .close: return close(payload)
        case .text, .binary:
            guard fragmentedOpcode == nil else {
                return .violation(.protocolError, reason: "new data frame inside a fragmented message")
            }
            if header.fin {
                if header.rsv1 { return .compressedMessage(header.opcode, payload) }
                if header.opcode == .text {
                    var v = UTF8Validator()
                    guard v.feed(payload), v.isComplete else { return .violation(.invalidPayload, reason: "text is not UTF-8") }
                }
                return .message(header.opcode, payload)
            }
            fragmentedOpcode = header.opcode
            compressed = header.rsv1
            used = 0
            utf8 = UTF8Validator()
            return append(payload, fin: false)
        case .continuation:
            guard fragmentedOpcode != nil else {
                return .violation(.protocolError, reason: "continuation frame without a message to continue")
            }
            if header.rsv1 {
                fragmentedOpcode = nil
                return .violation(.protocolError, reason: "RSV1 set on a continuation frame")
            }
            return append(payload, fin: header.fin)
        }
    }

    private mutating func append(_ payload: UnsafeRawBufferPointer, fin: Bool) -> WebSocketEvent {
        guard used + payload.count <= maxMessage else {
            fragmentedOpcode = nil
            return .violation(.messageTooBig, reason: "message over \(maxMessage) bytes")
        }
        if fragmentedOpcode == .text && !compressed && !utf8.feed(payload) {
            fragmentedOpcode = nil
            return .violation(.invalidPayload, reason: "text is not UTF-8")
        }
        // SAFETY: used + payload.count <= maxMessage == buffer.count.
        if let source = payload.baseAddress { (buffer.baseAddress! + used).copyMemory(from: source, byteCount: payload.count) }
        used += payload.count
        guard fin else { return .fragment }
        let opcode = fragmentedOpcode!
        fragmentedOpcode = nil
        let message = UnsafeRawBufferPointer(start: buffer.baseAddress, count: used)
        if compressed { return .compressedMessage(opcode, message) }
        if opcode == .text && !utf8.isComplete { return .violation(.invalidPayload, reason: "text ends inside a code point") }
        return .message(opcode, message)
    }

    private func close(_ payload: UnsafeRawBufferPointer) -> WebSocketEvent {
        if payload.isEmpty { return .close(code: .noStatus, reason: UnsafeRawBufferPointer(start: nil, count: 0)) }
        guard payload.count >= 2 else { return .violation(.protocolError, reason: "close payload of one byte") }
        let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
        guard Self.isValidCloseCode(code) else { return .violation(.protocolError, reason: "close code \(code) may not be sent") }
        let reason = UnsafeRawBufferPointer(rebasing: payload[2...])
        var v = UTF8Validator()
        guard v.feed(reason), v.isComplete else { return .violation(.invalidPayload, reason: "close reason is not UTF-8") }
        return .close(code: WebSocketCloseCode(code), reason: reason)
    }

    /// Codes a peer may put in a close frame (RFC 6455 §7.4.1–7.4.2 and the IANA registry).
    public static func isValidCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014: true
        case 3000...4999: true
        default: false
        }
    }
}
