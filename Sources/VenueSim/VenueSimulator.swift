import GantryCore

/// Where one venue's instrument takes its price from: a market (an asset's model) and the venue's place in it.
struct PriceLink {
    var venue: Int
    var book: Int
    var market: Int
    /// The venue's index among the market's venues (its offset).
    var slot: Int
    /// Model units per tick of the instrument.
    var unitsPerTick: Int64
}

/// Several simulated venues in one process, their books moved by shared market models at a fixed step rate
/// (each step: every model advances, every book follows its venue's mid, the changes are published). Driven
/// by `poll` from one thread: a test's loop, or a `Runner` in `gantry-venue-sim`. Deterministic for a seed
/// (the books and the model; what the network does with the bytes is not).
public final class VenueSimulator {
    public let venues: [SimVenue]
    /// Simulated chains' nodes, stepped with the markets (their flows may lead a market's price).
    public let chains: [SimChainNode]
    public private(set) var markets: [MarketModel]
    let links: [PriceLink]
    public let stepsPerSecond: Int
    var random: SimRandom
    var nextStep: Nanos
    public private(set) var steps = 0
    /// Stepping stops while paused (tests that want a quiet book); connections are still served.
    public var paused = false
    /// If set, no step is taken while any client has more than this many bytes waiting to be sent: the market
    /// waits for its slowest reader (for throughput benchmarks, where the simulator steps flat out).
    public var holdWhenBacklogged: Int? = nil

    /// - Parameters:
    ///   - venues: The venues, their books not yet opened.
    ///   - markets: One model per asset.
    ///   - assignments: For each venue, for each of its books, the index of its market.
    ///   - chains: Simulated chains' nodes (each names the market it leads).
    public init(venues: [SimVenue], markets: [MarketParameters], assignments: [[Int]], stepsPerSecond: Int, seed: UInt64, chains: [SimChainNode] = []) {
        precondition(assignments.count == venues.count, "a market for each venue's books")
        precondition(chains.allSatisfy { $0.market < markets.count }, "each chain leads a configured market")
        self.venues = venues
        self.chains = chains
        self.stepsPerSecond = stepsPerSecond
        random = SimRandom(seed: seed ^ 0xB00C)
        var links: [PriceLink] = []
        var slots = Array(repeating: 0, count: markets.count)
        for (v, books) in assignments.enumerated() {
            precondition(books.count == venues[v].books.count, "a market for each of venue \(venues[v].name)'s books")
            for (b, m) in books.enumerated() {
                let instrument = venues[v].books[b].instrument
                precondition(instrument.priceScale <= MarketModel.scale, "prices finer than the model's \(MarketModel.scale) decimals")
                var unit: Int64 = 1
                for _ in instrument.priceScale..<MarketModel.scale { unit *= 10 }
                links.append(PriceLink(venue: v, book: b, market: m, slot: slots[m], unitsPerTick: instrument.tick * unit))
                slots[m] += 1
            }
        }
        self.links = links
        self.markets = markets.enumerated().map { i, p in
            MarketModel(parameters: p, venues: max(1, slots[i]), stepsPerSecond: stepsPerSecond, seed: seed &+ UInt64(i) &* 0x9E37)
        }
        nextStep = MonotonicClock.now()
        for l in links {
            venues[l.venue].books[l.book].open(midTicks: midTicks(l), random: &random)
        }
    }

    func midTicks(_ l: PriceLink) -> Int64 { markets[l.market].mid(venue: l.slot) / l.unitsPerTick }

    /// One step: the models advance, the books follow, the changes go out (through the faults active `now`).
    public func step(now: Nanos = MonotonicClock.now()) {
        for v in venues { v.now = now }
        for m in markets.indices { markets[m].advance() }
        for c in chains {
            // A chain without an impact returns no shift: the market is exactly as without it.
            let shift = c.step(fair: markets[c.market].fair)
            if shift != 0 { markets[c.market].shift(by: shift) }
        }
        for l in links {
            let changes = venues[l.venue].books[l.book].step(midTicks: midTicks(l), random: &random)
            venues[l.venue].publish(book: l.book, changes: changes)
            venues[l.venue].marketFills(book: l.book)
            venues[l.venue].publishTrades(book: l.book)
        }
        steps += 1
    }

    /// Serves every venue and takes the steps that are due (at most a burst of 1,000 at once, so that a
    /// stalled thread catches up without flooding).
    /// - Returns: How much work was done.
    public func poll(now: Nanos = MonotonicClock.now()) -> Int {
        var work = 0
        for v in venues { work += v.poll(now: now) }
        for c in chains { work += c.poll(now: now) }
        if paused {
            nextStep = now
            return work
        }
        let period = Nanos(raw: 1_000_000_000 / Int64(stepsPerSecond))
        if let limit = holdWhenBacklogged, venues.contains(where: { $0.backlog > limit }) {
            for v in venues { work += v.flush() }
            return work
        }
        var burst = 0
        while nextStep <= now && burst < 1_000 {
            step(now: now)
            nextStep = nextStep + period
            burst += 1
        }
        if burst == 1_000 { nextStep = now }
        if burst > 0 {
            for v in venues { work += v.flush() }
            for c in chains { work += c.flush() }
        }
        return work + burst
    }

    /// Moves one venue's price in a market away from the others at once (`slot`: the venue's place among the
    /// market's venues, in configuration order); it converges back as usual. A scripted opportunity.
    public func diverge(market: Int, slot: Int, by offset: Int64) { markets[market].diverge(venue: slot, by: offset) }

    /// The venue called `name`.
    public func venue(_ name: String) -> SimVenue? { venues.first { $0.name == name } }

    /// Records every WebSocket message the venues send and receive, e.g. to a file.
    public func record(_ sink: @escaping (SimRecord) -> Void) {
        for v in venues { v.recorder = sink }
    }
}
