// gantry-bus-bench: the Redis Streams bus against a redis-server of its own (append-only, fsync every second,
// loopback), beside redis-benchmark's pipelined XADD on the same server in the same run. Report only.
//
//   redis-benchmark  XADD of a 64-byte value with MAXLEN ~, pipelined 64 deep: one connection (the bus
//                    publisher's shape) and 50 connections (the server's ceiling)
//   publish          --events market events through a ring into the BusPublisher on a runner: events/s until Redis
//                    confirmed the last
//   consume          the same entries read back by one BusConsumer on a runner into a ring: events/s
//   hop              publisher and consumer running together at --rate events/s for --seconds: the one-way time
//                    from the event's publish on the ring to its arrival on the consumer's ring, p50/p99/p99.9
//
//   gantry-bus-bench [--events N] [--rate R] [--seconds S] [--port P] [--batch B] [--dir DIR]
//   (--dir: where redis-server keeps its append-only file, the system's temporary directory by default; /dev/shm
//   takes the disk out of the figures)
import Foundation
import GantryBus
import GantryCore
import GantryLoop
import GantryRing
import Histogram

func fail(_ why: String) -> Never {
    FileHandle.standardError.write(Data("gantry-bus-bench: \(why)\n".utf8))
    exit(2)
}

func event(_ n: Int, at time: Nanos) -> MarketEvent {
    MarketEvent(
        kind: .levelChange, side: n & 1 == 0 ? .buy : .sell, venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), sequence: UInt64(n),
        price: Price(raw: 6_500_000 + Int64(n & 1023)), quantity: Quantity(raw: Int64(n & 4095) + 1), receiveTime: time)
}

/// The bench's own redis-server: killed at exit.
final class Server {
    let port: Int
    let directory: String
    let process = Process()

    init(port: Int, parent: String) {
        self.port = port
        directory = parent + "/gantry-bus-bench-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = [
            "--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory, "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
            "--logfile", "\(directory)/redis.log",
        ]
        do { try process.run() } catch { fail("cannot start redis-server (make deps installs it): \(error)") }
        for _ in 0..<100 {
            if ping() { return }
            usleep(50_000)
        }
        fail("redis-server did not answer on port \(port)")
    }

    func ping() -> Bool { run("/usr/bin/redis-cli", ["-p", "\(port)", "ping"]).contains("PONG") }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Runs a program and returns its standard output.
func run(_ path: String, _ arguments: [String]) -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return "" }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// redis-benchmark's XADD rate (requests/s) with `clients` connections, 64 deep pipelines.
func redisBenchmark(port: Int, events: Int, clients: Int) -> Double {
    let payload = String(repeating: "x", count: 64)
    let out = run(
        "/usr/bin/redis-benchmark",
        ["-p", "\(port)", "-c", "\(clients)", "-P", "64", "-n", "\(events)", "-q", "XADD", "gantry:bench:rb\(clients)", "MAXLEN", "~", "1000000", "*", "p", "1", "s", "1", "d", payload])
    // "XADD …: 412345.67 requests per second, p50=…" (the last report line).
    guard let line = out.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).last(where: { $0.contains("requests per second") }),
        let colon = line.range(of: ": ", options: .backwards),
        let rate = Double(line[colon.upperBound...].prefix { $0 != " " })
    else { fail("cannot read redis-benchmark's output: \(out.suffix(300))") }
    return rate
}

/// Publishes `events` market events through a ring into a BusPublisher on a runner. - Returns: events/s.
func publishPhase(_ c: BusConfiguration, events: Int) -> Double {
    let ring: Ring<MarketEvent>
    do { ring = try Ring<MarketEvent>.spsc(capacity: 1 << 16) } catch { fail("\(error)") }
    let board = BusStatsBoard(BusPublisherStats())
    let input: Handoff<RingConsumer<MarketEvent>>
    var producer: RingProducer<MarketEvent>
    do {
        input = Handoff(try ring.takeConsumer())
        producer = try ring.takeProducer()
    } catch { fail("\(error)") }
    let runner: Runner
    do {
        runner = try Runner(RunnerSpec(name: "bus-publish", cpu: nil, mode: .adaptiveShared)) { context in
            var p = BusPublisher(configuration: c, context: context, board: board)
            p.attach(input.take()!)
            return p
        }
    } catch { fail("runner: \(error)") }
    producer.attach(doorbell: runner.doorbell)
    let start = MonotonicClock.now()
    var n = 0
    while n < events {
        let slots = producer.claim(upTo: min(4_096, events - n))
        if slots.isEmpty {
            usleep(20)
            continue
        }
        for k in 0..<slots.count { slots[k] = event(n + k, at: start) }
        producer.commit(slots.count)
        n += slots.count
    }
    while board.stats.confirmed < events { usleep(100) }
    let seconds = Double((MonotonicClock.now() - start).raw) / 1e9
    runner.stop()
    return Double(events) / seconds
}

/// Reads `events` entries back with one BusConsumer on a runner. - Returns: events/s.
func consumePhase(_ c: BusConfiguration, events: Int) -> Double {
    let ring: Ring<MarketEvent>
    do { ring = try Ring<MarketEvent>.spsc(capacity: 1 << 16) } catch { fail("\(error)") }
    let output: Handoff<RingProducer<MarketEvent>>
    var reader: RingConsumer<MarketEvent>
    do {
        output = Handoff(try ring.takeProducer())
        reader = try ring.takeConsumer()
    } catch { fail("\(error)") }
    let start = MonotonicClock.now()
    let runner: Runner
    do {
        runner = try Runner(RunnerSpec(name: "bus-consume", cpu: nil, mode: .adaptiveShared)) { context in
            BusConsumer<MarketEvent>(configuration: c, name: "bench", output: output.take()!, context: context)
        }
    } catch { fail("runner: \(error)") }
    var n = 0
    while n < events {
        let got = reader.poll(upTo: 8_192) { _ in }
        n += got
        if got == 0 { usleep(50) }
    }
    let seconds = Double((MonotonicClock.now() - start).raw) / 1e9
    runner.stop()
    return Double(events) / seconds
}

/// Publisher and consumer together at `rate` events/s: the publish → consume hop of each event, ns.
func hopPhase(_ c: BusConfiguration, rate: Int, seconds: Int) -> (Histogram<UInt64>, sent: Int, received: Int) {
    var hop = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    let inRing: Ring<MarketEvent>
    let outRing: Ring<MarketEvent>
    do {
        inRing = try Ring<MarketEvent>.spsc(capacity: 1 << 16)
        outRing = try Ring<MarketEvent>.spsc(capacity: 1 << 16)
    } catch { fail("\(error)") }
    let input: Handoff<RingConsumer<MarketEvent>>
    let output: Handoff<RingProducer<MarketEvent>>
    var producer: RingProducer<MarketEvent>
    var reader: RingConsumer<MarketEvent>
    do {
        input = Handoff(try inRing.takeConsumer())
        output = Handoff(try outRing.takeProducer())
        producer = try inRing.takeProducer()
        reader = try outRing.takeConsumer()
    } catch { fail("\(error)") }
    let publisher: Runner
    let consumer: Runner
    do {
        consumer = try Runner(RunnerSpec(name: "bus-consume", cpu: nil, mode: .adaptiveShared)) { context in
            BusConsumer<MarketEvent>(configuration: c, name: "hop", output: output.take()!, context: context)
        }
        publisher = try Runner(RunnerSpec(name: "bus-publish", cpu: nil, mode: .adaptiveShared)) { context in
            var p = BusPublisher(configuration: c, context: context)
            p.attach(input.take()!)
            return p
        }
    } catch { fail("runner: \(error)") }
    producer.attach(doorbell: publisher.doorbell)
    usleep(200_000)  // both connected, the group made
    let start = MonotonicClock.now()
    let end = start + .seconds(Int64(seconds))
    var sent = 0
    var received = 0
    var now = start
    while now < end {
        let due = Int(Double((now - start).raw) * Double(rate) / 1e9) - sent
        if due > 0 {
            let slots = producer.claim(upTo: min(due, 64))
            let stamp = MonotonicClock.now()
            for k in 0..<slots.count { slots[k] = event(sent + k, at: stamp) }
            producer.commit(slots.count)
            sent += slots.count
        }
        let got = reader.poll(upTo: 4_096) { batch in
            let t = MonotonicClock.now()
            for e in batch { hop.record(UInt64(max(0, (t - e.receiveTime).raw))) }
        }
        received += got
        if got == 0 && due <= 0 { usleep(20) }
        now = MonotonicClock.now()
    }
    let drain = MonotonicClock.now() + .seconds(2)
    while received < sent && MonotonicClock.now() < drain {
        let got = reader.poll(upTo: 4_096) { batch in
            let t = MonotonicClock.now()
            for e in batch { hop.record(UInt64(max(0, (t - e.receiveTime).raw))) }
        }
        received += got
        if got == 0 { usleep(50) }
    }
    publisher.stop()
    consumer.stop()
    return (hop, sent, received)
}

func main() {
    var options: [String: String] = [:]
    var rest = CommandLine.arguments.dropFirst()
    while let a = rest.popFirst() {
        guard a.hasPrefix("--"), let v = rest.popFirst() else {
            fail("usage: gantry-bus-bench [--events N] [--rate R] [--seconds S] [--port P] [--batch B] [--dir DIR]")
        }
        options[String(a.dropFirst(2))] = v
    }
    func int(_ key: String, _ fallback: Int) -> Int {
        guard let v = options[key] else { return fallback }
        guard let n = Int(v), n > 0 else { fail("--\(key) wants a positive number, got \(v)") }
        return n
    }
    let events = int("events", 1_000_000)
    let rate = int("rate", 20_000)
    let seconds = int("seconds", 3)
    let server = Server(port: int("port", 6391), parent: options["dir"] ?? NSTemporaryDirectory())
    defer { server.stop() }
    var c = BusConfiguration(host: "127.0.0.1", port: server.port, namespace: "bench")
    c.batch = int("batch", 512)
    c.maxLength = max(events, 1_000_000)
    c.overflow = .wait
    c.block = .milliseconds(10)

    let single = redisBenchmark(port: server.port, events: events, clients: 1)
    let many = redisBenchmark(port: server.port, events: events, clients: 50)
    let published = publishPhase(c, events: events)
    let consumed = consumePhase(c, events: events)
    var hopConfiguration = c
    hopConfiguration.namespace = "bench-hop"
    let (hop, sent, received) = hopPhase(hopConfiguration, rate: rate, seconds: seconds)

    func us(_ ns: UInt64) -> String { String(Double(ns / 100) / 10) }
    func k(_ x: Double) -> String { "\(Int(x / 1_000)) k/s" }
    let fields: [(String, String)] = [
        ("bench", "\"bus\""), ("events", "\(events)"), ("batch", "\(c.batch)"), ("redis_benchmark_xadd_c1_p64_per_s", "\(Int(single))"),
        ("redis_benchmark_xadd_c50_p64_per_s", "\(Int(many))"), ("publish_per_s", "\(Int(published))"), ("consume_per_s", "\(Int(consumed))"),
        ("publish_vs_redis_benchmark_c1", String(format: "%.2f", published / single)), ("hop_rate", "\(rate)"), ("hop_sent", "\(sent)"),
        ("hop_received", "\(received)"), ("hop_p50_us", us(hop.valueAtPercentile(50))), ("hop_p99_us", us(hop.valueAtPercentile(99))),
        ("hop_p999_us", us(hop.valueAtPercentile(99.9))), ("hop_max_us", us(hop.max)),
    ]
    print("{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
    print("Redis Streams bus on loopback, redis-server \(server.port) (append-only in \(server.directory), fsync every second), 64-byte market events:")
    print("  redis-benchmark XADD, pipelines of 64: 1 connection \(k(single)), 50 connections \(k(many))")
    print("  publish: \(events) events ring → BusPublisher → Redis confirmed: \(k(published)) (\(String(format: "%.2f", published / single))× redis-benchmark on one connection)")
    print("  consume: \(events) entries XREADGROUP → BusConsumer → ring, acknowledged: \(k(consumed))")
    print("  hop publish → consume at \(rate)/s for \(seconds) s (\(received) of \(sent) arrived): p50 \(us(hop.valueAtPercentile(50))) µs, p99 \(us(hop.valueAtPercentile(99))) µs, p99.9 \(us(hop.valueAtPercentile(99.9))) µs, max \(us(hop.max)) µs")
    if received < sent { fail("\(sent - received) events did not arrive") }
}

main()
