/// Which deciding stage a `StageTick` is of.
public enum DecidingStage: UInt8, Sendable, BitwiseCopyable {
    /// The strategies and the router: market events, order reports, control and venue health in; intents out.
    case signal = 1
    /// The risk engine: the same inputs and the intents in; decisions out.
    case risk = 2
}

/// One poll of a deciding stage that could have changed what it decides: it took input, a timer of its came due,
/// or it made output. It says when the stage read its clock and how many events it took from each ring, so that a
/// replay of the journal hands the stage the same batches at the same times and gets the same intents and
/// decisions, bit for bit. 56 bytes.
@frozen
public struct StageTick: Sendable, BitwiseCopyable, Equatable {
    /// Market rings a tick can count (a stage's fan-in reads one ring per traded venue).
    public static let marketRingCapacity = 8

    public var stage: DecidingStage
    /// The stage's market rings (the first `marketRings` of `market` and `marketVenues` are used).
    public var marketRings: UInt8
    /// Order reports, control events, venue health updates, intents (risk only) and on-chain flow events (signal
    /// only) taken.
    public var reports: UInt16
    public var control: UInt16
    public var health: UInt16
    public var intents: UInt16
    public var flows: UInt16
    public var reserved2: UInt32 = 0
    /// The stage's clock reading for the poll (monotonic ns).
    public var time: Nanos
    /// The stage's ticks, counted from 1.
    public var sequence: UInt64
    /// Events taken from each market ring, and the venue each ring carries.
    public var market: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16)
    public var marketVenues: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    @inlinable
    public init(stage: DecidingStage, time: Nanos, sequence: UInt64) {
        self.stage = stage
        self.time = time
        self.sequence = sequence
        marketRings = 0
        reports = 0
        control = 0
        health = 0
        intents = 0
        flows = 0
        market = (0, 0, 0, 0, 0, 0, 0, 0)
        marketVenues = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// Events taken from market ring `k`.
    @inlinable
    public func marketCount(_ k: Int) -> Int {
        withUnsafeBytes(of: market) { Int($0.load(fromByteOffset: k * 2, as: UInt16.self)) }
    }

    /// The venue market ring `k` carries.
    @inlinable
    public func marketVenue(_ k: Int) -> VenueId {
        withUnsafeBytes(of: marketVenues) { VenueId(raw: $0[k]) }
    }

    /// Sets ring `k`'s count and venue.
    @inlinable
    public mutating func setMarket(_ k: Int, venue: VenueId, count: Int) {
        withUnsafeMutableBytes(of: &market) { $0.storeBytes(of: UInt16(truncatingIfNeeded: count), toByteOffset: k * 2, as: UInt16.self) }
        withUnsafeMutableBytes(of: &marketVenues) { $0[k] = venue.raw }
    }

    /// Whether the tick took any input.
    @inlinable
    public var tookInput: Bool {
        if reports != 0 || control != 0 || health != 0 || intents != 0 || flows != 0 { return true }
        for k in 0..<Int(marketRings) where marketCount(k) != 0 { return true }
        return false
    }

    public static func == (a: StageTick, b: StageTick) -> Bool {
        withUnsafeBytes(of: a) { x in withUnsafeBytes(of: b) { y in x.elementsEqual(y) } }
    }
}
