import GantryCore

/// One record as the reader hands it out: its header and a view of its payload.
///
/// The payload lives in the reader's buffer: a record is valid until the reader's next `next()` call (take
/// what you need from it, with `as(_:)`, `text` or `bookSnapshot`, before asking for the next).
public struct JournalRecord {
    public let kind: JournalRecordKind
    /// The payload layout version it was written with.
    public let version: UInt16
    /// When the writer took it in: wall-clock ns since the epoch.
    public let journaledTime: Nanos
    /// The event's own time (monotonic ns), or zero if it has none.
    public let eventTime: Nanos
    /// The file it is in (its name) and where in it the record starts.
    public let file: String
    public let offset: Int
    @usableFromInline let payload: UnsafeRawBufferPointer

    /// The payload's length in bytes.
    public var payloadCount: Int { payload.count }

    /// The event this record holds, or nil if it holds another kind.
    @inlinable
    public func `as`<E: JournalEvent>(_ type: E.Type) -> E? {
        guard kind == E.journalKind else { return nil }
        return withUnsafePayload { $0.loadUnaligned(as: E.self) }
    }

    /// The text of a text-kind record (checked as UTF-8 when read), or nil for another kind.
    public var text: String? {
        guard kind.isText else { return nil }
        return String(decoding: payload, as: UTF8.self)
    }

    /// The book of a `bookSnapshot` record (its levels copied out), or nil for another kind.
    public var bookSnapshot: JournalBookSnapshot? {
        guard kind == .bookSnapshot else { return nil }
        let p = payload.baseAddress!
        let bids = Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        let asks = Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        let level = MemoryLayout<JournalLevel>.stride
        func levels(from start: Int, count: Int) -> [JournalLevel] {
            (0..<count).map { k in
                let at = JournalLayout.snapshotHeaderLength + (start + k) * level
                return JournalLevel(
                    price: Price(raw: Int64(littleEndian: p.loadUnaligned(fromByteOffset: at, as: Int64.self))),
                    quantity: Quantity(raw: Int64(littleEndian: p.loadUnaligned(fromByteOffset: at + 8, as: Int64.self))))
            }
        }
        return JournalBookSnapshot(
            venue: VenueId(raw: p.load(fromByteOffset: 4, as: UInt8.self)),
            instrument: InstrumentId(raw: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))),
            sequence: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            exchangeTime: Nanos(raw: Int64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: Int64.self))),
            bids: levels(from: 0, count: bids), asks: levels(from: bids, count: asks))
    }

    /// Calls `body` with the payload's bytes (valid only inside `body`).
    @inlinable
    public func withUnsafePayload<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try body(payload) }
}

/// One venue instrument's book at a moment: what a `bookSnapshot` record holds. Levels best first.
public struct JournalBookSnapshot: Sendable, Equatable {
    public var venue: VenueId
    public var instrument: InstrumentId
    /// The venue's sequence of the book's last update.
    public var sequence: UInt64
    /// The venue's time of the book's last update, wall-clock ns (zero if none).
    public var exchangeTime: Nanos
    public var bids: [JournalLevel]
    public var asks: [JournalLevel]

    public init(venue: VenueId, instrument: InstrumentId, sequence: UInt64, exchangeTime: Nanos, bids: [JournalLevel], asks: [JournalLevel]) {
        self.venue = venue
        self.instrument = instrument
        self.sequence = sequence
        self.exchangeTime = exchangeTime
        self.bids = bids
        self.asks = asks
    }
}

extension JournalRecord {
    /// What is wrong with a known kind's payload.
    enum Shape {
        /// An event's payload whose size is not its type's (`expected` bytes).
        case layout(expected: Int)
        case malformed(String)
    }

    /// Checks that a known kind's payload has the shape this build reads. - Returns: the problem, or nil.
    static func check(kind: JournalRecordKind, payload: UnsafeRawBufferPointer) -> Shape? {
        func size<E: JournalEvent>(_: E.Type) -> Shape? {
            payload.count == MemoryLayout<E>.size ? nil : .layout(expected: MemoryLayout<E>.size)
        }
        switch kind {
        case .marketEvent: return size(MarketEvent.self)
        case .orderIntent: return size(OrderIntent.self)
        case .riskDecision: return size(RiskDecision.self)
        case .orderReport: return size(OrderReport.self)
        case .controlEvent: return size(ControlEvent.self)
        case .venueHealth: return size(VenueHealth.self)
        case .stageTick: return size(StageTick.self)
        case .flowEvent: return size(FlowEvent.self)
        case .configuration, .alert, .killSwitchStep, .note:
            return String(validating: payload, as: UTF8.self) == nil ? .malformed("text is not valid UTF-8") : nil
        case .bookSnapshot:
            guard payload.count >= JournalLayout.snapshotHeaderLength else { return .malformed("book snapshot shorter than its header") }
            let p = payload.baseAddress!
            let levels = Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
                + Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
            let expected = JournalLayout.snapshotHeaderLength + levels * MemoryLayout<JournalLevel>.stride
            return payload.count == expected ? nil : .malformed("book snapshot of \(levels) levels in \(payload.count) bytes")
        }
    }
}
