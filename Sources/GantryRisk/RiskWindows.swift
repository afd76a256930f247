import GantryCore

/// The times of the last `limit` orders: whether one more fits within a second. Storage fixed at init.
struct RateWindow: Sendable {
    var times: [Nanos]
    var next = 0
    var count = 0

    init(limit: Int) { times = Array(repeating: .zero, count: max(limit, 1)) }

    /// The orders in the last second (at most the limit).
    func recent(_ now: Nanos) -> Int {
        var n = 0
        for k in 0..<count where now - times[k] < .seconds(1) { n += 1 }
        return n
    }

    /// Whether one more order fits: fewer than the limit, or the oldest kept is a second old.
    func allows(_ now: Nanos) -> Bool { count < times.count || now - times[next] >= .seconds(1) }

    mutating func record(_ now: Nanos) {
        times[next] = now
        next = next + 1 == times.count ? 0 : next + 1
        count = min(count + 1, times.count)
    }
}

/// The notional already approved for recent signals (cents): a small hash table (4 slots probed per signal id),
/// where a new signal takes an empty slot or the least recently used of its four. A signal's intents come
/// together, so only a signal idle through thousands of others could lose its count. Storage fixed at init.
struct SignalTable: Sendable {
    var ids: [UInt64]
    var cents: [Int64]
    var used: [UInt64]
    var tick: UInt64 = 0
    let mask: Int

    init(capacity: Int = 4_096) {
        precondition(capacity > 4 && capacity & (capacity - 1) == 0, "a power of two")
        ids = Array(repeating: 0, count: capacity)
        cents = Array(repeating: 0, count: capacity)
        used = Array(repeating: 0, count: capacity)
        mask = capacity - 1
    }

    @inline(__always) func home(_ signal: UInt64) -> Int { Int(truncatingIfNeeded: (signal &* 0x9E37_79B9_7F4A_7C15) >> 52) & mask }

    func used(_ signal: UInt64) -> Int64 {
        let h = home(signal)
        for k in 0..<4 where ids[(h + k) & mask] == signal && used[(h + k) & mask] != 0 { return cents[(h + k) & mask] }
        return 0
    }

    mutating func add(_ signal: UInt64, _ amount: Int64) {
        tick += 1
        let h = home(signal)
        var victim = h
        for k in 0..<4 {
            let i = (h + k) & mask
            if used[i] != 0 && ids[i] == signal {
                cents[i] += amount
                used[i] = tick
                return
            }
            if used[i] < used[victim] { victim = i }
        }
        ids[victim] = signal
        cents[victim] = amount
        used[victim] = tick
    }
}

/// Equity samples over a window: the highest in it, for the one-hour drawdown kill trigger.
struct EquityWindow: Sendable {
    var times: [Nanos]
    var values: [Int64]
    var next = 0
    var count = 0

    init(capacity: Int) {
        times = Array(repeating: .zero, count: capacity)
        values = Array(repeating: 0, count: capacity)
    }

    mutating func add(_ value: Int64, at now: Nanos) {
        times[next] = now
        values[next] = value
        next = next + 1 == times.count ? 0 : next + 1
        count = min(count + 1, times.count)
    }

    /// The highest sample taken within `window` of `now`.
    func peak(within window: Nanos, now: Nanos) -> Int64? {
        var best: Int64? = nil
        for k in 0..<count where now - times[k] <= window { best = max(best ?? .min, values[k]) }
        return best
    }
}

/// Correlation of two rolling series from their sums, exact until the final comparison: whether
/// corr(x, y) ≥ threshold/100, with corr = (nΣxy − ΣxΣy) / √((nΣx² − (Σx)²)(nΣy² − (Σy)²)).
enum Correlation {
    static func reaches(_ x: [Int64], _ y: [Int64], thresholdHundredths t: Int64) -> Bool {
        guard let c = hundredths(x, y) else { return false }
        return c >= t
    }

    /// The correlation in hundredths (rounded toward zero), nil if either series is constant or too short.
    static func hundredths(_ x: [Int64], _ y: [Int64]) -> Int64? {
        let n = min(x.count, y.count)
        guard n >= 3 else { return nil }
        var sx: Int128 = 0, sy: Int128 = 0, sxx: Int128 = 0, syy: Int128 = 0, sxy: Int128 = 0
        for k in 0..<n {
            let a = Int128(x[k]), b = Int128(y[k])
            sx += a
            sy += b
            sxx += a * a
            syy += b * b
            sxy += a * b
        }
        let nn = Int128(n)
        let cov = nn * sxy - sx * sy
        let vx = nn * sxx - sx * sx
        let vy = nn * syy - sy * sy
        guard vx > 0, vy > 0 else { return nil }
        // corr × 100 = 100·cov / √(vx·vy); √ of the product by ⌊√vx⌋·⌊√vy⌋ loses too much for small variances,
        // so divide by each root with one more digit of precision.
        let rx = squareRoot(vx * 10_000)
        let ry = squareRoot(vy * 10_000)
        guard rx > 0, ry > 0 else { return nil }
        // 100 · cov / (√vx · √vy) = 100 · cov · 10⁴ / (rx · ry)
        return Int64(cov * 1_000_000 / (rx * ry))
    }

    static func squareRoot(_ x: Int128) -> Int128 {
        if x < 2 { return x }
        var r = Int128(1) << ((128 - x.leadingZeroBitCount) / 2 + 1)
        while true {
            let next = (r + x / r) / 2
            if next >= r { return r }
            r = next
        }
    }
}
