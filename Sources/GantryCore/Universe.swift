/// An asset (BTC, USDT, USD), interned from configuration: 0 is "none".
@frozen
public struct AssetId: Hashable, Sendable, BitwiseCopyable {
    public var raw: UInt16
    @inlinable public init(raw: UInt16) { self.raw = raw }
    public static let none = AssetId(raw: 0)
}

/// A pair traded on several venues under their own symbols (BTC/USD is Binance's BTCUSDT, Coinbase's BTC-USD and
/// Kraken's BTC/USD), interned from configuration: 0 is "none".
@frozen
public struct PairId: Hashable, Sendable, BitwiseCopyable {
    public var raw: UInt16
    @inlinable public init(raw: UInt16) { self.raw = raw }
    public static let none = PairId(raw: 0)
}

/// A pair: its base asset, the asset its prices are counted in, and one price and quantity scale that every
/// venue's listing converts to exactly (the largest of theirs), so that strategies and risk compare venues'
/// prices and add their quantities without rounding.
public struct TradingPair: Sendable, Equatable {
    public var id: PairId
    /// "BTC/USD".
    public var name: String
    public var base: AssetId
    /// The asset prices and PnL are counted in.
    public var quote: AssetId
    public var priceScale: Int
    public var quantityScale: Int
    /// Its listings' instruments, in configuration order.
    public var instruments: [InstrumentId]
}

/// One instrument as a listing of a pair: its venue, and the exact factors between its scales and the pair's.
@frozen
public struct Listing: Sendable, Equatable, BitwiseCopyable {
    public var instrument: InstrumentId
    public var venue: VenueId
    public var pair: PairId
    /// The venue's base asset (the pair's base).
    public var base: AssetId
    /// The venue's quote asset, which its balances hold (USDT at Binance for the pair BTC/USD).
    public var quote: AssetId
    /// 10^(pair price scale − instrument price scale).
    public var priceFactor: Int64
    /// 10^(pair quantity scale − instrument quantity scale).
    public var quantityFactor: Int64
    /// The instrument's tick and lot, at its own scales.
    public var tick: Int64
    public var lot: Int64

    /// A venue price at the pair's scale (exact).
    @inlinable public func pairPrice(_ price: Price) -> Int64 { price.raw &* priceFactor }
    /// A venue quantity at the pair's scale (exact).
    @inlinable public func pairQuantity(_ quantity: Quantity) -> Int64 { quantity.raw &* quantityFactor }

    /// A pair-scale price as this venue's price on its tick grid: rounded down for a buy's limit (never pay more
    /// than asked), up for a sell's (never sell for less).
    @inlinable
    public func venuePrice(_ pairPrice: Int64, side: Side) -> Price {
        let unit = priceFactor &* tick
        var ticks = pairPrice / unit
        if side == .sell && ticks &* unit < pairPrice { ticks += 1 }
        return Price(raw: ticks &* tick)
    }

    /// A pair-scale quantity as this venue's quantity, rounded down to its lot.
    @inlinable
    public func venueQuantity(_ pairQuantity: Int64) -> Quantity {
        let unit = quantityFactor &* lot
        return Quantity(raw: (pairQuantity / unit) &* lot)
    }
}

/// Why the pairs could not be built.
public enum UniverseError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownInstrument(InstrumentId)
    case listedTwice(InstrumentId)
    case badPairName(String)
    case scaleTooLarge(pair: String)

    public var description: String {
        switch self {
        case .unknownInstrument(let i): "\(i) is not configured"
        case .listedTwice(let i): "\(i) is listed in two pairs"
        case .badPairName(let n): "pair \"\(n)\" is not BASE/QUOTE"
        case .scaleTooLarge(let p): "pair \(p): its listings' scales differ by more than 18 decimals"
        }
    }
}

/// The assets and pairs Gantry trades, and each instrument's listing: built once from configuration; every table is
/// a plain array indexed by id.
public struct Universe: Sendable {
    public let registry: InstrumentRegistry
    public private(set) var assetNames: [String] = []
    public private(set) var pairs: [TradingPair] = []
    /// By `InstrumentId.raw`; index 0 and unlisted instruments hold a listing with `pair == .none`.
    public private(set) var listings: [Listing]

    /// One listing of an instrument: which pair it trades and the venue's quote asset (the pair's quote if nil).
    public struct ListingSpec: Sendable, Equatable {
        public var instrument: InstrumentId
        /// "BTC/USD".
        public var pair: String
        public var venueQuote: String?
        public init(instrument: InstrumentId, pair: String, venueQuote: String? = nil) {
            self.instrument = instrument
            self.pair = pair
            self.venueQuote = venueQuote
        }
    }

    public init(registry: InstrumentRegistry, listings specs: [ListingSpec]) throws(UniverseError) {
        self.registry = registry
        let blank = Listing(
            instrument: .none, venue: .none, pair: .none, base: .none, quote: .none, priceFactor: 1, quantityFactor: 1, tick: 1, lot: 1)
        listings = Array(repeating: blank, count: registry.instruments.count + 1)
        var members: [String: [Instrument]] = [:]
        var order: [String] = []
        var listed = Set<InstrumentId>()
        for spec in specs {
            guard let instrument = registry.instrument(spec.instrument) else { throw .unknownInstrument(spec.instrument) }
            guard listed.insert(instrument.id).inserted else { throw .listedTwice(spec.instrument) }
            let parts = spec.pair.split(separator: "/")
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw .badPairName(spec.pair) }
            if members[spec.pair] == nil { order.append(spec.pair) }
            members[spec.pair, default: []].append(instrument)
            let base = intern(asset: String(parts[0]))
            let quote = intern(asset: spec.venueQuote ?? String(parts[1]))
            listings[Int(spec.instrument.raw)] = Listing(
                instrument: instrument.id, venue: instrument.venue, pair: .none, base: base, quote: quote, priceFactor: 1,
                quantityFactor: 1, tick: instrument.tickSize.raw, lot: instrument.lotSize.raw)
        }
        for name in order {
            let list = members[name]!
            let parts = name.split(separator: "/")
            let priceScale = list.map(\.priceScale).max()!
            let quantityScale = list.map(\.quantityScale).max()!
            guard list.allSatisfy({ priceScale - $0.priceScale <= 18 && quantityScale - $0.quantityScale <= 18 }) else {
                throw .scaleTooLarge(pair: name)
            }
            let id = PairId(raw: UInt16(pairs.count + 1))
            pairs.append(
                TradingPair(
                    id: id, name: name, base: intern(asset: String(parts[0])), quote: intern(asset: String(parts[1])),
                    priceScale: priceScale, quantityScale: quantityScale, instruments: list.map(\.id)))
            for instrument in list {
                listings[Int(instrument.id.raw)].pair = id
                listings[Int(instrument.id.raw)].priceFactor = Self.power(priceScale - instrument.priceScale)
                listings[Int(instrument.id.raw)].quantityFactor = Self.power(quantityScale - instrument.quantityScale)
            }
        }
    }

    private mutating func intern(asset: String) -> AssetId {
        if let i = assetNames.firstIndex(of: asset) { return AssetId(raw: UInt16(i + 1)) }
        assetNames.append(asset)
        return AssetId(raw: UInt16(assetNames.count))
    }

    /// 10^n (n ≤ 18).
    public static func power(_ n: Int) -> Int64 { (0..<n).reduce(Int64(1)) { p, _ in p * 10 } }

    /// The listing of `instrument` (`pair == .none` if it is not traded).
    @inlinable public func listing(_ instrument: InstrumentId) -> Listing { listings[Int(instrument.raw)] }

    /// The pair with `id`.
    @inlinable public func pair(_ id: PairId) -> TradingPair { pairs[Int(id.raw) - 1] }

    /// The pair named `name` ("BTC/USD").
    public func pair(named name: String) -> TradingPair? { pairs.first { $0.name == name } }

    /// The asset named `name`.
    public func asset(named name: String) -> AssetId? {
        assetNames.firstIndex(of: name).map { AssetId(raw: UInt16($0 + 1)) }
    }

    /// The name of `asset`.
    public func name(of asset: AssetId) -> String {
        asset.raw >= 1 && Int(asset.raw) <= assetNames.count ? assetNames[Int(asset.raw) - 1] : "?"
    }

    /// The listing of `pair` on `venue`, if the pair trades there.
    public func listing(pair: PairId, venue: VenueId) -> Listing? {
        guard pair != .none else { return nil }
        for id in self.pair(pair).instruments where listings[Int(id.raw)].venue == venue { return listings[Int(id.raw)] }
        return nil
    }
}
