// The level changes every venue benchmark decodes and applies (the ordo-one suite's per-venue decode+apply
// and gantry-decode-bench, whose messages the Python peers read too): 64 diffs of 10 levels, 5 bids and 5 asks
// within 12 ticks of the top of a 1,000-level book, a quarter of them removals.
import GantryCore

/// The benchmark's level changes: prices at scale 2, quantities at scale 8.
public enum BenchDiffs {
    public static let bestBid: Int64 = 9_712_345
    public static let bestAsk: Int64 = 9_712_346

    /// Diff `k` of 64: five bids, then five asks.
    public static func levels(_ k: Int) -> [(side: Side, price: Int64, quantity: Int64)] {
        var out: [(Side, Int64, Int64)] = []
        for (side, base, sign) in [(Side.buy, bestBid, Int64(-1)), (.sell, bestAsk, 1)] {
            for i in 0..<5 {
                let quantity: Int64 = (k + i) % 4 == 0 ? 0 : Int64((k * 7 + i) % 1000) * 100_000
                out.append((side, base + sign * Int64((k + i * 3) % 12), quantity))
            }
        }
        return out
    }

    public static func text(_ raw: Int64, _ scale: Int, trim: Bool = true) -> String {
        FixedPoint.string(raw, scale: scale, trimTrailingZeros: trim)
    }

    /// The 1,000 best levels of each side at quantity 1.
    public static func snapshotLevels() -> [(side: Side, price: Int64, quantity: Int64)] {
        (0..<1_000).map { (Side.buy, bestBid - Int64($0), 100_000_000) } + (0..<1_000).map { (Side.sell, bestAsk + Int64($0), 100_000_000) }
    }

    /// Binance's REST snapshot body for the 1,000 best levels a side (8-decimal strings as Binance sends them).
    public static func binanceSnapshot() -> [UInt8] {
        func side(_ s: Side) -> String {
            snapshotLevels().filter { $0.side == s }.map { #"["\#(text($0.price, 2, trim: false))000000","1.00000000"]"# }.joined(separator: ",")
        }
        return Array(#"{"lastUpdateId":1000000,"bids":[\#(side(.buy))],"asks":[\#(side(.sell))]}"#.utf8)
    }

    /// The 64 diffs as Binance combined-stream depthUpdate messages, all with U = u = 1000001 (a benchmark
    /// sets the book's sequence back before each).
    public static func binanceMessages() -> [[UInt8]] {
        (0..<64).map { k in
            func side(_ s: Side) -> String {
                levels(k).filter { $0.side == s }.map {
                    #"["\#(text($0.price, 2, trim: false))000000","\#(text($0.quantity, 8, trim: false))"]"#
                }.joined(separator: ",")
            }
            return Array((#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1764000000000,"s":"BTCUSDT","U":1000001,"u":1000001,"#
                + #""b":[\#(side(.buy))],"a":[\#(side(.sell))]}}"#).utf8)
        }
    }
}
