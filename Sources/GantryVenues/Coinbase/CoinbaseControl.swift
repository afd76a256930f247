extension CoinbaseAdvanced {
    /// Classifies a message that is not level2 data. The `subscriptions` channel (the answer to a subscribe)
    /// and `heartbeats` are control messages; `{"type":"error","message":…}` is the venue's error. Anything
    /// else (a channel the feed did not subscribe to) is unknown. - Throws: `DecodeError` if it is not one
    /// JSON object.
    public static func classifyOther(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> OtherMessage {
        let f = try JSONCursor.members(of: message, ["channel", "type", "message"])
        if f[1]?.equals("error") == true { return .error(f[2]) }
        if let channel = f[0], channel.equals("subscriptions") || channel.equals("heartbeats") { return .control }
        return .unknown
    }
}
