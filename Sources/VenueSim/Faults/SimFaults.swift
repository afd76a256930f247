import GantryCore

/// What can go wrong at a simulated venue, as it goes wrong at real ones.
public enum SimFaultKind: String, CaseIterable, Sendable, Codable {
    /// Every connection of the venue (WebSocket and REST) is dropped without a close handshake.
    case disconnect
    /// A book update is not sent (its sequence ids are used up): the next one shows the gap.
    case gap
    /// A book update is sent twice.
    case duplicate
    /// A book update is held back and sent after the next one.
    case reorder
    /// A book update carries a wrong checksum (OKX, Kraken).
    case badChecksum = "bad_checksum"
    /// The venue freezes: no book updates (the book keeps moving), no replies, not even pongs.
    case stale
    /// One book's updates stop (the book keeps moving; the venue's other books, its heartbeats and its replies,
    /// snapshots included, go on): a stuck stream on a live connection. The updates not sent use up their
    /// sequence ids, so when the stream comes back its next update shows the gap.
    case silentBook = "silent_book"
    /// Messages leave `milliseconds` late.
    case latency
    /// Orders are rejected (the venue's "unavailable" error).
    case reject
    /// Orders that would fill are filled at most half, the rest expires (IOC) or rests (GTC).
    case partialFill = "partial_fill"
    /// REST requests are answered with HTTP 429 and the venue's rate-limit error.
    case http429 = "http_429"
    /// REST requests are answered with HTTP 503.
    case http5xx = "http_5xx"
    /// The venue's clock runs `milliseconds` ahead (negative: behind).
    case clockSkew = "clock_skew"
    /// A WebSocket order request (place or cancel) gets the venue's rate-limit answer and is not executed
    /// (Binance 429 with -1015 and `retryAfter`, OKX sCode 50011, Bybit 10006, Kraken "EOrder:Rate limit
    /// exceeded"), as when the connection's order rate is exceeded; Coinbase's REST create order gets its 429.
    case rateLimit = "rate_limit"
    /// A WebSocket order request is executed (matched, reported on the user streams) but its response is never
    /// sent: the client must query to learn what happened. Coinbase's REST create order likewise goes unanswered.
    case ackTimeout = "ack_timeout"
    /// A user-stream report of a fill is sent twice (the same trade and execution ids).
    case duplicateReport = "duplicate_report"
    /// The user-stream reports of the next order (its acceptance, fills and balance changes) arrive `milliseconds`
    /// late (300 when not given), after the order's response and anything sent meanwhile.
    case lateFill = "late_fill"
    /// A window in which clients' fills are priced `bp` basis points worse than the book they take (never past
    /// the order's limit): the venue executes worse than it quotes (the paper trader's report shows it).
    case slippage
    /// Once, at `start_ms`: the venue's first account gets `amount` of `asset` (negative: taken from its free
    /// balance) behind its owner's back, as a transfer or an operator's correction would; the gateway's sanity
    /// checks must find it.
    case balance
}

/// One fault in a venue's script: from `start` (after the simulator started) for `duration` (zero: once, on the
/// first message, order or request at or after `start`).
/// Message faults (gap, duplicate, reorder, bad checksum) hit every `every`-th book update in the window.
public struct SimFault: Sendable, Equatable {
    public var kind: SimFaultKind
    /// The venue's name, nil for every venue.
    public var venue: String?
    public var start: Nanos
    public var duration: Nanos
    public var every: Int
    public var milliseconds: Int
    /// The book a `silentBook` fault stops: its index among the venue's instruments (nil: the first).
    public var book: Int?
    /// A `slippage` fault's size, in hundredths of a basis point.
    public var centiBasisPoints: Int64 = 0
    /// A `balance` fault's asset and signed amount (decimal text).
    public var asset: String? = nil
    public var amount: String? = nil

    public init(
        kind: SimFaultKind, venue: String? = nil, start: Nanos, duration: Nanos = .zero, every: Int = 1, milliseconds: Int = 0,
        book: Int? = nil
    ) {
        self.kind = kind
        self.venue = venue
        self.start = start
        self.duration = duration
        self.every = max(1, every)
        self.milliseconds = milliseconds
        self.book = book
    }

    func covers(_ elapsed: Nanos) -> Bool { elapsed >= start && elapsed < start + duration }
}

/// A venue's faults: its scripted windows and the one-shot faults a test injects, with counts of what was done.
public struct SimFaultState: Sendable {
    public private(set) var script: [SimFault]
    var pending: [SimFaultKind: Int] = [:]
    var seen: [Int] = []
    var fired: [Bool] = []
    /// How many times each fault was applied.
    public private(set) var applied: [SimFaultKind: Int] = [:]

    public init(script: [SimFault] = []) {
        self.script = script
        seen = Array(repeating: 0, count: script.count)
        fired = Array(repeating: false, count: script.count)
    }

    /// One-shot faults waiting, of all kinds.
    var pendingTotal = 0

    /// Nothing is scripted or waiting: no fault can hit (the per-message check is one comparison).
    public var isQuiet: Bool { pendingTotal == 0 && script.isEmpty }

    /// Queues `count` one-shot faults of `kind` (applied to the next messages, orders or requests).
    public mutating func inject(_ kind: SimFaultKind, count: Int = 1) {
        pending[kind, default: 0] += count
        pendingTotal += count
    }

    /// Adds a window to the script.
    public mutating func schedule(_ fault: SimFault) {
        script.append(fault)
        seen.append(0)
        fired.append(false)
    }

    /// Whether a fault of `kind` hits this message, order or request: a pending one-shot (used up), or the
    /// `every`-th event in an active window.
    public mutating func take(_ kind: SimFaultKind, elapsed: Nanos) -> Bool { hit(kind, elapsed: elapsed) != nil }

    /// The fault of `kind` that hits this message, order or request, if one does (as `take`): the scripted fault,
    /// or for a one-shot a fault with no `milliseconds`.
    public mutating func hit(_ kind: SimFaultKind, elapsed: Nanos) -> SimFault? {
        if isQuiet { return nil }
        if let n = pending[kind], n > 0 {
            pending[kind] = n - 1
            pendingTotal -= 1
            applied[kind, default: 0] += 1
            return SimFault(kind: kind, start: elapsed)
        }
        for i in script.indices where script[i].kind == kind {
            // A fault without a duration hits once: the first event at or after its start.
            if script[i].duration == .zero {
                guard !fired[i], elapsed >= script[i].start else { continue }
                fired[i] = true
                applied[kind, default: 0] += 1
                return script[i]
            }
            guard script[i].covers(elapsed) else { continue }
            seen[i] += 1
            if seen[i] % script[i].every == 0 {
                applied[kind, default: 0] += 1
                return script[i]
            }
        }
        return nil
    }

    /// The active window of a state-like fault (stale, latency, clock skew), if any.
    public func active(_ kind: SimFaultKind, elapsed: Nanos) -> SimFault? {
        if script.isEmpty { return nil }
        return script.first { $0.kind == kind && $0.covers(elapsed) }
    }

    /// Whether a `silentBook` window stops the book at index `book` now.
    public func silences(book: Int, elapsed: Nanos) -> Bool {
        if script.isEmpty { return false }
        return script.contains { $0.kind == .silentBook && ($0.book ?? 0) == book && $0.covers(elapsed) }
    }

    /// Whether a disconnect is due now (each scripted disconnect fires once; one-shots at once).
    public mutating func disconnectDue(elapsed: Nanos) -> Bool {
        if isQuiet { return false }
        if let n = pending[.disconnect], n > 0 {
            pending[.disconnect] = n - 1
            pendingTotal -= 1
            applied[.disconnect, default: 0] += 1
            return true
        }
        for i in script.indices where script[i].kind == .disconnect && !fired[i] && elapsed >= script[i].start {
            fired[i] = true
            applied[.disconnect, default: 0] += 1
            return true
        }
        return false
    }

    /// Counts a state-like fault's effect (a message kept back, a request refused).
    mutating func count(_ kind: SimFaultKind) { applied[kind, default: 0] += 1 }
}
