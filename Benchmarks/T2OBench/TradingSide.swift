import GantryCore
import GantryEngine
import GantryExecution
import GantryLoop
import GantryNet
import GantryRing
import GantryRisk
import Histogram
import Synchronization

/// What the fused runner reports when it stops (on its thread), for the main thread to print.
struct T2OResults: Sendable {
    var histograms: TickHistograms
    var counts: TapCounts
    /// Allocations on the runner's thread by `Phase`, from the end of the warm-up to the stop; nil when the malloc
    /// interposer is not in effect.
    var mallocs: [Int]?
    var session: OrderSessionStats?
    var droppedStamps: Int
    var orderSend: OrderSendStats
    var risk: RiskStats
    var signal: SignalStats
}

/// Where the runner leaves its figures: written once by each stage's `finish`, read after the runner has stopped.
final class Report: Sendable {
    let ingest = Mutex<IngestStats?>(nil)
    let trading = Mutex<T2OResults?>(nil)
    /// For the main thread's progress check while the run goes on.
    let messages = Atomic<Int>(0)
    let written = Atomic<Int>(0)
}

/// The trading stages on the fused runner, polled in pipeline order after the ingest stage, then the tap. A class so
/// that the ingest stage's ring-full hook can run them too (the ring's readers are on the same thread: without that,
/// a ring filled during a stall could never drain). Used only on the runner's thread.
final class TradingSide {
    // @exclusivity(unchecked): only the runner's thread touches these, one at a time in `poll` (the ring-full hook
    // runs it from inside the ingest stage's publish, which touches none of them); the dynamic check would cost a
    // runtime call on every access in the measured path.
    @exclusivity(unchecked) var signal: SignalStage<EveryNthMessage, MonotonicClock>
    @exclusivity(unchecked) var risk: RiskStage<MonotonicClock>
    @exclusivity(unchecked) var send: OrderSendStage<MonotonicClock>
    @exclusivity(unchecked) var tap: TickTap
    let report: Report
    let countMallocs: Bool
    var counting = false

    init(
        signal: consuming SignalStage<EveryNthMessage, MonotonicClock>, risk: consuming RiskStage<MonotonicClock>,
        send: consuming OrderSendStage<MonotonicClock>, tap: consuming TickTap, report: Report, countMallocs: Bool
    ) {
        self.signal = signal
        self.risk = risk
        self.send = send
        self.tap = tap
        self.report = report
        self.countMallocs = countMallocs
    }

    /// signal → risk → order-send, then the tap. Allocations are counted by phase once the warm-up is over.
    func poll() -> Int {
        if countMallocs && !counting && MonotonicClock.now() >= tap.measureFrom {
            counting = true
            MallocTally.start()
        }
        MallocTally.enter(.signal)
        var work = signal.poll()
        MallocTally.enter(.risk)
        work &+= risk.poll()
        MallocTally.enter(.orderSend)
        let sendPoll = MonotonicClock.now()
        let sent = send.poll()
        if sent == 0 { tap.histograms.idleSend.record(UInt64(max(0, (MonotonicClock.now() - sendPoll).raw))) }
        work &+= sent
        MallocTally.enter(.tap)
        let seen = tap.counts.messages, written = tap.counts.written
        work &+= tap.takeMarket()
        work &+= tap.takeDecisions()
        send.binance!.takeWriteStamps { tap.written($0, sendPoll: sendPoll) }
        if tap.counts.messages != seen { report.messages.store(tap.counts.messages, ordering: .relaxed) }
        if tap.counts.written != written { report.written.store(tap.counts.written, ordering: .relaxed) }
        MallocTally.enter(.runner)
        return work
    }

    func finish() {
        let mallocs: [Int]? = counting ? MallocTally.snapshot() : nil
        signal.finish()
        risk.finish()
        send.finish()
        let results = T2OResults(
            histograms: tap.histograms, counts: tap.counts, mallocs: mallocs, session: send.binance?.stats,
            droppedStamps: send.binance?.droppedWriteStamps ?? 0, orderSend: send.stats, risk: risk.stats, signal: signal.stats)
        report.trading.withLock { $0 = results }
    }
}

/// The fused runner's stage: the ingest stage (TLS WebSocket → Bybit decoder → book sync → ring), then the trading
/// side. Stops the allocation count first when the runner stops.
struct TickToOrder: Stage, ~Copyable {
    var ingest: IngestStage<BybitFeed, RingProducer<ConnectionEvent>>
    let side: TradingSide

    mutating func poll() -> Int {
        MallocTally.enter(.ingest)
        let work = ingest.poll()
        return work &+ side.poll()
    }

    mutating func finish() {
        MallocTally.stop()
        ingest.finish()
        side.finish()
    }
}
