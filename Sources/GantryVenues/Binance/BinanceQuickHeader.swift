import GantryCore

extension Binance {
    /// A depth event's header exactly as Binance sends it (raw or in the combined-stream envelope): the fields
    /// `e`, `E`, `s`, `U`, `u` in that order with no white space, then `b`. Matched literally, with no key
    /// lookup; the levels and the rest of the message are read by `DepthDiff.forEachLevel` as after the
    /// general header read, so both paths give the same diff.
    /// - Returns: Nil for anything else (another event, another order, white space, an escape, a number that
    ///   does not fit): `decode` then reads the message in full generality and names any problem.
    @inline(__always)
    static func quickDepthHeader(_ message: UnsafeRawBufferPointer) -> DepthDiff? {
        guard var m = LiteralMatcher(message) else { return nil }
        var enveloped = false
        if m.literal(#"{"stream":""#) {
            guard m.plainString() != nil, m.literal(#","data":{"#) else { return nil }
            enveloped = true
        } else if !m.literal("{") {
            return nil
        }
        guard m.literal(#""e":"depthUpdate","E":"#), let time = m.integer(), time < UInt64(Int64.max / 1_000_000),
            m.literal(#","s":""#), let symbol = m.plainString(),
            m.literal(#","U":"#), let first = m.integer(),
            m.literal(#","u":"#), let last = m.integer(),
            m.literal(#","b":"#), m.next == 0x5B, first <= last
        else { return nil }
        return DepthDiff(
            message: message, symbol: symbol, firstUpdateId: first, finalUpdateId: last,
            eventTime: Nanos(raw: Int64(time) * 1_000_000), bids: m.i, asks: -1, enveloped: enveloped)
    }
}
