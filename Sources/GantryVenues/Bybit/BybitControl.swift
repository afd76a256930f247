extension Bybit {
    /// Classifies a message that is not order-book data. Bybit answers requests with `{"success":…,"ret_msg":…,
    /// "conn_id":…,"op":"subscribe"|"unsubscribe"|"ping"|"pong"|…}`: a control message, or, when `success` is
    /// false (with or without `op`), the venue's error, its `ret_msg` saying why. Anything else (another
    /// topic, a book topic of another `type`) is unknown. - Throws: `DecodeError` if it is not one JSON object.
    public static func classifyOther(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> OtherMessage {
        let f = try JSONCursor.members(of: message, ["op", "success", "ret_msg"])
        if f[1]?.equals("false") == true { return .error(f[2]) }
        return f[0] != nil ? .control : .unknown
    }
}
