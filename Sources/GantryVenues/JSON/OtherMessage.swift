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

extension JSONCursor {
    /// The values of the members named in `keys` of the JSON object that is the whole of `message` (the last of
    /// a repeated name wins): a string's bytes without its quotes, anything else as written (a number, `true`,
    /// `false`, `null`, or an object or array with its brackets, to read with `members` again); nil for a
    /// member that is not there. For classifying messages that are not book data: rare, so an array is fine.
    /// - Throws: `DecodeError` if `message` is not one JSON object.
    public static func members(of message: UnsafeRawBufferPointer, _ keys: [StaticString]) throws(DecodeError) -> [UnsafeRawBufferPointer?] {
        var values = [UnsafeRawBufferPointer?](repeating: nil, count: keys.count)
        var s = JSONCursor(message)
        try s.object { key, next, s throws(DecodeError) in
            guard let k = keys.firstIndex(where: { key.equals($0) }) else {
                try s.skipValue()
                return
            }
            if next == 0x22 {
                values[k] = try s.string()
                return
            }
            let start = s.offset
            try s.skipValue()
            values[k] = UnsafeRawBufferPointer(rebasing: message[start..<s.offset])
        }
        try s.expectEnd()
        return values
    }
}
