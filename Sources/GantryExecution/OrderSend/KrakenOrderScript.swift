import GantryCore
import GantryNet
import GantryVenues

/// Kraken spot over WebSocket v2: the token comes first from REST `GetWebSocketsToken` (the connection's
/// pre-opening; a token is good for establishing connections for 15 minutes, so each connection asks afresh),
/// then the `executions` channel is subscribed with it and `add_order`/`cancel_order` go on the same connection
/// (docs.kraken.com, spot WebSocket authentication, websocket-v2/executions). Queries by REST (`QueryOrders`, by
/// txid; an order whose txid never came is looked for by `cl_ord_id` in `OpenOrders`, then `ClosedOrders`: in
/// neither, Kraken never had it). Too many requests: "EOrder:Rate limit exceeded" (the trading rate counter, guides/spot-ratelimits) or
/// "EAPI:Rate limit exceeded" (REST's counter). No such order: "EOrder:Unknown order".
public enum KrakenOrderScript: VenueOrderScript {
    public typealias Codec = KrakenOrderEntry

    public static func preOpening(_ codec: inout KrakenOrderEntry, wall: Nanos, buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest? {
        try codec.webSocketToken(now: wall, into: &buffer)
    }

    public static func preOpened(_ codec: inout KrakenOrderEntry, status: Int, body: UnsafeRawBufferPointer) throws(DecodeError) {
        codec.setToken(try KrakenOrderEntry.token(from: body))
    }

    public static func opening(_ codec: inout KrakenOrderEntry, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void)
        throws(OrderEncodeError) -> [UInt64] {
        let request = try codec.executionsSubscribe(into: &buffer)
        send(buffer.bytes)
        return [request.requestId]
    }

    public static func lookAgain(_ codec: inout KrakenOrderEntry, _ order: OrderReference, step: Int, wall: Nanos, buffer: inout OrderRequestBuffer)
        throws(OrderEncodeError) -> EncodedRequest? {
        step == 1 && order.venueOrderId.isEmpty ? try codec.closedOrderLookup(order, now: wall, into: &buffer) : nil
    }

    /// WebSocket v2 `cancel_all_orders_after` on the order connection.
    public static func deadManSwitch(_ codec: inout KrakenOrderEntry, timeout: Int, wall: Nanos, buffer: inout OrderRequestBuffer)
        throws(OrderEncodeError) -> EncodedRequest? {
        try codec.cancelAllAfter(timeout: timeout, into: &buffer)
    }

    public static func rateLimit(_ error: VenueOrderError) -> Nanos? {
        says(error, "EOrder:Rate limit exceeded") || says(error, "EAPI:Rate limit exceeded") ? .seconds(1) : nil
    }

    public static func unknownOrder(_ error: VenueOrderError) -> Bool { says(error, "EOrder:Unknown order") }

    /// Whether Kraken's error text is `text` (compared in place).
    static func says(_ error: VenueOrderError, _ text: StaticString) -> Bool {
        error.message.equals(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
