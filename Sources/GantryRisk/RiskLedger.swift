import GantryCore

/// One strategy's holding of one pair, from its fills, at the pair's scales.
@frozen
public struct RiskPosition: Sendable, BitwiseCopyable, Equatable {
    /// Base held (pair quantity scale); negative is short.
    public var quantity: Int64 = 0
    /// Quote received less quote paid, fees excluded (pair notional scale).
    public var cash: Int128 = 0
    /// Fees paid (pair notional scale).
    public var fees: Int128 = 0
    /// What the open quantity cost at entry (pair notional scale, signed like the quantity): the stop's reference.
    public var openCost: Int128 = 0
    /// Quantity of approved orders not finished yet, buys and sells (pair quantity scale).
    public var pendingBuy: Int64 = 0
    public var pendingSell: Int64 = 0

    public init() {}

    /// Mark-to-market PnL at `mid` (pair notional scale), fees included.
    @inlinable public func pnl(mid: Int64) -> Int128 { cash - fees + Int128(quantity) * Int128(mid) }
    /// The open position's gain (negative: loss) at `mid` against its entry cost (pair notional scale).
    @inlinable public func openGain(mid: Int64) -> Int128 { Int128(quantity) * Int128(mid) - openCost }

    /// Books a fill of `quantity` at `price` (pair scales).
    mutating func fill(_ side: Side, price: Int64, quantity q: Int64, fee: Int128) {
        let notional = Int128(price) * Int128(q)
        let signed = side == .buy ? q : -q
        if quantity == 0 || (quantity > 0) == (signed > 0) {
            openCost += side == .buy ? notional : -notional
        } else {
            // Reducing (or flipping): the closed part's entry cost leaves in proportion; a flip opens at this price.
            let closed = min(abs(signed), abs(quantity))
            openCost -= openCost * Int128(closed) / Int128(abs(quantity))
            let opened = abs(signed) - closed
            if opened > 0 { openCost = Int128(side == .buy ? 1 : -1) * Int128(price) * Int128(opened) }
        }
        quantity += signed
        cash += side == .buy ? -notional : notional
        self.fees += fee
        if quantity == 0 { openCost = 0 }
    }
}

/// A venue's balance of one asset as risk counts it: free, and reserved by approved orders not yet finished, at
/// the asset's scale (`RiskLedger.assetScale`).
@frozen
public struct RiskBalance: Sendable, BitwiseCopyable, Equatable {
    public var free: Int128 = 0
    public var reserved: Int128 = 0
    public init(free: Int128 = 0, reserved: Int128 = 0) {
        self.free = free
        self.reserved = reserved
    }
}

/// An approved order not yet finished: what it reserved and what is left of it.
@frozen
public struct OpenOrder: Sendable, BitwiseCopyable, Equatable {
    public var strategy: StrategyId
    public var pair: PairId
    public var venue: VenueId
    public var instrument: InstrumentId
    public var side: Side
    /// Venue quantity not filled yet.
    public var remaining: Int64
    /// The limit (venue price) and the fee rate reserved for.
    public var price: Int64
    public var feeCentiBasisPoints: Int64
    /// What is still reserved: quote for a buy, base for a sell (asset scale).
    public var reserved: Int128
}

/// Positions, balances and open orders: what risk knows of the money, updated from approvals and reports.
/// All amounts are exact: pair scales for positions, one scale per asset for balances (the largest the asset is
/// used at: quantity scale for a base, notional scale for a quote).
public struct RiskLedger: Sendable {
    public let universe: Universe
    /// By strategy (`StrategyId.raw − 1`), then by `PairId.raw`.
    public internal(set) var positions: [[RiskPosition]]
    /// By `VenueId.raw`, then by `AssetId.raw`.
    public internal(set) var balances: [[RiskBalance]]
    /// The fills on each venue as if one position per pair (by `VenueId.raw`, then `PairId.raw`): venue PnL.
    public internal(set) var venueFlows: [[RiskPosition]]
    /// Decimals of each asset's balances, by `AssetId.raw`.
    public let assetScale: [Int]
    /// Per pair: 10^(asset scale − pair scale) for its base (quantity) and for each listing's quote (notional).
    let baseFactor: [Int128]
    let quoteFactor: [Int128]
    /// Per pair: pair notional units in a cent.
    let unitsPerCent: [Int128]
    public internal(set) var openOrders: [ClientOrderId: OpenOrder] = [:]

    /// Each asset's balance scale, by `AssetId.raw`: the largest it is used at (quantity scale for a base, notional
    /// scale for a quote).
    public static func assetScales(_ universe: Universe) -> [Int] {
        var scale = Array(repeating: 0, count: universe.assetNames.count + 1)
        for p in universe.pairs {
            scale[Int(p.base.raw)] = max(scale[Int(p.base.raw)], p.quantityScale)
            for i in p.instruments {
                let q = Int(universe.listing(i).quote.raw)
                scale[q] = max(scale[q], p.priceScale + p.quantityScale)
            }
        }
        return scale
    }

    init(universe: Universe, strategies: Int) {
        self.universe = universe
        let pairs = universe.pairs.count + 1
        positions = Array(repeating: Array(repeating: RiskPosition(), count: pairs), count: strategies)
        let scale = Self.assetScales(universe)
        assetScale = scale
        baseFactor = [1] + universe.pairs.map { Int128(Universe.power(scale[Int($0.base.raw)] - $0.quantityScale)) }
        quoteFactor = universe.listings.map { l in
            l.pair == .none ? 1 : Int128(Universe.power(scale[Int(l.quote.raw)] - universe.pair(l.pair).priceScale - universe.pair(l.pair).quantityScale))
        }
        unitsPerCent = [1] + universe.pairs.map { Int128(Universe.power(max($0.priceScale + $0.quantityScale - 2, 0))) }
        balances = Array(repeating: Array(repeating: RiskBalance(), count: universe.assetNames.count + 1), count: universe.registry.venueNames.count + 1)
        venueFlows = Array(repeating: Array(repeating: RiskPosition(), count: pairs), count: universe.registry.venueNames.count + 1)
        openOrders.reserveCapacity(4_096)
    }

    /// Pair notional (pair scale) in cents, rounded toward zero.
    public func cents(_ notional: Int128, pair: PairId) -> Int64 { Int64(Exact.divide(notional, unitsPerCent[Int(pair.raw)])) }
    /// Cents in pair notional units.
    public func notional(cents: Int64, pair: PairId) -> Int128 { Int128(cents) * unitsPerCent[Int(pair.raw)] }

    /// Sets a venue's free balance of `asset` (decimal text at the asset's scale), as the venue reports it.
    public mutating func setBalance(venue: VenueId, asset: AssetId, free: Int128) {
        balances[Int(venue.raw)][Int(asset.raw)].free = free
    }

    /// What an order of `quantity` at `price` (venue scales) on `listing` needs: quote for a buy (with the taker
    /// fee, rounded up), base for a sell, at the asset's scale.
    func requirement(_ listing: Listing, side: Side, price: Int64, quantity: Int64, feeCentiBasisPoints: Int64) -> Int128 {
        if side == .sell { return Int128(listing.pairQuantity(Quantity(raw: quantity))) * baseFactor[Int(listing.pair.raw)] }
        let notional = Int128(listing.pairPrice(Price(raw: price))) * Int128(listing.pairQuantity(Quantity(raw: quantity)))
        // With the fee, rounded up: ⌈notional × (10⁶ + fee) / 10⁶⌉.
        let withFee = notional * (1_000_000 + Int128(feeCentiBasisPoints))
        let q = Exact.divide(withFee + 999_999, 1_000_000)
        return q * quoteFactor[Int(listing.instrument.raw)]
    }

    /// Reserves what an approved order needs and records it as open.
    mutating func open(_ id: ClientOrderId, _ intent: OrderIntent, quantity: Int64, listing: Listing, feeCentiBasisPoints: Int64) {
        let need = requirement(listing, side: intent.side, price: intent.price.raw, quantity: quantity, feeCentiBasisPoints: feeCentiBasisPoints)
        let asset = Int(intent.side == .buy ? listing.quote.raw : listing.base.raw)
        balances[Int(listing.venue.raw)][asset].free -= need
        balances[Int(listing.venue.raw)][asset].reserved += need
        let k = Int(intent.strategy.raw) - 1
        let pairQuantity = listing.pairQuantity(Quantity(raw: quantity))
        if intent.side == .buy { positions[k][Int(listing.pair.raw)].pendingBuy += pairQuantity } else { positions[k][Int(listing.pair.raw)].pendingSell += pairQuantity }
        openOrders[id] = OpenOrder(
            strategy: intent.strategy, pair: listing.pair, venue: listing.venue, instrument: listing.instrument, side: intent.side,
            remaining: quantity, price: intent.price.raw, feeCentiBasisPoints: feeCentiBasisPoints, reserved: need)
    }

    /// Books a report: a fill moves the position and the venue's balances (the reservation pays for it first); a
    /// final state releases what is still reserved. - Returns: false if the order is not one risk approved.
    @discardableResult
    mutating func apply(_ report: OrderReport) -> Bool {
        guard var order = openOrders[report.clientOrderId] else { return false }
        let listing = universe.listing(order.instrument)
        let k = Int(order.strategy.raw) - 1
        let p = Int(order.pair.raw)
        let venue = Int(order.venue.raw)
        let base = Int(listing.base.raw)
        let quote = Int(listing.quote.raw)
        if report.lastQuantity.raw > 0 {
            let q = min(report.lastQuantity.raw, order.remaining)
            let pairQ = listing.pairQuantity(Quantity(raw: q))
            let pairPrice = listing.pairPrice(report.price)
            let notional = Int128(pairPrice) * Int128(pairQ)
            // The fee is in the quote at the instrument's notional scale.
            let fee = Int128(report.fee) * Int128(listing.priceFactor) * Int128(listing.quantityFactor)
            positions[k][p].fill(order.side, price: pairPrice, quantity: pairQ, fee: fee)
            venueFlows[venue][p].fill(order.side, price: pairPrice, quantity: pairQ, fee: fee)
            let qf = quoteFactor[Int(listing.instrument.raw)]
            let bf = baseFactor[p]
            if order.side == .buy {
                positions[k][p].pendingBuy -= pairQ
                let paid = (notional + fee) * qf
                let release = order.remaining == q ? order.reserved : min(order.reserved, paid)
                balances[venue][quote].reserved -= release
                balances[venue][quote].free += release - paid
                order.reserved -= release
                balances[venue][base].free += Int128(pairQ) * bf
            } else {
                positions[k][p].pendingSell -= pairQ
                let sold = Int128(pairQ) * bf
                let release = min(order.reserved, sold)
                balances[venue][base].reserved -= release
                balances[venue][base].free += release - sold
                order.reserved -= release
                balances[venue][quote].free += (notional - fee) * qf
            }
            order.remaining -= q
        }
        // The order stays open until the venue's final word (which follows its fills), so that the final report
        // is recognised; a fully filled order has nothing reserved left by then.
        let final: Bool
        switch report.status {
        case .filled, .canceled, .rejected, .expired: final = true
        default: final = false
        }
        if final {
            let pairLeft = listing.pairQuantity(Quantity(raw: order.remaining))
            if order.side == .buy { positions[k][p].pendingBuy -= pairLeft } else { positions[k][p].pendingSell -= pairLeft }
            let asset = order.side == .buy ? quote : base
            balances[venue][asset].reserved -= order.reserved
            balances[venue][asset].free += order.reserved
            openOrders[report.clientOrderId] = nil
        } else {
            openOrders[report.clientOrderId] = order
        }
        return true
    }

    /// A strategy's net position in `pair` plus its pending orders on `side` (the worst case the order would make).
    func projected(_ strategy: Int, _ pair: PairId, adding quantity: Int64, side: Side) -> Int64 {
        let pos = positions[strategy][Int(pair.raw)]
        return side == .buy ? pos.quantity + pos.pendingBuy + quantity : pos.quantity - pos.pendingSell - quantity
    }
}
