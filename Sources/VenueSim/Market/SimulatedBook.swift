import GantryBook
import GantryCore

/// One level of a venue's book as published: its new total quantity (zero: the level is gone).
public struct SimLevelChange: Sendable, Equatable {
    public var side: Side
    public var price: Price
    public var quantity: Quantity

    public init(side: Side, price: Price, quantity: Quantity) {
        self.side = side
        self.price = price
        self.quantity = quantity
    }
}

/// A book's trading since the simulator started (the venues' 24-hour ticker fields: no day boundary is
/// simulated, so "24h" means since the start). Prices raw at the price scale, volume at the quantity scale,
/// turnover at price + quantity scale.
public struct SimTradeStats: Sendable, Equatable {
    public var open: Int64 = 0
    public var high: Int64 = 0
    public var low: Int64 = 0
    public var last: Int64 = 0
    public var lastSize: Int64 = 0
    public var volume: Int64 = 0
    public var turnover: Int64 = 0
    public var count = 0

    mutating func add(_ f: SimFill) {
        let p = f.price.raw
        if count == 0 {
            open = p
            high = p
            low = p
        }
        high = max(high, p)
        low = min(low, p)
        last = p
        lastSize = f.quantity.raw
        volume += f.quantity.raw
        turnover += p * f.quantity.raw
        count += 1
    }
}

/// An instrument as one simulated venue lists it.
public struct SimInstrument: Sendable, Equatable {
    /// The venue's symbol ("BTCUSDT", "BTC-USD", "BTC/USD").
    public var symbol: String
    public var priceScale: Int
    public var quantityScale: Int
    /// Tick and lot size, raw at their scales.
    public var tick: Int64
    public var lot: Int64
    /// The assets traded ("BTC", "USDT"): given, or read off the symbol.
    public var baseAsset: String
    public var quoteAsset: String

    public init(symbol: String, priceScale: Int, quantityScale: Int, tick: Int64, lot: Int64, baseAsset: String? = nil, quoteAsset: String? = nil) {
        precondition(tick > 0 && lot > 0, "tick and lot sizes are positive")
        self.symbol = symbol
        self.priceScale = priceScale
        self.quantityScale = quantityScale
        self.tick = tick
        self.lot = lot
        let (b, q) = Self.assets(symbol)
        self.baseAsset = baseAsset ?? b
        self.quoteAsset = quoteAsset ?? q
    }

    /// "BTC-USD", "BTC/USD" split at the separator; "BTCUSDT" at a known quote currency at its end.
    static func assets(_ symbol: String) -> (String, String) {
        if let sep = symbol.firstIndex(where: { $0 == "-" || $0 == "/" }) {
            return (String(symbol[..<sep]), String(symbol[symbol.index(after: sep)...]))
        }
        for quote in ["USDT", "USDC", "FDUSD", "USD", "EUR", "BTC", "ETH"] where symbol.hasSuffix(quote) && symbol.count > quote.count {
            return (String(symbol.dropLast(quote.count)), quote)
        }
        return (symbol, "")
    }
}

/// The market's own orders on one side, one per price level, by price: a power-of-two table indexed by the
/// price in ticks. The market quotes a window of `window` ticks and cancels what leaves it before quoting what
/// enters it, so two live quotes never share a slot. No hashing on the step path.
struct QuoteSlots {
    let tick: Int64
    let mask: Int64
    var prices: [Int64]
    var ids: [UInt64]
    static let empty = Int64.min

    init(tick: Int64, window: Int) {
        var capacity = 8
        while capacity < 2 * window { capacity *= 2 }
        self.tick = tick
        mask = Int64(capacity - 1)
        prices = Array(repeating: Self.empty, count: capacity)
        ids = Array(repeating: 0, count: capacity)
    }

    subscript(price: Int64) -> UInt64? {
        get {
            let i = Int((price / tick) & mask)
            return prices[i] == price ? ids[i] : nil
        }
        set {
            let i = Int((price / tick) & mask)
            if let newValue {
                precondition(prices[i] == Self.empty || prices[i] == price, "two market quotes in one slot")
                prices[i] = price
                ids[i] = newValue
            } else if prices[i] == price {
                prices[i] = Self.empty
            }
        }
    }

    /// Every quote, (price, order id).
    var all: [(Int64, UInt64)] {
        var out: [(Int64, UInt64)] = []
        out.reserveCapacity(prices.count / 2)
        for i in prices.indices where prices[i] != Self.empty { out.append((prices[i], ids[i])) }
        return out
    }
}

/// One instrument's book at one simulated venue: a `MatchingEngine` in which the market (account 0, the
/// liquidity the model provides) keeps `levels` price levels each side of the venue's mid, and the clients'
/// orders meet that liquidity and each other. What the venue publishes is derived from the engine: after each
/// change, the levels it touched are compared with what was published (`published`), and the differences are
/// the venue's depth update. So the feed and the matching always agree, as at a real venue.
///
/// Owned by the simulator's thread (a class only so that venues can hold several in an array).
///
/// Its hot properties are `@exclusivity(unchecked)`: one thread uses the book, and no method passes one of them
/// inout while another access to it is open (the tests ran with the dynamic checks on before they were turned
/// off). The checks cost a fifth of the simulator's push rate (`gantry-sim-bench`: 207k → 273k messages/s with
/// them off on the venue's classes).
public final class SimulatedBook {
    public let instrument: SimInstrument
    @exclusivity(unchecked)
    public private(set) var engine: MatchingEngine
    /// What the venue has published: the book its clients rebuild.
    @exclusivity(unchecked)
    public private(set) var published: L2Book
    /// The venue's book update id: one per level change published (Binance's `u`, Bybit's `u`, OKX's seqId).
    @exclusivity(unchecked)
    public private(set) var updateId: UInt64
    /// Levels the market keeps on each side of the mid.
    public let levels: Int
    /// The largest size (in lots) the market shows at one level.
    public let maxLots: Int
    @exclusivity(unchecked)
    var bidOrders: QuoteSlots
    @exclusivity(unchecked)
    var askOrders: QuoteSlots
    @exclusivity(unchecked)
    var touched: [(Side, Int64)] = []
    /// Fills the market's own orders made against clients' resting orders as it moved (the venue reports them
    /// to those clients: `takeClientFills`).
    @exclusivity(unchecked)
    var clientFills: [SimFill] = []
    /// Every trade since the last `takeTrades` (the venue's public trade stream).
    @exclusivity(unchecked)
    var trades: [SimFill] = []
    /// Open, high, low, last, volume and turnover of every trade so far.
    @exclusivity(unchecked)
    public private(set) var tradeStats = SimTradeStats()
    /// Noise traders (one account) send market orders now and then, so that trades print and liquidity is taken
    /// as it is at a real venue: the chance per step in millionths, and the largest order in lots.
    public var noisePpm = 0
    public var noiseMaxLots = 1_000
    public static let noiseAccount = (1 << 20) - 1
    /// The mid the market last quoted around, and the levels it emptied on the last step (refilled next step).
    @exclusivity(unchecked)
    var lastMid: Int64? = nil
    @exclusivity(unchecked)
    var steps = 0
    @exclusivity(unchecked)
    var emptied: [(Side, Int64)] = []
    public static let marketAccount = 0

    public init(instrument: SimInstrument, fees: FeeSchedule, levels: Int = 50, maxLots: Int = 50_000, firstUpdateId: UInt64 = 1_000) {
        self.instrument = instrument
        engine = MatchingEngine(priceScale: instrument.priceScale, quantityScale: instrument.quantityScale, fees: fees)
        published = L2Book(venue: VenueId(raw: 0), instrument: InstrumentId(raw: 0), depth: 4 * levels + 1_000)
        updateId = firstUpdateId
        self.levels = levels
        self.maxLots = maxLots
        bidOrders = QuoteSlots(tick: instrument.tick, window: 2 * levels + 1)
        askOrders = QuoteSlots(tick: instrument.tick, window: 2 * levels + 1)
        fund()
    }

    /// Keeps the market's and the noise traders' accounts able to trade (their balances drift): each asset at
    /// least 2^60 units of its ledger scale, topped up by 2^61.
    func fund() {
        for account in [Self.marketAccount, Self.noiseAccount] {
            for h in [engine.base, engine.quote] where engine.ledger.balance(account, asset: h.index).free < Int64(1) << 60 {
                engine.ledger.credit(account, SimLedger.Handle(index: h.index, factor: 1), Int64(1) << 61)
            }
        }
    }

    /// Settles in `ledger` (its venue's, shared by the venue's books) from now on, the market's accounts funded
    /// there. Traps if the book already holds orders (their locks are in the old ledger).
    func settle(in ledger: SimLedger) {
        precondition(engine.best(.buy) == nil && engine.best(.sell) == nil, "a book joins its venue's ledger before it opens")
        engine.settle(in: ledger, baseAsset: instrument.baseAsset, quoteAsset: instrument.quoteAsset)
        fund()
    }

    /// The trades since the last call, oldest first.
    public func takeTrades() -> [SimFill] {
        if trades.isEmpty { return [] }  // the common step: no allocation
        defer { trades.removeAll(keepingCapacity: true) }
        return trades
    }

    /// Credits a client account.
    public func deposit(account: Int, base: Int64 = 0, quote: Int64 = 0) {
        precondition(account != Self.marketAccount, "account 0 is the market's")
        engine.deposit(account: account, base: base, quote: quote)
    }

    /// Moves the market's quotes to a new mid (in ticks) and changes a few sizes at random.
    /// - Returns: The level changes to publish (the update id has advanced by their count).
    public func step(midTicks: Int64, random: inout SimRandom) -> [SimLevelChange] {
        // The market's balances are vast (2^58 and more); topping them up every 256 steps is plenty.
        steps &+= 1
        if steps & 255 == 0 { fund() }
        let tick = instrument.tick
        let mid = midTicks * tick
        if midTicks != lastMid {
            // Quotes the mid passed or left behind go; every level within range is quoted.
            lastMid = midTicks
            let low = (midTicks - Int64(levels)) * tick
            let high = (midTicks + Int64(levels)) * tick
            for (price, id) in bidOrders.all where price >= mid || price < low { cancelMarket(id, .buy, price) }
            for (price, id) in askOrders.all where price <= mid || price > high { cancelMarket(id, .sell, price) }
            for depth in 1...Int64(levels) {
                let bid = mid - depth * tick
                let ask = mid + depth * tick
                if bid > 0 && bidOrders[bid] == nil { placeMarket(.buy, bid, lots: 1 + random.below(maxLots)) }
                if askOrders[ask] == nil { placeMarket(.sell, ask, lots: 1 + random.below(maxLots)) }
            }
        } else {
            // The same mid: only the levels emptied last step are quoted again.
            for (side, price) in emptied where (side == .buy ? bidOrders[price] : askOrders[price]) == nil {
                placeMarket(side, price, lots: 1 + random.below(maxLots))
            }
        }
        emptied.removeAll(keepingCapacity: true)
        // Now and then a noise trader takes liquidity with a market order.
        if noisePpm > 0 && random.chance(ppm: noisePpm) {
            let side: Side = random.chance(1, in: 2) ? .buy : .sell
            let result = engine.submit(
                account: Self.noiseAccount, side: side, type: .market, timeInForce: .ioc,
                quantity: Quantity(raw: Int64(1 + random.below(noiseMaxLots)) * instrument.lot))
            note(result)
            for f in result.fills where f.makerAccount != Self.marketAccount { clientFills.append(f) }
        }
        // A few sizes change, and now and then a level empties (until the next step refills it).
        for _ in 0..<(1 + random.below(4)) {
            let side: Side = random.chance(1, in: 2) ? .buy : .sell
            let depth = Int64(1 + (random.chance(1, in: 4) ? random.below(levels) : random.below(min(levels, 10))))
            let price = side == .buy ? mid - depth * tick : mid + depth * tick
            guard price > 0 else { continue }
            let existing = (side == .buy ? bidOrders : askOrders)[price]
            if random.chance(1, in: 6) {
                if let existing { cancelMarket(existing, side, price) }
                emptied.append((side, price))
            } else if let existing,
                engine.amend(existing, side: side, price: Price(raw: price), remaining: Quantity(raw: Int64(1 + random.below(maxLots)) * instrument.lot))
            {
                touched.append((side, price))
            } else {
                if let existing { cancelMarket(existing, side, price) }
                placeMarket(side, price, lots: 1 + random.below(maxLots))
            }
        }
        return publish()
    }

    /// Fills the book to `levels` each side of `midTicks` at once (a venue's opening book).
    public func open(midTicks: Int64, random: inout SimRandom) {
        lastMid = midTicks
        let mid = midTicks * instrument.tick
        for depth in 1...Int64(levels) {
            placeMarket(.buy, mid - depth * instrument.tick, lots: 1 + random.below(maxLots))
            placeMarket(.sell, mid + depth * instrument.tick, lots: 1 + random.below(maxLots))
        }
        _ = publish()
    }

    /// A client's order, matched at once. - Returns: the engine's result and the level changes it made.
    public func submit(
        account: Int, side: Side, type: OrderType, timeInForce: TimeInForce, price: Price, quantity: Quantity
    ) -> (SimSubmitResult, [SimLevelChange]) {
        precondition(account != Self.marketAccount, "account 0 is the market's")
        var result = engine.submit(account: account, side: side, type: type, timeInForce: timeInForce, price: price, quantity: quantity)
        note(result)
        if slippageCentiBasisPoints > 0 { slip(&result, limit: type == .limit ? price : nil) }
        if case .new = result.order.status { touched.append((side, price.raw)) }
        if case .partiallyFilled = result.order.status { touched.append((side, price.raw)) }
        return (result, publish())
    }

    /// Clients' fills priced this much worse than the book (a `slippage` fault), hundredths of a basis point.
    public var slippageCentiBasisPoints: Int64 = 0

    /// Prices a client's fills worse by `slippageCentiBasisPoints` (on the tick grid, never past its limit): the
    /// difference moves from the client to the market's account, and the order's figures follow.
    func slip(_ result: inout SimSubmitResult, limit: Price?) {
        let buying = result.order.side == .buy
        for k in result.fills.indices {
            let f = result.fills[k]
            let away = f.price.raw * slippageCentiBasisPoints / 1_000_000 / instrument.tick * instrument.tick
            var price = buying ? f.price.raw + away : f.price.raw - away
            if let limit { price = buying ? min(price, limit.raw) : max(price, limit.raw) }
            let extra = abs(price - f.price.raw) * f.quantity.raw
            guard extra > 0 else { continue }
            engine.transfer(quote: extra, from: f.takerAccount, to: Self.marketAccount)
            result.fills[k].price = Price(raw: price)
            result.order.filledNotional += buying ? extra : -extra
        }
    }

    /// The fills of clients' resting orders that the market's moves made since the last call.
    public func takeClientFills() -> [SimFill] {
        if clientFills.isEmpty { return [] }
        defer { clientFills.removeAll(keepingCapacity: true) }
        return clientFills
    }

    /// Cancels a client's resting order. - Returns: the order as canceled (nil if not resting) and the changes.
    public func cancel(_ id: UInt64) -> (SimOrder?, [SimLevelChange]) {
        guard let order = engine.cancel(id) else { return (nil, []) }
        touched.append((order.side, order.price.raw))
        return (order, publish())
    }

    // MARK: - The market's own orders

    func placeMarket(_ side: Side, _ price: Int64, lots: Int) {
        guard price > 0 else { return }
        let result = engine.submit(
            account: Self.marketAccount, side: side, type: .limit, timeInForce: .gtc, price: Price(raw: price),
            quantity: Quantity(raw: Int64(lots) * instrument.lot))
        note(result)
        for f in result.fills where f.makerAccount != Self.marketAccount { clientFills.append(f) }
        touched.append((side, price))
        switch result.order.status {
        case .new, .partiallyFilled:
            if side == .buy { bidOrders[price] = result.order.id } else { askOrders[price] = result.order.id }
        default: break
        }
    }

    func cancelMarket(_ id: UInt64, _ side: Side, _ price: Int64) {
        if side == .buy { bidOrders[price] = nil } else { askOrders[price] = nil }
        _ = engine.cancel(id, side: side, price: Price(raw: price))
        touched.append((side, price))
    }

    /// Records the levels a submission's fills consumed, and forgets market orders that were filled away.
    func note(_ result: SimSubmitResult) {
        trades += result.fills
        for f in result.fills { tradeStats.add(f) }
        for f in result.fills {
            let makerSide = f.takerSide.opposite
            touched.append((makerSide, f.price.raw))
            // A quote of the market's that was filled away is forgotten, and quoted again on the next step.
            if f.makerAccount == Self.marketAccount && engine.quantity(makerSide, at: f.price).raw == 0
                || f.makerAccount == Self.marketAccount && (makerSide == .buy ? bidOrders : askOrders)[f.price.raw] == f.makerOrder
                    && engine.order(f.makerOrder) == nil
            {
                if makerSide == .buy { bidOrders[f.price.raw] = nil } else { askOrders[f.price.raw] = nil }
                emptied.append((makerSide, f.price.raw))
            }
        }
    }

    /// Compares the touched levels with what was published and publishes the differences.
    func publish() -> [SimLevelChange] {
        var changes: [SimLevelChange] = []
        touched.sort { $0.0.rawValue != $1.0.rawValue ? $0.0.rawValue < $1.0.rawValue : $0.1 < $1.1 }
        var last: (Side, Int64)? = nil
        for t in touched {
            if let l = last, l.0 == t.0 && l.1 == t.1 { continue }
            last = t
            let now = engine.quantity(t.0, at: Price(raw: t.1)).raw
            let before = (t.0 == .buy ? published.bids.quantity(at: Price(raw: t.1)) : published.asks.quantity(at: Price(raw: t.1))).raw
            guard now != before else { continue }
            _ = published.apply(t.0, Price(raw: t.1), Quantity(raw: now))
            changes.append(SimLevelChange(side: t.0, price: Price(raw: t.1), quantity: Quantity(raw: now)))
        }
        touched.removeAll(keepingCapacity: true)
        updateId += UInt64(changes.count)
        return changes
    }

    /// The published best bid and ask.
    public var top: (bid: BookLevel?, ask: BookLevel?) { (published.bids.best, published.asks.best) }

    /// The published book's levels, best first, at most `depth` per side.
    public func snapshot(depth: Int) -> (bids: [BookLevel], asks: [BookLevel]) {
        (
            (0..<min(depth, published.bids.count)).map { published.bids.level($0) },
            (0..<min(depth, published.asks.count)).map { published.asks.level($0) }
        )
    }
}
