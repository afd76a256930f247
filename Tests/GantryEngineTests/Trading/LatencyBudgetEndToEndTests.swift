import Foundation
import GantryCore
import GantryEngine
import GantryLoop
import GantryRisk
import Testing
import VenueSim

@Suite("The latency budget end to end: order-send measures a slow venue's round trip and risk stops trading it", .serialized)
struct LatencyBudgetEndToEndTests {
    @Test("Bybit answers 120 ms late against a 60 ms budget: once measured, its intents are vetoed with the round trip and the budget; the others trade on")
    func slowVenueVetoed() throws {
        EndToEndTests.setSecrets()
        let sim = try SimConfiguration(toml: EndToEndTests.simTOML).makeSimulator(anyPorts: true)
        let thread = SimulatorThread(sim)
        defer { thread.stop() }
        let toml = EndToEndTests.gatewayTOML(binance: sim.venues[0], okx: sim.venues[1], bybit: sim.venues[2])
            .replacingOccurrences(of: "depth = 50", with: "depth = 50\nlatency_budget_ms = 60")
        let configuration = try TradingConfiguration(toml: toml)
        var credentials: [String: VenueCredentials] = [:]
        for a in configuration.accounts { credentials[a.venue] = try VenueCredentials.load(a) }
        let rich: [String: Int128] = ["BTC": 5 * 100_000_000, "USDT": 1_000_000 * 10_000_000_000]
        var gateway = try TradingGateway(
            configuration: configuration, sim: true, credentials: credentials, balances: ["binance": rich, "okx": rich, "bybit": rich], cpus: [],
            firstOrderSequence: 1, instrumentCodes: try EndToEndTests.instrumentCodes(configuration))
        var decisions: [RiskDecision] = []
        var reports: [OrderReport] = []
        let started = MonotonicClock.now()
        while MonotonicClock.now() - started < .seconds(14) {
            _ = gateway.pollMarket { _ in }
            while let d = gateway.decisions.tryConsume() { decisions.append(d) }
            while let r = gateway.reports.tryConsume() { reports.append(r) }
            usleep(2_000)
        }
        gateway.stop()
        while let d = gateway.decisions.tryConsume() { decisions.append(d) }
        let bybit = VenueId(raw: 3)
        let slow = decisions.filter { $0.reason == .venueLatency }
        print("latency budget: \(slow.count) vetoes, round trips seen \(Set(slow.map { $0.observed / 1_000_000 }).sorted()) ms; approved by venue \(Dictionary(grouping: decisions.filter(\.isApproved), by: \.intent.venue.raw).mapValues(\.count))")
        let slowBybit = slow.filter { $0.intent.venue == bybit }
        #expect(!slowBybit.isEmpty, "risk vetoed the slow venue's intents")
        // Every latency veto is the rule applied to a measured round trip past the budget. The other venues answer
        // in about a millisecond, but on two cores shared with a whole test suite a round trip of theirs can pass
        // 60 ms too: such a veto is the rule working, not a failure (their count is printed above).
        #expect(slow.allSatisfy { $0.limit == 60_000_000 && $0.observed > 60_000_000 }, "every latency veto: a round trip past the 60 ms budget")
        #expect(slowBybit.allSatisfy { $0.observed >= 100_000_000 }, "Bybit's round trip measured includes the venue's 120 ms")
        #expect(slow.count - slowBybit.count <= slowBybit.count, "mostly Bybit: \(slowBybit.count) of \(slow.count)")
        // Once vetoed for latency, nothing new is approved there while the measurement counts (10 s; then a later
        // order tries the venue again).
        if let first = decisions.first(where: { $0.reason == .venueLatency }) {
            let window = decisions.filter { $0.decidedTime >= first.decidedTime && $0.decidedTime < first.decidedTime + .seconds(9) }
            #expect(!window.contains { $0.isApproved && $0.intent.venue == bybit && $0.intent.lane == .entry }, "no Bybit entry approved after the budget was passed")
        }
        #expect(decisions.contains { $0.isApproved && $0.intent.venue != bybit }, "the other venues trade on")
        #expect(reports.allSatisfy { r in decisions.contains { $0.isApproved && $0.clientOrderId == r.clientOrderId } })
    }
}
