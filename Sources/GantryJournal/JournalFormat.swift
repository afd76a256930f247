import GantryCore

// The journal's bytes (docs/JOURNAL.md says the same for other tools). Little-endian throughout.
//
//   file    ┌ file header, 128 B ┬ record ┬ record ┬ … (records padded to 8 bytes; never split across files)
//
//   file header   0 magic "GNTYJRNL" │  8 crc32c of bytes 12..<128 │ 12 format version u16 │ 14 header length u16
//                16 file sequence u64 │ 24 created, wall ns i64 │ 32 previous file's name length u16
//                34 previous file's name, UTF-8, zero-padded to byte 128
//
//   record        0 payload length u32 │ 4 crc32c of bytes 8..<32 and the payload │ 8 kind u16 │ 10 version u16
//                12 reserved u32 (0) │ 16 journaled time, wall ns i64 │ 24 event time, monotonic ns i64 (0: none)
//                32 payload │ zeros to the next multiple of 8

/// What a journal record holds. The raw value is the record's `kind` field; a reader skips a kind it does not
/// know (a newer writer's), after checking its CRC like any other.
@frozen
public enum JournalRecordKind: UInt16, Sendable, CaseIterable {
    /// A `MarketEvent`, its 64 bytes as they are in memory; event time: its receive time.
    case marketEvent = 1
    /// An `OrderIntent` (72 bytes); event time: when the strategy made it.
    case orderIntent = 2
    /// A `RiskDecision` (120 bytes: the intent, the verdict and its numbers); event time: when risk decided.
    case riskDecision = 3
    /// An `OrderReport` (64 bytes); no event time (its own time is the venue's wall clock, in the payload).
    case orderReport = 4
    /// A `ControlEvent` (32 bytes); event time: when it was issued.
    case controlEvent = 5
    /// A `VenueHealth` (24 bytes): a venue's order connection as order-send published it; event time: its time.
    case venueHealth = 6
    /// A `StageTick` (56 bytes): one poll of a deciding stage, what it read and when; event time: its clock reading.
    case stageTick = 7
    /// A `FlowEvent` (64 bytes): one token's on-chain flow into and out of one exchange in one block; event time:
    /// its receive time.
    case flowEvent = 8
    /// UTF-8 text: the configuration the gateway runs with (at start and on each change).
    case configuration = 16
    /// UTF-8 text: an alert raised.
    case alert = 17
    /// UTF-8 text: one step of the kill switch (cancelled, flattened, verified, …).
    case killSwitchStep = 18
    /// UTF-8 text: anything else worth keeping.
    case note = 19
    /// One venue instrument's book: a 32-byte header, then (price, quantity) pairs, bids then asks, best first.
    case bookSnapshot = 32

    /// One of the UTF-8 text kinds.
    @inlinable public var isText: Bool { (16...19).contains(rawValue) }

    /// The payload layout version this build writes and reads for the kind (a record of a higher version is
    /// skipped as unknown). A change to the layout of one of the events bumps its kind's version.
    @inlinable public var currentVersion: UInt16 { 1 }
}

/// A fixed-size event the journal stores as its bytes in memory, with its own time for the record header.
public protocol JournalEvent: BitwiseCopyable {
    /// The record kind that holds this type.
    static var journalKind: JournalRecordKind { get }
    /// The event's own monotonic time for the record header, or zero if it has none.
    var journalEventTime: Nanos { get }
}

extension MarketEvent: JournalEvent {
    @inlinable public static var journalKind: JournalRecordKind { .marketEvent }
    @inlinable public var journalEventTime: Nanos { receiveTime }
}

extension OrderIntent: JournalEvent {
    @inlinable public static var journalKind: JournalRecordKind { .orderIntent }
    @inlinable public var journalEventTime: Nanos { createdTime }
}

extension RiskDecision: JournalEvent {
    @inlinable public static var journalKind: JournalRecordKind { .riskDecision }
    @inlinable public var journalEventTime: Nanos { decidedTime }
}

extension OrderReport: JournalEvent {
    @inlinable public static var journalKind: JournalRecordKind { .orderReport }
    @inlinable public var journalEventTime: Nanos { .zero }
}

extension ControlEvent: JournalEvent {
    @inlinable public static var journalKind: JournalRecordKind { .controlEvent }
    @inlinable public var journalEventTime: Nanos { issuedTime }
}

extension VenueHealth: JournalEvent {
    @inlinable public static var journalKind: JournalRecordKind { .venueHealth }
    @inlinable public var journalEventTime: Nanos { time }
}

extension FlowEvent: JournalEvent {
    @inlinable public static var journalKind: JournalRecordKind { .flowEvent }
    @inlinable public var journalEventTime: Nanos { receiveTime }
}

extension StageTick: JournalEvent {
    @inlinable public static var journalKind: JournalRecordKind { .stageTick }
    @inlinable public var journalEventTime: Nanos { time }
}

/// One price level of a book snapshot: 16 bytes, price then quantity, each the raw fixed-point value at the
/// instrument's scales. The same layout as GantryBook's `BookLevel` (the journal sits below the books and
/// does not import them), so a side's levels copy in as they are.
@frozen
public struct JournalLevel: Sendable, BitwiseCopyable, Equatable {
    public var price: Price
    public var quantity: Quantity

    @inlinable
    public init(price: Price, quantity: Quantity) {
        self.price = price
        self.quantity = quantity
    }

    public static func == (a: JournalLevel, b: JournalLevel) -> Bool { a.price.raw == b.price.raw && a.quantity.raw == b.quantity.raw }
}

/// The fixed sizes and offsets of the format, in bytes.
enum JournalLayout {
    static let magic: UInt64 = 0x4C4E_524A_5954_4E47  // "GNTYJRNL" read as a little-endian UInt64
    static let fileVersion: UInt16 = 1
    static let fileHeaderLength = 128
    /// The longest previous-file name a header holds.
    static let maximumNameLength = fileHeaderLength - 34
    static let recordHeaderLength = 32
    /// What a record's CRC starts after: the length and the CRC itself.
    static let checkedFrom = 8
    /// The largest payload the format allows (a reader refuses a longer length as corrupt).
    static let maximumPayload = (1 << 24) - recordHeaderLength
    /// A book snapshot's header: instrument u32, venue u8, 3 reserved, bid count u32, ask count u32,
    /// sequence u64, exchange time i64.
    static let snapshotHeaderLength = 32

    /// A record's length in the file: header, payload, padding to 8.
    static func footprint(payload: Int) -> Int { (recordHeaderLength + payload + 7) & ~7 }
}

/// A journal file's header, as read.
struct JournalFileHeader: Equatable {
    var sequence: UInt64
    var created: Nanos
    var previousName: String
    var headerLength: Int

    /// Writes the 128-byte header at `to` (which must hold 128 bytes).
    func encode(to bytes: UnsafeMutableRawPointer) {
        bytes.initializeMemory(as: UInt8.self, repeating: 0, count: JournalLayout.fileHeaderLength)
        bytes.storeBytes(of: JournalLayout.magic.littleEndian, toByteOffset: 0, as: UInt64.self)
        bytes.storeBytes(of: JournalLayout.fileVersion.littleEndian, toByteOffset: 12, as: UInt16.self)
        bytes.storeBytes(of: UInt16(JournalLayout.fileHeaderLength).littleEndian, toByteOffset: 14, as: UInt16.self)
        bytes.storeBytes(of: sequence.littleEndian, toByteOffset: 16, as: UInt64.self)
        bytes.storeBytes(of: created.raw.littleEndian, toByteOffset: 24, as: Int64.self)
        let name = Array(previousName.utf8.prefix(JournalLayout.maximumNameLength))
        bytes.storeBytes(of: UInt16(name.count).littleEndian, toByteOffset: 32, as: UInt16.self)
        if !name.isEmpty { name.withUnsafeBytes { (bytes + 34).copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        let crc = CRC32C.checksum(bytes + 12, count: JournalLayout.fileHeaderLength - 12)
        bytes.storeBytes(of: crc.littleEndian, toByteOffset: 8, as: UInt32.self)
    }

    /// Why a file header is not one.
    enum Problem: Error, Equatable {
        case short, badMagic, newerVersion(UInt16), badLength(Int), checksumMismatch
    }

    /// Reads a header from the start of a file (`bytes` holds at least the first 128 bytes, or all there are).
    static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<JournalFileHeader, Problem> {
        guard bytes.count >= 16 else { return .failure(.short) }
        let base = bytes.baseAddress!
        guard UInt64(littleEndian: base.loadUnaligned(as: UInt64.self)) == JournalLayout.magic else {
            return .failure(.badMagic)
        }
        let version = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 12, as: UInt16.self))
        guard version <= JournalLayout.fileVersion else { return .failure(.newerVersion(version)) }
        let length = Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 14, as: UInt16.self)))
        guard length >= JournalLayout.fileHeaderLength, length % 8 == 0 else { return .failure(.badLength(length)) }
        guard bytes.count >= length else { return .failure(.short) }
        let crc = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard CRC32C.checksum(base + 12, count: length - 12) == crc else { return .failure(.checksumMismatch) }
        let nameLength = min(Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 32, as: UInt16.self))), JournalLayout.maximumNameLength)
        let name = String(decoding: UnsafeRawBufferPointer(start: base + 34, count: nameLength), as: UTF8.self)
        return .success(
            JournalFileHeader(
                sequence: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                created: Nanos(raw: Int64(littleEndian: base.loadUnaligned(fromByteOffset: 24, as: Int64.self))),
                previousName: name, headerLength: length))
    }
}
