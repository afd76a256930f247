import GantryCore
import GantryJournal

/// A journal's market data, for the backtester, the trainer and reports.
public struct JournalMarket {
    /// The configuration the gateway ran with (its first configuration record), if the journal has one.
    public var configuration: TradingConfiguration?
    /// Every venue's events, as one timeline of whole messages by receive time (`Backtester.timeline`).
    public var events: [MarketEvent]
    /// The configured chain's flow events, in the journal's order (the adapter's).
    public var flows: [FlowEvent] = []
    /// The journal's periodic book snapshots.
    public var snapshots = 0

    /// Reads the journal in `directory`. - Throws: `JournalError`, a configuration that does not parse.
    public init(directory: String) throws {
        var reader = try JournalReader(directory: directory)
        var configuration: TradingConfiguration? = nil
        var events: [MarketEvent] = []
        while let r = try reader.next() {
            switch r.kind {
            case .marketEvent: if let e = r.as(MarketEvent.self) { events.append(e) }
            case .configuration: if configuration == nil, let text = r.text { configuration = try TradingConfiguration(toml: text) }
            case .bookSnapshot: snapshots += 1
            case .flowEvent: if let f = r.as(FlowEvent.self) { flows.append(f) }
            default: break
            }
        }
        self.configuration = configuration
        self.events = Self.timeline(events)
    }

    /// Journaled market events as one timeline. The journal takes each venue's ring in turn, a batch at a time,
    /// so one venue's message may be split by another's batch: each venue's events (whole messages, in order)
    /// are taken apart first, then merged by receive time.
    public static func timeline(_ journaled: [MarketEvent]) -> [MarketEvent] {
        var byVenue: [UInt8: [MarketEvent]] = [:]
        var order: [UInt8] = []
        for e in journaled {
            if byVenue[e.venue.raw] == nil { order.append(e.venue.raw) }
            byVenue[e.venue.raw, default: []].append(e)
        }
        return Backtester.timeline(order.flatMap { byVenue[$0]! })
    }
}
