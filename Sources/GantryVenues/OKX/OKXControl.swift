extension OKX {
    /// Whether the message is OKX's answer to the text `ping`: the text `pong`.
    public static func isPong(_ message: UnsafeRawBufferPointer) -> Bool { message.equals("pong") }

    /// Classifies a message that is not `books` data. OKX's events: `subscribe`, `unsubscribe`, `login`,
    /// `notice` (a service upgrade ahead) and `channel-conn-count` are control messages; `error` and
    /// `channel-conn-count-error` (the server ended a subscription) are the venue's errors, `code` and `msg`
    /// saying why. Anything else (another channel's push, another event) is unknown.
    /// - Throws: `DecodeError` if it is not one JSON object.
    public static func classifyOther(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> OtherMessage {
        let f = try JSONCursor.members(of: message, ["event", "code", "msg"])
        guard let event = f[0] else { return .unknown }
        if event.equals("error") || event.equals("channel-conn-count-error") { return .error(f[2], code: f[1]) }
        if event.equals("subscribe") || event.equals("unsubscribe") || event.equals("login") || event.equals("notice")
            || event.equals("channel-conn-count") {
            return .control
        }
        return .unknown
    }
}
