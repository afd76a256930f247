import GantryCore
import GantryNet
import Testing

@Suite("Reconnect backoff and heartbeats")
struct ReconnectTests {
    @Test("delays stay within an exponentially growing cap, up to the maximum")
    func exponentialWithJitter() {
        var b = Backoff(initial: .milliseconds(100), maximum: .seconds(5), seed: 42)
        var caps: [Nanos] = []
        for _ in 0..<10 {
            let cap = b.currentCap
            caps.append(cap)
            let d = b.nextDelay()
            #expect(d >= .zero && d <= cap)
        }
        #expect(caps.prefix(7).map(\.raw) == [100, 200, 400, 800, 1_600, 3_200, 5_000].map { $0 * 1_000_000 })
        #expect(caps.last == .seconds(5))
    }

    @Test("jitter spreads delays: two connections with different seeds do not retry in lockstep")
    func jitterSpreads() {
        var a = Backoff(initial: .seconds(1), maximum: .seconds(1), seed: 1)
        var b = Backoff(initial: .seconds(1), maximum: .seconds(1), seed: 2)
        let da = (0..<50).map { _ in a.nextDelay() }
        let db = (0..<50).map { _ in b.nextDelay() }
        #expect(da != db)
        #expect(Set(da).count > 40)
        let mean = da.map(\.raw).reduce(0, +) / 50
        #expect(mean > 250_000_000 && mean < 750_000_000)  // uniform on [0, 1 s]
    }

    @Test("a healthy connection resets the backoff; a short-lived one does not")
    func reset() {
        var b = Backoff(initial: .milliseconds(100), maximum: .seconds(30), healthyAfter: .seconds(60), seed: 7)
        for _ in 0..<5 { _ = b.nextDelay() }
        b.connectionEnded(uptime: .seconds(2))
        #expect(b.attempt == 5)
        b.connectionEnded(uptime: .seconds(61))
        #expect(b.attempt == 0)
        #expect(b.currentCap == .milliseconds(100))
    }

    @Test("silence leads to a ping, then to stale; traffic keeps the connection fresh")
    func heartbeat() {
        var h = Heartbeat(pingInterval: .seconds(5), staleAfter: .seconds(15), now: .zero)
        #expect(h.check(now: .seconds(4)) == .none)
        #expect(h.check(now: .seconds(5)) == .sendPing)
        #expect(h.check(now: .seconds(6)) == .none)  // one ping per interval
        #expect(h.check(now: .seconds(10)) == .sendPing)
        h.received(at: .seconds(11))
        #expect(h.check(now: .seconds(12)) == .none)
        #expect(h.check(now: .seconds(25)) == .sendPing)
        #expect(h.check(now: .seconds(26)) == .stale)
    }
}
