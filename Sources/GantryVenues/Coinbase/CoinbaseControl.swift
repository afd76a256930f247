extension CoinbaseAdvanced {
    /// Classifies a message that is not level2 data. The `subscriptions` channel (the answer to a subscribe)
    /// and `heartbeats` are control messages; `{"type":"error","message":…}` is the venue's error. Anything
    /// else (a channel the feed did not subscribe to) is unknown. - Throws: `DecodeError` if it is not one
    /// JSON object.
    public static func classifyOther(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> OtherMessage {
        var channel: UnsafeRawBufferPointer? = nil
        var type: UnsafeRawBufferPointer? = nil
        var text: UnsafeRawBufferPointer? = nil
        try JSONScanner.topLevel(message) { key, s throws(DecodeError) in
            if key.equals("channel") {
                channel = try s.stringOrSkip()
            } else if key.equals("type") {
                type = try s.stringOrSkip()
            } else if key.equals("message") {
                text = try s.stringOrSkip()
            } else {
                try s.skipValue()
            }
        }
        if let type, type.equals("error") { return .error(text) }
        if let channel, channel.equals("subscriptions") || channel.equals("heartbeats") { return .control }
        return .unknown
    }
}
