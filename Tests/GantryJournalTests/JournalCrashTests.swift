import Foundation
import GantryCore
import GantryTestSupport
import Testing

@testable import GantryJournal

@Suite("Journal crash")
struct JournalCrashTests {
    @Test(
        "kill -9 during heavy writing, five times: every record the writer said it wrote reads back intact and in sequence, no corrupt record is accepted, and each new writer continues after the recovered tail"
    )
    func killNine() throws {
        let executable = try #require(gantryExecutable(), "the gantry executable must be built first (swift build builds it)")
        let dir = TemporaryDirectory("crash")
        defer { dir.remove() }
        var next: UInt64 = 0
        var cuts = 0
        for round in 0..<5 {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: executable)
            child.arguments = ["journal-crash-writer", "--dir", dir.path, "--start", "\(next)", "--file-size", "\(2 << 20)", "--sync-ms", "10"]
            let out = Pipe()
            child.standardOutput = out
            try child.run()
            var said = ""
            while !said.contains("written") {
                let data = out.fileHandleForReading.availableData
                if data.isEmpty { break }
                said += String(decoding: data, as: UTF8.self)
            }
            usleep(UInt32.random(in: 20_000...300_000))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            said += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL)
            let lines = said.split(separator: "\n")
            #expect(lines.first?.hasPrefix("start \(next) ") == true, "round \(round): \(lines.first ?? "")")
            if round > 0, let first = lines.first, !first.contains(" cut 0 ") { cuts += 1 }
            let written = lines.compactMap { $0.hasPrefix("written ") ? UInt64($0.dropFirst(8)) : nil }.last ?? next
            // Read before any recovery: a torn tail ends the journal quietly; nothing else may be wrong.
            let (count, problems) = try Self.verify(dir.path)
            #expect(problems.isEmpty, "round \(round): \(problems.prefix(5))")
            #expect(count >= written, "round \(round): \(count) records read, the writer said \(written) were written")
            #expect(count > next, "round \(round): nothing was written")
            next = count
        }
        // A writer that is not killed continues after the last recovered tail and ends cleanly.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: executable)
        child.arguments = ["journal-crash-writer", "--dir", dir.path, "--start", "\(next)", "--count", "1000"]
        child.standardOutput = Pipe()
        try child.run()
        child.waitUntilExit()
        #expect(child.terminationStatus == 0)
        let (count, problems) = try Self.verify(dir.path)
        #expect(problems.isEmpty)
        #expect(count == next + 1_000)
        var reader = try JournalReader(directory: dir.path)
        while try reader.next() != nil {}
        #expect(reader.tornTail == nil)
        print("journal crash test: \(count) records in \(dir.files.count) files after 5 kills (\(cuts) torn tails cut)")
    }

    /// Reads the journal: how many records, numbered from 0 without a gap, and every problem (a record out of
    /// sequence or not what record n must be, an error).
    static func verify(_ directory: String) throws -> (UInt64, [String]) {
        var reader = try JournalReader(directory: directory)
        var n: UInt64 = 0
        var problems: [String] = []
        while problems.count < 20 {
            do {
                guard let r = try reader.next() else { break }
                if let why = check(r, n) { problems.append("record \(n) at \(r.file):\(r.offset): \(why)") }
                n += 1
            } catch {
                problems.append("\(error)")
            }
        }
        return (n, problems)
    }

    /// What is wrong with `r` as record `n` of the crash writer, or nil.
    static func check(_ r: JournalRecord, _ n: UInt64) -> String? {
        guard r.eventTime == Nanos(raw: Int64(n)) else { return "event time \(r.eventTime)" }
        switch n % 16 {
        case 5:
            let expected = "record \(n) " + String(repeating: "•", count: Int(n % 50))
            return r.text == expected ? nil : "text \(r.text ?? "none")"
        case 9:
            guard let book = r.bookSnapshot else { return "not a book snapshot: \(r.kind)" }
            let bids = (0..<Int64(n % 4)).map { JournalLevel(price: Price(raw: Int64(n) - $0), quantity: Quantity(raw: $0 + 1)) }
            let asks = (0..<Int64(n % 3)).map { JournalLevel(price: Price(raw: Int64(n) + 1 + $0), quantity: Quantity(raw: $0 + 1)) }
            return book.sequence == n && book.bids == bids && book.asks == asks && book.instrument.raw == UInt32(n % 7 + 1) ? nil : "book \(book)"
        case 13:
            guard let d = r.as(RiskDecision.self) else { return "not a decision: \(r.kind)" }
            return d.intent.intentId == n && d.intent.price.raw == Int64(n) * 3 && d.isApproved ? nil : "decision for intent \(d.intent.intentId)"
        default:
            guard let e = r.as(MarketEvent.self) else { return "not a market event: \(r.kind)" }
            return e.sequence == n && e.price.raw == Int64(n) * 3 && e.quantity.raw == Int64(n) ^ 0x55 ? nil : "event \(e.sequence)"
        }
    }
}
