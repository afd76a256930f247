import GantryCore
import TOMLKit

/// `[train]`: how `gantry train` trains the flow model and the gate its held-out validation must pass.
///
/// ```toml
/// [train]
/// strategy = "flow"        # the flow_cnn strategy whose model is trained (default: the only one)
/// horizon_ms = 1000        # the label: the mid's return this far ahead
/// window = 32              # T, samples the network sees (the strategy samples every sample_ms)
/// filters = 8              # F
/// kernel = 5               # K
/// epochs = 40
/// learning_rate = "0.01"
/// seed = 1                 # training and backtest are deterministic for it
/// held_out_pct = 30        # the last recordings (days), or the last part of a single one
/// min_accuracy_pct = "52"  # the gate: directional accuracy of the held-out signals …
/// min_pnl = "0"            # … and the strategy's held-out backtest PnL after fees (quote currency)
/// python = ".venv/bin/python"
/// script = "Tools/train_flow_cnn.py"
/// ```
public struct FlowTrainingConfiguration: Sendable, Equatable {
    public var strategy: String? = nil
    public var horizon: Nanos = .seconds(1)
    public var window = 32
    public var filters = 8
    public var kernel = 5
    public var epochs = 40
    /// Passed to the script as written.
    public var learningRate = "0.01"
    public var seed: UInt64 = 1
    public var heldOutPercent = 30
    /// Hundredths of a percent (52% = 5,200).
    public var minimumAccuracyHundredthsPercent: Int64 = 5_200
    public var minimumPnLCents: Int64 = 0
    public var python = ".venv/bin/python"
    public var script = "Tools/train_flow_cnn.py"

    public init() {}

    /// `[train]` as read (also what `ConfigurationCheck` takes the known keys from).
    struct File: Decodable { var train: Table? }
    struct Table: Decodable {
        var strategy: String?
        var horizon_ms: Int?
        var window: Int?
        var filters: Int?
        var kernel: Int?
        var epochs: Int?
        var learning_rate: String?
        var seed: Int?
        var held_out_pct: Int?
        var min_accuracy_pct: String?
        var min_pnl: String?
        var python: String?
        var script: String?
    }

    /// Reads `[train]` (every key optional). - Throws: `ConfigurationError` naming the key.
    public init(toml: String) throws(ConfigurationError) {
        let t: Table
        do { t = try TOMLDecoder().decode(File.self, from: toml).train ?? Table() } catch { throw .syntax(String(describing: error)) }
        func range(_ v: Int?, _ key: String, _ r: ClosedRange<Int>, _ fallback: Int) throws(ConfigurationError) -> Int {
            let x = v ?? fallback
            guard r.contains(x) else { throw .invalid(venue: "train", key: key, why: "must be \(r.lowerBound)…\(r.upperBound), got \(x)") }
            return x
        }
        strategy = t.strategy
        horizon = .milliseconds(Int64(try range(t.horizon_ms, "horizon_ms", 1...86_400_000, 1_000)))
        window = try range(t.window, "window", 2...4_096, window)
        kernel = try range(t.kernel, "kernel", 1...window, kernel)
        filters = try range(t.filters, "filters", 1...1_024, filters)
        epochs = try range(t.epochs, "epochs", 1...100_000, epochs)
        seed = UInt64(try range(t.seed, "seed", 0...Int(Int32.max), Int(seed)))
        heldOutPercent = try range(t.held_out_pct, "held_out_pct", 1...90, heldOutPercent)
        if let lr = t.learning_rate {
            guard let x = Double(lr), x > 0, x < 10 else { throw .invalid(venue: "train", key: "learning_rate", why: "is not a rate in (0, 10): \(lr)") }
            learningRate = lr
        }
        if let a = t.min_accuracy_pct {
            do throws(DecimalError) {
                let v = try FixedPoint.parse(a, scale: 2)
                guard v >= 0 && v <= 10_000 else { throw DecimalError.empty }
                minimumAccuracyHundredthsPercent = v
            } catch {
                throw .invalid(venue: "train", key: "min_accuracy_pct", why: "is not a percentage 0…100 with at most two decimals: \(a)")
            }
        }
        if let p = t.min_pnl {
            do throws(DecimalError) { minimumPnLCents = try FixedPoint.parse(p, scale: 2) } catch {
                throw .invalid(venue: "train", key: "min_pnl", why: "is not an amount of the quote currency with at most two decimals: \(p)")
            }
        }
        if let p = t.python { python = p }
        if let s = t.script { script = s }
    }
}
