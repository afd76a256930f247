import Foundation
import GantryCore
@testable import GantryJournal

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ name: String) {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-journal-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// The journal files in it, in order (full paths).
    var files: [String] { try! JournalFileName.list(path).map { journalPath(path, $0.name) } }
}

/// Writes `numbered` events (numbered `numberedEvent`s) to a journal in `dir`, with files of at most
/// `fileSizeLimit` bytes, and closes it.
func writeNumbered(_ dir: TemporaryDirectory, _ numbers: Range<UInt64>, fileSizeLimit: Int = 256 << 20) throws {
    var writer = try JournalWriter(
        JournalConfiguration(directory: dir.path, sync: .never, fileSizeLimit: fileSizeLimit, bufferSize: min(fileSizeLimit, 4 << 20)))
    for n in numbers { try writer.append(numberedEvent(n)) }
    try writer.close()
}

/// A market event whose every field follows from `n`.
func numberedEvent(_ n: UInt64) -> MarketEvent {
    MarketEvent(
        kind: .levelChange, side: n % 2 == 0 ? .buy : .sell, venue: VenueId(raw: UInt8(n % 5 + 1)), instrument: InstrumentId(raw: UInt32(n % 7 + 1)),
        flags: n % 3 == 0 ? .endOfMessage : [], sequence: n, price: Price(raw: Int64(n) * 3), quantity: Quantity(raw: Int64(n) ^ 0x55),
        price2: Price(raw: -Int64(n)), quantity2: Quantity(raw: 7), exchangeTime: Nanos(raw: 1_700_000_000_000_000_000 + Int64(n)),
        receiveTime: Nanos(raw: 5_000 + Int64(n)))
}

func sameEvent(_ a: MarketEvent, _ b: MarketEvent) -> Bool {
    withUnsafeBytes(of: a) { x in withUnsafeBytes(of: b) { y in x.elementsEqual(y) } }
}

/// An intent, a decision, a report and a control event whose fields follow from `n`.
func numberedIntent(_ n: UInt64) -> OrderIntent {
    OrderIntent(
        intentId: n, signalId: n / 2, strategy: StrategyId(raw: 3), venue: VenueId(raw: 2), instrument: InstrumentId(raw: 9), pair: PairId(raw: 1),
        side: .sell, price: Price(raw: 6_500_000 + Int64(n)), quantity: Quantity(raw: 10_000), expectedPrice: Price(raw: 6_499_000),
        lane: .hedge, legs: 2, triggerTime: Nanos(raw: 100 + Int64(n)), createdTime: Nanos(raw: 200 + Int64(n)))
}

func numberedDecision(_ n: UInt64) -> RiskDecision {
    var d = RiskDecision(
        intent: numberedIntent(n), reason: n % 2 == 0 ? .approved : .priceBand, approvedQuantity: Quantity(raw: 10_000), observed: 123,
        limit: 100, decidedTime: Nanos(raw: 300 + Int64(n)))
    d.clientOrderId = ClientOrderId(raw: 0xC0FFEE + n)
    return d
}

func numberedReport(_ n: UInt64) -> OrderReport {
    OrderReport(
        status: .partiallyFilled, side: .buy, venue: VenueId(raw: 4), instrument: InstrumentId(raw: 11), clientOrderId: ClientOrderId(raw: n),
        venueOrderId: 0xFEED_0000 + n, price: Price(raw: 42_000), lastQuantity: Quantity(raw: 5), cumulativeQuantity: Quantity(raw: 10),
        fee: -3, isTaker: true, eventTime: Nanos(raw: 1_700_000_000_000_000_000))
}

func numberedControl(_ n: UInt64) -> ControlEvent {
    ControlEvent(command: .pauseTrading, venue: VenueId(raw: 1), strategy: StrategyId(raw: 2), instrument: InstrumentId(raw: 3), reason: 17, issuedTime: Nanos(raw: 400 + Int64(n)), sequence: n)
}

func bytesEqual<T: BitwiseCopyable>(_ a: T, _ b: T) -> Bool {
    withUnsafeBytes(of: a) { x in withUnsafeBytes(of: b) { y in x.elementsEqual(y) } }
}

/// What a reader made of a directory: the market events' sequences, other records by kind, and the errors met.
struct ReadBack {
    var sequences: [UInt64] = []
    var kinds: [JournalRecordKind] = []
    var texts: [String] = []
    var errors: [JournalError] = []
    var tornTail: JournalTornTail?
    var skipped = 0
}

/// Reads every record of `directory`, going on past errors (at most 1,000 of them).
func readAll(_ directory: String) throws -> ReadBack {
    var reader = try JournalReader(directory: directory)
    var out = ReadBack()
    while out.errors.count < 1_000 {
        do {
            guard let record = try reader.next() else { break }
            out.kinds.append(record.kind)
            if let e = record.as(MarketEvent.self) { out.sequences.append(e.sequence) }
            if let t = record.text { out.texts.append(t) }
        } catch {
            out.errors.append(error)
        }
    }
    out.tornTail = reader.tornTail
    out.skipped = reader.skipped
    return out
}

/// A file's bytes.
func contents(_ path: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: path)!) }

func write(_ bytes: [UInt8], to path: String) { _ = FileManager.default.createFile(atPath: path, contents: Data(bytes)) }
