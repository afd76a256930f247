import GantryCore
import GantryExecution
import GantryRisk
import GantryStrategy
import TOMLKit

/// A venue's trading account: where orders go, and its credentials (read from the environment or a 0600 file).
public struct VenueAccountConfiguration: Sendable {
    public var venue: String
    /// The WebSocket order API (Binance WebSocket API, OKX private, Bybit trade, Kraken v2); nil for Coinbase.
    public var orderEndpoint: WebSocketURL?
    public var simOrderEndpoint: WebSocketURL?
    /// The REST API for orders (Coinbase, and every venue's fallback and reconciliation).
    public var restEndpoint: RESTURL?
    public var simRestEndpoint: RESTURL?
    /// Where fills are pushed (the user stream), if not the order endpoint.
    public var userStreamEndpoint: WebSocketURL?
    public var simUserStreamEndpoint: WebSocketURL?
    /// Names of where the credentials are, not the credentials.
    public var apiKeyEnv: String?
    public var apiKey: String?
    public var secretEnv: String?
    public var secretFile: String?
    public var passphraseEnv: String?
    /// The venue's order budget per second, shared by every strategy.
    public var ordersPerSecond: Int
    /// The order round trip past which risk stops trading the venue.
    public var latencyBudget: Nanos
}

/// Everything `gantry run` reads besides the venues' market data: pairs, strategies, risk, router, accounts.
public struct TradingConfiguration: Sendable {
    public var market: MarketConfiguration
    public var universe: Universe
    public var strategies: [StrategyHost<NoCustomStrategy>.Entry]
    /// Each strategy's mode as configured (paper, pilot, live), by `StrategyId.raw − 1`.
    public var risk: RiskConfiguration
    public var router: RouterConfiguration
    /// How arbitrage legs left unequal are closed (`[router]` keys `leg_*`).
    public var legs: LegGuardConfiguration
    public var accounts: [VenueAccountConfiguration]
    /// The chain whose exchange flows the strategies take (`[[chains]]`; none, or one for now).
    public var chains: [ChainConfiguration]

    /// Reads `[[venues]]` (with each instrument's `pair` and the venue's trading keys), `[risk]`, `[router]` and
    /// `[[strategies]]`. - Parameter flowModels: Where `flow_cnn` strategies' models come from (their `weights`
    /// files, each refused unless its validation passed). - Throws: `ConfigurationError` naming the table and key.
    public init(toml: String, flowModels: FlowModelSource = .files) throws(ConfigurationError) {
        market = try MarketConfiguration(toml: toml)
        let file: File
        do {
            file = try TOMLDecoder().decode(File.self, from: toml)
        } catch {
            throw .syntax(String(describing: error))
        }
        // Pairs: each instrument's `pair` and, where the venue's quote differs from the pair's, its `quote`.
        var listings: [Universe.ListingSpec] = []
        var accounts: [VenueAccountConfiguration] = []
        for v in file.venues ?? [] {
            for item in v.instruments ?? [] {
                guard let pair = item.pair else { continue }
                guard let venue = market.registry.venue(named: v.name), let id = market.registry.instrument(venue: venue, symbol: item.symbol) else { continue }
                listings.append(.init(instrument: id, pair: pair, venueQuote: item.quote))
            }
            func ws(_ key: String, _ text: String?) throws(ConfigurationError) -> WebSocketURL? {
                guard let text else { return nil }
                guard let u = WebSocketURL(text) else { throw .invalid(venue: v.name, key: key, why: "is not a ws:// or wss:// URL: \(text)") }
                return u
            }
            let budget = v.latency_budget_ms ?? 250
            guard Self.latencyBudgetRange.contains(budget) else { throw .invalid(venue: v.name, key: "latency_budget_ms", why: "must be 1…60000, got \(budget)") }
            let rate = v.orders_per_second ?? 10
            guard Self.venueOrderRateRange.contains(rate) else { throw .invalid(venue: v.name, key: "orders_per_second", why: "must be 1…10000, got \(rate)") }
            guard v.secret == nil else {
                throw .invalid(venue: v.name, key: "secret", why: "is not read from the configuration: use secret_env or secret_file (mode 0600)")
            }
            let venueConfig = market.venues.first { $0.name == v.name }
            accounts.append(VenueAccountConfiguration(
                venue: v.name, orderEndpoint: try ws("order_endpoint", v.order_endpoint), simOrderEndpoint: try ws("sim_order_endpoint", v.sim_order_endpoint),
                restEndpoint: venueConfig?.restEndpoint, simRestEndpoint: venueConfig?.simRestEndpoint,
                userStreamEndpoint: try ws("user_stream_endpoint", v.user_stream_endpoint),
                simUserStreamEndpoint: try ws("sim_user_stream_endpoint", v.sim_user_stream_endpoint), apiKeyEnv: v.api_key_env, apiKey: v.api_key,
                secretEnv: v.secret_env, secretFile: v.secret_file, passphraseEnv: v.passphrase_env, ordersPerSecond: rate,
                latencyBudget: .milliseconds(Int64(budget))))
        }
        do throws(UniverseError) {
            universe = try Universe(registry: market.registry, listings: listings)
        } catch {
            throw .invalid(venue: "(pairs)", key: "pair", why: error.description)
        }
        self.accounts = accounts
        chains = try ChainConfiguration.parse(toml: toml)
        let u = universe
        let venues = market.registry.venueNames.count
        var fees = Array(repeating: Int64(0), count: venues + 1)
        for v in market.venues { if let id = market.registry.venue(named: v.name) { fees[Int(id.raw)] = Int64(v.takerFeeCentiBasisPoints) } }

        // [router]
        let r = file.router ?? RouterTable()
        router = RouterConfiguration(
            latencyPenaltyCentiBasisPointsPerMillisecond: try Self.centiBasisPoints(r.latency_penalty_bp_per_ms ?? "0.1", "router", "latency_penalty_bp_per_ms"),
            levelsPerVenue: r.levels_per_venue ?? 20)
        let band = try Self.centiBasisPoints(r.leg_slippage_band_bp ?? "20", "router", "leg_slippage_band_bp")
        guard band > 0 else { throw .invalid(venue: "router", key: "leg_slippage_band_bp", why: "must be above 0") }
        let attempts = r.leg_hedge_attempts ?? 3
        guard attempts >= 1 else { throw .invalid(venue: "router", key: "leg_hedge_attempts", why: "must be at least 1") }
        let pauseAfter = r.leg_pause_after ?? 3
        guard pauseAfter >= 1 else { throw .invalid(venue: "router", key: "leg_pause_after", why: "must be at least 1") }
        let retry = r.leg_retry_ms ?? 100
        guard retry >= 0 else { throw .invalid(venue: "router", key: "leg_retry_ms", why: "must be ≥ 0") }
        legs = LegGuardConfiguration(slippageBandCentiBasisPoints: band, attempts: attempts, retryDelay: .milliseconds(Int64(retry)), pauseAfter: pauseAfter)

        // [[strategies]]
        guard let tables = file.strategies, !tables.isEmpty else { throw .invalid(venue: "(strategies)", key: "strategies", why: "is empty: configure at least one [[strategies]]") }
        var entries: [StrategyHost<NoCustomStrategy>.Entry] = []
        var limits: [StrategyRiskLimits] = []
        var names: Set<String> = []
        for (k, s) in tables.enumerated() {
            let who = "strategy \(s.name)"
            guard !s.name.isEmpty, names.insert(s.name).inserted else { throw .invalid(venue: who, key: "name", why: "is empty or used twice") }
            func pair(_ name: String?, _ key: String) throws(ConfigurationError) -> TradingPair {
                guard let name else { throw .invalid(venue: who, key: key, why: "is missing") }
                guard let p = u.pair(named: name) else {
                    throw .invalid(venue: who, key: key, why: "\(name) is not a configured pair (\(u.pairs.map(\.name).joined(separator: ", ")))")
                }
                return p
            }
            let traded = try pair(s.pair, "pair")
            func quantity(_ text: String?, _ key: String, _ p: TradingPair) throws(ConfigurationError) -> Int64 {
                guard let text else { throw .invalid(venue: who, key: key, why: "is missing") }
                do throws(DecimalError) { return try FixedPoint.parse(text, scale: p.quantityScale) } catch {
                    throw .invalid(venue: who, key: key, why: "is not a quantity at \(p.quantityScale) decimals: \(text)")
                }
            }
            func milliseconds(_ value: Int?, _ key: String, _ fallback: Int) throws(ConfigurationError) -> Nanos {
                let ms = value ?? fallback
                guard ms > 0 && ms <= 86_400_000 else { throw .invalid(venue: who, key: key, why: "must be 1…86400000, got \(ms)") }
                return .milliseconds(Int64(ms))
            }
            let capital = try Self.cents(s.capital, who, "capital")
            let spec: StrategySpec<NoCustomStrategy>
            switch s.kind {
            case "arbitrage":
                spec = .arbitrage(CrossVenueArbitrage.Parameters(
                    pair: traded.id, minimumEdgeCentiBasisPoints: try Self.centiBasisPoints(s.min_edge_bp ?? "2", who, "min_edge_bp"),
                    latencyPenaltyCentiBasisPointsPerMillisecond: try Self.centiBasisPoints(s.latency_penalty_bp_per_ms ?? "0", who, "latency_penalty_bp_per_ms"),
                    maximumQuantity: try quantity(s.quantity, "quantity", traded), minimumQuantity: try quantity(s.min_quantity ?? "0", "min_quantity", traded),
                    cooldown: try milliseconds(s.cooldown_ms, "cooldown_ms", 500), maximumBookAge: try milliseconds(s.max_book_age_ms, "max_book_age_ms", 2_000)))
            case "ma_crossover":
                let fast = s.fast ?? 5
                let slow = s.slow ?? 20
                guard fast > 0, fast < slow, slow <= 100_000 else { throw .invalid(venue: who, key: "fast", why: "must be positive and less than slow (\(fast), \(slow))") }
                spec = .movingAverageCrossover(MovingAverageCrossover.Parameters(
                    pair: traded.id, fastWindow: fast, slowWindow: slow, sampleInterval: try milliseconds(s.sample_ms, "sample_ms", 1_000),
                    quantity: try quantity(s.quantity, "quantity", traded), slippageCentiBasisPoints: try Self.centiBasisPoints(s.slippage_bp ?? "10", who, "slippage_bp"),
                    maximumBookAge: try milliseconds(s.max_book_age_ms, "max_book_age_ms", 2_000), orderTimeout: try milliseconds(s.order_timeout_ms, "order_timeout_ms", 5_000)))
            case "bollinger":
                let window = s.window ?? 20
                guard (2...100_000).contains(window) else { throw .invalid(venue: who, key: "window", why: "must be 2…100000, got \(window)") }
                let width: Int64
                do throws(DecimalError) { width = try FixedPoint.parse(s.width ?? "2", scale: 2) } catch {
                    throw .invalid(venue: who, key: "width", why: "is not a decimal with two places: \(s.width ?? "")")
                }
                spec = .bollinger(BollingerReversion.Parameters(
                    pair: traded.id, window: window, widthHundredths: width, sampleInterval: try milliseconds(s.sample_ms, "sample_ms", 1_000),
                    quantity: try quantity(s.quantity, "quantity", traded), slippageCentiBasisPoints: try Self.centiBasisPoints(s.slippage_bp ?? "10", who, "slippage_bp"),
                    maximumBookAge: try milliseconds(s.max_book_age_ms, "max_book_age_ms", 2_000), orderTimeout: try milliseconds(s.order_timeout_ms, "order_timeout_ms", 5_000)))
            case "flow_cnn":
                spec = .flowCNN(try Self.flowParameters(s, who: who, pair: traded.id, quantity: try quantity(s.quantity, "quantity", traded), models: flowModels))
            default:
                throw .invalid(venue: who, key: "kind", why: "is \"\(s.kind)\"; expected arbitrage, ma_crossover, bollinger or flow_cnn")
            }
            entries.append(.init(name: s.name, capitalCents: capital, spec: spec))
            let stage: StrategyStage
            switch s.stage ?? "paper" {
            case "backtest": stage = .backtest
            case "paper": stage = .paper
            case "live": stage = .live
            case "pilot": stage = .pilot(capCents: try Self.cents(s.pilot_cap, who, "pilot_cap"))
            case let other: throw .invalid(venue: who, key: "stage", why: "is \"\(other)\"; expected backtest, paper, pilot or live")
            }
            let allowed = try (s.pairs ?? [traded.name]).map { (name: String) throws(ConfigurationError) -> PairId in try pair(name, "pairs").id }
            var maxPosition = Array(repeating: Int64(0), count: u.pairs.count + 1)
            for (name, text) in s.max_position ?? [:] {
                let p = try pair(name, "max_position")
                maxPosition[Int(p.id.raw)] = try quantity(text, "max_position.\(name)", p)
            }
            var l = StrategyRiskLimits(
                strategy: StrategyId(raw: UInt16(k + 1)), name: s.name, capitalCents: capital, stage: stage, allowedPairs: allowed, maximumPosition: maxPosition)
            l.signalCapitalCentiBasisPoints = try Self.percent(s.signal_capital_pct ?? "2", who, "signal_capital_pct")
            l.maximumOrdersPerSecond = s.orders_per_second ?? 20
            l.drawdownLimitCentiBasisPoints = try Self.percent(s.drawdown_limit_pct ?? "5", who, "drawdown_limit_pct")
            l.drawdownScalePercent = Int64(s.drawdown_scale_pct ?? 50)
            l.drawdownHaltCentiBasisPoints = try Self.percent(s.drawdown_halt_pct ?? "10", who, "drawdown_halt_pct")
            if let stop = s.stop_loss { l.stopLossCents = try Self.cents(stop, who, "stop_loss") }
            guard (1...100).contains(l.drawdownScalePercent) else { throw .invalid(venue: who, key: "drawdown_scale_pct", why: "must be 1…100") }
            limits.append(l)
        }
        strategies = entries

        // [risk]
        let t = file.risk ?? RiskTable()
        var c = RiskConfiguration(strategies: limits)
        var assetLimits = Array(repeating: Int64(0), count: u.assetNames.count + 1)
        for (name, text) in t.max_asset_position ?? [:] {
            guard let asset = u.asset(named: name) else { throw .invalid(venue: "risk", key: "max_asset_position.\(name)", why: "is not an asset of the configured pairs") }
            let scale = u.pairs.filter { $0.base == asset }.map(\.quantityScale).max() ?? 8
            do throws(DecimalError) { assetLimits[Int(asset.raw)] = try FixedPoint.parse(text, scale: scale) } catch {
                throw .invalid(venue: "risk", key: "max_asset_position.\(name)", why: "is not a quantity: \(text)")
            }
        }
        c.maximumAssetPosition = assetLimits
        c.correlationGroups = try (t.groups ?? []).map { (g: GroupTable) throws(ConfigurationError) -> CorrelationGroup in
            let ids = try g.pairs.map { (name: String) throws(ConfigurationError) -> PairId in
                guard let p = u.pair(named: name) else { throw .invalid(venue: "risk", key: "groups.\(g.name).pairs", why: "\(name) is not a configured pair") }
                return p.id
            }
            return CorrelationGroup(name: g.name, pairs: ids, capCents: try Self.cents(g.cap, "risk", "groups.\(g.name).cap"))
        }
        if let x = t.correlation_threshold {
            do throws(DecimalError) { c.correlationThresholdHundredths = try FixedPoint.parse(x, scale: 2) } catch {
                throw .invalid(venue: "risk", key: "correlation_threshold", why: "is not a decimal 0…1: \(x)")
            }
        }
        if let x = t.correlated_cap { c.correlatedCapCents = try Self.cents(x, "risk", "correlated_cap") }
        if let x = t.price_band_bp { c.priceBandCentiBasisPoints = try Self.centiBasisPoints(x, "risk", "price_band_bp") }
        if let x = t.plausibility_bp { c.plausibilityCentiBasisPoints = try Self.centiBasisPoints(x, "risk", "plausibility_bp") }
        if let x = t.max_order { c.maximumOrderCents = try Self.cents(x, "risk", "max_order") }
        if let x = t.daily_loss_limit { c.dailyLossLimitCents = try Self.cents(x, "risk", "daily_loss_limit") }
        if let x = t.kill_drawdown_pct { c.killDrawdownCentiBasisPoints = try Self.percent(x, "risk", "kill_drawdown_pct") }
        if let x = t.kill_window_s { c.killWindow = .seconds(Int64(x)) }
        if let x = t.venue_orders_per_second { c.maximumVenueOrdersPerSecond = x }
        if let x = t.max_book_age_ms { c.maximumBookAge = .milliseconds(Int64(x)) }
        if let x = t.returns_interval_ms { c.returnsInterval = .milliseconds(Int64(x)) }
        if let x = t.returns_window { c.returnsWindow = x }
        c.takerFees = fees
        var budgets = Array(repeating: Nanos.zero, count: venues + 1)
        for a in accounts { if let id = market.registry.venue(named: a.venue) { budgets[Int(id.raw)] = a.latencyBudget } }
        c.latencyBudget = budgets
        risk = c
    }

    /// A venue account's `latency_budget_ms` and `orders_per_second`.
    static let latencyBudgetRange = 1...60_000
    static let venueOrderRateRange = 1...10_000
    /// The strategy kinds `kind` names.
    static let strategyKinds = ["arbitrage", "ma_crossover", "bollinger", "flow_cnn"]

    static func cents(_ text: String?, _ who: String, _ key: String) throws(ConfigurationError) -> Int64 {
        guard let text else { throw .invalid(venue: who, key: key, why: "is missing") }
        do throws(DecimalError) {
            let v = try FixedPoint.parse(text, scale: 2)
            guard v >= 0 else { throw DecimalError.empty }
            return v
        } catch {
            throw .invalid(venue: who, key: key, why: "is not an amount of the quote currency with at most two decimals: \(text)")
        }
    }

    /// Basis points as decimal text ("2.5") in hundredths of one.
    static func centiBasisPoints(_ text: String, _ who: String, _ key: String) throws(ConfigurationError) -> Int64 {
        do throws(DecimalError) { return try FixedPoint.parse(text, scale: 2) } catch {
            throw .invalid(venue: who, key: key, why: "is not basis points with at most two decimals: \(text)")
        }
    }

    /// A percentage as decimal text ("2", "0.5") in hundredths of a basis point.
    static func percent(_ text: String, _ who: String, _ key: String) throws(ConfigurationError) -> Int64 {
        do throws(DecimalError) {
            let v = try FixedPoint.parse(text, scale: 4)
            guard v >= 0, v <= 1_000_000 else { throw DecimalError.empty }
            return v * 100
        } catch {
            throw .invalid(venue: who, key: key, why: "is not a percentage 0…100 with at most four decimals: \(text)")
        }
    }

    struct File: Decodable {
        var venues: [Venue]?
        var strategies: [StrategyTable]?
        var risk: RiskTable?
        var router: RouterTable?
    }

    struct Venue: Decodable {
        var name: String
        var instruments: [Item]?
        var order_endpoint: String?
        var sim_order_endpoint: String?
        var user_stream_endpoint: String?
        var sim_user_stream_endpoint: String?
        var api_key_env: String?
        var api_key: String?
        var secret: String?
        var secret_env: String?
        var secret_file: String?
        var passphrase_env: String?
        var orders_per_second: Int?
        var latency_budget_ms: Int?
    }

    struct Item: Decodable {
        var symbol: String
        var pair: String?
        var quote: String?
    }

    struct StrategyTable: Decodable {
        var name: String
        var kind: String
        var stage: String?
        var pilot_cap: String?
        var capital: String?
        var pair: String?
        var pairs: [String]?
        var max_position: [String: String]?
        var signal_capital_pct: String?
        var orders_per_second: Int?
        var drawdown_limit_pct: String?
        var drawdown_scale_pct: Int?
        var drawdown_halt_pct: String?
        var stop_loss: String?
        var quantity: String?
        var min_quantity: String?
        var min_edge_bp: String?
        var latency_penalty_bp_per_ms: String?
        var cooldown_ms: Int?
        var max_book_age_ms: Int?
        var fast: Int?
        var slow: Int?
        var sample_ms: Int?
        var slippage_bp: String?
        var order_timeout_ms: Int?
        var window: Int?
        var width: String?
        var weights: String?
        var threshold: String?
        var hold_ms: Int?
        var allow_short: Bool?
        var route: String?
        var flow_exchanges: Int?
    }

    struct RiskTable: Decodable {
        var max_asset_position: [String: String]?
        var groups: [GroupTable]?
        var correlation_threshold: String?
        var correlated_cap: String?
        var price_band_bp: String?
        var plausibility_bp: String?
        var max_order: String?
        var daily_loss_limit: String?
        var kill_drawdown_pct: String?
        var kill_window_s: Int?
        var venue_orders_per_second: Int?
        var max_book_age_ms: Int?
        var returns_interval_ms: Int?
        var returns_window: Int?
    }

    struct GroupTable: Decodable {
        var name: String
        var pairs: [String]
        var cap: String
    }

    struct RouterTable: Decodable {
        var latency_penalty_bp_per_ms: String?
        var levels_per_venue: Int?
        var leg_slippage_band_bp: String?
        var leg_hedge_attempts: Int?
        var leg_pause_after: Int?
        var leg_retry_ms: Int?
    }
}
