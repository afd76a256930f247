import Foundation
import GantryCore
import GantryEngine
import GantryExecution
import GantryLoop
import GantryRing
import GantryRisk
import Testing
import VenueSim

/// Arbitrage between Binance and OKX in VenueSim, where OKX short-fills or rejects the legs sent to it.
@Suite("Legging end to end: VenueSim short-fills or rejects an arbitrage leg; the exposure is hedged or unwound inside the band; three rollbacks in a row pause the strategy", .serialized)
struct LegGuardEndToEndTests {
    /// Binance and OKX, diverging often (the arbitrage's chances), with `fault`.
    static func simTOML(fault: String) -> String {
        EndToEndTests.simMarket(seed: 23, volatility: "4", perMinute: 40) + EndToEndTests.simBinance + EndToEndTests.simOKX + fault
    }

    /// The arbitrage alone on both venues, its legs guarded inside a 30 bp band (six attempts: a loaded machine
    /// can leave a book stale for one).
    static func gatewayTOML(binance: SimVenue, okx: SimVenue) -> String {
        EndToEndTests.gatewayBinance(binance) + EndToEndTests.gatewayOKX(okx) + EndToEndTests.arbitrage + EndToEndTests.riskSection + """
        [router]
        leg_slippage_band_bp = "30"
        leg_hedge_attempts = 6
        leg_pause_after = 3
        """
    }

    struct Outcome {
        var reports: [OrderReport] = []
        var decisions: [RiskDecision] = []
        var stats: RiskStats?
        /// Each venue's balance change (simulator ledger units) and what the fills say it should be.
        var moved: [(venue: String, asset: String, balance: Int64, fills: Int64)] = []
        var universe: Universe
        /// Faults the simulator applied, by kind (OKX's).
        var applied: [SimFaultKind: Int] = [:]
    }

    /// Runs the arbitrage against the simulator with `fault` for `seconds`; pauses trading 2 s before the end so
    /// that the last signal's legs and hedges finish (a pause lets hedges through), then stops. No kill: what the
    /// guard left is what is checked.
    static func run(fault: String, seconds: Int64) throws -> Outcome {
        EndToEndTests.setSecrets()
        let sim = try SimConfiguration(toml: simTOML(fault: fault)).makeSimulator(anyPorts: true)
        let venues = [sim.venues[0], sim.venues[1]]
        func balances(_ v: SimVenue) -> [String: Int64] { Dictionary(uniqueKeysWithValues: v.ledger.names.map { ($0, v.ledger.balance(1, $0).total) }) }
        let before = venues.map(balances)
        let thread = SimulatorThread(sim)
        let configuration = try TradingConfiguration(toml: gatewayTOML(binance: venues[0], okx: venues[1]))
        var credentials: [String: VenueCredentials] = [:]
        for a in configuration.accounts { credentials[a.venue] = try VenueCredentials.load(a) }
        let rich: [String: Int128] = ["BTC": 5 * 100_000_000, "USDT": 1_000_000 * 10_000_000_000]
        var gateway = try TradingGateway(
            configuration: configuration, sim: true, credentials: credentials, balances: ["binance": rich, "okx": rich], cpus: [], firstOrderSequence: 1,
            instrumentCodes: try EndToEndTests.instrumentCodes(configuration))
        var out = Outcome(universe: configuration.universe)
        let started = MonotonicClock.now()
        var pausing = false
        while MonotonicClock.now() - started < .seconds(seconds) {
            if !pausing && MonotonicClock.now() - started >= .seconds(seconds - 2) {
                pausing = true
                var wait = SpinThenYield()
                gateway.control!.publish(ControlEvent(command: .pauseTrading, issuedTime: MonotonicClock.now(), sequence: 1), waiting: &wait)
            }
            _ = gateway.pollMarket { _ in }
            while let r = gateway.reports.tryConsume() { out.reports.append(r) }
            while let d = gateway.decisions.tryConsume() { out.decisions.append(d) }
            usleep(2_000)
        }
        gateway.stop()
        while let r = gateway.reports.tryConsume() { out.reports.append(r) }
        while let d = gateway.decisions.tryConsume() { out.decisions.append(d) }
        thread.stop()
        out.stats = gateway.handles.riskStats
        out.applied = venues[1].faults.applied
        let after = venues.map(balances)
        for (k, v) in venues.enumerated() {
            var base: Int64 = 0
            var quote: Int64 = 0
            for f in out.reports where f.lastQuantity.raw > 0 && f.venue.raw == UInt8(k + 1) {
                let notional = f.price.raw * f.lastQuantity.raw
                base += f.side == .buy ? f.lastQuantity.raw : -f.lastQuantity.raw
                quote += f.side == .buy ? -(notional + f.fee) : notional - f.fee
            }
            out.moved.append((v.name, "BTC", after[k]["BTC"]! - before[k]["BTC"]!, base))
            out.moved.append((v.name, "USDT", after[k]["USDT"]! - before[k]["USDT"]!, quote))
        }
        return out
    }

    /// Checks what every run must show: every order approved first, the strategy flat in the pair, the venues'
    /// balances moved exactly by the fills, and every hedge fill inside the band around its signal's expectation.
    static func checkCommon(_ o: Outcome, band: Int64 = 3_000) {
        let approved = Dictionary(o.decisions.filter(\.isApproved).map { ($0.clientOrderId, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(o.reports.allSatisfy { approved[$0.clientOrderId] != nil }, "every order reported was approved by risk first")
        let fills = o.reports.filter { $0.lastQuantity.raw > 0 }
        let net = fills.reduce(Int64(0)) { n, f in
            let q = o.universe.listing(f.instrument).pairQuantity(f.lastQuantity)
            return n + (f.side == .buy ? q : -q)
        }
        #expect(net == 0, "the arbitrage is flat in BTC across both venues (net \(net))")
        for m in o.moved { #expect(m.balance == m.fills, "\(m.venue) \(m.asset): the balance moved by the fills") }
        // Each hedge-lane fill inside the band: of the short leg's expected price (a hedge completing the arbitrage)
        // or of the over-filled leg's average fill (an unwind taking it back), pair scale.
        let legs = o.decisions.filter { $0.intent.legs == 2 && $0.isApproved }
        for f in fills {
            guard let d = approved[f.clientOrderId], d.intent.lane == .hedge else { continue }
            let signalLegs = legs.filter { $0.intent.signalId == d.intent.signalId }
            guard let short = signalLegs.first(where: { $0.intent.side == f.side }), let over = signalLegs.first(where: { $0.intent.side != f.side }) else {
                Issue.record("a hedge fill without its signal's legs")
                continue
            }
            let expected = o.universe.listing(short.intent.instrument).pairPrice(short.intent.expectedPrice)
            let overFills = fills.filter { $0.clientOrderId == over.clientOrderId }
            let overQuantity = overFills.reduce(Int128(0)) { $0 + Int128(o.universe.listing($1.instrument).pairQuantity($1.lastQuantity)) }
            let overNotional = overFills.reduce(Int128(0)) { n, x in
                let l = o.universe.listing(x.instrument)
                return n + Int128(l.pairPrice(x.price)) * Int128(l.pairQuantity(x.lastQuantity))
            }
            let average = overQuantity > 0 ? Int64(overNotional / overQuantity) : expected
            let price = o.universe.listing(f.instrument).pairPrice(f.price)
            func inside(_ reference: Int64) -> Bool {
                let worse = f.side == .sell ? reference - price : price - reference
                return Int128(worse) * 1_000_000 <= Int128(band) * Int128(reference)
            }
            #expect(inside(expected) || inside(average), "hedge fill \(price) within the band of \(expected) (hedge) or \(average) (unwind)")
        }
    }

    @Test("OKX half-fills an order: the residual is hedged or unwound inside the band, the strategy ends flat, the balances equal the fills")
    func shortFill() throws {
        let o = try Self.run(fault: "[[faults]]\nkind = \"partial_fill\"\nvenue = \"okx\"\nstart_ms = 2000", seconds: 10)
        let legs = o.stats?.legs ?? LegStats()
        print("legs (short fill): \(legs)")
        #expect(o.applied[.partialFill] == 1, "OKX half-filled its first order after 2 s (applied \(o.applied[.partialFill] ?? 0))")
        #expect(legs.signals >= 2, "arbitrage signals were traded")
        #expect(legs.legging >= 1 && legs.closed == legs.legging && legs.leftOpen == 0, "each residual closed")
        #expect(legs.hedgeOrders >= 1 && o.decisions.contains { $0.intent.lane == .hedge && $0.isApproved })
        Self.checkCommon(o)
    }

    @Test("OKX rejects every leg: each is unwound on Binance inside the band; the third rollback in a row pauses the strategy and its next signals are vetoed")
    func rejectsPause() throws {
        let o = try Self.run(fault: "[[faults]]\nkind = \"reject\"\nvenue = \"okx\"\nstart_ms = 0\nduration_ms = 60000", seconds: 14)
        let legs = o.stats?.legs ?? LegStats()
        print("legs (rejects): \(legs); vetoes: \(Dictionary(grouping: o.decisions.filter { !$0.isApproved }, by: \.reason).mapValues(\.count))")
        #expect((o.applied[.reject] ?? 0) >= 3, "OKX rejected the legs sent to it")
        #expect(legs.rollbacks >= 3 && legs.pauses == 1, "three rollbacks in a row pause the strategy, once")
        #expect(legs.closed == legs.legging && legs.leftOpen == 0)
        // The hedges of signals whose OKX leg was rejected went to Binance (OKX is avoided): unwound.
        let approved = o.decisions.filter(\.isApproved)
        let rejected = Set(o.reports.filter { $0.status == .rejected }.compactMap { r in approved.first { $0.clientOrderId == r.clientOrderId }?.intent.signalId })
        let hedges = approved.filter { $0.intent.lane == .hedge && rejected.contains($0.intent.signalId) }
        #expect(hedges.count >= 3 && hedges.allSatisfy { $0.intent.venue.raw == 1 }, "unwound on Binance")
        // After the pause, entries are vetoed for it (when the market offered another signal).
        let pausedAt = o.decisions.firstIndex { $0.reason == .strategyPaused }
        if let pausedAt {
            #expect(!o.decisions[pausedAt...].contains { $0.isApproved && $0.intent.lane == .entry }, "no entry approved once paused")
        } else {
            print("legs (rejects): no signal after the pause")
        }
        Self.checkCommon(o)
    }
}

