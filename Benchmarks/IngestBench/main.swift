// gantry-ingest-bench: ingest latency, from the kernel's receive timestamp of a venue message to its events
// on the broadcast ring, at a fixed message rate over loopback TLS. A paced Bybit-speaking venue
// (BenchSupport/PacedFeedServer) runs on one CPU; Gantry's ingest stage (supervisor → TLS WebSocket → Bybit
// decoder → book sync → ring) and a ring consumer run fused on a runner on the other. p99.9 above 10 ms fails
// the run (exit 1) outright; the target is p99 under 20 µs. Prints one JSON line and a table.
//
//   gantry-ingest-bench --pki DIR [--rate 100000] [--seconds 5] [--mode busy|adaptive]
import BenchSupport
import GantryCore
import GantryEngine
import GantryLoop
import GantryNet
import GantryRing
import Histogram
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

func fail(_ why: String) -> Never { benchFail("gantry-ingest-bench", why) }

/// The inline consumer: takes the events off the ring on the ingest runner itself, after each ingest poll and
/// whenever the stage finds the ring full. `@unchecked Sendable`: it is created by the runner's setup closure
/// and used only on that runner's thread (by the `Drain` stage and the stage's ring-full hook).
final class InlineConsumer: @unchecked Sendable {
    var consumer: RingConsumer<MarketEvent>
    let seen: Seen
    let sendTimes: SendTimes
    var fromSend = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    /// From each message's `messageTimes` event: kernel receive → decoded and applied, decoded → published.
    var decoded = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    var published = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)

    init(_ consumer: consuming RingConsumer<MarketEvent>, seen: Seen, sendTimes: SendTimes) {
        self.consumer = consumer
        self.seen = seen
        self.sendTimes = sendTimes
    }

    func drain() -> Int {
        let now = MonotonicClock.now()
        var n = 0
        let sendTimes = self.sendTimes
        // Recorded where the histogram lives: a local copy of it was copied whole (its counts array shared,
        // then written) on every drain, about 10 µs each, in the path being measured.
        let work = consumer.poll(upTo: 1 << 16) { events in
            n += events.count
            for e in events where e.flags.contains(.endOfMessage) {
                if e.kind == .messageTimes && e.receiveTime.raw > 0 {
                    if e.receiveTime <= e.decodedTime && e.decodedTime <= e.publishedTime {
                        self.decoded.record(UInt64((e.decodedTime - e.receiveTime).raw))
                        self.published.record(UInt64((e.publishedTime - e.decodedTime).raw))
                    } else {
                        self.seen.disordered.add(1, ordering: .relaxed)
                    }
                }
                guard e.sequence > sendTimes.first else { continue }
                let sentAt = sendTimes.times[Int(e.sequence - sendTimes.first - 1)]
                if sentAt > 0 && now.raw > sentAt { self.fromSend.record(UInt64(now.raw - sentAt)) }
            }
        }
        if n > 0 { seen.events.add(n, ordering: .relaxed) }
        return work
    }
}

/// Polls the inline consumer after each ingest poll (nothing with `--consumer thread`).
struct Drain: Stage, ~Copyable {
    let inline: InlineConsumer?

    mutating func poll() -> Int { inline?.drain() ?? 0 }

    mutating func finish() {
        guard let inline else { return }
        let h = inline.fromSend, d = inline.decoded, p = inline.published
        print("  venue send() returned → consumed: p50 \(h.valueAtPercentile(50)) ns  p99 \(h.valueAtPercentile(99)) ns  p99.9 \(h.valueAtPercentile(99.9)) ns")
        print("  the events' own stamps (messageTimes, \(d.totalCount) messages): kernel receive → decoded p50 \(d.valueAtPercentile(50)) ns  p99 \(d.valueAtPercentile(99)) ns; decoded → published p50 \(p.valueAtPercentile(50)) ns  p99 \(p.valueAtPercentile(99)) ns")
    }
}

/// Events taken off the ring by the inline consumer.
final class Seen: Sendable {
    let events = Atomic<Int>(0)
    /// `messageTimes` events whose times are out of order (receive ≤ decoded ≤ published must hold).
    let disordered = Atomic<Int>(0)
}

/// The venue's send time of each delta, for the inline consumer's venue-send → consumed figure (a check on
/// the kernel timestamps). Written by the venue thread before it sends, read by the ingest thread after the
/// message arrived: the socket orders the two.
final class SendTimes: @unchecked Sendable {
    let times: UnsafeMutablePointer<Int64>
    let first: UInt64
    init(count: Int, firstUpdateId: UInt64) {
        times = .allocate(capacity: count)
        times.initialize(repeating: 0, count: count)
        first = firstUpdateId
    }
}

final class Report: Sendable {
    let stats = Mutex<IngestStats?>(nil)
}

func main() {
    let options = BenchOptions(
        tool: "gantry-ingest-bench", usage: "usage: gantry-ingest-bench --pki DIR [--rate N] [--seconds S] [--mode busy|adaptive]")
    guard let pki = options["pki"] else { fail("--pki DIR (scripts/bench-pki.sh makes one) is required: the feed is TLS") }
    let rate = options.int("rate", 100_000)
    let seconds = options.int("seconds", 5)
    let mode: RunnerMode = options["mode"] == "adaptive" ? .adaptiveDefault : .busyPoll
    // inline (the default): the consumer runs on the ingest runner, after each poll and whenever the ring is
    // full (two busy threads on two CPUs); thread: this process's main thread consumes, parking on the ring's
    // futex when idle (a third thread, which on a 2-CPU machine takes turns with a busy-polling one).
    let inline = options["consumer"] != "thread"
    // --enforce yes: p99.9 above 10 ms fails the run (make bench, make bench-ingest); without it the figure is
    // reported (make bench-ci: these VMs stall a vCPU for up to ~100 ms now and then, see the README).
    let enforce = options["enforce"] == "yes"
    // --transport plain: the same over plain TCP, to see TLS's share.
    let plain = options["transport"] == "plain"
    let count = rate * seconds
    let cpus = ThreadAffinity.current()
    let clientCPU = cpus.first ?? 0
    let serverCPU = cpus.count > 1 ? cpus[1] : clientCPU

    let messages = BybitFeedMessages(count: count)
    let tls: BenchTLS
    do { tls = try BenchTLS(pki: pki) } catch { fail("TLS: \(error)") }
    let serverTLS = tls.server, clientTLS = tls.client

    let seen = Seen()
    let sendTimes = SendTimes(count: count, firstUpdateId: messages.firstUpdateId)
    let ring: Ring<MarketEvent>
    do { ring = try Ring<MarketEvent>.broadcast(capacity: 1 << 16, consumers: 1, wakeMode: .futex) } catch { fail("\(error)") }
    let port = Mutex<Int?>(nil)
    let server: Runner
    do {
        // The venue busy-polls its CPU, sending each message when it is due. On loopback the kernel's receive
        // processing of what it sends runs on that CPU too, inside its send() after the receive timestamp is
        // taken; so the figures below include the kernel's loopback path. (Yielding the CPU when nothing is due
        // was tried, for softirqs deferred to ksoftirqd: it changed nothing measurable.)
        server = try Runner(RunnerSpec(name: "venue", cpu: serverCPU, mode: .busyPoll)) { context in
            guard let s = try? PacedFeedServer(
                tls: plain ? nil : serverTLS, messages: messages, rate: rate, context: context, sendTimes: sendTimes.times) else { fatalError("cannot listen") }
            port.withLock { $0 = s.port }
            return s
        }
    } catch { fail("\(error)") }
    while port.withLock({ $0 }) == nil { usleep(1_000) }
    let venuePort = port.withLock { $0! }

    let report = Report()
    let states: Ring<ConnectionEvent>
    do { states = try Ring<ConnectionEvent>.spsc(capacity: 1_024) } catch { fail("\(error)") }
    let client: Runner
    do {
        client = try Runner(RunnerSpec(name: "ingest", cpu: clientCPU, mode: mode)) { context in
            let feed = BybitFeed(
                venue: VenueId(raw: 5), instruments: [FeedInstrument(symbol: "BTCUSDT", instrument: InstrumentId(raw: 1), priceScale: 2, quantityScale: 3)],
                depth: 200)
            let supervisor = WebSocketSupervisor(
                endpoint: WebSocketEndpoint(address: "127.0.0.1", port: venuePort, host: "localhost", path: "/v5/public/spot", tls: plain ? nil : clientTLS),
                venue: VenueId(raw: 5), index: 0, subscriptions: feed.subscriptions, sink: try! states.takeProducer(),
                backoff: Backoff(initial: .milliseconds(50), maximum: .seconds(1), seed: 1), now: MonotonicClock.now())
            // In adaptive mode the runner parks between messages; a 100 µs timer bounds how long it sleeps
            // (the connection's socket is not registered with the loop).
            if case .adaptive = mode { context.every(.microseconds(100)) {} }
            let consumer = inline ? InlineConsumer(try! ring.takeConsumer(0), seen: seen, sendTimes: sendTimes) : nil
            let ingest = IngestStage(
                supervisor: supervisor, handler: feed, producer: try! ring.takeProducer(),
                whenRingFull: consumer.map { c in { _ = c.drain() } }
            ) { stats in
                report.stats.withLock { $0 = stats }
            }
            return FusedStages(ingest, Drain(inline: consumer))
        }
    } catch { fail("\(error)") }

    // With `--consumer thread` this thread is the pipeline's next stage: it takes the events off the ring,
    // parking on the ring's futex when idle (so that it does not take a CPU from the venue or the ingest
    // runner). The run is over when the expected time has passed and no event has come for a quarter second.
    var consumer: RingConsumer<MarketEvent>? = nil
    if !inline {
        do { consumer = try ring.takeConsumer(0) } catch { fail("\(error)") }
    }
    var blocking = Blocking(spins: 100, yields: 10, parkNanos: 5_000_000)
    let lot = ring.consumerParkingLot
    let start = MonotonicClock.now()
    var lastEvent = start
    var lastSeen = 0
    while true {
        var n = 0
        if !inline {
            n = consumer!.poll(upTo: 4_096) { seen.events.add($0.count, ordering: .relaxed) }
        } else {
            usleep(50_000)
            let total = seen.events.load(ordering: .relaxed)
            n = total - lastSeen
            lastSeen = total
        }
        let now = MonotonicClock.now()
        if n > 0 {
            lastEvent = now
            blocking.reset()
            continue
        }
        if now > start + .seconds(Int64(seconds)) && seen.events.load(ordering: .relaxed) > 0 && now - lastEvent > .milliseconds(250) { break }
        // Watchdog: no event for 10 s (a stuck stage) fails the run without waiting on the stuck threads.
        if now - lastEvent > .seconds(10) {
            print("FAIL: no event on the ring for 10 s (\(seen.events.load(ordering: .relaxed)) events so far)")
            exit(1)
        }
        if !inline { blocking.idle(lot) { false } }
    }
    client.stop()
    server.stop()
    guard let stats = report.stats.withLock({ $0 }) else { fail("the ingest stage did not report") }
    let h = stats.latency
    func us(_ ns: UInt64) -> String { "\((Double(ns) / 10).rounded() / 100)" }
    let w = stats.processing
    let p50 = h.valueAtPercentile(50), p99 = h.valueAtPercentile(99), p999 = h.valueAtPercentile(99.9), maxv = h.max
    print(
        "{\"bench\":\"ingest\",\"venue\":\"bybit\",\"transport\":\"\(plain ? "plain" : "tls")\",\"rate\":\(rate),\"mode\":\"\(mode)\","
            + "\"messages\":\(stats.messages),\"applied\":\(stats.applied),\"malformed\":\(stats.malformed),\"resyncs\":\(stats.resyncs),"
            + "\"events\":\(stats.events),\"ring_stalls\":\(stats.ringStalls),\"p50_ns\":\(p50),\"p99_ns\":\(p99),\"p999_ns\":\(p999),"
            + "\"max_ns\":\(maxv),\"stage_p50_ns\":\(w.valueAtPercentile(50)),\"stage_p99_ns\":\(w.valueAtPercentile(99)),\"stage_p999_ns\":\(w.valueAtPercentile(99.9)),\"client_cpu\":\(clientCPU),\"server_cpu\":\(serverCPU),\"mean_message_bytes\":\(Int(messages.meanSize))}")
    print("ingest latency, kernel receive → events on the ring, Bybit deltas over loopback \(plain ? "TCP" : "TLS") at \(rate) msgs/s (\(mode), CPU \(clientCPU); venue CPU \(serverCPU))")
    print("  messages \(stats.messages) (applied \(stats.applied), malformed \(stats.malformed), resyncs \(stats.resyncs)), events \(stats.events)")
    let q = stats.pickup
    print("  of which the stage's own work (decode, book, events on the ring): p50 \(us(w.valueAtPercentile(50))) µs   p99 \(us(w.valueAtPercentile(99))) µs   p99.9 \(us(w.valueAtPercentile(99.9))) µs")
    print("  and kernel receive → decode starts (loopback, TLS, WebSocket, messages ahead in the same read): p50 \(us(q.valueAtPercentile(50))) µs   p99 \(us(q.valueAtPercentile(99))) µs   p99.9 \(us(q.valueAtPercentile(99.9))) µs")
    print("  p50 \(us(p50)) µs   p99 \(us(p99)) µs   p99.9 \(us(p999)) µs   max \(us(maxv)) µs   (target p99 < 20 µs; p99.9 > 10 ms fails)")
    let expected = count + 2  // the deltas, the snapshot and the subscribe reply
    if stats.messages != expected || stats.applied != count + 1 || stats.malformed != 0 || stats.resyncs != 0 {
        print("FAIL: expected \(expected) messages, \(count + 1) applied, no malformed or resync")
        exit(1)
    }
    if seen.disordered.load(ordering: .relaxed) > 0 {
        print("FAIL: \(seen.disordered.load(ordering: .relaxed)) messageTimes events with receive > decoded or decoded > published")
        exit(1)
    }
    if p999 > 10_000_000 {
        if enforce {
            print("FAIL: p99.9 \(us(p999)) µs is above the 10 ms ingest ceiling")
            exit(1)
        }
        print("NOTE: p99.9 \(us(p999)) µs is above the 10 ms ingest ceiling (not enforced without --enforce)")
    }
    exit(0)
}

main()
