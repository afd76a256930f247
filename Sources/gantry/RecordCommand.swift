import ArgumentParser
import GantryLog
import Foundation
import GantryCore
import GantryEngine

/// `gantry record`: the feed, recording raw input and events to a directory.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Capture the venues' raw messages and the normalized events to a directory, for `gantry replay`.")

    @OptionGroup var feed: FeedOptions

    @Option(name: .long, help: "The directory to write (created if missing).")
    var out: String

    func run() throws {
        StructuredLogHandler.bootstrap()
        try feed.run(record: out)
    }
}

/// `gantry replay`: each venue's raw recording through a new feed handler; the events must equal those recorded.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recording through the feed handlers and check that the events equal the recorded ones.")

    @Option(name: .long, help: "The configuration the recording was made with.")
    var config: String = "config/gantry.example.toml"

    @Option(name: .long, help: "The recording's directory.")
    var dir: String

    func run() throws {
        let market: MarketConfiguration
        do {
            market = try MarketConfiguration(toml: try String(contentsOfFile: config, encoding: .utf8))
        } catch {
            throw ValidationError("\(error)")
        }
        let recorded: [MarketEvent]
        do throws(RecordingError) {
            recorded = try readEvents(dir + "/events.bin")
        } catch {
            throw ValidationError("\(dir)/events.bin: \(error)")
        }
        var ok = true
        for v in market.venues {
            let path = dir + "/\(v.name).raw"
            guard FileManager.default.fileExists(atPath: path), let id = market.registry.venue(named: v.name) else { continue }
            var records: [IngestRecord] = []
            do throws(RecordingError) {
                records = try readIngestRecords(path)
            } catch {
                guard case .truncated(let n) = error else { throw ValidationError("\(path): \(error)") }
                print("  \(v.name): torn tail after \(n) records (the recorder was stopped mid-write); replaying those")
                records = (try? readIngestRecords(path, limit: n)) ?? []
            }
            let replayed = replay(records, venue: v, registry: market.registry)
            let expected = recorded.filter { $0.venue == id }
            // The recording may stop between a stage's publish and the consumer's read: compare what both have.
            let n = min(replayed.count, expected.count)
            let same = (0..<n).allSatisfy { sameEvent(replayed[$0], expected[$0]) }
            let messages = records.filter { $0.kind == .message }.count
            print("  \(v.name): \(records.count) inputs (\(messages) messages), \(replayed.count) events replayed, \(expected.count) recorded: \(same && replayed.count >= expected.count ? "identical" : "DIFFERENT")")
            if !same || replayed.count < expected.count { ok = false }
        }
        if !ok { throw ExitCode(1) }
    }
}

