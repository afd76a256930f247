import ArgumentParser
import Foundation
import GantryCore
import GantryEngine

/// `gantry train`: the flow model trained on recorded market data and validated on the held-out part through the
/// backtester; the weights file records whether it passed (a strategy loads only one that did).
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the flow_cnn strategy's model on recordings (gantry record directories), validate it on held-out data through the backtester, and write a versioned weights file.")

    @Option(name: .long, help: "The configuration with the flow_cnn strategy and, optionally, [train].")
    var config: String = "config/trading-demo.toml"

    @Option(name: .long, parsing: .upToNextOption, help: "Recording directories (each with events.bin), oldest first: the last are held out.")
    var data: [String] = []

    @Option(name: .long, parsing: .upToNextOption, help: "Gateway journal directories (gantry run --journal: market events and the chain's flows), oldest first, after any --data.")
    var journal: [String] = []

    @Option(name: .long, help: "The weights file to write; or a directory: a new versioned file in it, and flow-cnn-current.json pointed at it if it passed.")
    var out: String

    @Option(name: .long, help: "The Python with numpy (overrides [train] python).")
    var python: String? = nil

    @Option(name: .long, help: "The training script (overrides [train] script).")
    var script: String? = nil

    func validate() throws {
        guard !data.isEmpty || !journal.isEmpty else { throw ValidationError("--data or --journal: at least one recording or journal directory") }
    }

    func run() throws {
        let toml: String
        do { toml = try String(contentsOfFile: config, encoding: .utf8) } catch { throw ValidationError("cannot read \(config): \(error.localizedDescription)") }
        var training: FlowTrainingConfiguration
        do { training = try FlowTrainingConfiguration(toml: toml) } catch { throw ValidationError("\(config): \(error)") }
        if let python { training.python = python }
        if let script { training.script = script }
        var recordings: [FlowRecording] = []
        for dir in data {
            do { recordings.append(FlowRecording(name: dir, events: Backtester.timeline(try readEvents(dir + "/events.bin")))) } catch {
                throw ValidationError("\(dir)/events.bin: \(error)")
            }
        }
        for dir in journal {
            do {
                let j = try JournalMarket(directory: dir)
                recordings.append(FlowRecording(name: dir, events: j.events, flows: j.flows.sorted { $0.receiveTime < $1.receiveTime }))
            } catch { throw ValidationError("\(dir): \(error)") }
        }
        var isDirectory: ObjCBool = false
        let intoDirectory = FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) && isDirectory.boolValue
        let now = Date()
        let path = intoDirectory ? FlowTrainer.versionedPath(directory: out, now: now) : out
        print("gantry train: \(recordings.reduce(0) { $0 + $1.events.count }) events from \((data + journal).joined(separator: ", ")) → \(path)")
        let outcome: FlowTrainingOutcome
        do { outcome = try FlowTrainer.run(toml: toml, recordings: recordings, out: path, training: training, now: now) { print("  " + $0) } } catch {
            throw ValidationError("\(error)")
        }
        let b = outcome.backtest
        print("  held-out backtest: PnL \(FixedPoint.string(b.pnlCents, scale: 2)), drawdown \(FixedPoint.string(b.maximumDrawdownCents, scale: 2)), orders \(b.orders), fills \(b.fills)")
        for (k, v) in outcome.validation.metrics.sorted(by: { $0.key < $1.key }) { print("    \(k) \(v)") }
        if intoDirectory && outcome.validation.passed {
            do { try FlowTrainer.promote(path, link: out + "/flow-cnn-current.json") } catch { throw ValidationError("\(error)") }
            print("  \(out)/flow-cnn-current.json → \((path as NSString).lastPathComponent)")
        }
        guard outcome.validation.passed else {
            print("  \(path): validation FAILED (kept for the record; no strategy will load it)")
            throw ExitCode(3)
        }
        print("  \(path): validation passed")
    }
}
