import GantryCore
import GantryExecution
import Testing

@Suite("Rate budget: one per venue, priority lanes, back-off on 429")
struct RateBudgetTests {
    @Test("cancels and flattening go before hedge legs, hedge legs before new orders; the bucket refills at its rate")
    func lanes() {
        var b = RateBudget<Int>(perSecond: 3, now: .zero)
        #expect(b.enqueue(1, lane: .entry) && b.enqueue(2, lane: .hedge) && b.enqueue(3, lane: .flatten) && b.enqueue(4, lane: .entry))
        #expect(b.next(now: .zero) == 3 && b.next(now: .zero) == 2 && b.next(now: .zero) == 1)
        #expect(b.next(now: .zero) == nil, "3 a second: the burst is spent")
        #expect(b.next(now: .milliseconds(300)) == nil)
        #expect(b.next(now: .milliseconds(334)) == 4)
        #expect(b.queued == 0)
    }

    @Test("after a 429 only cancels and flattening trickle out until the retry time; then new orders go again")
    func backoff() {
        var b = RateBudget<Int>(perSecond: 100, backoffTrickle: .milliseconds(100), now: .zero)
        _ = b.enqueue(10, lane: .entry)
        _ = b.enqueue(20, lane: .flatten)
        _ = b.enqueue(21, lane: .flatten)
        b.backOff(until: .seconds(1))
        #expect(b.next(now: .milliseconds(100)) == 20)
        #expect(b.next(now: .milliseconds(150)) == nil, "one cancel per 100 ms while backing off")
        #expect(b.next(now: .milliseconds(200)) == 21)
        #expect(b.next(now: .milliseconds(500)) == nil, "new orders wait for the retry time")
        #expect(b.next(now: .seconds(1)) == 10)
        #expect(b.backoffs == 1)
    }

    @Test("a full lane refuses, and counts it")
    func overflow() {
        var b = RateBudget<Int>(perSecond: 1, laneCapacity: 2, now: .zero)
        #expect(b.enqueue(1, lane: .entry) && b.enqueue(2, lane: .entry))
        #expect(!b.enqueue(3, lane: .entry) && b.overflows == 1)
        let hedge = b.enqueue(3, lane: .hedge)
        #expect(hedge)
    }
}
