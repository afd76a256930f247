import Foundation
import GantryBook
import GantryCore
import GantryEngine
import GantryNet
import GantryRing
import GantryVenues
import Testing
import VenueSim

@Suite("Recordings: what the ingest stage took in replays to the same events; torn tails are detected", .serialized)
struct RecordingTests {
    @Test("a Bybit session against the simulator (with a gap, a drop and a silent book) replays to exactly the events published")
    func replaysIdentically() throws {
        let (sim, venue) = try simulatedVenue(.bybit, seed: 21)
        let pair = SimPair.of(.bybit)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-rec-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ring = try Ring<MarketEvent>.broadcast(capacity: 1 << 16, consumers: 1)
        var events = try ring.takeConsumer(0)
        let states = try Ring<ConnectionEvent>.spsc(capacity: 256)
        let feed = BybitFeed(venue: VenueId(raw: 3), instruments: pair.feedInstruments, depth: 50)
        let subscriptions = feed.subscriptions
        let supervisor = WebSocketSupervisor(
            endpoint: WebSocketEndpoint(address: "127.0.0.1", port: venue.port, host: "sim", path: "/v5/public/spot", tls: nil),
            venue: VenueId(raw: 3), index: 0, subscriptions: subscriptions, sink: try states.takeProducer(),
            backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(100), seed: 1), now: MonotonicClock.now())
        let recorder = try IngestRecorder(path: dir + "/bybit.raw")
        var ingest = IngestStage(
            supervisor: supervisor, handler: feed, producer: try ring.takeProducer(), recorder: recorder, bookSilence: .milliseconds(300))
        var published: [MarketEvent] = []
        func pump(_ seconds: Double) {
            let deadline = MonotonicClock.now() + Nanos(raw: Int64(seconds * 1e9))
            while MonotonicClock.now() < deadline {
                _ = sim.poll() + ingest.poll()
                while let e = events.tryConsume() { published.append(e) }
                usleep(200)
            }
        }
        pump(0.5)
        venue.faults.inject(.gap)
        pump(0.3)
        venue.faults.inject(.disconnect)
        pump(0.5)
        venue.faults.schedule(SimFault(kind: .silentBook, start: venue.elapsedNow, duration: .milliseconds(500), book: 1))
        pump(0.8)
        #expect(ingest.stats.silences >= 1)
        ingest.finish()
        while let e = events.tryConsume() { published.append(e) }
        let records = try readIngestRecords(dir + "/bybit.raw")
        #expect(records.contains { $0.kind == .connectionLost } && records.count > 100)
        #expect(records.contains { $0.kind == .silence } && records.filter { $0.kind == .opened }.count == 2)
        var handler = BybitFeed(venue: VenueId(raw: 3), instruments: pair.feedInstruments, depth: 50)
        let replayed = replay(records, through: &handler)
        #expect(replayed.count == published.count && published.count > 1_000)
        #expect(zip(replayed, published).allSatisfy { sameEvent($0, $1) }, "the same events, in the same order")
        #expect(published.contains { $0.kind == .bookStale } && published.filter { $0.kind == .bookReset }.count >= 4)
        // One messageTimes per published batch, each the batch's end.
        let ends = published.filter { $0.flags.contains(.endOfMessage) }
        #expect(ends.count == ingest.stats.batches && ends.allSatisfy { $0.kind == .messageTimes })

        // A torn tail (the recorder killed mid-write) is reported with the whole records before it.
        let path = dir + "/bybit.raw"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.dropLast(3).write(to: URL(fileURLWithPath: path))
        #expect(throws: RecordingError.truncated(recordsRead: records.count - 1)) { try readIngestRecords(path) }
        #expect(try readIngestRecords(path, limit: records.count - 1) == Array(records.dropLast()))
        try Data("GNTYXXX1".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: RecordingError.notARecording(path)) { try readIngestRecords(path) }

        // The events file: written as the stage publishes, read back whole; one from before messages ended
        // with their times is refused by name.
        let eventsPath = dir + "/events.bin"
        let eventsFile = try IngestRecorder.events(path: eventsPath)
        published.withUnsafeBufferPointer { eventsFile.record(events: $0) }
        eventsFile.close()
        let readBack = try readEvents(eventsPath)
        #expect(readBack.count == published.count && zip(readBack, published).allSatisfy { sameEvent($0, $1) })
        try Data("GNTYEVT1".utf8).write(to: URL(fileURLWithPath: eventsPath))
        #expect(throws: RecordingError.olderVersion(eventsPath)) { try readEvents(eventsPath) }
    }
}
