import Foundation
import GantryCore
import GantryNet
import GantryVenues
import Testing
import VenueSim

extension BinanceOrderDesk {
    /// A desk over a venue built elsewhere (its account added by the caller).
    init(sim: VenueSimulator, venue: SimVenue) {
        self.sim = sim
        self.venue = venue
    }
}

/// A Binance venue with BTCUSDT (prices at 2 decimals, quantities at 8: quote at 10) and ETHUSDT (quantities at 5:
/// quote at 7), so that USDT is kept at 10 decimals and the ETH book's amounts are rescaled by 1,000.
func twoBookBinance() throws -> (VenueSimulator, SimVenue) {
    let fees = FeeSchedule(makerCentiBasisPoints: 200, takerCentiBasisPoints: 1_000)
    let books = [
        SimulatedBook(instrument: SimInstrument(symbol: "BTCUSDT", priceScale: 2, quantityScale: 8, tick: 1, lot: 1_000), fees: fees, levels: 30, maxLots: 10_000),
        SimulatedBook(instrument: SimInstrument(symbol: "ETHUSDT", priceScale: 2, quantityScale: 5, tick: 1, lot: 1), fees: fees, levels: 30, maxLots: 10_000),
    ]
    let venue = try SimVenue(name: "binance", kind: .binance, books: books, restPort: 0)
    let sim = VenueSimulator(
        venues: [venue], markets: [MarketParameters(start: 97_000 * 100_000_000, volatilityPerSecond: 20_000_000)],
        assignments: [[0, 0]], stepsPerSecond: 200, seed: 3)
    sim.paused = true
    return (sim, venue)
}

@Suite("One ledger per venue: one balance per account per asset, shared by the venue's books", .serialized)
struct SimLedgerTests {
    @Test("a balance fault changes the first account's balance once, at its time, behind its owner's back; taking more than is free is refused")
    func balanceFault() throws {
        let (_, venue) = try twoBookBinance()
        try venue.deposit(account: 1, ["BTC": "1", "USDT": "100"])
        var add = SimFault(kind: .balance, venue: "binance", start: .zero)
        add.asset = "BTC"
        add.amount = "0.5"
        var take = SimFault(kind: .balance, venue: "binance", start: .zero)
        take.asset = "USDT"
        take.amount = "-40.25"
        venue.faults.schedule(add)
        venue.faults.schedule(take)
        _ = venue.poll(now: MonotonicClock.now())
        _ = venue.poll(now: MonotonicClock.now())
        #expect(venue.ledger.balance(1, "BTC").free == 150_000_000, "1 + 0.5 BTC at 8 places, once")
        #expect(venue.ledger.balance(1, "USDT").free == 597_500_000_000, "100 − 40.25 USDT at 10 places, once")
        #expect(venue.faults.applied[.balance] == 2)
        #expect(throws: SimLedgerError.self) { try venue.ledger.adjust(account: 1, asset: "BTC", amount: "-2") }
    }

    @Test("an asset is kept at the finest scale any instrument uses it at; raising a scale rescales exactly; bad deposits are named")
    func scales() throws {
        let ledger = SimLedger()
        ledger.add("USDT", scale: 7)
        try ledger.deposit(account: 1, asset: "USDT", amount: "1.2345678")
        ledger.add("USDT", scale: 10)
        #expect(ledger.scales == [10] && ledger.balance(1, "USDT") == SimLedger.Balance(free: 12_345_678_000, locked: 0))
        #expect(ledger.handle("USDT", bookScale: 7).factor == 1_000 && ledger.handle("USDT", bookScale: 10).factor == 1)
        #expect(throws: SimLedgerError.self) { try ledger.deposit(account: 1, asset: "USDT", amount: "0.00000000001") }
        #expect(throws: SimLedgerError.self) { try ledger.deposit(account: 1, asset: "DOGE", amount: "1") }
        #expect(throws: SimLedgerError.self) { try ledger.deposit(account: 1, asset: "USDT", amount: "-1") }
        let (_, venue) = try twoBookBinance()
        #expect(venue.ledger.names == ["BTC", "USDT", "ETH"] && venue.ledger.scales == [8, 10, 5])
    }

    @Test("a BTCUSDT buy's locked USDT is not there for an ETHUSDT buy, refused at the exact unit; fills and fees move the one balance exactly")
    func sharedQuote() throws {
        let (sim, venue) = try twoBookBinance()
        let desk = BinanceOrderDesk(sim: sim, venue: venue)
        try venue.addAccount(BinanceCredentials(apiKey: BinanceOrderDesk.key, secret: BinanceOrderDesk.secret, account: 1))
        let usdt = venue.ledger.index(of: "USDT")!
        let (btc, eth) = (venue.books[0].engine, venue.books[1].engine)
        // What each resting buy locks, at its book's quote scale: notional + the higher fee + one unit.
        let (p1, q1) = (btc.best(.buy)!.raw - 500, Int64(1_000_000))  // 0.01 BTC
        let (p2, q2) = (eth.best(.buy)!.raw - 500, Int64(1_000))  // 0.01 ETH
        let lock1 = p1 * q1 + FeeSchedule.fee(p1 * q1, centiBasisPoints: 1_000) + 1
        let lock2 = (p2 * q2 + FeeSchedule.fee(p2 * q2, centiBasisPoints: 1_000) + 1) * 1_000
        try venue.deposit(account: 1, ["USDT": FixedPoint.string(lock1 + lock2 - 1, scale: 10)])
        func usdtBalance() -> (free: String, locked: String) {
            let (_, account, _) = desk.call("GET", "/api/v3/account", "")
            let b = (account["balances"] as? [[String: String]] ?? []).first { $0["asset"] == "USDT" } ?? [:]
            return (b["free"] ?? "?", b["locked"] ?? "?")
        }
        let (s1, buy1, t1) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=\(BinanceOrderDesk.price(p1))")
        #expect(s1 == 200 && buy1["status"] as? String == "NEW", "\(t1)")
        #expect(usdtBalance() == (FixedPoint.string(lock2 - 1, scale: 10), FixedPoint.string(lock1, scale: 10)))
        let eth1 = "symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=\(BinanceOrderDesk.price(p2))"
        let (s2, refused, _) = desk.call("POST", "/api/v3/order", eth1)
        #expect(s2 == 400 && refused["code"] as? Int == -2010, "one unit short (1e-10 USDT) of what the ETH buy locks")
        try venue.deposit(account: 1, ["USDT": "0.0000000001"])
        let (s3, buy2, _) = desk.call("POST", "/api/v3/order", eth1)
        #expect(s3 == 200 && buy2["status"] as? String == "NEW")
        #expect(usdtBalance() == ("0.0000000000", FixedPoint.string(lock1 + lock2, scale: 10)))
        for (symbol, placed) in [("BTCUSDT", buy1), ("ETHUSDT", buy2)] {
            #expect(desk.call("DELETE", "/api/v3/order", "symbol=\(symbol)&orderId=\(placed["orderId"] as? Int ?? -1)").0 == 200)
        }
        #expect(usdtBalance() == (FixedPoint.string(lock1 + lock2, scale: 10), "0.0000000000"))

        // Fills: an IOC buy on each book and an IOC sell of ETH back; the account pays exactly the quote and fees of
        // its fills, and what every account holds plus the venue's fees never changes.
        try venue.deposit(account: 1, ["USDT": "100000"])
        let conserved = { (a: Int) in venue.ledger.total(asset: a) + venue.ledger.fees[a] }
        let before = venue.ledger.names.indices.map(conserved)
        let startUSDT = venue.ledger.balance(1, asset: usdt).free
        var spent: Int64 = 0
        var bought: [String: Int64] = [:]
        for (symbol, side, qty, scale, factor) in [("BTCUSDT", "BUY", "0.02000000", 8, Int64(1)), ("ETHUSDT", "BUY", "0.05000", 5, 1_000), ("ETHUSDT", "SELL", "0.02000", 5, 1_000)] {
            let book = venue.books[symbol == "BTCUSDT" ? 0 : 1].engine
            let limit = side == "BUY" ? book.best(.sell)!.raw + 3 : book.best(.buy)!.raw - 3
            let (s, r, text) = desk.call("POST", "/api/v3/order", "symbol=\(symbol)&side=\(side)&type=LIMIT&timeInForce=IOC&quantity=\(qty)&price=\(BinanceOrderDesk.price(limit))")
            #expect(s == 200 && !((r["fills"] as? [[String: Any]]) ?? []).isEmpty, "\(text)")
            let quoteScale = 2 + scale
            let cum = try FixedPoint.parse(r["cummulativeQuoteQty"] as? String ?? "", scale: quoteScale)
            let fees = try ((r["fills"] as? [[String: Any]]) ?? []).reduce(Int64(0)) { $0 + (try FixedPoint.parse($1["commission"] as? String ?? "", scale: quoteScale)) }
            spent += side == "BUY" ? (cum + fees) * factor : -(cum - fees) * factor
            let executed = try FixedPoint.parse(r["executedQty"] as? String ?? "", scale: scale)
            bought[symbol, default: 0] += side == "BUY" ? executed : -executed
        }
        #expect(venue.ledger.balance(1, asset: usdt) == SimLedger.Balance(free: startUSDT - spent, locked: 0), "the one USDT balance moved by every fill's quote and fee")
        #expect(venue.ledger.balance(1, "BTC").free == bought["BTCUSDT"] && venue.ledger.balance(1, "ETH").free == bought["ETHUSDT"])
        #expect(usdtBalance().free == FixedPoint.string(startUSDT - spent, scale: 10))
        #expect(venue.ledger.names.indices.map(conserved) == before, "balances + fees conserved to the unit, per asset")
        #expect(venue.ledger.fees[usdt] > 0)
    }

    @Test("a slippage fault prices a client's fills worse than the book by its basis points, within the limit; the account pays exactly what the fills say, and nothing is created or lost")
    func slippage() throws {
        let (sim, venue) = try twoBookBinance()
        let desk = BinanceOrderDesk(sim: sim, venue: venue)
        try venue.addAccount(BinanceCredentials(apiKey: BinanceOrderDesk.key, secret: BinanceOrderDesk.secret, account: 1))
        try venue.deposit(account: 1, ["USDT": "100000"])
        let usdt = venue.ledger.index(of: "USDT")!
        let conserved = { (a: Int) in venue.ledger.total(asset: a) + venue.ledger.fees[a] }
        let before = venue.ledger.names.indices.map(conserved)
        let start = venue.ledger.balance(1, asset: usdt).free
        venue.books[0].slippageCentiBasisPoints = 1_000  // 10 bp
        let best = venue.books[0].engine.best(.sell)!.raw
        let (s, r, text) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.01000000&price=\(BinanceOrderDesk.price(best + 50_000))")
        #expect(s == 200, "\(text)")
        let fills = (r["fills"] as? [[String: Any]]) ?? []
        let first = try FixedPoint.parse(fills.first?["price"] as? String ?? "", scale: 2)
        // 10 bp of ~97,000.00 is ~97.00: on the tick (0.01) below it, added to the book's price.
        #expect(first == best + best * 1_000 / 1_000_000, "the first fill 10 bp above the best ask")
        let cum = try FixedPoint.parse(r["cummulativeQuoteQty"] as? String ?? "", scale: 10)
        let fees = try fills.reduce(Int64(0)) { $0 + (try FixedPoint.parse($1["commission"] as? String ?? "", scale: 10)) }
        #expect(venue.ledger.balance(1, asset: usdt).free == start - cum - fees, "the account paid the slipped notional and the fees")
        #expect(venue.ledger.names.indices.map(conserved) == before, "conserved to the unit: the difference went to the market")
        // Capped at the limit: a limit at the best ask fills there, not past it.
        let bestNow = venue.books[0].engine.best(.sell)!.raw
        let (_, r2, _) = desk.call("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.00100000&price=\(BinanceOrderDesk.price(bestNow))")
        let p2 = try FixedPoint.parse(((r2["fills"] as? [[String: Any]]) ?? []).first?["price"] as? String ?? "", scale: 2)
        #expect(p2 == bestNow)
    }
}
