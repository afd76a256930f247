// The synthetic pipeline of `gantry demo`: a paced producer of synthetic book events, a signal stage, and
// two sinks on a broadcast ring, each on a pinned runner, measuring every hop. Later issues replace the
// producer with venue feeds and the sinks with risk, journal and paper trading.
//
//   [feed] ─ring A (SPSC)─► [signal] ─ring B (broadcast ×2)─► [journal sink] [paper sink]
//      └──────────── reports (one SPSC ring per stage) ────────────► main thread (prints)

import GantryCore
import GantryLoop
import GantryRing
import Histogram

/// One stage's numbers for the last interval and since the start, sent to the main thread once a second.
struct StageReport: BitwiseCopyable {
    /// When the report was made (monotonic): rates are computed between two reports' times.
    var at = MonotonicClock.now()
    var stage: UInt8
    var final: Bool
    var events: Int  // since start
    var gaps: Int  // sequence gaps seen (must stay 0)
    var backPressure: Int  // times the next ring was full
    var lag: Int  // events waiting in the ring this stage reads
    var p50: UInt64, p99: UInt64, p999: UInt64  // this interval, ns
    var totalP50: UInt64, totalP99: UInt64, totalP999: UInt64, totalMax: UInt64  // since start, ns
}

/// Keeps an interval and a cumulative latency histogram.
struct LatencyRecorder {
    var interval = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    var total = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)

    mutating func record(_ nanos: Int64) {
        let v = UInt64(max(1, nanos))
        _ = interval.record(v)
        _ = total.record(v)
    }

    mutating func fill(_ r: inout StageReport) {
        r.p50 = interval.valueAtPercentile(50)
        r.p99 = interval.valueAtPercentile(99)
        r.p999 = interval.valueAtPercentile(99.9)
        r.totalP50 = total.valueAtPercentile(50)
        r.totalP99 = total.valueAtPercentile(99)
        r.totalP999 = total.valueAtPercentile(99.9)
        r.totalMax = total.max
        interval.reset()
    }
}

/// Publishes synthetic level changes at a fixed rate: a random walk per instrument, fixed-point throughout.
struct SyntheticFeedStage: Stage, ~Copyable {
    var out: RingProducer<MarketEvent>
    var reports: RingProducer<StageReport>
    let ratePerSecond: Int64
    let start = MonotonicClock.now()
    var published: Int64 = 0
    var lastPublish = MonotonicClock.now()
    var backPressure = 0
    var rng: UInt64 = 0x2545_F491_4F6C_DD1D
    var mids: (Int64, Int64, Int64, Int64) = (9_712_345, 9_712_300, 345_678, 345_650)  // price scale 2

    init(out: consuming RingProducer<MarketEvent>, reports: consuming RingProducer<StageReport>, ratePerSecond: Int64) {
        self.out = out
        self.reports = reports
        self.ratePerSecond = ratePerSecond
    }

    mutating func poll() -> Int {
        let now = MonotonicClock.now()
        let due = (now - start).raw / 1_000 * ratePerSecond / 1_000_000 - published
        // Events arrive in bursts, as packets do: publish once 32 are due (or 50 µs passed), so that a feed
        // sharing its core leaves gaps for the runner beside it.
        guard due >= 32 || (due > 0 && (now - lastPublish).raw >= 50_000) else { return 0 }
        lastPublish = now
        let slots = out.claim(upTo: Int(min(due, 256)))
        if slots.count < Int(min(due, 256)) { backPressure += 1 }
        guard !slots.isEmpty else { return 0 }
        for i in 0..<slots.count {
            rng ^= rng << 13
            rng ^= rng >> 7
            rng ^= rng << 17
            let instrument = Int(rng & 3)
            let step = Int64(rng >> 60) - 7  // −7…+8 ticks
            let side: Side = rng & 0x10 == 0 ? .buy : .sell
            var mid: Int64 = 0
            withUnsafeMutableBytes(of: &mids) { m in
                let p = m.baseAddress!.assumingMemoryBound(to: Int64.self) + instrument
                p.pointee = max(100, p.pointee + step)
                mid = p.pointee
            }
            let level = Int64((rng >> 20) & 7) + 1
            slots[i] = MarketEvent(
                kind: .levelChange, side: side, venue: VenueId(raw: UInt8(instrument / 2 + 1)),
                instrument: InstrumentId(raw: UInt32(instrument + 1)), flags: .endOfMessage,
                sequence: UInt64(published) + UInt64(i), price: Price(raw: side == .buy ? mid - level : mid + level),
                quantity: Quantity(raw: Int64((rng >> 32) & 0xFFFFF)), receiveTime: MonotonicClock.now())
        }
        out.commit(slots.count)
        published += Int64(slots.count)
        return slots.count
    }

    mutating func report(final: Bool) {
        let r = StageReport(
            stage: 0, final: final, events: Int(published), gaps: 0, backPressure: backPressure, lag: out.slowestLag,
            p50: 0, p99: 0, p999: 0, totalP50: 0, totalP99: 0, totalP999: 0, totalMax: 0)
        _ = reports.tryPublish(r)
    }
}

/// Reads ring A, measures the hop, keeps a fixed-point moving average of each instrument's prices and
/// counts crossings (a stand-in for a strategy), and forwards every event to ring B.
struct SignalStage: Stage, ~Copyable {
    var input: RingConsumer<MarketEvent>
    var out: RingProducer<MarketEvent>
    var reports: RingProducer<StageReport>
    var latency = LatencyRecorder()
    var events = 0
    var gaps = 0
    var backPressure = 0
    var nextSequence: UInt64 = 0
    var averages: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
    var crossings = 0

    init(input: consuming RingConsumer<MarketEvent>, out: consuming RingProducer<MarketEvent>, reports: consuming RingProducer<StageReport>) {
        self.input = input
        self.out = out
        self.reports = reports
    }

    mutating func poll() -> Int {
        let batch = input.peek(upTo: 256)
        guard !batch.isEmpty else { return 0 }
        let slots = out.claim(upTo: batch.count)
        guard !slots.isEmpty else {
            backPressure += 1
            return 0
        }
        let now = MonotonicClock.now()
        for i in 0..<slots.count {
            let e = batch[i]
            latency.record((now - e.receiveTime).raw)
            if e.sequence != nextSequence { gaps += 1 }
            nextSequence = e.sequence + 1
            let k = Int(e.instrument.raw - 1) & 3
            withUnsafeMutableBytes(of: &averages) { a in
                let p = a.baseAddress!.assumingMemoryBound(to: Int64.self) + k
                let before = p.pointee
                p.pointee = before == 0 ? e.price.raw : before + (e.price.raw - before) / 16
                if (before < e.price.raw) != (p.pointee < e.price.raw) { crossings += 1 }
            }
            slots[i] = e
        }
        out.commit(slots.count)
        input.release(slots.count)
        events += slots.count
        return slots.count
    }

    mutating func report(final: Bool) {
        var r = StageReport(
            stage: 1, final: final, events: events, gaps: gaps, backPressure: backPressure, lag: input.lag,
            p50: 0, p99: 0, p999: 0, totalP50: 0, totalP99: 0, totalP999: 0, totalMax: 0)
        latency.fill(&r)
        _ = reports.tryPublish(r)
    }
}

/// One consumer of ring B: checks that every sequence arrives once and in order, and measures feed-to-sink.
struct SinkStage: Stage, ~Copyable {
    var input: RingConsumer<MarketEvent>
    var reports: RingProducer<StageReport>
    let id: UInt8
    var latency = LatencyRecorder()
    var events = 0
    var gaps = 0
    var nextSequence: UInt64 = 0
    var notional = Notional(raw: 0)

    init(id: UInt8, input: consuming RingConsumer<MarketEvent>, reports: consuming RingProducer<StageReport>) {
        self.id = id
        self.input = input
        self.reports = reports
    }

    mutating func poll() -> Int {
        let now = MonotonicClock.now()
        var seen = 0
        _ = input.poll(upTo: 512) { batch in
            for e in batch {
                latency.record((now - e.receiveTime).raw)
                if e.sequence != nextSequence { gaps += 1 }
                nextSequence = e.sequence + 1
                notional = notional + Notional(e.price, e.quantity)
            }
            seen += batch.count
        }
        events += seen
        return seen
    }

    mutating func report(final: Bool) {
        var r = StageReport(
            stage: id, final: final, events: events, gaps: gaps, backPressure: 0, lag: input.lag,
            p50: 0, p99: 0, p999: 0, totalP50: 0, totalP99: 0, totalP999: 0, totalMax: 0)
        latency.fill(&r)
        _ = reports.tryPublish(r)
    }
}

/// A stage that reports once a second through its runner's timer, and a last time when it is destroyed.
protocol Reporting: Stage, ~Copyable {
    mutating func report(final: Bool)
}

extension SyntheticFeedStage: Reporting {}
extension SignalStage: Reporting {}
extension SinkStage: Reporting {}

/// Wraps a reporting stage: the runner's 1 s timer sets a flag; the next poll sends the report. The timer
/// callback cannot reach the stage itself (the runner owns it), so the flag is the hand-off.
struct Reported<S: Reporting & ~Copyable>: Stage, ~Copyable {
    var stage: S
    let tick: TickFlag

    init(_ stage: consuming S, context: RunnerContext) {
        self.stage = stage
        let tick = TickFlag()
        self.tick = tick
        context.every(.seconds(1)) { tick.raised = true }
    }

    mutating func poll() -> Int {
        if tick.raised {
            tick.raised = false
            stage.report(final: false)
        }
        return stage.poll()
    }

    mutating func finish() { stage.report(final: true) }
}

/// A flag set by a timer callback and read by the stage polls of the same runner thread.
final class TickFlag {
    var raised = false
}
