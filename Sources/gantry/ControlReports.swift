import GantryCore
import GantryEngine
import GantryOps

/// The control plane's two views of the gateway: `/status` as JSON and `/metrics` in Prometheus' text format,
/// rendered on the watching thread from the view (rings it reads), the feeds' live counters and order-send's.
extension ControlPlane {
    func status(view: GatewayView, rings: Rings, kill: KillReport?, now: Nanos) -> JSONValue {
        let registry = view.configuration.market.registry
        let universe = view.universe
        func us(_ h: LatencyHistogram, _ q: Double) -> JSONValue { h.quantile(q).map { .int($0 == .max ? $0 : $0 / 1_000) } ?? .null }
        func latency(_ stage: String, _ h: LatencyHistogram) -> JSONValue {
            .object([("stage", .string(stage)), ("count", .int(h.count)), ("p50_us", us(h, 0.5)), ("p99_us", us(h, 0.99))])
        }
        var books: [JSONValue] = []
        for b in bookRows(view) {
            let age = view.live.topChanged[b.instrument].map { JSONValue.int((now - $0).raw / 1_000_000) } ?? .null
            let top = view.tops[b.instrument]
            books.append(.object([
                ("venue", .string(b.venue)), ("instrument", .string(b.symbol)), ("state", .string(top == nil ? "stale" : "live")),
                ("bid", top.map { .string(FixedPoint.string($0.0, scale: b.pair.priceScale)) } ?? .null),
                ("ask", top.map { .string(FixedPoint.string($0.1, scale: b.pair.priceScale)) } ?? .null), ("age_ms", age),
            ]))
        }
        var latencies = [latency("ingest (kernel receive → events on the ring)", view.live.ingest), latency("risk (intent → decision)", view.live.decision)]
        for (venue, h) in view.live.roundTrip.sorted(by: { $0.key.raw < $1.key.raw }) {
            latencies.append(latency("order round trip \(registry.name(of: venue) ?? "?") (decision → first report)", h))
        }
        let pnl = view.pnlTable()
        let (pairDrawdowns, strategyDrawdowns) = view.live.drawdowns(pnl: pnl)
        var strategies: [JSONValue] = []
        for (k, s) in view.configuration.strategies.enumerated() {
            var pairs: [JSONValue] = []
            for pair in universe.pairs {
                let (q, cents) = view.pnl(k, pair)
                pairs.append(.object([
                    ("pair", .string(pair.name)), ("position", .number(FixedPoint.string(q, scale: pair.quantityScale, trimTrailingZeros: true))),
                    ("pnl", .number(FixedPoint.string(cents, scale: 2))), ("drawdown", .number(FixedPoint.string(pairDrawdowns[k][Int(pair.id.raw)], scale: 2))),
                ]))
            }
            strategies.append(.object([
                ("name", .string(s.name)), ("pnl", .number(FixedPoint.string(pnl[k].reduce(0, +), scale: 2))),
                ("drawdown", .number(FixedPoint.string(strategyDrawdowns[k], scale: 2))), ("pairs", .array(pairs)),
            ]))
        }
        var orders: [JSONValue] = []
        for (id, o) in view.live.openOrders.sorted(by: { $0.key.raw < $1.key.raw }).prefix(200) {
            let i = registry.instrument(o.instrument)
            let ps = i?.priceScale ?? 0, qs = i?.quantityScale ?? 0
            orders.append(.object([
                ("client_order_id", .string(String(id.raw))), ("venue", .string(registry.name(of: o.venue) ?? "?")), ("instrument", .string(i?.symbol ?? "?")),
                ("side", .string("\(o.side)")), ("price", .string(FixedPoint.string(o.price.raw, scale: ps))),
                ("quantity", .string(FixedPoint.string(o.quantity.raw, scale: qs, trimTrailingZeros: true))),
                ("filled", .string(FixedPoint.string(o.filled.raw, scale: qs, trimTrailingZeros: true))), ("status", .string(o.status)),
            ]))
        }
        var venues: [JSONValue] = []
        for m in rings.markets {
            let order = registry.venue(named: m.venue).flatMap { rings.live.venue($0) }
            let present = order?.present.load(ordering: .relaxed) ?? false
            let rt = order?.roundTrip.load(ordering: .relaxed) ?? 0
            venues.append(.object([
                ("name", .string(m.venue)), ("messages", .int(m.counters.messages)), ("resyncs", .int(m.counters.resyncs)),
                ("reconnects", .int(m.counters.disconnects + (order?.reconnects.load(ordering: .relaxed) ?? 0))),
                ("order_entry", .string(!present ? "none" : order!.ready.load(ordering: .relaxed) ? "ready" : "not ready")),
                ("round_trip_ms", rt > 0 ? .number(FixedPoint.string(rt / 1_000, scale: 3)) : .null), ("market_ring_lag", .int(m.lag)),
            ]))
        }
        let k = killState(kill)
        return .object([
            ("time_ms", .int((now - started).raw / 1_000_000)), ("paused", .bool(paused)),
            ("kill", .object([("state", .string(k)), ("fired_by", kill.map { .string($0.source) } ?? .null), ("lines", .array(exchange.killReport.map { .string($0) }))])),
            ("books", .array(books)), ("latency", .array(latencies)), ("strategies", .array(strategies)), ("open_orders", .array(orders)),
            ("vetoes", .object(view.vetoes.sorted { $0.key.rawValue < $1.key.rawValue }.map { ("\($0.key)", .int($0.value)) })),
            ("venues", .array(venues)),
            ("alerts", .array(alerts(view: view, rings: rings, kill: kill).map { .object([("level", .string($0.0)), ("text", .string($0.1))]) } + firingAlerts())),
            ("counts", .object([("approved", .int(view.approved)), ("reports", .int(view.reports)), ("fills", .int(view.fills))])),
            ("order_queue", .int(rings.live.orderQueue())),
        ] + alertStatus(view: view, now: now))
    }

    /// Every traded venue-instrument: its venue's name, symbol and pair.
    func bookRows(_ view: GatewayView) -> [(venue: String, symbol: String, instrument: InstrumentId, pair: TradingPair)] {
        let registry = view.configuration.market.registry
        return registry.instruments.compactMap { i in
            let l = view.universe.listing(i.id)
            guard l.pair != .none else { return nil }
            return (registry.name(of: i.venue) ?? "?", i.symbol, i.id, view.universe.pair(l.pair))
        }
    }

    /// Conditions an operator should see now (level, text); the alert rules' alerts follow them on `/status`
    /// (`firingAlerts`), which then report stale books themselves, with hysteresis.
    func alerts(view: GatewayView, rings: Rings, kill: KillReport?) -> [(String, String)] {
        var out: [(String, String)] = []
        if let kill { out.append(("critical", "kill switch fired by \(kill.source): \(killState(kill))")) }
        if paused { out.append(("warning", "trading paused by the operator")) }
        for b in bookRows(view) where view.tops[b.instrument] == nil && alerting == nil { out.append(("warning", "\(b.venue) \(b.symbol): book stale")) }
        for m in rings.markets {
            guard let id = view.configuration.market.registry.venue(named: m.venue), let v = rings.live.venue(id), v.present.load(ordering: .relaxed) else { continue }
            if !v.ready.load(ordering: .relaxed) { out.append(("warning", "\(m.venue): order entry not ready")) }
        }
        return out
    }

    func metrics(view: GatewayView, rings: Rings, kill: KillReport?) -> String {
        var m = PrometheusText()
        let registry = view.configuration.market.registry
        m.family("gantry_stage_latency_seconds", .histogram, help: "Latency of each pipeline stage as the watching thread measures it: ingest is kernel receive to events on the ring, risk is intent to decision.")
        m.histogram("gantry_stage_latency_seconds", [("stage", "ingest")], view.live.ingest)
        m.histogram("gantry_stage_latency_seconds", [("stage", "risk")], view.live.decision)
        m.family("gantry_venue_order_round_trip_seconds", .histogram, help: "Risk's decision to the venue's first report on the order, as seen by the watching thread.")
        for (venue, h) in view.live.roundTrip.sorted(by: { $0.key.raw < $1.key.raw }) {
            m.histogram("gantry_venue_order_round_trip_seconds", [("venue", registry.name(of: venue) ?? "?")], h)
        }
        m.family("gantry_venue_order_last_round_trip_seconds", .gauge, help: "The last order round trip measured at the socket (bytes written to the venue's answer); 0 until one is.")
        let orderVenues = rings.markets.compactMap { m in registry.venue(named: m.venue).flatMap { id in rings.live.venue(id).map { (m.venue, $0) } } }
            .filter { $0.1.present.load(ordering: .relaxed) }
        for (name, v) in orderVenues { m.sample("gantry_venue_order_last_round_trip_seconds", [("venue", name)], PrometheusText.seconds(v.roundTrip.load(ordering: .relaxed))) }
        busMetrics(&m, rings.bus)
        m.family("gantry_ring_lag", .gauge, help: "Events published on a ring and not yet read by the watching thread's consumer.")
        for mk in rings.markets { m.sample("gantry_ring_lag", [("ring", "market"), ("venue", mk.venue)], mk.lag) }
        m.sample("gantry_ring_lag", [("ring", "reports"), ("venue", "")], rings.reports)
        m.sample("gantry_ring_lag", [("ring", "decisions"), ("venue", "")], rings.decisions)
        let feedCounters: [(String, String, (LiveCounters.Snapshot) -> Int)] = [
            ("gantry_market_messages_total", "Market-data messages received.", { $0.messages }),
            ("gantry_resyncs_total", "Book resyncs (a gap, a checksum mismatch or a stale book resynced from a snapshot).", { $0.resyncs }),
            ("gantry_feed_reconnects_total", "Market-data connection drops (each is reconnected with backoff).", { $0.disconnects }),
            ("gantry_book_silences_total", "Books found silent and resynced.", { $0.silences }),
            ("gantry_ring_stalls_total", "Times a feed waited for the slowest reader of its ring.", { $0.ringStalls }),
        ]
        for (name, help, value) in feedCounters {
            m.family(name, .counter, help: help)
            for mk in rings.markets { m.sample(name, [("venue", mk.venue)], value(mk.counters)) }
        }
        let orderCounters: [(String, String, (TradingLive.Venue) -> Int)] = [
            ("gantry_order_reconnects_total", "Order-entry connection drops.", { $0.reconnects.load(ordering: .relaxed) }),
            ("gantry_orders_sent_total", "Orders sent to the venue.", { $0.sent.load(ordering: .relaxed) }),
            ("gantry_orders_rejected_total", "Orders the venue rejected.", { $0.rejected.load(ordering: .relaxed) }),
            ("gantry_order_rate_limited_total", "Answers of the venue that its rate limit was hit.", { $0.rateLimited.load(ordering: .relaxed) }),
        ]
        for (name, help, value) in orderCounters {
            m.family(name, .counter, help: help)
            for (venue, v) in orderVenues { m.sample(name, [("venue", venue)], value(v)) }
        }
        m.family("gantry_open_orders", .gauge, help: "Orders not final at the venue (order-send's count).")
        for (venue, v) in orderVenues { m.sample("gantry_open_orders", [("venue", venue)], v.openOrders.load(ordering: .relaxed)) }
        m.family("gantry_order_entry_ready", .gauge, help: "1 when the venue's order entry is connected, logged in and reconciled.")
        for (venue, v) in orderVenues { m.sample("gantry_order_entry_ready", [("venue", venue)], v.ready.load(ordering: .relaxed) ? 1 : 0) }
        m.family("gantry_order_queue_size", .gauge, help: "Approved orders not final: waiting for order-send, held by a session or awaiting the venue's answer.")
        m.sample("gantry_order_queue_size", [], rings.live.orderQueue())
        m.family("gantry_book_live", .gauge, help: "1 while a book is live (synced), 0 while it is stale.")
        for b in bookRows(view) { m.sample("gantry_book_live", [("venue", b.venue), ("instrument", b.symbol)], view.tops[b.instrument] == nil ? 0 : 1) }
        m.family("gantry_decisions_total", .counter, help: "Risk's decisions on intents, by outcome.")
        m.sample("gantry_decisions_total", [("outcome", "approved")], view.approved)
        m.sample("gantry_decisions_total", [("outcome", "vetoed")], view.vetoes.values.reduce(0, +))
        m.family("gantry_vetoes_total", .counter, help: "Intents risk vetoed, by reason.")
        for (reason, n) in view.vetoes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { m.sample("gantry_vetoes_total", [("reason", "\(reason)")], n) }
        m.family("gantry_fills_total", .counter, help: "Fills reported by the venues.")
        m.sample("gantry_fills_total", [], view.fills)
        let pnl = view.pnlTable()
        let (pairDrawdowns, strategyDrawdowns) = view.live.drawdowns(pnl: pnl)
        m.family("gantry_position", .gauge, help: "Each strategy's position in each pair, in the base asset (from the fills).")
        for (k, s) in view.configuration.strategies.enumerated() {
            for pair in view.universe.pairs { m.sample("gantry_position", [("strategy", s.name), ("pair", pair.name)], raw: view.pnl(k, pair).q, scale: pair.quantityScale) }
        }
        m.family("gantry_pnl", .gauge, help: "Each strategy's PnL in each pair, in the quote currency: marked at the consolidated mid, fees paid.")
        for (k, s) in view.configuration.strategies.enumerated() {
            for pair in view.universe.pairs { m.sample("gantry_pnl", [("strategy", s.name), ("pair", pair.name)], raw: pnl[k][Int(pair.id.raw)], scale: 2) }
        }
        m.family("gantry_drawdown", .gauge, help: "Each strategy's drawdown in each pair from its peak PnL, in the quote currency.")
        for (k, s) in view.configuration.strategies.enumerated() {
            for pair in view.universe.pairs { m.sample("gantry_drawdown", [("strategy", s.name), ("pair", pair.name)], raw: pairDrawdowns[k][Int(pair.id.raw)], scale: 2) }
        }
        m.family("gantry_strategy_drawdown", .gauge, help: "Each strategy's drawdown over all pairs from its peak PnL, in the quote currency.")
        for (k, s) in view.configuration.strategies.enumerated() { m.sample("gantry_strategy_drawdown", [("strategy", s.name)], raw: strategyDrawdowns[k], scale: 2) }
        m.family("gantry_trading_paused", .gauge, help: "1 while the operator has paused new entries.")
        m.sample("gantry_trading_paused", [], paused ? 1 : 0)
        m.family("gantry_kill_switch_state", .gauge, help: "1 for the kill switch's current state: armed, fired, cancelled, flat, verified or failed.")
        let state = killState(kill)
        for s in ["armed", "fired", "cancelled", "flat", "verified", "failed"] { m.sample("gantry_kill_switch_state", [("state", s)], s == state ? 1 : 0) }
        alertMetrics(&m, view: view)
        return m.text
    }
}
