/// Up to 24 bytes of a venue symbol ("BTCUSDT", "BTC-USD", "XBT/USD") held inline, so that a decoder can look
/// an instrument up from the bytes it is parsing without building a `String`.
@frozen
public struct SymbolKey: Hashable, Sendable, BitwiseCopyable {
    public static let capacity = 24
    @usableFromInline var w0: UInt64 = 0
    @usableFromInline var w1: UInt64 = 0
    @usableFromInline var w2: UInt64 = 0
    @usableFromInline var length: UInt8 = 0

    /// The key of `bytes`, or nil if longer than `capacity`.
    @inlinable
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= Self.capacity else { return nil }
        length = UInt8(bytes.count)
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &words) { dst in
            // SAFETY: bytes.count <= 24 == dst.count.
            dst.copyMemory(from: bytes)
        }
        (w0, w1, w2) = words
    }

    /// The key of a symbol string, or nil if longer than `capacity` bytes.
    public init?(_ symbol: String) {
        var symbol = symbol
        guard let key = symbol.withUTF8({ SymbolKey(UnsafeRawBufferPointer($0)) }) else { return nil }
        self = key
    }
}

/// One tradable instrument on one venue, as configured.
public struct Instrument: Sendable, Equatable {
    public var id: InstrumentId
    public var venue: VenueId
    /// The venue's own symbol ("BTCUSDT").
    public var symbol: String
    /// Decimals of prices: tick size and every price are integers at this scale.
    public var priceScale: Int
    /// Decimals of quantities.
    public var quantityScale: Int
    /// Smallest price increment, at `priceScale`.
    public var tickSize: Price
    /// Smallest quantity increment, at `quantityScale`.
    public var lotSize: Quantity
}

/// What an instrument definition needs before it is interned.
public struct InstrumentSpec: Sendable, Equatable {
    public var venue: String
    public var symbol: String
    public var tickSize: String
    public var lotSize: String
    public var priceScale: Int
    public var quantityScale: Int

    /// - Parameters:
    ///   - tickSize, lotSize: Decimal text as the venue publishes it ("0.01", "0.00001").
    ///   - priceScale, quantityScale: Decimals kept; each must hold its increment exactly.
    public init(venue: String, symbol: String, tickSize: String, lotSize: String, priceScale: Int, quantityScale: Int) {
        self.venue = venue
        self.symbol = symbol
        self.tickSize = tickSize
        self.lotSize = lotSize
        self.priceScale = priceScale
        self.quantityScale = quantityScale
    }
}

/// Why a set of instruments cannot be interned.
public enum InstrumentError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooManyVenues
    case duplicate(venue: String, symbol: String)
    case symbolTooLong(String)
    case badIncrement(symbol: String, field: String, DecimalError)
    case nonPositiveIncrement(symbol: String, field: String)

    public var description: String {
        switch self {
        case .tooManyVenues: "more than 255 venues"
        case .duplicate(let v, let s): "instrument \(s) is configured twice on \(v)"
        case .symbolTooLong(let s): "symbol \(s) is longer than \(SymbolKey.capacity) bytes"
        case .badIncrement(let s, let f, let e): "\(s): \(f) is not exact at its scale: \(e)"
        case .nonPositiveIncrement(let s, let f): "\(s): \(f) must be greater than zero"
        }
    }
}

/// Venues and instruments interned to small integer ids from configuration, once, at start-up.
///
/// Ids are dense from 1 in configuration order, so tables indexed by id are plain arrays.
public struct InstrumentRegistry: Sendable {
    public private(set) var venueNames: [String] = []
    public private(set) var instruments: [Instrument] = []
    private var venueIndex: [String: VenueId] = [:]
    private var symbolIndex: [SymbolLookupKey: InstrumentId] = [:]

    private struct SymbolLookupKey: Hashable, Sendable {
        var venue: VenueId
        var symbol: SymbolKey
    }

    /// Interns `specs` in order. - Throws: `InstrumentError` for the first bad spec.
    public init(_ specs: [InstrumentSpec]) throws(InstrumentError) {
        for spec in specs {
            let venue = try intern(venue: spec.venue)
            guard let key = SymbolKey(spec.symbol) else { throw .symbolTooLong(spec.symbol) }
            let lookup = SymbolLookupKey(venue: venue, symbol: key)
            guard symbolIndex[lookup] == nil else { throw .duplicate(venue: spec.venue, symbol: spec.symbol) }
            let tick: Int64
            let lot: Int64
            do throws(DecimalError) {
                tick = try FixedPoint.parse(spec.tickSize, scale: spec.priceScale)
            } catch {
                throw .badIncrement(symbol: spec.symbol, field: "tick_size", error)
            }
            do throws(DecimalError) {
                lot = try FixedPoint.parse(spec.lotSize, scale: spec.quantityScale)
            } catch {
                throw .badIncrement(symbol: spec.symbol, field: "lot_size", error)
            }
            guard tick > 0 else { throw .nonPositiveIncrement(symbol: spec.symbol, field: "tick_size") }
            guard lot > 0 else { throw .nonPositiveIncrement(symbol: spec.symbol, field: "lot_size") }
            let id = InstrumentId(raw: UInt32(instruments.count + 1))
            instruments.append(
                Instrument(
                    id: id, venue: venue, symbol: spec.symbol, priceScale: spec.priceScale,
                    quantityScale: spec.quantityScale, tickSize: Price(raw: tick), lotSize: Quantity(raw: lot)))
            symbolIndex[lookup] = id
        }
    }

    private mutating func intern(venue name: String) throws(InstrumentError) -> VenueId {
        if let id = venueIndex[name] { return id }
        guard venueNames.count < 255 else { throw .tooManyVenues }
        venueNames.append(name)
        let id = VenueId(raw: UInt8(venueNames.count))
        venueIndex[name] = id
        return id
    }

    /// The id of a venue name, if configured.
    public func venue(named name: String) -> VenueId? { venueIndex[name] }

    /// The name of a venue id.
    public func name(of venue: VenueId) -> String? {
        let i = Int(venue.raw) - 1
        return venueNames.indices.contains(i) ? venueNames[i] : nil
    }

    /// The instrument with `id`, if any.
    public func instrument(_ id: InstrumentId) -> Instrument? {
        let i = Int(id.raw) - 1
        return instruments.indices.contains(i) ? instruments[i] : nil
    }

    /// Looks up the instrument a venue calls `symbol`, from the bytes in a message: no allocation.
    public func instrument(venue: VenueId, symbol: UnsafeRawBufferPointer) -> InstrumentId? {
        guard let key = SymbolKey(symbol) else { return nil }
        return symbolIndex[SymbolLookupKey(venue: venue, symbol: key)]
    }

    /// Looks up the instrument a venue calls `symbol`.
    public func instrument(venue: VenueId, symbol: String) -> InstrumentId? {
        guard let key = SymbolKey(symbol) else { return nil }
        return symbolIndex[SymbolLookupKey(venue: venue, symbol: key)]
    }
}
