import GantryBook
import GantryCore

/// How the leg guard closes an arbitrage whose legs came back unequal.
public struct LegGuardConfiguration: Sendable, Equatable {
    /// How far from the short leg's expected price a hedge or unwind may trade (centi-basis points).
    public var slippageBandCentiBasisPoints: Int64
    /// Hedge attempts per signal before the residual is left to the hard stop and the operator (alerted).
    public var attempts: Int
    /// Wait between attempts (the books move, a venue recovers).
    public var retryDelay: Nanos
    /// Rollbacks in a row that pause the strategy.
    public var pauseAfter: Int

    public init(slippageBandCentiBasisPoints: Int64 = 2_000, attempts: Int = 3, retryDelay: Nanos = .milliseconds(100), pauseAfter: Int = 3) {
        self.slippageBandCentiBasisPoints = slippageBandCentiBasisPoints
        self.attempts = attempts
        self.retryDelay = retryDelay
        self.pauseAfter = pauseAfter
    }
}

/// What the leg guard saw and did, for the risk stage to act on, log and journal. Quantities at the pair's scale,
/// signed: positive is long.
public enum LegEvent: Sendable, Equatable {
    /// A signal's legs all ended and did not match (a leg rejected, expired or filled short): `residual` is the
    /// exposure left; a hedge follows.
    case legging(strategy: StrategyId, pair: PairId, signal: UInt64, residual: Int64)
    /// The residual is closed: `hedged` traded on the short leg's venue (the arbitrage completed), `unwound` on the
    /// filled leg's venue (taken back), `elsewhere` on another venue; the worst fill's distance from the short leg's
    /// reference (centi-basis points, positive is worse). Mostly unwound makes it a rollback; `consecutive`: the
    /// strategy's rollbacks in a row (0 when this one was not).
    case closed(
        strategy: StrategyId, pair: PairId, signal: UInt64, hedged: Int64, unwound: Int64, elsewhere: Int64, worstSlippageCentiBasisPoints: Int64,
        consecutive: Int)
    /// Still open after every attempt: left to the position's hard stop and the operator. A rollback.
    case open(strategy: StrategyId, pair: PairId, signal: UInt64, residual: Int64, consecutive: Int)
    /// The strategy had `rollbacks` in a row: it is paused (new entries vetoed) until the operator resumes it.
    case paused(strategy: StrategyId, rollbacks: Int)
}

/// The legs guard: it follows each signal whose intents go together (`OrderIntent.legs`, an arbitrage's buy and
/// sell) from risk's approvals and the venues' reports. When every leg has ended, the fills must net to zero in
/// the pair; if they do not (a leg rejected, expired or filled short), the residual is closed by IOC intents in
/// the hedge lane, routed to the best venues inside the slippage band (a venue that rejected the signal is
/// avoided): first a hedge, the band around the short leg's expected price (completing the arbitrage), then, if
/// something is left, an unwind, the band around the over-filled leg's average fill (taking it back),
/// alternating up to the attempts configured, a delay apart; what is still open after the last is alerted. A signal whose residual was mostly unwound (or stayed open) is a rollback: the
/// configured number of rollbacks in a row pauses the strategy; a signal that matched or was hedged breaks the run.
///
/// Owned by the risk stage (it sees the approvals as they are made and every report), and deterministic: time
/// comes only from the `now` passed in. Storage is fixed at init (`capacity` signals in flight).
public struct LegGuard: Sendable {
    public let configuration: LegGuardConfiguration
    let universe: Universe
    var groups: [Group]
    var free: [Int]
    var active: [Int]
    var byOrder: [ClientOrderId: Int]
    /// Rollbacks in a row, by `StrategyId.raw − 1`.
    public private(set) var consecutive: [Int]
    public private(set) var stats = LegStats()

    enum Phase: Sendable { case legs, hedging, waiting }

    struct Group: Sendable {
        var signal: UInt64 = 0
        var strategy = StrategyId(raw: 0)
        var pair = PairId.none
        var legs = 0
        var approved = 0
        /// Orders of the group not final yet (legs, then hedges).
        var open = 0
        /// Filled, buys less sells (pair quantity).
        var net: Int64 = 0
        /// Each side's leg: venue and expected price (pair scale; 0: no such leg).
        var buyVenue = VenueId.none
        var sellVenue = VenueId.none
        var buyExpected: Int64 = 0
        var sellExpected: Int64 = 0
        /// What each side's leg filled (pair scales): an unwind's reference.
        var buyFilled: Int64 = 0
        var sellFilled: Int64 = 0
        var buyNotional: Int128 = 0
        var sellNotional: Int128 = 0
        var phase = Phase.legs
        var attempts = 0
        var retryAt = Nanos.zero
        var hedged: Int64 = 0
        var unwound: Int64 = 0
        var elsewhere: Int64 = 0
        var worstSlippage: Int64 = .min
        /// The price the current attempt is measured against (pair scale), and its side.
        var reference: Int64 = 0
        var hedgeSide = Side.none
        /// A venue that rejected one of the group's orders outright: the hedges go elsewhere.
        var rejectedBy = VenueId.none
    }

    public init(universe: Universe, configuration: LegGuardConfiguration = LegGuardConfiguration(), strategies: Int, capacity: Int = 256) {
        self.configuration = configuration
        self.universe = universe
        groups = Array(repeating: Group(), count: capacity)
        free = Array((0..<capacity).reversed())
        active = []
        active.reserveCapacity(capacity)
        byOrder = [:]
        byOrder.reserveCapacity(capacity * 8)
        consecutive = Array(repeating: 0, count: strategies)
    }

    /// Signals followed now.
    public var inFlight: Int { active.count }

    /// Takes note of a risk decision: an approved leg joins its signal's group; a hedge's decision joins the group
    /// it closes. Everything else is ignored.
    public mutating func onDecision(_ d: RiskDecision) {
        let intent = d.intent
        if intent.legs > 1 {
            guard d.isApproved else { return }
            var g = find(intent.signalId)
            if g == nil {
                guard let slot = free.popLast() else {
                    stats.untracked += 1
                    return
                }
                groups[slot] = Group(signal: intent.signalId, strategy: intent.strategy, pair: intent.pair, legs: Int(intent.legs))
                active.append(slot)
                stats.signals += 1
                g = slot
            }
            let k = g!
            let l = universe.listing(intent.instrument)
            groups[k].approved += 1
            groups[k].open += 1
            if intent.side == .buy {
                groups[k].buyVenue = intent.venue
                groups[k].buyExpected = l.pairPrice(intent.expectedPrice)
            } else {
                groups[k].sellVenue = intent.venue
                groups[k].sellExpected = l.pairPrice(intent.expectedPrice)
            }
            byOrder[d.clientOrderId] = k
        } else if intent.lane == .hedge, let k = find(intent.signalId), groups[k].phase == .hedging {
            if d.isApproved {
                groups[k].open += 1
                byOrder[d.clientOrderId] = k
                stats.hedgeOrders += 1
            } else {
                stats.hedgeVetoes += 1
            }
        }
    }

    /// Books a report of a guarded order: its fill into the group's net, its end into the group's open count.
    public mutating func onReport(_ r: OrderReport) {
        guard let k = byOrder[r.clientOrderId] else { return }
        let l = universe.listing(r.instrument)
        if r.lastQuantity.raw > 0 {
            let q = l.pairQuantity(r.lastQuantity)
            groups[k].net += r.side == .buy ? q : -q
            if groups[k].phase == .legs {
                let notional = Int128(l.pairPrice(r.price)) * Int128(q)
                if r.side == .buy {
                    groups[k].buyFilled += q
                    groups[k].buyNotional += notional
                } else {
                    groups[k].sellFilled += q
                    groups[k].sellNotional += notional
                }
            } else {
                let g = groups[k]
                if r.venue == (g.hedgeSide == .sell ? g.sellVenue : g.buyVenue) {
                    groups[k].hedged += q
                } else if r.venue == (g.hedgeSide == .sell ? g.buyVenue : g.sellVenue) {
                    groups[k].unwound += q
                } else {
                    groups[k].elsewhere += q
                }
                if g.reference > 0 {
                    let price = l.pairPrice(r.price)
                    // Worse is lower for a sell, higher for a buy.
                    let away = r.side == .sell ? g.reference - price : price - g.reference
                    groups[k].worstSlippage = max(g.worstSlippage, Int64(Int128(away) * 1_000_000 / Int128(g.reference)))
                }
            }
        }
        switch r.status {
        case .filled, .canceled, .rejected, .expired:
            if r.status == .rejected && r.cumulativeQuantity.raw == 0 { groups[k].rejectedBy = r.venue }
            groups[k].open -= 1
            byOrder[r.clientOrderId] = nil
        default: break
        }
    }

    /// Settles the groups whose orders have all ended, and starts the hedges due. Hedge intents (routed, lane
    /// `.hedge`) go to `hedge` with the venue to avoid (`.none`: any), to be routed and decided by risk — whose
    /// decisions come back through `onDecision`; what happened goes to `event`.
    /// - Returns: whether it changed anything (a group settled, waited or started an attempt): a state change that
    ///   no input of the poll may have brought, which the journal's replay must know of.
    @discardableResult
    public mutating func poll(now: Nanos, hedge: (OrderIntent, VenueId) -> Void, event: (LegEvent) -> Void) -> Bool {
        var i = 0
        var acted = false
        while i < active.count {
            let k = active[i]
            var done = false
            switch groups[k].phase {
            case .legs where groups[k].approved == groups[k].legs && groups[k].open == 0:
                acted = true
                let g = groups[k]
                if g.net == 0 {
                    record(g.strategy, rollback: false, event)
                    stats.matched += 1
                    done = true
                } else {
                    stats.legging += 1
                    event(.legging(strategy: g.strategy, pair: g.pair, signal: g.signal, residual: g.net))
                    start(k, now: now, hedge: hedge)
                }
            case .hedging where groups[k].open == 0:
                acted = true
                let g = groups[k]
                if g.net == 0 {
                    stats.closed += 1
                    let rollback = g.unwound > g.hedged + g.elsewhere
                    if rollback { stats.rollbacks += 1 }
                    let run = consecutiveAfter(g.strategy, rollback: rollback)
                    event(.closed(
                        strategy: g.strategy, pair: g.pair, signal: g.signal, hedged: g.hedged, unwound: g.unwound, elsewhere: g.elsewhere,
                        worstSlippageCentiBasisPoints: g.worstSlippage == .min ? 0 : g.worstSlippage, consecutive: run))
                    record(g.strategy, rollback: rollback, event)
                    done = true
                } else if g.attempts >= configuration.attempts {
                    stats.leftOpen += 1
                    stats.rollbacks += 1
                    event(.open(strategy: g.strategy, pair: g.pair, signal: g.signal, residual: g.net, consecutive: consecutiveAfter(g.strategy, rollback: true)))
                    record(g.strategy, rollback: true, event)
                    done = true
                } else {
                    groups[k].phase = .waiting
                    groups[k].retryAt = now + configuration.retryDelay
                }
            case .waiting where now >= groups[k].retryAt:
                acted = true
                start(k, now: now, hedge: hedge)
            default: break
            }
            if done {
                free.append(k)
                active.remove(at: i)
            } else {
                i += 1
            }
        }
        return acted
    }

    /// The strategy's rollbacks in a row once this outcome is counted.
    func consecutiveAfter(_ strategy: StrategyId, rollback: Bool) -> Int {
        let s = Int(strategy.raw) - 1
        guard s >= 0 && s < consecutive.count else { return 0 }
        return rollback ? consecutive[s] + 1 : 0
    }

    /// Counts an outcome into the strategy's run of rollbacks; the run reaching `pauseAfter` pauses it (once).
    mutating func record(_ strategy: StrategyId, rollback: Bool, _ event: (LegEvent) -> Void) {
        let run = consecutiveAfter(strategy, rollback: rollback)
        let s = Int(strategy.raw) - 1
        guard s >= 0 && s < consecutive.count else { return }
        consecutive[s] = run
        if rollback && run == configuration.pauseAfter {
            stats.pauses += 1
            event(.paused(strategy: strategy, rollbacks: run))
        }
    }

    /// The operator resumed the strategy: its rollbacks in a row start again from zero.
    public mutating func resetRollbacks(strategy: StrategyId) {
        let s = Int(strategy.raw) - 1
        if s >= 0 && s < consecutive.count { consecutive[s] = 0 }
    }

    /// One attempt at the residual, routed to the best venues inside the band (a venue that rejected the signal
    /// is avoided). Odd attempts hedge: the band is around the short leg's expected price — where the arbitrage
    /// still pays. Even attempts unwind: the band is around the over-filled leg's average fill — taking back what
    /// was done at about what it cost (usually on that leg's venue; a finer lot elsewhere takes what its lot cannot).
    mutating func start(_ k: Int, now: Nanos, hedge: (OrderIntent, VenueId) -> Void) {
        let g = groups[k]
        let side: Side = g.net > 0 ? .sell : .buy
        groups[k].attempts += 1
        groups[k].phase = .hedging
        groups[k].hedgeSide = side
        stats.attempts += 1
        // The over-filled leg: the buy leg when long (the residual sells), the sell leg when short.
        let filled = side == .sell ? (g.buyNotional, g.buyFilled) : (g.sellNotional, g.sellFilled)
        let reference: Int64
        if groups[k].attempts % 2 == 0 && filled.1 > 0 {
            reference = Int64(filled.0 / Int128(filled.1))
        } else {
            // The short leg is the one on the side the residual now trades; a signal with one side only measures
            // against that side's expectation.
            reference = side == .sell ? (g.sellExpected != 0 ? g.sellExpected : g.buyExpected) : (g.buyExpected != 0 ? g.buyExpected : g.sellExpected)
        }
        groups[k].reference = reference
        hedge(OrderIntent(
            intentId: 0, signalId: g.signal, strategy: g.strategy, venue: .none, instrument: .none, pair: g.pair, side: side,
            price: Price(raw: bandLimit(reference, side)), quantity: Quantity(raw: abs(g.net)), expectedPrice: Price(raw: reference), lane: .hedge,
            triggerTime: now, createdTime: now), g.rejectedBy)
    }

    /// The worst price inside the band around `reference` (pair scale) for `side`: a sell's rounds up, a buy's down.
    func bandLimit(_ reference: Int64, _ side: Side) -> Int64 {
        let band = Int128(configuration.slippageBandCentiBasisPoints)
        let one: Int128 = 1_000_000
        return side == .sell ? Int64((Int128(reference) * (one - band) + one - 1) / one) : Int64(Int128(reference) * (one + band) / one)
    }

    func find(_ signal: UInt64) -> Int? {
        for k in active where groups[k].signal == signal { return k }
        return nil
    }
}

/// What the leg guard counted.
public struct LegStats: Sendable, Equatable {
    /// Signals followed, and how they ended.
    public var signals = 0
    public var matched = 0
    /// Signals whose legs ended unequal; of them, those unwound or left open (rollbacks).
    public var legging = 0
    public var rollbacks = 0
    public var closed = 0
    public var leftOpen = 0
    public var pauses = 0
    /// Hedge intents sent to the router, their approved orders and their vetoes.
    public var attempts = 0
    public var hedgeOrders = 0
    public var hedgeVetoes = 0
    /// Legs not followed: more signals in flight than the guard's capacity (alerted by the stage).
    public var untracked = 0
    public init() {}
}
