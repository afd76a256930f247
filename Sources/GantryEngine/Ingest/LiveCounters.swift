import GantryCore
import GantryVenues
import Synchronization

/// An ingest stage's counters while it runs, for a monitor on another thread (`gantry feed` prints what changed
/// each second): the stage copies its own counters here every `LiveCounters.interval`, with relaxed stores
/// from its one thread (plain stores on x86; nothing per message), and a reader sees each figure whole. The
/// last malformed message's error and the venue's last error words go under a lock, taken by the stage only
/// when one of those counts moved (rare: a malformed message or a refusal, never the steady state).
public final class LiveCounters: Sendable {
    public let messages = Atomic<Int>(0)
    public let malformed = Atomic<Int>(0)
    public let unknown = Atomic<Int>(0)
    public let venueErrors = Atomic<Int>(0)
    public let resyncs = Atomic<Int>(0)
    public let disconnects = Atomic<Int>(0)
    public let silences = Atomic<Int>(0)
    public let ringStalls = Atomic<Int>(0)
    /// The last malformed message's error and the venue's last error reply, as the stage last copied them.
    public let lastWords = Mutex<(malformed: DecodeError?, venueError: String?)>((nil, nil))

    /// How often a running stage copies its counters here.
    public static var interval: Nanos { .milliseconds(100) }

    public init() {}

    /// The figures now: each read whole, not all at one instant (the stage may copy between two loads).
    public var snapshot: Snapshot {
        Snapshot(
            messages: messages.load(ordering: .relaxed), malformed: malformed.load(ordering: .relaxed), unknown: unknown.load(ordering: .relaxed),
            venueErrors: venueErrors.load(ordering: .relaxed), resyncs: resyncs.load(ordering: .relaxed),
            disconnects: disconnects.load(ordering: .relaxed), silences: silences.load(ordering: .relaxed),
            ringStalls: ringStalls.load(ordering: .relaxed))
    }

    /// Copies `stats`' counters (on the stage's thread).
    func publish(_ stats: borrowing IngestStats) {
        if stats.malformed != malformed.load(ordering: .relaxed) || stats.venueErrors != venueErrors.load(ordering: .relaxed) {
            let words = (stats.lastError, stats.lastVenueError)
            lastWords.withLock { $0 = words }
        }
        messages.store(stats.messages, ordering: .relaxed)
        malformed.store(stats.malformed, ordering: .relaxed)
        unknown.store(stats.unknown, ordering: .relaxed)
        venueErrors.store(stats.venueErrors, ordering: .relaxed)
        resyncs.store(stats.resyncs, ordering: .relaxed)
        disconnects.store(stats.disconnects, ordering: .relaxed)
        silences.store(stats.silences, ordering: .relaxed)
        ringStalls.store(stats.ringStalls, ordering: .relaxed)
    }

    /// One reading of the counters.
    public struct Snapshot: Sendable, Equatable {
        public var messages = 0, malformed = 0, unknown = 0, venueErrors = 0, resyncs = 0, disconnects = 0, silences = 0, ringStalls = 0

        public init() {}

        init(messages: Int, malformed: Int, unknown: Int, venueErrors: Int, resyncs: Int, disconnects: Int, silences: Int, ringStalls: Int) {
            (self.messages, self.malformed, self.unknown, self.venueErrors) = (messages, malformed, unknown, venueErrors)
            (self.resyncs, self.disconnects, self.silences, self.ringStalls) = (resyncs, disconnects, silences, ringStalls)
        }

        /// What went wrong between `earlier` and this reading, in words ("malformed 2, unknown 1"); empty if
        /// nothing did.
        public func trouble(since earlier: Snapshot) -> String {
            let changes: [(Int, String)] = [
                (malformed - earlier.malformed, "malformed"), (unknown - earlier.unknown, "unknown"),
                (venueErrors - earlier.venueErrors, "venue errors"), (resyncs - earlier.resyncs, "resyncs"),
                (disconnects - earlier.disconnects, "disconnects"), (silences - earlier.silences, "silent books"),
                (ringStalls - earlier.ringStalls, "ring stalls"),
            ]
            return changes.filter { $0.0 > 0 }.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
        }
    }
}
