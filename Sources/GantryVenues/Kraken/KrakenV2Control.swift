extension KrakenV2 {
    /// Classifies a message that is not `book` data. Kraken v2 answers requests with `{"method":"subscribe"|
    /// "unsubscribe"|"pong",…,"success":…}`, and when `success` is false, or `error` is present, that is the
    /// venue's error (`error` says why, as in `{"error":…,"method":"subscribe","success":false,…}`). The
    /// `heartbeat` and `status` channels are control messages. Anything else (another channel or method) is
    /// unknown. - Throws: `DecodeError` if it is not one JSON object.
    public static func classifyOther(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> OtherMessage {
        var method: UnsafeRawBufferPointer? = nil
        var channel: UnsafeRawBufferPointer? = nil
        var success: Bool? = nil
        var error: UnsafeRawBufferPointer? = nil
        var hasError = false
        try JSONScanner.topLevel(message) { key, s throws(DecodeError) in
            if key.equals("method") {
                method = try s.stringOrSkip()
            } else if key.equals("channel") {
                channel = try s.stringOrSkip()
            } else if key.equals("success") {
                success = try s.boolOrSkip()
            } else if key.equals("error") {
                hasError = true
                error = try s.stringOrSkip()
            } else {
                try s.skipValue()
            }
        }
        if hasError || success == false { return .error(error) }
        if let method {
            return method.equals("subscribe") || method.equals("unsubscribe") || method.equals("pong") ? .control : .unknown
        }
        if let channel, channel.equals("heartbeat") || channel.equals("status") { return .control }
        return .unknown
    }
}
