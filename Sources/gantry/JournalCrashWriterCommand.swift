import ArgumentParser
import GantryCore
import GantryJournal

#if canImport(Glibc)
import Glibc
#endif

/// The child of the journal's crash test: appends numbered records as fast as it can until it is killed.
///
/// Record n is a market event (sequence n, price 3n, quantity n ^ 0x55), or every 16th a text note
/// ("record n " and n % 50 bullets), a book snapshot (sequence n, n % 4 bids at n - k, n % 3 asks at n + 1 + k)
/// or a risk decision (intent id n, price 3n). After each batch's write, at most every 10 ms, it prints
/// `written N` (records 0..<N are in the file) with one write(2), so a kill -9 loses no line it printed.
struct JournalCrashWriterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal-crash-writer",
        abstract: "Append numbered records to a journal until killed (used by the journal's crash test).",
        shouldDisplay: false)

    @Option(name: .long, help: "The journal directory.")
    var dir: String

    @Option(name: .long, help: "The number of the first record.")
    var start: UInt64 = 0

    @Option(name: .long, help: "Stop after this many records (default: never).")
    var count: UInt64 = .max

    @Option(name: .long, help: "Rotate files past this many bytes.")
    var fileSize: Int = 4 << 20

    @Option(name: .long, help: "fsync interval, ms.")
    var syncMs: Int64 = 10

    func run() throws {
        var writer = try JournalWriter(
            JournalConfiguration(directory: dir, sync: .interval(.milliseconds(syncMs)), fileSizeLimit: fileSize, bufferSize: 1 << 20))
        let r = writer.recovery
        say("start \(start) recovered \(r.records) cut \(r.bytesCut) corrupt \(r.corruptAt.map { "\($0)" } ?? "none") file \(writer.fileName)")
        var n = start
        let end = count == .max ? UInt64.max : start + count
        var random: UInt64 = 0x2545_F491_4F6C_DD1D ^ start
        var lastSaid = MonotonicClock.now()
        while n < end {
            random ^= random << 13
            random ^= random >> 7
            random ^= random << 17
            let batch = min(1 + random % 400, end - n)
            for _ in 0..<batch {
                try Self.append(n, to: &writer)
                n += 1
            }
            try writer.flush()
            let now = MonotonicClock.now()
            if now - lastSaid >= .milliseconds(10) {
                say("written \(n)")
                lastSaid = now
            }
        }
        try writer.close()
        say("written \(n)")
    }

    static func append(_ n: UInt64, to writer: inout JournalWriter) throws(JournalError) {
        let time = Nanos(raw: Int64(n))
        switch n % 16 {
        case 5:
            try writer.append(text: "record \(n) " + String(repeating: "•", count: Int(n % 50)), kind: .note, eventTime: time)
        case 9:
            let bids = Int(n % 4)
            let asks = Int(n % 3)
            try writer.appendBookSnapshot(
                venue: VenueId(raw: 1), instrument: InstrumentId(raw: UInt32(n % 7 + 1)), sequence: n, exchangeTime: .zero, bidCount: bids,
                askCount: asks, eventTime: time
            ) { b, a in
                for k in 0..<bids { b[k] = JournalLevel(price: Price(raw: Int64(n) - Int64(k)), quantity: Quantity(raw: Int64(k) + 1)) }
                for k in 0..<asks { a[k] = JournalLevel(price: Price(raw: Int64(n) + 1 + Int64(k)), quantity: Quantity(raw: Int64(k) + 1)) }
            }
        case 13:
            let intent = OrderIntent(
                intentId: n, signalId: n, strategy: StrategyId(raw: 1), venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), side: .buy,
                price: Price(raw: Int64(n) * 3), quantity: Quantity(raw: 1), triggerTime: time, createdTime: time)
            try writer.append(RiskDecision(intent: intent, reason: .approved, approvedQuantity: Quantity(raw: 1), decidedTime: time))
        default:
            try writer.append(
                MarketEvent(
                    kind: .levelChange, side: .buy, venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), sequence: n,
                    price: Price(raw: Int64(n) * 3), quantity: Quantity(raw: Int64(n) ^ 0x55), receiveTime: time))
        }
    }

    /// One line to stdout in one write(2) (unbuffered: a killed process loses no line it said).
    func say(_ line: String) {
        var bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
    }
}
