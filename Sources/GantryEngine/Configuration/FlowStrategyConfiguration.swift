import GantryCore
import GantryStrategy

/// Where a configuration's `flow_cnn` strategies get their model.
public enum FlowModelSource: Sendable {
    /// Each strategy's `weights` file, refused (and the configuration with it) unless its validation passed.
    case files
    /// This model for every `flow_cnn` strategy, no file read: `gantry train` backtesting a candidate it is
    /// validating, or reading a configuration's layout before any model exists.
    case given(FlowModel)
}

extension TradingConfiguration {
    /// A `flow_cnn` strategy's parameters:
    ///
    /// ```toml
    /// [[strategies]]
    /// kind = "flow_cnn"
    /// weights = "models/flow-cnn-current.json"  # a file gantry train validated (passed), else the gateway refuses to start
    /// threshold = "0.3"      # |model output| that signals (0…1)
    /// quantity = "0.01"      # position on a signal
    /// sample_ms = 100        # how often features are sampled and the model runs
    /// hold_ms = 5000         # a position is closed this long after its last signal
    /// allow_short = false    # a negative signal goes short (else flat)
    /// route = "router"       # or "best_venue": one IOC on the venue with the best price
    /// slippage_bp = "10"     # the limit's band past the reference price
    /// flow_exchanges = 8     # exchange indices onFlow accepts
    /// ```
    static func flowParameters(
        _ s: StrategyTable, who: String, pair: PairId, quantity: Int64, models: FlowModelSource
    ) throws(ConfigurationError) -> FlowCNNStrategy.Parameters {
        func milliseconds(_ value: Int?, _ key: String, _ fallback: Int) throws(ConfigurationError) -> Nanos {
            let ms = value ?? fallback
            guard ms > 0 && ms <= 86_400_000 else { throw .invalid(venue: who, key: key, why: "must be 1…86400000, got \(ms)") }
            return .milliseconds(Int64(ms))
        }
        let model: FlowModel
        switch models {
        case .given(let m):
            guard !m.failedValidation else { throw .invalid(venue: who, key: "weights", why: "is a model that failed its validation: \(m.file.validation.note)") }
            model = m
        case .files:
            guard let path = s.weights else { throw .invalid(venue: who, key: "weights", why: "is missing: the path of a weights file from gantry train") }
            do throws(FlowModelError) { model = try FlowModel.load(path) } catch { throw .invalid(venue: who, key: "weights", why: "cannot be used: \(error)") }
        }
        let threshold: Int64
        do throws(DecimalError) { threshold = try FixedPoint.parse(s.threshold ?? "0.3", scale: 4) } catch {
            throw .invalid(venue: who, key: "threshold", why: "is not a decimal 0…1 with at most four places: \(s.threshold ?? "")")
        }
        guard threshold > 0 && threshold < 10_000 else { throw .invalid(venue: who, key: "threshold", why: "must be above 0 and below 1") }
        let routing: FlowCNNStrategy.Routing
        switch s.route ?? "router" {
        case "router": routing = .routed
        case "best_venue": routing = .bestVenue
        case let other: throw .invalid(venue: who, key: "route", why: "is \"\(other)\"; expected router or best_venue")
        }
        let exchanges = s.flow_exchanges ?? 8
        guard (1...1_024).contains(exchanges) else { throw .invalid(venue: who, key: "flow_exchanges", why: "must be 1…1024, got \(exchanges)") }
        guard quantity > 0 else { throw .invalid(venue: who, key: "quantity", why: "must be above 0") }
        return FlowCNNStrategy.Parameters(
            pair: pair, model: model, sampleInterval: try milliseconds(s.sample_ms, "sample_ms", 100), threshold: Double(threshold) / 10_000,
            quantity: quantity, allowShort: s.allow_short ?? false, holdTime: try milliseconds(s.hold_ms, "hold_ms", 5_000), routing: routing,
            slippageCentiBasisPoints: try centiBasisPoints(s.slippage_bp ?? "10", who, "slippage_bp"),
            maximumBookAge: try milliseconds(s.max_book_age_ms, "max_book_age_ms", 2_000),
            orderTimeout: try milliseconds(s.order_timeout_ms, "order_timeout_ms", 5_000), flowExchanges: exchanges)
    }

    /// This configuration with only strategy `name` (numbered 1), its risk limits kept: a backtest of one strategy.
    /// - Returns: nil if no strategy has that name.
    public func only(strategy name: String) -> TradingConfiguration? {
        guard let k = strategies.firstIndex(where: { $0.name == name }) else { return nil }
        var c = self
        c.strategies = [strategies[k]]
        var limits = risk.strategies[k]
        limits.strategy = StrategyId(raw: 1)
        c.risk.strategies = [limits]
        return c
    }
}
