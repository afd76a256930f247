import GantryCore
import GantryOps
import Testing

/// The alert rules on synthetic inputs: each fires when provoked, resolves when its cause is gone long enough,
/// and does not flap.
@Suite("The alert engine's rules and hysteresis")
struct AlertEngineTests {
    static func engine(_ edit: (inout AlertConfiguration) -> Void = { _ in }) -> AlertEngine {
        var c = AlertConfiguration()
        c.resolveAfter = .seconds(5)
        edit(&c)
        return AlertEngine(configuration: c)
    }

    static func at(_ seconds: Int64) -> Nanos { .seconds(1_000 + seconds) }

    /// A sample with two live books, one pair without drawdown, an empty queue, a quiet journal.
    static func calm() -> AlertEngine.Sample {
        var s = AlertEngine.Sample()
        s.books = [("okx BTC-USDT", .milliseconds(40)), ("bybit BTCUSDT", .milliseconds(20))]
        s.pairDrawdowns = [("BTC/USDT", 0)]
        s.journal = .init(records: 10, dropped: 0, failures: 0, largestBacklog: 5)
        return s
    }

    @Test("calm figures fire nothing")
    func calmIsQuiet() {
        var e = Self.engine()
        for t in 0..<20 { #expect(e.evaluate(Self.calm(), now: Self.at(Int64(t))).isEmpty) }
        #expect(e.firing.isEmpty)
    }

    @Test("an order round trip over 5 × the venue's median (and over the floor) fires venue_latency_spike for that venue; normal ones resolve it after resolve_after")
    func latencySpike() {
        var e = Self.engine()
        for _ in 0..<10 { e.roundTrip(venue: "okx", nanos: 2_000_000) }
        #expect(e.evaluate(Self.calm(), now: Self.at(0)).isEmpty)
        e.roundTrip(venue: "okx", nanos: 9_000_000)  // 4.5 × the median: not a spike
        #expect(e.evaluate(Self.calm(), now: Self.at(1)).isEmpty)
        e.roundTrip(venue: "okx", nanos: 30_000_000)
        let fired = e.evaluate(Self.calm(), now: Self.at(2))
        #expect(fired.count == 1 && fired[0].firing && fired[0].alert.rule == .latencySpike && fired[0].alert.subject == "okx")
        #expect(fired[0].alert.text.contains("30.000 ms") && fired[0].alert.text.contains("15.0 ×"), "\(fired[0].alert.text)")
        e.roundTrip(venue: "okx", nanos: 2_000_000)
        #expect(e.evaluate(Self.calm(), now: Self.at(3)).isEmpty, "not resolved at once")
        let resolved = e.evaluate(Self.calm(), now: Self.at(8))
        #expect(resolved.count == 1 && !resolved[0].firing && resolved[0].alert.rule == .latencySpike)
    }

    @Test("a round trip under the floor is never a spike, whatever the median")
    func latencyFloor() {
        var e = Self.engine()
        for _ in 0..<10 { e.roundTrip(venue: "binance", nanos: 100_000) }
        e.roundTrip(venue: "binance", nanos: 4_000_000)  // 40 × the median, under 5 ms
        #expect(e.evaluate(Self.calm(), now: Self.at(0)).isEmpty)
    }

    @Test("live fills drifting from the paper trader's prices over the last N orders fire prediction_drift; fewer orders do not")
    func drift() {
        var e = Self.engine { $0.driftOrders = 5 }
        for _ in 0..<4 { e.drift(venue: "okx", centiBasisPoints: 2_500) }
        #expect(e.evaluate(Self.calm(), now: Self.at(0)).isEmpty, "four orders are not enough")
        e.drift(venue: "okx", centiBasisPoints: 2_500)
        let fired = e.evaluate(Self.calm(), now: Self.at(1))
        #expect(fired.map(\.alert.rule) == [.predictionDrift] && fired[0].alert.text.contains("25.00 bp worse"))
        #expect(e.drift.first?.meanCentiBasisPoints == 2_500)
        for _ in 0..<5 { e.drift(venue: "okx", centiBasisPoints: 100) }
        _ = e.evaluate(Self.calm(), now: Self.at(2))
        #expect(e.evaluate(Self.calm(), now: Self.at(8)).map(\.firing) == [false])
    }

    @Test("the strategies' drawdowns summed on one pair beyond the limit fire pair_drawdown for that pair")
    func pairDrawdown() {
        var e = Self.engine { $0.pairDrawdownCents = 50_000 }
        var s = Self.calm()
        s.pairDrawdowns = [("BTC/USDT", 49_999), ("ETH/USDT", 50_000)]
        let fired = e.evaluate(s, now: Self.at(0))
        #expect(fired.count == 1 && fired[0].alert.subject == "ETH/USDT" && fired[0].alert.rule == .pairDrawdown)
    }

    @Test("an order queue rising over the whole window fires order_queue_growth; one that falls in between does not")
    func queueGrowth() {
        var e = Self.engine { $0.queueWindow = .seconds(5); $0.queueGrowth = 10 }
        var s = Self.calm()
        var fired: [AlertTransition] = []
        for t in 0...5 {
            s.orderQueue = t * 3
            fired += e.evaluate(s, now: Self.at(Int64(t)))
        }
        #expect(fired.map(\.alert.rule) == [.orderQueueGrowth], "0 → 15 over 5 s")
        var f = Self.engine { $0.queueWindow = .seconds(5); $0.queueGrowth = 10 }
        var quiet: [AlertTransition] = []
        for (t, q) in [0, 5, 2, 8, 12, 14].enumerated() {
            s.orderQueue = q
            quiet += f.evaluate(s, now: Self.at(Int64(t)))
        }
        #expect(quiet.isEmpty, "it fell in between")
    }

    @Test("a book not updated within max_book_age, or stale, fires stale_book for that book only")
    func staleBook() {
        var e = Self.engine { $0.maxBookAge = .seconds(10) }
        var s = Self.calm()
        s.books = [("okx BTC-USDT", .seconds(11)), ("bybit BTCUSDT", nil), ("binance BTCUSDT", .seconds(1))]
        let fired = e.evaluate(s, now: Self.at(0))
        #expect(fired.map(\.alert.subject) == ["bybit BTCUSDT", "okx BTC-USDT"] && fired.allSatisfy { $0.alert.rule == .staleBook })
        #expect(e.firingCount(.staleBook) == 2)
    }

    @Test("the journal dropping records, failing a write or growing its backlog past the limit fires journal_lag")
    func journalLag() {
        for change in [
            AlertEngine.Sample.Journal(records: 20, dropped: 3, failures: 0, largestBacklog: 5),
            .init(records: 20, dropped: 0, failures: 1, largestBacklog: 5), .init(records: 20, dropped: 0, failures: 0, largestBacklog: 200_000),
        ] {
            var e = Self.engine()
            #expect(e.evaluate(Self.calm(), now: Self.at(0)).isEmpty)
            var s = Self.calm()
            s.journal = change
            #expect(e.evaluate(s, now: Self.at(1)).map(\.alert.rule) == [.journalLag], "\(change)")
        }
    }

    @Test("a failed sanity check fires sanity_check_failed, critical, until it is acknowledged")
    func failedCheck() {
        var e = Self.engine { $0.resolveAfter = .zero }
        var s = Self.calm()
        s.failedCheck = "balances okx BTC: balance moved 0.5, fills say 0"
        let fired = e.evaluate(s, now: Self.at(0))
        #expect(fired.count == 1 && fired[0].alert.rule == .sanityCheck && fired[0].alert.rule.severity == "critical")
        #expect(fired[0].json(wallMilliseconds: 42).contains(#""alert":"sanity_check_failed","subject":"","state":"firing","severity":"critical""#))
        #expect(e.evaluate(s, now: Self.at(1)).isEmpty, "it fires once")
        #expect(e.evaluate(Self.calm(), now: Self.at(2)).map(\.firing) == [false])
        #expect(e.fired[.sanityCheck] == 1)
    }

    @Test("hysteresis: a condition that comes and goes faster than resolve_after fires once and stays firing; fire_after holds a brief one back")
    func noFlapping() {
        var e = Self.engine { $0.maxBookAge = .seconds(10); $0.resolveAfter = .seconds(5) }
        var stale = Self.calm()
        stale.books = [("okx BTC-USDT", nil)]
        var transitions: [AlertTransition] = []
        for t in 0..<20 { transitions += e.evaluate(t % 2 == 0 ? stale : Self.calm(), now: Self.at(Int64(t))) }
        #expect(transitions.count == 1 && transitions[0].firing, "fired once, never resolved while it flickers")
        var held = Self.engine { $0.fireAfter = .seconds(3) }
        #expect(held.evaluate(stale, now: Self.at(0)).isEmpty && held.evaluate(stale, now: Self.at(2)).isEmpty)
        #expect(held.evaluate(stale, now: Self.at(3)).count == 1, "held 3 s: fires")
    }
}
