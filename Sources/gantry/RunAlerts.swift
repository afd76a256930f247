import Foundation
import GantryCore
import GantryEngine
import GantryExecution
import GantryJournal
import GantryNet
import GantryOps
import Logging
import Synchronization

/// `gantry run`'s alerts and scheduled sanity checks, on the watching thread: the alert engine fed from what the
/// thread reads (round trips, paper against live, drawdowns, the order queue, book ages, the journal's figures),
/// every transition logged, journaled (returned for `gateway.notes`), sent to the webhook and shown by the control
/// plane; the checks started on a thread of their own when due, their failure raising the alert and pausing
/// trading until the operator resumes.
final class RunAlerts {
    var engine: AlertEngine
    let webhook: AlertWebhook?
    let checks: CheckConfiguration
    let targets: [VenueCheckTarget]
    let tls: TLSContext?
    let started: Nanos
    let logger = Logger(label: "gantry.alerts")
    /// What the balance check compares with: each venue's balances and the fills' moves at that time (the start;
    /// after the operator resumes from a failed balance check, what that check read).
    var baseline: [String: VenueBalances.Totals]
    var baselineMoves: [String: BalanceCheck.Moves] = [:]
    var nextEvaluation: Nanos
    var nextCheck: Nanos
    var lastCheck: Nanos? = nil
    /// Why the last check failed, until the operator resumes.
    var failedCheck: String? = nil
    var lastFindings: [CheckFinding] = []
    var checksRun = 0
    var checksFailed = 0
    var running: Running? = nil
    /// What the next reading is for.
    var nextPurpose = Purpose.check
    /// Approved orders whose paper and live outcomes are not both in yet: venue and when decided.
    var pending: [ClientOrderId: (venue: String, decided: Nanos)] = [:]
    let names: [VenueId: String]
    /// The journal's running figures, as last read.
    var journal: JournalStageStats? = nil
    /// A reading with no fill in flight taken while a failure holds trading paused: the baseline on resume.
    var quietReading: (balances: [String: VenueBalances.Totals], moves: [String: BalanceCheck.Moves])? = nil

    /// A check under way: what was seen when it started, and the venues' answers when they are in.
    struct Running {
        var startedAt: Nanos
        var figures: PipelineFigures
        /// The fills' moves at the start and after each fill seen since: the balances read must equal one of them
        /// (each venue is read at some moment among them).
        var moves: [[String: BalanceCheck.Moves]]
        var fills: Int
        var purpose: Purpose
        let result: CheckResult
    }

    /// Why the venues are read.
    enum Purpose {
        /// A scheduled check.
        case check
        /// A second reading after balances alone differed (fills may have been in flight): its failure is final.
        case confirm
        /// After a failure, trading paused: the balances read with no fill in flight, the baseline of later checks
        /// once the operator resumes.
        case baseline
    }

    /// Where the check's thread leaves the venues' answers for the watching thread.
    final class CheckResult: Sendable {
        let reading = Mutex<VenueChecks.Reading?>(nil)
    }

    /// - Throws: `ControlConfiguration.Invalid` for a bad `[alerts]` or `[checks]`.
    init(toml: String, configuration: TradingConfiguration, credentials: [String: VenueCredentials], start: [String: VenueBalances.Totals], sim: Bool, tls: TLSContext?, started: Nanos) throws {
        let alerts = try AlertConfiguration.read(toml: toml)
        engine = AlertEngine(configuration: alerts)
        checks = try CheckConfiguration.read(toml: toml)
        webhook = alerts.webhook.map { AlertWebhook(url: $0, capacity: alerts.webhookQueue, attempts: alerts.webhookAttempts, backoff: alerts.webhookBackoff) }
        targets = VenueCheckTarget.all(configuration, credentials: credentials, sim: sim)
        names = Dictionary(uniqueKeysWithValues: targets.map { ($0.id, $0.name) })
        self.tls = tls
        self.started = started
        baseline = start
        nextEvaluation = started + .seconds(1)
        nextCheck = checks.next(wall: WallClock.now(), monotonic: MonotonicClock.now(), started: started, last: nil)
    }

    /// An approved decision: its paper and live outcomes are compared once both are in.
    func decision(_ d: RiskDecision, now: Nanos) {
        guard d.isApproved, let venue = names[d.intent.venue] else { return }
        pending[d.clientOrderId] = (venue, now)
    }

    /// An order's round trip as the watching thread saw it.
    func roundTrip(_ venue: VenueId, _ nanos: Nanos) {
        guard let name = names[venue] else { return }
        engine.roundTrip(venue: name, nanos: nanos.raw)
    }

    /// What the watching thread must do after a tick: journal these notes (kind `.alert`), pause trading.
    struct Actions {
        var notes: [String] = []
        var pause = false
    }

    /// Whether `tick` has work now: an evaluation, a check to start or one to finish.
    func due(_ now: Nanos, view: GatewayView) -> Bool {
        if let r = running {
            if view.fills != r.fills {
                running!.moves.append(view.allMoves())
                running!.fills = view.fills
            }
            return now >= nextEvaluation || (now - r.startedAt >= .seconds(1) && r.result.reading.withLock { $0 != nil })
        }
        return now >= nextEvaluation || now >= nextCheck
    }

    /// Evaluates the rules once a second, starts a due check and finishes a check whose venues answered.
    func tick(now: Nanos, view: GatewayView, rings: ControlPlane.Rings, handles: GatewayHandles, paper: borrowing PaperTrader, comparison: borrowing PaperComparison) -> Actions {
        var actions = Actions()
        if running == nil && now >= nextCheck { startCheck(now: now, view: view, rings: rings, handles: handles) }
        if let r = running, now - r.startedAt >= .seconds(1), let reading = r.result.reading.withLock({ $0 }) {
            running = nil
            actions.pause = finishCheck(r, reading: reading, now: now, view: view, rings: rings, handles: handles)
        }
        guard now >= nextEvaluation || actions.pause else { return actions }
        nextEvaluation = now + .seconds(1)
        for (id, p) in pending {
            if let outcome = paper.outcomes[id], outcome.done, let d = comparison.discrepancy(id, paper: outcome), d.liveQuantity > 0, d.paperQuantity > 0 {
                engine.drift(venue: p.venue, centiBasisPoints: d.priceDifferenceCentiBasisPoints)
                pending[id] = nil
            } else if now - p.decided > .seconds(30) {
                pending[id] = nil  // one side never filled: nothing to compare
            }
        }
        var sample = AlertEngine.Sample()
        let pnl = view.pnlTable()
        let (pairs, _) = view.live.drawdowns(pnl: pnl)
        for pair in view.universe.pairs { sample.pairDrawdowns.append((pair.name, pairs.reduce(0) { $0 + $1[Int(pair.id.raw)] })) }
        sample.orderQueue = rings.live.orderQueue()
        sample.books = books(view, now: now).map { ($0.name, $0.age) }
        journal = handles.journalStats
        if let j = journal {
            sample.journal = .init(records: j.records, dropped: j.dropped + j.notesDropped, failures: j.failures, largestBacklog: j.largestBacklog)
        }
        sample.failedCheck = failedCheck
        let wall = WallClock.now().raw / 1_000_000
        for t in engine.evaluate(sample, now: now) {
            let line = "alert \(t.firing ? "FIRING" : "resolved"): \(t.alert.rule.rawValue)\(t.alert.subject.isEmpty ? "" : " [\(t.alert.subject)]"): \(t.alert.text)"
            if t.firing { logger.error("\(line)") } else { logger.notice("\(line)") }
            print("  ! \(line)")
            actions.notes.append(line)
            webhook?.send(t.json(wallMilliseconds: wall))
        }
        return actions
    }

    /// Each traded book: "venue SYMBOL", how long since its top changed (nil: stale, after having been live).
    func books(_ view: GatewayView, now: Nanos) -> [(name: String, age: Nanos?)] {
        let registry = view.configuration.market.registry
        return registry.instruments.compactMap { i in
            guard view.universe.listing(i.id).pair != .none else { return nil }
            let changed = view.live.topChanged[i.id]
            let name = "\(registry.name(of: i.venue) ?? "?") \(i.symbol)"
            if view.tops[i.id] == nil && changed != nil { return (name, nil) }
            return (name, now - (changed ?? started))
        }
    }

    /// The pipeline's figures now, from the view, the rings and the journal's running figures.
    func figures(view: GatewayView, rings: ControlPlane.Rings, handles: GatewayHandles) -> PipelineFigures {
        let journal = handles.journalStats.map { PipelineFigures.Journal(records: $0.records, dropped: $0.dropped) }
        var ringLags = rings.markets.map { PipelineFigures.Ring(name: "market \($0.venue)", lag: $0.lag) }
        ringLags.append(.init(name: "reports", lag: rings.reports))
        ringLags.append(.init(name: "decisions", lag: rings.decisions))
        let registry = view.configuration.market.registry
        let books = registry.instruments.filter { view.universe.listing($0.id).pair != .none }.map {
            PipelineFigures.Book(name: "\(registry.name(of: $0.venue) ?? "?") \($0.symbol)", live: view.tops[$0.id] != nil)
        }
        return PipelineFigures(journal: journal, marketMessages: rings.markets.reduce(0) { $0 + $1.counters.messages }, rings: ringLags, books: books)
    }

    func startCheck(now: Nanos, view: GatewayView, rings: ControlPlane.Rings, handles: GatewayHandles) {
        let result = CheckResult()
        running = Running(startedAt: now, figures: figures(view: view, rings: rings, handles: handles), moves: [view.allMoves()], fills: view.fills, purpose: nextPurpose, result: result)
        logger.info("sanity check started (\(nextPurpose))")
        let targets = self.targets, tls = self.tls
        let thread = Thread {
            let reading = VenueChecks.read(targets, tls: tls)
            result.reading.withLock { $0 = reading }
        }
        thread.name = "gantry-check"
        thread.start()
    }

    /// Judges a check whose venues answered. - Returns: whether it failed (trading is then paused).
    func finishCheck(_ r: Running, reading: VenueChecks.Reading, now: Nanos, view: GatewayView, rings: ControlPlane.Rings, handles: GatewayHandles) -> Bool {
        let after = view.allMoves()
        if r.purpose == .baseline {
            // Paused: nothing should have filled while the venues were read; else read again.
            if r.moves.count == 1 && r.fills == view.fills && failedCheck != nil {
                quietReading = (reading.balances, after)
                nextPurpose = .check
                nextCheck = checks.next(wall: WallClock.now(), monotonic: MonotonicClock.now(), started: started, last: lastCheck ?? now)
                logger.info("sanity check: balances read with no fill in flight: the baseline once trading resumes")
            } else if failedCheck != nil {
                nextCheck = now + .seconds(2)
            }
            return false
        }
        var findings = PipelineCheck.evaluate(figures(view: view, rings: rings, handles: handles), before: r.figures, maxRingLag: checks.maxRingLag)
        findings += reading.findings
        findings += VenueChecks.compare(
            targets, read: reading.balances, baseline: baseline, moves: (r.moves + [after]).map { Self.since($0, baselineMoves) })
        let failed = findings.filter { !$0.ok }
        // Balances alone differ: a venue may have booked fills whose reports are still on their way. Read again in
        // 2 s; only a difference that stays is a failure.
        if !failed.isEmpty && r.purpose == .check && failed.allSatisfy({ $0.check == "balances" }) {
            nextPurpose = .confirm
            nextCheck = now + .seconds(2)
            logger.notice("sanity check: balances differ (\(findings.failureSummary)); reading them again in 2 s")
            return false
        }
        nextPurpose = .check
        lastFindings = findings
        lastCheck = now
        checksRun += 1
        nextCheck = checks.next(wall: WallClock.now(), monotonic: MonotonicClock.now(), started: started, last: now)
        for f in findings where !f.ok { logger.error("sanity check: \(f.line)") }
        guard !failed.isEmpty else {
            print("  sanity check passed: \(findings.count) findings, all ✓")
            return false
        }
        checksFailed += 1
        failedCheck = findings.failureSummary
        // Once paused, fills stop: the balances are read again in 3 s for the baseline of later checks.
        quietReading = nil
        nextPurpose = .baseline
        nextCheck = now + .seconds(3)
        print("  ! SANITY CHECK FAILED: \(failed.count) of \(findings.count) findings; trading paused until gantry resume")
        for f in failed { print("    \(f.line)") }
        return true
    }

    /// The operator resumed trading: a failed check is acknowledged, and the balances read while trading was paused
    /// become the balance check's baseline (the discrepancies are accepted; the closing check still compares with
    /// the start). Resumed before that reading, the baseline stays, and the next check fails again.
    func resumed() {
        guard failedCheck != nil else { return }
        failedCheck = nil
        if let (balances, moves) = quietReading {
            for (venue, totals) in balances {
                baseline[venue] = totals
                baselineMoves[venue] = moves[venue] ?? [:]
            }
            logger.notice("sanity check failure acknowledged: trading resumed by the operator; the balances read while paused are the new baseline")
        } else {
            logger.notice("sanity check failure acknowledged: trading resumed by the operator before the balances were read again: the baseline stays")
        }
        quietReading = nil
        if nextPurpose == .baseline {
            nextPurpose = .check
            nextCheck = checks.next(wall: WallClock.now(), monotonic: MonotonicClock.now(), started: started, last: lastCheck ?? MonotonicClock.now())
        }
    }

    /// What the fills moved since the baseline, venue by venue.
    static func since(_ moves: [String: BalanceCheck.Moves], _ base: [String: BalanceCheck.Moves]) -> [String: BalanceCheck.Moves] {
        var out = moves
        for (venue, b) in base { out[venue] = BalanceCheck.since(out[venue] ?? [:], b) }
        return out
    }

    /// Stops the webhook (what is queued gets two more seconds).
    func stop() { webhook?.stop() }
}
