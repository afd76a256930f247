import GantryCore
import GantryEngine
import GantryOps

/// What the control plane shows of the alerts and the sanity checks: entries of `/status` and families of
/// `/metrics`, rendered on the watching thread from `RunAlerts`.
extension ControlPlane {
    /// The alerts firing, as `/status` lists them (after the current conditions).
    func firingAlerts() -> [JSONValue] {
        guard let a = alerting else { return [] }
        return a.engine.firing.map { f in
            .object([
                ("level", .string(f.rule.severity)), ("alert", .string(f.rule.rawValue)), ("subject", .string(f.subject)),
                ("text", .string("\(f.rule.rawValue): \(f.text)")), ("since_ms", .int((f.since - started).raw / 1_000_000)),
            ])
        }
    }

    /// `/status` entries: the checks, the journal's running figures, and each venue's balance baseline with the
    /// fills' moves since (what `gantry check` compares the balances it reads with).
    func alertStatus(view: GatewayView, now: Nanos) -> [(String, JSONValue)] {
        guard let a = alerting else { return [] }
        let next = a.running == nil ? JSONValue.int(max(0, (a.nextCheck - now).raw / 1_000_000)) : .null
        let checks = JSONValue.object([
            ("run", .int(a.checksRun)), ("failed", .int(a.checksFailed)), ("running", .bool(a.running != nil)), ("next_in_ms", next),
            ("last_ms_ago", a.lastCheck.map { .int((now - $0).raw / 1_000_000) } ?? .null), ("failure", a.failedCheck.map { .string($0) } ?? .null),
            ("findings", .array(a.lastFindings.map { .string($0.line) })),
        ])
        var out: [(String, JSONValue)] = [("checks", checks)]
        if let j = a.journal {
            out.append(("journal", .object([
                ("records", .int(j.records)), ("dropped", .int(j.dropped + j.notesDropped)), ("failures", .int(j.failures)),
                ("largest_backlog", .int(j.largestBacklog)),
            ])))
        }
        let moves = RunAlerts.since(view.allMoves(), a.baselineMoves)
        out.append(("accounts", .array(a.targets.compactMap { t in
            guard let base = a.baseline[t.name] else { return nil }
            let moved = (moves[t.name] ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string(FixedPoint.string($0.value.raw, scale: $0.value.scale))) }
            return .object([
                ("venue", .string(t.name)), ("baseline", .object(base.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })), ("moved", .object(moved)),
            ])
        })))
        return out
    }

    /// The alert families of `/metrics`.
    func alertMetrics(_ m: inout PrometheusText, view: GatewayView) {
        guard let a = alerting else { return }
        m.family("gantry_alerts_firing", .gauge, help: "Alerts firing now, by rule (a rule fires once per venue, pair or book it is about).")
        for rule in AlertRule.allCases { m.sample("gantry_alerts_firing", [("alert", rule.rawValue)], a.engine.firingCount(rule)) }
        m.family("gantry_alerts_total", .counter, help: "Alerts fired, by rule.")
        for rule in AlertRule.allCases { m.sample("gantry_alerts_total", [("alert", rule.rawValue)], a.engine.fired[rule] ?? 0) }
        if let w = a.webhook {
            m.family("gantry_alert_webhook_total", .counter, help: "Alerts given to the webhook, by outcome: delivered, failed (every attempt), dropped (queue full).")
            m.sample("gantry_alert_webhook_total", [("outcome", "delivered")], w.delivered.load(ordering: .relaxed))
            m.sample("gantry_alert_webhook_total", [("outcome", "failed")], w.failed.load(ordering: .relaxed))
            m.sample("gantry_alert_webhook_total", [("outcome", "dropped")], w.dropped.load(ordering: .relaxed))
            m.family("gantry_alert_webhook_failed_attempts_total", .counter, help: "Webhook attempts that failed (each is retried with backoff).")
            m.sample("gantry_alert_webhook_failed_attempts_total", [], w.failedAttempts.load(ordering: .relaxed))
        }
        m.family("gantry_paper_price_drift_bp", .gauge, help: "Per venue: live fills against the paper trader's prices over the last orders, mean in basis points (positive: live worse).")
        for d in a.engine.drift { m.sample("gantry_paper_price_drift_bp", [("venue", d.venue)], raw: d.meanCentiBasisPoints, scale: 2) }
        m.family("gantry_book_age_seconds", .gauge, help: "Time since each book's top last changed (since the start for a book never live).")
        let now = MonotonicClock.now()
        for b in a.books(view, now: now) {
            let parts = b.name.split(separator: " ", maxSplits: 1).map(String.init)
            let age = b.age ?? (now - a.started)
            m.sample("gantry_book_age_seconds", [("venue", parts[0]), ("instrument", parts.count > 1 ? parts[1] : "")], PrometheusText.seconds(age.raw))
        }
        if let j = a.journal {
            m.family("gantry_journal_records_total", .counter, help: "Records the journal appended.")
            m.sample("gantry_journal_records_total", [], j.records)
            m.family("gantry_journal_dropped_total", .counter, help: "Events and notes the journal could not append (lost from it).")
            m.sample("gantry_journal_dropped_total", [], j.dropped + j.notesDropped)
            m.family("gantry_journal_write_failures_total", .counter, help: "Journal batch writes or syncs that failed (retried).")
            m.sample("gantry_journal_write_failures_total", [], j.failures)
            m.family("gantry_journal_largest_backlog", .gauge, help: "The most events found waiting on one ring at a journal poll.")
            m.sample("gantry_journal_largest_backlog", [], j.largestBacklog)
        }
        m.family("gantry_sanity_checks_total", .counter, help: "Sanity checks run, by result.")
        m.sample("gantry_sanity_checks_total", [("result", "passed")], a.checksRun - a.checksFailed)
        m.sample("gantry_sanity_checks_total", [("result", "failed")], a.checksFailed)
        m.family("gantry_sanity_check_failed", .gauge, help: "1 while a failed sanity check holds trading paused (until gantry resume).")
        m.sample("gantry_sanity_check_failed", [], a.failedCheck == nil ? 0 : 1)
    }
}
