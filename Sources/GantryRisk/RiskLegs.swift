import GantryCore

extension RiskEngine {
    /// Decides a signal's legs together, all or none (`OrderIntent.legs`): each is checked as `check` does, in
    /// order (so the later legs see the earlier ones' reservations and signal capital); if one is vetoed, the
    /// legs approved before it are taken back — their reservations released, their signal capital returned —
    /// and every leg is vetoed, the others with `legVetoed` and the failing leg's reason as the observed figure.
    /// Verdicts are appended to `out` in the legs' order. The legs are of one signal (a leg of another is vetoed
    /// as invalid, and with it the group). Allocation-free when `out` has room.
    public mutating func checkLegs(_ legs: [OrderIntent], now: Nanos, into out: inout [RiskVerdict]) {
        guard let signal = legs.first?.signalId else { return }
        let first = out.count
        var failed: RiskReason? = nil
        let signalBefore = signals.used(signal)
        for leg in legs {
            if failed == nil && leg.signalId != signal {
                failed = .invalidIntent
                out.append(veto(leg, .invalidIntent, 0, 0, now))
                continue
            }
            let verdict = failed == nil ? decide(leg, now: now) : veto(leg, .legVetoed, Int64(failed!.rawValue), 0, now)
            if failed == nil, case .vetoed(let d) = verdict { failed = d.reason }
            out.append(verdict)
        }
        guard let failed else { return }
        for i in first..<out.count {
            switch out[i] {
            case .approved(let order):
                // Taken back before anything was sent: a rejection with no fill releases what it reserved.
                ledger.apply(
                    OrderReport(
                        status: .rejected, side: order.side, venue: order.venue, instrument: order.instrument, clientOrderId: order.clientOrderId,
                        venueOrderId: 0, price: order.price, lastQuantity: .zero, cumulativeQuantity: .zero, fee: 0, isTaker: true, eventTime: now))
                out[i] = veto(order.decision.intent, .legVetoed, Int64(failed.rawValue), 0, now)
            case .vetoed: break
            }
            if case .vetoed(let d) = out[i] { vetoes[Int(d.reason.rawValue)] += 1 }
        }
        signals.add(signal, signalBefore - signals.used(signal))
    }
}
