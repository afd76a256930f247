extension Binance {
    /// Classifies a message that is not a depth diff. Binance answers a request with `{"result":…,"id":…}`
    /// (`null` for SUBSCRIBE and UNSUBSCRIBE, the list for LIST_SUBSCRIPTIONS), and a `serverShutdown` event
    /// warns of a disconnect: control messages. A refused request is answered `{"code":…,"msg":…,"id":…}` (or
    /// with the two in an `error` object): the venue's error. Anything else, such as another stream's event,
    /// raw or in the combined-stream envelope, is unknown. - Throws: `DecodeError` if it is not one JSON object.
    public static func classifyOther(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> OtherMessage {
        let f = try JSONCursor.members(of: message, ["result", "code", "msg", "error", "e", "data"])
        if let error = f[3] {
            guard error.first == 0x7B else { return .error(error) }
            let inner = try JSONCursor.members(of: error, ["code", "msg"])
            return .error(inner[1], code: inner[0])
        }
        if f[1] != nil || f[2] != nil { return .error(f[2], code: f[1]) }
        if f[0] != nil { return .control }
        var event = f[4]
        if let data = f[5], data.first == 0x7B { event = try JSONCursor.members(of: data, ["e"])[0] }
        if let event, event.equals("serverShutdown") { return .control }
        return .unknown
    }
}
