import CZlib

/// The permessage-deflate extension (RFC 7692) as both sides agreed it in the opening handshake.
public struct PerMessageDeflateParameters: Equatable, Sendable {
    /// The server starts each message with an empty LZ77 window.
    public var serverNoContextTakeover = false
    /// The client starts each message with an empty window.
    public var clientNoContextTakeover = false
    /// The server's window (8…15 bits); its messages are inflated with a window at least this large.
    public var serverMaxWindowBits = 15
    /// The client's window.
    public var clientMaxWindowBits = 15

    public init() {}

    /// What our client offers: the extension, and that it can take any client window size the server asks for
    /// (it sends uncompressed messages: orders and subscriptions are small and latency counts more).
    public static let clientOffer = "permessage-deflate; client_max_window_bits"

    /// The parameters of one extension offer or response: name, then `key[=value]` pairs.
    static func split(_ element: Substring) -> (name: String, parameters: [(String, String?)]) {
        let parts = element.split(separator: ";").map { $0.trimmingSpaces() }
        let parameters: [(String, String?)] = parts.dropFirst().map { p in
            guard let eq = p.firstIndex(of: "=") else { return (p.lowercased(), nil) }
            var value = String(p[p.index(after: eq)...]).trimmingSpaces()
            if value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return (String(p[..<eq]).trimmingSpaces().lowercased(), value)
        }
        return (parts.first?.lowercased() ?? "", parameters)
    }

    static func windowBits(_ value: String?) -> Int? {
        guard let value, value.utf8.count <= 2, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(value),
            (8...15).contains(n)
        else { return nil }
        return n
    }

    /// The server's answer to `clientOffer` (RFC 7692 §5, §7.1): exactly one permessage-deflate element, each
    /// parameter at most once, valid values, and client_max_window_bits only with a value.
    /// - Throws: `.unrequestedExtension` naming what is wrong.
    public static func parseResponse(_ value: String) throws(WebSocketHandshakeError) -> PerMessageDeflateParameters {
        let elements = value.split(separator: ",")
        guard elements.count == 1 else { throw .unrequestedExtension("\(value) (one extension was offered)") }
        let (name, parameters) = split(elements[0])
        guard name == "permessage-deflate" else { throw .unrequestedExtension(value) }
        var result = PerMessageDeflateParameters()
        var seen = Set<String>()
        for (key, v) in parameters {
            guard seen.insert(key).inserted else { throw .unrequestedExtension("\(value): \(key) twice") }
            switch key {
            case "server_no_context_takeover" where v == nil: result.serverNoContextTakeover = true
            case "client_no_context_takeover" where v == nil: result.clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let bits = windowBits(v) else { throw .unrequestedExtension("\(value): bad server_max_window_bits") }
                result.serverMaxWindowBits = bits
            case "client_max_window_bits":
                guard let bits = windowBits(v) else { throw .unrequestedExtension("\(value): bad client_max_window_bits") }
                result.clientMaxWindowBits = bits
            default: throw .unrequestedExtension("\(value): unknown parameter \(key)")
            }
        }
        return result
    }

    /// The server side (the venue simulator): the first acceptable permessage-deflate offer of a client, and
    /// the response header value. An 8-bit server window is declined (zlib's raw deflate needs 9 or more).
    public static func accept(offers value: String) -> (parameters: PerMessageDeflateParameters, response: String)? {
        offers: for element in value.split(separator: ",") {
            let (name, parameters) = split(element)
            guard name == "permessage-deflate" else { continue }
            var result = PerMessageDeflateParameters()
            var response = "permessage-deflate"
            var seen = Set<String>()
            for (key, v) in parameters {
                guard seen.insert(key).inserted else { continue offers }
                switch key {
                case "server_no_context_takeover" where v == nil:
                    result.serverNoContextTakeover = true
                    response += "; server_no_context_takeover"
                case "client_no_context_takeover" where v == nil:
                    result.clientNoContextTakeover = true
                    response += "; client_no_context_takeover"
                case "server_max_window_bits":
                    guard let bits = windowBits(v), bits >= 9 else { continue offers }
                    result.serverMaxWindowBits = bits
                    response += "; server_max_window_bits=\(bits)"
                case "client_max_window_bits":
                    if v != nil {
                        guard let bits = windowBits(v) else { continue offers }
                        result.clientMaxWindowBits = bits
                    }
                default: continue offers
                }
            }
            return (result, response)
        }
        return nil
    }
}

/// Why a compressed message could not be inflated.
public enum InflateFailure: Error, Equatable, Sendable {
    case tooBig
    case corrupt(String)
}

/// Inflates compressed messages (RFC 7692 §7.2.2): the payload, then the 0x00 0x00 0xFF 0xFF that the sender
/// removed, through one raw-DEFLATE stream kept across messages (a window as large as any sender's), into one
/// buffer allocated up front: no allocation per message.
public struct WebSocketInflater: ~Copyable {
    let stream: UnsafeMutablePointer<z_stream>
    let output: UnsafeMutableRawBufferPointer
    public let maxMessage: Int

    public init(maxMessage: Int) {
        self.maxMessage = maxMessage
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = inflateInit2_(stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK, "zlib inflateInit2 failed (\(rc))")
        output = .allocate(byteCount: maxMessage + 1, alignment: 64)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    /// - Returns: The message, valid until the next call.
    public mutating func inflate(_ payload: UnsafeRawBufferPointer) -> Result<UnsafeRawBufferPointer, InflateFailure> {
        var produced = 0
        if let failure = run(payload, &produced) { return .failure(failure) }
        let tail: UInt32 = 0xFFFF_0000  // 00 00 FF FF in memory order on a little-endian machine
        let failure = withUnsafeBytes(of: tail.littleEndian) { run($0, &produced) }
        if let failure { return .failure(failure) }
        return .success(UnsafeRawBufferPointer(start: output.baseAddress, count: produced))
    }

    private func run(_ input: UnsafeRawBufferPointer, _ produced: inout Int) -> InflateFailure? {
        guard input.count > 0 else { return nil }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = UInt32(input.count)
        while stream.pointee.avail_in > 0 {
            let room = output.count - produced
            if room == 0 { return .tooBig }
            stream.pointee.next_out = (output.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(room)
            let rc = CZlib.inflate(stream, Z_SYNC_FLUSH)
            produced += room - Int(stream.pointee.avail_out)
            if produced > maxMessage { return .tooBig }
            switch rc {
            case Z_OK, Z_BUF_ERROR: continue
            case Z_STREAM_END:
                // A final block (BFINAL) ends the stream: the next message starts a new one.
                inflateReset(stream)
            default:
                let why = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                inflateReset(stream)
                return .corrupt(why)
            }
        }
        return nil
    }
}

/// Compresses messages for the peer (RFC 7692 §7.2.1): raw DEFLATE with a sync flush, the trailing
/// 0x00 0x00 0xFF 0xFF removed; the window reset per message when the peer asked for no context takeover.
public struct WebSocketDeflater: ~Copyable {
    let stream: UnsafeMutablePointer<z_stream>
    var output: UnsafeMutableRawBufferPointer
    let noContextTakeover: Bool

    /// - Parameters:
    ///   - windowBits: 9…15.
    ///   - level: zlib's level (1: fastest).
    public init(windowBits: Int, noContextTakeover: Bool, level: Int32 = 1) {
        precondition((9...15).contains(windowBits), "zlib raw deflate needs a window of 9 to 15 bits")
        self.noContextTakeover = noContextTakeover
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = deflateInit2_(stream, level, Z_DEFLATED, Int32(-windowBits), 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK, "zlib deflateInit2 failed (\(rc))")
        output = .allocate(byteCount: 64 << 10, alignment: 64)
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    /// - Returns: The compressed payload, valid until the next call.
    public mutating func deflate(_ payload: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let bound = Int(deflateBound(stream, UInt(payload.count))) + 16
        if output.count < bound {
            output.deallocate()
            output = .allocate(byteCount: bound, alignment: 64)
        }
        // An empty payload has no base address; zlib reads nothing when avail_in is 0 but wants a valid
        // pointer, so it is given the output buffer's.
        let input = payload.baseAddress ?? UnsafeRawPointer(output.baseAddress!)
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = UInt32(payload.count)
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(output.count)
        let rc = CZlib.deflate(stream, Z_SYNC_FLUSH)
        precondition(rc == Z_OK && stream.pointee.avail_in == 0, "zlib deflate into a deflateBound-sized buffer failed (\(rc))")
        var n = output.count - Int(stream.pointee.avail_out)
        if n >= 4 { n -= 4 }  // the sync flush's empty stored block, 00 00 FF FF
        if noContextTakeover { deflateReset(stream) }
        return UnsafeRawBufferPointer(start: output.baseAddress, count: n)
    }
}
