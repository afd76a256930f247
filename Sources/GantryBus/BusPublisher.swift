import GantryCore
import GantryLoop
import GantryRing
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// What the publisher has done.
public struct BusPublisherStats: Sendable, Equatable {
    /// Entries Redis confirmed (an XADD reply with the entry's id).
    public var confirmed = 0
    /// XADDs written, re-sends included.
    public var sent = 0
    /// XADDs written again after a lost connection (the entry may now be in its stream twice).
    public var resent = 0
    /// Events taken off a ring with the outbox full (`BusOverflow.drop`): never sent, a gap in their stream.
    public var dropped = 0
    /// XADDs Redis answered with an error (`-OOM`, `-WRONGTYPE`, …): not in the stream, a gap.
    public var rejected = 0
    /// The connection: connected now, reconnects, failed attempts, the last error.
    public var connection = BusConnectionStats()
    /// The most entries the outbox held at once.
    public var largestOutbox = 0

    public init() {}
}

/// The publishing stage: on a cold runner of its own, it drains its rings (any number, of any `BusEvent` kind)
/// into an outbox, assigns each event the next sequence of its kind's stream, and writes them to Redis as
/// pipelined `XADD <stream> MAXLEN ~ <maxlen> * p <producer> s <sequence> d <bytes>`, a batch at a time with one
/// batch in flight while the next is written.
///
/// Blocking: hiredis's synchronous API blocks this stage's own runner for a round trip at most per batch (and
/// `commandTimeout` when Redis hangs), never a producer: producers only publish to rings. When Redis goes away
/// the stage keeps what Redis has not confirmed, reconnects with backoff and re-sends it in order; what was
/// written but not confirmed may then be in the stream twice, which consumers drop by sequence. With the outbox
/// full it drops (counted, a sequence gap) or leaves events on the rings, as `BusConfiguration.overflow` says.
public struct BusPublisher: Stage, ~Copyable {
    let configuration: BusConfiguration
    /// This publisher's id: the `p` field of its entries.
    public let producer: UInt64
    var link: BusLink
    var outbox: BusOutbox
    var writer = RESPWriter()
    var sources: [any BusSource] = []
    /// The last sequence given out, by kind raw value.
    var sequences = [UInt64](repeating: 0, count: 8)
    /// By kind raw value, each XADD's first ten arguments (`XADD <stream> MAXLEN ~ <maxlen> * p <producer> s`),
    /// already in RESP: an entry adds its sequence, `d` and its payload.
    let prefixes: [[UInt8]]
    /// What the stage has done so far.
    public private(set) var stats = BusPublisherStats()
    /// Batches taken from one ring and written in one poll at most (bounds a poll's time).
    static var batchesPerPoll: Int { 8 }
    var loggedRejections = (count: 0, at: Nanos(raw: Int64.min / 2))
    let board: BusStatsBoard<BusPublisherStats>?

    /// A publisher to the Redis `configuration` names.
    /// - Parameters:
    ///   - producer: The id entries carry; a random one by default (a restarted publisher is a new producer).
    ///   - context: The runner's context, to wake the runner every `wake` for reconnects and rings whose
    ///     producers do not ring this runner's doorbell; nil when a test polls.
    ///   - board: Where the stage leaves its figures after every poll, for other threads.
    public init(
        configuration: BusConfiguration, producer: UInt64? = nil, context: RunnerContext? = nil, wake: Nanos = .milliseconds(2),
        board: BusStatsBoard<BusPublisherStats>? = nil, logger: Logger = Logger(label: "gantry.bus")
    ) {
        self.configuration = configuration
        self.board = board
        let id = producer ?? UInt64.random(in: 1...UInt64.max)
        self.producer = id
        link = BusLink(configuration: configuration, role: "publisher", logger: logger)
        outbox = BusOutbox(capacity: configuration.outbox)
        var prefixes = [[UInt8]](repeating: [], count: 8)
        var w = RESPWriter(capacity: 256)
        for kind in BusEventKind.allCases {
            w.reset()
            w.command(arguments: 12)
            w.bulk("XADD")
            w.bulk(Array(configuration.stream(kind).utf8))
            w.bulk("MAXLEN")
            w.bulk("~")
            w.bulk(decimal: UInt64(configuration.maxLength))
            w.bulk("*")
            w.bulk("p")
            w.bulk(decimal: id)
            w.bulk("s")
            prefixes[Int(kind.rawValue)] = Array(w.bytes)
        }
        self.prefixes = prefixes
        context?.every(wake) {}
    }

    /// Publishes the events of `consumer`'s ring on their kind's stream (call once per ring; several rings of
    /// one kind share its stream and its sequence).
    public mutating func attach<E: BusEvent>(_ consumer: consuming RingConsumer<E>) {
        sources.append(RingSource(consumer))
    }

    /// Entries not yet confirmed by Redis.
    public var unconfirmed: Int { outbox.count }

    /// The last sequence given out on `kind`'s stream.
    public func lastSequence(_ kind: BusEventKind) -> UInt64 { sequences[Int(kind.rawValue)] }

    /// Drains the rings into the outbox, connects if needed, sends what waits and reads the replies.
    /// - Returns: events taken off rings plus entries confirmed.
    public mutating func poll() -> Int {
        let now = MonotonicClock.now()
        var work = 0
        for source in sources {
            work &+= source.drain(
                into: &outbox, sequences: &sequences, limit: configuration.batch * Self.batchesPerPoll, overflow: configuration.overflow,
                dropped: &stats.dropped)
        }
        stats.largestOutbox = max(stats.largestOutbox, outbox.count)
        if outbox.count > 0, let (connection, fresh) = link.connect(now: now) {
            if fresh { outbox.rewind() }
            do throws(BusError) {
                work &+= try send(connection)
            } catch {
                link.lost(error, now: now)
                outbox.rewind()
            }
        }
        stats.connection = link.stats
        board?.store(stats)
        return work
    }

    /// Writes what waits, a batch at a time with at most one more batch in flight, then reads the replies of
    /// everything still in flight. - Returns: entries confirmed.
    mutating func send(_ connection: RedisConnection) throws(BusError) -> Int {
        let batch = configuration.batch
        var confirmed = 0
        var rounds = 0
        while outbox.waiting > 0 && rounds < Self.batchesPerPoll {
            let n = min(batch, outbox.waiting)
            writer.reset()
            for k in 0..<n { encode(outbox.entry(outbox.sent + k)) }
            try connection.append(writer.bytes)
            stats.resent += outbox.markSent(n)
            stats.sent += n
            confirmed += try readReplies(connection, until: batch)
            rounds += 1
        }
        confirmed += try readReplies(connection, until: 0)
        return confirmed
    }

    /// Reads XADD replies until at most `limit` entries are in flight.
    mutating func readReplies(_ connection: RedisConnection, until limit: Int) throws(BusError) -> Int {
        var n = 0
        while outbox.inFlight > limit {
            let reply = try connection.reply()
            let root = reply.root
            if !root.isString {
                let error: BusError = root.isError ? .rejected(command: "XADD", reply: root.text) : .unexpectedReply(command: "XADD", what: root.shape)
                if error.isRetryable { throw error }  // "not now": the entry stays, and goes again after a reconnect
                stats.rejected += 1
                link.note(error)
                reportRejection(error)
            } else {
                stats.confirmed += 1
            }
            outbox.confirmOldest()  // answered either way: it leaves the outbox
            n += 1
        }
        return n
    }

    mutating func encode(_ entry: (kind: BusEventKind, sequence: UInt64, payload: UnsafeRawBufferPointer)) {
        writer.raw(prefixes[Int(entry.kind.rawValue)])
        writer.bulk(decimal: entry.sequence)
        writer.bulk("d")
        writer.bulk(entry.payload)
    }

    /// Logs rejected XADDs, at most once a second.
    mutating func reportRejection(_ error: BusError) {
        let now = MonotonicClock.now()
        guard now - loggedRejections.at >= .seconds(1) else { return }
        link.logger.error("bus publisher: \(stats.rejected - loggedRejections.count) entries rejected; last: \(error)")
        loggedRejections = (stats.rejected, now)
    }

    /// Sends what is left on the rings and in the outbox (for up to a second, while Redis answers) before the
    /// stage goes.
    public mutating func finish() {
        let deadline = MonotonicClock.now() + .seconds(1)
        while poll() > 0 && MonotonicClock.now() < deadline {}
        while outbox.count > 0 && MonotonicClock.now() < deadline {
            if poll() == 0 { usleep(1_000) }
        }
        if outbox.count > 0 { link.logger.error("bus publisher: stopped with \(outbox.count) entries Redis has not confirmed") }
    }
}

/// A ring the publisher drains: a class so that rings of every event type sit in one list (one dynamic call
/// per ring per poll, not per event).
protocol BusSource: AnyObject {
    /// Moves up to `limit` events into `outbox`, each with the next sequence of its kind.
    /// - Returns: events taken off the ring.
    func drain(into outbox: inout BusOutbox, sequences: inout [UInt64], limit: Int, overflow: BusOverflow, dropped: inout Int) -> Int
}

final class RingSource<E: BusEvent>: BusSource {
    var consumer: RingConsumer<E>

    init(_ consumer: consuming RingConsumer<E>) { self.consumer = consumer }

    func drain(into outbox: inout BusOutbox, sequences: inout [UInt64], limit: Int, overflow: BusOverflow, dropped: inout Int) -> Int {
        let room = overflow == .wait ? min(limit, outbox.free) : limit
        guard room > 0 else { return 0 }
        let kind = Int(E.busKind.rawValue)
        return consumer.poll(upTo: room) { batch in
            for event in batch {
                sequences[kind] &+= 1
                if outbox.free > 0 {
                    outbox.append(event, sequence: sequences[kind])
                } else {
                    dropped += 1
                }
            }
        }
    }
}
