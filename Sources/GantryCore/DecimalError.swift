/// Why a venue's decimal text could not become an exact fixed-point value.
public enum DecimalError: Error, Equatable, Sendable {
    /// The text has no bytes.
    case empty
    /// The byte at `offset` cannot appear there (a second point, a letter, a missing digit, …).
    case malformed(offset: Int)
    /// A non-zero digit lies beyond the requested number of decimals: storing it would round.
    case tooManyDecimals(scale: Int)
    /// The value does not fit an `Int64` mantissa at the requested scale.
    case overflow
    /// The scale is outside `0...FixedPoint.maxScale`.
    case scaleOutOfRange(Int)
}

extension DecimalError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .empty: "empty decimal"
        case .malformed(let offset): "malformed decimal at byte \(offset)"
        case .tooManyDecimals(let scale): "more than \(scale) significant decimals"
        case .overflow: "decimal overflows a 64-bit mantissa"
        case .scaleOutOfRange(let scale): "scale \(scale) outside 0...\(FixedPoint.maxScale)"
        }
    }
}
