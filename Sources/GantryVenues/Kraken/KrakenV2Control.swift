extension KrakenV2 {
    /// Classifies a message that is not `book` data. Kraken v2 answers requests with `{"method":"subscribe"|
    /// "unsubscribe"|"pong",…,"success":…}`, and when `success` is false, or `error` is present, that is the
    /// venue's error (`error` says why, as in `{"error":…,"method":"subscribe","success":false,…}`). The
    /// `heartbeat` and `status` channels are control messages. Anything else (another channel or method) is
    /// unknown. - Throws: `DecodeError` if it is not one JSON object.
    public static func classifyOther(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> OtherMessage {
        let f = try JSONCursor.members(of: message, ["method", "channel", "success", "error"])
        if f[3] != nil || f[2]?.equals("false") == true { return .error(f[3]) }
        if let method = f[0] {
            return method.equals("subscribe") || method.equals("unsubscribe") || method.equals("pong") ? .control : .unknown
        }
        if let channel = f[1], channel.equals("heartbeat") || channel.equals("status") { return .control }
        return .unknown
    }
}
