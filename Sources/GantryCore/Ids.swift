/// A venue, interned from configuration (`InstrumentRegistry`): 0 is "none".
@frozen
public struct VenueId: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var raw: UInt8
    @inlinable public init(raw: UInt8) { self.raw = raw }
    public static let none = VenueId(raw: 0)
    public var description: String { "venue#\(raw)" }
}

/// An instrument on one venue (BTCUSDT on Binance and BTC-USD on Coinbase are two ids), interned from
/// configuration: 0 is "none".
@frozen
public struct InstrumentId: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var raw: UInt32
    @inlinable public init(raw: UInt32) { self.raw = raw }
    public static let none = InstrumentId(raw: 0)
    public var description: String { "instrument#\(raw)" }
}

/// A strategy instance, interned from configuration: 0 is "none".
@frozen
public struct StrategyId: Hashable, Sendable, BitwiseCopyable {
    public var raw: UInt16
    @inlinable public init(raw: UInt16) { self.raw = raw }
    public static let none = StrategyId(raw: 0)
}

/// A gateway-assigned order id, unique for the life of a journal (the venue's clientOrderId): the strategy that
/// owns the order in the top 16 bits, a sequence below, so that whoever reads a report knows whose it is.
@frozen
public struct ClientOrderId: Hashable, Sendable, BitwiseCopyable {
    public var raw: UInt64
    @inlinable public init(raw: UInt64) { self.raw = raw }
    /// The id of `strategy`'s order number `sequence` (below 2^48).
    @inlinable
    public init(strategy: StrategyId, sequence: UInt64) { raw = UInt64(strategy.raw) << 48 | (sequence & 0xFFFF_FFFF_FFFF) }
    /// The strategy whose order this is.
    @inlinable public var strategy: StrategyId { StrategyId(raw: UInt16(truncatingIfNeeded: raw >> 48)) }
    /// The order's number within its strategy.
    @inlinable public var sequence: UInt64 { raw & 0xFFFF_FFFF_FFFF }
}

/// Nanoseconds: a point on a clock (monotonic or wall, by context) or a duration.
@frozen
public struct Nanos: Hashable, Comparable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var raw: Int64
    @inlinable public init(raw: Int64) { self.raw = raw }
    public static let zero = Nanos(raw: 0)
    @inlinable public static func < (a: Nanos, b: Nanos) -> Bool { a.raw < b.raw }
    @inlinable public static func + (a: Nanos, b: Nanos) -> Nanos { Nanos(raw: a.raw + b.raw) }
    @inlinable public static func - (a: Nanos, b: Nanos) -> Nanos { Nanos(raw: a.raw - b.raw) }
    @inlinable public static func microseconds(_ us: Int64) -> Nanos { Nanos(raw: us * 1_000) }
    @inlinable public static func milliseconds(_ ms: Int64) -> Nanos { Nanos(raw: ms * 1_000_000) }
    @inlinable public static func seconds(_ s: Int64) -> Nanos { Nanos(raw: s * 1_000_000_000) }
    public var description: String { "\(raw)ns" }
}

/// Buy or sell, as the venues say it; `none` where a side does not apply.
@frozen
public enum Side: UInt8, Sendable, BitwiseCopyable {
    case none = 0
    case buy = 1
    case sell = 2

    /// The other side.
    @inlinable public var opposite: Side {
        switch self {
        case .buy: .sell
        case .sell: .buy
        case .none: .none
        }
    }
}
