import GantryCore
@testable import GantryExecution
import GantryVenues
import Testing
@testable import VenueSim

@Suite("Order session against VenueSim's Bybit: orders on the trade stream, fills on the private stream, queries by REST", .serialized)
struct BybitOrderSessionTests {
    @Test("auth on both streams and the order and execution subscriptions make it ready; an IOC's fills, each once, then its final")
    func iocFills() throws { SessionScenarios.iocFills(try BybitSessionHarness()) }

    @Test("a reject (a 170xxx retCode) is final and reported once")
    func reject() throws { SessionScenarios.reject(try BybitSessionHarness()) }

    @Test("no answer and late fills: unknown until the REST query by orderLinkId reconciles it; the late fills booked once, then the final")
    func timeoutReconciled() throws { SessionScenarios.timeoutReconciled(try BybitSessionHarness()) }

    @Test("retCode 10006: not executed, the budget backs off, the order is sent again")
    func rateLimited() throws { SessionScenarios.rateLimited(try BybitSessionHarness()) }

    @Test("both streams drop with an order resting: unknown until queried after both are back")
    func dropInFlight() throws { SessionScenarios.dropInFlight(try BybitSessionHarness(), connections: 2) }

    @Test("the private stream alone drops with an order resting: unknown, the session not ready, until the stream is back and the order queried")
    func userStreamDrop() throws {
        let h = try BybitSessionHarness()
        let g = h.approved(.buy, price: SessionScenarios.below(h), quantity: "0.01", tif: .gtc)
        _ = h.submit(g)
        #expect(h.pump { $0.order(g.clientOrderId)?.state == .acknowledged })
        // The venue drops the private stream's connection only (the trade stream stays).
        for c in h.venue.clients where c.ws.requestTarget.hasPrefix("/v5/private") { c.gone = true }
        #expect(h.pump { $0.stats.reconnects == 1 })
        #expect(h.order(g.clientOrderId)?.state == .unknown && !h.isReady)
        #expect(h.pump(seconds: 5) { $0.order(g.clientOrderId)?.state == .acknowledged && $0.stats.reconciled == 1 && $0.isReady })
        // Fills flow again on the new stream: an IOC completes.
        let o = h.approved(.buy, price: SessionScenarios.through(h), quantity: "0.01")
        _ = h.submit(o)
        #expect(h.pump { $0.reports(of: o.clientOrderId).contains { $0.status == .filled } })
    }

    @Test("a query that finds no such order (an empty list) reconciles an unknown order as never executed")
    func neverReached() throws { SessionScenarios.neverReached(try BybitSessionHarness()) }
}
