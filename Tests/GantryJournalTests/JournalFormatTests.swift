import GantryCore
import Testing

@testable import GantryJournal

/// The byte layouts docs/JOURNAL.md gives other tools: a change here is a change of the format (bump the kind's
/// version and the document).
@Suite("Journal format")
struct JournalFormatTests {
    @Test("the journaled events have their documented sizes and field offsets")
    func eventLayouts() {
        #expect(MemoryLayout<MarketEvent>.size == 64)
        #expect(MemoryLayout<OrderIntent>.size == 72)
        #expect(MemoryLayout<RiskDecision>.size == 120)
        #expect(MemoryLayout<OrderReport>.size == 64)
        #expect(MemoryLayout<ControlEvent>.size == 32)
        #expect(MemoryLayout<JournalLevel>.stride == 16)
        #expect(MemoryLayout<JournalNote>.size == 128 && MemoryLayout<JournalNote>.stride == 128)

        let market: [(PartialKeyPath<MarketEvent>, Int)] = [
            (\.kind, 0), (\.side, 1), (\.venue, 2), (\.flags, 3), (\.instrument, 4), (\.sequence, 8), (\.price, 16), (\.quantity, 24),
            (\.price2, 32), (\.quantity2, 40), (\.exchangeTime, 48), (\.receiveTime, 56),
        ]
        for (path, offset) in market { #expect(MemoryLayout<MarketEvent>.offset(of: path) == offset) }
        let intent: [(PartialKeyPath<OrderIntent>, Int)] = [
            (\.side, 0), (\.orderType, 1), (\.timeInForce, 2), (\.venue, 3), (\.lane, 4), (\.legs, 5), (\.pair, 6), (\.instrument, 8),
            (\.strategy, 12), (\.reserved2, 14), (\.intentId, 16), (\.signalId, 24), (\.price, 32), (\.quantity, 40),
            (\.expectedPrice, 48), (\.triggerTime, 56), (\.createdTime, 64),
        ]
        for (path, offset) in intent { #expect(MemoryLayout<OrderIntent>.offset(of: path) == offset) }
        let decision: [(PartialKeyPath<RiskDecision>, Int)] = [
            (\.intent, 0), (\.reason, 72), (\.reserved, 74), (\.reserved2, 76), (\.clientOrderId, 80), (\.approvedQuantity, 88),
            (\.observed, 96), (\.limit, 104), (\.decidedTime, 112),
        ]
        for (path, offset) in decision { #expect(MemoryLayout<RiskDecision>.offset(of: path) == offset) }
        let report: [(PartialKeyPath<OrderReport>, Int)] = [
            (\.status, 0), (\.side, 1), (\.venue, 2), (\.isTaker, 3), (\.instrument, 4), (\.clientOrderId, 8), (\.venueOrderId, 16),
            (\.price, 24), (\.lastQuantity, 32), (\.cumulativeQuantity, 40), (\.fee, 48), (\.eventTime, 56),
        ]
        for (path, offset) in report { #expect(MemoryLayout<OrderReport>.offset(of: path) == offset) }
        let control: [(PartialKeyPath<ControlEvent>, Int)] = [
            (\.command, 0), (\.venue, 1), (\.strategy, 2), (\.instrument, 4), (\.reason, 8), (\.issuedTime, 16), (\.sequence, 24),
        ]
        for (path, offset) in control { #expect(MemoryLayout<ControlEvent>.offset(of: path) == offset) }
        #expect(MemoryLayout<VenueHealth>.size == 24 && MemoryLayout<StageTick>.size == 56 && MemoryLayout<FlowEvent>.size == 64)
        let health: [(PartialKeyPath<VenueHealth>, Int)] = [(\.venue, 0), (\.ready, 1), (\.roundTrip, 8), (\.time, 16)]
        for (path, offset) in health { #expect(MemoryLayout<VenueHealth>.offset(of: path) == offset) }
        let tick: [(PartialKeyPath<StageTick>, Int)] = [
            (\.stage, 0), (\.marketRings, 1), (\.reports, 2), (\.control, 4), (\.health, 6), (\.intents, 8), (\.flows, 10), (\.reserved2, 12),
            (\.time, 16), (\.sequence, 24), (\.market, 32), (\.marketVenues, 48),
        ]
        for (path, offset) in tick { #expect(MemoryLayout<StageTick>.offset(of: path) == offset) }
        let flow: [(PartialKeyPath<FlowEvent>, Int)] = [
            (\.inflow, 0), (\.outflow, 16), (\.block, 32), (\.blockTime, 40), (\.receiveTime, 48), (\.token, 56), (\.exchange, 58), (\.kind, 60),
            (\.flags, 61), (\.transfers, 62),
        ]
        for (path, offset) in flow { #expect(MemoryLayout<FlowEvent>.offset(of: path) == offset) }
    }

    @Test("a file header reads back as written, and any changed byte or a short file is refused")
    func fileHeader() {
        let header = JournalFileHeader(
            sequence: 42, created: Nanos(raw: 1_733_500_000_123_456_789), previousName: "journal-000041-1733499999000.gj",
            headerLength: JournalLayout.fileHeaderLength)
        var bytes = [UInt8](repeating: 0xAA, count: JournalLayout.fileHeaderLength)
        bytes.withUnsafeMutableBytes { header.encode(to: $0.baseAddress!) }
        #expect(Array(bytes[0..<8]) == Array("GNTYJRNL".utf8))
        #expect(bytes.withUnsafeBytes { JournalFileHeader.decode($0) } == .success(header))
        for k in 0..<bytes.count {
            var changed = bytes
            changed[k] ^= 0x01
            let decoded = changed.withUnsafeBytes { JournalFileHeader.decode($0) }
            if case .success = decoded { Issue.record("byte \(k) changed and the header still read") }
        }
        #expect(bytes.withUnsafeBytes { JournalFileHeader.decode(UnsafeRawBufferPointer(rebasing: $0[..<100])) } == .failure(.short))
    }

    @Test("file names carry the sequence (six digits at least) and the start time, and sort by sequence")
    func fileNames() {
        let name = JournalFileName(sequence: 7, createdMillis: 1_733_500_000_123)
        #expect(name.name == "journal-000007-1733500000123.gj")
        #expect(JournalFileName(parsing: name.name) == name)
        #expect(JournalFileName(sequence: 1_234_567, createdMillis: 5).name == "journal-1234567-5.gj")
        for bad in ["journal-1.gj", "journal-a-1.gj", "journal--1.gj", "journal-1-2.gjx", "xjournal-1-2.gj", "journal-1-2-3.gj", "journal-+1-2.gj"] {
            #expect(JournalFileName(parsing: bad) == nil, "\(bad)")
        }
        let sorted = ["journal-000010-1.gj", "journal-000002-9.gj", "journal-1000000-0.gj"].compactMap(JournalFileName.init(parsing:)).sorted()
        #expect(sorted.map(\.sequence) == [2, 10, 1_000_000])
    }

    @Test("a record takes its 32-byte header and payload rounded up to 8 bytes")
    func footprint() {
        #expect(JournalLayout.footprint(payload: 64) == 96)
        #expect(JournalLayout.footprint(payload: 0) == 32)
        #expect(JournalLayout.footprint(payload: 1) == 40)
        #expect(JournalLayout.footprint(payload: 120) == 152)
    }
}
