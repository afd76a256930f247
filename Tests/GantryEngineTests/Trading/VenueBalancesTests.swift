import Foundation
import GantryCore
@testable import GantryEngine
import GantryVenues
import Testing
import VenueSim

/// One simulated venue (VenueSim on loopback, its market paused so that only the test's orders move the account)
/// with account 1 funded, the credentials Gantry would load for it, and the venue's codec to place an order with.
final class BalanceDesk {
    let kind: VenueKind
    let sim: VenueSimulator
    let venue: SimVenue
    let credentials: VenueCredentials
    let symbol: String
    let priceScale: Int
    var thread: SimulatorThread?

    static let deposits = ["BTC": "2", "USD": "300000", "USDT": "300000"]

    init(_ kind: VenueKind) throws {
        self.kind = kind
        let protocolKind: SimProtocol
        let quote: String
        switch kind {
        case .bybit: (protocolKind, symbol, quote, priceScale) = (.bybit, "BTCUSDT", "USDT", 2)
        case .kraken: (protocolKind, symbol, quote, priceScale) = (.kraken, "BTC/USD", "USD", 1)
        case .coinbase: (protocolKind, symbol, quote, priceScale) = (.coinbase, "BTC-USD", "USD", 2)
        default: preconditionFailure("the balance desk serves Bybit, Kraken and Coinbase")
        }
        let book = SimulatedBook(
            instrument: SimInstrument(symbol: symbol, priceScale: priceScale, quantityScale: 8, tick: 1, lot: 1_000),
            fees: FeeSchedule(makerCentiBasisPoints: 200, takerCentiBasisPoints: 1_000), levels: 30, maxLots: 10_000)
        venue = try SimVenue(name: kind.rawValue, kind: protocolKind, books: [book], restPort: 0)
        let start: Int64 = 97_000 * Int64(priceScale == 2 ? 100_000_000 : 10_000_000)
        sim = VenueSimulator(
            venues: [venue], markets: [MarketParameters(start: start, volatilityPerSecond: 20_000_000)], assignments: [[0]], stepsPerSecond: 200, seed: 7)
        sim.paused = true
        let deposits = ["BTC": Self.deposits["BTC"]!, quote: Self.deposits[quote]!]
        switch kind {
        case .bybit:
            try venue.addBybitKey(apiKey: "balanceKey", secret: "balance-secret-b1", account: 1, deposits: deposits)
            credentials = VenueCredentials(apiKey: "balanceKey", secret: Secret("balance-secret-b1"), passphrase: nil)
        case .kraken:
            let secret = Data("balance-secret-k1".utf8).base64EncodedString()
            try venue.addKrakenKey(apiKey: "balanceKey", secret: secret, account: 1, deposits: deposits)
            credentials = VenueCredentials(apiKey: "balanceKey", secret: Secret(secret), passphrase: nil)
        default:
            let key = ES256Key.generate()
            let name = "organizations/sim/apiKeys/balances"
            try venue.addCoinbaseKey(name: name, publicKey: try ES256Key(publicKeyPEM: key.publicKeyPEM), account: 1, deposits: deposits)
            credentials = VenueCredentials(apiKey: name, secret: Secret(key.privateKeyPEM!), passphrase: nil)
        }
        resume()
    }

    var rest: RESTURL { RESTURL("http://127.0.0.1:\(venue.restPort!)")! }

    func resume() { thread = SimulatorThread(sim) }

    /// Runs `body` with the simulator stopped (its thread joined), so the test reads its books and ledger alone.
    func paused<R>(_ body: () throws -> R) rethrows -> R {
        thread?.stop()
        thread = nil
        defer { resume() }
        return try body()
    }

    /// Account 1's total of each asset in the venue's ledger, as (raw, scale).
    func ledger() -> [String: (raw: Int64, scale: Int)] {
        paused {
            Dictionary(uniqueKeysWithValues: venue.ledger.names.indices.map { a in
                (venue.ledger.names[a], (venue.ledger.balance(1, asset: a).total, venue.ledger.scales[a]))
            })
        }
    }

    func fetch(_ credentials: VenueCredentials? = nil, coinbasePage: Int = 250) throws -> VenueBalances.Totals {
        try VenueBalances.fetch(kind: kind, venue: VenueId(raw: 1), credentials: credentials ?? self.credentials, rest: rest, tls: nil, coinbasePage: coinbasePage)
    }

    /// Buys `quantity` (8 decimals) with a limit IOC 1% above the best ask, by REST with the venue's codec, and
    /// returns the venue's answer.
    func buy(_ quantity: Int64) throws -> String {
        let ask = paused { venue.books[0].engine.best(.sell)!.raw }
        let order = OrderRequest(
            clientOrderId: ClientOrderId(raw: 0xba1), instrument: InstrumentId(raw: 1), side: .buy, orderType: .limit, timeInForce: .ioc,
            price: Price(raw: ask + ask / 100), quantity: Quantity(raw: quantity))
        let base = symbol.hasPrefix("BTC") ? "BTC" : "?"
        let instruments = OrderInstruments([
            OrderInstrument(
                id: InstrumentId(raw: 1), symbol: symbol, baseAsset: base, quoteAsset: String(symbol.dropFirst(3).filter(\.isLetter)), priceScale: priceScale,
                quantityScale: 8, restSymbol: kind == .kraken ? "XBTUSD" : "")
        ])
        var buffer = OrderRequestBuffer()
        switch kind {
        case .bybit:
            var codec = BybitOrderEntry(venue: VenueId(raw: 1), instruments: instruments, apiKey: credentials.apiKey, secret: VenueSecret(credentials.secret.bytes), restHost: "127.0.0.1")
            codec.transport = .rest
            _ = try codec.place(order, now: WallClock.now(), into: &buffer)
        case .kraken:
            var codec = KrakenOrderEntry(
                venue: VenueId(raw: 1), instruments: instruments, apiKey: credentials.apiKey, secret: try VenueSecret(base64: credentials.secret.text), restHost: "127.0.0.1")
            codec.transport = .rest
            // Kraken's nonces (milliseconds) must rise: the balance read before may have used this millisecond.
            usleep(2_000)
            _ = try codec.place(order, now: WallClock.now(), into: &buffer)
        default:
            var codec = CoinbaseOrderEntry(
                venue: VenueId(raw: 1), instruments: instruments, keyName: credentials.apiKey, key: try ES256Key(privateKeyPEM: credentials.secret.text), restHost: "127.0.0.1")
            _ = try codec.place(order, now: WallClock.now(), into: &buffer)
        }
        let answer = String(decoding: try VenueBalances.send(buffer.bytes, to: rest, tls: nil, venue: kind.rawValue), as: UTF8.self)
        if kind == .kraken { usleep(2_000) }
        return answer
    }

    deinit { thread?.stop() }
}

/// `text` at `scale` decimals, exactly (a test failure if it is not a decimal with at most that many).
func raw(_ text: String?, scale: Int) -> Int64? { text.flatMap { try? FixedPoint.parse($0, scale: scale) } }

@Suite("Venue balances: Bybit, Kraken and Coinbase read over signed REST from VenueSim, exactly as its ledger holds them", .serialized)
struct VenueBalancesTests {
    @Test(
        "each venue's balances equal the simulator's ledger, and after an IOC buy fills they moved exactly: the base by the quantity, the quote as the ledger did",
        arguments: [VenueKind.bybit, .kraken, .coinbase])
    func readAndMoved(kind: VenueKind) throws {
        let desk = try BalanceDesk(kind)
        let before = try desk.fetch()
        let ledgerBefore = desk.ledger()
        #expect(Set(before.keys) == Set(ledgerBefore.keys), "the assets, named as the configuration names them: \(before)")
        for (asset, l) in ledgerBefore { #expect(raw(before[asset], scale: l.scale) == l.raw, "\(kind) \(asset): read \(before[asset] ?? "nothing"), ledger \(l.raw)") }

        let answer = try desk.buy(1_000_000)
        let after = try desk.fetch()
        let ledgerAfter = desk.ledger()
        for (asset, l) in ledgerAfter { #expect(raw(after[asset], scale: l.scale) == l.raw, "\(kind) \(asset) after the fill: read \(after[asset] ?? "nothing"), ledger \(l.raw)") }
        let btc = try #require(ledgerAfter["BTC"]).scale
        let bought = try #require(raw(after["BTC"], scale: btc)) - (try #require(raw(before["BTC"], scale: btc)))
        #expect(bought == (try FixedPoint.parse("0.01", scale: btc)), "bought 0.01 BTC; the venue said \(answer)")
        let quote = kind == .bybit ? "USDT" : "USD"
        let (s, ledgerMoved) = (try #require(ledgerAfter[quote]).scale, try #require(ledgerAfter[quote]).raw - (try #require(ledgerBefore[quote])).raw)
        let moved = try #require(raw(after[quote], scale: s)) - (try #require(raw(before[quote], scale: s)))
        #expect(moved < 0 && moved == ledgerMoved, "\(quote) moved \(moved), the ledger \(ledgerMoved): the price and the fee")
    }

    @Test("Coinbase's accounts are read page after page (has_next, cursor): one account a page gives what one page of 250 gives")
    func coinbasePages() throws {
        let desk = try BalanceDesk(.coinbase)
        let whole = try desk.fetch()
        #expect(whole.count == 2)
        #expect(try desk.fetch(coinbasePage: 1) == whole)
    }

    @Test("a key the venue does not know is refused with an error naming the venue and the venue's reason", arguments: [VenueKind.bybit, .kraken, .coinbase])
    func badKey(kind: VenueKind) throws {
        let desk = try BalanceDesk(kind)
        var wrong = desk.credentials
        let reason: String
        switch kind {
        case .bybit:
            wrong.apiKey = "unknownKey"
            reason = "retCode 10003"
        case .kraken:
            wrong.apiKey = "unknownKey"
            reason = "EAPI:Invalid key"
        default:
            wrong.secret = Secret(ES256Key.generate().privateKeyPEM!)
            reason = "HTTP 401"
        }
        let error = #expect(throws: GatewayError.self) { try desk.fetch(wrong) }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("\(kind.rawValue): ") && text.contains(reason), "\(text)")
    }

    @Test("answers as the venues document them: Bybit less spot borrowing, Kraken's names made common with suffixes kept, refusals in a 200 answer, a missing field")
    func answers() throws {
        func object(_ json: String) throws -> [String: Any] { try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]) }
        let bybit = try VenueBalances.bybit(object(#"{"retCode":0,"retMsg":"OK","result":{"list":[{"accountType":"UNIFIED","coin":[{"coin":"BTC","walletBalance":"1.5","locked":"0.2","spotBorrow":"0.25"},{"coin":"USDT","walletBalance":"1000.00000000","locked":"0","spotBorrow":""}]}]},"retExtInfo":{},"time":1}"#))
        #expect(bybit == ["BTC": "1.25", "USDT": "1000"])
        let refused = #expect(throws: GatewayError.self) { try VenueBalances.bybit(object(#"{"retCode":10003,"retMsg":"API key is invalid.","result":{},"retExtInfo":{},"time":1}"#)) }
        #expect(refused?.description == "bybit: balances refused: retCode 10003: API key is invalid.")
        let kraken = try VenueBalances.kraken(object(#"{"error":[],"result":{"XXBT":"1011.1908877900","ZUSD":"171288.6158","XBT.M":"0.5","USDT.F":"12.00000000","XTZ":"3"}}"#))
        #expect(kraken == ["BTC": "1011.19088779", "USD": "171288.6158", "BTC.M": "0.5", "USDT.F": "12", "XTZ": "3"])
        #expect(throws: GatewayError.self) { try VenueBalances.kraken(object(#"{"error":["EAPI:Invalid nonce"]}"#)) }
        #expect(throws: GatewayError.self) { try VenueBalances.okx(object(#"{"code":"50113","msg":"Invalid Sign","data":[]}"#)) }
        var totals: VenueBalances.Totals = [:]
        let cursor = try VenueBalances.coinbase(
            object(#"{"accounts":[{"currency":"BTC","available_balance":{"value":"1.23","currency":"BTC"},"hold":{"value":"0.77","currency":"BTC"}}],"has_next":true,"cursor":"789100","size":1}"#),
            into: &totals)
        #expect(cursor == "789100" && totals == ["BTC": "2"])
        let missing = #expect(throws: GatewayError.self) { try VenueBalances.binance(object(#"{"balances":[{"asset":"BTC","free":"1.0"}]}"#)) }
        #expect(missing?.description == "binance: the balance answer's locked is missing")
    }

    @Test("a secret the venue's signing cannot use is said before anything is sent; a wrong one is refused by its signature")
    func badSecret() throws {
        let kraken = try BalanceDesk(.kraken)
        var wrong = kraken.credentials
        wrong.secret = Secret("not base64 !")
        #expect(throws: GatewayError.self) { try kraken.fetch(wrong) }
        let bybit = try BalanceDesk(.bybit)
        var forged = bybit.credentials
        forged.secret = Secret("another-secret")
        let error = #expect(throws: GatewayError.self) { try bybit.fetch(forged) }
        #expect(error?.description.hasPrefix("bybit: balances refused: retCode 10004") == true, "\(error?.description ?? "")")
    }
}
