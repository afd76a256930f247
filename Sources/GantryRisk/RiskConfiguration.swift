import GantryCore

/// Where a strategy stands on its way to real money.
public enum StrategyStage: Sendable, Equatable {
    /// Only backtested (`gantry backtest`): in a gateway every intent is vetoed (reason `stageLimit`, observed 1),
    /// and the paper trader does not trade it either. The first of the promotion path backtest → paper → pilot → live.
    case backtest
    /// Decided as if live, never sent: its approvals go to the paper trader only (reason `stageLimit`, observed 0).
    case paper
    /// Live with a cap on its gross exposure, in cents of the quote currency.
    case pilot(capCents: Int64)
    case live
}

/// One strategy's limits.
public struct StrategyRiskLimits: Sendable, Equatable {
    public var strategy: StrategyId
    public var name: String
    /// Its capital, in cents of the quote currency.
    public var capitalCents: Int64
    public var stage: StrategyStage
    /// The pairs it may trade.
    public var allowedPairs: [PairId]
    /// The most all intents of one signal may be worth together, in hundredths of a basis point of capital
    /// (2% = 20,000).
    public var signalCapitalCentiBasisPoints: Int64 = 20_000
    /// The largest position per pair, by `PairId.raw` (pair quantity scale; missing or 0: no position allowed).
    public var maximumPosition: [Int64]
    /// Orders per second.
    public var maximumOrdersPerSecond: Int = 20
    /// A drawdown (from the strategy's equity peak) past this scales its new orders down to `drawdownScalePercent`.
    public var drawdownLimitCentiBasisPoints: Int64 = 50_000
    public var drawdownScalePercent: Int64 = 50
    /// A drawdown past this vetoes its new orders (`strategyDrawdown`).
    public var drawdownHaltCentiBasisPoints: Int64 = 100_000
    /// A position's hard stop: the loss on it (from its average entry) past which risk flattens it, in cents
    /// (0: none).
    public var stopLossCents: Int64 = 0

    public init(
        strategy: StrategyId, name: String, capitalCents: Int64, stage: StrategyStage, allowedPairs: [PairId], maximumPosition: [Int64]
    ) {
        self.strategy = strategy
        self.name = name
        self.capitalCents = capitalCents
        self.stage = stage
        self.allowedPairs = allowedPairs
        self.maximumPosition = maximumPosition
    }
}

/// A configured group of correlated pairs whose exposures count together.
public struct CorrelationGroup: Sendable, Equatable {
    public var name: String
    public var pairs: [PairId]
    /// The group's combined gross exposure cap, in cents.
    public var capCents: Int64
    public init(name: String, pairs: [PairId], capCents: Int64) {
        self.name = name
        self.pairs = pairs
        self.capCents = capCents
    }
}

/// The risk engine's limits: per strategy, per asset, per venue, per group, and the portfolio's.
public struct RiskConfiguration: Sendable, Equatable {
    public var strategies: [StrategyRiskLimits]
    /// The largest net position per base asset across strategies, by `AssetId.raw`, at the largest quantity
    /// scale of the pairs with that base (missing or 0: no limit).
    public var maximumAssetPosition: [Int64] = []
    public var correlationGroups: [CorrelationGroup] = []
    /// Pairs whose rolling return correlation reaches this (hundredths: 80 = 0.8) count as one group, capped at
    /// `correlatedCapCents`.
    public var correlationThresholdHundredths: Int64 = 80
    public var correlatedCapCents: Int64 = .max
    /// Returns sampled for the correlation (one per `returnsInterval`), and how many are kept.
    public var returnsInterval: Nanos = .seconds(1)
    public var returnsWindow: Int = 300
    /// A limit price further than this from its venue's mid is refused (hundredths of a basis point).
    public var priceBandCentiBasisPoints: Int64 = 50_000
    /// A venue whose mid strays this far from the median of the other venues' mids is taken for a data fault.
    public var plausibilityCentiBasisPoints: Int64 = 100_000
    /// The largest single order, in cents of notional.
    public var maximumOrderCents: Int64 = 10_000_000
    /// Orders per second per venue (all strategies).
    public var maximumVenueOrdersPerSecond: Int = 50
    /// A book not updated this long is stale for trading.
    public var maximumBookAge: Nanos = .seconds(2)
    /// The order round trip past which a venue is not traded, by `VenueId.raw` (missing or 0: 250 ms).
    public var latencyBudget: [Nanos] = []
    /// The day's loss (all strategies, mark to market) at which trading halts, in cents.
    public var dailyLossLimitCents: Int64 = 100_000_00
    /// The portfolio's drawdown within `killWindow` that fires the kill switch (5% = 50,000).
    public var killDrawdownCentiBasisPoints: Int64 = 50_000
    public var killWindow: Nanos = .seconds(3_600)
    /// Taker fees by `VenueId.raw` in hundredths of a basis point (what a buy's reserved quote includes).
    public var takerFees: [Int64] = []

    public init(strategies: [StrategyRiskLimits]) { self.strategies = strategies }
}
