import Foundation
import GantryCore
import Testing

@testable import GantryJournal

@Suite("Journal recovery")
struct JournalRecoveryTests {
    /// Writes `count` numbered events then one text record (the last), and returns the file and where the last
    /// record starts.
    static func journal(_ dir: TemporaryDirectory, count: UInt64, lastText: String?) throws -> (path: String, last: Int) {
        try writeNumbered(dir, 0..<count)
        if let lastText {
            var writer = try JournalWriter(JournalConfiguration(directory: dir.path, sync: .never))
            try writer.append(text: lastText, kind: .note)
            try writer.close()
        }
        let path = dir.files[0]
        let size = contents(path).count
        return (path, size - (lastText.map { JournalLayout.footprint(payload: $0.utf8.count) } ?? 96))
    }

    @Test("a file cut at every offset inside its last record: the earlier records read back, the cut is reported, and writing continues after them", arguments: [nil, "a note of 37 bytes, not a multiple...."])
    func tornTailEveryOffset(lastText: String?) throws {
        let dir = TemporaryDirectory("torn")
        defer { dir.remove() }
        let (path, last) = try Self.journal(dir, count: 20, lastText: lastText)
        let whole = contents(path)
        let expectedEarlier: [UInt64] = Array(0..<(lastText == nil ? 19 : 20))
        for cut in last..<whole.count {
            write(Array(whole[..<cut]), to: path)
            // Before recovery, a reader stops at the torn tail without an error.
            let before = try readAll(dir.path)
            #expect(before.errors.isEmpty)
            #expect(before.sequences == expectedEarlier)
            #expect(cut == last ? before.tornTail == nil : before.tornTail == JournalTornTail(file: URL(fileURLWithPath: path).lastPathComponent, offset: last, bytes: cut - last))
            var writer = try JournalWriter(JournalConfiguration(directory: dir.path, sync: .never))
            #expect(writer.recovery.records == expectedEarlier.count)
            #expect(writer.recovery.cutAt == (cut == last ? nil : last))
            #expect(writer.recovery.bytesCut == cut - last)
            #expect(writer.fileName == URL(fileURLWithPath: path).lastPathComponent)
            try writer.append(numberedEvent(1_000))
            try writer.close()
            let after = try readAll(dir.path)
            #expect(after.errors.isEmpty && after.tornTail == nil)
            #expect(after.sequences == expectedEarlier + [1_000])
            #expect(contents(path).count == last + 96)
        }
    }

    @Test("a torn tail that is a CRC mismatch (the last record's bytes changed) is cut as well")
    func corruptTail() throws {
        let dir = TemporaryDirectory("crc-tail")
        defer { dir.remove() }
        let (path, last) = try Self.journal(dir, count: 10, lastText: nil)
        var bytes = contents(path)
        bytes[last + 40] ^= 0x10
        write(bytes, to: path)
        var writer = try JournalWriter(JournalConfiguration(directory: dir.path, sync: .never))
        #expect(writer.recovery.cutAt == last && writer.recovery.bytesCut == 96 && writer.recovery.corruptAt == nil)
        try writer.close()
        #expect(try readAll(dir.path).sequences == Array(0..<9))
    }

    @Test("a changed byte in a record in the middle is reported and never accepted; the records after it read; a writer leaves the file and goes on in a new one")
    func corruptMiddle() throws {
        let dir = TemporaryDirectory("middle")
        defer { dir.remove() }
        let (path, _) = try Self.journal(dir, count: 30, lastText: nil)
        let whole = contents(path)
        let record = 128 + 12 * 96  // the record of event 12
        // Every byte of the record: its length, CRC, kind, version, times and payload (padding aside: none here).
        for k in 0..<96 {
            var bytes = whole
            bytes[record + k] ^= 0x04
            write(bytes, to: path)
            let back = try readAll(dir.path)
            #expect(back.sequences == Array(0..<12) + Array(13..<30), "byte \(k)")
            #expect(back.errors.count == 1, "byte \(k)")
            if case .corruptRecord(let p, let offset, let skipped, _)? = back.errors.first {
                #expect(p == path && offset == record && skipped == 96, "byte \(k)")
            } else {
                Issue.record("byte \(k): \(back.errors)")
            }
        }
        var writer = try JournalWriter(JournalConfiguration(directory: dir.path, sync: .never))
        #expect(writer.recovery.corruptAt == record && writer.recovery.bytesCut == 0 && writer.recovery.records == 29)
        #expect(writer.fileName != URL(fileURLWithPath: path).lastPathComponent)
        try writer.append(numberedEvent(30))
        try writer.close()
        #expect(contents(path).count == whole.count)  // left as it was
        let back = try readAll(dir.path)
        #expect(back.sequences == Array(0..<12) + Array(13...30))
        #expect(back.errors.count == 1)
    }

    @Test("a corrupt record in a file that is not the last is reported even at its end")
    func corruptEndOfEarlierFile() throws {
        let dir = TemporaryDirectory("earlier")
        defer { dir.remove() }
        try writeNumbered(dir, 0..<100, fileSizeLimit: 4_096)
        let first = dir.files[0]
        let bytes = contents(first)
        write(Array(bytes.dropLast(10)), to: first)
        let back = try readAll(dir.path)
        #expect(back.errors.count == 1)
        if case .corruptRecord(let p, let offset, let skipped, _)? = back.errors.first {
            #expect(p == first && offset == bytes.count - 96 && skipped == 86)
        } else {
            Issue.record("\(back.errors)")
        }
        #expect(back.sequences == Array(0..<40) + Array(41..<100))
        #expect(back.tornTail == nil)
    }

    @Test("a last file whose header was never completely written is removed, and writing goes on after the file before it")
    func tornHeader() throws {
        let dir = TemporaryDirectory("header")
        defer { dir.remove() }
        _ = try Self.journal(dir, count: 5, lastText: nil)
        let stray = journalPath(dir.path, JournalFileName(sequence: 2, createdMillis: 1).name)
        let header = contents(dir.files[0]).prefix(60)
        write(Array(header), to: stray)
        var writer = try JournalWriter(JournalConfiguration(directory: dir.path, sync: .never))
        #expect(writer.recovery.removedFiles == [URL(fileURLWithPath: stray).lastPathComponent])
        #expect(writer.fileName == URL(fileURLWithPath: dir.files[0]).lastPathComponent)
        try writer.append(numberedEvent(5))
        try writer.close()
        #expect(!FileManager.default.fileExists(atPath: stray))
        #expect(try readAll(dir.path).sequences == Array(0...5))
    }

    @Test("a last file with a damaged header is left as it is (reported by readers) and writing goes on in a new file")
    func badHeader() throws {
        let dir = TemporaryDirectory("bad-header")
        defer { dir.remove() }
        let (path, _) = try Self.journal(dir, count: 5, lastText: nil)
        var bytes = contents(path)
        bytes[20] ^= 1
        write(bytes, to: path)
        var writer = try JournalWriter(JournalConfiguration(directory: dir.path, sync: .never))
        #expect(writer.recovery.badHeader)
        try writer.append(numberedEvent(5))
        try writer.close()
        #expect(dir.files.count == 2)
        let back = try readAll(dir.path)
        #expect(back.sequences == [5])
        #expect(back.errors == [.badFileHeader(path: path, reason: "checksumMismatch")])
    }
}
