import GantryCore
@testable import GantryExecution
import GantryVenues
import Testing
import VenueSim

@Suite("Order session against VenueSim's Kraken WebSocket v2: the REST token first, executions and orders on one connection, REST queries", .serialized)
struct KrakenOrderSessionTests {
    @Test("the token, then the executions subscription make it ready; an IOC's fills, each once, then its final")
    func iocFills() throws { SessionScenarios.iocFills(try KrakenSessionHarness()) }

    @Test("a reject (Kraken's error text) is final and reported once")
    func reject() throws { SessionScenarios.reject(try KrakenSessionHarness()) }

    @Test("no answer and late executions: unknown until a REST query reconciles it; the late fills booked once, then the final")
    func timeoutReconciled() throws { SessionScenarios.timeoutReconciled(try KrakenSessionHarness()) }

    @Test("EOrder:Rate limit exceeded: not executed, the budget backs off, the order is sent again")
    func rateLimited() throws { SessionScenarios.rateLimited(try KrakenSessionHarness()) }

    @Test("the connection drops with an order resting: unknown until QueryOrders answers after a fresh token and subscription")
    func dropInFlight() throws { SessionScenarios.dropInFlight(try KrakenSessionHarness()) }

    @Test("an order Kraken never had (refused, its answer lost): no txid, so looked for by cl_ord_id in OpenOrders then ClosedOrders; in neither, reconciled as never executed")
    func neverReached() throws { SessionScenarios.neverReached(try KrakenSessionHarness()) }
}
