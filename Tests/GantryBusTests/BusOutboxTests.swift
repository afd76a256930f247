import GantryCore
import Testing

@testable import GantryBus

@Suite("Bus outbox")
struct BusOutboxTests {
    @Test("a slot holds the largest event after its 16-byte header, rounded to 16 bytes (a FlowEvent holds Int128s)")
    func layout() {
        #expect(maximumPayload == MemoryLayout<RiskDecision>.size && maximumPayload == 120)
        #expect(BusOutbox.stride == 144)
        #expect(BusEventKind.allCases.map(\.payloadSize) == [64, 72, 120, 64, 32, 24, 64])
    }

    @Test("entries stay until confirmed, a rewind sends the unconfirmed again in order, and re-sends are counted as such")
    func rewindResends() {
        var outbox = BusOutbox(capacity: 8)
        for n in 1...6 as ClosedRange<UInt64> { outbox.append(marketEvent(n), sequence: n) }
        #expect(outbox.count == 6 && outbox.waiting == 6 && outbox.free == 2)
        #expect(outbox.markSent(4) == 0)
        outbox.confirmOldest()
        outbox.confirmOldest()
        #expect(outbox.inFlight == 2 && outbox.count == 4)
        outbox.rewind()  // the connection dropped with 3 and 4 in flight
        #expect(outbox.waiting == 4 && outbox.inFlight == 0)
        let again = (0..<outbox.waiting).map { outbox.entry(outbox.sent + $0).sequence }
        #expect(again == [3, 4, 5, 6])
        #expect(outbox.markSent(4) == 2)  // 3 and 4 went before, 5 and 6 did not
        let e = outbox.entry(outbox.sent - 1)
        #expect(e.kind == .market && e.payload.count == 64 && e.payload.load(as: MarketEvent.self).sequence == 6)
        for n in 7...10 as ClosedRange<UInt64> { outbox.append(control(n), sequence: n) }  // wraps around the 8 slots
        #expect(outbox.free == 0 && outbox.entry(outbox.filled - 1).kind == .control)
        #expect(outbox.entry(outbox.filled - 1).payload.load(as: ControlEvent.self).sequence == 10)
    }
}
