import GantryCore

/// The venue's clock offset (venue time − our wall clock), estimated NTP-style from answers to requests the session
/// timed: offset ≈ the venue's timestamp − the midpoint of the request's send and the answer's receipt. The estimate
/// is the median of the last `window` samples (robust to one slow or asymmetric round trip). Fixed storage: adding
/// a sample does not allocate.
struct ClockOffset {
    /// How many samples the median is taken over.
    static let window = 15
    /// A sample whose round trip took longer than this says too little (its error is up to half of it: a venue
    /// that takes timestamps only up to 1 s ahead, as Binance does, must not be signed for ahead of it).
    static let slowest = Nanos.milliseconds(250)
    /// A sample further off than this is not a clock (a timestamp in another unit): ignored.
    static let farthest = Nanos.seconds(300)

    private var samples: [Int64] = []
    private var sorted: [Int64] = []
    private var next = 0
    /// The current estimate (zero until the first sample).
    private(set) var estimate = Nanos.zero
    /// Samples taken in all.
    private(set) var count = 0

    init() {
        samples.reserveCapacity(Self.window)
        sorted.reserveCapacity(Self.window)
    }

    /// Takes one round trip: `venue` is the venue's timestamp in its answer, `sent` and `received` our wall clock
    /// when the request left and the answer came.
    /// - Returns: whether the sample was taken (not too slow, not absurd).
    @discardableResult
    mutating func add(venue: Nanos, sent: Nanos, received: Nanos) -> Bool {
        guard venue.raw > 0, received >= sent, received - sent <= Self.slowest else { return false }
        let offset = venue.raw - (sent.raw + (received.raw - sent.raw) / 2)
        guard abs(offset) <= Self.farthest.raw else { return false }
        if samples.count < Self.window {
            samples.append(offset)
        } else {
            samples[next] = offset
        }
        next = (next + 1) % Self.window
        count += 1
        // The median: an insertion sort of at most `window` values into kept storage.
        sorted.removeAll(keepingCapacity: true)
        for v in samples {
            var i = sorted.count
            sorted.append(v)
            while i > 0 && sorted[i - 1] > v {
                sorted[i] = sorted[i - 1]
                i -= 1
            }
            sorted[i] = v
        }
        let n = sorted.count
        estimate = Nanos(raw: n % 2 == 1 ? sorted[n / 2] : sorted[n / 2 - 1] / 2 + sorted[n / 2] / 2)
        return true
    }
}
