import GantryBook
import GantryCore
import GantryVenues
import GantryTestSupport
import Testing

@Suite("OKX: books channel, sequence chain and CRC32 checksum, on a real recording")
struct OKXTests {
    func sync() -> OKXBookSync {
        OKXBookSync(venue: VenueId(raw: 4), instrument: InstrumentId(raw: 2), priceScale: 1, quantityScale: 8)
    }

    func apply(_ sync: inout OKXBookSync, _ text: String) throws -> OKXBookSync.Outcome {
        try text.withBytes { try sync.apply(OKX.decodeBook($0)) }
    }

    @Test("all 98 messages of the BTC-USDT recording apply and every checksum matches", .recordedVenueData)
    func recording() throws {
        var book = sync()
        var outcomes: [OKXBookSync.Outcome] = []
        for line in try Fixtures.lines("okx/BTC-USDT_books_snapshot_and_updates.jsonl") {
            outcomes.append(try apply(&book, line))
        }
        #expect(outcomes.count == 98)
        #expect(outcomes.allSatisfy { $0 == .applied }, "\(outcomes.filter { $0 != .applied }.prefix(3))")
        let state = book.book.state
        let crossed = book.book.isCrossed
        #expect(state == .live && !crossed)
        #expect(book.checksumFailures == 0)
    }

    @Test("a wrong checksum or a broken seqId chain makes the book stale until the next snapshot", .recordedVenueData)
    func staleAndResync() throws {
        var book = sync()
        let lines = try Fixtures.lines("okx/BTC-USDT_books_snapshot_and_updates.jsonl")
        #expect(try apply(&book, lines[0]) == .applied)
        // The second message with its checksum changed.
        let tampered = lines[1].replacingOccurrences(of: "\"checksum\":-652563973", with: "\"checksum\":-652563974")
        guard case .checksumMismatch(let expected, let computed) = try apply(&book, tampered) else {
            Issue.record("a wrong checksum was accepted")
            return
        }
        #expect(expected == -652_563_974 && computed == -652_563_973)
        let stale = book.book.state
        #expect(stale == .stale)
        #expect(try apply(&book, lines[2]) == .waitingForSnapshot)
        #expect(try apply(&book, lines[0]) == .applied)

        // seqId/prevSeqId (sent since 2022): each update continues the previous seqId.
        var chained = sync()
        let snapshot = #"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["101","1","0","1"]],"bids":[["100","1","0","1"]],"ts":"1","checksum":0,"seqId":10,"prevSeqId":-1}]}"#
        func update(_ prev: Int, _ seq: Int) -> String {
            #"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[["100","2","0","1"]],"ts":"2","checksum":0,"seqId":\#(seq),"prevSeqId":\#(prev)}]}"#
        }
        #expect(try apply(&chained, snapshot) == .applied)
        #expect(try apply(&chained, update(10, 12)) == .applied)
        #expect(try apply(&chained, update(13, 14)) == .sequenceGap(expected: 12, got: 13))
        let sequence = chained.book.sequence
        #expect(sequence == 12)
    }

    @Test("truncated and malformed pushes are errors, never a crash", .recordedVenueData)
    func badInput() throws {
        let line = try Fixtures.lines("okx/BTC-USDT_books_snapshot_and_updates.jsonl")[1]
        let bytes = Array(line.utf8)
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            let prefix = String(decoding: bytes[0..<cut], as: UTF8.self)
            #expect(throws: DecodeError.self) { try prefix.withBytes { _ = try OKX.decodeBook($0) } }
        }
        // A timestamp too large for nanoseconds (found by the fuzzer: it trapped on overflow).
        let huge = #"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[],"ts":"1652459225381903","checksum":0}]}"#
        #expect(throws: DecodeError.badNumber(field: "ts", .overflow)) { try huge.withBytes { _ = try OKX.decodeBook($0) } }
        #expect(throws: DecodeError.unknownMessage) {
            try #"{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"}}"#.withBytes { _ = try OKX.decodeBook($0) }
        }
    }
}
