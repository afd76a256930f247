import GantryCore
@testable import GantryExecution
import GantryVenues
import Testing
import VenueSim

@Suite("Order session against VenueSim's Binance WebSocket API: every order-state transition, driven by its faults", .serialized)
struct BinanceOrderSessionTests {
    @Test("an IOC through the ask: acknowledged, its fills published once each, then its final report after them")
    func iocFills() throws {
        let h = try BinanceSessionHarness()
        let o = h.approved(.buy, price: h.bestAsk + 500, quantity: "0.02")
        #expect(h.submit(o))
        #expect(h.pump { $0.reports(of: o.clientOrderId).contains { $0.status == .filled } })
        let rs = h.reports(of: o.clientOrderId)
        let fills = rs.filter { $0.lastQuantity.raw > 0 }
        #expect(!fills.isEmpty && fills.reduce(0) { $0 + $1.lastQuantity.raw } == Quantity("0.02", scale: 8).raw)
        #expect(rs.last?.status == .filled && rs.last?.cumulativeQuantity == Quantity("0.02", scale: 8), "the final comes after its fills")
        #expect(fills.allSatisfy { $0.fee > 0 })
        #expect(h.order(o.clientOrderId)?.state == .filled && h.stats.lastRoundTrip > .zero)
        // The same approval again is not a second order.
        #expect(!h.submit(o))
    }

    @Test("a partial fill, then the rest expires (IOC) or is cancelled (GTC): fills stay, the final says so")
    func partialThenCancel() throws {
        let h = try BinanceSessionHarness()
        h.venue.faults.inject(.partialFill)
        let o = h.approved(.buy, price: h.bestAsk + 500, quantity: "0.02")
        _ = h.submit(o)
        #expect(h.pump { $0.reports(of: o.clientOrderId).contains { $0.status == .expired } })
        let filled = h.reports(of: o.clientOrderId).reduce(0) { $0 + $1.lastQuantity.raw }
        #expect(filled > 0 && filled < Quantity("0.02", scale: 8).raw)
        #expect(h.order(o.clientOrderId)?.state == .expired)
        // A GTC resting below the market, then cancelled.
        let g = h.approved(.buy, price: h.bestBid - 1_000, quantity: "0.01", tif: .gtc)
        _ = h.submit(g)
        #expect(h.pump { $0.order(g.clientOrderId)?.state == .acknowledged })
        h.cancelAll()
        #expect(h.pump { $0.reports(of: g.clientOrderId).contains { $0.status == .canceled } })
        #expect(h.order(g.clientOrderId)?.state == .cancelled)
    }

    @Test("a reject is final and reported, so risk releases the order")
    func reject() throws {
        let h = try BinanceSessionHarness()
        h.venue.faults.inject(.reject)
        let o = h.approved(.buy, price: h.bestAsk + 500, quantity: "0.01")
        _ = h.submit(o)
        #expect(h.pump { $0.reports(of: o.clientOrderId).contains { $0.status == .rejected } })
        #expect(h.order(o.clientOrderId)?.state == .rejected && h.stats.rejected == 1)
    }

    @Test("no answer, but the user stream's fills: the order completes from the stream, nothing unknown")
    func noAnswerStreamFills() throws {
        let h = try BinanceSessionHarness()
        h.venue.faults.inject(.ackTimeout)
        let o = h.approved(.buy, price: h.bestAsk + 500, quantity: "0.01")
        _ = h.submit(o)
        #expect(h.pump { $0.reports(of: o.clientOrderId).contains { $0.status == .filled } })
        #expect(h.stats.unknown == 0 && h.order(o.clientOrderId)?.state == .filled)
    }

    @Test("no answer and no fills within the timeout: unknown, never failed; the query reconciles it; the late fills are booked once, then the final")
    func timeoutThenReconcile() throws {
        let h = try BinanceSessionHarness()
        h.venue.lateFillDelay = .milliseconds(1_200)
        h.venue.faults.inject(.ackTimeout)
        h.venue.faults.inject(.lateFill)
        let o = h.approved(.buy, price: h.bestAsk + 500, quantity: "0.01")
        _ = h.submit(o)
        #expect(h.pump { $0.stats.unknown == 1 })
        #expect(h.order(o.clientOrderId)?.state == .unknown)
        #expect(h.pump(seconds: 5) { $0.stats.reconciled == 1 && $0.reports(of: o.clientOrderId).contains { $0.status == .filled } })
        let rs = h.reports(of: o.clientOrderId)
        #expect(rs.reduce(0) { $0 + $1.lastQuantity.raw } == Quantity("0.01", scale: 8).raw, "booked once")
        #expect(rs.last?.status == .filled && rs.filter { $0.status == .filled }.count == 1)
        #expect(h.order(o.clientOrderId)?.reconciledFrom == .unknown && h.order(o.clientOrderId)?.state == .filled)
    }

    @Test("a duplicate fill report is ignored; a late fill after the answer is booked before the final report")
    func duplicateAndLate() throws {
        let h = try BinanceSessionHarness()
        h.venue.faults.inject(.duplicateReport)
        let o = h.approved(.buy, price: h.bestAsk + 500, quantity: "0.01")
        _ = h.submit(o)
        #expect(h.pump { $0.reports(of: o.clientOrderId).contains { $0.status == .filled } })
        _ = h.pump(seconds: 0.2) { _ in false }
        #expect(h.stats.duplicateFills >= 1)
        #expect(h.reports(of: o.clientOrderId).reduce(0) { $0 + $1.lastQuantity.raw } == Quantity("0.01", scale: 8).raw)
        h.venue.faults.inject(.lateFill)
        let late = h.approved(.buy, price: h.bestAsk + 500, quantity: "0.01")
        _ = h.submit(late)
        #expect(h.pump { $0.reports(of: late.clientOrderId).contains { $0.status == .filled } })
        let rs = h.reports(of: late.clientOrderId)
        #expect(rs.last?.status == .filled && rs.dropLast().allSatisfy { $0.lastQuantity.raw > 0 }, "fills first, then the final")
    }

    @Test("a disconnect with an order in flight: unknown, not failed; after the reconnect the venue is queried before it trades again")
    func disconnectInFlight() throws {
        let h = try BinanceSessionHarness()
        h.venue.faults.inject(.ackTimeout)
        let o = h.approved(.buy, price: h.bestAsk + 500, quantity: "0.01")
        _ = h.submit(o)
        #expect(h.pump { $0.reports(of: o.clientOrderId).contains { $0.status == .filled } })
        // A resting GTC is in flight (acknowledged) when the connection drops.
        let g = h.approved(.buy, price: h.bestBid - 1_000, quantity: "0.01", tif: .gtc)
        _ = h.submit(g)
        #expect(h.pump { $0.order(g.clientOrderId)?.state == .acknowledged })
        h.venue.faults.inject(.disconnect)
        let next = h.approved(.buy, price: h.bestAsk + 500, quantity: "0.01")
        #expect(h.pump { $0.stats.reconnects >= 1 })
        #expect(h.order(g.clientOrderId)?.state == .unknown, "unknown, not failed")
        _ = h.submit(next)
        // Reconnected: the unknown order is queried (still resting: acknowledged) before the next order goes.
        #expect(h.pump(seconds: 5) { $0.stats.reconciled >= 1 || $0.order(g.clientOrderId)?.state == .acknowledged })
        #expect(h.pump(seconds: 5) { $0.reports(of: next.clientOrderId).contains { $0.status == .filled } })
        #expect(h.order(g.clientOrderId)?.state == .acknowledged)
        // The first order's fills were booked once, before the drop.
        #expect(h.reports(of: o.clientOrderId).reduce(0) { $0 + $1.lastQuantity.raw } == Quantity("0.01", scale: 8).raw)
    }

    @Test("fills lost with a dropped connection are backfilled from the venue's trade history, once each, before the final")
    func dropLosesFillsBackfilled() throws {
        let h = try BinanceSessionHarness()
        // The order executes; its answer never comes and its stream reports are held back, then the connection
        // drops: they are lost with it.
        h.venue.lateFillDelay = .milliseconds(400)
        h.venue.faults.inject(.ackTimeout)
        h.venue.faults.inject(.lateFill)
        let o = h.approved(.buy, price: h.bestAsk + 500, quantity: "0.01")
        _ = h.submit(o)
        #expect(h.pump(seconds: 0.2) { _ in false } == false)
        h.venue.faults.inject(.disconnect)
        #expect(h.pump { $0.stats.reconnects >= 1 })
        #expect(h.pump(seconds: 8) { $0.reports(of: o.clientOrderId).contains { $0.status == .filled } })
        let rs = h.reports(of: o.clientOrderId)
        #expect(rs.reduce(0) { $0 + $1.lastQuantity.raw } == Quantity("0.01", scale: 8).raw, "every fill once")
        #expect(rs.last?.status == .filled && h.stats.backfilledFills >= 1 && h.stats.reconciled >= 1)
        // Their prices and fees are the venue's: the account's balance moved by exactly what was reported.
        let quote = h.venue.ledger.balance(1, "USDT").total
        let base = h.venue.ledger.balance(1, "BTC").total
        let paid = rs.reduce(Int64(0)) { $0 + $1.price.raw * $1.lastQuantity.raw + $1.fee }
        #expect(base == 2 * 100_000_000 + Quantity("0.01", scale: 8).raw)
        #expect(quote == 300_000 * 10_000_000_000 - paid)
    }

    @Test("a rate-limit answer: the order is not executed, the budget backs off, cancels still go first, then it is sent again")
    func rateLimit() throws {
        let h = try BinanceSessionHarness()
        h.venue.faults.inject(.rateLimit)
        let o = h.approved(.buy, price: h.bestAsk + 500, quantity: "0.01")
        _ = h.submit(o)
        #expect(h.pump { $0.stats.rateLimited == 1 })
        #expect(h.pump(seconds: 4) { $0.reports(of: o.clientOrderId).contains { $0.status == .filled } })
    }
}
