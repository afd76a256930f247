import GantryCore
import GantryLoop
import GantryRing
import Logging

/// What the journal stage has done.
public struct JournalStageStats: Sendable, Equatable {
    /// Records appended.
    public var records = 0
    /// Events taken off a ring that could not be appended (the writer's buffer was full and could not be
    /// written): lost from the journal, never waited for.
    public var dropped = 0
    /// Notes dropped: cut short by a full note ring, longer than `JournalNotes.maximumLength`, or not of a
    /// text kind.
    public var notesDropped = 0
    /// Batch writes or syncs that failed (each is retried at the next poll).
    public var failures = 0
    /// The last error met, if any.
    public var lastError: JournalError?
    /// The most events found waiting in one ring at the start of a poll: how far behind its producers the
    /// journal fell.
    public var largestBacklog = 0

    public init() {}
}

/// The journal's stage: on a runner of its own, it drains its rings — market events (one ring per venue feed,
/// any number), risk decisions, order reports, control events, intents and text notes — appends each as a
/// record of its kind, and writes each poll's records in one batch (group commit; syncs as the writer's policy
/// says). Every record of a poll shares one wall-clock journaled time; each keeps its event's own time.
///
/// Falling behind: the journal reads broadcast rings as one more consumer, and a broadcast ring's producer
/// waits for its slowest consumer, so a journal that falls a whole ring behind stalls that producer (a feed,
/// risk, order-send). The stage never blocks on a ring and never waits for the disk with the `.interval`
/// policy (a background thread syncs, and syncs the old file at a rotation); what can stall it is write(2)
/// itself: the kernel throttling dirty pages when the disk is slower than the event rate, or a page still being
/// written back (up to 20–60 ms now and then on these VMs, measured by gantry-journal-bench). Give its rings
/// room for the event rate times such a stall: at 2 M events/s a 65,536-slot ring (33 ms) was sometimes filled
/// and its producer waited; a 262,144-slot ring (131 ms, 16 MiB of market events) never was.
/// `stats.largestBacklog` shows how close it came. When writing
/// fails (disk full), events are still taken off the rings and counted as `dropped`, so that no producer waits
/// on a journal that cannot write.
public struct JournalStage: Stage, ~Copyable {
    var writer: JournalWriter
    var market = ConsumerList<MarketEvent>()
    var decisions = ConsumerList<RiskDecision>()
    var reports = ConsumerList<OrderReport>()
    var control = ConsumerList<ControlEvent>()
    var intents = ConsumerList<OrderIntent>()
    var notes = ConsumerList<JournalNote>()
    var ticks = ConsumerList<StageTick>()
    var health = ConsumerList<VenueHealth>()
    var flows = ConsumerList<FlowEvent>()
    var joiner = NoteJoiner()
    public private(set) var stats = JournalStageStats()
    /// Events taken from one ring in one poll at most.
    let perRing: Int
    var logged = (failures: 0, dropped: 0, notes: 0, at: Nanos.zero)
    let logger = Logger(label: "gantry.journal")

    /// A stage appending to `writer`.
    /// - Parameters:
    ///   - context: The runner's context, to wake the runner every `wake` (the producers of broadcast rings
    ///     ring another stage's doorbell, not this one's); nil when the runner busy-polls or a test polls.
    ///   - perRing: Events taken from one ring in one poll at most (bounds a batch).
    public init(writer: consuming JournalWriter, context: RunnerContext? = nil, wake: Nanos = .milliseconds(1), perRing: Int = 4_096) {
        self.writer = writer
        self.perRing = perRing
        context?.every(wake) {}
    }

    /// Journals a ring of market events (call once per venue feed ring). - Traps past 64 rings of a kind.
    public mutating func attach(market consumer: consuming RingConsumer<MarketEvent>) { market.append(consumer) }
    /// Journals a ring of risk decisions.
    public mutating func attach(decisions consumer: consuming RingConsumer<RiskDecision>) { decisions.append(consumer) }
    /// Journals a ring of order reports.
    public mutating func attach(reports consumer: consuming RingConsumer<OrderReport>) { reports.append(consumer) }
    /// Journals a ring of control events.
    public mutating func attach(control consumer: consuming RingConsumer<ControlEvent>) { control.append(consumer) }
    /// Journals a ring of order intents.
    public mutating func attach(intents consumer: consuming RingConsumer<OrderIntent>) { intents.append(consumer) }
    /// Journals a deciding stage's ticks (what a replay needs to hand it the same batches at the same times).
    public mutating func attach(ticks consumer: consuming RingConsumer<StageTick>) { ticks.append(consumer) }
    /// Journals a ring of on-chain flow events.
    public mutating func attach(flows consumer: consuming RingConsumer<FlowEvent>) { flows.append(consumer) }
    /// Journals a ring of venue health updates.
    public mutating func attach(health consumer: consuming RingConsumer<VenueHealth>) { health.append(consumer) }
    /// Journals the notes posted through a `JournalNotes` on the ring's producer.
    public mutating func attach(notes consumer: consuming RingConsumer<JournalNote>) { notes.append(consumer) }

    /// The writer's counters.
    public var writerStats: JournalWriterStats { writer.stats }

    /// fdatasyncs done by the writer's background thread (the `.interval` policy).
    public var backgroundSyncs: Int { writer.backgroundSyncs }

    /// What the writer found at open.
    public var recovery: JournalRecovery { writer.recovery }

    public mutating func poll() -> Int {
        let now = WallClock.now()
        var n = Self.drain(&control, into: &writer, &stats, now, perRing)
        n &+= Self.drain(&decisions, into: &writer, &stats, now, perRing)
        n &+= Self.drain(&reports, into: &writer, &stats, now, perRing)
        n &+= Self.drain(&intents, into: &writer, &stats, now, perRing)
        n &+= Self.drain(&health, into: &writer, &stats, now, perRing)
        n &+= Self.drain(&flows, into: &writer, &stats, now, perRing)
        n &+= Self.drain(&market, into: &writer, &stats, now, perRing)
        n &+= Self.drain(&ticks, into: &writer, &stats, now, perRing)
        var backlog = stats.largestBacklog
        n &+= notes.poll(upTo: perRing, backlog: &backlog) { batch in
            for chunk in batch { joiner.take(chunk, into: &writer, &stats, now) }
        }
        stats.largestBacklog = max(stats.largestBacklog, backlog)
        if writer.pendingBytes > 0 {
            do {
                try writer.flush()
            } catch {
                stats.failures += 1
                stats.lastError = error
            }
        }
        if stats.failures != logged.failures || stats.dropped != logged.dropped || stats.notesDropped != logged.notes { report() }
        return n
    }

    /// Appends a book snapshot whose levels `fill` writes in place (see `JournalWriter.appendBookSnapshot`); it is
    /// written with the next poll's batch. A failure counts as a drop.
    public mutating func appendBookSnapshot(
        venue: VenueId, instrument: InstrumentId, sequence: UInt64, exchangeTime: Nanos, bidCount: Int, askCount: Int, eventTime: Nanos,
        _ fill: (UnsafeMutableBufferPointer<JournalLevel>, UnsafeMutableBufferPointer<JournalLevel>) -> Void
    ) {
        do {
            try writer.appendBookSnapshot(
                venue: venue, instrument: instrument, sequence: sequence, exchangeTime: exchangeTime, bidCount: bidCount, askCount: askCount,
                eventTime: eventTime, fill)
            stats.records &+= 1
        } catch {
            stats.dropped &+= 1
            stats.lastError = error
        }
    }

    /// Writes what is buffered and closes the writer (synced unless its policy is `.never`).
    public mutating func finish() {
        do {
            try writer.close()
        } catch {
            stats.failures += 1
            stats.lastError = error
            logger.error("journal: closing failed: \(error)")
        }
    }

    static func drain<E: JournalEvent>(
        _ list: inout ConsumerList<E>, into writer: inout JournalWriter, _ stats: inout JournalStageStats, _ now: Nanos, _ limit: Int
    ) -> Int {
        var backlog = stats.largestBacklog
        defer { stats.largestBacklog = max(stats.largestBacklog, backlog) }
        return list.poll(upTo: limit, backlog: &backlog) { batch in
            for event in batch {
                do throws(JournalError) {
                    try writer.append(event, journaledTime: now)
                    stats.records &+= 1
                } catch {
                    stats.dropped &+= 1
                    stats.lastError = error
                }
            }
        }
    }

    /// Logs failures and drops, at most once a second (off the hot path: only when something failed).
    mutating func report() {
        let now = MonotonicClock.now()
        guard now - logged.at >= .seconds(1) else { return }
        logger.error(
            "journal: \(stats.failures - logged.failures) failed writes, \(stats.dropped - logged.dropped) events and \(stats.notesDropped - logged.notes) notes dropped; last error: \(stats.lastError.map { "\($0)" } ?? "none")"
        )
        logged = (stats.failures, stats.dropped, stats.notesDropped, now)
    }
}

/// Joins the chunks of one note at a time into a text record.
struct NoteJoiner: ~Copyable {
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: JournalNotes.maximumLength, alignment: 8)
    var id: UInt32 = 0
    var length = 0
    /// A note's chunks are arriving; `broken` if one was unusable (the rest of the note is skipped).
    var pending = false
    var broken = false

    deinit { buffer.deallocate() }

    mutating func take(_ chunk: JournalNote, into writer: inout JournalWriter, _ stats: inout JournalStageStats, _ now: Nanos) {
        if pending && chunk.id != id {
            stats.notesDropped &+= 1  // the note before never got its last chunk
            pending = false
        }
        if !pending {
            (pending, id, length, broken) = (true, chunk.id, 0, false)
        }
        let count = Int(chunk.count)
        let kind = JournalRecordKind(rawValue: chunk.kind)
        if !broken {
            if let kind, kind.isText, count <= JournalNote.capacity, length + count <= JournalNotes.maximumLength {
                withUnsafeBytes(of: chunk.text) { (buffer + length).copyMemory(from: $0.baseAddress!, byteCount: count) }
                length += count
            } else {
                broken = true
            }
        }
        guard chunk.flags & 1 == 0 else { return }
        pending = false
        guard !broken, let kind else {
            stats.notesDropped &+= 1
            return
        }
        do {
            try writer.appendRaw(
                kind: kind.rawValue, version: kind.currentVersion, payload: UnsafeRawBufferPointer(start: buffer, count: length),
                eventTime: chunk.time, journaledTime: now)
            stats.records &+= 1
        } catch {
            stats.dropped &+= 1
            stats.lastError = error
        }
    }
}

/// Ring consumers of one element type, polled in turn: up to 64, in memory of their own (`RingConsumer` is
/// `~Copyable`, so not an array's element).
struct ConsumerList<Element: BitwiseCopyable>: ~Copyable {
    static var capacity: Int { 64 }
    let consumers = UnsafeMutablePointer<RingConsumer<Element>>.allocate(capacity: capacity)
    var count = 0

    deinit {
        consumers.deinitialize(count: count)
        consumers.deallocate()
    }

    mutating func append(_ consumer: consuming RingConsumer<Element>) {
        precondition(count < Self.capacity, "journal: more than \(Self.capacity) rings of one kind")
        (consumers + count).initialize(to: consumer)
        count += 1
    }

    /// Hands each ring's ready events to `body`, up to `limit` per ring, noting the largest backlog seen.
    /// - Returns: events handed over.
    mutating func poll(upTo limit: Int, backlog: inout Int, _ body: (UnsafeBufferPointer<Element>) -> Void) -> Int {
        var n = 0
        for k in 0..<count {
            let waiting = consumers[k].lag
            if waiting > backlog { backlog = waiting }
            if waiting > 0 { n &+= consumers[k].poll(upTo: limit, body) }
        }
        return n
    }
}
