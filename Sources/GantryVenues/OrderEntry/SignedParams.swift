import GantryCore

// Parameters written once and used twice: into the request (as JSON members or a query string) and into the
// scratch payload that is signed (`name=value` pairs joined by `&`), so a request and its signature can never
// disagree. Binance's WebSocket API signs its params sorted by name; its REST API signs the query string as sent.

/// How a signed parameter list is written into the request.
@usableFromInline
enum ParamStyle {
    /// `"name":value` members in the request, `name=value` in the payload.
    case json
    /// `name=value` in the payload only (the caller copies the payload into the request's target or body).
    case query
}

extension OrderRequestBuffer {
    /// Writes one parameter (after a separator, unless it is the first).
    /// - Parameters:
    ///   - quoted: JSON strings are quoted; numbers (timestamps, windows) are not.
    ///   - value: Writes the value's text (called once per destination).
    @inlinable
    mutating func param(_ name: StaticString, _ style: ParamStyle, quoted: Bool = true, _ value: (inout ByteWriter) -> Void) {
        let first = scratch.count == 0
        if !first { scratch.byte(0x26) }
        scratch.text(name)
        scratch.byte(0x3D)
        value(&scratch)
        guard case .json = style else { return }
        if !first { request.byte(0x2C) }
        request.byte(0x22)
        request.text(name)
        request.text(quoted ? "\":\"" : "\":")
        value(&request)
        if quoted { request.byte(0x22) }
    }
}

extension Side {
    /// "BUY"/"SELL" (Binance, Coinbase), "buy"/"sell" (OKX, Kraken), "Buy"/"Sell" (Bybit).
    @inlinable
    func text(_ style: SideTextStyle) throws(OrderEncodeError) -> StaticString {
        switch (self, style) {
        case (.buy, .upper): "BUY"
        case (.sell, .upper): "SELL"
        case (.buy, .lower): "buy"
        case (.sell, .lower): "sell"
        case (.buy, .title): "Buy"
        case (.sell, .title): "Sell"
        case (.none, _): throw .invalid("an order needs a side")
        }
    }
}

/// The spelling of a side.
@usableFromInline
enum SideTextStyle { case upper, lower, title }

extension OrderRequest {
    /// Checks what every venue needs: a side, a positive quantity, a positive price for a limit order.
    @inlinable
    func validated() throws(OrderEncodeError) -> OrderRequest {
        guard side != .none else { throw .invalid("an order needs a side") }
        guard quantity.raw > 0 else { throw .invalid("the quantity must be positive") }
        guard orderType == .market || price.raw > 0 else { throw .invalid("a limit order needs a positive price") }
        return self
    }
}
