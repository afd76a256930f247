import ArgumentParser
import Foundation
import GantryCore
import GantryEngine
import GantryExecution
import GantryJournal
import GantryReport

/// `gantry report --journal D --out F`: one self-contained HTML page from a gateway's journal — latency per stage,
/// PnL and drawdown per strategy, the paper trader against live, and the backtest of the journaled market data as
/// the edge degrades.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "One HTML page from a journal: latency per stage, PnL and drawdown per strategy, paper against live, backtest degradation.")

    @Option(name: .long, help: "The journal directory (gantry run --journal).")
    var journal: String

    @Option(name: .long, help: "The HTML file to write.")
    var out: String

    @Flag(name: .long, help: "Leave out the backtest of the journaled market data (it replays them four times).")
    var noBacktest = false

    @Option(name: .long, help: "The seed of the backtest's latency draws.")
    var seed: UInt64 = 1

    func run() throws {
        let j = try JournalContents(directory: journal, keepMarket: nil, notesToo: false, marketToo: true)
        guard let configuration = j.configuration else { throw ValidationError("\(journal): no configuration record (not a gateway's journal)") }
        let offset = j.clockOffset ?? 0
        var page = GatewayReport(title: "Gantry: the journal \(journal)")
        page.note("\(j.market.count) market events, \(j.decisions.count) decisions, \(j.reports.count) reports.")

        // Latency per stage, from the events' own times.
        var ingest: [Int64] = []
        for e in j.market where e.event.kind == .messageTimes && e.event.publishedTime.raw > 0 && e.event.receiveTime.raw > 0 {
            ingest.append(e.event.publishedTime.raw - e.event.receiveTime.raw)
        }
        var strategy: [Int64] = []
        var risk: [Int64] = []
        var firstReport: [ClientOrderId: Nanos] = [:]
        for (t, r) in j.reports where firstReport[r.clientOrderId] == nil { firstReport[r.clientOrderId] = t }
        var venue: [Int64] = []
        for (_, d) in j.decisions {
            let i = d.intent
            if i.triggerTime.raw > 0 && i.createdTime >= i.triggerTime && i.lane == .entry { strategy.append(i.createdTime.raw - i.triggerTime.raw) }
            risk.append(d.decidedTime.raw - i.createdTime.raw)
            if d.isApproved, let first = firstReport[d.clientOrderId] { venue.append(first.raw - (d.decidedTime.raw + offset)) }
        }
        page.latency([
            ("venue message: received → published to the rings", ingest), ("market event → strategy's intent", strategy),
            ("intent → risk's decision", risk), ("decision → the venue's first report (journaled)", venue),
        ])

        // Everything on the wall clock, in time order: the PnL tracker and the paper trader see it as live did.
        enum Item {
            case market(MarketEvent)
            case decision(RiskDecision)
            case report(OrderReport)
        }
        var items: [(Nanos, Int, Item)] = []
        items.reserveCapacity(j.market.count + j.decisions.count + j.reports.count)
        for (k, m) in j.market.enumerated() { items.append((m.event.receiveTime.raw > 0 ? m.event.receiveTime + Nanos(raw: offset) : m.journaled, k, .market(m.event))) }
        for (k, d) in j.decisions.enumerated() { items.append((d.decision.decidedTime + Nanos(raw: offset), k, .decision(d.decision))) }
        for (k, r) in j.reports.enumerated() { items.append((r.journaled, k, .report(r.report))) }
        items.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        let start = items.first?.0 ?? .zero
        let end = items.last?.0 ?? .zero
        var equity = EquityTracker(configuration: configuration, start: start)
        let venues = configuration.market.registry.venueNames.count + 1
        var paper = PaperTrader(
            universe: configuration.universe, model: PaperModel(latency: Array(repeating: .milliseconds(1), count: venues), takerFees: configuration.risk.takerFees),
            strategies: configuration.strategies.count)
        var comparison = PaperComparison(universe: configuration.universe)
        for (t, _, item) in items {
            paper.advance(to: t)
            switch item {
            case .market(let e):
                equity.market(e, at: t)
                paper.onMarket(e, at: t)
            case .decision(let d):
                paper.onDecision(d, at: t)
                comparison.onDecision(d, at: t)
            case .report(let r):
                equity.report(r)
                if let rt = comparison.onReport(r, at: t) { paper.observeRoundTrip(r.venue, rt) }
            }
        }
        paper.advance(to: end + .seconds(1))
        page.pnl(equity.finish(at: end))
        var names: [VenueId: String] = [:]
        for name in configuration.market.registry.venueNames { if let id = configuration.market.registry.venue(named: name) { names[id] = name } }
        page.paper(PaperReport(comparison: comparison, trader: paper, venueNames: names, strategyNames: configuration.strategies.map(\.name), now: end))

        if !noBacktest {
            let events = JournalMarket.timeline(j.market.map(\.event))
            var runs: [(percent: Int64, strategies: [(name: String, pnlCents: Int64)])] = []
            for degrade in [Int64(0), 15, 25, 40] {
                let r = try Backtester.run(configuration, events: events, seed: seed, degradePercent: degrade)
                runs.append((degrade, r.strategies.map { ($0.name, $0.pnlCents) }))
            }
            page.note("Backtest: the journal's \(events.count) market events through the journaled configuration, seed \(seed).")
            page.degradation(runs)
        }
        do { try page.html.write(toFile: out, atomically: true, encoding: .utf8) } catch { throw ValidationError("\(out): \(error.localizedDescription)") }
        print("report: \(out) (\(page.charts.count) charts: \(page.charts.joined(separator: ", ")))")
    }
}
