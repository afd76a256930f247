import GantryCore

/// The alert rules (their names are the `alert` label of the metrics and the webhook's `alert` field).
public enum AlertRule: String, CaseIterable, Sendable, Comparable {
    /// A venue's order round trip over a multiple of its recent median.
    case latencySpike = "venue_latency_spike"
    /// Live fills against the paper trader's expected prices, drifting over the last orders of a venue.
    case predictionDrift = "prediction_drift"
    /// The strategies' drawdowns on one pair, summed, beyond the limit.
    case pairDrawdown = "pair_drawdown"
    /// The order queue rose over a whole window.
    case orderQueueGrowth = "order_queue_growth"
    /// A book not updated within the maximum age, or stale.
    case staleBook = "stale_book"
    /// The journal dropped records, failed to write, or fell far behind.
    case journalLag = "journal_lag"
    /// A sanity check failed (trading is paused until the operator resumes it).
    case sanityCheck = "sanity_check_failed"

    public static func < (a: AlertRule, b: AlertRule) -> Bool { a.rawValue < b.rawValue }

    /// `critical` for what pauses trading or loses records, `warning` otherwise.
    public var severity: String { self == .sanityCheck || self == .journalLag || self == .pairDrawdown ? "critical" : "warning" }
}

/// One alert: a rule about one subject (a venue, a pair, a book; empty for the gateway as a whole).
public struct Alert: Sendable, Equatable {
    public var rule: AlertRule
    public var subject: String
    /// What is wrong, with the figures that show it.
    public var text: String
    /// When it fired (monotonic).
    public var since: Nanos

    public init(rule: AlertRule, subject: String, text: String, since: Nanos) {
        self.rule = rule
        self.subject = subject
        self.text = text
        self.since = since
    }
}

/// An alert that fired or resolved at one evaluation.
public struct AlertTransition: Sendable, Equatable {
    public var alert: Alert
    public var firing: Bool

    public init(alert: Alert, firing: Bool) {
        self.alert = alert
        self.firing = firing
    }

    /// The webhook's JSON: `{"alert","subject","state","severity","text","time_ms"}` (`time_ms`: wall clock).
    public func json(wallMilliseconds: Int64) -> String {
        JSONValue.object([
            ("alert", .string(alert.rule.rawValue)), ("subject", .string(alert.subject)), ("state", .string(firing ? "firing" : "resolved")),
            ("severity", .string(alert.rule.severity)), ("text", .string(alert.text)), ("time_ms", .int(wallMilliseconds)),
        ]).text
    }
}

/// The alert rules, evaluated on the watching thread (never on a runner) from what it already reads: round trips
/// and paper-against-live differences as they are seen (`roundTrip`, `drift`), and the gauges of a `Sample` at each
/// `evaluate`. A condition must hold `fireAfter` before its alert fires and be gone `resolveAfter` before it
/// resolves, so that an alert does not flap.
public struct AlertEngine: Sendable {
    public let configuration: AlertConfiguration

    /// The gauges of one evaluation.
    public struct Sample: Sendable {
        /// Per pair: the strategies' drawdowns summed (cents of the quote currency).
        public var pairDrawdowns: [(pair: String, cents: Int64)] = []
        /// Approved orders waiting for order-send.
        public var orderQueue = 0
        /// Per book ("venue SYMBOL"): how long since its top changed; nil when it is stale.
        public var books: [(name: String, age: Nanos?)] = []
        /// The journal's running figures, when the gateway journals.
        public var journal: Journal? = nil
        /// Why the last sanity check failed, while trading stays paused for it.
        public var failedCheck: String? = nil

        public struct Journal: Sendable, Equatable {
            public var records: Int
            public var dropped: Int
            public var failures: Int
            public var largestBacklog: Int
            public init(records: Int, dropped: Int, failures: Int, largestBacklog: Int) {
                self.records = records
                self.dropped = dropped
                self.failures = failures
                self.largestBacklog = largestBacklog
            }
        }

        public init() {}
    }

    struct Key: Hashable {
        var rule: AlertRule
        var subject: String
    }

    struct State {
        var firing: Alert? = nil
        var holdsSince: Nanos? = nil
        var goneSince: Nanos? = nil
        var text = ""
    }

    var states: [Key: State] = [:]
    /// Per venue: the recent round trips (ns), and whether the last one was a spike (with its text).
    var roundTrips: [String: [Int64]] = [:]
    var lastSpike: [String: String] = [:]
    /// Per venue: the last orders' price differences (centi-bp, positive: live worse).
    var drifts: [String: [Int64]] = [:]
    /// The order queue's samples in the window.
    var queue: [(time: Nanos, size: Int)] = []
    var lastJournal: Sample.Journal? = nil
    /// Times each rule fired.
    public private(set) var fired: [AlertRule: Int] = [:]

    public init(configuration: AlertConfiguration) { self.configuration = configuration }

    /// An order's round trip on `venue`: a spike when it is over the factor × the median of the venue's recent
    /// ones (at least five) and over the floor. The spike condition holds until the venue's next round trip.
    public mutating func roundTrip(venue: String, nanos: Int64) {
        var window = roundTrips[venue, default: []]
        if window.count >= 5 {
            let sorted = window.sorted()
            let median = sorted[sorted.count / 2]
            let limit = Int128(median) * Int128(configuration.latencyFactorTenths) / 10
            if Int128(nanos) > limit && nanos > configuration.latencyFloor.raw {
                lastSpike[venue] = "\(venue): order round trip \(Self.milliseconds(nanos)) ms, \(Self.tenths(Int64(Int128(nanos) * 10 / Int128(max(median, 1))))) × the median \(Self.milliseconds(median)) ms of the last \(window.count)"
            } else {
                lastSpike[venue] = nil
            }
        }
        window.append(nanos)
        if window.count > configuration.latencyWindow { window.removeFirst(window.count - configuration.latencyWindow) }
        roundTrips[venue] = window
    }

    /// One order both live and the paper trader filled on `venue`: live's average price against paper's, in
    /// centi-basis points (positive: live worse).
    public mutating func drift(venue: String, centiBasisPoints: Int64) {
        var d = drifts[venue, default: []]
        d.append(centiBasisPoints)
        if d.count > configuration.driftOrders { d.removeFirst(d.count - configuration.driftOrders) }
        drifts[venue] = d
    }

    /// Evaluates every rule at `now` (monotonic). - Returns: the alerts that fired and resolved now.
    public mutating func evaluate(_ sample: Sample, now: Nanos) -> [AlertTransition] {
        let c = configuration
        var holding: [Key: String] = [:]
        for (venue, text) in lastSpike { holding[Key(rule: .latencySpike, subject: venue)] = text }
        for (venue, d) in drifts where d.count >= c.driftOrders {
            let mean = d.reduce(0, +) / Int64(d.count)
            if abs(mean) >= c.driftCentiBasisPoints {
                holding[Key(rule: .predictionDrift, subject: venue)] =
                    "\(venue): live fills \(FixedPoint.string(abs(mean), scale: 2)) bp \(mean > 0 ? "worse" : "better") than the paper trader's prices over the last \(d.count) orders (limit \(FixedPoint.string(c.driftCentiBasisPoints, scale: 2)) bp)"
            }
        }
        for (pair, cents) in sample.pairDrawdowns where cents >= c.pairDrawdownCents {
            holding[Key(rule: .pairDrawdown, subject: pair)] =
                "\(pair): the strategies' drawdowns sum to \(FixedPoint.string(cents, scale: 2)) (limit \(FixedPoint.string(c.pairDrawdownCents, scale: 2)))"
        }
        queue.append((now, sample.orderQueue))
        while let first = queue.first, now - first.time > c.queueWindow, queue.count > 1, now - queue[1].time >= c.queueWindow { queue.removeFirst() }
        if let first = queue.first, now - first.time >= c.queueWindow, queue.last!.size - first.size >= c.queueGrowth,
            zip(queue, queue.dropFirst()).allSatisfy({ $0.size <= $1.size })
        {
            holding[Key(rule: .orderQueueGrowth, subject: "")] =
                "the order queue rose from \(first.size) to \(sample.orderQueue) over \((now - first.time).raw / 1_000_000_000) s"
        }
        for b in sample.books {
            if let age = b.age, age <= c.maxBookAge { continue }
            holding[Key(rule: .staleBook, subject: b.name)] =
                b.age.map { "\(b.name): book not updated for \($0.raw / 1_000_000) ms (limit \(c.maxBookAge.raw / 1_000_000) ms)" } ?? "\(b.name): book stale"
        }
        if let j = sample.journal {
            if let last = lastJournal {
                var why: [String] = []
                if j.dropped > last.dropped { why.append("\(j.dropped - last.dropped) records dropped (\(j.dropped) in all)") }
                if j.failures > last.failures { why.append("\(j.failures - last.failures) failed writes") }
                if j.largestBacklog > last.largestBacklog && j.largestBacklog >= c.journalBacklog { why.append("a backlog of \(j.largestBacklog) events (limit \(c.journalBacklog))") }
                // Held while it lasts: the state keeps the alert until resolveAfter without a new cause.
                if !why.isEmpty { holding[Key(rule: .journalLag, subject: "")] = "journal: " + why.joined(separator: ", ") }
            }
            lastJournal = j
        }
        if let why = sample.failedCheck { holding[Key(rule: .sanityCheck, subject: "")] = "sanity check failed: \(why); trading paused until gantry resume" }
        return step(holding, now: now)
    }

    /// Applies the hysteresis to the conditions holding now.
    mutating func step(_ holding: [Key: String], now: Nanos) -> [AlertTransition] {
        var out: [AlertTransition] = []
        for key in Set(states.keys).union(holding.keys) {
            var s = states[key] ?? State()
            if let text = holding[key] {
                s.goneSince = nil
                s.text = text
                let since = s.holdsSince ?? now
                s.holdsSince = since
                if s.firing == nil && now - since >= configuration.fireAfter {
                    let a = Alert(rule: key.rule, subject: key.subject, text: text, since: now)
                    s.firing = a
                    fired[key.rule, default: 0] += 1
                    out.append(AlertTransition(alert: a, firing: true))
                } else if s.firing != nil {
                    s.firing!.text = text
                }
            } else {
                s.holdsSince = nil
                if let a = s.firing {
                    let gone = s.goneSince ?? now
                    s.goneSince = gone
                    if now - gone >= configuration.resolveAfter {
                        s.firing = nil
                        out.append(AlertTransition(alert: a, firing: false))
                    }
                }
            }
            states[key] = s.firing == nil && s.holdsSince == nil ? nil : s
        }
        return out.sorted { ($0.alert.rule, $0.alert.subject) < ($1.alert.rule, $1.alert.subject) }
    }

    /// The alerts firing now, by rule then subject.
    public var firing: [Alert] {
        states.values.compactMap(\.firing).sorted { ($0.rule, $0.subject) < ($1.rule, $1.subject) }
    }

    /// Per venue: the mean of the last orders' price differences, live against paper (centi-bp, positive: live
    /// worse), and how many orders it is over.
    public var drift: [(venue: String, meanCentiBasisPoints: Int64, orders: Int)] {
        drifts.sorted { $0.key < $1.key }.map { ($0.key, $0.value.reduce(0, +) / Int64(max($0.value.count, 1)), $0.value.count) }
    }

    /// How many alerts of `rule` fire now.
    public func firingCount(_ rule: AlertRule) -> Int { states.filter { $0.key.rule == rule && $0.value.firing != nil }.count }

    static func milliseconds(_ nanos: Int64) -> String { FixedPoint.string(nanos / 1_000, scale: 3) }
    static func tenths(_ tenths: Int64) -> String { FixedPoint.string(tenths, scale: 1) }
}
