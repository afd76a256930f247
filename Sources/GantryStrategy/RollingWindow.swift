/// The last `capacity` samples of a fixed-point series, with their exact sum and sum of squares, for moving
/// averages and bands without floating point. Storage is allocated once at `init`.
public struct RollingWindow: Sendable {
    public let capacity: Int
    var samples: [Int64]
    var next = 0
    public private(set) var count = 0
    var sum: Int128 = 0
    var sumOfSquares: Int128 = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "a window holds at least one sample")
        self.capacity = capacity
        samples = Array(repeating: 0, count: capacity)
    }

    public var isFull: Bool { count == capacity }

    /// Adds a sample, dropping the oldest when full.
    public mutating func add(_ x: Int64) {
        if count == capacity {
            let old = samples[next]
            sum -= Int128(old)
            sumOfSquares -= Int128(old) * Int128(old)
        } else {
            count += 1
        }
        samples[next] = x
        sum += Int128(x)
        sumOfSquares += Int128(x) * Int128(x)
        next = next + 1 == capacity ? 0 : next + 1
    }

    /// The mean, rounded toward zero (nil when empty).
    public var mean: Int64? { count == 0 ? nil : Int64(sum / Int128(count)) }

    /// The population standard deviation, rounded down (nil when empty): √(n·Σx² − (Σx)²) / n, exact integers.
    public var standardDeviation: Int64? {
        guard count > 0 else { return nil }
        let n = Int128(count)
        let scaled = n * sumOfSquares - sum * sum  // n² × variance, ≥ 0
        return Int64(Self.squareRoot(max(scaled, 0)) / n)
    }

    /// ⌊√x⌋ for x ≥ 0 (Newton's method on integers).
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
