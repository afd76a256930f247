import GantryCore
import GantryExecution
import GantryRing
import Histogram

/// One triggering message's times, from its `messageTimes` event: the kernel's receive and the publish on the ring.
struct TickTimes: BitwiseCopyable {
    var receive: Nanos
    var published: Nanos
}

/// An approved order not yet written: its triggering message's times and the stage times its decision carries.
struct PendingOrder: BitwiseCopyable {
    var id = ClientOrderId(raw: 0)
    var times = TickTimes(receive: .zero, published: .zero)
    /// The signal stage's poll that emitted the intent started (`OrderIntent.createdTime`).
    var signalled = Nanos.zero
    /// The risk stage's poll that approved it started (`RiskDecision.decidedTime`).
    var decided = Nanos.zero
}

/// What the tap counted.
struct TapCounts: Sendable {
    /// `messageTimes` events seen (every venue message), and those received after the warm-up.
    var messages = 0
    var measuredMessages = 0
    /// Messages the trigger rule picked, decisions on their intents, approvals, vetoes (the last veto's reason).
    var triggers = 0
    var decisions = 0
    var approved = 0
    var vetoed = 0
    var lastVeto: RiskReason? = nil
    /// Orders written, and those whose message came after the warm-up (the ones in the histograms).
    var written = 0
    var measured = 0
    /// Triggers with no decision (the strategy did not emit: no live book yet), decisions whose trigger was not
    /// found, writes whose approval was not found, triggers dropped for a full queue.
    var triggersWithoutIntent = 0
    var unmatchedDecisions = 0
    var unmatchedWrites = 0
    var overflow = 0
}

/// The latency histograms, ns (hdrhistogram, 3 significant digits).
struct TickHistograms: Sendable {
    static func make() -> Histogram<UInt64> { Histogram(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three) }
    /// Kernel receive → the triggering message's events on the ring.
    var ingest = make()
    /// The ring → the order's bytes written: signal, risk, route, encode, sign, write.
    var trading = make()
    /// Kernel receive → the order's bytes written.
    var whole = make()
    /// The trading part split at the stages' poll starts: ring → the signal stage's poll (the rest of the ingest
    /// poll's messages, on a fused runner), → the risk stage's poll (the signal poll: mirror, strategy, intent), →
    /// the order-send stage's poll (the risk poll: its mirror, the check), → written (order-send: the order
    /// connection's read, the order's encode, HMAC signature, WebSocket frame, TLS record and socket write).
    var toSignal = make()
    var toRisk = make()
    var toSend = make()
    var toWritten = make()
    /// An order-send poll that found nothing to do (a fixed cost every tick pays once: the order connection's read
    /// and the session's timeout scan).
    var idleSend = make()
}

/// The benchmark's own reader, polled on the fused runner after order-send: it finds the triggering messages on the
/// market ring (their receive and publish times), pairs each with its risk decision (by the intent's trigger time,
/// the message's receive time) and each approval with its write stamp (by client order id), and records the
/// latencies of the ticks received after the warm-up. Fixed storage: no allocation per tick.
struct TickTap: ~Copyable {
    var market: RingConsumer<MarketEvent>
    var decisions: RingConsumer<RiskDecision>
    let every: Int64
    /// Ticks received before this are paired but not recorded (the connections open, caches warm).
    let measureFrom: Nanos
    // SAFETY: both buffers are allocated in init, freed in deinit, and used only by this (non-copyable) tap.
    /// Triggers without a decision yet, oldest first: a ring of `mask + 1`.
    let triggers: UnsafeMutablePointer<TickTimes>
    var head = 0
    var tail = 0
    /// Approvals not yet written, by client order sequence (mod `mask + 1`).
    let pending: UnsafeMutablePointer<PendingOrder>
    let mask = 4_095
    var counts = TapCounts()
    var histograms = TickHistograms()

    init(market: consuming RingConsumer<MarketEvent>, decisions: consuming RingConsumer<RiskDecision>, every: Int64, measureFrom: Nanos) {
        self.market = market
        self.decisions = decisions
        self.every = every
        self.measureFrom = measureFrom
        triggers = .allocate(capacity: mask + 1)
        pending = .allocate(capacity: mask + 1)
        pending.initialize(repeating: PendingOrder(), count: mask + 1)
    }

    deinit {
        triggers.deallocate()
        pending.deallocate()
    }

    /// Takes every event the ring holds for this tap; keeps the triggering messages' times.
    mutating func takeMarket() -> Int {
        market.poll(upTo: 1 << 16) { events in
            for e in events where e.kind == .messageTimes {
                counts.messages += 1
                if e.receiveTime >= measureFrom { counts.measuredMessages += 1 }
                guard EveryNthMessage.triggers(exchangeTime: e.exchangeTime, every: every) else { continue }
                counts.triggers += 1
                guard tail - head <= mask else {
                    counts.overflow += 1
                    continue
                }
                triggers[tail & mask] = TickTimes(receive: e.receiveTime, published: e.publishedTime)
                tail += 1
            }
        }
    }

    /// Pairs each new decision with its trigger (decisions come in trigger order; a trigger without an intent is
    /// skipped and counted).
    mutating func takeDecisions() -> Int {
        decisions.poll(upTo: 1_024) { batch in
            for d in batch {
                counts.decisions += 1
                var found: TickTimes? = nil
                while head < tail {
                    let t = triggers[head & mask]
                    head += 1
                    if t.receive == d.intent.triggerTime {
                        found = t
                        break
                    }
                    counts.triggersWithoutIntent += 1
                }
                guard let times = found else {
                    counts.unmatchedDecisions += 1
                    continue
                }
                guard d.reason == .approved else {
                    counts.vetoed += 1
                    counts.lastVeto = d.reason
                    continue
                }
                counts.approved += 1
                pending[Int(d.clientOrderId.sequence) & mask] = PendingOrder(
                    id: d.clientOrderId, times: times, signalled: d.intent.createdTime, decided: d.decidedTime)
            }
        }
    }

    /// An order's bytes were written (by the order-send poll that started at `sendPoll`): its tick is complete.
    mutating func written(_ stamp: OrderWriteStamp, sendPoll: Nanos) {
        let slot = Int(stamp.clientOrderId.sequence) & mask
        guard pending[slot].id == stamp.clientOrderId else {
            counts.unmatchedWrites += 1
            return
        }
        let p = pending[slot]
        pending[slot].id = ClientOrderId(raw: 0)
        counts.written += 1
        guard p.times.receive >= measureFrom, p.times.receive <= p.times.published, p.times.published <= stamp.writtenAt else { return }
        counts.measured += 1
        func ns(_ from: Nanos, _ to: Nanos) -> UInt64 { UInt64(max(0, (to - from).raw)) }
        histograms.ingest.record(ns(p.times.receive, p.times.published))
        histograms.trading.record(ns(p.times.published, stamp.writtenAt))
        histograms.whole.record(ns(p.times.receive, stamp.writtenAt))
        histograms.toSignal.record(ns(p.times.published, p.signalled))
        histograms.toRisk.record(ns(p.signalled, p.decided))
        histograms.toSend.record(ns(p.decided, sendPoll))
        histograms.toWritten.record(ns(sendPoll, stamp.writtenAt))
    }
}
