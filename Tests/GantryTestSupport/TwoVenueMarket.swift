import GantryCore

/// The trading tests' market: two venues listing BTC/USD at different scales (alpha's BTCUSDT at price scale 2,
/// beta's BTC/USD at 1; quantities at 8), and alpha's ETH/USD (ETHUSDT, price 2, quantity 4). Alpha quotes in USDT.
public enum TwoVenueMarket {
    public static let btcA = InstrumentId(raw: 1)
    public static let btcB = InstrumentId(raw: 2)
    public static let ethA = InstrumentId(raw: 3)
    public static let alpha = VenueId(raw: 1)
    public static let beta = VenueId(raw: 2)
    public static let btc = PairId(raw: 1)
    public static let eth = PairId(raw: 2)

    public static func universe() -> Universe {
        let registry = try! InstrumentRegistry([
            InstrumentSpec(venue: "alpha", symbol: "BTCUSDT", tickSize: "0.01", lotSize: "0.00001", priceScale: 2, quantityScale: 8),
            InstrumentSpec(venue: "beta", symbol: "BTC/USD", tickSize: "0.1", lotSize: "0.00000001", priceScale: 1, quantityScale: 8),
            InstrumentSpec(venue: "alpha", symbol: "ETHUSDT", tickSize: "0.01", lotSize: "0.0001", priceScale: 2, quantityScale: 4),
        ])
        return try! Universe(registry: registry, listings: [
            .init(instrument: btcA, pair: "BTC/USD", venueQuote: "USDT"), .init(instrument: btcB, pair: "BTC/USD"),
            .init(instrument: ethA, pair: "ETH/USD", venueQuote: "USDT"),
        ])
    }

    /// A price or quantity of `instrument` from decimal text, at its scale.
    public static func price(_ text: String, _ i: InstrumentId) -> Price { Price(text, scale: i == btcB ? 1 : 2) }
    public static func qty(_ text: String, _ i: InstrumentId) -> Quantity { Quantity(text, scale: i == ethA ? 4 : 8) }
    public static func venue(_ i: InstrumentId) -> VenueId { i == btcB ? beta : alpha }
}
