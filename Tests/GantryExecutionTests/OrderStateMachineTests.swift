import GantryCore
import GantryExecution
import Testing

@Suite("Order state machine: every transition, duplicates, late reports and losses")
struct OrderStateMachineTests {
    static let spec = OrderSpec(
        clientOrderId: ClientOrderId(strategy: StrategyId(raw: 1), sequence: 1), venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1),
        side: .buy, price: Price(raw: 100_00), quantity: Quantity(raw: 10))

    static func fill(_ trade: UInt64, _ q: Int64, cum: Int64) -> OrderEvent {
        .fill(tradeId: trade, price: Price(raw: 100_00), quantity: Quantity(raw: q), cumulative: Quantity(raw: cum), fee: 1, isTaker: true)
    }

    @Test("pending → sent → acknowledged → partially filled → filled")
    func happyPath() {
        var o = TrackedOrder(Self.spec)
        #expect(o.state == .pending)
        #expect(o.apply(.sent(at: .seconds(1))).to == .sent && o.sentAt == .seconds(1))
        #expect(o.apply(.acknowledged(venueOrderId: 77)).to == .acknowledged && o.venueOrderId == 77)
        let a = o.apply(Self.fill(1, 4, cum: 4))
        #expect(a.to == .partiallyFilled && a.newFill && o.filled == Quantity(raw: 4))
        let b = o.apply(Self.fill(2, 6, cum: 10))
        #expect(b.to == .filled && b.newFill && o.filled == Quantity(raw: 10) && o.fees == 2 && o.averagePrice == Price(raw: 100_00))
        // The final report that follows changes nothing.
        #expect(o.apply(.final(.filled, cumulative: Quantity(raw: 10))).ignored)
    }

    @Test("partial fill then cancel: the fills stay, the state is cancelled; a late fill after it is booked once")
    func partialThenCancel() {
        var o = TrackedOrder(Self.spec)
        _ = o.apply(.sent(at: .zero))
        _ = o.apply(.acknowledged(venueOrderId: 1))
        _ = o.apply(Self.fill(1, 3, cum: 3))
        #expect(o.apply(.final(.canceled, cumulative: Quantity(raw: 3))).to == .cancelled)
        let late = o.apply(Self.fill(2, 2, cum: 5))
        #expect(late.newFill && late.to == .cancelled && o.filled == Quantity(raw: 5))
        let again = o.apply(Self.fill(2, 2, cum: 5))
        #expect(again.ignored && !again.newFill && o.filled == Quantity(raw: 5))
    }

    @Test("a duplicate fill (same trade id) is ignored")
    func duplicateFill() {
        var o = TrackedOrder(Self.spec)
        _ = o.apply(.sent(at: .zero))
        #expect(o.apply(Self.fill(9, 5, cum: 5)).newFill)
        let dup = o.apply(Self.fill(9, 5, cum: 5))
        #expect(dup.ignored && !dup.newFill && o.filled == Quantity(raw: 5) && o.fees == 1)
    }

    @Test("a reject is final; a fill report before the ack moves the order on; an ack after it does not go back")
    func rejectAndOrdering() {
        var r = TrackedOrder(Self.spec)
        _ = r.apply(.sent(at: .zero))
        #expect(r.apply(.rejected(code: -2010)).to == .rejected)
        #expect(r.apply(.acknowledged(venueOrderId: 3)).ignored)
        var o = TrackedOrder(Self.spec)
        _ = o.apply(.sent(at: .zero))
        #expect(o.apply(Self.fill(1, 10, cum: 10)).to == .filled)
        let ack = o.apply(.acknowledged(venueOrderId: 5))
        #expect(ack.ignored && o.state == .filled && o.venueOrderId == 5)
    }

    @Test("a timeout or a dropped connection makes it unknown, never failed; the venue's answer reconciles it and names missed fills")
    func unknownThenReconciled() {
        var o = TrackedOrder(Self.spec)
        _ = o.apply(.sent(at: .zero))
        _ = o.apply(Self.fill(1, 4, cum: 4))
        #expect(o.apply(.lost).to == .unknown)
        // The venue says: filled, 10 in all. 6 were never seen: they are backfilled from its trade history.
        let q = o.apply(.queried(.filled, cumulative: Quantity(raw: 10)))
        #expect(q.to == .filled && q.missingFills == Quantity(raw: 6) && o.reconciledFrom == .unknown)
        _ = o.apply(Self.fill(2, 6, cum: 10))
        #expect(o.filled == Quantity(raw: 10))
        // Unknown, and the venue never had it: reconciled as rejected, nothing filled.
        var n = TrackedOrder(Self.spec)
        _ = n.apply(.sent(at: .zero))
        _ = n.apply(.lost)
        let none = n.apply(.queried(.rejected, cumulative: .zero))
        #expect(none.to == .rejected && none.missingFills == .zero && n.reconciledFrom == .unknown)
        // Unknown, and still working at the venue: acknowledged again, no reconciliation yet.
        var w = TrackedOrder(Self.spec)
        _ = w.apply(.sent(at: .zero))
        _ = w.apply(.lost)
        #expect(w.apply(.queried(.new, cumulative: .zero)).to == .acknowledged && w.reconciledFrom == nil)
        // A final state is not made unknown by a later loss.
        var f = TrackedOrder(Self.spec)
        _ = f.apply(.sent(at: .zero))
        _ = f.apply(.final(.expired, cumulative: .zero))
        #expect(f.apply(.lost).ignored && f.state == .expired)
    }

    @Test("a cancel that raced a fill: the venue's filled wins")
    func cancelRace() {
        var o = TrackedOrder(Self.spec)
        _ = o.apply(.sent(at: .zero))
        _ = o.apply(.final(.canceled, cumulative: Quantity(raw: 0)))
        let t = o.apply(.final(.filled, cumulative: Quantity(raw: 10)))
        #expect(t.to == .filled && t.missingFills == Quantity(raw: 10))
    }
}
