import GantryCore

/// Turns the on-chain adapter's flows — each in its token's smallest unit — into what the strategies take: a
/// common number of decimals for every token (`[[chains]] flow_decimals`), as `Int64` (a finer remainder dropped
/// toward zero; beyond `Int64`, clamped).
public struct FlowScaling: Sendable {
    /// By token index: multiply by `up`, then divide by `down` (one of them is 1).
    @usableFromInline let factors: [(up: Int128, down: Int128)]

    /// - Parameters:
    ///   - tokenDecimals: Each configured token's decimals, by the adapter's token index.
    ///   - decimals: The strategies' decimals.
    public init(tokenDecimals: [Int], decimals: Int) {
        factors = tokenDecimals.map { d in
            var p: Int128 = 1
            for _ in 0..<abs(decimals - d) { p *= 10 }
            return decimals >= d ? (p, 1) : (1, p)
        }
    }

    /// `value` (token `token`'s smallest unit) at the strategies' decimals.
    @inlinable
    public func scaled(_ value: Int128, token: Int) -> Int64 {
        guard token < factors.count else { return 0 }
        let (up, down) = factors[token]
        let (product, overflow) = value.multipliedReportingOverflow(by: up)
        if overflow { return value < 0 ? .min : .max }
        let v = product / down
        return v > Int128(Int64.max) ? .max : v < Int128(Int64.min) ? .min : Int64(v)
    }
}
