import ArgumentParser
import CSQLite
import Foundation
import GantryCore
import GantryEngine
import GantryJournal

/// `gantry journal`: reads a journal written by `gantry run --journal`.
struct JournalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal", abstract: "Read a gateway's journal: the story of one order, an export to SQLite, or a replay through the deciding stages.",
        subcommands: [JournalQueryCommand.self, JournalExportCommand.self, JournalReplayCommand.self])
}

/// What the journal holds about orders, read once.
struct JournalContents {
    var decisions: [(journaled: Nanos, decision: RiskDecision)] = []
    var reports: [(journaled: Nanos, report: OrderReport)] = []
    /// The end of each venue message (its receive, decode and publish times), by receive time.
    var messages: [Nanos: MarketEvent] = [:]
    var marketEvents = 0
    /// Every market event with its journaled time, when asked for (`marketToo`).
    var market: [(journaled: Nanos, event: MarketEvent)] = []
    var notes: [(journaled: Nanos, kind: JournalRecordKind, text: String)] = []
    /// The periodic book snapshots: when journaled, the book's last update (monotonic), the book.
    var snapshots: [(journaled: Nanos, event: Nanos, book: JournalBookSnapshot)] = []
    var configuration: TradingConfiguration? = nil
    /// Wall − monotonic, from the journal's clock note.
    var clockOffset: Int64? = nil

    init(directory: String, keepMarket: ((Nanos, MarketEvent) -> Void)? = nil, notesToo: Bool = true, marketToo: Bool = false) throws {
        var reader: JournalReader
        do { reader = try JournalReader(directory: directory) } catch { throw ValidationError("\(directory): \(error)") }
        while true {
            let next: JournalRecord?
            do { next = try reader.next() } catch {
                print("  ! \(error) (skipped)")
                continue
            }
            guard let r = next else { break }
            switch r.kind {
            case .marketEvent:
                guard let e = r.as(MarketEvent.self) else { continue }
                marketEvents += 1
                if e.kind == .messageTimes { messages[e.receiveTime] = e }
                keepMarket?(r.journaledTime, e)
                if marketToo { market.append((r.journaledTime, e)) }
            case .riskDecision: if let d = r.as(RiskDecision.self) { decisions.append((r.journaledTime, d)) }
            case .orderReport: if let o = r.as(OrderReport.self) { reports.append((r.journaledTime, o)) }
            case .bookSnapshot: if let b = r.bookSnapshot { snapshots.append((r.journaledTime, r.eventTime, b)) }
            case .configuration:
                if let t = r.text { configuration = try? TradingConfiguration(toml: t) }
                if notesToo, let t = r.text { notes.append((r.journaledTime, r.kind, t)) }
            default:
                guard let t = r.text else { continue }
                if t.hasPrefix("clock: wall − monotonic = "), let v = Int64(t.dropFirst("clock: wall − monotonic = ".count).prefix { $0 == "-" || $0.isNumber }) {
                    clockOffset = v
                }
                if notesToo { notes.append((r.journaledTime, r.kind, t)) }
            }
        }
    }
}

/// `gantry journal query --dir D --order ID`: the whole story of one order.
struct JournalQueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "The story of one order: its trigger, the strategy's intent, risk's decision, its siblings, each report and fill, with the latency between steps.")

    @Option(name: .long, help: "The journal directory.")
    var dir: String

    @Option(name: .long, help: "The client order id (decimal, as in the journal and its SQLite export).")
    var order: UInt64

    func run() throws {
        let j = try JournalContents(directory: dir, notesToo: false)
        let lines = Self.story(j, order: ClientOrderId(raw: order))
        for l in lines { print(l) }
        if lines.count <= 1 { throw ExitCode(1) }
    }

    static func ms(_ n: Int64) -> String { String(format: "%.3f ms", Double(n) / 1e6) }

    static func price(_ j: JournalContents, _ i: InstrumentId, _ p: Price) -> String {
        guard let inst = j.configuration?.market.registry.instrument(i) else { return "\(p.raw)" }
        return FixedPoint.string(p.raw, scale: inst.priceScale)
    }

    static func quantity(_ j: JournalContents, _ i: InstrumentId, _ q: Quantity) -> String {
        guard let inst = j.configuration?.market.registry.instrument(i) else { return "\(q.raw)" }
        return FixedPoint.string(q.raw, scale: inst.quantityScale, trimTrailingZeros: true)
    }

    static func venue(_ j: JournalContents, _ v: VenueId) -> String {
        let names = j.configuration?.market.registry.venueNames ?? []
        return Int(v.raw) >= 1 && Int(v.raw) <= names.count ? names[Int(v.raw) - 1] : "venue \(v.raw)"
    }

    /// The story's lines; the first says whether the order was found.
    static func story(_ j: JournalContents, order id: ClientOrderId) -> [String] {
        guard let (seen, d) = j.decisions.first(where: { $0.decision.clientOrderId == id }) else { return ["order \(id.raw): not in the journal"] }
        let i = d.intent
        var out = ["order \(id.raw): strategy \(i.strategy.raw), \(venue(j, i.venue)), \(i.side == .buy ? "buy" : "sell") \(quantity(j, i.instrument, d.approvedQuantity)) at \(price(j, i.instrument, i.price)) IOC, lane \(i.lane), signal \(i.signalId)"]
        let offset = j.clockOffset ?? 0
        // Times on the wall clock: the trigger's kernel receive time, the strategy's and risk's monotonic times shifted.
        let created = i.createdTime.raw + offset, decided = d.decidedTime.raw + offset
        if i.triggerTime.raw > 0, let m = j.messages[i.triggerTime] {
            out.append("  trigger: \(venue(j, m.venue)) message, kernel receive \(i.triggerTime.raw) ns; decoded +\(ms(m.decodedTime.raw - m.receiveTime.raw)), on the ring +\(ms(m.publishedTime.raw - m.receiveTime.raw))")
            // Receive times are the kernel's, on the monotonic or the wall clock: the nearer reading is the one.
            let sameClock = i.createdTime.raw - i.triggerTime.raw, shifted = created - i.triggerTime.raw
            out.append("  intent: the strategy's, \(ms(abs(sameClock) < abs(shifted) ? sameClock : shifted)) after the trigger's receive")
        } else {
            out.append("  trigger: \(i.triggerTime.raw == 0 ? "none (risk's own order or a timer)" : "a market message not in the journal (receive \(i.triggerTime.raw))")")
        }
        out.append("  decision: \(d.reason) (observed \(d.observed), limit \(d.limit)), \(ms(decided - created)) after the intent; expected price \(price(j, i.instrument, i.expectedPrice))")
        let siblings = j.decisions.filter { $0.decision.intent.signalId == i.signalId && i.signalId != 0 && $0.decision.clientOrderId != id }
        for (_, s) in siblings {
            out.append("  same signal: order \(s.clientOrderId.raw) \(venue(j, s.intent.venue)) \(s.intent.side == .buy ? "buy" : "sell") \(quantity(j, s.intent.instrument, s.intent.quantity)) lane \(s.intent.lane): \(s.reason)")
        }
        var filled = 0, first: Nanos? = nil
        for (t, r) in j.reports where r.clientOrderId == id {
            if first == nil { first = t }
            let what = r.lastQuantity.raw > 0 ? "fill \(quantity(j, r.instrument, r.lastQuantity)) at \(price(j, r.instrument, r.price)), fee \(r.fee)" : "\(r.status)"
            out.append("  report: \(what) (cumulative \(quantity(j, r.instrument, r.cumulativeQuantity))), journaled \(ms(t.raw - decided)) after the decision")
            if r.lastQuantity.raw > 0 { filled += 1 }
        }
        out.append("  \(filled) fill(s); journaled \(ms(seen.raw - decided)) after the decision")
        return out
    }
}

/// `gantry journal export --dir D --sqlite F`: every record into SQLite tables, indexed per order and per time.
struct JournalExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export a journal to SQLite: market events, decisions (with intents), reports, notes; indexed by order and by time.")

    @Option(name: .long, help: "The journal directory.")
    var dir: String

    @Option(name: .long, help: "The SQLite file to write (replaced).")
    var sqlite: String

    func run() throws {
        try? FileManager.default.removeItem(atPath: sqlite)
        let db = try SQLite(path: sqlite)
        try db.exec("""
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
            CREATE TABLE market_events (journaled_ns INTEGER, kind INTEGER, side INTEGER, venue INTEGER, instrument INTEGER, price INTEGER, quantity INTEGER, receive_ns INTEGER, decoded_ns INTEGER, published_ns INTEGER);
            CREATE TABLE decisions (journaled_ns INTEGER, client_order_id INTEGER, signal_id INTEGER, intent_id INTEGER, strategy INTEGER, venue INTEGER, instrument INTEGER, side INTEGER, lane INTEGER, price INTEGER, quantity INTEGER, approved_quantity INTEGER, expected_price INTEGER, reason TEXT, observed INTEGER, limit_value INTEGER, trigger_ns INTEGER, created_ns INTEGER, decided_ns INTEGER);
            CREATE TABLE reports (journaled_ns INTEGER, client_order_id INTEGER, status TEXT, side INTEGER, venue INTEGER, instrument INTEGER, price INTEGER, last_quantity INTEGER, cumulative_quantity INTEGER, fee INTEGER, event_ns INTEGER);
            CREATE TABLE notes (journaled_ns INTEGER, kind TEXT, text TEXT);
            CREATE TABLE book_snapshots (journaled_ns INTEGER, venue INTEGER, instrument INTEGER, sequence INTEGER, exchange_ns INTEGER, update_ns INTEGER, bid_levels INTEGER, ask_levels INTEGER, bids TEXT, asks TEXT);
            BEGIN;
            """)
        let market = try db.prepare("INSERT INTO market_events VALUES (?,?,?,?,?,?,?,?,?,?)")
        var count = 0
        var failure: Error? = nil
        let j = try JournalContents(directory: dir) { t, e in
            guard failure == nil else { return }
            do {
                try market.run([t.raw, Int64(e.kind.rawValue), Int64(e.side.rawValue), Int64(e.venue.raw), Int64(e.instrument.raw), e.price.raw, e.quantity.raw, e.receiveTime.raw, e.decodedTime.raw, e.publishedTime.raw])
                count += 1
            } catch { failure = error }
        }
        if let failure { throw failure }
        let decisions = try db.prepare("INSERT INTO decisions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        for (t, d) in j.decisions {
            let i = d.intent
            try decisions.run([
                t.raw, Int64(bitPattern: d.clientOrderId.raw), Int64(bitPattern: i.signalId), Int64(bitPattern: i.intentId), Int64(i.strategy.raw), Int64(i.venue.raw),
                Int64(i.instrument.raw), Int64(i.side.rawValue), Int64(i.lane.rawValue), i.price.raw, i.quantity.raw, d.approvedQuantity.raw, i.expectedPrice.raw,
                "\(d.reason)", d.observed, d.limit, i.triggerTime.raw, i.createdTime.raw, d.decidedTime.raw,
            ])
        }
        let reports = try db.prepare("INSERT INTO reports VALUES (?,?,?,?,?,?,?,?,?,?,?)")
        for (t, r) in j.reports {
            try reports.run([
                t.raw, Int64(bitPattern: r.clientOrderId.raw), "\(r.status)", Int64(r.side.rawValue), Int64(r.venue.raw), Int64(r.instrument.raw), r.price.raw,
                r.lastQuantity.raw, r.cumulativeQuantity.raw, r.fee, r.eventTime.raw,
            ])
        }
        let notes = try db.prepare("INSERT INTO notes VALUES (?,?,?)")
        for n in j.notes { try notes.run([n.journaled.raw, "\(n.kind)", n.text]) }
        // A snapshot's levels as "price:quantity" raw fixed-point pairs, best first, comma-separated.
        let snapshots = try db.prepare("INSERT INTO book_snapshots VALUES (?,?,?,?,?,?,?,?,?,?)")
        for (t, update, b) in j.snapshots {
            func levels(_ l: [JournalLevel]) -> String { l.map { "\($0.price.raw):\($0.quantity.raw)" }.joined(separator: ",") }
            try snapshots.run([
                t.raw, Int64(b.venue.raw), Int64(b.instrument.raw), Int64(bitPattern: b.sequence), b.exchangeTime.raw, update.raw, Int64(b.bids.count),
                Int64(b.asks.count), levels(b.bids), levels(b.asks),
            ])
        }
        try db.exec("""
            COMMIT;
            CREATE INDEX decisions_order ON decisions (client_order_id); CREATE INDEX decisions_signal ON decisions (signal_id);
            CREATE INDEX decisions_time ON decisions (journaled_ns); CREATE INDEX reports_order ON reports (client_order_id);
            CREATE INDEX reports_time ON reports (journaled_ns); CREATE INDEX market_receive ON market_events (receive_ns);
            CREATE INDEX market_time ON market_events (journaled_ns); CREATE INDEX notes_time ON notes (journaled_ns);
            CREATE INDEX snapshots_time ON book_snapshots (journaled_ns);
            """)
        print("exported \(dir) to \(sqlite): \(count) market events, \(j.decisions.count) decisions, \(j.reports.count) reports, \(j.notes.count) notes, \(j.snapshots.count) book snapshots")
    }
}

/// The few SQLite calls the export needs.
final class SQLite {
    let db: OpaquePointer

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(path: String) throws {
        var handle: OpaquePointer? = nil
        guard sqlite3_open(path, &handle) == SQLITE_OK, let handle else { throw Failure(description: "\(path): cannot open") }
        db = handle
    }

    deinit { sqlite3_close(db) }

    func exec(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>? = nil
        guard sqlite3_exec(db, sql, nil, nil, &error) == SQLITE_OK else {
            let why = error.map { String(cString: $0) } ?? "unknown"
            sqlite3_free(error)
            throw Failure(description: "sqlite: \(why)")
        }
    }

    func prepare(_ sql: String) throws -> Statement {
        var s: OpaquePointer? = nil
        guard sqlite3_prepare_v2(db, sql, -1, &s, nil) == SQLITE_OK, let s else { throw Failure(description: "sqlite: \(String(cString: sqlite3_errmsg(db)))") }
        return Statement(s, db)
    }

    final class Statement {
        let s: OpaquePointer
        let db: OpaquePointer
        init(_ s: OpaquePointer, _ db: OpaquePointer) {
            self.s = s
            self.db = db
        }
        deinit { sqlite3_finalize(s) }

        /// Binds `values` (Int64 or String) and steps once.
        func run(_ values: [Any]) throws {
            sqlite3_reset(s)
            for (k, v) in values.enumerated() {
                if let n = v as? Int64 {
                    sqlite3_bind_int64(s, Int32(k + 1), n)
                } else if let t = v as? String {
                    // SQLITE_TRANSIENT: SQLite copies the text.
                    sqlite3_bind_text(s, Int32(k + 1), t, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
                }
            }
            guard sqlite3_step(s) == SQLITE_DONE else { throw Failure(description: "sqlite: \(String(cString: sqlite3_errmsg(db)))") }
        }
    }
}
