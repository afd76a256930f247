import GantryCore
@testable import GantryExecution
import GantryVenues
import Testing
import VenueSim

/// The order-state transitions every venue's session must show against VenueSim, driven by its faults; each venue's
/// suite runs them on its own harness.
enum SessionScenarios {
    /// Five whole units of the quote above the best ask: an IOC buy at this price fills at once.
    static func through<S>(_ h: SessionHarness<S>) -> Int64 { h.bestAsk + 5 * pow10(h.priceScale) }
    /// Ten units below the best bid: a GTC buy there rests.
    static func below<S>(_ h: SessionHarness<S>) -> Int64 { h.bestBid - 10 * pow10(h.priceScale) }

    static func pow10(_ n: Int) -> Int64 { (0..<n).reduce(1) { p, _ in p * 10 } }

    static func total(_ rs: [OrderReport]) -> Int64 { rs.reduce(0) { $0 + $1.lastQuantity.raw } }

    /// An IOC through the ask: its fills, each published once and each with its fee, then its one final report.
    static func iocFills<S>(_ h: SessionHarness<S>) {
        let o = h.approved(.buy, price: through(h), quantity: "0.02")
        #expect(h.submit(o))
        #expect(h.pump { $0.reports(of: o.clientOrderId).contains { $0.status == .filled } })
        // Anything sent twice would arrive meanwhile.
        _ = h.pump(seconds: 0.2) { _ in false }
        let rs = h.reports(of: o.clientOrderId)
        let fills = rs.filter { $0.lastQuantity.raw > 0 }
        #expect(!fills.isEmpty && total(fills) == Quantity("0.02", scale: 8).raw, "each fill once")
        #expect(fills.allSatisfy { $0.fee > 0 && $0.price.raw > 0 && $0.price.raw <= o.price.raw })
        #expect(rs.last?.status == .filled && rs.filter { $0.status == .filled }.count == 1 && rs.dropLast().allSatisfy { $0.lastQuantity.raw > 0 }, "the fills, then the final")
        #expect(h.order(o.clientOrderId)?.state == .filled && h.stats.unknown == 0 && h.stats.lastRoundTrip > .zero)
    }

    /// The venue refuses the order: final, reported once, so that risk releases it.
    static func reject<S>(_ h: SessionHarness<S>) {
        h.venue.faults.inject(.reject)
        let o = h.approved(.buy, price: through(h), quantity: "0.01")
        _ = h.submit(o)
        #expect(h.pump { $0.reports(of: o.clientOrderId).contains { $0.status == .rejected } })
        _ = h.pump(seconds: 0.1) { _ in false }
        #expect(h.order(o.clientOrderId)?.state == .rejected && h.stats.rejected == 1 && h.reports(of: o.clientOrderId).count == 1)
        #expect(h.isReady, "a refusal does not stop the venue")
    }

    /// No answer, and the fills late (after the answer timeout): unknown, never failed; a query reconciles it; the
    /// late fills are booked once, then the one final.
    static func timeoutReconciled<S>(_ h: SessionHarness<S>) {
        h.venue.lateFillDelay = .milliseconds(1_200)
        h.venue.faults.inject(.ackTimeout)
        h.venue.faults.inject(.lateFill)
        let o = h.approved(.buy, price: through(h), quantity: "0.01")
        _ = h.submit(o)
        #expect(h.pump { $0.stats.unknown == 1 })
        #expect(h.order(o.clientOrderId)?.state == .unknown && !h.isReady, "unknown, and the venue takes no new order meanwhile")
        #expect(h.pump(seconds: 6) { $0.stats.reconciled == 1 && $0.reports(of: o.clientOrderId).contains { $0.status == .filled } })
        _ = h.pump(seconds: 0.2) { _ in false }
        let rs = h.reports(of: o.clientOrderId)
        #expect(total(rs) == Quantity("0.01", scale: 8).raw, "booked once")
        #expect(rs.last?.status == .filled && rs.filter { $0.status == .filled }.count == 1)
        #expect(h.order(o.clientOrderId)?.state == .filled && h.isReady)
    }

    /// The venue's rate-limit answer: not executed, the budget backs off, the order is sent again and fills.
    static func rateLimited<S>(_ h: SessionHarness<S>) {
        h.venue.faults.inject(.rateLimit)
        let o = h.approved(.buy, price: through(h), quantity: "0.01")
        _ = h.submit(o)
        #expect(h.pump { $0.stats.rateLimited == 1 })
        #expect(h.order(o.clientOrderId)?.state != .rejected && h.reports(of: o.clientOrderId).isEmpty, "not a refusal: nothing reported")
        #expect(h.pump(seconds: 4) { $0.reports(of: o.clientOrderId).contains { $0.status == .filled } })
        #expect(h.stats.sent == 2 && total(h.reports(of: o.clientOrderId)) == Quantity("0.01", scale: 8).raw)
    }

    /// Every connection drops (VenueSim's disconnect) with a resting order: unknown, not failed, until the
    /// reconnected session queries it; only then does the venue trade again.
    static func dropInFlight<S>(_ h: SessionHarness<S>, connections: Int = 1) {
        let g = h.approved(.buy, price: below(h), quantity: "0.01", tif: .gtc)
        _ = h.submit(g)
        #expect(h.pump { $0.order(g.clientOrderId)?.state == .acknowledged })
        h.venue.faults.inject(.disconnect)
        #expect(h.pump { $0.stats.reconnects >= connections })
        #expect(h.order(g.clientOrderId)?.state == .unknown && !h.isReady, "unknown, not failed")
        let next = h.approved(.buy, price: through(h), quantity: "0.01")
        _ = h.submit(next)
        #expect(h.pump(seconds: 6) { $0.order(g.clientOrderId)?.state == .acknowledged && $0.stats.reconciled == 1 })
        #expect(h.pump(seconds: 5) { $0.reports(of: next.clientOrderId).contains { $0.status == .filled } })
        #expect(h.reports(of: g.clientOrderId).isEmpty && h.isReady, "still resting: nothing to report")
    }

    /// The venue refuses the order and its answer is lost: unknown at the timeout; the venue's answer to the query
    /// is that it has no such order, so it is reconciled as never executed (reported rejected once) and the venue
    /// trades again.
    static func neverReached<S>(_ h: SessionHarness<S>) {
        h.venue.faults.inject(.reject)
        h.venue.faults.inject(.ackTimeout)
        let o = h.approved(.buy, price: through(h), quantity: "0.01")
        _ = h.submit(o)
        #expect(h.pump { $0.stats.unknown == 1 })
        #expect(h.pump(seconds: 5) { $0.stats.reconciled == 1 && $0.isReady })
        #expect(h.order(o.clientOrderId)?.state == .rejected && h.order(o.clientOrderId)?.reconciledFrom == .unknown)
        #expect(h.reports(of: o.clientOrderId).map(\.status) == [.rejected])
    }
}
