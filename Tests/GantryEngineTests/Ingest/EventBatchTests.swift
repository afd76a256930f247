import GantryCore
import GantryEngine
import Testing

@Suite("Event batch: a message's events and its timestamps")
struct EventBatchTests {
    static func level(_ price: Int64, sequence: UInt64) -> MarketEvent {
        MarketEvent(
            kind: .levelChange, side: .buy, venue: VenueId(raw: 2), instrument: InstrumentId(raw: 7), sequence: sequence,
            price: Price(raw: price), quantity: Quantity(raw: 1), exchangeTime: Nanos(raw: 1_700_000_000_000_000_000),
            receiveTime: Nanos(raw: 500))
    }

    @Test("a message ends with one messageTimes event: the only one flagged endOfMessage, with the last event's ids and times")
    func endsWithItsTimes() {
        var batch = EventBatch(capacity: 8)
        batch.append(Self.level(100, sequence: 41))
        batch.append(Self.level(101, sequence: 42))
        batch.endMessage(decodedAt: Nanos(raw: 900))
        batch.endMessage(decodedAt: Nanos(raw: 950))  // ended already: nothing more
        #expect(batch.count == 3)
        let times = batch.buffer[2]
        #expect(times.kind == .messageTimes && times.flags == .endOfMessage)
        #expect(times.venue == VenueId(raw: 2) && times.instrument == InstrumentId(raw: 7) && times.sequence == 42)
        #expect(times.receiveTime == Nanos(raw: 500) && times.exchangeTime == Nanos(raw: 1_700_000_000_000_000_000))
        #expect(times.decodedTime == Nanos(raw: 900) && times.publishedTime == .zero)
        #expect(batch.buffer.prefix(2).allSatisfy { !$0.flags.contains(.endOfMessage) })
    }

    @Test("a message with no events gets no times; a batch that fills up grows, losing nothing, with room for its times")
    func emptyAndFull() {
        var batch = EventBatch(capacity: 4)
        batch.endMessage(decodedAt: Nanos(raw: 1))
        #expect(batch.count == 0)
        for p in 0..<6 { batch.append(Self.level(Int64(p), sequence: 1)) }
        #expect(batch.count == 6 && batch.capacity == 8 && batch.growths == 1)
        #expect(batch.buffer.map(\.price.raw) == [0, 1, 2, 3, 4, 5])
        batch.endMessage(decodedAt: Nanos(raw: 2))
        #expect(batch.count == 7 && batch.buffer[6].kind == .messageTimes && batch.buffer[6].flags.contains(.endOfMessage))
        batch.removeAll()
        for p in 0..<7 { batch.append(Self.level(Int64(p), sequence: 2)) }
        batch.endMessage(decodedAt: Nanos(raw: 3))
        #expect(batch.count == 8 && batch.growths == 1, "a grown batch keeps its room")
        // Appending after the end (the times in the last slot) grows the batch rather than writing past it.
        var small = EventBatch(capacity: 2)
        small.append(Self.level(1, sequence: 1))
        small.endMessage(decodedAt: Nanos(raw: 4))
        #expect(small.count == 2 && small.capacity == 2)
        small.append(Self.level(2, sequence: 2))
        #expect(small.count == 3 && small.capacity == 4 && small.buffer.map(\.kind) == [.levelChange, .messageTimes, .levelChange])
    }

    @Test("a replay compares a messageTimes event's ids and kernel time, not the run's own stamps")
    func sameEventIgnoresStageTimes() {
        var a = MarketEvent(kind: .messageTimes, venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), flags: .endOfMessage, sequence: 9, receiveTime: Nanos(raw: 5))
        var b = a
        a.decodedTime = Nanos(raw: 10)
        a.publishedTime = Nanos(raw: 20)
        b.decodedTime = Nanos(raw: 30)
        #expect(sameEvent(a, b))
        b.receiveTime = Nanos(raw: 6)
        #expect(!sameEvent(a, b))
        // Other kinds keep price and quantity there, and those are compared.
        #expect(!sameEvent(Self.level(100, sequence: 1), Self.level(101, sequence: 1)))
    }
}
