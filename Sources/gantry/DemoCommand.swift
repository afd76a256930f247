import ArgumentParser
import GantryCore
import GantryLoop
import GantryRing
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT/SIGTERM: the demo stops early and still prints its summary.
let demoInterrupted = Atomic<Bool>(false)

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a synthetic pipeline through rings between pinned runners and show throughput and hop latency.")

    @Option(name: .long, help: "How long to run, in seconds.")
    var seconds: Int = 10

    @Option(name: .long, help: "Synthetic book events per second.")
    var rate: Int = 1_000_000

    @Option(name: .long, help: "Ring capacity (a power of two).")
    var capacity: Int = 1 << 14

    func validate() throws {
        guard seconds > 0 && seconds <= 3_600 else { throw ValidationError("--seconds must be 1...3600") }
        guard rate > 0 && rate <= 50_000_000 else { throw ValidationError("--rate must be 1...50000000") }
        guard capacity >= 256 && capacity & (capacity - 1) == 0 else {
            throw ValidationError("--capacity must be a power of two ≥ 256")
        }
    }

    func run() throws {
        let summary = try runDemo(seconds: seconds, rate: rate, capacity: capacity)
        print(summary.text)
        if !summary.lossless { throw ExitCode(1) }
    }
}

struct DemoSummary {
    var text: String
    var lossless: Bool
}

/// Builds the pipeline, prints a line a second, stops every runner and summarises. Not in main.swift:
/// runner threads are our own pthreads and must not inherit main-actor isolation.
func runDemo(seconds: Int, rate: Int, capacity: Int) throws -> DemoSummary {
    let machine = Machine.current()
    let first = machine.cpus.first ?? 0
    let last = machine.cpus.last ?? 0
    let busy = machine.isolatedCPUs.count >= 3
    // Without three isolated CPUs the runners wait adaptively; feed and sinks share a CPU, so they yield early.
    let mode: RunnerMode = busy ? .busyPoll : .adaptiveDefault
    let isolated = machine.cpus.filter { machine.isolatedCPUs.contains($0) }
    let feedCPU = busy ? isolated[0] : first
    let signalCPU = busy ? isolated[1] : last
    let sinkCPU = busy ? isolated[2] : first
    let node = { (cpu: Int) in machine.nodeOfCPU[cpu] ?? 0 }

    print("gantry demo: synthetic book events at \(rate)/s for \(seconds) s on \(machine.cpus.count) CPU(s), \(machine.nodeCount) NUMA node(s)")
    print("  feed   → cpu \(feedCPU)  \(busy ? mode : (feedCPU == sinkCPU ? .adaptiveShared : mode))")
    print("  signal → cpu \(signalCPU)  \(mode)   (ring A: SPSC, \(capacity) slots on node \(node(signalCPU)))")
    print("  sinks  → cpu \(sinkCPU)  \(busy ? mode : (feedCPU == sinkCPU ? .adaptiveShared : mode))   (ring B: broadcast to journal + paper, \(capacity) slots on node \(node(sinkCPU)))")

    let wake: RingWakeMode = .none  // runners park in libuv and are woken by their doorbell (eventfd)
    let ringA = try Ring<MarketEvent>.spsc(capacity: capacity, wakeMode: wake, memory: .anonymous(numaNode: node(signalCPU)))
    let ringB = try Ring<MarketEvent>.broadcast(capacity: capacity, consumers: 2, wakeMode: wake, memory: .anonymous(numaNode: node(sinkCPU)))
    let reportRings = try (0..<4).map { _ in try Ring<StageReport>.spsc(capacity: 64) }
    var r0 = try reportRings[0].takeConsumer()
    var r1 = try reportRings[1].takeConsumer()
    var r2 = try reportRings[2].takeConsumer()
    var r3 = try reportRings[3].takeConsumer()

    // Consumers' runners start first, so that producers can ring their doorbells.
    let sinkInputs = (Handoff(try ringB.takeConsumer(0)), Handoff(try ringB.takeConsumer(1)))
    let sinkReports = (Handoff(try reportRings[2].takeProducer()), Handoff(try reportRings[3].takeProducer()))
    let sharedMode: RunnerMode = busy ? .busyPoll : (feedCPU == sinkCPU ? .adaptiveShared : .adaptiveDefault)
    let sinks = try Runner(RunnerSpec(name: "sinks", cpu: sinkCPU, mode: sharedMode)) { context in
        FusedStages(
            Reported(SinkStage(id: 2, input: sinkInputs.0.take()!, reports: sinkReports.0.take()!), context: context),
            Reported(SinkStage(id: 3, input: sinkInputs.1.take()!, reports: sinkReports.1.take()!), context: context))
    }
    var toSinks = try ringB.takeProducer()
    toSinks.attach(doorbell: sinks.doorbell)
    let signalIO = (Handoff(try ringA.takeConsumer()), Handoff(toSinks), Handoff(try reportRings[1].takeProducer()))
    let signal = try Runner(RunnerSpec(name: "signal", cpu: signalCPU, mode: mode)) { context in
        Reported(SignalStage(input: signalIO.0.take()!, out: signalIO.1.take()!, reports: signalIO.2.take()!), context: context)
    }
    var toSignal = try ringA.takeProducer()
    toSignal.attach(doorbell: signal.doorbell)
    let feedIO = (Handoff(toSignal), Handoff(try reportRings[0].takeProducer()))
    let feed = try Runner(RunnerSpec(name: "feed", cpu: feedCPU, mode: sharedMode)) { context in
        context.every(.milliseconds(1)) {}  // the pacing tick: wakes a parked feed runner
        return Reported(SyntheticFeedStage(out: feedIO.0.take()!, reports: feedIO.1.take()!, ratePerSecond: Int64(rate)), context: context)
    }

    signal_(SIGINT) { _ in demoInterrupted.store(true, ordering: .relaxed) }
    signal_(SIGTERM) { _ in demoInterrupted.store(true, ordering: .relaxed) }

    var latest = [StageReport?](repeating: nil, count: 4)
    func drain() {
        while let r = r0.tryConsume() { latest[0] = r }
        while let r = r1.tryConsume() { latest[1] = r }
        while let r = r2.tryConsume() { latest[2] = r }
        while let r = r3.tryConsume() { latest[3] = r }
    }
    let started = MonotonicClock.now()
    var previous = [(events: Int, at: Nanos, rate: Int)](repeating: (0, started, 0), count: 4)
    /// Events per second of one stage between its previous report and `r` (the last rate if `r` is not new).
    func perSecond(_ r: StageReport, _ i: Int) -> Int {
        let span = (r.at - previous[i].at).raw
        guard span > 0 else { return previous[i].rate }
        let value = Int(Double(r.events - previous[i].events) * 1e9 / Double(span))
        previous[i] = (r.events, r.at, value)
        return value
    }
    var elapsed = 0
    while elapsed < seconds && !demoInterrupted.load(ordering: .relaxed) {
        var request = timespec(tv_sec: 1, tv_nsec: 0)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && !demoInterrupted.load(ordering: .relaxed) { request = remaining }
        elapsed += 1
        drain()
        guard let f = latest[0], let s = latest[1], let j = latest[2], let p = latest[3] else { continue }
        let rates = [perSecond(f, 0), perSecond(s, 1), perSecond(j, 2)]
        print(
            "t=\(pad(String(elapsed), 3))s  feed \(rateText(rates[0]))  signal \(rateText(rates[1]))  sinks \(rateText(rates[2]))"
                + "  hop feed→signal p50 \(ns(s.p50)) p99 \(ns(s.p99)) p99.9 \(ns(s.p999))"
                + "  feed→sink p50 \(ns(j.p50)) p99 \(ns(j.p99))  lag \(s.lag)/\(j.lag)/\(p.lag)  parks \(signal.stats.parks)")
    }
    let wall = MonotonicClock.now() - started
    // Stop producers first, so that consumers drain everything that was published.
    feed.stop()
    let drainDeadline = MonotonicClock.now() + .seconds(5)
    while (ringB.region.consumed(by: 0) < ringA.region.published || ringB.region.consumed(by: 1) < ringA.region.published)
        && MonotonicClock.now() < drainDeadline
    {
        sched_yield()
    }
    signal.stop()
    sinks.stop()
    drain()
    let published = ringA.region.published
    guard let f = latest[0], let s = latest[1], let j = latest[2], let p = latest[3] else {
        return DemoSummary(text: "no reports received", lossless: false)
    }
    let lossless = f.events == published && s.events == published && j.events == published && p.events == published
        && s.gaps == 0 && j.gaps == 0 && p.gaps == 0
    var lines = ["", "summary (\(String(format1(Double(wall.raw) / 1e9))) s):"]
    lines.append("  events published \(f.events), signal \(s.events), journal sink \(j.events), paper sink \(p.events)")
    lines.append("  sequence gaps: signal \(s.gaps), journal \(j.gaps), paper \(p.gaps); back-pressure: feed \(f.backPressure), signal \(s.backPressure)")
    lines.append("  throughput: \(rateText(Int(Double(f.events) / (Double(wall.raw) / 1e9))))")
    lines.append("  hop feed→signal  p50 \(ns(s.totalP50))  p99 \(ns(s.totalP99))  p99.9 \(ns(s.totalP999))  max \(ns(s.totalMax))")
    lines.append("  feed→journal     p50 \(ns(j.totalP50))  p99 \(ns(j.totalP99))  p99.9 \(ns(j.totalP999))  max \(ns(j.totalMax))")
    lines.append("  feed→paper       p50 \(ns(p.totalP50))  p99 \(ns(p.totalP99))  p99.9 \(ns(p.totalP999))  max \(ns(p.totalMax))")
    lines.append("  runner parks: feed \(feed.stats.parks), signal \(signal.stats.parks), sinks \(sinks.stats.parks)")
    lines.append(lossless ? "  no event lost, duplicated or reordered" : "  EVENTS LOST OR REORDERED")
    return DemoSummary(text: lines.joined(separator: "\n"), lossless: lossless)
}

private func signal_(_ sig: Int32, _ handler: @convention(c) (Int32) -> Void) { _ = signal(sig, handler) }

func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }

func rateText(_ perSecond: Int) -> String {
    perSecond >= 1_000_000 ? "\(format2(Double(perSecond) / 1e6))M/s" : "\(format1(Double(perSecond) / 1e3))k/s"
}

func ns(_ v: UInt64) -> String {
    v >= 1_000_000 ? "\(format2(Double(v) / 1e6))ms" : v >= 1_000 ? "\(format1(Double(v) / 1e3))µs" : "\(v)ns"
}

func format1(_ x: Double) -> String { String(Double(Int((x * 10).rounded())) / 10) }
func format2(_ x: Double) -> String { String(Double(Int((x * 100).rounded())) / 100) }
