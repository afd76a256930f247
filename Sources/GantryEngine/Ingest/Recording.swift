import Foundation
import GantryCore

// Recordings for replay (`gantry record`, `gantry replay`): what the ingest stage took in, in the order it took
// it, and the events it published. Replaying the raw file through the same feed handler must give the same
// events, field for field (a message's `messageTimes` event is compared but for the run's own decode-done and
// published times).
//
//   raw file     "GNTYRAW1", then records: kind u8 | 3 pad | instrument u32 | time i64 | length u32 | bytes
//                (little endian; kind 1 a WebSocket message, 2 a REST snapshot body, 3 the connection lost,
//                4 the connection opened, 5 a silence check that found silent books, its bytes the limit in ns
//                as an i64; time the kernel receive time, or the stage's clock for 3–5, monotonic ns)
//   events file  "GNTYEVT2", then 64-byte `MarketEvent`s as they are in memory (version 2: each message's
//                events end with its `messageTimes`; a version 1 file, from before, is refused as `olderVersion`)

/// One thing the ingest stage took in.
public struct IngestRecord: Sendable, Equatable {
    public enum Kind: UInt8, Sendable { case message = 1, snapshot = 2, connectionLost = 3, opened = 4, silence = 5 }
    public var kind: Kind
    public var instrument: InstrumentId
    public var time: Nanos
    public var bytes: [UInt8]
}

/// Why a recording could not be read.
public enum RecordingError: Error, Equatable, Sendable, CustomStringConvertible {
    case cannotOpen(String)
    case notARecording(String)
    /// An events file from an earlier version of Gantry (recorded before messages ended with `messageTimes`).
    case olderVersion(String)
    /// The file ends inside a record (a torn tail: the recorder was killed mid-write). What came before is kept.
    case truncated(recordsRead: Int)

    public var description: String {
        switch self {
        case .cannotOpen(let p): "cannot open \(p)"
        case .notARecording(let p): "\(p) is not a Gantry recording (bad magic)"
        case .olderVersion(let p): "\(p) is an events file of an earlier Gantry version: record it again"
        case .truncated(let n): "the recording ends inside a record after \(n) whole records"
        }
    }
}

/// Appends records to a file through a 1 MiB buffer (written when full and at `close`). Used only on the
/// thread of the stage it records; the file I/O is on that thread, which is the price of recording.
///
/// `@unchecked Sendable`: it is made on the thread that starts the stage and handed over before the stage runs;
/// from then on only the stage's thread touches it (no two threads ever use one recorder).
public final class IngestRecorder: @unchecked Sendable {
    let handle: FileHandle
    var buffer: [UInt8] = []
    public private(set) var records = 0

    /// Creates (or truncates) `path` and writes the raw file's magic.
    public init(path: String, magic: String = "GNTYRAW1") throws(RecordingError) {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw .cannotOpen(path)
        }
        handle = h
        buffer.reserveCapacity(1 << 20)
        buffer += Array(magic.utf8)
    }

    deinit { close() }

    func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { buffer += $0 } }

    /// Records one input of the stage.
    public func record(_ kind: IngestRecord.Kind, instrument: InstrumentId = .none, time: Nanos, _ bytes: UnsafeRawBufferPointer) {
        buffer.append(kind.rawValue)
        buffer += [0, 0, 0]
        put(instrument.raw)
        put(time.raw)
        put(UInt32(bytes.count))
        buffer += bytes
        records += 1
        if buffer.count >= 1 << 20 { flush() }
    }

    /// Appends raw bytes (the events file's records).
    public func append(_ bytes: UnsafeRawBufferPointer) {
        buffer += bytes
        if buffer.count >= 1 << 20 { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() {
        flush()
        try? handle.close()
    }
}

extension IngestRecorder {
    /// A recorder of published events (the events file).
    public static func events(path: String) throws(RecordingError) -> IngestRecorder { try IngestRecorder(path: path, magic: "GNTYEVT2") }

    /// Records published events.
    public func record(events: UnsafeBufferPointer<MarketEvent>) { append(UnsafeRawBufferPointer(events)) }
}

/// Reads a raw recording (the first `limit` records, if given). - Throws: `RecordingError` (a torn tail is
/// reported with how many whole records preceded it).
public func readIngestRecords(_ path: String, limit: Int = .max) throws(RecordingError) -> [IngestRecord] {
    guard let data = FileManager.default.contents(atPath: path) else { throw .cannotOpen(path) }
    let bytes = [UInt8](data)
    guard bytes.count >= 8, Array(bytes[0..<8]) == Array("GNTYRAW1".utf8) else { throw .notARecording(path) }
    var out: [IngestRecord] = []
    var i = 8
    func int<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T {
        var v = T.zero
        withUnsafeMutableBytes(of: &v) { $0.copyBytes(from: bytes[at..<at + MemoryLayout<T>.size]) }
        return T(littleEndian: v)
    }
    while i < bytes.count && out.count < limit {
        guard i + 20 <= bytes.count, let kind = IngestRecord.Kind(rawValue: bytes[i]) else { throw .truncated(recordsRead: out.count) }
        let instrument = int(i + 4, UInt32.self)
        let time = int(i + 8, Int64.self)
        let length = Int(int(i + 16, UInt32.self))
        guard i + 20 + length <= bytes.count else { throw .truncated(recordsRead: out.count) }
        out.append(IngestRecord(kind: kind, instrument: InstrumentId(raw: instrument), time: Nanos(raw: time), bytes: Array(bytes[(i + 20)..<(i + 20 + length)])))
        i += 20 + length
    }
    return out
}

/// Reads an events file.
public func readEvents(_ path: String) throws(RecordingError) -> [MarketEvent] {
    guard let data = FileManager.default.contents(atPath: path) else { throw .cannotOpen(path) }
    if data.count >= 8 && Array(data.prefix(8)) == Array("GNTYEVT1".utf8) { throw .olderVersion(path) }
    guard data.count >= 8, Array(data.prefix(8)) == Array("GNTYEVT2".utf8) else { throw .notARecording(path) }
    let size = MemoryLayout<MarketEvent>.stride
    guard (data.count - 8) % size == 0 else { throw .truncated(recordsRead: (data.count - 8) / size) }
    return data.dropFirst(8).withUnsafeBytes { raw in
        (0..<(raw.count / size)).map { raw.loadUnaligned(fromByteOffset: $0 * size, as: MarketEvent.self) }
    }
}

/// Whether two events say the same, field by field (their padding bytes are not compared). A `messageTimes`
/// event's decode-done and published times are when that run did the work, and are not compared.
public func sameEvent(_ a: MarketEvent, _ b: MarketEvent) -> Bool {
    let stamped = a.kind == .messageTimes
    return a.kind == b.kind && a.side == b.side && a.venue == b.venue && a.flags == b.flags && a.instrument == b.instrument
        && a.sequence == b.sequence && (stamped || (a.price == b.price && a.quantity == b.quantity)) && a.price2 == b.price2
        && a.quantity2 == b.quantity2 && a.exchangeTime == b.exchangeTime && a.receiveTime == b.receiveTime
}

/// Runs a recording through a feed handler as the ingest stage did, and returns the events it publishes (each
/// message's `messageTimes` stamped with this run's times).
public func replay<H: FeedHandler & ~Copyable>(_ records: [IngestRecord], through handler: inout H) -> [MarketEvent] {
    var batch = EventBatch()
    var out: [MarketEvent] = []
    for r in records {
        batch.removeAll()
        switch r.kind {
        case .message:
            _ = r.bytes.withUnsafeBytes { handler.handle($0, receiveTime: r.time, into: &batch) }
        case .snapshot:
            _ = r.bytes.withUnsafeBytes { handler.snapshotArrived(r.instrument, body: $0, receiveTime: r.time, into: &batch) }
        case .connectionLost:
            handler.connectionLost(at: r.time, into: &batch)
        case .opened: handler.restartSilenceClocks(at: r.time)
        case .silence:
            guard r.bytes.count == 8 else { continue }
            let limit = r.bytes.withUnsafeBytes { Nanos(raw: Int64(littleEndian: $0.loadUnaligned(as: Int64.self))) }
            _ = handler.silentBooks(now: r.time, limit: limit, into: &batch) { _ in }
        }
        guard batch.count > 0 else { continue }
        batch.endMessage(decodedAt: MonotonicClock.now())
        batch.events[batch.count - 1].publishedTime = MonotonicClock.now()
        out += batch.buffer
    }
    return out
}

/// Replays a venue's recording through a new feed handler for it (as `VenueFeedRunner` makes them).
public func replay(_ records: [IngestRecord], venue: VenueConfiguration, registry: InstrumentRegistry) -> [MarketEvent] {
    guard let venueId = registry.venue(named: venue.name) else { return [] }
    let instruments = registry.instruments.filter { $0.venue == venueId }.map {
        FeedInstrument(symbol: $0.symbol, instrument: $0.id, priceScale: $0.priceScale, quantityScale: $0.quantityScale)
    }
    switch venue.kind {
    case .binance:
        var h = BinanceFeed(venue: venueId, instruments: instruments, snapshotLimit: venue.depth)
        return replay(records, through: &h)
    case .bybit:
        var h = BybitFeed(venue: venueId, instruments: instruments, depth: venue.depth)
        return replay(records, through: &h)
    case .okx:
        var h = OKXFeed(venue: venueId, instruments: instruments, depth: venue.depth)
        return replay(records, through: &h)
    case .kraken:
        var h = KrakenV2Feed(venue: venueId, instruments: instruments, depth: venue.depth)
        return replay(records, through: &h)
    case .coinbase:
        var h = CoinbaseFeed(venue: venueId, instruments: instruments, depth: venue.depth)
        return replay(records, through: &h)
    }
}
