import Glibc
import GantryCore
@testable import GantryExecution
import GantryVenues
import Testing
import VenueSim

/// The dead-man's switch scenarios, for any venue that has one: armed once ready, refreshed every third of its
/// timeout (so a resting order outlives the timeout while Gantry lives), and fired by the venue itself once the
/// session stops refreshing.
enum DeadManScenarios {
    /// Armed and refreshed: a resting GTC order stays while the session refreshes for twice the timeout; then the
    /// session is no longer polled (Gantry "dies"), and the venue cancels the order by itself after the timeout; once
    /// polled again the session reports the order cancelled.
    static func firesWhenNotRefreshed<S>(_ h: SessionHarness<S>, timeout: Int) {
        h.session.deadManTimeout = timeout
        #expect(h.pump { $0.stats.deadManArmed >= 1 }, "armed once ready")
        let g = h.approved(.buy, price: SessionScenarios.below(h), quantity: "0.01", tif: .gtc)
        _ = h.submit(g)
        #expect(h.pump { $0.order(g.clientOrderId)?.state == .acknowledged })
        // Alive: refreshed every timeout/3, so nothing fires over twice the timeout.
        let armed = h.stats.deadManArmed
        h.pump(seconds: 2 * Double(timeout)) { _ in false }
        #expect(h.stats.deadManArmed >= armed + 4, "refreshed about every third of the timeout")
        #expect(h.venue.stats.cancelAfterFired == 0 && h.order(g.clientOrderId)?.state == .acknowledged)
        #expect(h.stats.deadManRefused == 0)
        // Dead: only the venue runs.
        let deadline = MonotonicClock.now() + .milliseconds(Int64(timeout) * 1_000 + 1_500)
        while MonotonicClock.now() < deadline && h.venue.stats.cancelAfterFired == 0 {
            _ = h.sim.poll()
            usleep(1_000)
        }
        #expect(h.venue.stats.cancelAfterFired == 1, "the venue fired the switch")
        #expect(h.pump { $0.reports(of: g.clientOrderId).contains { $0.status == .canceled } }, "the venue's cancel reaches the session")
        #expect(h.order(g.clientOrderId)?.state == .cancelled)
    }
}

@Suite("Order session: the venue's dead-man's switch, armed after login, refreshed, fired by VenueSim when not refreshed", .serialized)
struct OrderSessionDeadManTests {
    @Test("Kraken: cancel_all_orders_after armed once ready and refreshed; not refreshed, Kraken cancels the resting GTC order")
    func kraken() throws { DeadManScenarios.firesWhenNotRefreshed(try KrakenSessionHarness(), timeout: 1) }

    @Test("OKX: cancel-all-after armed once ready and refreshed; not refreshed, OKX cancels the resting GTC order")
    func okx() throws {
        let h = try OKXSessionHarness()
        // OKX takes 10 to 120 s; the simulator's minimum is lowered so that the test need not wait that long.
        h.venue.okx.cancelAfterMinimum = 1
        DeadManScenarios.firesWhenNotRefreshed(h, timeout: 2)
    }

    @Test("OKX refuses a timeOut outside 0 or 10 to 120 s: the refusal is counted, nothing is armed, orders still trade")
    func okxRefusal() throws {
        let h = try OKXSessionHarness()
        h.session.deadManTimeout = 5
        #expect(h.pump { $0.stats.deadManRefused >= 1 })
        #expect(h.stats.deadManArmed == 0 && h.venue.stats.cancelAfterRequests == 0)
        let o = h.approved(.buy, price: SessionScenarios.through(h), quantity: "0.01")
        _ = h.submit(o)
        #expect(h.pump { $0.reports(of: o.clientOrderId).contains { $0.status == .filled } })
    }

    @Test("Kraken takes less than 86,400 s: a timeout of a day is refused before it is sent, and counted")
    func krakenRefusal() throws {
        let h = try KrakenSessionHarness()
        h.session.deadManTimeout = 86_400
        #expect(h.pump { $0.stats.deadManRefused >= 1 })
        #expect(h.stats.deadManArmed == 0)
    }

    @Test("a venue without a switch (Binance spot): the timeout is ignored, nothing is sent")
    func binanceNone() throws {
        let h = try BinanceSessionHarness()
        h.session.deadManTimeout = 60
        h.pump(seconds: 0.3) { _ in false }
        #expect(h.stats.deadManArmed == 0 && h.stats.deadManRefused == 0 && h.isReady)
    }
}
