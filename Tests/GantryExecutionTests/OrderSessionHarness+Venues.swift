import Foundation
import GantryCore
@testable import GantryExecution
import GantryNet
import GantryVenues
import VenueSim

// The harness for Bybit, Kraken and Coinbase: each venue simulated with an account, and the session as
// configuration would make it (endpoints on loopback, the venue's REST client).

/// A loopback WebSocket endpoint of the simulator.
func loopback(_ port: Int, _ path: String) -> WebSocketEndpoint {
    WebSocketEndpoint(address: "127.0.0.1", port: port, host: "127.0.0.1", path: path, tls: nil)
}

func loopbackREST(_ venue: SimVenue) -> HTTPClient { HTTPClient(address: "127.0.0.1", port: venue.restPort!, host: "127.0.0.1", tls: nil) }

typealias BybitSessionHarness = SessionHarness<BybitOrderScript>

extension SessionHarness where Script == BybitOrderScript {
    /// Orders on `/v5/trade`, fills on `/v5/private` (the user stream), queries by REST.
    convenience init(bybit: Void = ()) throws {
        let (sim, venue) = try simulatedVenue(.bybit, symbol: "BTCUSDT", priceScale: 2)
        try venue.addBybitKey(apiKey: "bybitKey1", secret: "bybitSecret1", account: 1, deposits: ["BTC": "2", "USDT": "300000"])
        let codec = BybitOrderEntry(
            venue: VenueId(raw: 1),
            instruments: OrderInstruments([
                OrderInstrument(id: InstrumentId(raw: 1), symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT", priceScale: 2, quantityScale: 8)
            ]), apiKey: "bybitKey1", secret: VenueSecret(text: "bybitSecret1"), restHost: "127.0.0.1")
        let session = OrderSession<BybitOrderScript>(
            codec: codec, endpoint: loopback(venue.port, "/v5/trade"), rest: loopbackREST(venue), userStream: loopback(venue.port, "/v5/private"),
            ordersPerSecond: 50, answerTimeout: .milliseconds(500), now: MonotonicClock.now())
        self.init(sim: sim, venue: venue, priceScale: 2, session: session)
    }
}

typealias KrakenSessionHarness = SessionHarness<KrakenOrderScript>

extension SessionHarness where Script == KrakenOrderScript {
    /// The token from REST, then executions, add_order and cancel_order on one WebSocket v2 connection.
    convenience init(kraken: Void = ()) throws {
        let (sim, venue) = try simulatedVenue(.kraken, symbol: "BTC/USD", priceScale: 1)
        let secret = Data("kraken-session-secret".utf8).base64EncodedString()
        try venue.addKrakenKey(apiKey: "krakenKey1", secret: secret, account: 1, deposits: ["BTC": "2", "USD": "300000"])
        let codec = KrakenOrderEntry(
            venue: VenueId(raw: 1),
            instruments: OrderInstruments([
                OrderInstrument(
                    id: InstrumentId(raw: 1), symbol: "BTC/USD", baseAsset: "BTC", quoteAsset: "USD", priceScale: 1, quantityScale: 8, restSymbol: "XBTUSD")
            ]), apiKey: "krakenKey1", secret: try VenueSecret(base64: secret), restHost: "127.0.0.1")
        let session = OrderSession<KrakenOrderScript>(
            codec: codec, endpoint: loopback(venue.port, "/v2"), rest: loopbackREST(venue), ordersPerSecond: 50, answerTimeout: .milliseconds(500),
            now: MonotonicClock.now())
        self.init(sim: sim, venue: venue, priceScale: 1, session: session)
    }
}

typealias CoinbaseSessionHarness = SessionHarness<CoinbaseOrderScript>

extension SessionHarness where Script == CoinbaseOrderScript {
    /// Orders, cancels and queries by REST; the user channel on the market-data WebSocket.
    convenience init(coinbase: Void = ()) throws {
        let (sim, venue) = try simulatedVenue(.coinbase, symbol: "BTC-USD", priceScale: 2)
        let key = ES256Key.generate()
        let name = "organizations/sim/apiKeys/session"
        try venue.addCoinbaseKey(name: name, publicKey: try ES256Key(publicKeyPEM: key.publicKeyPEM), account: 1, deposits: ["BTC": "2", "USD": "300000"])
        let codec = CoinbaseOrderEntry(
            venue: VenueId(raw: 1),
            instruments: OrderInstruments([
                OrderInstrument(id: InstrumentId(raw: 1), symbol: "BTC-USD", baseAsset: "BTC", quoteAsset: "USD", priceScale: 2, quantityScale: 8)
            ]), keyName: name, key: key, restHost: "127.0.0.1")
        let session = OrderSession<CoinbaseOrderScript>(
            codec: codec, endpoint: loopback(venue.port, "/"), rest: loopbackREST(venue), ordersPerSecond: 50, answerTimeout: .milliseconds(500),
            now: MonotonicClock.now())
        self.init(sim: sim, venue: venue, priceScale: 2, session: session)
    }
}
