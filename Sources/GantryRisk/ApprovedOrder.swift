import GantryCore

/// An order risk has approved: the only thing the order-send stage accepts. Its initializer is internal to
/// GantryRisk, so no other module can make one: a strategy, the router or a plugin holding an `OrderIntent` has no
/// way to reach a venue but through `RiskEngine.check`. (Only unsafe memory tricks, which the style forbids,
/// could forge one.)
@frozen
public struct ApprovedOrder: Sendable, BitwiseCopyable {
    /// The approving decision: reason `.approved`, the quantity approved, the client order id.
    public let decision: RiskDecision

    init(_ decision: RiskDecision) {
        precondition(decision.isApproved && decision.approvedQuantity.raw > 0, "only an approval with a quantity becomes an order")
        self.decision = decision
    }

    @inlinable public var clientOrderId: ClientOrderId { decision.clientOrderId }
    @inlinable public var venue: VenueId { decision.intent.venue }
    @inlinable public var instrument: InstrumentId { decision.intent.instrument }
    @inlinable public var side: Side { decision.intent.side }
    @inlinable public var price: Price { decision.intent.price }
    @inlinable public var quantity: Quantity { decision.approvedQuantity }
    @inlinable public var lane: OrderLane { decision.intent.lane }
}

/// Something risk did besides deciding an intent, for the risk stage to publish (alerts, halts, the kill switch,
/// and the flattening orders of hard stops).
public enum RiskAction: Sendable, Equatable {
    /// A venue's price strayed from the others past the plausibility band (its deviation in centi-basis points).
    case implausiblePrice(venue: VenueId, pair: PairId, deviationCentiBasisPoints: Int64)
    /// The day's loss passed its limit: new positions are halted.
    case dailyLossHalt(lossCents: Int64)
    /// The portfolio fell past the kill threshold within the window: the kill switch fires.
    case kill(drawdownCentiBasisPoints: Int64)
    /// A strategy's drawdown passed its limit: its sizes are scaled down.
    case drawdownScaling(strategy: StrategyId, drawdownCentiBasisPoints: Int64)
    /// A position's hard stop was crossed: risk flattens it with this order.
    case hardStop(strategy: StrategyId, pair: PairId, lossCents: Int64)
}

extension ApprovedOrder: Equatable {
    public static func == (a: ApprovedOrder, b: ApprovedOrder) -> Bool {
        a.clientOrderId == b.clientOrderId && a.quantity == b.quantity && a.price == b.price && a.venue == b.venue
    }
}
