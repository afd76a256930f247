import Foundation
import GantryBook
import GantryCore
import GantryStrategy

/// One recording's market events (a `gantry record` directory's events.bin on one timeline; later a journal
/// export's), named for the record.
public struct FlowRecording: Sendable {
    public var name: String
    public var events: [MarketEvent]
    /// The configured chain's flow events over the same time (a journal's; none in a `gantry record` directory).
    public var flows: [FlowEvent]
    public init(name: String, events: [MarketEvent], flows: [FlowEvent] = []) {
        self.name = name
        self.events = events
        self.flows = flows
    }
}

/// What a training run did.
public struct FlowTrainingOutcome: Sendable {
    /// The weights file written (its validation recorded in it).
    public var path: String
    public var validation: FlowModelFile.Validation
    public var trainRows: Int
    public var heldOutRows: Int
    /// How the data was split, in words.
    public var split: String
    /// The strategy alone on the held-out events with the new model.
    public var backtest: StrategyBacktest
}

/// Why a training run stopped before recording a validation.
public enum FlowTrainingError: Error, CustomStringConvertible {
    case configuration(ConfigurationError)
    case data(String)
    case script(String)
    case model(FlowModelError)
    case backtest(String)

    public var description: String {
        switch self {
        case .configuration(let e): "configuration: \(e)"
        case .data(let s): "data: \(s)"
        case .script(let s): "training script: \(s)"
        case .model(let e): "\(e)"
        case .backtest(let s): "held-out backtest: \(s)"
        }
    }
}

/// `gantry train`: builds the training set from recorded market events, splits off the held-out part (the last
/// recordings, or the last part of a single one), trains with `Tools/train_flow_cnn.py`, then validates the model
/// on the held-out part (directional accuracy of its signals, and the strategy's PnL after fees in a backtest
/// through the gateway's own stages) against the configured gate, and records the result in the weights file.
public enum FlowTrainer {
    /// - Parameters:
    ///   - toml: The gateway's configuration (with the `flow_cnn` strategy and, optionally, `[train]`).
    ///   - out: Where the weights file goes (replaced if present).
    ///   - log: Progress lines.
    /// - Throws: `FlowTrainingError`; a model that trains but fails the gate is not an error (its file says so).
    public static func run(
        toml: String, recordings: [FlowRecording], out: String, training: FlowTrainingConfiguration, now: Date = Date(), log: (String) -> Void = { _ in }
    ) throws(FlowTrainingError) -> FlowTrainingOutcome {
        let shape = FlowModelFile.Shape(channels: FlowFeatureRow.channels, window: training.window, filters: training.filters, kernel: training.kernel)
        let layout: TradingConfiguration
        do throws(ConfigurationError) { layout = try TradingConfiguration(toml: toml, flowModels: .given(.zero(shape: shape))) } catch { throw .configuration(error) }
        let flows = layout.strategies.compactMap { e -> (String, FlowCNNStrategy.Parameters)? in
            if case .flowCNN(let p) = e.spec, training.strategy == nil || training.strategy == e.name { return (e.name, p) }
            return nil
        }
        guard flows.count == 1, let (name, p) = flows.first else {
            throw .data(training.strategy.map { "no flow_cnn strategy named \($0)" } ?? "\(flows.count) flow_cnn strategies: name one in [train] strategy")
        }
        let (train, heldOut, split) = try Self.split(recordings.filter { !$0.events.isEmpty }, percent: training.heldOutPercent, universe: layout.universe)
        log("split: \(split)")
        func dataset(_ parts: [FlowRecording]) -> FlowDatasetBuilder {
            var b = FlowDatasetBuilder(universe: layout.universe, pair: p.pair, sampleInterval: p.sampleInterval, maximumBookAge: p.maximumBookAge, horizon: training.horizon)
            let scaling = layout.chains.first?.scaling
            for r in parts {
                let inputs = scaling.map { s in
                    r.flows.map { f in
                        FlowInput(
                            time: f.receiveTime, exchangeIndex: Int(f.exchange), inflow: s.scaled(f.inflow, token: Int(f.token)),
                            outflow: s.scaled(f.outflow, token: Int(f.token)))
                    }
                } ?? []
                b.add(events: r.events, flows: inputs)
            }
            return b
        }
        let trainSet = dataset(train)
        let heldSet = dataset([heldOut])
        let flowCount = recordings.reduce(0) { $0 + $1.flows.count }
        if flowCount > 0 {
            let moved = trainSet.samples.filter { $0.row.netInflow != 0 || $0.row.outflow != 0 }.count
            log("flows: \(flowCount) on-chain flow events; \(moved) of \(trainSet.samples.count) training samples saw a flow")
        }
        log("samples: \(trainSet.samples.count) for training, \(heldSet.samples.count) held out (every \(p.sampleInterval.raw / 1_000_000) ms)")

        // Train.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-train-\(getpid())-\(UInt64(now.timeIntervalSince1970 * 1e6))")
        do { try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true) } catch { throw .data("cannot create \(scratch.path): \(error)") }
        defer { try? FileManager.default.removeItem(at: scratch) }  // scratch files only: nothing lost if it stays
        let csv = scratch.appendingPathComponent("train.csv").path
        do { try FlowDatasetBuilder.csv(trainSet.samples).write(toFile: csv, atomically: true, encoding: .utf8) } catch { throw .data("cannot write \(csv): \(error)") }
        let description = recordings.map { "\($0.name) (\($0.events.count) events)" }.joined(separator: ", ") + "; \(split)"
        let horizonMs = Int(training.horizon.raw / 1_000_000)
        let label = "horizon \(horizonMs) ms = \(trainSet.horizonSamples) samples of \(p.sampleInterval.raw / 1_000_000) ms"
        let output = try runScript(training, [
            "train", "--csv", csv, "--out", out, "--window", "\(training.window)", "--filters", "\(training.filters)", "--kernel", "\(training.kernel)",
            "--epochs", "\(training.epochs)", "--lr", training.learningRate, "--seed", "\(training.seed)", "--horizon-ms", "\(horizonMs)",
            "--sample-ms", "\(p.sampleInterval.raw / 1_000_000)", "--data", description, "--label", label,
        ], scratch: scratch)
        log(output.trimmingCharacters(in: .whitespacesAndNewlines))

        // Validate on the held-out part.
        let candidate: FlowModel
        do throws(FlowModelError) { candidate = try FlowModel.loadCandidate(out) } catch { throw .model(error) }
        let accuracy = Self.accuracy(candidate, heldSet.samples, threshold: p.threshold)
        let configuration: TradingConfiguration
        do throws(ConfigurationError) { configuration = try TradingConfiguration(toml: toml, flowModels: .given(candidate)) } catch { throw .configuration(error) }
        let result: BacktestResult
        do { result = try Backtester.run(configuration.only(strategy: name)!, events: heldOut.events, flows: heldOut.flows, seed: training.seed) } catch {
            throw .backtest("\(error)")
        }
        let b = result.strategies[0]
        let accuracyHundredths = accuracy.signals == 0 ? 0 : Int64(accuracy.correct * 10_000 / accuracy.signals)
        var why: [String] = []
        if accuracy.signals == 0 { why.append("no held-out signal") }
        if accuracyHundredths < training.minimumAccuracyHundredthsPercent {
            why.append("accuracy \(FixedPoint.string(accuracyHundredths, scale: 2))% < \(FixedPoint.string(training.minimumAccuracyHundredthsPercent, scale: 2))%")
        }
        if b.pnlCents < training.minimumPnLCents {
            why.append("PnL \(FixedPoint.string(b.pnlCents, scale: 2)) < \(FixedPoint.string(training.minimumPnLCents, scale: 2))")
        }
        let validation = FlowModelFile.Validation(
            passed: why.isEmpty, when: now.formatted(.iso8601),
            metrics: [
                "directional_accuracy_pct": Double(accuracyHundredths) / 100, "signals": Double(accuracy.signals), "windows": Double(accuracy.windows),
                "sign_accuracy_all_pct": accuracy.windows == 0 ? 0 : Double(accuracy.agreeing * 10_000 / accuracy.windows) / 100,
                "pnl_after_fees": Double(b.pnlCents) / 100, "max_drawdown": Double(b.maximumDrawdownCents) / 100, "orders": Double(b.orders),
                "fills": Double(b.fills), "held_out_events": Double(heldOut.events.count), "held_out_rows": Double(heldSet.samples.count),
            ],
            gate: [
                "min_directional_accuracy_pct": Double(training.minimumAccuracyHundredthsPercent) / 100, "min_pnl_after_fees": Double(training.minimumPnLCents) / 100,
            ],
            note: why.isEmpty ? "passed on \(heldOut.name)" : "failed on \(heldOut.name): " + why.joined(separator: "; "))
        var file = candidate.file
        file.validation = validation
        do throws(FlowModelError) { try file.write(out) } catch { throw .model(error) }
        log("validation: \(validation.passed ? "passed" : "FAILED"): \(validation.note)")
        return FlowTrainingOutcome(path: out, validation: validation, trainRows: trainSet.samples.count, heldOutRows: heldSet.samples.count, split: split, backtest: b)
    }

    /// A new file name in `directory` for a model trained at `now`: `flow-cnn-20261207T020423Z.json` (UTC), with
    /// `-2`, `-3`… when taken. Earlier models stay beside it.
    public static func versionedPath(directory: String, now: Date) -> String {
        let stamp = now.formatted(.iso8601).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
        var path = directory + "/flow-cnn-\(stamp).json"
        var n = 2
        while FileManager.default.fileExists(atPath: path) {
            path = directory + "/flow-cnn-\(stamp)-\(n).json"
            n += 1
        }
        return path
    }

    /// Points the symbolic link `link` at `path` (by its file name: both in one directory), replacing the old
    /// link in one rename. A configuration's `weights` names the link to follow the last model that passed.
    public static func promote(_ path: String, link: String) throws(FlowTrainingError) {
        let fm = FileManager.default
        let temporary = link + ".new"
        try? fm.removeItem(atPath: temporary)  // a leftover of an interrupted run, if any
        do {
            try fm.createSymbolicLink(atPath: temporary, withDestinationPath: (path as NSString).lastPathComponent)
            guard rename(temporary, link) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            throw .data("cannot point \(link) at \(path): \(error)")
        }
    }

    /// The held-out windows' outputs against their labels: signals (|output| ≥ threshold, label ≠ 0) and how many
    /// had the label's sign; and over every labelled window with a nonzero label and output, how many agreed.
    static func accuracy(_ model: FlowModel, _ samples: [FlowSample], threshold: Double) -> (signals: Int, correct: Int, windows: Int, agreeing: Int) {
        let T = model.shape.window
        var (signals, correct, windows, agreeing) = (0, 0, 0, 0)
        guard samples.count >= T else { return (0, 0, 0, 0) }
        for t in (T - 1)..<samples.count {
            guard let label = samples[t].label, label != 0, samples[t - T + 1].segment == samples[t].segment else { continue }
            let rows = samples[(t - T + 1)...t].map(\.row)
            let y = model.predict(raw: (0..<FlowFeatureRow.channels).map { c in rows.map { $0[channel: c] } })
            guard y != 0 else { continue }
            windows += 1
            if (y > 0) == (label > 0) { agreeing += 1 }
            guard abs(y) >= threshold else { continue }
            signals += 1
            if (y > 0) == (label > 0) { correct += 1 }
        }
        return (signals, correct, windows, agreeing)
    }

    /// Training recordings and the held-out one: with two recordings or more, the last `percent` of them (at least
    /// one, at most all but one) are held out, joined on one timeline; a single recording is cut in time, its last
    /// `percent` held out, opening with a snapshot of the books where the cut falls.
    static func split(_ recordings: [FlowRecording], percent: Int, universe: Universe) throws(FlowTrainingError) -> ([FlowRecording], FlowRecording, String) {
        guard !recordings.isEmpty else { throw .data("no recorded events") }
        if recordings.count >= 2 {
            let held = min(max((recordings.count * percent + 50) / 100, 1), recordings.count - 1)
            let train = Array(recordings.prefix(recordings.count - held))
            let tail = recordings.suffix(held)
            let joined = FlowRecording(
                name: tail.map(\.name).joined(separator: "+"), events: Backtester.timeline(tail.flatMap(\.events)),
                flows: tail.flatMap(\.flows).sorted { $0.receiveTime < $1.receiveTime })
            return (train, joined, "\(train.count) recordings for training (\(train.map(\.name).joined(separator: ", "))), \(held) held out (\(joined.name))")
        }
        let r = recordings[0]
        let start = r.events.first { $0.receiveTime > .zero }?.receiveTime ?? .zero
        let end = r.events.last?.receiveTime ?? .zero
        guard end > start else { throw .data("\(r.name) spans no time") }
        let cut = start + Nanos(raw: (end.raw - start.raw) / 100 * Int64(100 - percent))
        // Whole messages before the cut; the mirror after them opens the held-out part.
        var k = 0
        var mirror = BookMirror(universe: universe, depth: 1_000)
        while k < r.events.count && r.events[k].receiveTime <= cut {
            var e = k
            while e < r.events.count - 1 && !r.events[e].flags.contains(.endOfMessage) { e += 1 }
            guard r.events[e].receiveTime <= cut else { break }
            for x in r.events[k...e] { mirror.apply(x) }
            k = e + 1
        }
        guard k > 0 && k < r.events.count else { throw .data("\(r.name) cannot be cut at \(100 - percent)% of its time") }
        let split = r.events[k].receiveTime
        let train = FlowRecording(name: r.name + " (first \(100 - percent)%)", events: Array(r.events[..<k]), flows: r.flows.filter { $0.receiveTime < split })
        let held = FlowRecording(
            name: r.name + " (last \(percent)%)", events: Backtester.snapshot(mirror, at: split) + r.events[k...], flows: r.flows.filter { $0.receiveTime >= split })
        let seconds = Double(end.raw - start.raw) / 1e9
        return ([train], held, String(format: "one recording of %.1f s cut in time: the first %d%% for training, the last %d%% held out", seconds, 100 - percent, percent))
    }

    /// Runs the training script with `arguments`, its output in files under `scratch` (no pipe to fill).
    /// - Returns: its standard output. - Throws: `.script` with its standard error when it cannot start or exits
    ///   non-zero.
    static func runScript(_ training: FlowTrainingConfiguration, _ arguments: [String], scratch: URL) throws(FlowTrainingError) -> String {
        guard FileManager.default.isExecutableFile(atPath: training.python) else {
            throw .script("\(training.python) is not an executable Python (make peers installs .venv with numpy; or set [train] python)")
        }
        guard FileManager.default.fileExists(atPath: training.script) else { throw .script("\(training.script) does not exist (set [train] script)") }
        let outPath = scratch.appendingPathComponent("stdout.txt").path
        let errPath = scratch.appendingPathComponent("stderr.txt").path
        guard FileManager.default.createFile(atPath: outPath, contents: nil), FileManager.default.createFile(atPath: errPath, contents: nil),
            let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath)
        else { throw .script("cannot create its output files in \(scratch.path)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: training.python)
        process.arguments = [training.script] + arguments
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch { throw .script("cannot run \(training.python): \(error)") }
        process.waitUntilExit()
        try? out.close()  // written by the child; our copy of the descriptor only
        try? err.close()
        let text = String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            let errors = String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
            throw .script("exit \(process.terminationStatus): " + errors.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return text
    }
}
