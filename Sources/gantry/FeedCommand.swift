import ArgumentParser
import GantryLog
import Foundation
import GantryCore
import GantryEngine
import GantryLoop
import GantryRing
import Histogram
import Synchronization

/// Set by SIGINT/SIGTERM: the feed stops and prints its summary.
let feedInterrupted = Atomic<Bool>(false)

/// Where the feed connects and for how long (shared by `feed` and `record`).
struct FeedOptions: ParsableArguments {
    @Option(name: .long, help: "The configuration file with the [[venues]] tables.")
    var config: String = "config/gantry.example.toml"

    @Flag(name: .long, help: "Connect to the simulator's endpoints (sim_endpoint) instead of the venues'.")
    var sim = false

    @Option(name: .long, help: "Stop after this many seconds (0: run until interrupted).")
    var seconds: Int = 0

    @Option(name: .long, help: "Only these venues (comma-separated names).")
    var venues: String?

    func validate() throws {
        guard seconds >= 0 else { throw ValidationError("--seconds must be ≥ 0") }
    }

    /// Runs the feed (recording to `record` if set). - Throws: `ExitCode(1)` if a feed saw malformed messages.
    func run(record: String?) throws {
        let text: String
        do {
            text = try String(contentsOfFile: config, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(config): \(error.localizedDescription)")
        }
        let market: MarketConfiguration
        do {
            market = try MarketConfiguration(toml: text)
        } catch {
            throw ValidationError("\(error)")
        }
        let wanted = venues.map { Set($0.split(separator: ",").map(String.init)) }
        if let wanted, let unknown = wanted.first(where: { w in !market.venues.contains { $0.name == w } }) {
            throw ValidationError("--venues: \(unknown) is not a configured venue")
        }
        if let record {
            try FileManager.default.createDirectory(atPath: record, withIntermediateDirectories: true)
        }
        let ok = try runFeed(market, venues: market.venues.filter { wanted?.contains($0.name) ?? true }, sim: sim, seconds: seconds, record: record)
        if !ok { throw ExitCode(1) }
    }
}

struct FeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed",
        abstract: "Connect to the configured venues' market data and show live top of book, message rates and latency.")

    @OptionGroup var feed: FeedOptions

    @Option(name: .long, help: "Record to this directory: each venue's raw input (<venue>.raw) and the events (events.bin), for `gantry replay`.")
    var record: String?

    func run() throws {
        StructuredLogHandler.bootstrap()
        try feed.run(record: record)
    }
}

/// What the console shows of one instrument, kept from its events.
struct InstrumentView {
    var name: String
    var priceScale: Int
    var quantityScale: Int
    var live = false
    var bid = (Price.zero, Quantity.zero)
    var ask = (Price.zero, Quantity.zero)
    var messages = 0
    var lastMessages = 0
    var resets = 0
    var stales = 0
    /// Kernel receive → this thread saw the message's last event (the ring hop and the wake-up included).
    var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    /// Kernel receive → the message decoded and applied, and → its events on the ring: the stage's own stamps,
    /// carried by each message's `messageTimes` event.
    var decoded = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    var onRing = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
}

/// A venue's feed, in a class so that several can be held (the runner is non-copyable).
final class FeedBox {
    var feed: VenueFeedRunner
    /// The stage's counters at the last print, to say what went wrong since.
    var lastCounters = LiveCounters.Snapshot()
    init(_ feed: consuming VenueFeedRunner) { self.feed = feed }
}

/// Runs the venues' feeds until the time is up or a signal arrives; prints a block a second and a summary.
/// - Returns: false if any feed saw malformed messages or a venue's error reply, or no book came up.
func runFeed(_ market: MarketConfiguration, venues: [VenueConfiguration], sim: Bool, seconds: Int, record: String? = nil) throws -> Bool {
    let eventsFile = try record.map { try IngestRecorder.events(path: $0 + "/events.bin") }
    let machine = Machine.current()
    let cpus = machine.cpus.isEmpty ? [0] : machine.cpus
    var boxes: [FeedBox] = []
    var views: [InstrumentId: InstrumentView] = [:]
    for i in market.registry.instruments {
        views[i.id] = InstrumentView(name: "\(market.registry.venueNames[Int(i.venue.raw) - 1]) \(i.symbol)", priceScale: i.priceScale, quantityScale: i.quantityScale)
    }
    print("gantry feed: \(venues.count) venue(s) from \(sim ? "the simulator" : "the venues' public endpoints"), \(cpus.count) CPU(s)")
    for (k, v) in venues.enumerated() {
        // Away from the last CPU, where a simulator (or other services) runs by default, when there is a choice.
        let cpu = cpus.count > 1 ? cpus[k % (cpus.count - 1)] : cpus[0]
        let endpoint = sim ? v.simEndpoint.map(String.init(describing:)) ?? "none" : v.endpoint.description
        print("  \(v.name): \(endpoint) on cpu \(cpu), \(v.instruments.map(\.symbol).joined(separator: ", "))")
        boxes.append(FeedBox(try VenueFeedRunner(
            venue: v, registry: market.registry, sim: sim, cpu: cpu, mode: .adaptiveShared, recordTo: record.map { $0 + "/\(v.name).raw" })))
    }
    signal(SIGINT) { _ in feedInterrupted.store(true, ordering: .relaxed) }
    signal(SIGTERM) { _ in feedInterrupted.store(true, ordering: .relaxed) }
    let started = MonotonicClock.now()
    var nextPrint = started + .seconds(1)
    func drain() {
        for box in boxes {
            while let e = box.feed.events.tryConsume() {
                if let eventsFile { withUnsafePointer(to: e) { eventsFile.record(events: UnsafeBufferPointer(start: $0, count: 1)) } }
                guard var view = views[e.instrument] else { continue }
                switch e.kind {
                case .bookReset:
                    view.live = true
                    view.resets += 1
                case .bookStale:
                    view.live = false
                    view.stales += 1
                case .topOfBook:
                    view.bid = (e.price, e.quantity)
                    view.ask = (e.price2, e.quantity2)
                default: break
                }
                if e.flags.contains(.endOfMessage) {
                    view.messages += 1
                    if e.receiveTime.raw > 0 {
                        view.latency.record(UInt64(max(0, (MonotonicClock.now() - e.receiveTime).raw)))
                        if e.kind == .messageTimes {
                            view.decoded.record(UInt64(max(0, (e.decodedTime - e.receiveTime).raw)))
                            view.onRing.record(UInt64(max(0, (e.publishedTime - e.receiveTime).raw)))
                        }
                    }
                }
                views[e.instrument] = view
            }
        }
    }
    while !feedInterrupted.load(ordering: .relaxed) && (seconds == 0 || MonotonicClock.now() - started < .seconds(Int64(seconds))) {
        drain()
        let now = MonotonicClock.now()
        if now >= nextPrint {
            nextPrint = nextPrint + .seconds(1)
            print("t=\((now - started).raw / 1_000_000_000)s")
            for id in views.keys.sorted(by: { $0.raw < $1.raw }) {
                guard var v = views[id], venues.contains(where: { v.name.hasPrefix($0.name + " ") }) else { continue }
                let rate = v.messages - v.lastMessages
                v.lastMessages = v.messages
                views[id] = v
                let p = v.priceScale, q = v.quantityScale
                let top = v.bid.0.raw > 0
                    ? "\(FixedPoint.string(v.bid.0.raw, scale: p)) × \(FixedPoint.string(v.bid.1.raw, scale: q, trimTrailingZeros: true))  |  \(FixedPoint.string(v.ask.0.raw, scale: p)) × \(FixedPoint.string(v.ask.1.raw, scale: q, trimTrailingZeros: true))"
                    : "no top yet"
                print("  \(v.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(v.live ? "live " : "STALE")  \(top)   \(rate) msg/s  kernel→decoded p50 \(ns(v.decoded.valueAtPercentile(50))), →ring p50 \(ns(v.onRing.valueAtPercentile(50))) p99 \(ns(v.onRing.valueAtPercentile(99))), →here p99 \(ns(v.latency.valueAtPercentile(99)))  snapshots \(v.resets) stale \(v.stales)")
            }
            // What went wrong in each venue's stage this second (nothing printed when nothing did).
            for box in boxes {
                let counters = box.feed.report.live.snapshot
                let earlier = box.lastCounters
                box.lastCounters = counters
                let trouble = counters.trouble(since: earlier)
                guard !trouble.isEmpty else { continue }
                let words = box.feed.report.live.lastWords.withLock { $0 }
                var last = ""
                if counters.malformed > earlier.malformed, let e = words.malformed { last += "; last malformed: \(e)" }
                if counters.venueErrors > earlier.venueErrors, let w = words.venueError { last += "; the venue said: \(w)" }
                print("  ! \(box.feed.venue.name): \(trouble)\(last)")
            }
            fflush(nil)
        }
        usleep(2_000)
    }
    for box in boxes { box.feed.runner.stop() }
    drain()
    eventsFile?.close()
    if let record { print("recorded to \(record): <venue>.raw and events.bin (gantry replay --dir \(record))") }
    print("\nsummary (\((MonotonicClock.now() - started).raw / 1_000_000) ms):")
    var ok = true
    for box in boxes {
        guard let s = box.feed.report.stats.withLock({ $0 }) else { continue }
        print("  \(box.feed.venue.name): \(s.messages) messages (\(s.applied) applied, \(s.control) control, \(s.unknown) unknown, \(s.ignored) ignored), resyncs \(s.resyncs), snapshots over REST \(s.snapshots) (failed \(s.snapshotFailures)), disconnects \(s.disconnects), silent books \(s.silences), malformed \(s.malformed)\(s.lastError.map { " (last: \($0))" } ?? ""), venue errors \(s.venueErrors)\(s.lastVenueError.map { " (last: \($0))" } ?? "")")
        print("    kernel receive → events on the ring: p50 \(ns(s.latency.valueAtPercentile(50))) p99 \(ns(s.latency.valueAtPercentile(99))) p99.9 \(ns(s.latency.valueAtPercentile(99.9))) max \(ns(s.latency.max)); the stage's own work p50 \(ns(s.processing.valueAtPercentile(50))) p99 \(ns(s.processing.valueAtPercentile(99)))")
        if s.malformed > 0 || s.venueErrors > 0 { ok = false }
    }
    for v in views.values where venues.contains(where: { v.name.hasPrefix($0.name + " ") }) && v.resets == 0 {
        print("  \(v.name): the book never came up")
        ok = false
    }
    return ok
}
