import Testing
import GantryCore

@Suite("Clocks")
struct ClockTests {
    @Test("the monotonic clock never goes backwards")
    func monotonic() {
        var last = MonotonicClock.now()
        for _ in 0..<10_000 {
            let now = MonotonicClock.now()
            #expect(now >= last)
            last = now
        }
    }

    @Test("the wall clock reads nanoseconds since the epoch")
    func wall() {
        let now = WallClock.now()
        #expect(now > Nanos.seconds(1_700_000_000))  // after November 2023
    }

    @Test("a manual clock moves only when told")
    func manual() {
        let clock = ManualClock(start: .seconds(5))
        #expect(clock.now() == .seconds(5))
        clock.advance(by: .milliseconds(1))
        #expect(clock.now() == Nanos(raw: 5_001_000_000))
        clock.set(.zero)
        #expect(clock.now() == .zero)
    }
}
