import GantryCore
import GantryNet
import GantryVenues

/// What a venue's order session needs besides its codec: how a fresh order connection is made ready (login, the
/// user stream's subscription), which refusals mean "too many requests", and how its queries travel.
public protocol VenueOrderScript {
    associatedtype Codec: OrderEntryCodec
    /// Writes the messages a freshly opened order connection needs, freshly signed, handing each to `send`.
    /// - Returns: The request ids whose acceptance makes the session ready (0 stands for a login answer, which
    ///   names no request).
    static func opening(_ codec: inout Codec, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void)
        throws(OrderEncodeError) -> [UInt64]
    /// Messages sent after the opening requests are accepted (a subscription that needs the login first).
    static func afterLogin(_ codec: inout Codec, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void)
        throws(OrderEncodeError)
    /// Whether a refusal means the venue's rate limit (the order was not executed: it is queued again and the
    /// venue's budget backs off), and for how long.
    static func rateLimit(_ error: VenueOrderError) -> Nanos?
    /// Whether a refused query means the venue has no such order (it never reached the venue).
    static func unknownOrder(_ error: VenueOrderError) -> Bool
    /// An application-level keep-alive the venue wants on its order connection.
    static var keepAlive: KeepAlive? { get }
}

extension VenueOrderScript {
    public static func afterLogin(_ codec: inout Codec, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void)
        throws(OrderEncodeError) {}
    public static var keepAlive: KeepAlive? { nil }
}

/// Binance's WebSocket API: orders, queries and the user data stream on one connection; each request is signed,
/// so the only opening request is the user data stream's subscription (`userDataStream.subscribe.signature`).
/// Too many requests: HTTP-like status 429 or 418 with `retryAfter`, code -1015 (developers.binance.com, WebSocket
/// API "rate limits").
public enum BinanceOrderScript: VenueOrderScript {
    public typealias Codec = BinanceOrderEntry

    public static func opening(_ codec: inout BinanceOrderEntry, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void)
        throws(OrderEncodeError) -> [UInt64] {
        let request = try codec.userDataSubscribe(now: wall, into: &buffer)
        send(buffer.bytes)
        return [request.requestId]
    }

    public static func rateLimit(_ error: VenueOrderError) -> Nanos? {
        error.code == -1015 || error.httpStatus == 429 || error.httpStatus == 418 ? .seconds(1) : nil
    }

    /// -2013 "Order does not exist." (developers.binance.com, errors).
    public static func unknownOrder(_ error: VenueOrderError) -> Bool { error.code == -2013 }
}

/// OKX's private WebSocket: login, then the `orders` channel subscribed, then orders on the same connection.
/// Too many requests: sCode 50011 (www.okx.com/docs-v5, error codes). OKX asks for a text `ping` within 30 s.
public enum OKXOrderScript: VenueOrderScript {
    public typealias Codec = OKXOrderEntry

    public static func opening(_ codec: inout OKXOrderEntry, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void)
        throws(OrderEncodeError) -> [UInt64] {
        _ = try codec.login(now: wall, into: &buffer)
        send(buffer.bytes)
        return [0]
    }

    public static func afterLogin(_ codec: inout OKXOrderEntry, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void)
        throws(OrderEncodeError) {
        let text: StaticString = #"{"op":"subscribe","args":[{"channel":"orders","instType":"SPOT"}]}"#
        send(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public static func rateLimit(_ error: VenueOrderError) -> Nanos? { error.code == 50011 ? .seconds(1) : nil }

    /// 51603 "Order does not exist" (www.okx.com/docs-v5, error codes).
    public static func unknownOrder(_ error: VenueOrderError) -> Bool { error.code == 51603 }

    public static var keepAlive: KeepAlive? { KeepAlive(text: "ping", every: .seconds(20)) }
}
