extension Bybit {
    /// Classifies a message that is not order-book data. Bybit answers requests with `{"success":…,"ret_msg":…,
    /// "conn_id":…,"op":"subscribe"|"unsubscribe"|"ping"|"pong"|…}`: a control message, or, when `success` is
    /// false (with or without `op`), the venue's error, its `ret_msg` saying why. Anything else (another topic, a book topic of another
    /// `type`) is unknown. - Throws: `DecodeError` if it is not one JSON object.
    public static func classifyOther(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> OtherMessage {
        var op = false
        var success: Bool? = nil
        var text: UnsafeRawBufferPointer? = nil
        try JSONScanner.topLevel(message) { key, s throws(DecodeError) in
            if key.equals("op") {
                op = try s.stringOrSkip() != nil
            } else if key.equals("success") {
                success = try s.boolOrSkip()
            } else if key.equals("ret_msg") {
                text = try s.stringOrSkip()
            } else {
                try s.skipValue()
            }
        }
        // A refusal is an error whatever else it carries; a reply is control.
        if success == false { return .error(text) }
        return op ? .control : .unknown
    }
}
