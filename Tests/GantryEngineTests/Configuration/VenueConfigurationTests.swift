import Foundation
import GantryCore
import GantryEngine
import Testing

@Suite("Venue and instrument configuration from TOML")
struct VenueConfigurationTests {
    static let one = """
        [[venues]]
        name = "bybit"
        kind = "bybit"
        endpoint = "wss://stream.bybit.com/v5/public/spot"
        depth = 50
        taker_fee_bp = "7.5"

        [[venues.instruments]]
        symbol = "BTCUSDT"
        tick_size = "0.01"
        lot_size = "0.000001"
        price_scale = 2
        quantity_scale = 6
        """

    @Test("the example configuration loads: five venues, their instruments interned, endpoints taken apart")
    func example() throws {
        let text = try String(contentsOfFile: "config/gantry.example.toml", encoding: .utf8)
        let config = try MarketConfiguration(toml: text)
        #expect(config.venues.map(\.kind) == [.binance, .coinbase, .kraken, .okx, .bybit])
        #expect(config.registry.instruments.count == 6)
        let binance = config.venues[0]
        #expect(binance.endpoint == WebSocketURL("wss://stream.binance.com:9443/stream"))
        #expect(binance.endpoint.tls && binance.endpoint.host == "stream.binance.com" && binance.endpoint.port == 9443)
        #expect(binance.simEndpoint?.port == 19001 && binance.simEndpoint?.tls == false)
        #expect(binance.restEndpoint == RESTURL("https://api.binance.com") && binance.restEndpoint?.port == 443 && binance.restEndpoint?.tls == true)
        #expect(binance.simRestEndpoint?.port == 19101 && binance.simRestEndpoint?.tls == false)
        #expect(config.venues[1].restEndpoint == nil, "Coinbase's snapshots come over the WebSocket")
        let krakenVenue = try #require(config.registry.venue(named: "kraken"))
        let kraken = try #require(config.registry.instrument(venue: krakenVenue, symbol: "BTC/USD"))
        let instrument = try #require(config.registry.instrument(kraken))
        #expect(instrument.priceScale == 1 && instrument.tickSize == Price(raw: 1) && instrument.lotSize == Quantity(raw: 1))
        #expect(config.venues[1].takerFeeCentiBasisPoints == 6_000)
    }

    @Test("defaults and exact fees")
    func defaults() throws {
        let config = try MarketConfiguration(toml: Self.one)
        #expect(config.venues[0].depth == 50 && config.venues[0].takerFeeCentiBasisPoints == 750)
        let noDepth = try MarketConfiguration(toml: Self.one.replacingOccurrences(of: "depth = 50\n", with: ""))
        #expect(noDepth.venues[0].depth == 200)
        #expect(config.venues[0].bookSilence == .seconds(30), "a silent book is resynced after 30 s unless configured")
        let off = try MarketConfiguration(toml: Self.one.replacingOccurrences(of: "depth = 50\n", with: "depth = 50\nbook_silence_ms = 0\n"))
        #expect(off.venues[0].bookSilence == nil)
        let fast = try MarketConfiguration(toml: Self.one.replacingOccurrences(of: "depth = 50\n", with: "depth = 50\nbook_silence_ms = 1500\n"))
        #expect(fast.venues[0].bookSilence == .milliseconds(1_500))
    }

    @Test("dead_man_s: 60 s by default where the venue has a switch (Kraken, OKX), else off; each venue's range enforced")
    func deadMan() throws {
        let text = try String(contentsOfFile: "config/gantry.example.toml", encoding: .utf8)
        let config = try MarketConfiguration(toml: text)
        #expect(config.venues.map(\.deadManSeconds) == [0, 0, 60, 60, 0], "binance, coinbase, kraken, okx, bybit")
        func venue(_ kind: String, _ seconds: Int) throws -> Int {
            let toml = """
                [[venues]]
                name = "v"
                kind = "\(kind)"
                endpoint = "wss://example.com/ws"
                dead_man_s = \(seconds)

                [[venues.instruments]]
                symbol = "BTC-USDT"
                tick_size = "0.1"
                lot_size = "0.00000001"
                price_scale = 1
                quantity_scale = 8
                """
            return try MarketConfiguration(toml: toml).venues[0].deadManSeconds
        }
        #expect(try venue("okx", 0) == 0 && venue("okx", 10) == 10 && venue("okx", 120) == 120 && venue("kraken", 1) == 1)
        #expect(try venue("kraken", 86_399) == 86_399)
        for (kind, seconds) in [("okx", 5), ("okx", 121), ("kraken", 86_400), ("kraken", -1), ("binance", 60), ("coinbase", 10)] {
            #expect(throws: ConfigurationError.self, "\(kind) \(seconds)") { try venue(kind, seconds) }
        }
    }

    @Test("every bad value is refused with the venue and key named", arguments: [
        ("kind = \"bybit\"", "kind = \"bitmex\"", "kind"),
        ("endpoint = \"wss://stream.bybit.com/v5/public/spot\"", "endpoint = \"https://stream.bybit.com\"", "endpoint"),
        ("endpoint = \"wss://stream.bybit.com/v5/public/spot\"", "endpoint = \"wss://stream.bybit.com:99999/\"", "endpoint"),
        ("depth = 50", "depth = 51", "depth"),
        ("depth = 50", "depth = 50\nbook_silence_ms = 50", "book_silence_ms"),
        ("depth = 50", "depth = 50\nbook_silence_ms = -1", "book_silence_ms"),
        ("depth = 50", "depth = 50\ndead_man_s = 30", "dead_man_s"),
        ("taker_fee_bp = \"7.5\"", "taker_fee_bp = \"7.555\"", "taker_fee_bp"),
        ("taker_fee_bp = \"7.5\"", "taker_fee_bp = \"-1\"", "taker_fee_bp"),
        ("price_scale = 2", "price_scale = 19", "BTCUSDT.price_scale"),
        ("depth = 50", "depth = 50\nrest_endpoint = \"ftp://api.bybit.com\"", "rest_endpoint"),
        ("depth = 50", "depth = 50\nsim_rest_endpoint = \"http://127.0.0.1:19105/v5\"", "sim_rest_endpoint"),
    ])
    func badValues(_ from: String, _ to: String, _ key: String) throws {
        let text = Self.one.replacingOccurrences(of: from, with: to)
        #expect(text != Self.one)
        do {
            _ = try MarketConfiguration(toml: text)
            Issue.record("accepted \(to)")
        } catch {
            guard case .invalid(let venue, let k, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(venue == "bybit" && k == key)
        }
    }

    @Test("instrument problems, syntax and missing sections are refused clearly")
    func otherErrors() throws {
        // A tick size finer than the price scale.
        #expect(throws: ConfigurationError.instruments(.badIncrement(symbol: "BTCUSDT", field: "tick_size", .tooManyDecimals(scale: 1)))) {
            try MarketConfiguration(toml: Self.one.replacingOccurrences(of: "price_scale = 2", with: "price_scale = 1"))
        }
        let twice = Self.one + "\n\n[[venues.instruments]]\nsymbol = \"BTCUSDT\"\ntick_size = \"0.01\"\nlot_size = \"0.01\"\nprice_scale = 2\nquantity_scale = 2\n"
        #expect(throws: ConfigurationError.instruments(.duplicate(venue: "bybit", symbol: "BTCUSDT"))) { try MarketConfiguration(toml: twice) }
        #expect(throws: ConfigurationError.noVenues) { try MarketConfiguration(toml: "[topology]\n") }
        do {
            _ = try MarketConfiguration(toml: "[[venues]]\nname = ")
            Issue.record("bad TOML accepted")
        } catch {
            guard case .syntax = error else { Issue.record("unexpected \(error)"); return }
        }
        let noInstruments = Self.one.components(separatedBy: "[[venues.instruments]]")[0]
        do {
            _ = try MarketConfiguration(toml: noInstruments)
            Issue.record("a venue without instruments accepted")
        } catch {
            #expect(error == .invalid(venue: "bybit", key: "instruments", why: "is empty: configure at least one [[venues.instruments]]"))
        }
    }

    @Test("Binance with a simulator endpoint needs the simulator's REST endpoint too (its snapshots come over REST)")
    func binanceRest() throws {
        let text = Self.one.replacingOccurrences(of: "kind = \"bybit\"", with: "kind = \"binance\"").replacingOccurrences(of: "depth = 50", with: "depth = 1000\nsim_endpoint = \"ws://127.0.0.1:19001/stream\"")
        #expect(throws: ConfigurationError.invalid(venue: "bybit", key: "sim_rest_endpoint", why: "is required with sim_endpoint (Binance's snapshots come over REST)")) {
            try MarketConfiguration(toml: text)
        }
        let withRest = try MarketConfiguration(toml: text.replacingOccurrences(of: "depth = 1000", with: "depth = 1000\nsim_rest_endpoint = \"http://[::1]:19101\""))
        #expect(withRest.venues[0].simRestEndpoint?.description == "http://[::1]:19101" && withRest.venues[0].restEndpoint?.description == "https://api.binance.com:443")
    }

    @Test("inst_id_code: OKX's instrument ID code per instrument, kept by symbol; on another venue, zero, negative or not an integer it is refused")
    func instIdCode() throws {
        let okx = Self.one.replacingOccurrences(of: "kind = \"bybit\"", with: "kind = \"okx\"").replacingOccurrences(of: "depth = 50\n", with: "")
            .replacingOccurrences(of: "symbol = \"BTCUSDT\"", with: "symbol = \"BTC-USDT\"")
        let two = okx + "\n\n[[venues.instruments]]\nsymbol = \"ETH-USDT\"\ntick_size = \"0.01\"\nlot_size = \"0.000001\"\nprice_scale = 2\nquantity_scale = 6\n"
        let coded = try MarketConfiguration(toml: two.replacingOccurrences(of: "quantity_scale = 6\n\n", with: "quantity_scale = 6\ninst_id_code = 1000000000\n\n"))
        #expect(coded.venues[0].instIdCodes == ["BTC-USDT": 1_000_000_000], "ETH-USDT has none configured: it is read at start")
        #expect(try MarketConfiguration(toml: okx).venues[0].instIdCodes.isEmpty)
        func refused(_ text: String) -> ConfigurationError? {
            do {
                _ = try MarketConfiguration(toml: text)
                return nil
            } catch {
                return error
            }
        }
        let onBybit = Self.one.replacingOccurrences(of: "quantity_scale = 6", with: "quantity_scale = 6\ninst_id_code = 5")
        #expect(refused(onBybit) == .invalid(venue: "bybit", key: "BTCUSDT.inst_id_code", why: "is OKX's instrument ID code; bybit has none"))
        for bad in ["0", "-3"] {
            let text = okx.replacingOccurrences(of: "quantity_scale = 6", with: "quantity_scale = 6\ninst_id_code = \(bad)")
            #expect(refused(text) == .invalid(venue: "bybit", key: "BTC-USDT.inst_id_code", why: "must be a positive integer (OKX's instIdCode), got \(bad)"))
        }
        let quoted = okx.replacingOccurrences(of: "quantity_scale = 6", with: "quantity_scale = 6\ninst_id_code = \"1000000000\"")
        guard case .syntax(let why)? = refused(quoted) else { Issue.record("a quoted code accepted"); return }
        #expect(why.contains("inst_id_code"), "the key is named: \(why)")
    }

    @Test("WebSocket URLs: ports, IPv6 literals, paths; anything else is nil")
    func urls() {
        #expect(WebSocketURL("ws://127.0.0.1:19001/stream")?.description == "ws://127.0.0.1:19001/stream")
        #expect(WebSocketURL("wss://[::1]:8443/x")?.description == "wss://[::1]:8443/x")
        #expect(WebSocketURL("wss://ws.kraken.com")?.description == "wss://ws.kraken.com:443/")
        for bad in ["http://x", "ws://", "ws://host:0/", "ws://[::1/", "wss://user@host/", "ws://host:port/"] { #expect(WebSocketURL(bad) == nil, "\(bad)") }
    }
}
