/// A price in an instrument's price scale: `raw = price × 10^priceScale`.
///
/// The scale lives with the instrument (`Instrument.priceScale`), not in each value, so that an event stays
/// one cache line. Arithmetic traps on overflow; values of two instruments must not be mixed (convert
/// with `FixedPoint.rescale` first).
@frozen
public struct Price: Hashable, Comparable, Sendable, BitwiseCopyable {
    /// The mantissa.
    public var raw: Int64

    /// Wraps a mantissa already at the instrument's price scale.
    @inlinable public init(raw: Int64) { self.raw = raw }

    /// Parses a venue's decimal price text at `scale`. - Throws: `DecimalError`.
    @inlinable
    public init(parsing bytes: UnsafeRawBufferPointer, scale: Int) throws(DecimalError) {
        raw = try FixedPoint.parse(bytes, scale: scale)
    }

    /// Parses decimal text; traps on bad input (for configuration and tests, not for venue data).
    public init(_ text: String, scale: Int) {
        do { raw = try FixedPoint.parse(text, scale: scale) } catch { preconditionFailure("bad price \(text): \(error)") }
    }

    public static let zero = Price(raw: 0)

    @inlinable public static func < (a: Price, b: Price) -> Bool { a.raw < b.raw }
    @inlinable public static func + (a: Price, b: Price) -> Price { Price(raw: a.raw + b.raw) }
    @inlinable public static func - (a: Price, b: Price) -> Price { Price(raw: a.raw - b.raw) }

    /// The price as text at `scale`.
    public func text(scale: Int) -> String { FixedPoint.string(raw, scale: scale, trimTrailingZeros: true) }
}

/// A quantity in an instrument's quantity scale: `raw = quantity × 10^quantityScale`.
@frozen
public struct Quantity: Hashable, Comparable, Sendable, BitwiseCopyable {
    /// The mantissa.
    public var raw: Int64

    /// Wraps a mantissa already at the instrument's quantity scale.
    @inlinable public init(raw: Int64) { self.raw = raw }

    /// Parses a venue's decimal quantity text at `scale`. - Throws: `DecimalError`.
    @inlinable
    public init(parsing bytes: UnsafeRawBufferPointer, scale: Int) throws(DecimalError) {
        raw = try FixedPoint.parse(bytes, scale: scale)
    }

    /// Parses decimal text; traps on bad input (for configuration and tests, not for venue data).
    public init(_ text: String, scale: Int) {
        do { raw = try FixedPoint.parse(text, scale: scale) } catch { preconditionFailure("bad quantity \(text): \(error)") }
    }

    public static let zero = Quantity(raw: 0)

    @inlinable public var isZero: Bool { raw == 0 }
    @inlinable public static func < (a: Quantity, b: Quantity) -> Bool { a.raw < b.raw }
    @inlinable public static func + (a: Quantity, b: Quantity) -> Quantity { Quantity(raw: a.raw + b.raw) }
    @inlinable public static func - (a: Quantity, b: Quantity) -> Quantity { Quantity(raw: a.raw - b.raw) }

    /// The quantity as text at `scale`.
    public func text(scale: Int) -> String { FixedPoint.string(raw, scale: scale, trimTrailingZeros: true) }
}

/// Price × quantity, exact: `raw = notional × 10^(priceScale + quantityScale)` in 128 bits.
@frozen
public struct Notional: Hashable, Comparable, Sendable, BitwiseCopyable {
    public var raw: Int128
    @inlinable public init(raw: Int128) { self.raw = raw }

    /// The exact product of a price and a quantity of the same instrument.
    @inlinable
    public init(_ price: Price, _ quantity: Quantity) { raw = Int128(price.raw) * Int128(quantity.raw) }

    @inlinable public static func < (a: Notional, b: Notional) -> Bool { a.raw < b.raw }
    @inlinable public static func + (a: Notional, b: Notional) -> Notional { Notional(raw: a.raw + b.raw) }
    @inlinable public static func - (a: Notional, b: Notional) -> Notional { Notional(raw: a.raw - b.raw) }
}
