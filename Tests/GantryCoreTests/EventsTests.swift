import Testing
import GantryCore

@Suite("Event size budgets")
struct EventsTests {
    @Test("market events and reports are one cache line; an intent 72 bytes, a decision its intent and 48 more")
    func oneCacheLine() {
        #expect(MemoryLayout<MarketEvent>.size == 64)
        #expect(MemoryLayout<MarketEvent>.stride == 64)
        #expect(MemoryLayout<OrderIntent>.stride == 72)
        #expect(MemoryLayout<RiskDecision>.stride == 120)
        #expect(MemoryLayout<OrderReport>.stride == 64)
        #expect(MemoryLayout<ControlEvent>.stride == 32)
    }

    @Test("fixed-point wrappers cost nothing over their integer")
    func wrappersAreFree() {
        #expect(MemoryLayout<Price>.size == 8)
        #expect(MemoryLayout<Quantity>.size == 8)
        #expect(MemoryLayout<Nanos>.size == 8)
        #expect(MemoryLayout<Notional>.size == 16)
        #expect(MemoryLayout<InstrumentId>.size == 4)
        #expect(MemoryLayout<VenueId>.size == 1)
    }

    @Test("a vetoed decision approves nothing")
    func vetoZeroesQuantity() {
        let intent = OrderIntent(
            intentId: 1, signalId: 1, strategy: StrategyId(raw: 1), venue: VenueId(raw: 1),
            instrument: InstrumentId(raw: 1), side: .buy, orderType: .limit, timeInForce: .ioc,
            price: Price(raw: 100), quantity: Quantity(raw: 5), triggerTime: .zero, createdTime: .zero)
        let veto = RiskDecision(intent: intent, reason: .fatFinger, approvedQuantity: intent.quantity, decidedTime: .zero)
        #expect(!veto.isApproved)
        #expect(veto.approvedQuantity == .zero)
        let ok = RiskDecision(intent: intent, reason: .approved, approvedQuantity: intent.quantity, decidedTime: .zero)
        #expect(ok.isApproved && ok.approvedQuantity == Quantity(raw: 5))
    }
}
