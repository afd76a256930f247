import GantryCore

/// An order as the simulated venue holds it.
public struct SimOrder: Sendable, Equatable {
    public var id: UInt64
    public var account: Int
    public var side: Side
    public var type: OrderType
    public var timeInForce: TimeInForce
    /// The limit price (ignored for market orders).
    public var price: Price
    public var quantity: Quantity
    public var filled: Quantity = .zero
    public var status: SimOrderStatus = .new
    /// Quote value of the fills so far (quote scale), and the fees charged on them: each fill's fee is the
    /// fee on the cumulative notional less what was charged before, so the fees of many fills add up to the
    /// fee of their total (rounded up once), never more than was locked for it.
    public var filledNotional: Int64 = 0
    public var feesPaid: Int64 = 0
    /// Fees of earlier phases (what it paid as a taker before it rested).
    public var totalFees: Int64 = 0
    /// What the order holds locked (quote for a buy, base for a sell).
    public var locked: Int64 = 0

    public init(id: UInt64, account: Int, side: Side, type: OrderType, timeInForce: TimeInForce, price: Price, quantity: Quantity) {
        self.id = id
        self.account = account
        self.side = side
        self.type = type
        self.timeInForce = timeInForce
        self.price = price
        self.quantity = quantity
    }

    public var remaining: Quantity { Quantity(raw: quantity.raw - filled.raw) }
}

/// Where an order ended, in the venues' common vocabulary (Binance's statuses).
public enum SimOrderStatus: Sendable, Equatable {
    case new
    case partiallyFilled
    case filled
    case canceled
    /// An IOC or market order's unfilled rest, or an FOK that could not fill whole.
    case expired
    case rejected(SimReject)
}

public enum SimReject: Sendable, Equatable {
    case insufficientBalance
    case invalidQuantity
    case invalidPrice
    case unknownOrder
}

/// One trade between a resting (maker) and an incoming (taker) order.
public struct SimFill: Sendable, Equatable {
    public var tradeId: UInt64
    public var makerOrder: UInt64
    public var takerOrder: UInt64
    public var makerAccount: Int
    public var takerAccount: Int
    /// The aggressor's side.
    public var takerSide: Side
    public var price: Price
    public var quantity: Quantity
    /// Fees in the quote asset at the quote scale (price scale + quantity scale), rounded up.
    public var makerFee: Int64
    public var takerFee: Int64
}

/// Maker and taker fees in hundredths of a basis point (10 bp = 1,000).
public struct FeeSchedule: Sendable, Equatable {
    public var makerCentiBasisPoints: Int64
    public var takerCentiBasisPoints: Int64

    public init(makerCentiBasisPoints: Int64, takerCentiBasisPoints: Int64) {
        self.makerCentiBasisPoints = makerCentiBasisPoints
        self.takerCentiBasisPoints = takerCentiBasisPoints
    }

    /// The fee on `notional` (quote scale), rounded up to the quote scale's unit: a venue never undercharges.
    public static func fee(_ notional: Int64, centiBasisPoints: Int64) -> Int64 {
        let product = Int128(notional) * Int128(centiBasisPoints)
        let (q, r) = product.quotientAndRemainder(dividingBy: 1_000_000)
        return Int64(q + (r > 0 ? 1 : 0))
    }
}

/// What one submission did.
public struct SimSubmitResult: Sendable, Equatable {
    public var order: SimOrder
    public var fills: [SimFill]
}

/// One instrument's price-time-priority order book with matching, in fixed point throughout, and the balances
/// it settles in its venue's `SimLedger`: amounts are computed at the book's scales, base at the quantity scale,
/// quote at the quote scale (price scale + quantity scale, so that a price × quantity is exact), and the ledger
/// rescales them exactly to each asset's scale. A limit buy locks its quote (price × quantity + taker fee at
/// most), a sell its base; fills move them, and the unfilled rest of an IOC, FOK or market order is released at
/// once. The ledger is shared with the venue's other books, so what one book locks the others cannot use.
public struct MatchingEngine {
    public let priceScale: Int
    public let quantityScale: Int
    public var fees: FeeSchedule
    /// The balances the book settles (shared with the venue's other books once the venue attaches it).
    public private(set) var ledger: SimLedger
    /// The book's base and quote assets in the ledger.
    public private(set) var base: SimLedger.Handle
    public private(set) var quote: SimLedger.Handle

    /// Which of the book's two assets.
    public enum Leg: Sendable { case base, quote }
    /// Resting orders by price; each level is first in, first out.
    var bids: [Level] = []  // best (highest) first
    var asks: [Level] = []  // best (lowest) first
    var nextOrderId: UInt64 = 1
    var nextTradeId: UInt64 = 1

    struct Level: Sendable {
        var price: Price
        var orders: [SimOrder]
    }

    /// An engine with a ledger of its own: two assets, base at the quantity scale and quote at the quote scale.
    public init(priceScale: Int, quantityScale: Int, fees: FeeSchedule) {
        let ledger = SimLedger()
        ledger.add("BASE", scale: quantityScale)
        ledger.add("QUOTE", scale: priceScale + quantityScale)
        self.init(priceScale: priceScale, quantityScale: quantityScale, fees: fees, ledger: ledger, baseAsset: "BASE", quoteAsset: "QUOTE")
    }

    /// An engine settling in `ledger`, which must hold both assets at least at the book's scales.
    public init(priceScale: Int, quantityScale: Int, fees: FeeSchedule, ledger: SimLedger, baseAsset: String, quoteAsset: String) {
        self.priceScale = priceScale
        self.quantityScale = quantityScale
        self.fees = fees
        self.ledger = ledger
        base = ledger.handle(baseAsset, bookScale: quantityScale)
        quote = ledger.handle(quoteAsset, bookScale: priceScale + quantityScale)
    }

    /// Settles in another ledger from now on (a venue attaching its books). Only for an engine with no resting
    /// orders of clients: what the old ledger held stays there.
    mutating func settle(in ledger: SimLedger, baseAsset: String, quoteAsset: String) {
        self.ledger = ledger
        base = ledger.handle(baseAsset, bookScale: quantityScale)
        quote = ledger.handle(quoteAsset, bookScale: priceScale + quantityScale)
    }

    /// The ledger handle of one of the book's assets.
    public func handle(_ leg: Leg) -> SimLedger.Handle { leg == .base ? base : quote }

    /// An account's balance of one of the book's assets, raw at the asset's ledger scale.
    public func balance(_ account: Int, _ leg: Leg) -> SimLedger.Balance { ledger.balance(account, handle(leg)) }

    /// Credits an account (a deposit): base at the quantity scale, quote at the quote scale.
    public func deposit(account: Int, base: Int64 = 0, quote: Int64 = 0) {
        ledger.credit(account, self.base, base)
        ledger.credit(account, self.quote, quote)
    }

    /// Moves `quote` (book scale) from one account's free balance to another's (a fill priced off the book).
    public func transfer(quote amount: Int64, from: Int, to: Int) {
        ledger.credit(from, self.quote, -amount)
        ledger.credit(to, self.quote, amount)
    }

    /// Matches an order against the book, then rests a GTC limit's remainder; IOC and market remainders expire,
    /// an FOK that cannot fill whole expires untouched.
    public mutating func submit(
        account: Int, side: Side, type: OrderType, timeInForce: TimeInForce, price: Price = .zero, quantity: Quantity
    ) -> SimSubmitResult {
        var order = SimOrder(
            id: nextOrderId, account: account, side: side, type: type, timeInForce: timeInForce, price: price, quantity: quantity)
        nextOrderId += 1
        guard quantity.raw > 0, side != .none else { return reject(order, .invalidQuantity) }
        if type == .limit && price.raw <= 0 { return reject(order, .invalidPrice) }
        // What the order may need, locked up front: a buy the quote for its worst case (at its limit, with the
        // higher of the two fees, since it may rest and pay the maker fee later), a sell its base.
        let lock: Int64
        if side == .sell {
            lock = quantity.raw
        } else if type == .limit {
            // One unit more than the fee: fees are rounded up per phase (taking, then resting), and two roundings
            // can exceed one by a unit.
            let notional = price.raw * quantity.raw
            lock = notional + FeeSchedule.fee(notional, centiBasisPoints: buyLockRate) + 1
        } else {
            guard let cost = marketBuyCost(quantity) else { return reject(order, .insufficientBalance) }
            lock = cost + FeeSchedule.fee(cost, centiBasisPoints: fees.takerCentiBasisPoints)
        }
        let asset = side == .sell ? base : quote
        guard ledger.lock(account, asset, lock) else { return reject(order, .insufficientBalance) }
        order.locked = lock
        if timeInForce == .fok && available(side: side, limit: type == .limit ? price : nil) < quantity.raw {
            ledger.unlock(account, asset, lock)
            order.locked = 0
            order.status = .expired
            return SimSubmitResult(order: order, fills: [])
        }
        var fills: [SimFill] = []
        while order.remaining.raw > 0, let best = bestOpposite(side), type == .market || crosses(side, order.price, best) {
            fills.append(take(from: side, taker: &order))
        }
        if order.remaining.raw > 0 && type == .limit && timeInForce == .gtc {
            order.status = order.filled.raw > 0 ? .partiallyFilled : .new
            // A resting sell keeps its remaining base locked; a buy keeps what its rest may still cost.
            let need = side == .sell ? order.remaining.raw : order.locked
            ledger.unlock(account, asset, order.locked - need)
            order.locked = need
            // Fees as a maker are rounded on the resting part's own fills, from here.
            order.totalFees += order.feesPaid
            order.filledNotional = 0
            order.feesPaid = 0
            rest(order)
        } else {
            ledger.unlock(account, asset, order.locked)
            order.locked = 0
            order.status = order.remaining.raw == 0 ? .filled : .expired
        }
        return SimSubmitResult(order: order, fills: fills)
    }

    /// The fee rate a buy's quote is locked with.
    var buyLockRate: Int64 { max(fees.takerCentiBasisPoints, fees.makerCentiBasisPoints) }

    /// Cancels a resting order. - Returns: the order as canceled, or nil if it is not resting (unknown, filled).
    public mutating func cancel(_ id: UInt64) -> SimOrder? {
        for side in [Side.buy, .sell] {
            let found: SimOrder? = withLevels(side) { levels in
                for l in levels.indices {
                    guard let k = levels[l].orders.firstIndex(where: { $0.id == id }) else { continue }
                    let order = levels[l].orders.remove(at: k)
                    if levels[l].orders.isEmpty { levels.remove(at: l) }
                    return order
                }
                return nil
            }
            if var order = found {
                ledger.unlock(order.account, side == .buy ? quote : base, order.locked)
                order.locked = 0
                order.status = .canceled
                return order
            }
        }
        return nil
    }

    /// Cancels a resting order known to rest at `price` on `side`: one binary search instead of a scan of the
    /// book (the market model's own orders). - Returns: the order as canceled, or nil if it is not there.
    public mutating func cancel(_ id: UInt64, side: Side, price: Price) -> SimOrder? {
        let found: SimOrder? = withLevels(side) { levels in
            guard let l = Self.index(of: price, in: levels, side: side),
                let k = levels[l].orders.firstIndex(where: { $0.id == id })
            else { return nil }
            let order = levels[l].orders.remove(at: k)
            if levels[l].orders.isEmpty { levels.remove(at: l) }
            return order
        }
        guard var order = found else { return nil }
        ledger.unlock(order.account, side == .buy ? quote : base, order.locked)
        order.locked = 0
        order.status = .canceled
        return order
    }

    /// Changes how much of a resting order (known to rest at `price` on `side`) is left: a reduction keeps its
    /// place in the queue, an increase goes to the back of its level, as venues treat amending. The order's
    /// lock follows (the account must hold what an increase needs).
    /// - Returns: false (nothing changed) if the order is not there or the account cannot lock the increase.
    public mutating func amend(_ id: UInt64, side: Side, price: Price, remaining: Quantity) -> Bool {
        precondition(remaining.raw > 0, "amend to a positive quantity; cancel to remove")
        guard let l = Self.index(of: price, in: side == .buy ? bids : asks, side: side),
            let k = (side == .buy ? bids : asks)[l].orders.firstIndex(where: { $0.id == id })
        else { return false }
        var order = (side == .buy ? bids : asks)[l].orders[k]
        let need: Int64
        if side == .sell {
            need = remaining.raw
        } else {
            let notional = price.raw * remaining.raw
            need = notional + FeeSchedule.fee(notional, centiBasisPoints: buyLockRate) + 1
        }
        let asset = side == .sell ? base : quote
        if need > order.locked {
            guard ledger.lock(order.account, asset, need - order.locked) else { return false }
        } else if need < order.locked {
            ledger.unlock(order.account, asset, order.locked - need)
        }
        let increase = remaining.raw > order.remaining.raw
        order.locked = need
        order.quantity = Quantity(raw: order.filled.raw + remaining.raw)
        let amended = order
        withLevels(side) { levels in
            if increase {
                levels[l].orders.remove(at: k)
                levels[l].orders.append(amended)
            } else {
                levels[l].orders[k] = amended
            }
        }
        return true
    }

    /// The total quantity resting at `price` on `side` (zero if none).
    public func quantity(_ side: Side, at price: Price) -> Quantity {
        let levels = side == .buy ? bids : asks
        guard let l = Self.index(of: price, in: levels, side: side) else { return .zero }
        return Quantity(raw: levels[l].orders.reduce(0) { $0 + $1.remaining.raw })
    }

    /// The best price of `side`, if any order rests there.
    public func best(_ side: Side) -> Price? { side == .buy ? bids.first?.price : asks.first?.price }

    /// A resting order by id (a scan: for order queries, not the matching path).
    public func order(_ id: UInt64) -> SimOrder? {
        for l in bids { if let o = l.orders.first(where: { $0.id == id }) { return o } }
        for l in asks { if let o = l.orders.first(where: { $0.id == id }) { return o } }
        return nil
    }

    /// The index of the level at `price` in `levels` (best first), by binary search.
    static func index(of price: Price, in levels: [Level], side: Side) -> Int? {
        var lo = 0
        var hi = levels.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let p = levels[mid].price
            if p == price { return mid }
            // Best first: bids descend, asks ascend.
            if side == .buy ? p > price : p < price { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    /// Runs `body` on one side's levels in place (no copy of the array for the mutation).
    mutating func withLevels<R>(_ side: Side, _ body: (inout [Level]) -> R) -> R {
        side == .buy ? body(&bids) : body(&asks)
    }

    /// The resting orders of `account`, best price first then time.
    public func openOrders(account: Int) -> [SimOrder] {
        (bids + asks).flatMap(\.orders).filter { $0.account == account }
    }

    /// Price levels with their total quantity, best first (the venue's depth).
    public func depth(_ side: Side, levels: Int = .max) -> [(price: Price, quantity: Quantity)] {
        (side == .buy ? bids : asks).prefix(levels).map { l in (l.price, Quantity(raw: l.orders.reduce(0) { $0 + $1.remaining.raw })) }
    }

    // MARK: - Matching

    func reject(_ order: SimOrder, _ why: SimReject) -> SimSubmitResult {
        var order = order
        order.status = .rejected(why)
        return SimSubmitResult(order: order, fills: [])
    }

    func bestOpposite(_ side: Side) -> Price? { side == .buy ? asks.first?.price : bids.first?.price }

    func crosses(_ side: Side, _ limit: Price, _ best: Price) -> Bool { side == .buy ? best <= limit : limit <= best }

    /// The quantity the opposite side offers at prices the order accepts (all of it for a market order).
    func available(side: Side, limit: Price?) -> Int64 {
        var total: Int64 = 0
        for l in side == .buy ? asks : bids {
            if let limit, !crosses(side, limit, l.price) { break }
            total += l.orders.reduce(0) { $0 + $1.remaining.raw }
        }
        return total
    }

    /// The quote a market buy of `quantity` would spend walking the asks, nil if they cannot fill it.
    func marketBuyCost(_ quantity: Quantity) -> Int64? {
        var left = quantity.raw
        var cost: Int64 = 0
        for l in asks {
            for o in l.orders {
                let q = min(left, o.remaining.raw)
                cost += q * l.price.raw
                left -= q
                if left == 0 { return cost }
            }
        }
        return nil
    }

    /// One fill against the first order of the best opposite level, settled in the ledger: the buyer's locked
    /// quote pays the notional and its fee, the seller's locked base goes to the buyer, the seller is credited
    /// the notional less its fee. A finished order's leftover lock is released.
    mutating func take(from side: Side, taker: inout SimOrder) -> SimFill {
        var maker = side == .buy ? asks[0].orders[0] : bids[0].orders[0]
        let price = side == .buy ? asks[0].price : bids[0].price
        let q = min(taker.remaining.raw, maker.remaining.raw)
        let notional = price.raw * q
        let makerFee = charge(&maker, notional, rate: fees.makerCentiBasisPoints)
        let takerFee = charge(&taker, notional, rate: fees.takerCentiBasisPoints)
        taker.filled = Quantity(raw: taker.filled.raw + q)
        maker.filled = Quantity(raw: maker.filled.raw + q)
        var buyer = side == .buy ? taker : maker
        var seller = side == .buy ? maker : taker
        let buyerFee = side == .buy ? takerFee : makerFee
        let sellerFee = side == .buy ? makerFee : takerFee
        ledger.spendLocked(buyer.account, quote, notional + buyerFee)
        buyer.locked -= notional + buyerFee
        ledger.credit(buyer.account, base, q)
        ledger.spendLocked(seller.account, base, q)
        seller.locked -= q
        ledger.credit(seller.account, quote, notional - sellerFee)
        ledger.collect(quote, fee: buyerFee + sellerFee)
        if side == .buy {
            taker = buyer
            maker = seller
        } else {
            taker = seller
            maker = buyer
        }
        if maker.remaining.raw == 0 {
            // A filled maker's leftover lock (a buy that traded below what it locked for) goes back.
            ledger.unlock(maker.account, maker.side == .buy ? quote : base, maker.locked)
            maker.locked = 0
            maker.status = .filled
            withLevels(side.opposite) { levels in
                levels[0].orders.removeFirst()
                if levels[0].orders.isEmpty { levels.removeFirst() }
            }
        } else {
            maker.status = .partiallyFilled
            let updated = maker
            withLevels(side.opposite) { $0[0].orders[0] = updated }
        }
        let fill = SimFill(
            tradeId: nextTradeId, makerOrder: maker.id, takerOrder: taker.id, makerAccount: maker.account,
            takerAccount: taker.account, takerSide: side, price: price, quantity: Quantity(raw: q), makerFee: makerFee,
            takerFee: takerFee)
        nextTradeId += 1
        return fill
    }

    /// The fee on one more fill of `order`: the fee on its cumulative notional less what it already paid.
    func charge(_ order: inout SimOrder, _ notional: Int64, rate: Int64) -> Int64 {
        order.filledNotional += notional
        let total = FeeSchedule.fee(order.filledNotional, centiBasisPoints: rate)
        let fee = total - order.feesPaid
        order.feesPaid = total
        return fee
    }

    /// Puts a limit order's rest on its side, behind the orders already at its price.
    mutating func rest(_ order: SimOrder) {
        let better: (Price, Price) -> Bool = order.side == .buy ? { $0 > $1 } : { $0 < $1 }
        withLevels(order.side) { levels in
            // Binary search for the first level not better than the order's price.
            var lo = 0
            var hi = levels.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if better(levels[mid].price, order.price) { lo = mid + 1 } else { hi = mid }
            }
            if lo < levels.count && levels[lo].price == order.price {
                levels[lo].orders.append(order)
            } else {
                levels.insert(Level(price: order.price, orders: [order]), at: lo)
            }
        }
    }
}
