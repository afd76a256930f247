import Testing
import GantryCore

@Suite("Instrument registry")
struct InstrumentsTests {
    static let specs = [
        InstrumentSpec(venue: "binance", symbol: "BTCUSDT", tickSize: "0.01", lotSize: "0.00001", priceScale: 2, quantityScale: 8),
        InstrumentSpec(venue: "coinbase", symbol: "BTC-USD", tickSize: "0.01", lotSize: "0.00000001", priceScale: 2, quantityScale: 8),
        InstrumentSpec(venue: "binance", symbol: "ETHUSDT", tickSize: "0.01", lotSize: "0.0001", priceScale: 2, quantityScale: 8),
    ]

    @Test("venues and instruments get dense ids in configuration order")
    func denseIds() throws {
        let registry = try InstrumentRegistry(Self.specs)
        let binance = try #require(registry.venue(named: "binance"))
        #expect(binance == VenueId(raw: 1))
        #expect(registry.venue(named: "coinbase") == VenueId(raw: 2))
        #expect(registry.name(of: binance) == "binance")
        #expect(registry.instrument(venue: binance, symbol: "ETHUSDT") == InstrumentId(raw: 3))
        let eth = try #require(registry.instrument(InstrumentId(raw: 3)))
        #expect(eth.tickSize == Price(raw: 1))
        #expect(eth.lotSize == Quantity(raw: 10_000))
    }

    @Test("lookup from message bytes finds the same id without a String")
    func byteLookup() throws {
        let registry = try InstrumentRegistry(Self.specs)
        let bytes = Array("BTC-USD".utf8)
        let id = bytes.withUnsafeBytes { registry.instrument(venue: VenueId(raw: 2), symbol: $0) }
        #expect(id == InstrumentId(raw: 2))
        let missing = bytes.withUnsafeBytes { registry.instrument(venue: VenueId(raw: 1), symbol: $0) }
        #expect(missing == nil)
    }

    @Test("bad configuration is refused with a clear error")
    func badConfiguration() {
        #expect(throws: InstrumentError.duplicate(venue: "binance", symbol: "BTCUSDT")) {
            try InstrumentRegistry([Self.specs[0], Self.specs[0]])
        }
        var fine = Self.specs[0]
        fine.tickSize = "0.001"
        #expect(throws: InstrumentError.badIncrement(symbol: "BTCUSDT", field: "tick_size", .tooManyDecimals(scale: 2))) {
            try InstrumentRegistry([fine])
        }
        var zero = Self.specs[0]
        zero.lotSize = "0"
        #expect(throws: InstrumentError.nonPositiveIncrement(symbol: "BTCUSDT", field: "lot_size")) {
            try InstrumentRegistry([zero])
        }
        var long = Self.specs[0]
        long.symbol = String(repeating: "X", count: 25)
        #expect(throws: InstrumentError.symbolTooLong(long.symbol)) { try InstrumentRegistry([long]) }
    }
}
