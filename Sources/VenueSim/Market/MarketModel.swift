import GantryCore

/// A small, fast, seeded generator (xorshift64*): the simulator's only source of randomness, so that a seed
/// replays a whole session exactly.
public struct SimRandom: Sendable {
    var state: UInt64

    public init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    /// A uniform integer in 0..<n. Traps if n ≤ 0.
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0, "below(0)")
        return Int((next() >> 11) % UInt64(n))
    }

    /// True with probability `numerator / denominator`.
    public mutating func chance(_ numerator: Int, in denominator: Int) -> Bool { below(denominator) < numerator }

    /// True with probability `p` in millionths.
    public mutating func chance(ppm: Int) -> Bool { below(1_000_000) < ppm }
}

/// How an asset's price moves and how far the venues drift apart, in model units (the quote currency at
/// `MarketModel.scale` decimals, so that venues with different tick sizes share one price).
public struct MarketParameters: Sendable, Equatable {
    /// The starting fair price.
    public var start: Int64
    /// Standard deviation of the fair price's move over one second.
    public var volatilityPerSecond: Int64
    /// How often (per minute, per venue) a venue's price jumps away from the others…
    public var divergencesPerMinute: Int
    /// …by this much…
    public var divergence: Int64
    /// …and how long (milliseconds) it takes to come back, linearly.
    public var convergenceMilliseconds: Int

    public init(
        start: Int64, volatilityPerSecond: Int64, divergencesPerMinute: Int = 6, divergence: Int64 = 0, convergenceMilliseconds: Int = 2_000
    ) {
        precondition(start > 0 && volatilityPerSecond >= 0 && divergence >= 0 && divergencesPerMinute >= 0, "market parameters are positive")
        self.start = start
        self.volatilityPerSecond = volatilityPerSecond
        self.divergencesPerMinute = divergencesPerMinute
        self.divergence = divergence
        self.convergenceMilliseconds = max(1, convergenceMilliseconds)
    }
}

/// One asset's fair price as a random walk, and each venue's offset from it: mostly zero, now and then a jump
/// of `divergence` (up or down) that shrinks back to zero over `convergenceMilliseconds`, so that a price gap
/// between two venues opens and then closes, as cross-venue arbitrage sees it. Stepped at a fixed rate;
/// deterministic for a seed.
public struct MarketModel: Sendable {
    /// Decimals of the model's prices.
    public static let scale = 8
    public let parameters: MarketParameters
    public let stepsPerSecond: Int
    public private(set) var fair: Int64
    public private(set) var offsets: [Int64]
    var random: SimRandom
    /// The fair price moves this much up or down each step: variance per second = steps · move².
    let move: Int64
    /// Probability (ppm) of a venue's divergence per step.
    let divergePpm: Int
    /// How much an offset shrinks per step.
    let converge: Int64

    /// - Parameters:
    ///   - venues: How many venues quote the asset.
    ///   - stepsPerSecond: How often `advance` is called.
    public init(parameters: MarketParameters, venues: Int, stepsPerSecond: Int, seed: UInt64) {
        precondition(stepsPerSecond > 0 && venues > 0, "a model needs venues and a step rate")
        self.parameters = parameters
        self.stepsPerSecond = stepsPerSecond
        fair = parameters.start
        offsets = Array(repeating: 0, count: venues)
        random = SimRandom(seed: seed)
        var root: Int64 = 1
        while (root + 1) * (root + 1) <= Int64(stepsPerSecond) { root += 1 }
        move = parameters.volatilityPerSecond / root
        divergePpm = min(1_000_000, parameters.divergencesPerMinute * 1_000_000 / (60 * stepsPerSecond))
        let steps = max(1, Int64(parameters.convergenceMilliseconds) * Int64(stepsPerSecond) / 1_000)
        converge = max(1, parameters.divergence / steps)
    }

    /// Moves the model one step.
    public mutating func advance() {
        fair += random.chance(1, in: 2) ? move : -move
        fair = max(fair, parameters.start / 10 + parameters.divergence)
        for v in offsets.indices {
            if parameters.divergence > 0 && random.chance(ppm: divergePpm) {
                offsets[v] = random.chance(1, in: 2) ? parameters.divergence : -parameters.divergence
            } else if offsets[v] > 0 {
                offsets[v] = max(0, offsets[v] - converge)
            } else if offsets[v] < 0 {
                offsets[v] = min(0, offsets[v] + converge)
            }
        }
    }

    /// Moves the fair price by `delta` model units (a simulated chain's flows leading the market), kept above the
    /// same floor as the walk.
    public mutating func shift(by delta: Int64) { fair = max(fair + delta, parameters.start / 10 + parameters.divergence) }

    /// Moves a venue's price away from the others at once (it converges back as usual): a scripted opportunity.
    public mutating func diverge(venue: Int, by offset: Int64) { offsets[venue] = offset }

    /// A venue's mid price, in model units.
    public func mid(venue: Int) -> Int64 { fair + offsets[venue] }
}
