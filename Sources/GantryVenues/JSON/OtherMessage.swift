/// What a venue message that carries no book data is. Each venue's `classifyOther` reads one after its book
/// decoder found the message is not book data (`DecodeError.unknownMessage`): rare, and off the book path, so
/// it reads the whole message again and may keep a venue's error text.
public enum OtherMessage: Equatable, Sendable {
    /// Part of the venue's protocol, with nothing for a book: a subscription reply, a heartbeat, a pong, a
    /// status or service notice.
    case control
    /// The venue refused a request (a subscription, a malformed request): its own words, at most
    /// `OtherMessage.errorTextLimit` bytes.
    case venueError(String)
    /// Well-formed, but neither book data nor a control message the venue documents: another channel or
    /// event than the feed subscribed to, or a type the venue added.
    case unknown

    /// The most of a venue's error text kept.
    public static let errorTextLimit = 200

    /// A venue error with `text` (a JSON string's bytes, escapes as sent) after its `code` if there is one
    /// ("60012: Invalid request"), cut to `errorTextLimit` bytes.
    public static func error(_ text: UnsafeRawBufferPointer?, code: UnsafeRawBufferPointer? = nil) -> OtherMessage {
        var words = ""
        if let code, code.count > 0 { words = String(decoding: code, as: UTF8.self) + ": " }
        if let text, text.count > 0 { words += String(decoding: text, as: UTF8.self) } else { words += "no message" }
        guard words.utf8.count > errorTextLimit else { return .venueError(words) }
        // Cut on a character's first byte: a cut inside one would decode to a 3-byte replacement character.
        let bytes = Array(words.utf8)
        var end = errorTextLimit
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return .venueError(String(decoding: bytes[..<end], as: UTF8.self))
    }
}

extension JSONScanner {
    /// The value if it is a string (its bytes, without quotes), else nil with the value skipped.
    public mutating func stringOrSkip() throws(DecodeError) -> UnsafeRawBufferPointer? {
        if try peek() == 0x22 { return try string() }
        try skipValue()
        return nil
    }

    /// The value's bytes if it is a string (without quotes) or a number, else nil with the value skipped.
    public mutating func scalarOrSkip() throws(DecodeError) -> UnsafeRawBufferPointer? {
        let b = try peek()
        if b == 0x22 { return try string() }
        if b == 0x2D || (b >= 0x30 && b <= 0x39) { return try numberBytes() }
        try skipValue()
        return nil
    }

    /// The value if it is `true` or `false`, else nil with the value skipped.
    public mutating func boolOrSkip() throws(DecodeError) -> Bool? {
        let b = try peek()
        if b == 0x74 || b == 0x66 { return try bool() }
        try skipValue()
        return nil
    }

    /// Walks a whole message that is one JSON object: `body` gets each top-level key and must consume its value.
    /// - Throws: `DecodeError` for anything that is not one object.
    public static func topLevel(
        _ message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, inout JSONScanner) throws(DecodeError) -> Void
    ) throws(DecodeError) {
        var s = JSONScanner(message)
        try s.object(body)
        try s.expectEnd()
    }
}
