/// RFC 6455 §5.2 opcodes.
@frozen
public enum WebSocketOpcode: UInt8, Sendable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    /// Close, ping and pong (opcodes with the high bit set).
    @inlinable public var isControl: Bool { rawValue & 0x8 != 0 }
}

/// A close status code (RFC 6455 §7.4): the ones the protocol names, and any other a peer sends (3000–4999 are
/// for libraries and applications). 1005, 1006 and 1015 are never sent in a close frame: they name what
/// happened to a connection that ended without one.
@frozen
public struct WebSocketCloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let normal = Self(1000)
    public static let goingAway = Self(1001)
    public static let protocolError = Self(1002)
    public static let unsupportedData = Self(1003)
    /// The peer's close frame carried no code.
    public static let noStatus = Self(1005)
    /// The connection ended without a close frame (the TCP stream ended or broke, a send failed).
    public static let abnormal = Self(1006)
    public static let invalidPayload = Self(1007)
    public static let policyViolation = Self(1008)
    public static let messageTooBig = Self(1009)
    public static let internalError = Self(1011)
    /// The TLS handshake failed (the server's certificate could not be verified, say).
    public static let tlsHandshake = Self(1015)

    /// Whether a close frame may carry it (§7.4.1: not 1005, 1006 or 1015).
    public var isSendable: Bool { self != .noStatus && self != .abnormal && self != .tlsHandshake }

    public var description: String { "\(rawValue)" }
}

/// A frame header parsed in place; the payload is `payloadLength` bytes at `payloadOffset` of the buffer that
/// was parsed, already unmasked.
@frozen
public struct WebSocketFrameHeader: Sendable, Equatable {
    public var fin: Bool
    /// RSV1 (permessage-deflate's "compressed" bit when that extension was negotiated).
    public var rsv1: Bool
    public var opcode: WebSocketOpcode
    public var payloadOffset: Int
    public var payloadLength: Int
    /// Header plus payload: how many bytes of the buffer this frame used.
    @inlinable public var frameLength: Int { payloadOffset + payloadLength }

    @inlinable
    public init(fin: Bool, rsv1: Bool, opcode: WebSocketOpcode, payloadOffset: Int, payloadLength: Int) {
        self.fin = fin
        self.rsv1 = rsv1
        self.opcode = opcode
        self.payloadOffset = payloadOffset
        self.payloadLength = payloadLength
    }
}

/// Writes RFC 6455 frame headers: the shortest length encoding, and the masking key when given.
public enum WebSocketFrameWriter {
    /// The longest header: 2 bytes, an 8-byte length, a 4-byte key.
    public static let maxHeaderLength = 14

    /// Writes a frame header for a payload of `length` bytes into `buffer`.
    /// - Parameters:
    ///   - maskKey: The key as the four wire bytes loaded as a native `UInt32` (clients must mask), or nil.
    /// - Returns: The header's length.
    /// - Traps if `buffer` has fewer than `maxHeaderLength` bytes.
    @inlinable
    public static func writeHeader(
        into buffer: UnsafeMutableRawBufferPointer, fin: Bool = true, rsv1: Bool = false, opcode: WebSocketOpcode,
        length: Int, maskKey: UInt32?
    ) -> Int {
        precondition(buffer.count >= maxHeaderLength, "header buffer too small")
        buffer[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode.rawValue
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        var n: Int
        if length < 126 {
            buffer[1] = maskBit | UInt8(length)
            n = 2
        } else if length <= 0xFFFF {
            buffer[1] = maskBit | 126
            buffer.storeBytes(of: UInt16(length).bigEndian, toByteOffset: 2, as: UInt16.self)
            n = 4
        } else {
            buffer[1] = maskBit | 127
            buffer.storeBytes(of: UInt64(length).bigEndian, toByteOffset: 2, as: UInt64.self)
            n = 10
        }
        if let maskKey {
            buffer.storeBytes(of: maskKey, toByteOffset: n, as: UInt32.self)
            n += 4
        }
        return n
    }
}

/// What one parse step found.
public enum WebSocketParseResult: Sendable, Equatable {
    /// The buffer does not yet hold a whole frame: read more and parse again from the same start.
    case needMoreBytes
    /// A whole frame; its payload has been unmasked in place.
    case frame(WebSocketFrameHeader)
    /// The peer broke the protocol: close with `code`; `reason` says what was wrong.
    case violation(WebSocketCloseCode, reason: String)
}

/// Parses RFC 6455 frames in place in a receive buffer: a value type with no I/O and no allocation on the
/// success path. Running out of bytes is a result, not an error.
public struct WebSocketFrameParser: Sendable {
    /// Which end we are: a server requires masked frames (§5.1), a client refuses them.
    public enum Role: Sendable { case client, server }

    public let role: Role
    /// The largest payload accepted in one frame; larger ones are a 1009 violation.
    public let maxFramePayload: Int
    /// True when permessage-deflate was negotiated: RSV1 is then allowed on the first frame of a data message.
    public let allowRSV1: Bool

    public init(role: Role, maxFramePayload: Int = 16 << 20, allowRSV1: Bool = false) {
        self.role = role
        self.maxFramePayload = maxFramePayload
        self.allowRSV1 = allowRSV1
    }

    /// Parses the frame at the start of `buffer` and unmasks its payload in place.
    /// - Returns: `.needMoreBytes`, `.frame`, or `.violation` with the close code to send.
    @inlinable
    public func parse(_ buffer: UnsafeMutableRawBufferPointer) -> WebSocketParseResult {
        let count = buffer.count
        guard count >= 2, let base = buffer.baseAddress else { return .needMoreBytes }
        let b0 = base.load(as: UInt8.self)
        let b1 = base.load(fromByteOffset: 1, as: UInt8.self)
        let fin = b0 & 0x80 != 0
        let rsv1 = b0 & 0x40 != 0
        if b0 & 0x30 != 0 { return .violation(.protocolError, reason: "reserved bits RSV2/RSV3 set") }
        guard let opcode = WebSocketOpcode(rawValue: b0 & 0x0F) else {
            return .violation(.protocolError, reason: "unknown opcode \(b0 & 0x0F)")
        }
        if rsv1 && (!allowRSV1 || opcode.isControl) {
            return .violation(.protocolError, reason: "reserved bit RSV1 set without a negotiated extension")
        }
        let masked = b1 & 0x80 != 0
        switch role {
        case .server where !masked: return .violation(.protocolError, reason: "client frame is not masked")
        case .client where masked: return .violation(.protocolError, reason: "server frame is masked")
        default: break
        }
        var offset = 2
        var length = Int(b1 & 0x7F)
        if length == 126 {
            guard count >= 4 else { return .needMoreBytes }
            length = Int(UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            if length < 126 { return .violation(.protocolError, reason: "length not minimally encoded") }
            offset = 4
        } else if length == 127 {
            guard count >= 10 else { return .needMoreBytes }
            let long = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: 2, as: UInt64.self))
            if long >> 63 != 0 { return .violation(.protocolError, reason: "64-bit length has its high bit set") }
            if long <= 0xFFFF { return .violation(.protocolError, reason: "length not minimally encoded") }
            if long > UInt64(maxFramePayload) { return .violation(.messageTooBig, reason: "frame of \(long) bytes") }
            length = Int(long)
            offset = 10
        }
        if opcode.isControl {
            if !fin { return .violation(.protocolError, reason: "fragmented control frame") }
            if length > 125 { return .violation(.protocolError, reason: "control frame payload over 125 bytes") }
        }
        if length > maxFramePayload { return .violation(.messageTooBig, reason: "frame of \(length) bytes") }
        var key: UInt32 = 0
        if masked {
            guard count >= offset + 4 else { return .needMoreBytes }
            key = base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)  // the 4 bytes as they lie
            offset += 4
        }
        guard count - offset >= length else { return .needMoreBytes }
        if masked {
            // SAFETY: offset + length <= count.
            WebSocketMask.apply(key: key, to: UnsafeMutableRawBufferPointer(start: base + offset, count: length))
        }
        return .frame(WebSocketFrameHeader(fin: fin, rsv1: rsv1, opcode: opcode, payloadOffset: offset, payloadLength: length))
    }
}

/// RFC 6455 §5.3 masking: byte i is XORed with key byte i mod 4. Done eight bytes at a time.
public enum WebSocketMask {
    /// XORs `bytes` with the masking key in place (applying it twice restores the data).
    /// - Parameter key: The four key bytes exactly as they appear on the wire, loaded as a native `UInt32`.
    @inlinable
    public static func apply(key: UInt32, to bytes: UnsafeMutableRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        // The key repeated over a word, in memory order, so that a word-wide XOR masks 8 bytes at once.
        let word = UInt64(key) | (UInt64(key) << 32)
        var i = 0
        while i &+ 8 <= count {
            // SAFETY: i + 8 <= count.
            let v = (base + i).loadUnaligned(as: UInt64.self)
            (base + i).storeBytes(of: v ^ word, as: UInt64.self)
            i &+= 8
        }
        withUnsafeBytes(of: key) { k in
            while i < count {
                base.storeBytes(of: base.load(fromByteOffset: i, as: UInt8.self) ^ k[i & 3], toByteOffset: i, as: UInt8.self)
                i &+= 1
            }
        }
    }
}
