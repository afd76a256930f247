import ArgumentParser
import Foundation
import GantryBus
import GantryCore
import GantryEngine
import GantryJournal
import GantryLoop

/// The feed and strategy roles of `gantry run --role` (the execution role is `gantry run`'s own loop, with the
/// gateway's risk and order-send reading intents from the bus): each runs until interrupted or `--seconds`,
/// prints its figures every second and a summary at the end.
extension RunCommand {
    /// The feed role: the venues' feeds published on the bus.
    func runFeedRole(configuration: TradingConfiguration, bus: BusConfiguration) throws {
        let role = try FeedRole(configuration: configuration, sim: sim, cpus: Machine.current().cpus, bus: bus)
        let venues = configuration.tradedVenues.map(\.name)
        print("gantry run --role feed: \(venues.joined(separator: ", ")) from \(sim ? "the simulator" : "the venues") → redis \(bus.host):\(bus.port) (\(bus.stream(.market)))")
        fflush(nil)
        let names = Dictionary(uniqueKeysWithValues: configuration.tradedVenues.compactMap { v in configuration.market.registry.venue(named: v.name).map { ($0.raw, v.name) } })
        var perVenue: [String: Int] = [:]
        var flows = 0
        watch {
            _ = role.pollMarket { e in perVenue[names[e.venue.raw] ?? "?", default: 0] += 1 }
            _ = role.pollFlows { _ in flows += 1 }
        } second: { elapsed in
            print("t=\(elapsed.raw / 1_000_000_000)s  market \(venues.map { "\($0) \(perVenue[$0] ?? 0)" }.joined(separator: ", "))  \(busLine(role.bus))")
        }
        role.stop()
        print("\nsummary (feed role): market events \(venues.map { "\($0) \(perVenue[$0] ?? 0)" }.joined(separator: ", ")), flow events \(flows)")
        print("  \(busLine(role.bus))")
    }

    /// The strategy role: the signal stage on the bus's market, reports, venue health and control; its intents
    /// published for the execution role.
    func runStrategyRole(configuration: TradingConfiguration, text: String, bus: BusConfiguration) throws {
        var gateway = try TradingGateway(
            configuration: configuration, sim: sim, credentials: [:], balances: [:], cpus: Machine.current().cpus, firstOrderSequence: 0,
            journal: journal.map { JournalConfiguration(directory: $0) }, bookSnapshotEvery: Nanos(raw: Int64(bookSnapshotEvery * 1e9)), role: .strategy,
            bus: bus)
        if let journal {
            _ = gateway.notes?.post(text, kind: .configuration)
            print("  journal: \(journal)")
        }
        print("gantry run --role strategy: \(configuration.strategies.count) strategies on \(configuration.universe.pairs.map(\.name).joined(separator: ", ")), market from redis \(bus.host):\(bus.port) (\(bus.stream(.market))), intents to \(bus.stream(.intent))")
        fflush(nil)
        var market = 0
        var reports = 0
        var fills = 0
        watch {
            market += gateway.pollMarket { _ in }
            while let r = gateway.reports.tryConsume() {
                reports += 1
                if r.status == .filled || r.status == .partiallyFilled { fills += 1 }
            }
            while gateway.decisions.tryConsume() != nil {}
        } second: { elapsed in
            print("t=\(elapsed.raw / 1_000_000_000)s  market \(market)  reports \(reports) (fills \(fills))  \(busLine(gateway.bus))")
        }
        gateway.stop()
        while gateway.reports.tryConsume() != nil {}
        gateway.stopJournal()
        print("\nsummary (strategy role): market events \(market), reports \(reports) (fills \(fills))")
        if let s = gateway.handles.signalStats {
            print("  signal: \(s.marketEvents) market events, \(s.reports) reports, \(s.intents) intents (\(s.routedParents) routed parents), \(s.suppressed) suppressed")
        }
        print("  \(busLine(gateway.bus))")
        if let hop = hopLine(gateway.bus) { print("  \(hop)") }
        if let j = gateway.handles.journalStats { print("  journal: \(j.records) records, \(j.dropped) dropped") }
    }
}

extension RunCommand {
    /// A role's watching loop: `poll` every 2 ms until interrupted or `--seconds`, `second` (with the time since
    /// the start) once a second.
    func watch(poll: () -> Void, second: (Nanos) -> Void) {
        let started = MonotonicClock.now()
        var nextPrint = started + .seconds(1)
        while !runInterrupted.load(ordering: .relaxed) {
            let now = MonotonicClock.now()
            if seconds > 0 && now - started >= .seconds(Int64(seconds)) { break }
            poll()
            if now >= nextPrint {
                nextPrint = nextPrint + .seconds(1)
                second(now - started)
                fflush(nil)
            }
            usleep(2_000)
        }
    }
}

/// One line of a role's bus figures: what its publisher confirmed, resent and dropped, what each consumer
/// delivered and dropped as duplicates or gaps, and reconnects.
func busLine(_ boards: GatewayBusBoards) -> String {
    var parts: [String] = []
    if let p = boards.publisher?.stats {
        parts.append("published \(p.confirmed) (resent \(p.resent), dropped \(p.dropped), rejected \(p.rejected), reconnects \(p.connection.reconnects))")
    }
    for (kind, board) in boards.consumers {
        let c = board.stats
        parts.append("\(kind) \(c.delivered)" + (c.duplicates + Int(c.gaps) + c.malformed > 0 ? " (dup \(c.duplicates), gaps \(c.gaps), malformed \(c.malformed))" : ""))
    }
    return "bus: " + parts.joined(separator: ", ")
}
