import Foundation
import GantryCore
import GantryLoop
import GantryRing
import Synchronization
import Testing

@testable import GantryJournal

@Suite("Journal stage")
struct JournalStageTests {
    @Test("the stage journals every ring's events and the notes, one write per poll, and they read back in ring order")
    func everyRing() throws {
        let dir = TemporaryDirectory("stage")
        defer { dir.remove() }
        let feeds = try (0..<3).map { _ in try Ring<MarketEvent>.broadcast(capacity: 1_024, consumers: 2) }
        let decisions = try Ring<RiskDecision>.spsc(capacity: 64)
        let reports = try Ring<OrderReport>.spsc(capacity: 64)
        let control = try Ring<ControlEvent>.spsc(capacity: 64)
        let intents = try Ring<OrderIntent>.spsc(capacity: 64)
        let noteRing = try Ring<JournalNote>.spsc(capacity: 64)
        var stage = JournalStage(writer: try JournalWriter(JournalConfiguration(directory: dir.path, sync: .everyBatch)))
        for feed in feeds { stage.attach(market: try feed.takeConsumer(1)) }
        stage.attach(decisions: try decisions.takeConsumer())
        stage.attach(reports: try reports.takeConsumer())
        stage.attach(control: try control.takeConsumer())
        stage.attach(intents: try intents.takeConsumer())
        stage.attach(notes: try noteRing.takeConsumer())
        var feed0 = try feeds[0].takeProducer()
        var feed1 = try feeds[1].takeProducer()
        var feed2 = try feeds[2].takeProducer()
        var decisionProducer = try decisions.takeProducer()
        var reportProducer = try reports.takeProducer()
        var controlProducer = try control.takeProducer()
        var intentProducer = try intents.takeProducer()
        var notes = JournalNotes(try noteRing.takeProducer())
        #expect(stage.poll() == 0)

        var published = 0
        for n in 0..<300 as Range<UInt64> {
            let event = numberedEvent(n)
            let ok = n % 3 == 0 ? feed0.tryPublish(event) : n % 3 == 1 ? feed1.tryPublish(event) : feed2.tryPublish(event)
            if ok { published += 1 }
        }
        #expect(published == 300)
        let others = [
            decisionProducer.tryPublish(numberedDecision(1)), reportProducer.tryPublish(numberedReport(2)),
            controlProducer.tryPublish(numberedControl(3)), intentProducer.tryPublish(numberedIntent(4)),
        ]
        #expect(others == [true, true, true, true])
        let long = (0..<40).map { "step \($0): venue flat; " }.joined()  // 830 bytes: 8 chunks
        let posted = [
            notes.post("kill switch fired", kind: .killSwitchStep), notes.post(long, kind: .alert), notes.post("", kind: .note),
            notes.post(String(repeating: "z", count: JournalNotes.maximumLength + 1)),
        ]
        #expect(posted == [true, true, true, false])
        #expect(stage.poll() == 300 + 4 + 1 + 8 + 1)
        #expect(stage.stats.records == 307 && stage.stats.dropped == 0 && stage.stats.notesDropped == 0)
        #expect(stage.writerStats.batches == 1 && stage.writerStats.syncs == 1)
        #expect(stage.stats.largestBacklog == 100)
        stage.finish()

        var reader = try JournalReader(directory: dir.path)
        var kinds: [JournalRecordKind] = []
        var sequences: [UInt64] = []
        var texts: [String] = []
        while let r = try reader.next() {
            kinds.append(r.kind)
            if let e = r.as(MarketEvent.self) {
                #expect(bytesEqual(e, numberedEvent(e.sequence)))
                sequences.append(e.sequence)
            }
            if let t = r.text { texts.append(t) }
        }
        #expect(Array(kinds.prefix(4)) == [.controlEvent, .riskDecision, .orderReport, .orderIntent])
        #expect(sequences == (0..<3).flatMap { feed in stride(from: UInt64(feed), to: 300, by: 3) })
        #expect(texts == ["kill switch fired", long, ""])
        #expect(Array(kinds.suffix(3)) == [.killSwitchStep, .alert, .note])
    }

    @Test("a note cut short by a full ring is dropped and counted; the notes around it are journaled whole")
    func noteCutShort() throws {
        let dir = TemporaryDirectory("notes")
        defer { dir.remove() }
        let ring = try Ring<JournalNote>.spsc(capacity: 4)
        var stage = JournalStage(writer: try JournalWriter(JournalConfiguration(directory: dir.path, sync: .never)))
        stage.attach(notes: try ring.takeConsumer())
        var notes = JournalNotes(try ring.takeProducer())
        let first = notes.post("first")
        let cut = notes.post(String(repeating: "x", count: 400))  // needs 4 chunks, 3 fit
        #expect(first && !cut)
        _ = stage.poll()
        let second = notes.post("second")
        #expect(second)
        _ = stage.poll()
        stage.finish()
        #expect(stage.stats.notesDropped == 1)
        #expect(try readAll(dir.path).texts == ["first", "second"])
    }

    @Test("on a runner of its own (adaptive, woken by its timer) the stage keeps up with a feed and journals all of it by stop")
    func onRunner() throws {
        let dir = TemporaryDirectory("runner")
        defer { dir.remove() }
        let feed = try Ring<MarketEvent>.broadcast(capacity: 4_096, consumers: 1)
        let configuration = JournalConfiguration(directory: dir.path, sync: .interval(.milliseconds(10)))
        let consumer = Handoff(try feed.takeConsumer())
        let records = Counter()
        let runner = try Runner(RunnerSpec(name: "journal-test", cpu: nil, mode: .adaptiveShared)) { context in
            // A stage whose writer cannot open traps here: the test fails loudly.
            var stage = JournalStage(writer: try! JournalWriter(configuration), context: context)
            stage.attach(market: consumer.take()!)
            return CountingStage(stage: stage, records: records)
        }
        var producer = try feed.takeProducer()
        var wait = SpinThenYield()
        let count: UInt64 = 200_000
        for n in 0..<count {
            producer.publish(numberedEvent(n), waiting: &wait)
            if n % 10_000 == 0 { usleep(2_000) }  // pauses: the runner parks, and its timer wakes it
        }
        let deadline = MonotonicClock.now() + .seconds(20)
        while records.value.load(ordering: .relaxed) < Int(count) && MonotonicClock.now() < deadline { usleep(1_000) }
        runner.stop()
        #expect(records.value.load(ordering: .relaxed) == Int(count))
        #expect(try readAll(dir.path).sequences == Array(0..<count))
    }
}

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// The journal stage, publishing its record count for the test thread.
struct CountingStage: Stage, ~Copyable {
    var stage: JournalStage
    let records: Counter

    mutating func poll() -> Int {
        let n = stage.poll()
        records.value.store(stage.stats.records, ordering: .relaxed)
        return n
    }

    mutating func finish() { stage.finish() }
}
