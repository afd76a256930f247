#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The flow model's weights file (JSON): written by `Tools/train_flow_cnn.py`, completed with
/// its validation by `gantry train`, read at start-up (never on the hot path).
///
/// ```
/// { "format": "gantry-flow-cnn", "format_version": 1,
///   "shape": { "channels": 4, "window": 32, "filters": 8, "kernel": 5 },
///   "channel_names": ["mid_return_cbp", …], "scaling": { "mean": [C], "std": [C] },
///   "weights": { "conv_weight": [F][C][K], "conv_bias": [F], "dense_weight": [F], "dense_bias": x },
///   "training": { what it was trained on and how }, "validation": { "passed": …, "when": …, … } }
/// ```
public struct FlowModelFile: Codable, Sendable, Equatable {
    public static let formatName = "gantry-flow-cnn"
    public static let currentVersion = 1

    public struct Shape: Codable, Sendable, Equatable {
        /// Feature channels (C), samples per window (T), convolution filters (F) and kernel width (K).
        public var channels: Int
        public var window: Int
        public var filters: Int
        public var kernel: Int
        public init(channels: Int, window: Int, filters: Int, kernel: Int) {
            self.channels = channels
            self.window = window
            self.filters = filters
            self.kernel = kernel
        }
    }

    /// Per channel: the model sees `(x − mean) / std`.
    public struct Scaling: Codable, Sendable, Equatable {
        public var mean: [Double]
        public var std: [Double]
    }

    public struct Weights: Codable, Sendable, Equatable {
        /// [filter][channel][tap].
        public var convWeight: [[[Double]]]
        public var convBias: [Double]
        public var denseWeight: [Double]
        public var denseBias: Double
        enum CodingKeys: String, CodingKey {
            case convWeight = "conv_weight", convBias = "conv_bias", denseWeight = "dense_weight", denseBias = "dense_bias"
        }
    }

    /// What the model was trained on and how (for the record; not read by inference).
    public struct Training: Codable, Sendable, Equatable {
        public var data: String
        public var rows: Int
        public var windows: Int
        public var label: String
        public var horizonMs: Int
        public var sampleMs: Int
        public var labelScale: Double
        public var seed: Int
        public var epochs: Int
        public var learningRate: Double
        public var trainLoss: Double
        public var trainedAt: String
        enum CodingKeys: String, CodingKey {
            case data, rows, windows, label, seed, epochs
            case horizonMs = "horizon_ms", sampleMs = "sample_ms", labelScale = "label_scale", learningRate = "learning_rate"
            case trainLoss = "train_loss", trainedAt = "trained_at"
        }
    }

    /// The held-out check `gantry train` ran: what it measured, the gate, whether it passed, and when.
    public struct Validation: Codable, Sendable, Equatable {
        public var passed: Bool
        /// ISO 8601, UTC (nil until validated).
        public var when: String?
        public var metrics: [String: Double]
        /// The thresholds the metrics were held to (same keys as the metrics they gate, `min_` first).
        public var gate: [String: Double]
        public var note: String
        public init(passed: Bool, when: String?, metrics: [String: Double], gate: [String: Double], note: String) {
            self.passed = passed
            self.when = when
            self.metrics = metrics
            self.gate = gate
            self.note = note
        }
    }

    public var format: String
    public var formatVersion: Int
    public var shape: Shape
    public var channelNames: [String]
    public var scaling: Scaling
    public var weights: Weights
    public var training: Training
    public var validation: Validation

    enum CodingKeys: String, CodingKey {
        case format, shape, scaling, weights, training, validation
        case formatVersion = "format_version", channelNames = "channel_names"
    }

    /// Reads and decodes `path` (no check of the contents beyond their types: see `FlowModel`).
    /// - Throws: `FlowModelError.unreadable` or `.malformed`.
    public static func read(_ path: String) throws(FlowModelError) -> FlowModelFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        let decoder = JSONDecoder()
        do {
            return try decoder.decode(FlowModelFile.self, from: data)
        } catch let error as DecodingError {
            throw .malformed(path: path, why: Self.describe(error))
        } catch {
            throw .malformed(path: path, why: "\(error)")
        }
    }

    /// Writes the file (sorted keys, shortest round-tripping numbers), replacing `path` atomically.
    /// - Throws: `FlowModelError.unwritable`.
    public func write(_ path: String) throws(FlowModelError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .unwritable(path: path, why: "\(error)")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String { path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined() }
        switch error {
        case .typeMismatch(let type, let c): return "\(at(c.codingPath)) is not \(type): \(c.debugDescription)"
        case .valueNotFound(let type, let c): return "\(at(c.codingPath)) has no \(type) value"
        case .keyNotFound(let key, let c): return "\(at(c.codingPath)).\(key.stringValue) is missing"
        case .dataCorrupted(let c): return "\(at(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// Why a weights file was refused.
public enum FlowModelError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(path: String)
    case unwritable(path: String, why: String)
    /// Not JSON of this format: a key missing, a value of the wrong type, a number that is not finite.
    case malformed(path: String, why: String)
    case format(path: String, found: String, version: Int)
    /// The arrays disagree with the declared shape, or the shape with what the caller's features are.
    case shape(path: String, why: String)
    /// Its validation did not pass (or never ran): a strategy never runs such a model.
    case notValidated(path: String, why: String)

    public var description: String {
        switch self {
        case .unreadable(let p): "\(p): cannot read the weights file"
        case .unwritable(let p, let why): "\(p): cannot write the weights file: \(why)"
        case .malformed(let p, let why): "\(p): malformed weights file: \(why)"
        case .format(let p, let found, let v):
            "\(p): format \"\(found)\" version \(v); expected \"\(FlowModelFile.formatName)\" version \(FlowModelFile.currentVersion)"
        case .shape(let p, let why): "\(p): shape mismatch: \(why)"
        case .notValidated(let p, let why): "\(p): refused: validation did not pass (\(why))"
        }
    }
}
