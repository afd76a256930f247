/// What `Price` and `Quantity` share: an `Int64` mantissa at a scale held by the instrument, parsed from a
/// venue's decimal text, compared and added by mantissa (overflow traps).
public protocol FixedPointValue: Hashable, Comparable, Sendable, BitwiseCopyable {
    /// The mantissa.
    var raw: Int64 { get set }
    /// Wraps a mantissa already at the instrument's scale.
    init(raw: Int64)
}

extension FixedPointValue {
    /// Parses a venue's decimal text at `scale`. - Throws: `DecimalError`.
    @inlinable
    public init(parsing bytes: UnsafeRawBufferPointer, scale: Int) throws(DecimalError) {
        self.init(raw: try FixedPoint.parse(bytes, scale: scale))
    }

    /// Parses decimal text; traps on bad input (for configuration and tests, not for venue data).
    public init(_ text: String, scale: Int) {
        do {
            self.init(raw: try FixedPoint.parse(text, scale: scale))
        } catch {
            preconditionFailure("bad decimal \(text) at scale \(scale): \(error)")
        }
    }

    public static var zero: Self { Self(raw: 0) }
    @inlinable public var isZero: Bool { raw == 0 }
    @inlinable public static func < (a: Self, b: Self) -> Bool { a.raw < b.raw }
    @inlinable public static func + (a: Self, b: Self) -> Self { Self(raw: a.raw + b.raw) }
    @inlinable public static func - (a: Self, b: Self) -> Self { Self(raw: a.raw - b.raw) }

    /// The value as decimal text at `scale`, without trailing zeros (allocates: not for the hot path).
    public func text(scale: Int) -> String { FixedPoint.string(raw, scale: scale, trimTrailingZeros: true) }
}

/// A price in an instrument's price scale: `raw = price × 10^priceScale`.
///
/// The scale lives with the instrument (`Instrument.priceScale`), not in each value, so that an event stays
/// one cache line. Values of two instruments must not be mixed (convert with `FixedPoint.rescale` first).
@frozen
public struct Price: FixedPointValue {
    public var raw: Int64
    @inlinable public init(raw: Int64) { self.raw = raw }
}

/// A quantity in an instrument's quantity scale: `raw = quantity × 10^quantityScale`.
@frozen
public struct Quantity: FixedPointValue {
    public var raw: Int64
    @inlinable public init(raw: Int64) { self.raw = raw }
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
