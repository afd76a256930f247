import ArgumentParser
import Foundation
import GantryCore
import GantryLoop
import GantryNet
import Synchronization
import VenueSim

/// Set by SIGINT/SIGTERM: the simulator stops and prints what it did.
let simInterrupted = Atomic<Bool>(false)

struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gantry-venue-sim",
        abstract: "Run simulated exchanges on loopback ports, each speaking one real venue's protocol, with a matching engine and scripted faults.")

    @Option(name: .long, help: "The simulator's TOML configuration (markets, venues, faults).")
    var config: String

    @Option(name: .long, help: "Stop after this many seconds (0: run until interrupted).")
    var seconds: Int = 0

    @Option(name: .long, help: "Record every WebSocket message sent and received to this file (one tab-separated line each).")
    var record: String?

    @Option(name: .long, help: "Serve wss:// with this certificate (PEM); needs --key.")
    var certificate: String?

    @Option(name: .long, help: "The certificate's private key (PEM).")
    var key: String?

    @Option(name: .long, help: "The CPU to run on (default: the machine's last).")
    var cpu: Int?

    func validate() throws {
        guard seconds >= 0 else { throw ValidationError("--seconds must be ≥ 0") }
        guard (certificate == nil) == (key == nil) else { throw ValidationError("--certificate and --key go together") }
    }

    func run() throws {
        let text: String
        do {
            text = try String(contentsOfFile: config, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(config): \(error.localizedDescription)")
        }
        let configuration: SimConfiguration
        do {
            configuration = try SimConfiguration(toml: text)
        } catch {
            throw ValidationError("\(error)")
        }
        var tls: TLSContext? = nil
        if let certificate, let key { tls = try TLSContext(serverCertificate: certificate, key: key) }
        try runSimulator(configuration, tls: tls, seconds: seconds, record: record, cpu: cpu)
    }
}

/// Runs the simulator on a runner until the time is up or a signal arrives. Not in main.swift: the runner's
/// thread must not inherit main-actor isolation.
func runSimulator(_ configuration: SimConfiguration, tls: TLSContext?, seconds: Int, record: String?, cpu: Int?) throws {
    let machine = Machine.current()
    let where_ = cpu ?? machine.cpus.last ?? 0
    let shared = SimShared()
    let output: FileHandle?
    if let record {
        guard FileManager.default.createFile(atPath: record, contents: nil), let handle = FileHandle(forWritingAtPath: record) else {
            throw ValidationError("cannot create \(record)")
        }
        output = handle
    } else {
        output = nil
    }
    let sendableOutput = UncheckedBox(output)
    let runner = try Runner(RunnerSpec(name: "venue-sim", cpu: where_, mode: .adaptiveShared)) { context in
        context.every(.milliseconds(1)) {}  // the step clock: wakes a parked runner
        do {
            let sim = try configuration.makeSimulator(tls: tls)
            if let out = sendableOutput.value {
                sim.record { r in out.write(Data((r.line + "\n").utf8)) }
            }
            for v in sim.venues {
                print("  \(v.name) (\(v.kind.rawValue)): ws://\(configuration.host):\(v.port)\(v.restPort.map { "  REST http://\(configuration.host):\($0)" } ?? "")  \(v.books.map(\.instrument.symbol).joined(separator: ", "))")
            }
            for c in sim.chains {
                print("  \(c.name) (ethereum JSON-RPC): ws://\(configuration.host):\(c.port)  block \(c.chain.head.number), \(c.chain.parameters.exchanges.count) exchange address(es)")
            }
            shared.ready.store(true, ordering: .releasing)
            return SimulatorStage(sim: sim, shared: shared)
        } catch {
            shared.failure.withLock { $0 = "\(error)" }
            shared.ready.store(true, ordering: .releasing)
            return SimulatorStage(sim: nil, shared: shared)
        }
    }
    while !shared.ready.load(ordering: .acquiring) { usleep(1_000) }
    if let why = shared.failure.withLock({ $0 }) {
        runner.stop()
        throw ValidationError("cannot start the simulator: \(why)")
    }
    print("gantry-venue-sim: \(configuration.venues.count) venue(s), \(configuration.stepsPerSecond) steps/s, seed \(configuration.seed), \(configuration.faults.count) scripted fault(s), cpu \(where_)")
    fflush(nil)
    signal(SIGINT) { _ in simInterrupted.store(true, ordering: .relaxed) }
    signal(SIGTERM) { _ in simInterrupted.store(true, ordering: .relaxed) }
    let started = MonotonicClock.now()
    while !simInterrupted.load(ordering: .relaxed) && (seconds == 0 || MonotonicClock.now() - started < .seconds(Int64(seconds))) {
        usleep(50_000)
    }
    runner.stop()
    try? output?.close()
    for line in shared.summary.withLock({ $0 }) { print(line) }
}

/// The simulator as a runner's stage.
struct SimulatorStage: Stage {
    let sim: VenueSimulator?
    let shared: SimShared

    mutating func poll() -> Int { sim?.poll() ?? 0 }

    mutating func finish() {
        guard let sim else { return }
        var lines = ["gantry-venue-sim: \(sim.steps) steps"]
        for v in sim.venues {
            let s = v.stats
            let faults = v.faults.applied.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }
            lines.append(
                "  \(v.name): \(s.connections) connection(s), \(s.bookMessages) book messages (\(s.bytes / 1_024) KiB), \(s.requests) requests, \(s.restRequests) REST, faults: \(faults.isEmpty ? "none" : faults.joined(separator: ", "))")
        }
        for c in sim.chains {
            let s = c.stats
            lines.append("  \(c.name): \(s.blocks) blocks (\(s.reorgs) reorgs), \(s.connections) connection(s), \(s.requests) requests, \(s.notifications) notifications")
        }
        shared.summary.withLock { $0 = lines }
    }
}

/// What the runner's thread tells the main thread: that it started (or why not), and its closing summary.
final class SimShared: Sendable {
    let ready = Atomic<Bool>(false)
    let failure = Mutex<String?>(nil)
    let summary = Mutex<[String]>([])
}

/// A value handed to the runner's thread once, before it starts, and used only there.
/// SAFETY: @unchecked Sendable because the main thread never touches the value after handing it over.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
