import GantryCore
import GantryLoop
import GantryNet
import GantryRing
import GantryVenues
import Logging
import Histogram

/// What an ingest stage did: message and event counts by outcome, and its latency from the kernel's
/// receive time of a message to the moment its events were on the ring.
public struct IngestStats: Sendable {
    public var messages = 0
    public var applied = 0
    public var control = 0
    /// Well-formed messages that are neither book data nor a control message the venue documents.
    public var unknown = 0
    /// The venue's error replies (a subscription or request refused), and the last one's words.
    public var venueErrors = 0
    public var lastVenueError: String? = nil
    public var ignored = 0
    public var resyncs = 0
    public var unknownInstrument = 0
    public var malformed = 0
    /// Events published to the ring, and the batches they went in (one per message or stage finding, each
    /// ended by its `messageTimes`).
    public var events = 0
    public var batches = 0
    /// Times the stage's event batch had to grow (a reallocation; a deeper book than the batch was made for).
    public var batchGrowths = 0
    /// Times the ring was full and the stage waited for its slowest consumer.
    public var ringStalls = 0
    /// REST snapshots received, and requests that failed (HTTP status, timeout, connection).
    public var snapshots = 0
    public var snapshotFailures = 0
    /// Resubscriptions sent for stale books.
    public var resubscriptions = 0
    /// Connection drops (each marks every book of the connection stale).
    public var disconnects = 0
    /// Books found silent (nothing heard for the venue's `book_silence_ms` on an open connection), each marked
    /// stale and resynced.
    public var silences = 0
    /// Kernel receive → events published, ns, for messages that published events.
    public var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    /// Kernel receive → the stage starts on the message, ns: the socket, TLS and WebSocket share of `latency`
    /// (and the wait behind earlier messages of the same read).
    public var pickup = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    /// The stage's own share: it starts on the message → its events are on the ring, ns.
    public var processing = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    /// The last malformed message's error, for the log and the journal.
    public var lastError: DecodeError? = nil

    public init() {}

    mutating func count(_ outcome: FeedOutcome) {
        messages += 1
        switch outcome {
        case .applied: applied += 1
        case .control: control += 1
        case .unknown: unknown += 1
        case .venueError(let words):
            venueErrors += 1
            lastVenueError = words
        case .ignored: ignored += 1
        case .resyncNeeded: resyncs += 1
        case .unknownInstrument: unknownInstrument += 1
        case .malformed(let e, _):
            malformed += 1
            lastError = e
        }
    }
}

/// The ingest stage's state that the connection's callback works on. It lives on the heap, reached through a
/// pointer, so that the callback can use it while the supervisor (a sibling in the stage) is being polled.
struct IngestCore<Handler: FeedHandler & ~Copyable>: ~Copyable {
    var handler: Handler
    var producer: RingProducer<MarketEvent>
    var batch = EventBatch()
    var stats = IngestStats()
    /// Resyncs the owner must act on (resubscribe; for Binance, fetch a snapshot), by instrument.
    var resyncRequests: [InstrumentId] = []
    /// When each instrument's last resync was asked for (`.none`: every instrument), until its book is rebuilt
    /// (a `bookReset` published). Every message to a stale book says it needs a resync; one request per
    /// `resyncInterval` is sent, not one per message (venues limit subscriptions: OKX to 480 an hour on a
    /// connection).
    var resyncAskedAt: [InstrumentId: Nanos] = [:]
    /// The least time between two resyncs of one instrument: long enough for a venue to answer with its
    /// snapshot, after which a book still stale is asked for again.
    static var resyncInterval: Nanos { .seconds(2) }
    /// Called while the ring is full, for a consumer fused on the same runner (which could not otherwise run).
    let whenRingFull: (() -> Void)?

    mutating func handle(_ payload: UnsafeRawBufferPointer, receivedAt: Nanos) {
        let started = MonotonicClock.now()
        if receivedAt.raw > 0 && started >= receivedAt { stats.pickup.record(UInt64(started.raw - receivedAt.raw)) }
        batch.removeAll()
        let outcome = handler.handle(payload, receiveTime: receivedAt, into: &batch)
        stats.count(outcome)
        switch outcome {
        case .resyncNeeded(let instrument), .malformed(_, stale: let instrument?):
            // Timed by the message's receive time (the same clock as `started`), or by `started` without one.
            askResync(instrument, now: receivedAt.raw > 0 ? receivedAt : started)
        default: break
        }
        guard batch.count > 0 else { return }
        batch.endMessage(decodedAt: MonotonicClock.now())
        let published = publishBatch()
        stats.processing.record(UInt64(max(0, published.raw - started.raw)))
        // A message replayed from a test has no kernel time: its latency is not recorded.
        if receivedAt.raw > 0 && published >= receivedAt { stats.latency.record(UInt64(published.raw - receivedAt.raw)) }
    }

    /// Queues a resync of `instrument` unless one was asked for within `resyncInterval` (a request for every
    /// instrument covers each one).
    mutating func askResync(_ instrument: InstrumentId, now: Nanos) {
        if let last = resyncAskedAt[instrument], now - last < Self.resyncInterval { return }
        if instrument != .none, let all = resyncAskedAt[.none], now - all < Self.resyncInterval { return }
        resyncAskedAt[instrument] = now
        if resyncRequests.count < resyncRequests.capacity { resyncRequests.append(instrument) }
    }

    /// Publishes the batch (ended by `endMessage`); if the ring is full, waits for the slowest consumer
    /// (spinning, then yielding): market data is never dropped, and the wait is counted. Its `messageTimes`
    /// event is stamped with the publish time after any wait, just before the commit that makes it visible.
    /// - Returns: The publish time.
    @discardableResult
    mutating func publishBatch() -> Nanos {
        if !resyncAskedAt.isEmpty {
            // A rebuilt book's resync is done: the next trouble asks afresh.
            for e in batch.buffer where e.kind == .bookReset {
                resyncAskedAt[e.instrument] = nil
                resyncAskedAt[.none] = nil
            }
        }
        var wait = CountingWait(whenFull: whenRingFull)
        var published = Nanos.zero
        producer.publish(contentsOf: batch.buffer, waiting: &wait) { last in
            published = MonotonicClock.now()
            if last.kind == .messageTimes { last.publishedTime = published }
        }
        if wait.idles > 0 { stats.ringStalls += 1 }
        stats.events += batch.count
        stats.batches += 1
        stats.batchGrowths = batch.growths
        return published
    }

    /// Marks the silent books stale (stale markers on the ring) and queues their resync.
    /// - Returns: How many books were silent.
    mutating func checkSilence(now: Nanos, limit: Nanos) -> Int {
        batch.removeAll()
        // A local list: `resync` may not touch `self` while the handler is being mutated. It allocates only
        // when a book is silent.
        var silent: [InstrumentId] = []
        let found = handler.silentBooks(now: now, limit: limit, into: &batch) { silent.append($0) }
        stats.silences += found
        for instrument in silent where resyncRequests.count < resyncRequests.capacity {
            resyncRequests.append(instrument)
            resyncAskedAt[instrument] = now
        }
        if batch.count > 0 {
            batch.endMessage(decodedAt: MonotonicClock.now())
            publishBatch()
        }
        return found
    }

    mutating func connectionLost(at now: Nanos) {
        stats.disconnects += 1
        // The reconnect's subscriptions ask for every snapshot afresh.
        resyncAskedAt.removeAll(keepingCapacity: true)
        batch.removeAll()
        handler.connectionLost(at: now, into: &batch)
        if batch.count > 0 {
            batch.endMessage(decodedAt: MonotonicClock.now())
            publishBatch()
        }
    }
}

/// The first stage of the pipeline: one venue connection (kept up by a `WebSocketSupervisor`: subscriptions,
/// heartbeats, reconnects), its feed handler (decode in place → book sync → events), and the broadcast ring
/// the events go to, published one message at a time. Runs on its pinned runner; allocation-free per message
/// in steady state (a venue's error reply keeps its words, and a batch that must grow reallocates once).
/// A dropped connection marks every book of the feed stale (consumers see `bookStale`) until the handler's
/// snapshots rebuild them after the supervisor reconnects and resubscribes.
public struct IngestStage<Handler: FeedHandler & ~Copyable, Sink: ConnectionEventSink & ~Copyable>: Stage, ~Copyable {
    var supervisor: WebSocketSupervisor<Sink>
    // SAFETY: `core` is allocated and initialised once in `init`, deinitialised and freed once in `deinit`, and
    // never handed out: the stage owns it alone (`~Copyable`), and it is used only on the stage's thread, by
    // `poll`, `finish` and the supervisor's callback during `poll` (which cannot outlive the call). It is a
    // pointer, not a stored property, so that the callback can mutate it while `supervisor` is being mutated.
    let core: UnsafeMutablePointer<IngestCore<Handler>>
    /// Called once in `finish` with the stage's counters and latency (on the runner's thread).
    let report: (IngestStats) -> Void
    /// The venue's REST endpoint, for feeds whose snapshots come over REST (Binance).
    let rest: HTTPClient?
    /// REST snapshot requests in flight: request id → instrument.
    var snapshotRequests: [(HTTPRequestId, InstrumentId)] = []
    /// Records every input of the stage for replay (`gantry record`), when set.
    let recorder: IngestRecorder?
    /// How long a book may hear nothing on an open connection before it is taken for stuck (nil: never).
    let bookSilence: Nanos?
    var nextSilenceCheck = Nanos.zero
    /// Where the counters are copied for a monitor while the stage runs, when set.
    let live: LiveCounters?
    var nextLivePublish = Nanos.zero
    /// Resyncs and the venue's error replies, off the hot path (the connection's own lines are the supervisor's).
    var logger = Logger(label: "gantry.ingest")
    var venueErrorsLogged = 0

    /// - Parameters:
    ///   - rest: The venue's REST endpoint, for feeds whose snapshots come over it (Binance); nil for venues
    ///     that send snapshots on the WebSocket.
    ///   - whenRingFull: For a ring consumer fused on this stage's runner: called while the ring is full, so
    ///     that it can make room (it could not run otherwise: the stage waits for it on the same thread).
    ///   - bookSilence: A book that hears nothing this long while the connection is open is marked stale and
    ///     resynced (its stream is stuck); nil: never. Venues send a book's updates only when it changes, so
    ///     this must be longer than the quietest configured instrument is quiet.
    ///   - live: Where to copy the counters every `LiveCounters.interval` while running (and in `finish`).
    public init(
        supervisor: consuming WebSocketSupervisor<Sink>, handler: consuming Handler, producer: consuming RingProducer<MarketEvent>,
        rest: HTTPClient? = nil, whenRingFull: (() -> Void)? = nil, recorder: IngestRecorder? = nil, bookSilence: Nanos? = nil,
        live: LiveCounters? = nil, report: @escaping (IngestStats) -> Void = { _ in }
    ) {
        self.live = live
        self.rest = rest
        self.bookSilence = bookSilence
        self.recorder = recorder
        self.supervisor = supervisor
        // The venue's own heartbeat, if it asks for one, unless the caller set another.
        if self.supervisor.keepAlive == nil { self.supervisor.keepAlive = handler.keepAlive }
        core = .allocate(capacity: 1)
        var resync: [InstrumentId] = []
        resync.reserveCapacity(256)
        core.initialize(to: IngestCore(handler: handler, producer: producer, resyncRequests: resync, whenRingFull: whenRingFull))
        self.report = report
    }

    deinit {
        core.deinitialize(count: 1)
        core.deallocate()
    }

    /// The counters so far (on the runner's thread).
    public var stats: IngestStats { core.pointee.stats }

    // Specialized for the stages `VenueFeedRunner` makes: a caller in another module (a benchmark, a test)
    // then runs the same specialized code as the gateway, not the generic body, which looks up type metadata
    // at run time.
    @_specialize(where Handler == BinanceFeed, Sink == RingProducer<ConnectionEvent>)
    @_specialize(where Handler == BybitFeed, Sink == RingProducer<ConnectionEvent>)
    @_specialize(where Handler == OKXFeed, Sink == RingProducer<ConnectionEvent>)
    @_specialize(where Handler == KrakenV2Feed, Sink == RingProducer<ConnectionEvent>)
    @_specialize(where Handler == CoinbaseFeed, Sink == RingProducer<ConnectionEvent>)
    public mutating func poll() -> Int {
        let now = MonotonicClock.now()
        let core = self.core
        let recorder = self.recorder
        var lost = false
        var opened = false
        let work = supervisor.poll(now: now) { event in
            switch event {
            case .message(_, let payload, let receivedAt):
                recorder?.record(.message, time: receivedAt, payload)
                core.pointee.handle(payload, receivedAt: receivedAt)
            case .open: opened = true
            case .closed: lost = true
            default: break
            }
        }
        if core.pointee.stats.venueErrors != venueErrorsLogged {
            venueErrorsLogged = core.pointee.stats.venueErrors
            logger.warning(
                "the venue refused a request",
                metadata: ["venue": "\(supervisor.venue.raw)", "words": "\(core.pointee.stats.lastVenueError ?? "")", "count": "\(venueErrorsLogged)"])
        }
        if lost {
            recorder?.record(.connectionLost, time: now, UnsafeRawBufferPointer(start: nil, count: 0))
            core.pointee.connectionLost(at: now)
        }
        // Silence is timed from the (re)connect's subscriptions, and checked every 10 ms while the connection
        // is open (a closed one has its own timeouts).
        if opened {
            recorder?.record(.opened, time: now, UnsafeRawBufferPointer(start: nil, count: 0))
            core.pointee.handler.restartSilenceClocks(at: now)
        }
        if let limit = bookSilence, supervisor.state == .open, now >= nextSilenceCheck {
            nextSilenceCheck = now + .milliseconds(10)
            if core.pointee.checkSilence(now: now, limit: limit) > 0, let recorder {
                withUnsafeBytes(of: limit.raw.littleEndian) { recorder.record(.silence, time: now, $0) }
            }
        }
        // Books that went stale on an open connection are resubscribed for a fresh snapshot (after a drop,
        // the reconnect's subscriptions do that).
        if !core.pointee.resyncRequests.isEmpty {
            logger.notice(
                "resubscribing for fresh snapshots",
                metadata: ["venue": "\(supervisor.venue.raw)", "instruments": "\(core.pointee.resyncRequests.map { $0 == .none ? "all" : "\($0.raw)" }.joined(separator: ","))"])
            for instrument in core.pointee.resyncRequests {
                core.pointee.handler.resubscribe(instrument) { supervisor.send(text: $0) }
            }
            core.pointee.stats.resubscriptions += core.pointee.resyncRequests.count
            core.pointee.resyncRequests.removeAll(keepingCapacity: true)
        }
        if let live, now >= nextLivePublish {
            nextLivePublish = now + LiveCounters.interval
            live.publish(core.pointee.stats)
        }
        if let rest { return work + pollSnapshots(rest, now: now) }
        return work
    }

    /// Sends the snapshot requests the feed wants and hands it what came back.
    mutating func pollSnapshots(_ rest: HTTPClient, now: Nanos) -> Int {
        let core = self.core
        let recorder = self.recorder
        var requests = snapshotRequests
        var refused: [(InstrumentId, String)] = []
        core.pointee.handler.snapshotRequests(now: now) { instrument, target in
            switch rest.send(method: "GET", target: target, now: now) {
            case .success(let id): requests.append((id, instrument))
            case .failure(let e): refused.append((instrument, "\(e)"))
            }
        }
        for (instrument, why) in refused { core.pointee.handler.snapshotFailed(instrument, now: now, why: why) }
        var work = 0
        if !requests.isEmpty {
            work += rest.poll(now: now) { id, result in
                guard let k = requests.firstIndex(where: { $0.0 == id }) else { return }
                let instrument = requests.remove(at: k).1
                switch result {
                case .success(let response) where response.status == 200:
                    let received = MonotonicClock.now()
                    response.body.withUnsafeBytes { recorder?.record(.snapshot, instrument: instrument, time: received, $0) }
                    core.pointee.batch.removeAll()
                    let outcome = response.body.withUnsafeBytes {
                        core.pointee.handler.snapshotArrived(instrument, body: $0, receiveTime: received, into: &core.pointee.batch)
                    }
                    core.pointee.stats.snapshots += 1
                    core.pointee.stats.count(outcome)
                    if core.pointee.batch.count > 0 {
                        core.pointee.batch.endMessage(decodedAt: MonotonicClock.now())
                        core.pointee.publishBatch()
                    }
                case .success(let response):
                    core.pointee.stats.snapshotFailures += 1
                    core.pointee.handler.snapshotFailed(instrument, now: now, why: "HTTP \(response.status)")
                case .failure(let e):
                    core.pointee.stats.snapshotFailures += 1
                    core.pointee.handler.snapshotFailed(instrument, now: now, why: "\(e)")
                }
            }
        }
        snapshotRequests = requests
        return work
    }

    public mutating func finish() {
        supervisor.stop(now: MonotonicClock.now())
        recorder?.close()
        live?.publish(core.pointee.stats)
        report(core.pointee.stats)
    }
}

/// Spins, then yields, counting the rounds it waited (a full ring).
struct CountingWait: WaitStrategy {
    var inner = SpinThenYield(spins: 100)
    var idles = 0
    let whenFull: (() -> Void)?

    mutating func idle(_ lot: ParkingLot, ready: () -> Bool) {
        idles += 1
        if let whenFull {
            whenFull()
            return
        }
        inner.idle(lot, ready: ready)
    }

    mutating func reset() { inner.reset() }
}
