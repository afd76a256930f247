import GantryCore
import Testing
import VenueSim

@Suite("Matching engine: price-time priority, IOC/FOK/market, fees and balances in fixed point")
struct MatchingEngineTests {
    // BTC/USDT-like: prices at 2 decimals, quantities at 4; quote at 6 decimals (2 + 4).
    func engine(maker: Int64 = 200, taker: Int64 = 1_000) -> MatchingEngine {
        let e = MatchingEngine(
            priceScale: 2, quantityScale: 4, fees: FeeSchedule(makerCentiBasisPoints: maker, takerCentiBasisPoints: taker))
        for account in 1...4 { e.deposit(account: account, base: 100_0000, quote: 10_000_000_000_000) }
        return e
    }

    func p(_ text: String) -> Price { Price(text, scale: 2) }
    func q(_ text: String) -> Quantity { Quantity(text, scale: 4) }

    @Test("better prices first, then earlier orders at the same price; the maker's price is the trade's")
    func priceTimePriority() {
        var e = engine()
        let a = e.submit(account: 1, side: .sell, type: .limit, timeInForce: .gtc, price: p("101"), quantity: q("1")).order
        let b = e.submit(account: 2, side: .sell, type: .limit, timeInForce: .gtc, price: p("100"), quantity: q("1")).order
        let c = e.submit(account: 3, side: .sell, type: .limit, timeInForce: .gtc, price: p("100"), quantity: q("1")).order
        let r = e.submit(account: 4, side: .buy, type: .limit, timeInForce: .gtc, price: p("102"), quantity: q("2.5"))
        #expect(r.fills.map(\.makerOrder) == [b.id, c.id, a.id])
        #expect(r.fills.map(\.price) == [p("100"), p("100"), p("101")])
        #expect(r.fills.map(\.quantity) == [q("1"), q("1"), q("0.5")])
        #expect(r.order.status == .filled)
        let rest = e.depth(.sell)
        #expect(rest.count == 1 && rest[0].price == p("101") && rest[0].quantity == q("0.5"))
        #expect(e.openOrders(account: 1).first?.status == .partiallyFilled)
    }

    @Test("IOC: the filled part trades, the rest expires and its funds are released")
    func immediateOrCancel() {
        var e = engine()
        _ = e.submit(account: 1, side: .sell, type: .limit, timeInForce: .gtc, price: p("100"), quantity: q("1"))
        let before = e.balance(2, .quote)
        let r = e.submit(account: 2, side: .buy, type: .limit, timeInForce: .ioc, price: p("100"), quantity: q("3"))
        #expect(r.order.status == .expired && r.order.filled == q("1") && r.fills.count == 1)
        #expect(e.depth(.buy).isEmpty && e.depth(.sell).isEmpty)
        let after = e.balance(2, .quote)
        // 1 × 100.00 = 100.000000 quote, taker fee 10 bp = 0.100000; nothing left locked.
        #expect(after.locked == 0)
        #expect(before.free - after.free == 100_000_000 + 100_000)
        #expect(e.balance(2, .base).free == 101_0000)
        // The maker got 100 less 2 bp.
        #expect(e.balance(1, .quote).free == 10_000_000_000_000 + 100_000_000 - 20_000)
    }

    @Test("FOK: fills whole or not at all")
    func fillOrKill() {
        var e = engine()
        _ = e.submit(account: 1, side: .sell, type: .limit, timeInForce: .gtc, price: p("100"), quantity: q("1"))
        let none = e.submit(account: 2, side: .buy, type: .limit, timeInForce: .fok, price: p("100"), quantity: q("2"))
        #expect(none.order.status == .expired && none.fills.isEmpty)
        #expect(e.depth(.sell)[0].quantity == q("1") && e.balance(2, .quote).locked == 0)
        let all = e.submit(account: 2, side: .buy, type: .limit, timeInForce: .fok, price: p("100"), quantity: q("1"))
        #expect(all.order.status == .filled)
    }

    @Test("market orders walk the book; a market buy the book cannot fill is rejected, a thin one expires its rest")
    func marketOrders() {
        var e = engine()
        _ = e.submit(account: 1, side: .sell, type: .limit, timeInForce: .gtc, price: p("100"), quantity: q("1"))
        _ = e.submit(account: 1, side: .sell, type: .limit, timeInForce: .gtc, price: p("105"), quantity: q("1"))
        let buy = e.submit(account: 2, side: .buy, type: .market, timeInForce: .ioc, quantity: q("1.5"))
        #expect(buy.fills.map(\.price) == [p("100"), p("105")] && buy.order.status == .filled)
        #expect(e.submit(account: 2, side: .buy, type: .market, timeInForce: .ioc, quantity: q("5")).order.status == .rejected(.insufficientBalance))
        _ = e.submit(account: 3, side: .buy, type: .limit, timeInForce: .gtc, price: p("99"), quantity: q("1"))
        let sell = e.submit(account: 4, side: .sell, type: .market, timeInForce: .ioc, quantity: q("3"))
        #expect(sell.order.status == .expired && sell.order.filled == q("1") && e.balance(4, .base).locked == 0)
    }

    @Test("balances are checked and locked; cancel releases them; bad orders are rejected")
    func balancesAndCancel() {
        var e = engine()
        e.deposit(account: 9, quote: 100_000_000)  // 100 quote
        #expect(e.submit(account: 9, side: .buy, type: .limit, timeInForce: .gtc, price: p("100"), quantity: q("1")).order.status
            == .rejected(.insufficientBalance))  // 100 + fee > 100
        let ok = e.submit(account: 9, side: .buy, type: .limit, timeInForce: .gtc, price: p("99"), quantity: q("1")).order
        #expect(ok.status == .new && e.balance(9, .quote).locked > 0)
        let canceled = e.cancel(ok.id)
        #expect(canceled?.status == .canceled && e.balance(9, .quote) == SimLedger.Balance(free: 100_000_000, locked: 0))
        #expect(e.cancel(ok.id) == nil)
        #expect(e.submit(account: 9, side: .sell, type: .limit, timeInForce: .gtc, price: p("99"), quantity: q("1")).order.status
            == .rejected(.insufficientBalance))
        #expect(e.submit(account: 1, side: .buy, type: .limit, timeInForce: .gtc, price: p("0"), quantity: q("1")).order.status
            == .rejected(.invalidPrice))
        #expect(e.submit(account: 1, side: .buy, type: .limit, timeInForce: .gtc, price: p("1"), quantity: q("0")).order.status
            == .rejected(.invalidQuantity))
    }

    @Test("fees round up, and many small fills of one order never pay more than one fee on their total")
    func fees() {
        #expect(FeeSchedule.fee(1, centiBasisPoints: 1_000) == 1)
        #expect(FeeSchedule.fee(1_000_000, centiBasisPoints: 1_000) == 1_000)
        #expect(FeeSchedule.fee(0, centiBasisPoints: 1_000) == 0)
        var e = engine(maker: 1_000, taker: 1_000)
        let big = e.submit(account: 1, side: .buy, type: .limit, timeInForce: .gtc, price: p("0.03"), quantity: q("3")).order
        var makerFees: Int64 = 0
        for _ in 0..<3 {
            let r = e.submit(account: 2, side: .sell, type: .limit, timeInForce: .ioc, price: p("0.03"), quantity: q("1"))
            makerFees += r.fills.reduce(0) { $0 + $1.makerFee }
        }
        // 3 × 0.03 × 1 = 0.09 quote = 90,000 units; 10 bp = 90 units (each fill alone would round 30 → 30).
        #expect(makerFees == FeeSchedule.fee(90_000, centiBasisPoints: 1_000))
        #expect(e.balance(1, .quote).locked == 0 && e.openOrders(account: 1).isEmpty && big.id > 0)
    }

    @Test("a random order flow conserves every asset (fees counted), never crosses the book, never overdraws")
    func conservation() {
        var e = engine(maker: 150, taker: 700)
        var state: UInt64 = 0x9E37_79B9
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        func totals() -> (base: Int64, quote: Int64) {
            var b: Int64 = 0, q: Int64 = 0
            for a in 1...4 {
                b += e.balance(a, .base).free + e.balance(a, .base).locked
                q += e.balance(a, .quote).free + e.balance(a, .quote).locked
            }
            return (b, q)
        }
        let start = totals()
        var fees: Int64 = 0
        var ids: [UInt64] = []
        for _ in 0..<5_000 {
            if next(6) == 0, !ids.isEmpty {
                _ = e.cancel(ids.remove(at: next(ids.count)))
                continue
            }
            let side: Side = next(2) == 0 ? .buy : .sell
            let types: [(OrderType, TimeInForce)] = [(.limit, .gtc), (.limit, .gtc), (.limit, .ioc), (.limit, .fok), (.market, .ioc)]
            let (type, tif) = types[next(types.count)]
            let r = e.submit(
                account: 1 + next(4), side: side, type: type, timeInForce: tif, price: Price(raw: 9_990 + Int64(next(21))),
                quantity: Quantity(raw: Int64(1 + next(30_000))))
            fees += r.fills.reduce(0) { $0 + $1.makerFee + $1.takerFee }
            if r.order.status == .new || r.order.status == .partiallyFilled { ids.append(r.order.id) }
            if let bid = e.depth(.buy, levels: 1).first?.price, let ask = e.depth(.sell, levels: 1).first?.price { #expect(bid < ask) }
        }
        let end = totals()
        #expect(end.base == start.base)
        #expect(end.quote + fees == start.quote)
        for a in 1...4 {
            for asset in [MatchingEngine.Leg.base, .quote] {
                let b = e.balance(a, asset)
                #expect(b.free >= 0 && b.locked >= 0)
            }
            // What is locked is what the account's resting orders hold.
            let open = e.openOrders(account: a)
            #expect(e.balance(a, .quote).locked == open.filter { $0.side == .buy }.reduce(0) { $0 + $1.locked })
            #expect(e.balance(a, .base).locked == open.filter { $0.side == .sell }.reduce(0) { $0 + $1.remaining.raw })
        }
    }
}
