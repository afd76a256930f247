import GantryCore

/// A venue's taker fee in hundredths of a basis point (100 = 1 bp = 0.01 %), so that fees such as 7.5 bp
/// stay exact.
public struct TakerFee: Sendable, Equatable, BitwiseCopyable {
    public let centiBasisPoints: Int64

    public init(centiBasisPoints: Int64) {
        precondition((0..<TakerFee.one).contains(centiBasisPoints), "a taker fee is between 0 and 100 %")
        self.centiBasisPoints = centiBasisPoints
    }

    public static func basisPoints(_ bp: Int64) -> TakerFee { TakerFee(centiBasisPoints: bp * 100) }

    /// 100 % in hundredths of a basis point.
    public static let one: Int64 = 1_000_000
}

/// The best price on one venue after its taker fee: what selling into its bid earns, or buying its ask
/// costs, per unit: `effective = price × (1 ∓ fee)`, exact as `price.raw × (10⁶ ∓ fee)`.
public struct EffectiveQuote: Sendable, Equatable, BitwiseCopyable {
    public let venue: VenueId
    public let level: BookLevel
    public let effective: Int128
}

/// The top of one instrument's book on every venue, and the best fee-adjusted bid and ask across them: the
/// view the cross-venue arbitrage strategy trades on. The ingest stage updates a venue's top whenever it
/// changes (or the book goes stale); queries look at a handful of venues without allocating. Only live
/// books take part.
public struct ConsolidatedBook: Sendable {
    public struct VenueTop: Sendable, BitwiseCopyable {
        public var venue: VenueId
        public var fee: TakerFee
        public var bid: BookLevel?
        public var ask: BookLevel?
        public var live: Bool
    }

    public private(set) var venues: [VenueTop]

    /// - Parameter fees: Each venue's taker fee; the venues' order is kept.
    public init(fees: [(VenueId, TakerFee)]) {
        venues = fees.map { VenueTop(venue: $0.0, fee: $0.1, bid: nil, ask: nil, live: false) }
    }

    /// Records a venue's top of book.
    public mutating func update(_ venue: VenueId, bid: BookLevel?, ask: BookLevel?, live: Bool) {
        for i in venues.indices where venues[i].venue == venue {
            venues[i].bid = bid
            venues[i].ask = ask
            venues[i].live = live
            return
        }
        preconditionFailure("\(venue) is not in this consolidated book")
    }

    /// Records a venue book's top as it is now.
    public mutating func update(from book: borrowing L2Book) {
        update(book.venue, bid: book.bids.best, ask: book.asks.best, live: book.state == .live)
    }

    /// The highest bid after fees (where selling earns most).
    public var bestBid: EffectiveQuote? { best(buySide: true) }

    /// The lowest ask after fees (where buying costs least).
    public var bestAsk: EffectiveQuote? { best(buySide: false) }

    /// Buy at the best ask on one venue and sell at the best bid on another, if that earns after both fees.
    /// - Returns: (buy, sell) quotes, or nil when there is no such opportunity.
    public var crossVenueOpportunity: (buy: EffectiveQuote, sell: EffectiveQuote)? {
        var found: (EffectiveQuote, EffectiveQuote)? = nil
        for a in venues where a.live {
            guard let ask = quote(a, buySide: false) else { continue }
            for b in venues where b.live && b.venue != a.venue {
                guard let bid = quote(b, buySide: true), bid.effective > ask.effective else { continue }
                if found == nil || bid.effective - ask.effective > found!.1.effective - found!.0.effective { found = (ask, bid) }
            }
        }
        return found.map { (buy: $0.0, sell: $0.1) }
    }

    func quote(_ top: VenueTop, buySide: Bool) -> EffectiveQuote? {
        guard let level = buySide ? top.bid : top.ask else { return nil }
        let factor = buySide ? TakerFee.one - top.fee.centiBasisPoints : TakerFee.one + top.fee.centiBasisPoints
        return EffectiveQuote(venue: top.venue, level: level, effective: Int128(level.price.raw) * Int128(factor))
    }

    func best(buySide: Bool) -> EffectiveQuote? {
        var best: EffectiveQuote? = nil
        for top in venues where top.live {
            guard let q = quote(top, buySide: buySide) else { continue }
            if best == nil || (buySide ? q.effective > best!.effective : q.effective < best!.effective) { best = q }
        }
        return best
    }
}
