#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small 1-D convolutional network over C feature channels × T samples, checked and flattened for inference:
///
/// ```
///   x[C][T] ─ scale (x − mean)/std ─► conv1d F filters, kernel K, valid ─► ReLU ─► mean over the T−K+1 positions
///           ─► dense F → 1 ─► tanh ─► output in (−1, 1): a long (+) or short (−) signal
/// ```
///
/// In `Double`: a model's activations are not prices (prices and sizes stay fixed-point until the features are
/// made). Immutable and shareable; the scratch a run needs is `FlowInference`'s.
public struct FlowModel: Sendable {
    public let shape: FlowModelFile.Shape
    /// The whole file (training description, validation) as read.
    public let file: FlowModelFile
    /// [filter][channel][tap], flattened: (f·C + c)·K + k.
    let convWeight: [Double]
    let convBias: [Double]
    let denseWeight: [Double]
    let denseBias: Double
    let mean: [Double]
    let inverseDeviation: [Double]

    /// Loads a weights file whose validation passed, for trading. - Parameters:
    ///   - channelNames: The features the caller will feed, in order (the model must have been trained on them).
    /// - Throws: `FlowModelError`: unreadable, malformed (types, non-finite numbers, std ≤ 0), another format or
    ///   version, a shape that does not match its arrays or `channelNames`, or a validation that did not pass.
    public static func load(_ path: String, channelNames: [String] = FlowFeatureRow.channelNames) throws(FlowModelError) -> FlowModel {
        let model = try loadCandidate(path, channelNames: channelNames)
        let v = model.file.validation
        guard v.passed else {
            let metrics = v.metrics.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let gate = v.gate.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            throw .notValidated(
                path: path, why: v.when == nil ? "never validated: run gantry train" : "\(v.when!): \(metrics.isEmpty ? "no metrics" : metrics); gate \(gate); \(v.note)")
        }
        return model
    }

    /// Whether its validation ran and did not pass: such a model is never run (a candidate not yet validated may
    /// be, by `gantry train`'s backtest).
    public var failedValidation: Bool { file.validation.when != nil && !file.validation.passed }

    /// Loads a weights file with every check but validation: for `gantry train` to validate it, and for tests.
    /// A strategy never runs a candidate (`load` is the only way the configuration reads weights).
    public static func loadCandidate(_ path: String, channelNames: [String]? = FlowFeatureRow.channelNames) throws(FlowModelError) -> FlowModel {
        try FlowModel(file: try FlowModelFile.read(path), path: path, channelNames: channelNames)
    }

    /// Checks `file` (format, version, shape against its arrays and `channelNames`, finite numbers, std > 0), and
    /// flattens it for inference. Validation is not checked here (see `load`).
    public init(file: FlowModelFile, path: String = "(in memory)", channelNames: [String]? = nil) throws(FlowModelError) {
        guard file.format == FlowModelFile.formatName, file.formatVersion == FlowModelFile.currentVersion else {
            throw .format(path: path, found: file.format, version: file.formatVersion)
        }
        let s = file.shape
        guard s.channels > 0, s.filters > 0, s.kernel > 0, s.window >= s.kernel, s.window <= 100_000, s.filters * s.channels * s.kernel <= 1_000_000 else {
            throw .shape(path: path, why: "channels \(s.channels), window \(s.window), filters \(s.filters), kernel \(s.kernel): each positive, kernel ≤ window")
        }
        guard file.channelNames.count == s.channels else { throw .shape(path: path, why: "\(file.channelNames.count) channel names for \(s.channels) channels") }
        if let expected = channelNames, expected != file.channelNames {
            throw .shape(path: path, why: "trained on channels \(file.channelNames), the strategy's features are \(expected)")
        }
        let w = file.weights
        guard w.convWeight.count == s.filters, w.convWeight.allSatisfy({ $0.count == s.channels && $0.allSatisfy { $0.count == s.kernel } }) else {
            throw .shape(path: path, why: "conv_weight is not [\(s.filters)][\(s.channels)][\(s.kernel)]")
        }
        guard w.convBias.count == s.filters, w.denseWeight.count == s.filters else {
            throw .shape(path: path, why: "conv_bias has \(w.convBias.count) and dense_weight \(w.denseWeight.count) values for \(s.filters) filters")
        }
        guard file.scaling.mean.count == s.channels, file.scaling.std.count == s.channels else {
            throw .shape(path: path, why: "scaling has \(file.scaling.mean.count) means and \(file.scaling.std.count) deviations for \(s.channels) channels")
        }
        let flat = w.convWeight.flatMap { $0.flatMap { $0 } }
        for (name, values) in [("conv_weight", flat), ("conv_bias", w.convBias), ("dense_weight", w.denseWeight), ("dense_bias", [w.denseBias]), ("scaling.mean", file.scaling.mean)] {
            if let k = values.firstIndex(where: { !$0.isFinite }) { throw .malformed(path: path, why: "\(name)[\(k)] is \(values[k]), not a finite number") }
        }
        if let k = file.scaling.std.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            throw .malformed(path: path, why: "scaling.std[\(k)] is \(file.scaling.std[k]); a deviation is finite and above 0")
        }
        self.file = file
        shape = s
        convWeight = flat
        convBias = w.convBias
        denseWeight = w.denseWeight
        denseBias = w.denseBias
        mean = file.scaling.mean
        inverseDeviation = file.scaling.std.map { 1 / $0 }
    }

    /// The network on scaled input `x` (channel after channel, each oldest first: C × T values), with `scratch`
    /// for the T − K + 1 positions of one filter. No allocation. Traps if a buffer is short.
    public func forward(_ x: UnsafeBufferPointer<Double>, scratch: UnsafeMutableBufferPointer<Double>) -> Double {
        let (C, T, F, K) = (shape.channels, shape.window, shape.filters, shape.kernel)
        let positions = T - K + 1
        precondition(x.count == C * T && scratch.count >= positions, "C × T inputs and T − K + 1 scratch")
        // SAFETY: every index below is within the buffers' counts checked above and the weights' sizes checked at init.
        let xs = x.baseAddress!
        let z = scratch.baseAddress!
        return convWeight.withUnsafeBufferPointer { w in
            convBias.withUnsafeBufferPointer { b in
                denseWeight.withUnsafeBufferPointer { v in
                    var out = denseBias
                    for f in 0..<F {
                        // One filter over every position at once: z[p] = b + Σ_c Σ_k w[f][c][k] · x[c][p + k].
                        for p in 0..<positions { z[p] = b[f] }
                        for c in 0..<C {
                            for k in 0..<K {
                                let weight = w[(f * C + c) * K + k]
                                let row = xs + (c * T + k)
                                for p in 0..<positions { z[p] += weight * row[p] }
                            }
                        }
                        var sum = 0.0
                        for p in 0..<positions { sum += max(z[p], 0) }
                        out += v[f] * (sum / Double(positions))
                    }
                    return tanh(out)
                }
            }
        }
    }

    /// The output for raw features `raw[c][t]` (oldest first), scaled with the file's scaling. Allocates: for
    /// tests and training, not the hot path. Traps unless `raw` is C × T.
    public func predict(raw: [[Int64]]) -> Double {
        precondition(raw.count == shape.channels && raw.allSatisfy { $0.count == shape.window }, "C × T raw features")
        var x: [Double] = []
        for c in 0..<shape.channels { x += raw[c].map { (Double($0) - mean[c]) * inverseDeviation[c] } }
        var z = [Double](repeating: 0, count: shape.window - shape.kernel + 1)
        return x.withUnsafeBufferPointer { x in z.withUnsafeMutableBufferPointer { forward(x, scratch: $0) } }
    }

    /// A model that always outputs 0 (never trades), of `shape`: what reading a configuration's layout needs
    /// before any model is trained.
    public static func zero(shape: FlowModelFile.Shape, channelNames: [String] = FlowFeatureRow.channelNames) -> FlowModel {
        let file = FlowModelFile(
            format: FlowModelFile.formatName, formatVersion: FlowModelFile.currentVersion, shape: shape, channelNames: channelNames,
            scaling: .init(mean: Array(repeating: 0, count: shape.channels), std: Array(repeating: 1, count: shape.channels)),
            weights: .init(
                convWeight: Array(repeating: Array(repeating: Array(repeating: 0, count: shape.kernel), count: shape.channels), count: shape.filters),
                convBias: Array(repeating: 0, count: shape.filters), denseWeight: Array(repeating: 0, count: shape.filters), denseBias: 0),
            training: .init(
                data: "none", rows: 0, windows: 0, label: "none", horizonMs: 0, sampleMs: 0, labelScale: 1, seed: 0, epochs: 0, learningRate: 0, trainLoss: 0,
                trainedAt: ""),
            validation: .init(passed: false, when: nil, metrics: [:], gate: [:], note: "an untrained placeholder"))
        return try! FlowModel(file: file)
    }
}

/// A model with the scratch one run needs, for one strategy: `run` scales the window into the scratch and runs
/// the network, with no allocation.
public struct FlowInference: Sendable {
    public let model: FlowModel
    var input: [Double]
    var positions: [Double]
    public private(set) var runs = 0

    public init(model: FlowModel) {
        self.model = model
        input = Array(repeating: 0, count: model.shape.channels * model.shape.window)
        positions = Array(repeating: 0, count: model.shape.window - model.shape.kernel + 1)
    }

    /// The model's output for the window's rows. Traps unless the window is full and the model's shape is
    /// `FlowFeatureRow.channels` × the window's length.
    public mutating func run(_ window: borrowing FlowFeatureWindow) -> Double {
        precondition(model.shape.channels == FlowFeatureRow.channels && model.shape.window == window.length, "the model's shape is the window's")
        runs &+= 1  // a counter
        let m = model
        return input.withUnsafeMutableBufferPointer { x in
            m.mean.withUnsafeBufferPointer { mean in
                m.inverseDeviation.withUnsafeBufferPointer { s in window.scaled(into: x, mean: mean, inverseDeviation: s) }
            }
            return positions.withUnsafeMutableBufferPointer { m.forward(UnsafeBufferPointer(x), scratch: $0) }
        }
    }
}
