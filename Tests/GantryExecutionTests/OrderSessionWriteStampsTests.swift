import GantryCore
@testable import GantryExecution
import Testing

@Suite("Order write stamps: when each order's bytes were written, kept only when asked for", .serialized)
struct OrderSessionWriteStampsTests {
    func stamps(_ h: BinanceSessionHarness) -> [OrderWriteStamp] {
        var out: [OrderWriteStamp] = []
        h.session.takeWriteStamps { out.append($0) }
        return out
    }

    @Test("a session that was not asked keeps no stamp; once asked, one stamp per order placed, taken between the submit and the venue's answer")
    func oneStampPerOrder() throws {
        let h = try BinanceSessionHarness()
        // Far above the book: each IOC sell expires.
        let first = h.approved(.sell, price: h.bestAsk + 100_000, quantity: "0.01")
        #expect(h.submit(first))
        #expect(h.pump { $0.reports(of: first.clientOrderId).contains { $0.status == .expired } })
        #expect(stamps(h).isEmpty, "off by default")

        h.session.stampWrites(capacity: 8)
        let second = h.approved(.sell, price: h.bestAsk + 100_000, quantity: "0.01")
        let submitted = MonotonicClock.now()
        #expect(h.submit(second))
        #expect(h.pump { $0.reports(of: second.clientOrderId).contains { $0.status == .expired } })
        let answered = MonotonicClock.now()
        let kept = stamps(h)
        #expect(kept.map(\.clientOrderId) == [second.clientOrderId])
        #expect(kept.allSatisfy { $0.writtenAt >= submitted && $0.writtenAt <= answered })
        #expect(stamps(h).isEmpty, "taken once")
        #expect(h.session.droppedWriteStamps == 0)
    }

    @Test("stamps beyond the capacity are counted, not kept, until they are taken")
    func capacity() throws {
        let h = try BinanceSessionHarness()
        h.session.stampWrites(capacity: 1)
        let a = h.approved(.sell, price: h.bestAsk + 100_000, quantity: "0.01")
        let b = h.approved(.sell, price: h.bestAsk + 100_000, quantity: "0.01")
        #expect(h.submit(a) && h.submit(b))
        #expect(h.pump { $0.stats.sent == 2 })
        #expect(stamps(h).map(\.clientOrderId) == [a.clientOrderId], "the first kept, in order")
        #expect(h.session.droppedWriteStamps == 1)
        let c = h.approved(.sell, price: h.bestAsk + 100_000, quantity: "0.01")
        #expect(h.submit(c))
        #expect(h.pump { $0.stats.sent == 3 })
        #expect(stamps(h).map(\.clientOrderId) == [c.clientOrderId], "room again once taken")
    }
}
