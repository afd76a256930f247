import GantryCore
import GantryNet
import GantryVenues

/// Bybit v5 spot: orders on the trade stream (`/v5/trade`, `auth` first), fills on the private stream
/// (`/v5/private`: `auth`, then the `order` and `execution` topics) as the session's user stream, queries by REST
/// (`GET /v5/order/realtime`, by orderLinkId). Both streams authenticate with the same signed expiry
/// (bybit-exchange.github.io/docs/v5/ws/connect) and want `{"op":"ping"}` every 20 s. Too many requests: retCode
/// 10006 (v5/error). No such order: 110001 or 170213 "Order does not exist" (v5/error); a query by orderLinkId
/// that finds none answers an empty list, which the session reads the same way. Dead-man's switch: not armed here.
/// Bybit's disconnection protection (`POST /v5/order/disconnected-cancel-all`, `product` SPOT, `timeWindow` 3 to
/// 300 s; bybit-exchange.github.io/docs/v5/order/dcp) covers spot, but it is a different mechanism (a window after
/// the private stream drops, enabled per account through Bybit and triggered only with the `dcp` topic subscribed),
/// not a refreshed timer; left for later.
public enum BybitOrderScript: VenueOrderScript {
    public typealias Codec = BybitOrderEntry

    /// How long an `auth` signature stays valid (its `expires`).
    static let authValidity = Nanos.seconds(10)

    public static func opening(_ codec: inout BybitOrderEntry, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void)
        throws(OrderEncodeError) -> [UInt64] {
        _ = try codec.auth(expires: wall + authValidity, into: &buffer)
        send(buffer.bytes)
        return [0]
    }

    public static func userStreamOpening(
        _ codec: inout BybitOrderEntry, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void
    ) throws(OrderEncodeError) -> [UInt64] {
        try opening(&codec, wall: wall, buffer: &buffer, send: send)
    }

    /// The request id of the private stream's subscription (its own numbering: nothing else is asked there).
    static let subscriptionId: UInt64 = 1

    public static func userStreamSubscribe(
        _ codec: inout BybitOrderEntry, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void
    ) throws(OrderEncodeError) -> [UInt64] {
        let text: StaticString = #"{"req_id":"1","op":"subscribe","args":["order","execution"]}"#
        send(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        return [subscriptionId]
    }

    public static func rateLimit(_ error: VenueOrderError) -> Nanos? { error.code == 10006 ? .seconds(1) : nil }

    public static func unknownOrder(_ error: VenueOrderError) -> Bool { error.code == 110001 || error.code == 170213 }

    public static var keepAlive: KeepAlive? { KeepAlive(text: #"{"op":"ping"}"#, every: .seconds(20)) }
    public static var userStreamKeepAlive: KeepAlive? { keepAlive }
}
