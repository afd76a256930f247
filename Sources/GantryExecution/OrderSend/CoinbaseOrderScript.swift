import GantryCore
import GantryNet
import GantryVenues

/// Coinbase Advanced Trade: orders, cancels and queries by REST only (it has no WebSocket order API); the session's
/// one WebSocket is the market-data WebSocket carrying the `user` channel (the account's order updates, with a
/// JWT in the subscribe) and `heartbeats` (which keep a quiet connection open). The connection is ready when the
/// `user` channel answers (its snapshot, or a `subscriptions` message). Its updates are cumulative only: the session
/// turns them into fills (`OrderSession`). Too many requests: HTTP 429. No such order: HTTP 404 (`NOT_FOUND`) from
/// the historical order endpoint. (docs.cdp.coinbase.com/advanced-trade: websocket overview, user channel, rate
/// limits, get order.) No dead-man's switch: Advanced Trade's REST and WebSocket APIs document no cancel-after or
/// cancel-on-disconnect for spot orders.
public enum CoinbaseOrderScript: VenueOrderScript {
    public typealias Codec = CoinbaseOrderEntry

    public static func opening(_ codec: inout CoinbaseOrderEntry, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void)
        throws(OrderEncodeError) -> [UInt64] {
        _ = try codec.subscribe(channel: "user", now: wall, into: &buffer)
        send(buffer.bytes)
        _ = try codec.subscribe(channel: "heartbeats", now: wall, into: &buffer)
        send(buffer.bytes)
        // The user channel's first answer names no request: a login answer.
        return [0]
    }

    public static func rateLimit(_ error: VenueOrderError) -> Nanos? { error.httpStatus == 429 ? .seconds(1) : nil }

    public static func unknownOrder(_ error: VenueOrderError) -> Bool { error.httpStatus == 404 }
}
