import GantryBook
import GantryCore
import GantryVenues
import GantryTestSupport
import Testing

@Suite("Kraken v1: book-1000 snapshot and updates, CRC32 on every update, on a real recording")
struct KrakenV1Tests {
    @Test("all 289 checksummed updates of the XBT/CHF recording match", .recordedVenueData)
    func recording() throws {
        var sync = KrakenV1BookSync(venue: VenueId(raw: 3), instrument: InstrumentId(raw: 9), priceScale: 5, quantityScale: 8, depth: 1_000)
        var applied = 0
        var checked = 0
        var other: [String] = []
        for line in try Fixtures.lines("kraken/v1_XBT-CHF_book1000_snapshot_and_updates.jsonl") {
            let outcome: KrakenV1BookSync.Outcome? = try line.withBytes { bytes in
                guard let message = try? KrakenV1.decodeBook(bytes) else { return nil }
                if message.hasChecksum { checked += 1 }
                return try sync.apply(message)
            }
            guard let outcome else { continue }
            if outcome == .applied { applied += 1 } else { other.append("\(outcome)") }
        }
        #expect(other.isEmpty, "\(other.prefix(3))")
        #expect(checked == 289)
        #expect(applied == 290)  // the snapshot and 289 updates
        let live = sync.book.state
        #expect(live == .live)
    }

    @Test("a volume off by one unit fails the checksum and the book waits for a new snapshot", .recordedVenueData)
    func mismatch() throws {
        var sync = KrakenV1BookSync(venue: VenueId(raw: 3), instrument: InstrumentId(raw: 9), priceScale: 5, quantityScale: 8, depth: 1_000)
        let lines = try Fixtures.lines("kraken/v1_XBT-CHF_book1000_snapshot_and_updates.jsonl")
        for k in 2...4 { _ = try lines[k].withBytes { try sync.apply(KrakenV1.decodeBook($0)) } }
        // A bid inside the top ten (a change deeper down is not covered by the checksum, and passes).
        let tampered = lines[5].replacingOccurrences(of: "\"0.01203000\"", with: "\"0.01203001\"")
        let outcome = try tampered.withBytes { try sync.apply(KrakenV1.decodeBook($0)) }
        guard case .checksumMismatch = outcome else {
            Issue.record("a wrong book was accepted: \(outcome)")
            return
        }
        #expect(try lines[6].withBytes { try sync.apply(KrakenV1.decodeBook($0)) } == .waitingForSnapshot)
        #expect(throws: DecodeError.unknownMessage) { try lines[0].withBytes { _ = try KrakenV1.decodeBook($0) } }
    }
}
