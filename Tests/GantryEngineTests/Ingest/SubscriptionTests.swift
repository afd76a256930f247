import GantryCore
import GantryEngine
import Testing

@Suite("Feed subscriptions and resubscriptions in each venue's documented request shape")
struct SubscriptionTests {
    static let a = FeedInstrument(symbol: "BTC-USDT", instrument: InstrumentId(raw: 1), priceScale: 1, quantityScale: 8)
    static let b = FeedInstrument(symbol: "ETH-USDT", instrument: InstrumentId(raw: 2), priceScale: 2, quantityScale: 6)

    func texts(_ build: ((UnsafeRawBufferPointer) -> Void) -> Void) -> [String] {
        var out: [String] = []
        build { out.append(String(decoding: $0, as: UTF8.self)) }
        return out
    }

    @Test("subscribe on connect; a stale book is unsubscribed and subscribed again, alone")
    func requests() {
        let okx = OKXFeed(venue: VenueId(raw: 4), instruments: [Self.a, Self.b])
        #expect(okx.subscriptions.map { String(decoding: $0, as: UTF8.self) } == [
            #"{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"},{"channel":"books","instId":"ETH-USDT"}]}"#,
        ])
        #expect(texts { okx.resubscribe(InstrumentId(raw: 2), $0) } == [
            #"{"op":"unsubscribe","args":[{"channel":"books","instId":"ETH-USDT"}]}"#,
            #"{"op":"subscribe","args":[{"channel":"books","instId":"ETH-USDT"}]}"#,
        ])
        let kraken = KrakenV2Feed(
            venue: VenueId(raw: 3), instruments: [FeedInstrument(symbol: "BTC/USD", instrument: InstrumentId(raw: 5), priceScale: 1, quantityScale: 8)],
            depth: 100)
        #expect(kraken.subscriptions.map { String(decoding: $0, as: UTF8.self) } == [
            #"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":100}}"#,
        ])
        #expect(texts { kraken.resubscribe(InstrumentId(raw: 5), $0) } == [
            #"{"method":"unsubscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":100}}"#,
            #"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":100}}"#,
        ])
        let coinbase = CoinbaseFeed(venue: VenueId(raw: 2), instruments: [Self.a, Self.b])
        #expect(coinbase.subscriptions.map { String(decoding: $0, as: UTF8.self) } == [
            #"{"type":"subscribe","product_ids":["BTC-USDT","ETH-USDT"],"channel":"level2"}"#,
            #"{"type":"subscribe","channel":"heartbeats"}"#,
        ])
        // A gap on the connection (.none) resubscribes every product.
        #expect(texts { coinbase.resubscribe(.none, $0) } == [
            #"{"type":"unsubscribe","product_ids":["BTC-USDT","ETH-USDT"],"channel":"level2"}"#,
            #"{"type":"subscribe","product_ids":["BTC-USDT","ETH-USDT"],"channel":"level2"}"#,
        ])
        #expect(texts { coinbase.resubscribe(InstrumentId(raw: 9), $0) }.isEmpty)
        let binance = BinanceFeed(venue: VenueId(raw: 1), instruments: [FeedInstrument(symbol: "BTCUSDT", instrument: InstrumentId(raw: 1), priceScale: 2, quantityScale: 8)])
        #expect(binance.subscriptions.map { String(decoding: $0, as: UTF8.self) } == [#"{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms"],"id":1}"#])
    }
}
