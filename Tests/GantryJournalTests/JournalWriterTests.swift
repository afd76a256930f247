import Foundation
import GantryCore
import Testing

@testable import GantryJournal

@Suite("Journal writer and reader")
struct JournalWriterTests {
    @Test("every kind of record reads back as written, with its kind, times and payload")
    func roundTrip() throws {
        let dir = TemporaryDirectory("roundtrip")
        defer { dir.remove() }
        let snapshot = JournalBookSnapshot(
            venue: VenueId(raw: 3), instrument: InstrumentId(raw: 12), sequence: 991, exchangeTime: Nanos(raw: 1_700_000_000_000_000_001),
            bids: [JournalLevel(price: Price(raw: 100), quantity: Quantity(raw: 5)), JournalLevel(price: Price(raw: 99), quantity: Quantity(raw: 7))],
            asks: [JournalLevel(price: Price(raw: 101), quantity: Quantity(raw: 1))])
        let empty = JournalBookSnapshot(venue: VenueId(raw: 1), instrument: InstrumentId(raw: 2), sequence: 0, exchangeTime: .zero, bids: [], asks: [])
        let texts: [(JournalRecordKind, String)] = [
            (.configuration, "[journal]\ndirectory = \"j\"\n"), (.alert, "drawdown 4.9% on arb"), (.killSwitchStep, "binance: 3 orders cancelled in 12 ms"),
            (.note, "ünïcødé ✓ and an odd length"), (.note, ""),
        ]
        do {
            var writer = try JournalWriter(JournalConfiguration(directory: dir.path, sync: .never))
            #expect(writer.recovery.examined == nil)
            try writer.append(numberedEvent(1), journaledTime: Nanos(raw: 11))
            try writer.append(numberedIntent(2), journaledTime: Nanos(raw: 12))
            try writer.append(numberedDecision(3), journaledTime: Nanos(raw: 13))
            try writer.append(numberedReport(4), journaledTime: Nanos(raw: 14))
            try writer.append(numberedControl(5), journaledTime: Nanos(raw: 15))
            for (kind, text) in texts { try writer.append(text: text, kind: kind, eventTime: Nanos(raw: 77), journaledTime: Nanos(raw: 16)) }
            try writer.append(snapshot, eventTime: Nanos(raw: 88), journaledTime: Nanos(raw: 17))
            try writer.append(empty, eventTime: .zero, journaledTime: Nanos(raw: 18))
            try writer.close()
            #expect(writer.stats.records == 12)
            #expect(writer.stats.batches == 1)
        }
        var reader = try JournalReader(directory: dir.path)
        var r = try #require(try reader.next())
        #expect(r.kind == .marketEvent && r.journaledTime == Nanos(raw: 11) && r.eventTime == numberedEvent(1).receiveTime)
        #expect(bytesEqual(try #require(r.as(MarketEvent.self)), numberedEvent(1)))
        #expect(r.as(OrderReport.self) == nil)
        #expect(r.text == nil && r.bookSnapshot == nil)
        r = try #require(try reader.next())
        #expect(r.kind == .orderIntent && r.eventTime == numberedIntent(2).createdTime)
        #expect(bytesEqual(try #require(r.as(OrderIntent.self)), numberedIntent(2)))
        r = try #require(try reader.next())
        #expect(r.kind == .riskDecision && r.eventTime == numberedDecision(3).decidedTime)
        #expect(bytesEqual(try #require(r.as(RiskDecision.self)), numberedDecision(3)))
        r = try #require(try reader.next())
        #expect(r.kind == .orderReport && r.eventTime == .zero)
        #expect(bytesEqual(try #require(r.as(OrderReport.self)), numberedReport(4)))
        r = try #require(try reader.next())
        #expect(r.kind == .controlEvent && r.eventTime == numberedControl(5).issuedTime)
        #expect(bytesEqual(try #require(r.as(ControlEvent.self)), numberedControl(5)))
        for (kind, text) in texts {
            r = try #require(try reader.next())
            #expect(r.kind == kind && r.text == text && r.eventTime == Nanos(raw: 77) && r.payloadCount == text.utf8.count)
        }
        r = try #require(try reader.next())
        #expect(r.kind == .bookSnapshot && r.bookSnapshot == snapshot && r.eventTime == Nanos(raw: 88))
        r = try #require(try reader.next())
        #expect(r.bookSnapshot == empty)
        #expect(try reader.next() == nil)
        #expect(reader.recordsRead == 12 && reader.tornTail == nil && reader.skipped == 0)
    }

    @Test("a book snapshot written in place reads back level for level")
    func snapshotInPlace() throws {
        let dir = TemporaryDirectory("snapshot")
        defer { dir.remove() }
        do {
            var writer = try JournalWriter(JournalConfiguration(directory: dir.path, sync: .never))
            try writer.appendBookSnapshot(
                venue: VenueId(raw: 2), instrument: InstrumentId(raw: 5), sequence: 10, exchangeTime: .zero, bidCount: 20, askCount: 30, eventTime: .zero
            ) { bids, asks in
                for k in 0..<20 { bids[k] = JournalLevel(price: Price(raw: 1_000 - Int64(k)), quantity: Quantity(raw: Int64(k) + 1)) }
                for k in 0..<30 { asks[k] = JournalLevel(price: Price(raw: 1_001 + Int64(k)), quantity: Quantity(raw: 2 * Int64(k) + 1)) }
            }
            try writer.close()
        }
        var reader = try JournalReader(directory: dir.path)
        let book = try #require(try reader.next()?.bookSnapshot)
        #expect(book.bids.count == 20 && book.asks.count == 30)
        #expect(book.bids.map(\.price.raw) == (0..<20).map { 1_000 - Int64($0) })
        #expect(book.asks.map(\.quantity.raw) == (0..<30).map { 2 * Int64($0) + 1 })
    }

    @Test("past the size limit the writer starts a new file whose header names the one before; the reader reads them all in order")
    func rotation() throws {
        let dir = TemporaryDirectory("rotation")
        defer { dir.remove() }
        let limit = 8_192
        do {
            var writer = try JournalWriter(JournalConfiguration(directory: dir.path, sync: .everyBatch, fileSizeLimit: limit, bufferSize: 4_096))
            for n in 0..<1_000 as Range<UInt64> {
                try writer.append(numberedEvent(n))
                if n % 37 == 0 { try writer.flush() }
            }
            try writer.close()
            #expect(writer.stats.rotations == dir.files.count - 1)
            #expect(writer.stats.syncs >= writer.stats.batches)
        }
        let files = dir.files
        #expect(files.count >= 12)  // 1,000 × 96 bytes in files of at most 8 KiB
        var previous = ""
        for (k, path) in files.enumerated() {
            let bytes = contents(path)
            #expect(bytes.count <= limit)
            let header = try bytes.withUnsafeBytes { try JournalFileHeader.decode($0).get() }
            #expect(header.sequence == UInt64(k + 1))
            #expect(header.previousName == previous)
            previous = URL(fileURLWithPath: path).lastPathComponent
        }
        let back = try readAll(dir.path)
        #expect(back.errors.isEmpty)
        #expect(back.sequences == Array(0..<1_000))
        // A reopened writer continues in the last file.
        var writer = try JournalWriter(JournalConfiguration(directory: dir.path, sync: .never, fileSizeLimit: limit))
        #expect(writer.recovery.examined == URL(fileURLWithPath: files.last!).lastPathComponent)
        #expect(writer.recovery.bytesCut == 0 && writer.recovery.cutAt == nil)
        try writer.append(numberedEvent(1_000))
        try writer.close()
        #expect(try readAll(dir.path).sequences == Array(0...1_000))
    }

    @Test("a reader skips intact records of kinds it does not know and of newer versions, and reads on")
    func unknownKindsSkipped() throws {
        let dir = TemporaryDirectory("unknown")
        defer { dir.remove() }
        do {
            var writer = try JournalWriter(JournalConfiguration(directory: dir.path, sync: .never))
            try writer.append(numberedEvent(0))
            let future: [UInt8] = Array(repeating: 0x5A, count: 13)
            try future.withUnsafeBytes { try writer.appendRaw(kind: 999, version: 1, payload: $0, eventTime: .zero, journaledTime: .zero) }
            try future.withUnsafeBytes { try writer.appendRaw(kind: 1, version: 2, payload: $0, eventTime: .zero, journaledTime: .zero) }
            try writer.append(numberedEvent(1))
            try writer.close()
        }
        let back = try readAll(dir.path)
        #expect(back.sequences == [0, 1])
        #expect(back.skipped == 2 && back.errors.isEmpty)
    }

    @Test("an intact record whose payload does not fit its kind is reported, not handed out")
    func layoutMismatch() throws {
        let dir = TemporaryDirectory("layout")
        defer { dir.remove() }
        do {
            var writer = try JournalWriter(JournalConfiguration(directory: dir.path, sync: .never))
            let short = [UInt8](repeating: 1, count: 48)
            try short.withUnsafeBytes { try writer.appendRaw(kind: 1, version: 1, payload: $0, eventTime: .zero, journaledTime: .zero) }
            let notText: [UInt8] = [0xC3, 0x28]
            try notText.withUnsafeBytes { try writer.appendRaw(kind: 19, version: 1, payload: $0, eventTime: .zero, journaledTime: .zero) }
            try writer.append(numberedEvent(5))
            try writer.close()
        }
        let back = try readAll(dir.path)
        #expect(back.sequences == [5])
        #expect(back.errors.count == 2)
        guard back.errors.count == 2 else { return }
        #expect(back.errors[0] == .layoutMismatch(path: dir.files[0], offset: 128, kind: 1, expected: 64, found: 48))
        if case .malformedRecord(_, let offset, _) = back.errors[1] { #expect(offset == 128 + 80) } else { Issue.record("\(back.errors[1])") }
    }

    @Test("a record larger than the buffer is refused with its size and the limit; the writer goes on")
    func tooLarge() throws {
        let dir = TemporaryDirectory("large")
        defer { dir.remove() }
        var writer = try JournalWriter(JournalConfiguration(directory: dir.path, sync: .never, bufferSize: 4_096))
        #expect(throws: JournalError.recordTooLarge(payload: 5_000, limit: 4_064)) {
            try writer.append(text: String(repeating: "x", count: 5_000), kind: .note)
        }
        try writer.append(text: String(repeating: "y", count: 4_064), kind: .note)
        try writer.append(numberedEvent(3))
        try writer.close()
        let back = try readAll(dir.path)
        #expect(back.kinds == [.note, .marketEvent] && back.texts == [String(repeating: "y", count: 4_064)])
    }

    @Test("the interval policy syncs from its own thread while the writer only writes")
    func backgroundSync() throws {
        let dir = TemporaryDirectory("interval")
        defer { dir.remove() }
        var writer = try JournalWriter(JournalConfiguration(directory: dir.path, sync: .interval(.milliseconds(5))))
        let deadline = MonotonicClock.now() + .seconds(10)
        var n: UInt64 = 0
        while writer.backgroundSyncs < 3 && MonotonicClock.now() < deadline {
            try writer.append(numberedEvent(n))
            try writer.flush()
            n += 1
            usleep(1_000)
        }
        #expect(writer.backgroundSyncs >= 3)
        #expect(writer.stats.syncs == 0)
        try writer.close()
        #expect(writer.stats.syncs == 1)
        #expect(try readAll(dir.path).sequences == Array(0..<n))
    }

    @Test("with the interval policy the sync thread syncs and closes each file the writer rotates away from: no descriptor is left open")
    func rotationWithBackgroundSync() throws {
        let dir = TemporaryDirectory("interval-rotation")
        defer { dir.remove() }
        /// This process's descriptors open on the journal's directory or its files (other tests run beside this one).
        func openHere() -> Int {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0))?.hasPrefix(dir.path) == true }.count
        }
        var writer = try JournalWriter(JournalConfiguration(directory: dir.path, sync: .interval(.milliseconds(2)), fileSizeLimit: 4_096, bufferSize: 4_096))
        #expect(openHere() == 2)  // the file being written and the directory
        for n in 0..<2_000 as Range<UInt64> {
            try writer.append(numberedEvent(n))
            if n % 100 == 0 { usleep(3_000) }  // the sync thread runs between rotations too
        }
        try writer.close()
        #expect(writer.stats.rotations == dir.files.count - 1 && writer.stats.rotations >= 40)
        #expect(writer.backgroundSyncs > 0)
        #expect(openHere() == 0)
        #expect(try readAll(dir.path).sequences == Array(0..<2_000))
    }

    @Test("a missing file between two is reported as a broken chain, and the records after it still read")
    func brokenChain() throws {
        let dir = TemporaryDirectory("chain")
        defer { dir.remove() }
        try writeNumbered(dir, 0..<200, fileSizeLimit: 4_096)
        let files = dir.files
        try FileManager.default.removeItem(atPath: files[1])
        let back = try readAll(dir.path)
        #expect(back.errors.count == 1)
        if case .brokenChain(let path, let expected, _) = back.errors.first {
            #expect(path == files[2] && expected == URL(fileURLWithPath: files[0]).lastPathComponent)
        } else {
            Issue.record("\(back.errors)")
        }
        let perFile = (4_096 - 128) / 96
        #expect(back.sequences == Array(0..<UInt64(perFile)) + Array(UInt64(2 * perFile)..<200))
    }
}
