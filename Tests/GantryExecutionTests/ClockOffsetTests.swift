import GantryCore
@testable import GantryExecution
import GantryVenues
import Testing
import VenueSim

@Suite("The venue's clock offset: estimated from timed answers, the median of the last samples; signing on the venue's time", .serialized)
struct ClockOffsetTests {
    @Test("a sample is the venue's time minus the midpoint of send and receipt; the median shrugs off an outlier")
    func median() {
        var c = ClockOffset()
        let base = Nanos.seconds(1_700_000_000)
        /// A round trip of `rtt` ms sent at `base`, answered with the venue's time `base + venue` ms.
        func take(_ venue: Int64, rtt: Int64 = 10) -> Bool { c.add(venue: base + .milliseconds(venue), sent: base, received: base + .milliseconds(rtt)) }
        let first = take(2_005)
        #expect(first && c.estimate == .milliseconds(2_000))
        let more = [take(2_010), take(9_000)]
        #expect(more == [true, true] && c.estimate == .milliseconds(2_005), "the median of 2000, 2005, 8995")
        let refused = [take(0, rtt: 300), take(1_000_000)]
        #expect(refused == [false, false], "a round trip too slow to say anything; a timestamp that is not a clock")
        let none = c.add(venue: .zero, sent: base, received: base)
        #expect(!none && c.count == 3, "no timestamp")
        for _ in 0..<ClockOffset.window { _ = take(-495) }
        #expect(c.estimate == .milliseconds(-500), "old samples leave the window")
    }

    @Test("Binance with its clock 2 s ahead: the estimate converges near +2 s and signed orders pass a 1 s recvWindow; without the offset they are refused (-1021)")
    func binanceSkew() throws {
        let h = try BinanceSessionHarness()
        h.venue.faults.schedule(SimFault(kind: .clockSkew, start: .zero, duration: .seconds(3_600), milliseconds: 2_000))
        for _ in 0..<5 {
            let o = h.approved(.buy, price: SessionScenarios.through(h), quantity: "0.01")
            _ = h.submit(o)
            #expect(h.pump { $0.reports(of: o.clientOrderId).contains { $0.status == .filled } })
        }
        #expect(h.stats.clockSamples >= 5)
        #expect(abs(h.stats.clockOffset.raw - Nanos.milliseconds(2_000).raw) < Nanos.milliseconds(100).raw, "estimated \(h.stats.clockOffset.raw / 1_000_000) ms")
        // A 1 s window: the venue takes only timestamps within 1 s of its own clock.
        h.session.codec.receiveWindow = 1_000
        let on = h.approved(.buy, price: SessionScenarios.through(h), quantity: "0.01")
        _ = h.submit(on)
        #expect(h.pump { $0.reports(of: on.clientOrderId).contains { $0.status == .filled } }, "signed on the venue's time: accepted")
        // Forgetting the offset: the same order is 2 s behind the venue, outside the window.
        h.session.state.pointee.clock = ClockOffset()
        let off = h.approved(.buy, price: SessionScenarios.through(h), quantity: "0.01")
        _ = h.submit(off)
        #expect(h.pump { $0.reports(of: off.clientOrderId).contains { $0.status == .rejected } }, "signed on our clock: refused for the recvWindow")
    }
}
