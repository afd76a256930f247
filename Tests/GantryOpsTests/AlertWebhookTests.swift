import Foundation
import GantryCore
import GantryOps
import GantryTestSupport
import Testing

/// The webhook on real sockets: a listener on loopback that fails the first attempts.
@Suite("The alert webhook's delivery, retries and bounded queue", .serialized)
struct AlertWebhookTests {
    static func alert(_ n: Int) -> String {
        AlertTransition(alert: Alert(rule: .staleBook, subject: "okx BTC-USDT \(n)", text: "book stale", since: .zero), firing: true).json(wallMilliseconds: 1_000 + Int64(n))
    }

    @Test("an alert is retried with backoff through a 503 and a dropped connection, then delivered once; the failed attempts are counted")
    func retriesUntilDelivered() throws {
        let listener = try WebhookListener(failing: 2)
        defer { listener.stop() }
        let webhook = AlertWebhook(url: try WebhookURL(listener.url), attempts: 5, backoff: .milliseconds(50))
        let started = MonotonicClock.now()
        #expect(webhook.send(Self.alert(1)))
        let got = listener.wait(for: 1, timeout: 10)
        webhook.stop()
        #expect(got == [Self.alert(1)], "the JSON arrived as sent")
        #expect(listener.attempts == 3 && webhook.delivered.load(ordering: .relaxed) == 1 && webhook.failedAttempts.load(ordering: .relaxed) == 2)
        #expect(webhook.failed.load(ordering: .relaxed) == 0)
        #expect(MonotonicClock.now() - started >= .milliseconds(150), "waited 50 then 100 ms between attempts")
    }

    @Test("an alert whose every attempt fails is given up and counted; the next one is still delivered")
    func givesUp() throws {
        let listener = try WebhookListener(failing: 3)
        defer { listener.stop() }
        let webhook = AlertWebhook(url: try WebhookURL(listener.url), attempts: 3, backoff: .milliseconds(10))
        webhook.send(Self.alert(1))
        webhook.send(Self.alert(2))
        let got = listener.wait(for: 1, timeout: 10)
        webhook.stop()
        #expect(got == [Self.alert(2)])
        #expect(webhook.failed.load(ordering: .relaxed) == 1 && webhook.delivered.load(ordering: .relaxed) == 1 && webhook.failedAttempts.load(ordering: .relaxed) == 3)
    }

    @Test("send never waits: with nobody listening, alerts past the queue's capacity are dropped and counted at once")
    func boundedQueue() throws {
        // A port nobody listens on: every attempt fails (connection refused).
        let closed = try WebhookListener()
        let url = try WebhookURL(closed.url)
        closed.stop()
        let webhook = AlertWebhook(url: url, capacity: 4, attempts: 2, backoff: .seconds(5))
        let started = MonotonicClock.now()
        var accepted = 0
        for n in 0..<10 where webhook.send(Self.alert(n)) { accepted += 1 }
        #expect(MonotonicClock.now() - started < .milliseconds(100), "send did not wait for the webhook")
        #expect(accepted <= 5 && webhook.dropped.load(ordering: .relaxed) == 10 - accepted)
        webhook.stop(drain: .zero)
    }
}

@Suite("[alerts] and [checks] configuration")
struct AlertConfigurationTests {
    @Test("defaults without the tables; every key read; durations in ms, s, m, h")
    func readsKeys() throws {
        let d = try AlertConfiguration.read(toml: "")
        #expect(d.webhook == nil && d.latencyFactorTenths == 50 && d.resolveAfter == .seconds(10) && d.maxBookAge == .seconds(10))
        let c = try AlertConfiguration.read(toml: """
            [alerts]
            webhook = "http://127.0.0.1:9093/gantry/alerts"
            latency_factor = "3.5"
            latency_floor_ms = 2
            drift_orders = 7
            drift_bp = "12.5"
            pair_drawdown = "250"
            queue_window = "30s"
            queue_growth = 9
            max_book_age = "1500ms"
            journal_backlog = 1000
            fire_after = "0s"
            resolve_after = "2m"
            webhook_attempts = 3
            webhook_backoff = "1s"
            """)
        #expect(c.webhook?.base == "http://127.0.0.1:9093" && c.webhook?.path == "/gantry/alerts")
        #expect(c.latencyFactorTenths == 35 && c.latencyFloor == .milliseconds(2) && c.driftOrders == 7 && c.driftCentiBasisPoints == 1_250)
        #expect(c.pairDrawdownCents == 25_000 && c.queueWindow == .seconds(30) && c.queueGrowth == 9 && c.maxBookAge == .milliseconds(1_500))
        #expect(c.journalBacklog == 1_000 && c.resolveAfter == .seconds(120) && c.webhookAttempts == 3 && c.webhookBackoff == .seconds(1))
    }

    @Test("bad values are refused with the key named", arguments: [
        ("webhook = \"https://hooks.example.com/x\"", "webhook"), ("latency_factor = \"1\"", "latency_factor"), ("queue_window = \"soon\"", "queue_window"),
        ("drift_bp = \"-3\"", "drift_bp"), ("webhook_attempts = 0", "webhook_attempts"), ("webhook = \"http://alerts.example.com:80/\"", "webhook"),
    ])
    func refusesBadValues(_ line: String, _ key: String) {
        #expect {
            _ = try AlertConfiguration.read(toml: "[alerts]\n\(line)\n")
        } throws: { "\($0)".contains(key) }
    }

    @Test("[checks]: daily at a UTC time by default or as given, or every interval; the next due time follows")
    func checkSchedule() throws {
        #expect(try CheckConfiguration.read(toml: "").schedule == .daily(.seconds(300)))
        let daily = try CheckConfiguration.read(toml: "[checks]\nat = \"06:30\"\n")
        let day: Int64 = 86_400_000_000_000
        // Wall clock 05:00 UTC: due in 1 h 30; at 07:00: tomorrow 06:30, 23 h 30 away.
        let mono = Nanos.seconds(50)
        #expect(daily.next(wall: Nanos(raw: 100 * day + 5 * 3_600_000_000_000), monotonic: mono, started: .zero, last: nil) == mono + .seconds(5_400))
        #expect(daily.next(wall: Nanos(raw: 100 * day + 7 * 3_600_000_000_000), monotonic: mono, started: .zero, last: nil) == mono + .seconds(84_600))
        let every = try CheckConfiguration.read(toml: "[checks]\nevery = \"5s\"\nmax_ring_lag = 7\n")
        #expect(every.schedule == .every(.seconds(5)) && every.maxRingLag == 7)
        #expect(every.next(wall: .zero, monotonic: .seconds(3), started: .seconds(1), last: nil) == .seconds(6))
        #expect(every.next(wall: .zero, monotonic: .seconds(3), started: .seconds(1), last: .seconds(7)) == .seconds(12))
        #expect(throws: ControlConfiguration.Invalid.self) { try CheckConfiguration.read(toml: "[checks]\nat = \"25:00\"\n") }
        #expect(throws: ControlConfiguration.Invalid.self) { try CheckConfiguration.read(toml: "[checks]\nat = \"01:00\"\nevery = \"1h\"\n") }
    }
}

@Suite("The pipeline-integrity check")
struct PipelineCheckTests {
    static func figures(records: Int, dropped: Int = 0, messages: Int, lag: Int = 0, live: Bool = true) -> PipelineFigures {
        PipelineFigures(
            journal: .init(records: records, dropped: dropped), marketMessages: messages, rings: [.init(name: "market okx", lag: lag)],
            books: [.init(name: "okx BTC-USDT", live: live)])
    }

    @Test("records arriving with the market data, no drop, rings read, books live: every finding passes")
    func passes() {
        let f = PipelineCheck.evaluate(Self.figures(records: 200, messages: 150), before: Self.figures(records: 100, messages: 100), maxRingLag: 10)
        #expect(f.count == 3 && f.allSatisfy { $0.ok }, "\(f.map(\.line))")
    }

    @Test("each break is named: records dropped, no record while messages arrive, a ring lagging, a stale book")
    func failures() {
        let before = Self.figures(records: 100, messages: 100)
        #expect(PipelineCheck.evaluate(Self.figures(records: 150, dropped: 2, messages: 150), before: before, maxRingLag: 10).failureSummary.contains("2 records dropped"))
        #expect(PipelineCheck.evaluate(Self.figures(records: 100, messages: 150), before: before, maxRingLag: 10).failureSummary.contains("no record written while 50 market messages arrived"))
        #expect(PipelineCheck.evaluate(Self.figures(records: 150, messages: 150, lag: 11), before: before, maxRingLag: 10).failureSummary == "pipeline ring market okx: lag 11 (limit 10)")
        #expect(PipelineCheck.evaluate(Self.figures(records: 150, messages: 150, live: false), before: before, maxRingLag: 10).failureSummary == "pipeline book okx BTC-USDT: stale")
        #expect(PipelineCheck.evaluate(Self.figures(records: 100, messages: 100), before: before, maxRingLag: 10).allSatisfy { $0.ok }, "no market data, no record: continuous")
    }
}
