import GantryCore
@testable import GantryExecution
import GantryVenues
import Testing
import VenueSim

@Suite("Order session against VenueSim's OKX private WebSocket (login, orders channel) and REST queries", .serialized)
struct OKXOrderSessionTests {
    @Test("login and the orders channel make it ready; an IOC fills, its fills then its final are published")
    func iocFills() throws {
        let h = try OKXSessionHarness()
        let o = h.approved(.buy, price: h.bestAsk + 50, quantity: "0.02")
        #expect(h.submit(o))
        #expect(h.pump { $0.reports(of: o.clientOrderId).contains { $0.status == .filled } })
        let rs = h.reports(of: o.clientOrderId)
        #expect(rs.reduce(0) { $0 + $1.lastQuantity.raw } == Quantity("0.02", scale: 8).raw && rs.last?.status == .filled)
    }

    @Test("a reject is final; a timeout is reconciled through a REST query")
    func rejectAndReconcile() throws {
        let h = try OKXSessionHarness()
        h.venue.faults.inject(.reject)
        let r = h.approved(.buy, price: h.bestAsk + 50, quantity: "0.01")
        _ = h.submit(r)
        #expect(h.pump { $0.reports(of: r.clientOrderId).contains { $0.status == .rejected } })
        h.venue.lateFillDelay = .milliseconds(1_200)
        h.venue.faults.inject(.ackTimeout)
        h.venue.faults.inject(.lateFill)
        let o = h.approved(.buy, price: h.bestAsk + 50, quantity: "0.01")
        _ = h.submit(o)
        #expect(h.pump { $0.stats.unknown == 1 })
        #expect(h.pump(seconds: 5) { $0.stats.reconciled == 1 && $0.reports(of: o.clientOrderId).contains { $0.status == .filled } })
        #expect(h.reports(of: o.clientOrderId).reduce(0) { $0 + $1.lastQuantity.raw } == Quantity("0.01", scale: 8).raw)
    }
}
