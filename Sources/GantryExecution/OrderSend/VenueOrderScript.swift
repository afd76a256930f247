import GantryCore
import GantryNet
import GantryVenues

/// What a venue's order session needs besides its codec: how a fresh order connection is made ready (login, the
/// user stream's subscription), which refusals mean "too many requests", and how its queries travel. Venues that
/// stream fills on a connection of their own (Bybit's private stream) say how that user stream is made ready;
/// venues whose WebSocket needs a REST answer first (Kraken's token) say what to ask.
///
/// ```
///   order connection:  open ─► [preOpening ─► REST answer ─► preOpened] ─► opening ─► accepted ─► afterLogin ─► ready
///   user stream:       open ─► userStreamOpening ─► accepted ─► userStreamSubscribe ─► accepted ─► ready
///   session ready  =  order connection ready  &&  (no user stream  ||  user stream ready)
/// ```
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

    /// A REST request whose answer a freshly opened order connection needs before its opening (Kraken's
    /// `GetWebSocketsToken`): the opening waits for it. nil: none (the default).
    static func preOpening(_ codec: inout Codec, wall: Nanos, buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest?
    /// Takes the answer to `preOpening`'s request into the codec (the token).
    /// - Throws: `DecodeError` if the answer cannot be used (an error answer): it is asked again.
    static func preOpened(_ codec: inout Codec, status: Int, body: UnsafeRawBufferPointer) throws(DecodeError)

    /// Writes the messages a freshly opened user-stream connection needs first (its login), handing each to
    /// `send`. The default sends nothing.
    /// - Returns: The request ids whose acceptance lets the subscriptions follow (0: a login answer naming no request).
    static func userStreamOpening(_ codec: inout Codec, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void)
        throws(OrderEncodeError) -> [UInt64]
    /// Writes the user stream's subscriptions, sent once its opening is accepted. The default sends nothing.
    /// - Returns: The request ids whose acceptance makes the user stream ready (empty: ready once sent).
    static func userStreamSubscribe(_ codec: inout Codec, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void)
        throws(OrderEncodeError) -> [UInt64]
    /// An application-level keep-alive the venue wants on its user stream.
    static var userStreamKeepAlive: KeepAlive? { get }

    /// A query by our client order id answered with a list that holds no such order (`step` such answers so far):
    /// the venue's next list to look in (Kraken: `ClosedOrders` after `OpenOrders`), or nil when there is none:
    /// the venue never had the order. The default: nil.
    static func lookAgain(_ codec: inout Codec, _ order: OrderReference, step: Int, wall: Nanos, buffer: inout OrderRequestBuffer)
        throws(OrderEncodeError) -> EncodedRequest?

    /// Writes the venue's dead-man's switch armed (or refreshed) for `timeout` seconds (0 disarms it): the venue
    /// cancels the account's open orders by itself if no refresh comes in time (OrderSession+DeadMan.swift).
    /// - Returns: nil when the venue has none (the default).
    static func deadManSwitch(_ codec: inout Codec, timeout: Int, wall: Nanos, buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest?
}

extension VenueOrderScript {
    public static func afterLogin(_ codec: inout Codec, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void)
        throws(OrderEncodeError) {}
    public static var keepAlive: KeepAlive? { nil }
    public static func preOpening(_ codec: inout Codec, wall: Nanos, buffer: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest? { nil }
    public static func preOpened(_ codec: inout Codec, status: Int, body: UnsafeRawBufferPointer) throws(DecodeError) {}
    public static func userStreamOpening(_ codec: inout Codec, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void)
        throws(OrderEncodeError) -> [UInt64] { [] }
    public static func userStreamSubscribe(_ codec: inout Codec, wall: Nanos, buffer: inout OrderRequestBuffer, send: (UnsafeRawBufferPointer) -> Void)
        throws(OrderEncodeError) -> [UInt64] { [] }
    public static var userStreamKeepAlive: KeepAlive? { nil }
    public static func lookAgain(_ codec: inout Codec, _ order: OrderReference, step: Int, wall: Nanos, buffer: inout OrderRequestBuffer)
        throws(OrderEncodeError) -> EncodedRequest? { nil }
    public static func deadManSwitch(_ codec: inout Codec, timeout: Int, wall: Nanos, buffer: inout OrderRequestBuffer)
        throws(OrderEncodeError) -> EncodedRequest? { nil }
}

/// Binance's WebSocket API: orders, queries and the user data stream on one connection; each request is signed,
/// so the only opening request is the user data stream's subscription (`userDataStream.subscribe.signature`).
/// Too many requests: HTTP-like status 429 or 418 with `retryAfter`, code -1015 (developers.binance.com, WebSocket
/// API "rate limits"). No dead-man's switch: Binance's countdown cancel-all (`countdownCancelAll`) is for futures
/// only (developers.binance.com, derivatives "Auto-Cancel All Open Orders"); spot has none.
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

    /// REST `cancel-all-after` (OKX takes 0 or 10 to 120 seconds).
    public static func deadManSwitch(_ codec: inout OKXOrderEntry, timeout: Int, wall: Nanos, buffer: inout OrderRequestBuffer)
        throws(OrderEncodeError) -> EncodedRequest? {
        try codec.cancelAllAfter(timeout: timeout, now: wall, into: &buffer)
    }
}
