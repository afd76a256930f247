extension Binance {
    /// Classifies a message that is not a depth diff. Binance answers a request with `{"result":…,"id":…}`
    /// (`null` for SUBSCRIBE and UNSUBSCRIBE, the list for LIST_SUBSCRIPTIONS), and a `serverShutdown` event
    /// warns of a disconnect: control messages. A refused request is answered `{"code":…,"msg":…,"id":…}` (or
    /// with the two in an `error` object): the venue's error. Anything else, such as another stream's event,
    /// raw or in the combined-stream envelope, is unknown. - Throws: `DecodeError` if it is not one JSON object.
    public static func classifyOther(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> OtherMessage {
        var result = false
        var code: UnsafeRawBufferPointer? = nil
        var text: UnsafeRawBufferPointer? = nil
        var isError = false
        var event: UnsafeRawBufferPointer? = nil
        func codeAndMessage(_ key: UnsafeRawBufferPointer, _ s: inout JSONScanner) throws(DecodeError) -> Bool {
            if key.equals("code") {
                code = try s.scalarOrSkip()
            } else if key.equals("msg") {
                text = try s.stringOrSkip()
            } else {
                return false
            }
            return true
        }
        try JSONScanner.topLevel(message) { key, s throws(DecodeError) in
            let next = try s.peek()
            if key.equals("result") {
                result = true
                try s.skipValue()
            } else if try codeAndMessage(key, &s) {
                isError = true
            } else if key.equals("error") && next == 0x7B {
                isError = true
                try s.object { key, s throws(DecodeError) in if !(try codeAndMessage(key, &s)) { try s.skipValue() } }
            } else if key.equals("e") {
                event = try s.stringOrSkip()
            } else if key.equals("data") && next == 0x7B {
                try s.object { key, s throws(DecodeError) in
                    if key.equals("e") { event = try s.stringOrSkip() } else { try s.skipValue() }
                }
            } else {
                try s.skipValue()
            }
        }
        if isError { return .error(text, code: code) }
        if result { return .control }
        if let event, event.equals("serverShutdown") { return .control }
        return .unknown
    }
}
