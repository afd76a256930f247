import Foundation
import GantryCore
import GantryRing
import Synchronization

@testable import GantryBus

/// A redis-server a test starts itself: loopback, append-only, no RDB snapshots, a directory of its own
/// (on /dev/shm where there is one, so that `appendfsync always` costs no disk flush; what a killed server keeps
/// is what it had written before replying, which does not depend on the disk).
final class RedisServer: @unchecked Sendable {
    // @unchecked Sendable: `pid` is touched only by the test that owns the server, one call at a time.
    let port: Int
    let directory: String
    let fsync: String
    private var pid: Int32?

    init(port: Int, fsync: String = "always") {
        self.port = port
        self.fsync = fsync
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        directory = "\(base)/gantry-bus-test-\(getpid())-\(port)"
        try? FileManager.default.removeItem(atPath: directory)
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Starts the server (on the same directory, so a restart recovers its append-only file) and waits until it
    /// answers. A shell watches this test process and kills the server if the process goes first (a crashed or
    /// interrupted test leaves no redis-server behind). - Throws: if redis-server is missing or does not answer
    /// within `timeout` (a restart reads the whole append-only file first).
    func start(timeout: Nanos = .seconds(5)) throws {
        let args = [
            try Self.redisServerPath(), "--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory, "--appendonly", "yes",
            "--appendfsync", fsync, "--save", "''", "--daemonize", "no", "--logfile", "\(directory)/redis.log",
        ].joined(separator: " ")
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/bin/sh")
        watcher.arguments = [
            "-c",
            "\(args) & r=$!; echo $r > \(directory)/pid; while kill -0 \(getpid()) 2>/dev/null && kill -0 $r 2>/dev/null; do sleep 0.2; done; kill -9 $r 2>/dev/null",
        ]
        // Neither may hold this process's output open (swift test waits for it to close).
        watcher.standardOutput = FileHandle.nullDevice
        watcher.standardError = FileHandle.nullDevice
        try? FileManager.default.removeItem(atPath: "\(directory)/pid")
        try watcher.run()
        let deadline = MonotonicClock.now() + timeout
        while MonotonicClock.now() < deadline {
            if let text = try? String(contentsOfFile: "\(directory)/pid", encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                self.pid = pid
                if (try? command(["PING"])) != nil { return }
            }
            usleep(20_000)
        }
        throw TestFailure("redis-server on port \(port) did not answer within \(timeout.raw / 1_000_000_000) s")
    }

    /// Kills the server with SIGKILL (a crash: it keeps only what it wrote to its append-only file, which it does
    /// before replying) and waits until the port is free.
    func kill() { signal(SIGKILL) }

    /// Freezes the server (SIGSTOP): connections stay open and nothing answers, as with a hung host.
    func freeze() {
        if let pid { Glibc.kill(pid, SIGSTOP) }
    }

    /// Lets a frozen server run again (SIGCONT): it then serves what queued up on its sockets.
    func thaw() {
        if let pid { Glibc.kill(pid, SIGCONT) }
    }

    /// Stops the server (SIGTERM) and removes its directory.
    func remove() {
        signal(SIGTERM)
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func signal(_ number: Int32) {
        guard let pid else { return }
        Glibc.kill(pid, SIGCONT)
        Glibc.kill(pid, number)
        self.pid = nil
        _ = until(seconds: 5) { (try? command(["PING"])) == nil }
        usleep(20_000)
    }

    /// Runs one command on a fresh connection.
    func command(_ arguments: [String]) throws -> String { try redisCommand(port: port, arguments) }

    static func redisServerPath() throws -> String {
        for dir in ["/usr/bin", "/usr/local/bin", "/usr/sbin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/redis-server") {
            return "\(dir)/redis-server"
        }
        throw TestFailure("redis-server is not installed (scripts/install-deps.sh installs it)")
    }
}

/// The redis-server the suites share: the one `make test` starts on GANTRY_REDIS_PORT (6390), or, when none
/// answers there (`swift test` alone), one of this test process's own.
enum SharedRedis {
    static let port: Int = {
        let configured = Int(ProcessInfo.processInfo.environment["GANTRY_REDIS_PORT"] ?? "") ?? 6390
        if (try? redisCommand(port: configured, ["PING"])) != nil { return configured }
        let own = RedisServer(port: testPort(0))
        do {
            try own.start()
        } catch {
            fatalError("GantryBusTests need a redis-server: \(error)")
        }
        ownServer.withLock { $0 = own }
        return own.port
    }()
    static let ownServer = Mutex<RedisServer?>(nil)
}

/// A port for a test's own server, below the kernel's ephemeral range (32768 up), where a client socket of
/// another test could hold it: `slot` (0…5) picks one of six ranges of 2,000, this process's id the port in it.
func testPort(_ slot: Int) -> Int { 20_000 + slot * 2_000 + Int(getpid() % 2_000) }

/// A configuration for a test's own server: quick retries (5 ms doubling to 40 ms), short blocking reads.
func ownConfiguration(port: Int, _ namespace: String, batch: Int) -> BusConfiguration {
    var c = BusConfiguration(host: "127.0.0.1", port: port, namespace: namespace)
    c.batch = batch
    c.block = .milliseconds(5)
    c.backoffInitial = .milliseconds(5)
    c.backoffMaximum = .milliseconds(40)
    return c
}

/// A configuration for the shared server, as `ownConfiguration`, with a namespace (streams) no other test uses.
func sharedConfiguration(_ test: String, batch: Int = 256) -> BusConfiguration {
    ownConfiguration(port: SharedRedis.port, "test-\(test)-\(UInt32.random(in: 0...UInt32.max))", batch: batch)
}

/// Runs one command and describes its reply (integers and strings as text, arrays as `[a, b]`, nil as `nil`).
func redisCommand(port: Int, _ arguments: [String]) throws -> String {
    let connection = try RedisConnection(host: "127.0.0.1", port: port, connectTimeout: .milliseconds(200), commandTimeout: .seconds(5))
    var w = RESPWriter()
    w.command(arguments: arguments.count)
    for a in arguments { w.bulk(Array(a.utf8)) }
    let reply = try connection.run(w, name: arguments.first ?? "")
    return describe(reply.root)
}

func describe(_ r: ReplyView) -> String {
    if r.isNil { return "nil" }
    if r.isInteger { return "\(r.integer)" }
    if r.isArray { return "[" + (0..<r.count).map { describe(r[$0]) }.joined(separator: ", ") + "]" }
    return r.text
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A market event numbered `n` (its sequence), every field different from its neighbours'.
func marketEvent(_ n: UInt64) -> MarketEvent {
    MarketEvent(
        kind: .levelChange, side: n & 1 == 0 ? .buy : .sell, venue: VenueId(raw: UInt8(truncatingIfNeeded: n % 5 + 1)),
        instrument: InstrumentId(raw: UInt32(truncatingIfNeeded: n % 7 + 1)), flags: n % 3 == 0 ? .endOfMessage : [], sequence: n,
        price: Price(raw: 6_500_000 + Int64(n & 1023)), quantity: Quantity(raw: Int64(n & 4095) + 1), price2: Price(raw: -Int64(n)),
        quantity2: Quantity(raw: Int64(n) << 20), exchangeTime: Nanos(raw: 1_700_000_000_000_000_000 + Int64(n)),
        receiveTime: MonotonicClock.now())
}

/// Publishes market events `range` (sequence = number) on `producer`'s ring. - Returns: how many found it full.
func offer(_ range: ClosedRange<UInt64>, to producer: inout RingProducer<MarketEvent>) -> Int {
    var refused = 0
    for n in range where !producer.tryPublish(marketEvent(n)) { refused += 1 }
    return refused
}

/// Polls `body` until it returns true or `seconds` pass, sleeping 100 µs between polls that did nothing.
func until(seconds: Double = 10, _ body: () -> Bool) -> Bool {
    let deadline = MonotonicClock.now() + Nanos(raw: Int64(seconds * 1e9))
    while MonotonicClock.now() < deadline {
        if body() { return true }
        usleep(100)
    }
    return body()
}

/// Takes everything waiting on `consumer`.
func drain<E: BitwiseCopyable>(_ consumer: inout RingConsumer<E>, into out: inout [E]) -> Int {
    consumer.poll(upTo: 1 << 20) { out.append(contentsOf: $0) }
}
