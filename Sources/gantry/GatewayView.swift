import Foundation
import GantryCore
import GantryEngine
import GantryOps
import GantryRisk

/// What `gantry run` shows: message rates, decisions and vetoes by reason, orders and fills, positions and PnL per
/// strategy (from the fills, marked at the consolidated mid), computed on the watching thread from the rings.
final class GatewayView {
    struct Venue {
        var name: String
        var id: VenueId
        var kind: VenueKind
        var rest: RESTURL?
        var simRest: RESTURL?
    }

    let configuration: TradingConfiguration
    let universe: Universe
    var venues: [Venue] = []
    var messages: [Int] = []
    var lastMessages: [Int] = []
    var approved = 0
    var vetoes: [RiskReason: Int] = [:]
    var reports = 0
    var fills = 0
    var finals: [OrderStatus: Int] = [:]
    /// By strategy (index) then pair raw: quantity (pair scale), cash and fees (pair notional scale).
    var positions: [[(q: Int64, cash: Int128, fees: Int128)]]
    /// Per instrument: best bid and ask at the pair's scale.
    var tops: [InstrumentId: (Int64, Int64)] = [:]
    /// Per venue and asset: what the fills moved (raw at the instrument's scale, and that scale).
    var moves: [VenueId: [String: (raw: Int64, scale: Int)]] = [:]
    /// For the report: kernel receive → events published per message, intent → risk decision, order round trip
    /// (ns), and each strategy's PnL each second (cents).
    var ingestLatency: [Int64] = []
    var decisionLatency: [Int64] = []
    var roundTrips: [Int64] = []
    var pnlSeries: [[(seconds: Int64, cents: Int64)]] = []
    let sampleCap = 1_000_000
    /// Histograms, book ages, open orders and PnL peaks for the control plane.
    var live = LiveFigures()

    init(configuration: TradingConfiguration) {
        self.configuration = configuration
        let universe = configuration.universe
        self.universe = universe
        let registry = configuration.market.registry
        messages = Array(repeating: 0, count: registry.venueNames.count + 1)
        lastMessages = messages
        positions = Array(repeating: Array(repeating: (0, 0, 0), count: universe.pairs.count + 1), count: configuration.strategies.count)
        for v in configuration.market.venues {
            guard let id = registry.venue(named: v.name), registry.instruments.contains(where: { $0.venue == id && universe.listing($0.id).pair != .none }) else { continue }
            venues.append(Venue(name: v.name, id: id, kind: v.kind, rest: v.restEndpoint, simRest: v.simRestEndpoint))
        }
    }

    func market(_ e: MarketEvent) {
        live.market(e)
        if e.flags.contains(.endOfMessage) { messages[Int(e.venue.raw)] += 1 }
        if e.kind == .messageTimes && e.receiveTime.raw > 0 && e.publishedTime >= e.receiveTime && ingestLatency.count < sampleCap {
            ingestLatency.append((e.publishedTime - e.receiveTime).raw)
        }
        if e.kind == .topOfBook {
            let l = universe.listing(e.instrument)
            tops[e.instrument] = (l.pairPrice(e.price), l.pairPrice(e.price2))
        } else if e.kind == .bookStale {
            tops[e.instrument] = nil
        }
    }

    func decision(_ d: RiskDecision) {
        live.decision(d)
        if d.isApproved { approved += 1 } else { vetoes[d.reason, default: 0] += 1 }
        if d.decidedTime >= d.intent.createdTime && decisionLatency.count < sampleCap { decisionLatency.append((d.decidedTime - d.intent.createdTime).raw) }
    }

    func report(_ r: OrderReport) {
        reports += 1
        live.report(r)
        switch r.status {
        case .filled, .canceled, .expired, .rejected: finals[r.status, default: 0] += 1
        default: break
        }
        guard r.lastQuantity.raw > 0 else { return }
        fills += 1
        let l = universe.listing(r.instrument)
        guard let instrument = configuration.market.registry.instrument(r.instrument) else { return }
        let k = Int(r.clientOrderId.strategy.raw) - 1
        let notional = Int128(l.pairPrice(r.price)) * Int128(l.pairQuantity(r.lastQuantity))
        let fee = Int128(r.fee) * Int128(l.priceFactor) * Int128(l.quantityFactor)
        if k >= 0 && k < positions.count {
            var p = positions[k][Int(l.pair.raw)]
            p.q += r.side == .buy ? l.pairQuantity(r.lastQuantity) : -l.pairQuantity(r.lastQuantity)
            p.cash += r.side == .buy ? -notional : notional
            p.fees += fee
            positions[k][Int(l.pair.raw)] = p
        }
        let base = universe.name(of: l.base), quote = universe.name(of: l.quote)
        let ns = instrument.priceScale + instrument.quantityScale
        let venueNotional = r.price.raw * r.lastQuantity.raw
        var m = moves[r.venue, default: [:]]
        m[base, default: (0, instrument.quantityScale)].raw += r.side == .buy ? r.lastQuantity.raw : -r.lastQuantity.raw
        m[quote, default: (0, ns)].raw += r.side == .buy ? -(venueNotional + r.fee) : venueNotional - r.fee
        moves[r.venue] = m
    }

    /// An order's round trip (decision → the venue's first report, as seen here).
    func roundTrip(_ venue: VenueId, _ nanos: Int64) {
        if roundTrips.count < sampleCap { roundTrips.append(nanos) }
        live.roundTrip(venue, nanos)
    }

    /// Each strategy's PnL in each pair (cents, by pair raw; index 0 unused), marked at the mid now.
    func pnlTable() -> [[Int64]] {
        configuration.strategies.indices.map { k in [0] + universe.pairs.map { pnl(k, $0).pnlCents } }
    }

    /// What the fills moved each asset of `venue` by.
    func expectedMoves(venue: VenueId) -> [(String, (raw: Int64, scale: Int))] {
        (moves[venue] ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Every strategy's position is zero in every pair.
    var isFlat: Bool { positions.allSatisfy { $0.allSatisfy { $0.q == 0 } } }

    func mid(_ pair: TradingPair) -> Int64? {
        var bid = Int64.min, ask = Int64.max
        for i in pair.instruments { if let t = tops[i] { bid = max(bid, t.0); ask = min(ask, t.1) } }
        return bid == .min || ask == .max ? nil : (bid + ask) / 2
    }

    func pnl(_ k: Int, _ pair: TradingPair) -> (q: Int64, pnlCents: Int64) {
        let p = positions[k][Int(pair.id.raw)]
        let mark = mid(pair) ?? 0
        let value = p.cash - p.fees + Int128(p.q) * Int128(mark)
        let perCent = Int128(Universe.power(max(pair.priceScale + pair.quantityScale - 2, 0)))
        return (p.q, Int64(value / perCent))
    }

    func printSecond(elapsed: Nanos, gateway: borrowing TradingGateway) {
        var rates: [String] = []
        for v in venues {
            let i = Int(v.id.raw)
            rates.append("\(v.name) \(messages[i] - lastMessages[i])/s")
            lastMessages[i] = messages[i]
        }
        if pnlSeries.isEmpty { pnlSeries = Array(repeating: [], count: configuration.strategies.count) }
        for k in configuration.strategies.indices {
            pnlSeries[k].append((elapsed.raw / 1_000_000_000, universe.pairs.reduce(0) { $0 + pnl(k, $1).pnlCents }))
        }
        _ = live.drawdowns(pnl: pnlTable())
        print("t=\(elapsed.raw / 1_000_000_000)s  market \(rates.joined(separator: ", "))  approved \(approved)  vetoes \(vetoText())  reports \(reports)  fills \(fills)")
        for (k, s) in configuration.strategies.enumerated() {
            var parts: [String] = []
            for pair in universe.pairs {
                let (q, cents) = pnl(k, pair)
                parts.append("\(pair.name) \(FixedPoint.string(q, scale: pair.quantityScale, trimTrailingZeros: true)) PnL \(FixedPoint.string(cents, scale: 2))")
            }
            print("    \(s.name.padding(toLength: 6, withPad: " ", startingAt: 0)) \(parts.joined(separator: "; "))")
        }
        fflush(nil)
    }

    func vetoText() -> String {
        vetoes.isEmpty ? "0" : vetoes.sorted { $0.value > $1.value }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    func printSummary(elapsed: Nanos, handles: GatewayHandles) {
        print("\nsummary (\(elapsed.raw / 1_000_000) ms):")
        print("  decisions: \(approved) approved, vetoes \(vetoText())")
        print("  reports \(reports), fills \(fills), finals \(finals.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
        if let s = handles.signalStats { print("  signal: \(s.marketEvents) market events, \(s.intents) intents (\(s.routedParents) routed parents)") }
        if let r = handles.riskStats {
            print("  risk: \(r.intents) decided, \(r.approved) approved, \(r.vetoed) vetoed, \(r.ownOrders) orders of its own, \(r.unknownReports) unknown reports")
            let l = r.legs
            print("  arbitrage legs: \(l.signals) signals, \(l.matched) matched, \(l.legging) unequal (\(l.closed) closed inside the band, \(l.rollbacks) rolled back, \(l.leftOpen) left open), \(l.pauses) strategy pause(s)")
        }
        if let o = handles.orderStats { print("  order-send: \(o.approved) approved orders, \(o.reports) reports, \(o.noSession) without a session") }
        if !ingestLatency.isEmpty {
            let sorted = ingestLatency.sorted()
            func at(_ p: Double) -> String { String(format: "%.1f µs", Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1_000) }
            print("  ingest, kernel receive → events on the feed's ring (\(sorted.count) messages): p50 \(at(0.5)) p99 \(at(0.99)) p99.9 \(at(0.999))")
        }
        for (k, s) in configuration.strategies.enumerated() {
            for pair in universe.pairs {
                let (q, cents) = pnl(k, pair)
                print("  \(s.name): \(pair.name) position \(FixedPoint.string(q, scale: pair.quantityScale, trimTrailingZeros: true)), PnL \(FixedPoint.string(cents, scale: 2)) (marked at the mid, fees paid)")
            }
        }
    }
}
