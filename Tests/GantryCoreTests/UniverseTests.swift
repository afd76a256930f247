import Testing
import GantryCore

@Suite("Universe: pairs listed on several venues at their own scales")
struct UniverseTests {
    static func universe() throws -> Universe {
        let registry = try InstrumentRegistry([
            InstrumentSpec(venue: "binance", symbol: "BTCUSDT", tickSize: "0.01", lotSize: "0.00001", priceScale: 2, quantityScale: 8),
            InstrumentSpec(venue: "kraken", symbol: "BTC/USD", tickSize: "0.1", lotSize: "0.00000001", priceScale: 1, quantityScale: 8),
            InstrumentSpec(venue: "binance", symbol: "ETHUSDT", tickSize: "0.01", lotSize: "0.0001", priceScale: 2, quantityScale: 4),
        ])
        return try Universe(registry: registry, listings: [
            .init(instrument: InstrumentId(raw: 1), pair: "BTC/USD", venueQuote: "USDT"),
            .init(instrument: InstrumentId(raw: 2), pair: "BTC/USD"),
            .init(instrument: InstrumentId(raw: 3), pair: "ETH/USD", venueQuote: "USDT"),
        ])
    }

    @Test("a pair takes the largest scales of its listings; venue prices convert exactly and back onto each tick grid")
    func scales() throws {
        let u = try Self.universe()
        let btc = try #require(u.pair(named: "BTC/USD"))
        #expect(btc.priceScale == 2 && btc.quantityScale == 8)
        #expect(btc.instruments == [InstrumentId(raw: 1), InstrumentId(raw: 2)])
        let kraken = u.listing(InstrumentId(raw: 2))
        #expect(kraken.pair == btc.id && kraken.priceFactor == 10 && kraken.quantityFactor == 1)
        #expect(kraken.pairPrice(Price("97000.5", scale: 1)) == 9_700_050)
        // 97000.57 at the pair scale: a buy limit rounds down to Kraken's 0.1 tick, a sell limit up.
        #expect(kraken.venuePrice(9_700_057, side: .buy) == Price("97000.5", scale: 1))
        #expect(kraken.venuePrice(9_700_057, side: .sell) == Price("97000.6", scale: 1))
        #expect(kraken.venuePrice(9_700_050, side: .sell) == Price("97000.5", scale: 1))
        // 1.23456789 BTC at the pair's scale is 1.23456 on Binance's lot of 0.00001.
        #expect(u.listing(InstrumentId(raw: 1)).venueQuantity(123_456_789) == Quantity("1.23456", scale: 8))
        #expect(u.pair(named: "ETH/USD")?.quantityScale == 4)
        #expect(u.name(of: u.listing(InstrumentId(raw: 1)).quote) == "USDT")
        #expect(u.name(of: btc.quote) == "USD")
        #expect(u.listing(pair: btc.id, venue: VenueId(raw: 2))?.instrument == InstrumentId(raw: 2))
    }

    @Test("an unknown instrument, one listed twice and a pair name without a slash are refused")
    func refusals() throws {
        let registry = try InstrumentRegistry([
            InstrumentSpec(venue: "binance", symbol: "BTCUSDT", tickSize: "0.01", lotSize: "0.00001", priceScale: 2, quantityScale: 8)
        ])
        #expect(throws: UniverseError.unknownInstrument(InstrumentId(raw: 9))) {
            try Universe(registry: registry, listings: [.init(instrument: InstrumentId(raw: 9), pair: "BTC/USD")])
        }
        #expect(throws: UniverseError.listedTwice(InstrumentId(raw: 1))) {
            try Universe(registry: registry, listings: [
                .init(instrument: InstrumentId(raw: 1), pair: "BTC/USD"), .init(instrument: InstrumentId(raw: 1), pair: "BTC/EUR"),
            ])
        }
        #expect(throws: UniverseError.badPairName("BTCUSD")) {
            try Universe(registry: registry, listings: [.init(instrument: InstrumentId(raw: 1), pair: "BTCUSD")])
        }
    }
}
